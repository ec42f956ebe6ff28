"""The hub on MQTT: requests in, replies, retained state and call events out (SPEC section 4).

One thread owns everything: it reads the broker, applies the requests that arrived together in one
transaction (group commit), and only after the COMMIT answers them and publishes what changed.
So the ledger has exactly one writer, every command is applied whole, and nobody is told of a
ticket that is not on disk.
"""
from __future__ import annotations

import errno
import json
import logging
import socket
import time
import uuid
from dataclasses import dataclass
from datetime import datetime

from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from ..config import SiteConfig
from ..contract import ANY, REQUEST_EXPIRY_S, ContractError, ParsedTopic, Topics
from ..exits import EX_CONFIG
from ..link import DOWN_LIMIT_S, Link
from ..sdnotify import Notifier
from . import wire
from .ledger import Changes, Ledger, Outcome
from .lookup import LookupDesk
from .reconcile import Reconciler
from .site_file import ConfigDesk, SiteFile

log = logging.getLogger(__name__)
MAX_BATCH = 256
FIGURES_EVERY_S = 300.0      # SPEC section 13: at least every 5 minutes, and when the day ends
HEALTH_EVERY_S = 2.0         # the hub asks itself this often whether it still answers (SPEC 10.1)
HUSH_S = 60.0                # a bad request is logged once a minute at most (SPEC 4.1)


@dataclass
class Inbound:
    """A message as the MQTT thread received it, queued for the main loop; ``received`` is monotonic seconds, to drop
    requests that waited too long."""
    topic: str
    payload: bytes
    props: object
    received: float


@dataclass
class Request:
    """A message read off the wire, before the ledger sees it: a request that must get no reply
    never becomes one (SPEC 4.1)."""
    suffix: str                    # what follows the root, for log lines
    topic: ParsedTopic | None      # None: a topic the contract does not name
    body: dict | None
    error: ContractError | None
    route: wire.Route


class Hushed:
    """A warning said once a minute at most, with how many were hushed since: a client that floods
    bad requests must not flood the log (and the disk) too."""

    def __init__(self, every_s: float = HUSH_S):
        self.every_s, self.said_at, self.hushed = every_s, -every_s, 0

    def warn(self, msg: str, *args, **kw) -> None:
        now = time.monotonic()
        if now - self.said_at < self.every_s:
            self.hushed += 1
            return
        more = f" (+{self.hushed} trong một phút qua / in the last minute)" if self.hushed else ""
        log.warning(msg + more, *args, **kw)
        self.said_at, self.hushed = now, 0


def problem_of(error: BaseException) -> str:
    """The code said on ``status/hub/detail`` for a failed commit: a full disk (SQLite's SQLITE_FULL or ENOSPC), or
    any other failure to write (a card gone read-only, an I/O error)."""
    text = str(error).lower()
    return "disk_full" if "full" in text or getattr(error, "errno", None) == errno.ENOSPC else "cannot_write"


def shown(text: str, limit: int = 80) -> str:
    """Text from a client as a log may hold it: printable, and short."""
    return ascii(text[:limit]) + ("…" if len(text) > limit else "")


class SelfCheck:
    """The hub's proof of health (SPEC 4.1, 10.1): every few seconds it sends itself a request
    through the broker, answered on the path of every other request (inbox, batch, commit, reply);
    each answer that comes back feeds the watchdog. No timer feeds it: a hub that is alive but deaf
    (cut off, dropped by the broker again and again, stuck) is restarted by systemd. While the link
    is down the watchdog is fed for ``DOWN_LIMIT_S`` after the last answer, so a broker restart
    restarts nobody."""

    def __init__(self, link: Link, notifier: Notifier):
        self.link, self.notifier, self.t = link, notifier, link.topics
        self.token = uuid.uuid4().hex      # answers to another process's (or an old) request do not count
        # systemd wants a ping every half period: a watchdog shorter than 4 s is asked more often
        self.period = min(HEALTH_EVERY_S, notifier.watchdog_interval or HEALTH_EVERY_S)
        self.sent_at = -self.period
        self.proof_at = time.monotonic()   # the start counts as one: the first minute's grace

    def tick(self, now: float) -> None:
        if not self.link.connected.is_set():
            if now - self.proof_at < DOWN_LIMIT_S:
                self.notifier.watchdog()
        elif now - self.sent_at >= self.period:
            self.sent_at = now
            props = Properties(PacketTypes.PUBLISH)
            props.ResponseTopic = self.t.hub_health_reply
            props.CorrelationData = f"{self.token} {now!r}".encode()
            props.MessageExpiryInterval = REQUEST_EXPIRY_S
            self.link.publish(self.t.hub_health, {}, properties=props)

    def answered(self, payload: bytes, props) -> None:
        """An answer on ``reply/hub/health``: proof, if it is ours, recent and ok."""
        token, _, sent = bytes(getattr(props, "CorrelationData", None) or b"").decode("ascii", "replace").partition(" ")
        try:
            fresh = token == self.token and time.monotonic() - float(sent) < REQUEST_EXPIRY_S
            ok = fresh and json.loads(payload).get("ok") is True
        except (ValueError, AttributeError):
            return
        if ok:
            self.proof_at = time.monotonic()
            self.notifier.watchdog()


class HubServer:
    """The hub's MQTT front: requests queued by the network thread and applied by the main loop in batches, one commit
    each, then replies and retained states published; it also feeds systemd's watchdog only while it can answer
    itself."""

    def __init__(self, cfg: SiteConfig, ledger: Ledger, lookup: LookupDesk | None = None,
                 notifier: Notifier | None = None, site_file: SiteFile | None = None,
                 reconciler: Reconciler | None = None):
        """With ``site_file``, the hub keeps the site file (SPEC 2.1): it publishes it on ``config`` and takes
        changes on ``config/set``; without, it reads the file at start only. ``reconciler`` hears what the hall saw
        (SPEC 14); by default one that holds the hub back only when its ledger was restored."""
        self.cfg, self.ledger = cfg, ledger
        self.reconciler = reconciler or Reconciler(cfg, ledger)
        self.notifier = notifier or Notifier()
        t = Topics(cfg.mqtt.topic_root, cfg.site.id)
        self.desk = ConfigDesk(site_file, cfg) if site_file is not None else None
        config_topics = (t.config_set, t.config_history) if self.desk else ()
        self.link = Link(cfg, "hub", session_expiry=300, on_message=self._received, on_connect=self._connected,
                         subscriptions=(t.ticket(ANY), t.counter_command(ANY), t.counter_rating(ANY), t.lookup,
                                        t.extend, t.hub_health, t.hub_health_reply, t.seen(ANY), *config_topics))
        self.t = self.link.topics
        self.selfcheck = SelfCheck(self.link, self.notifier)
        self.dropped, self.unsent = Hushed(), Hushed()
        self.inbox: list[Inbound] = []
        self.handlers = {"ticket/issue": self._issue, "ticket/confirm": self._confirm,
                         "ticket/void": self._void, "hub/health": self._health}
        if lookup is not None:
            self.handlers["dossier/lookup"] = lambda body, client: Outcome(lookup.lookup(body, client), Changes())
            self.handlers["dossier/extend"] = lambda body, client: Outcome(lookup.extend(body), Changes())
        if self.desk is not None:
            self.handlers["config/set"] = self._config_set
            self.handlers["config/history"] = lambda body, client: Outcome(self.desk.history(body, client), Changes())
        self._config_news = self.desk is not None     # config and status/hub/config to publish
        self._gone: list[str] = []                     # retained states of removed services and counters to clear
        self.stopping = False
        self.ready = False
        self._minute = 0
        self._figures_at, self._figures_day = 0.0, ""
        self.started = datetime.now(cfg.site.tz).isoformat(timespec="seconds")   # on status/hub/detail
        self.write_problem: str | None = None     # "disk_full" or "cannot_write" while the ledger cannot be written

    # --- main loop ----------------------------------------------------------------------
    def run(self) -> int:
        try:
            served = self.link.serve(lambda: self.stopping, self.flush, self.tick,
                                     tick_s=min(1.0, self.selfcheck.period))
        finally:
            self.notifier.stopping()
            self.link.stop()
        if not served:
            log.error("%s", self.link.fatal)
            return EX_CONFIG
        return 0

    def tick(self) -> None:
        """Every second: the hub's request to itself (its watchdog's food), the day change and stale
        pending tickets; on each new minute, services opening or closing (ticket windows are HH:MM).
        A failing tick (the disk full) is logged and tried again next second."""
        self.selfcheck.tick(time.monotonic())
        if self.reconciler.holding(time.monotonic()):
            return
        minute = int(time.time() // 60)
        try:
            changes = self.ledger.tick()
        except Exception as e:
            log.exception("không ghi được sổ khi kiểm tra giờ / cannot write the ledger on the timer")
            self.wrote(e)
            return
        self.publish_changes(changes, services_too=minute != self._minute)
        self._minute = minute
        self.publish_figures()

    def publish_figures(self, force: bool = False) -> None:
        """The day's figures, retained; when the day has changed, the last figures of the old day first."""
        day = self.ledger.day
        if day != self._figures_day and self._figures_day:
            self.link.publish(self.t.figures(self._figures_day), self.ledger.figures(self._figures_day), retain=True)
        if force or day != self._figures_day or time.monotonic() - self._figures_at >= FIGURES_EVERY_S:
            self.link.publish(self.t.figures(day), self.ledger.figures(day), retain=True)
            self._figures_at, self._figures_day = time.monotonic(), day

    def _received(self, msg) -> None:
        if msg.topic == self.t.hub_health_reply:
            self.selfcheck.answered(bytes(msg.payload), getattr(msg, "properties", None))
            return
        topic = self.t.parse(msg.topic)
        if topic is not None and topic.kind == "seen":
            self.reconciler.hear(topic.component, bytes(msg.payload))
            return
        self.inbox.append(Inbound(msg.topic, bytes(msg.payload), getattr(msg, "properties", None),
                                  time.monotonic()))

    def say_detail(self) -> None:
        """``status/hub/detail``: the board, since when, whether from a copy, and a ledger that cannot be written (a
        full card), so the live hall says why no number is issued while the hub is still online."""
        detail = {"board": socket.gethostname(), "since": self.started, "restored": self.reconciler.restored}
        self.link.retain(self.t.status_detail("hub"), {**detail, **({"problem": self.write_problem}
                                                                    if self.write_problem else {})})

    def wrote(self, error: BaseException | None) -> None:
        """After each attempt to commit: a new problem, or its end, said on ``status/hub/detail`` once."""
        problem = None if error is None else problem_of(error)
        if problem != self.write_problem:
            self.write_problem = problem
            self.say_detail()

    def flush(self) -> None:
        """Hear the hall when it has spoken (a restored hub answers nothing before), then read what arrived, apply it
        in one transaction, commit once, then answer and publish."""
        if self.reconciler.holding(time.monotonic()):
            return
        if self.reconciler.pending or self.reconciler.restored:
            self.reconcile()
        while self.inbox:
            batch, self.inbox = self.inbox[:MAX_BATCH], self.inbox[MAX_BATCH:]
            requests = [r for r in map(self.parse, batch) if r is not None]
            written = self.ledger.db.total_changes
            try:
                with self.ledger.batch():
                    answers = [self.handle_one(r) for r in requests]
                if self.ledger.db.total_changes != written:     # a commit that wrote: the card has room again
                    self.wrote(None)
            except Exception as e:   # only BEGIN or COMMIT get here (disk full, I/O error): nothing was applied
                log.exception("không ghi được sổ / cannot commit the ledger: %d request(s) answered unavailable",
                              len(requests))
                answers = [(r.route, ContractError("unavailable").reply(), Changes()) for r in requests]
                self.wrote(e)
            merged = Changes()
            for route, reply, changes in answers:
                self.reply(route, reply)
                merged.absorb(changes)
            self.publish_changes(merged)

    def reconcile(self) -> None:
        """What the hall saw, applied in a transaction of its own; a failure is logged and tried again."""
        try:
            with self.ledger.batch():
                changes = self.ledger.tick()
                changes.absorb(self.reconciler.apply())
        except Exception:
            log.exception("không đối chiếu được với sảnh / cannot reconcile with the hall")
            return
        self.publish_changes(changes)

    def handle_one(self, r: Request) -> tuple[wire.Route, dict, Changes]:
        """One request on its own: whatever goes wrong with it is its answer alone, never its batch's."""
        try:
            return self.handle(r)
        except Exception:   # a bug must not take the batch down: the request's savepoint is rolled back
            log.exception("lỗi khi xử lý yêu cầu / error handling a request on %s", shown(r.suffix))
            return r.route, ContractError("unavailable").reply(), Changes()

    def _connected(self) -> None:
        """The first connection publishes the whole state and says READY. Later ones need nothing:
        the link says again what it holds retained, in case the broker lost it. A hub whose ledger was restored
        first hears what the hall saw (``flush``)."""
        self.reconciler.connected(time.monotonic())
        if not self.ready and not self.reconciler.restored:
            self.publish_everything()

    # --- one message --------------------------------------------------------------------
    def parse(self, m: Inbound) -> Request | None:
        """The request in a message, or None when it must get no reply at all: a reply topic or a
        correlation id that SPEC 4.1 forbids (logged once a minute at most), or an expired one."""
        suffix, topic = self.t.suffix(m.topic), self.t.parse(m.topic)
        body, error = None, None
        try:
            body = wire.decode(m.payload)
        except ContractError as e:
            error = e
        if topic is not None and topic.kind == "counter_rating":
            return Request(suffix, topic, body, error, wire.Route(None))
        route = wire.route(m.props, body, self.t.reply_prefix)
        if route is None:
            self.dropped.warn("bỏ yêu cầu trên %s: chủ đề trả lời hoặc correlation_id không hợp lệ / dropped a "
                              "request: its reply topic or correlation_id is not allowed (SPEC 4.1)", shown(m.topic))
            return None
        if wire.expired(m.props, body, m.received):
            log.info("bỏ yêu cầu hết hạn / dropped an expired request on %s", shown(m.topic))
            return None
        return Request(suffix, topic, body, error, route)

    def handle(self, r: Request) -> tuple[wire.Route, dict, Changes]:
        if r.topic is not None and r.topic.kind == "counter_rating":
            return r.route, {}, self._rating(r.topic.counter, r.body, r.error)
        client = wire.client_of(r.route, self.t)
        outcome = Outcome(r.error.reply(), Changes()) if r.error else self._dispatch(r, client)
        return r.route, outcome.reply, outcome.changes

    def _dispatch(self, r: Request, client: str) -> Outcome:
        topic, body = r.topic, r.body
        try:
            if topic is not None and topic.kind == "counter_command":
                return self._command(topic.counter, body)
            handler = self.handlers.get(topic.request or "") if topic is not None else None
            if handler is None:
                what = shown(r.suffix)
                raise ContractError("bad_request", f"không có chủ đề {what}", f"no such request {what}")
            return handler(body, client)
        except ContractError as e:
            return Outcome(e.reply(), Changes())
        except Exception:  # a bug must not take the hall down: answer, log, go on
            log.exception("lỗi khi xử lý / error handling %s", shown(r.suffix))
            return Outcome(ContractError("unavailable").reply(), Changes())

    def _issue(self, body: dict, client: str) -> Outcome:
        return self.ledger.issue(wire.field(body, "service", str, required=True),
                                 wire.field(body, "priority", bool, default=False),
                                 wire.field(body, "confirm", bool, default=False),
                                 wire.field(body, "source", str), wire.field(body, "command_id", str),
                                 holders=wire.holders(body))

    def _confirm(self, body: dict, client: str) -> Outcome:
        return self.ledger.confirm(wire.field(body, "ticket_id", str, required=True),
                                   wire.field(body, "command_id", str))

    def _void(self, body: dict, client: str) -> Outcome:
        return self.ledger.void(wire.field(body, "ticket_id", str, required=True),
                                wire.field(body, "reason", str, max_len=200), wire.field(body, "command_id", str))

    def _command(self, counter: str, body: dict) -> Outcome:
        return self.ledger.command(counter, wire.field(body, "action", str, required=True),
                                   service=wire.field(body, "service", str), ticket=wire.field(body, "ticket", str),
                                   command_id=wire.field(body, "command_id", str))

    def _health(self, body: dict, client: str) -> Outcome:
        """The hub's question to itself: answered from the ledger, inside the batch like any request."""
        return Outcome({"ok": True, "day": self.ledger.day}, Changes())

    def _config_set(self, body: dict, client: str) -> Outcome:
        reply, cfg = self.desk.change(body, client, self.ledger)
        return Outcome(reply, Changes() if cfg is None else self._take(cfg))

    def _take(self, cfg: SiteConfig) -> Changes:
        """Run on a changed site file from the next request on (SPEC 2.1): services, counters and priority live;
        every service and counter state said again, those removed cleared."""
        self._gone += [self.t.service_state(s) for s in self.cfg.by_service if s not in cfg.by_service]
        self._gone += [self.t.counter_state(c) for c in self.cfg.by_counter if c not in cfg.by_counter]
        self.cfg = self.ledger.cfg = self.ledger.views.cfg = cfg
        self.ledger.db.executemany("INSERT OR IGNORE INTO counters (id) VALUES (?)", [(c.id,) for c in cfg.counters])
        self._config_news = True
        return Changes(counters=set(cfg.by_counter), services=set(cfg.by_service))

    def publish_config(self) -> None:
        """The site document and the hub's own status of it, retained, when they changed (after the commit)."""
        if not self._config_news:
            return
        for topic in self._gone:
            self.link.publish(topic, b"", retain=True)
        self._gone = []
        self.link.retain(self.t.config, self.desk.file.public())
        self.link.retain(self.t.config_status("hub"), self.desk.status)
        self._config_news = False

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
    def reply(self, route: wire.Route, reply: dict) -> None:
        if route.topic is None:
            return
        props = None
        if route.correlation is not None:
            props = Properties(PacketTypes.PUBLISH)
            props.CorrelationData = route.correlation
        elif route.correlation_id is not None:
            reply = {**reply, "correlation_id": route.correlation_id}
        try:
            self.link.publish(route.topic, reply, properties=props)
        except Exception:   # paho refused it: that reply is lost, not the rest of the batch nor the hub
            self.unsent.warn("không gửi được câu trả lời tới %s / cannot publish a reply to %s",
                             shown(route.topic), shown(route.topic), exc_info=True)

    def publish_changes(self, ch: Changes, services_too: bool = False) -> None:
        self.publish_config()
        for call in ch.calls:
            self.link.publish(self.t.call, call)
        self.link.retain(self.t.hub_clock, self.ledger.clock_state())   # sent only when the verdict changes
        if ch.everything:
            return self.publish_everything()
        if ch.calls:
            self.link.retain(self.t.calls_recent, self.ledger.recent_calls())
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
        self.link.retain(self.t.calls_recent, self.ledger.recent_calls())
        self.link.retain(self.t.hub_clock, self.ledger.clock_state())
        self.say_detail()
        self.publish_config()
        if not self.ready:
            self.ready = True
            self.notifier.ready("hub serving")
