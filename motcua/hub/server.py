"""The hub on MQTT: requests in, replies, retained state and call events out (SPEC section 4).

One thread owns everything: it reads the broker, applies the requests that arrived together in one
transaction (group commit), and only after the COMMIT answers them and publishes what changed.
So the ledger has exactly one writer, every command is applied whole, and nobody is told of a
ticket that is not on disk.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from ..config import EX_CONFIG, SiteConfig
from ..contract import ContractError
from ..link import Link
from ..sdnotify import Notifier
from . import requests as rq
from .ledger import Changes, Ledger, Outcome
from .lookup import LookupDesk

log = logging.getLogger("motcua.hub")
MAX_BATCH = 256
FIGURES_EVERY_S = 300.0      # SPEC section 13: at least every 5 minutes, and when the day ends


@dataclass
class Inbound:
    topic: str
    payload: bytes
    props: object
    received: float


class HubServer:
    def __init__(self, cfg: SiteConfig, ledger: Ledger, lookup: LookupDesk | None = None,
                 notifier: Notifier | None = None):
        self.cfg, self.ledger = cfg, ledger
        self.notifier = notifier or Notifier()
        root = f"{cfg.mqtt.topic_root}/{cfg.site.id}"
        self.link = Link(cfg, "hub", session_expiry=300, on_message=self._received, on_connect=self._connected,
                         subscriptions=(f"{root}/ticket/+", f"{root}/counter/+/command",
                                        f"{root}/counter/+/rating", f"{root}/dossier/lookup",
                                        f"{root}/dossier/extend"))
        self.t = self.link.topics
        self.inbox: list[Inbound] = []
        self.handlers = {"ticket/issue": self._issue, "ticket/confirm": self._confirm,
                         "ticket/void": self._void}
        if lookup is not None:
            self.handlers["dossier/lookup"] = lambda body, client: Outcome(lookup.lookup(body, client), Changes())
            self.handlers["dossier/extend"] = lambda body, client: Outcome(lookup.extend(body), Changes())
        self.stopping = False
        self.ready = False
        self._minute = 0
        self._figures_at, self._figures_day = 0.0, ""

    # --- main loop ----------------------------------------------------------------------
    def run(self) -> int:
        try:
            served = self.link.serve(lambda: self.stopping, self.flush, self.tick)
        finally:
            self.notifier.stopping()
            self.link.stop()
        if not served:
            log.error("%s", self.link.fatal)
            return EX_CONFIG
        return 0

    def tick(self) -> None:
        """Every second: the day change and stale pending tickets; on each new minute, services
        opening or closing (ticket windows are HH:MM). A failing tick (the disk full) is logged and
        tried again next second; the watchdog is fed only while ticks succeed."""
        minute = int(time.time() // 60)
        try:
            changes = self.ledger.tick()
        except Exception:
            log.exception("không ghi được sổ khi kiểm tra giờ / cannot write the ledger on the timer")
            return
        self.publish_changes(changes, services_too=minute != self._minute)
        self._minute = minute
        self.publish_figures()
        self.notifier.watchdog()

    def publish_figures(self, force: bool = False) -> None:
        """The day's figures, retained; when the day has changed, the last figures of the old day first."""
        day = self.ledger.day
        if day != self._figures_day and self._figures_day:
            self.link.publish(self.t.figures(self._figures_day), self.ledger.figures(self._figures_day), retain=True)
        if force or day != self._figures_day or time.monotonic() - self._figures_at >= FIGURES_EVERY_S:
            self.link.publish(self.t.figures(day), self.ledger.figures(day), retain=True)
            self._figures_at, self._figures_day = time.monotonic(), day

    def _received(self, msg) -> None:
        self.inbox.append(Inbound(msg.topic, bytes(msg.payload), getattr(msg, "properties", None),
                                  time.monotonic()))

    def flush(self) -> None:
        """Apply what arrived, commit once, then answer and publish."""
        while self.inbox:
            batch, self.inbox = self.inbox[:MAX_BATCH], self.inbox[MAX_BATCH:]
            try:
                with self.ledger.batch():
                    answers = [self.handle_one(m) for m in batch]
            except Exception:   # only BEGIN or COMMIT get here (disk full, I/O error): nothing was applied
                log.exception("không ghi được sổ / cannot commit the ledger: %d request(s) answered unavailable",
                              len(batch))
                answers = [(rq.route(m.props, None), ContractError("unavailable").reply(), Changes())
                           for m in batch]
            merged = Changes()
            for route, reply, changes in filter(None, answers):
                self.reply(route, reply)
                merged.absorb(changes)
            self.publish_changes(merged)

    def handle_one(self, m: Inbound) -> tuple[rq.Route, dict, Changes] | None:
        """One request on its own: whatever goes wrong with it is its answer alone, never its batch's."""
        try:
            return self.handle(m)
        except Exception:   # a bug must not take the batch down: the request's savepoint is rolled back
            log.exception("lỗi khi xử lý yêu cầu / error handling a request on %s", m.topic)
            return rq.route(m.props, None), ContractError("unavailable").reply(), Changes()

    def _connected(self) -> None:
        """The first connection publishes the whole state and says READY. Later ones need nothing:
        the link says again what it holds retained, in case the broker lost it."""
        if not self.ready:
            self.publish_everything()

    # --- one message --------------------------------------------------------------------
    def handle(self, m: Inbound) -> tuple[rq.Route, dict, Changes] | None:
        suffix = m.topic[len(self.t.root) + 1:]
        body, error = None, None
        try:
            body = rq.decode(m.payload)
        except ContractError as e:
            error = e
        if suffix.startswith("counter/") and suffix.endswith("/rating"):
            return rq.Route(None), {}, self._rating(suffix.split("/")[1], body, error)
        route = rq.route(m.props, body)
        if route.topic is not None and not (route.topic.startswith(self.t.reply_prefix)
                                            and "+" not in route.topic and "#" not in route.topic):
            log.warning("bỏ yêu cầu trên %s: chủ đề trả lời %r nằm ngoài %s / dropped: reply topic outside",
                        m.topic, route.topic, self.t.reply_prefix)
            return None
        if rq.expired(m.props, body, m.received):
            log.info("bỏ yêu cầu hết hạn / dropped an expired request on %s", m.topic)
            return None
        client = rq.client_of(route, self.t.reply_prefix)
        outcome = Outcome(error.reply(), Changes()) if error else self._dispatch(suffix, body, client)
        return route, outcome.reply, outcome.changes

    def _dispatch(self, suffix: str, body: dict, client: str) -> Outcome:
        try:
            parts = suffix.split("/")
            if len(parts) == 3 and parts[0] == "counter" and parts[2] == "command":
                return self._command(parts[1], body)
            handler = self.handlers.get(suffix)
            if handler is None:
                raise ContractError("bad_request", f"không có chủ đề {suffix!r}", f"no such request {suffix!r}")
            return handler(body, client)
        except ContractError as e:
            return Outcome(e.reply(), Changes())
        except Exception:  # a bug must not take the hall down: answer, log, go on
            log.exception("lỗi khi xử lý / error handling %s", suffix)
            return Outcome(ContractError("unavailable").reply(), Changes())

    def _issue(self, body: dict, client: str) -> Outcome:
        return self.ledger.issue(rq.field(body, "service", str, required=True),
                                 rq.field(body, "priority", bool, default=False),
                                 rq.field(body, "confirm", bool, default=False),
                                 rq.field(body, "source", str), rq.field(body, "command_id", str))

    def _confirm(self, body: dict, client: str) -> Outcome:
        return self.ledger.confirm(rq.field(body, "ticket_id", str, required=True), rq.field(body, "command_id", str))

    def _void(self, body: dict, client: str) -> Outcome:
        return self.ledger.void(rq.field(body, "ticket_id", str, required=True),
                                rq.field(body, "reason", str, max_len=200), rq.field(body, "command_id", str))

    def _command(self, counter: str, body: dict) -> Outcome:
        return self.ledger.command(counter, rq.field(body, "action", str, required=True),
                                   service=rq.field(body, "service", str), ticket=rq.field(body, "ticket", str),
                                   command_id=rq.field(body, "command_id", str))

    def _rating(self, counter: str, body: dict | None, error: ContractError | None) -> Changes:
        score = body.get("score") if body else None
        if error or counter not in self.cfg.by_counter or score not in (1, 2, 3) or isinstance(score, bool):
            log.warning("bỏ đánh giá không hợp lệ / dropped a bad rating for counter %r: %s", counter,
                        error.message if error else str(body)[:200])
            return Changes()
        cid = body.get("command_id") if isinstance(body.get("command_id"), str) else None
        ticket, changes = self.ledger.rate(counter, score, cid)
        log.info("đánh giá / rating %s at counter %s for %s", score, counter, ticket)
        return changes

    # --- publishing ---------------------------------------------------------------------
    def reply(self, route: rq.Route, reply: dict) -> None:
        if route.topic is None:
            return
        props = None
        if route.correlation is not None:
            props = Properties(PacketTypes.PUBLISH)
            props.CorrelationData = route.correlation
        elif route.correlation_id is not None:
            reply = {**reply, "correlation_id": route.correlation_id}
        self.link.publish(route.topic, reply, properties=props)

    def publish_changes(self, ch: Changes, services_too: bool = False) -> None:
        if ch.everything:
            return self.publish_everything()
        for call in ch.calls:
            self.link.publish(self.t.call, call)
        for c in sorted(ch.counters):
            self.link.retain(self.t.counter_state(c), self.ledger.counter_state(c))
        for s in sorted(self.cfg.by_service if services_too else ch.services):
            self.link.retain(self.t.service_state(s), self.ledger.service_state(s))

    def publish_everything(self) -> None:
        """At start and on a day change (only what changed goes out: the link keeps what it
        published retained, and says it all again after a reconnect)."""
        for c in self.cfg.by_counter:
            self.link.retain(self.t.counter_state(c), self.ledger.counter_state(c))
        for s in self.cfg.by_service:
            self.link.retain(self.t.service_state(s), self.ledger.service_state(s))
        if not self.ready:
            self.ready = True
            self.notifier.ready("hub serving")
