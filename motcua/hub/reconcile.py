"""A hub started from a restored copy hears what the hall saw before it answers anything (SPEC 14).

The copy may lack the last tickets and calls, and the broker that held the hall's retained state
is gone with the dead board. Every process that follows the hall says again, on
``<R>/seen/<component>``, the highest label of each service it saw issued today and the day's last
calls (``motcua.seen``). A hub whose ledger was restored (the mark ``--restore`` and
``--take-over`` leave beside the ledger) waits for them — until every kiosk and wall screen of
the site file has spoken, ``WAIT_S`` at most after its broker answered — then raises each
service's next number above the highest label seen (a floor in the ledger), records the calls it
missed, and only then publishes and answers. Floors are raised at any later time too: a label the
hall saw issued today is never issued again.
"""
from __future__ import annotations

import json
import logging
import os
import time
from datetime import datetime
from pathlib import Path

from ..config import SiteConfig
from ..contract import CallEvent, component_name
from ..files import atomic_write
from .ledger import Changes, Ledger
from .views import floor_key

log = logging.getLogger(__name__)
LATE_S = 120.0        # after a restored hub answers, calls a process says late (its link slow to notice) still count
WAIT_S = 10.0         # at most this long after the broker answers, a restored hub waits to hear the hall


def mark_path(cfg: SiteConfig) -> Path:
    """The mark beside the ledger that says it was restored from a copy and the hall has not been heard since."""
    return Path(f"{cfg.hub.database}.restored")


def mark(cfg: SiteConfig, why: str) -> None:
    """Leave the mark (``--restore``, ``--take-over``): the next hub to start reconciles before answering."""
    atomic_write(mark_path(cfg), why + "\n")


class Reconciler:
    """What the hall's processes said they saw, applied to the ledger in the hub's main loop: ``hear`` on the network's
    side, ``holding`` while the hub must not answer yet, ``apply`` inside a transaction."""

    def __init__(self, cfg: SiteConfig, ledger: Ledger, wait_s: float = WAIT_S):
        self.cfg, self.ledger, self.wait_s = cfg, ledger, wait_s
        self.restored = mark_path(cfg).exists()
        self.expected = ({component_name("kiosk", k.id) for k in cfg.kiosks}
                         | {component_name("display", d.id) for d in cfg.displays})
        self.heard: set[str] = set()           # the components that have spoken
        self.pending: list[dict] = []         # said, not yet applied
        self.until: float | None = None       # the end of the wait, set when the broker first answers
        self.replay_until = 0.0               # calls heard late are still taken in until then (monotonic)
        if self.restored:
            log.warning("sổ được khôi phục từ bản sao: chờ các máy trong sảnh nói số đã thấy trước khi trả lời / the "
                        "ledger was restored from a copy: hearing what the hall saw before answering")

    def connected(self, now: float) -> None:
        if self.until is None:
            self.until = now + self.wait_s

    def hear(self, component: str | None, payload: bytes) -> None:
        """``seen/<component>``: kept when it is an object (anything else is passed over, with a line; an empty one,
        a retained message cleared, silently)."""
        if not payload:
            return
        try:
            said = json.loads(payload)
        except ValueError:
            said = None
        if component is None or not isinstance(said, dict):
            log.warning("bỏ qua tin seen không đọc được / passed over an unreadable seen message from %r", component)
            return
        self.heard.add(component)
        self.pending.append(said)

    def holding(self, now: float) -> bool:
        """A restored hub answers nothing until it heard every kiosk and screen, or its wait is over."""
        if not self.restored:
            return False
        return self.until is None or (now < self.until and not self.expected <= self.heard)

    def apply(self) -> Changes:
        """Floors from everything heard since the last time; on the restored hub's first time and ``LATE_S`` after,
        the calls it missed too; the mark removed. Run inside the ledger's transaction."""
        ch = Changes()
        day = self.ledger.day
        for said in self.pending:
            if said.get("day") != day:
                continue
            labels = [v for v in (said.get("labels") or {}).values() if isinstance(v, str)]
            calls = [c for c in said.get("calls") or [] if isinstance(c, dict)]
            called = [c["ticket"] for c in calls if isinstance(c.get("ticket"), str)]
            ch.services |= self.raise_floors(labels + called)
            if self.restored or time.monotonic() < self.replay_until:
                self.replay(calls, ch)
        self.pending = []
        if self.restored:
            self.restored = False
            self.replay_until = time.monotonic() + LATE_S
            ch.everything = True
            self._unmark()
        return ch

    def raise_floors(self, labels: list[str]) -> set[str]:
        """Each service's next number above the labels given; the services whose floor rose."""
        views, day, raised = self.ledger.views, self.ledger.day, set()
        for label in labels:
            found = views.service_of(label)
            if found is not None and found[1] >= views.next_number(found[0], day):
                self.ledger.db.execute("INSERT OR REPLACE INTO meta VALUES (?,?)",
                                       (floor_key(day, found[0]), str(found[1])))
                log.warning("số tiếp theo của %s sau %s, số sảnh đã thấy / %s goes on after %s, seen by the hall",
                            found[0], label, found[0], label)
                raised.add(found[0])
        return raised

    def replay(self, calls: list[dict], ch: Changes) -> None:
        """Calls the hall saw that the ledger lacks, oldest first, as they were made: the ticket served at its
        counter (taken in when missing), the counter's previous one done, the event kept for ``calls/recent``; not
        announced again. A call older than the counter's last in the ledger (a screen heard late, after the hub
        went on) only marks its ticket called and done, so NEXT never calls it again."""
        db, day = self.ledger.db, self.ledger.day
        events = [json.loads(r[0]) for r in db.execute("SELECT event FROM calls WHERE day=?", (day,))]
        known = {_key(e) for e in events}
        latest: dict[str, str] = {}
        for e in events:
            latest[e["counter"]] = max(latest.get(e["counter"], ""), str(e.get("at")))
        for event in sorted(calls, key=lambda c: str(c.get("at"))):
            counter = event.get("counter")
            if _key(event) in known or counter not in self.cfg.by_counter or not isinstance(event.get("ticket"), str):
                continue
            known.add(_key(event))
            at = _timestamp(event.get("at"))
            late = str(event.get("at")) <= latest.get(counter, "")
            row = self.ledger._ticket(event.get("ticket_id")) or self.ledger.take_in(event["ticket"], at,
                                                                                      "done" if late else "waiting")
            if row is None or row["day"] != day:
                continue
            if late:
                db.execute("UPDATE tickets SET status='done', counter=?, called_at=?, first_called_at=COALESCE("
                           "first_called_at, ?) WHERE id=? AND status IN ('waiting','pending')",
                           (counter, at, at, row["id"]))
            else:
                self._serve(counter, row, event, at, ch)
                latest[counter] = str(event.get("at"))
            ch.services.add(row["service"])

    def _serve(self, counter: str, row, event: dict, at: float, ch: Changes) -> None:
        """A missed call made again in the ledger: the counter serves the ticket, the event kept."""
        db = self.ledger.db
        self.ledger._finish(counter, "done", at, ch)
        db.execute("UPDATE tickets SET status='serving', counter=?, called_at=?, calls=?, "
                   "first_called_at=COALESCE(first_called_at, ?) WHERE id=?",
                   (counter, at, event.get("calls") or 1, at, row["id"]))
        db.execute("UPDATE counters SET status='serving', ticket_id=? WHERE id=?", (row["id"], counter))
        db.execute("INSERT INTO calls (day, event) VALUES (?,?)",
                   (self.ledger.day, json.dumps(event, ensure_ascii=False)))
        ch.counters.add(counter)

    def _unmark(self) -> None:
        try:
            os.remove(mark_path(self.cfg))
        except FileNotFoundError:
            pass
        heard = ", ".join(sorted(self.heard)) or "-"
        missing = ", ".join(sorted(self.expected - self.heard)) or "-"
        log.warning("đã đối chiếu với sảnh (đã nghe: %s; không nghe: %s), bắt đầu trả lời / reconciled with the hall "
                    "(heard: %s; not heard: %s), answering", heard, missing, heard, missing)


def _key(event: CallEvent | dict) -> tuple:
    return event.get("ticket_id"), event.get("counter"), event.get("calls")


def _timestamp(at: object) -> float:
    """A call's time as the ledger keeps it; now when it cannot be read."""
    try:
        return datetime.fromisoformat(str(at)).timestamp()
    except ValueError:
        return time.time()
