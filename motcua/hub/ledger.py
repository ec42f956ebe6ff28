"""The queue ledger (SPEC section 3): the one writer of tickets and counters.

Every request runs in one IMMEDIATE transaction that first settles time (the day change, stale
pending tickets), then applies the rule, then records the reply under its ``command_id``: a
repeated command gets the first reply and changes nothing, error replies included.
"""
from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from ..config import SiteConfig
from ..contract import (
    ACTION_ARGUMENT,
    ACTIONS,
    PENDING_TIMEOUT_S,
    CallEvent,
    ContractError,
    CounterState,
    HubClock,
    RecentCalls,
    ServiceState,
    ticket_id_of,
)
from ..db import transaction
from ..service_day import Clock, iso, service_day, system_clock
from . import holders as persons
from . import store
from .figures import day_figures
from .views import Views, floor_key
from .wire import Holder

log = logging.getLogger(__name__)


@dataclass
class Changes:
    """What a request changed, so the front republishes just that."""
    counters: set[str] = field(default_factory=set)
    services: set[str] = field(default_factory=set)
    calls: list[CallEvent] = field(default_factory=list)
    everything: bool = False

    def __bool__(self) -> bool:
        return bool(self.counters or self.services or self.calls or self.everything)

    def absorb(self, other: Changes) -> None:
        self.counters |= other.counters
        self.services |= other.services
        self.calls += other.calls
        self.everything = self.everything or other.everything


@dataclass
class Outcome:
    """A request's result: the reply to send to the asker, and what changed, so the hub republishes only those states
    after the commit."""
    reply: dict
    changes: Changes


SEEN_SOURCE = "seen"   # the source of a ticket taken in from what the hall saw, missing from a restored ledger
STEP_S = 60.0      # the wall clock moved this much more than the steady one: it was stepped, not slewed
DAY_S = 86400.0
WRONG = {"behind": ("chậm hơn số cuối đã phát", "behind the last ticket"),
         "ahead": ("nhảy tới hơn một ngày", "jumped more than a day ahead")}


@dataclass(frozen=True)
class ClockVerdict:
    """Whether the hub may date a ticket by its clock (SPEC 10.1), as ``status/hub/clock`` says it:
    why not (``behind`` the last ticket or the ledger's day; ``ahead`` of the last ticket by more
    than a day after an unexplained step), since when, and what the clock and the last ticket said
    (refreshed each minute while it is wrong, so the hall sees the hub's clock move)."""
    reason: str | None
    since: float
    hub_time: float
    last_ticket_at: float | None

    @property
    def ok(self) -> bool:
        return self.reason is None


class Ledger:
    """The queue's one writer (SPEC section 4): tickets, counters and the service day in SQLite; ``batch`` groups
    several requests in one commit. It also judges the system clock, since a wrong one would misdate tickets and the
    day's change."""

    def __init__(self, cfg: SiteConfig, db_path: str | None = None, clock: Clock = system_clock,
                 steady: Callable[[], float] | None = None):
        """``steady`` is a clock nobody sets, against which a step of ``clock`` shows: by default the
        board's monotonic clock beside the system's, and for any other clock (a test's) that clock
        itself, so that moving it is time passing, never a step."""
        self.cfg, self.clock, self.tz = cfg, clock, cfg.site.tz
        self.steady = steady or (time.monotonic if clock is system_clock else lambda: clock().timestamp())
        self.db = store.connect(db_path or cfg.hub.database)
        self.views = Views(self.db, cfg)
        with transaction(self.db):
            self.db.executemany("INSERT OR IGNORE INTO counters (id) VALUES (?)", [(c.id,) for c in cfg.counters])
        now = self.clock()
        self._read = (now.timestamp(), self.steady())   # (wall, steady) at the last reading of the clock
        self._stepped = False       # an unexplained forward step seen, and the clock still over a day ahead
        self._issued = False        # a ticket issued in this run: the clock is in use
        self._forgot = False        # a day change forgot the hashes: the timer's tick purges the -wal of them
        # trusted until the first reading below judges it (which logs only a clock found wrong)
        self.verdict = ClockVerdict(None, now.timestamp(), now.timestamp(), self._last_ticket_at())
        self._judge_clock(now, Changes())

    @property
    def day(self) -> str:
        """The service day the database is in. Read from it, never kept in memory: a day change
        rolled back with its batch is then simply run again by the next request."""
        row = self.db.execute("SELECT value FROM meta WHERE key='day'").fetchone()
        return row[0] if row else ""

    def close(self) -> None:
        self.db.close()

    def batch(self):
        """One transaction around several requests: one fsync for all (group commit)."""
        return transaction(self.db)

    # --- the requests of SPEC section 4 ------------------------------------------------
    def issue(self, service: str, priority: bool = False, confirm: bool = False, source: str | None = None,
              command_id: str | None = None, holders: tuple[Holder, ...] = ()) -> Outcome:
        return self._apply(command_id, lambda now, ch: self._issue(service, priority, confirm, source, now, ch,
                                                                   holders))

    def confirm(self, ticket_id: str, command_id: str | None = None) -> Outcome:
        return self._apply(command_id, lambda now, ch: self._settle(ticket_id, "waiting", None, ch))

    def void(self, ticket_id: str, reason: str | None = None, command_id: str | None = None) -> Outcome:
        return self._apply(command_id, lambda now, ch: self._settle(ticket_id, "void", reason, ch))

    def command(self, counter: str, action: str, *, service: str | None = None, ticket: str | None = None,
                command_id: str | None = None) -> Outcome:
        def run(now: float, ch: Changes) -> dict:
            if counter not in self.cfg.by_counter:
                raise ContractError("unknown_counter", f"quầy {counter!r}", f"counter {counter!r}")
            if action not in RULES:
                raise ContractError("bad_request", f"lệnh {action!r} không có", f"unknown action {action!r}")
            needed = ACTION_ARGUMENT.get(action)
            if needed is not None and {"service": service, "ticket": ticket}[needed] is None:
                raise ContractError("bad_request", f"lệnh {action} cần trường '{needed}'",
                                    f"{action} needs the field '{needed}'")
            self._promote_stale_pending(now)
            RULES[action](self, counter, now, ch, service=service, ticket=ticket)
            self._record_pause(counter, now)
            self.db.execute("UPDATE counters SET acted_day=? WHERE id=?", (self.day, counter))
            ch.counters.add(counter)
            ch.services.update(self.cfg.by_counter[counter].services)
            return {"ok": True, "state": self.views.counter(counter)}
        return self._apply(command_id, run)

    def rate(self, counter: str, score: int, command_id: str | None = None) -> tuple[str | None, Changes]:
        """Record a rating against the ticket served, or the one finished last: (that ticket, or None
        if there is nothing to rate; what changed, since a rating may be the first act of a day)."""
        now, ch = self.clock(), Changes()
        with transaction(self.db):
            self._settle_time(now, ch)
            row = self.db.execute("SELECT COALESCE(ticket_id, last_ticket_id) FROM counters WHERE id=?",
                                  (counter,)).fetchone()
            if row is None or row[0] is None:
                return None, ch
            cid = command_id or f"anon-{now.timestamp()}"
            self.db.execute("INSERT OR IGNORE INTO ratings VALUES (?,?,?,?,?,?)",
                            (self.day, cid, counter, row[0], score, now.timestamp()))
            return row[0], ch

    def tick(self) -> Changes:
        """Run by the hub's timer: the day change and stale pending tickets, without a request."""
        ch, now = Changes(), self.clock()
        with transaction(self.db):
            self._settle_time(now, ch)
            self._promote_stale_pending(now.timestamp())
        if self._forgot and not self.db.in_transaction:     # committed (the reconciler's tick runs in a batch)
            self._forgot = False        # once: a reader in the way (Litestream) is not waited for again
            persons.purge_wal(self.db)
        return ch

    # --- state for publishing ------------------------------------------------------------
    def figures(self, day: str | None = None) -> dict:
        return day_figures(self.db, day or self.day, [s.id for s in self.cfg.services], self.tz)

    def recent_calls(self) -> RecentCalls:
        """``<R>/calls/recent``: the service day's last calls, newest first, from the database, so a
        restarted hub says the same as before."""
        return {"day": self.day, "calls": self.views.recent_calls(self.day)}

    def counter_state(self, counter: str) -> CounterState:
        return self.views.counter(counter)

    def service_state(self, service: str) -> ServiceState:
        return self.views.service(service, self.day, self.clock(), clock_ok=self.verdict.ok)

    def clock_state(self) -> HubClock:
        """``<R>/status/hub/clock``: the verdict on the hub's clock, unchanged between its changes
        (and its minutes while wrong), so the retained topic is sent only then."""
        v = self.verdict
        return {"ok": v.ok, "reason": v.reason, "hub_time": iso(v.hub_time, self.tz),
                "last_ticket_at": iso(v.last_ticket_at, self.tz), "since": iso(v.since, self.tz)}

    # --- the transaction around every request -------------------------------------------
    def _apply(self, command_id: str | None, fn) -> Outcome:
        now = self.clock()
        ch = Changes()
        with transaction(self.db):
            self._settle_time(now, ch)
            if command_id is not None:
                seen = self.db.execute("SELECT reply FROM commands WHERE day=? AND command_id=?",
                                       (self.day, command_id)).fetchone()
                if seen is not None:
                    return Outcome(json.loads(seen[0]), ch)
            try:
                reply = fn(now.timestamp(), ch)
            except ContractError as e:
                reply = e.reply()
            if command_id is not None:
                self.db.execute("INSERT INTO commands VALUES (?,?,?)",
                                (self.day, command_id, json.dumps(reply, ensure_ascii=False)))
        return Outcome(reply, ch)

    def _settle_time(self, now: datetime, ch: Changes) -> None:
        """The clock judged, then the day change, checked on every request and by the timer. The day
        never goes back, nor on by a clock judged wrong: yesterday on the clock expires nothing."""
        self._judge_clock(now, ch)
        today = self._today(now)
        if today > self.day and self.verdict.ok:
            self._change_day(today, now.timestamp())
            ch.everything = True

    def _today(self, now: datetime) -> str:
        return service_day(now, self.tz, self.cfg.site.day_start).isoformat()

    def _judge_clock(self, now: datetime, ch: Changes) -> None:
        """SPEC 10.1: no ticket dated before the last one. The clock is wrong while it is behind the
        last ticket (or the ledger's service day), or more than a day ahead of the last ticket after
        an unexplained forward step: one seen while running, after this run issued a ticket by the
        clock before it, and not the correction of a clock found behind. A board setting its time
        at boot, a technician before opening, a hub that was off for two days: all explained. The
        hub goes on by itself as soon as the clock is right again."""
        wall, steady = now.timestamp(), self.steady()
        last = self._last_ticket_at()
        stepped = (wall - self._read[0]) - (steady - self._read[1]) > STEP_S
        self._read = (wall, steady)
        if stepped and self.verdict.ok and self._issued:
            self._stepped = True
        self._stepped = self._stepped and last is not None and wall > last + DAY_S
        behind = (last is not None and wall < last) or self._today(now) < self.day
        reason = "behind" if behind else "ahead" if self._stepped else None
        v = self.verdict
        if reason != v.reason:
            self._tell_clock(reason, wall, last)
            self.verdict = ClockVerdict(reason, wall, wall, last)
            ch.services.update(self.cfg.by_service)
        elif reason is not None and wall // 60 != v.hub_time // 60:
            self.verdict = replace(v, hub_time=wall, last_ticket_at=last)

    def _tell_clock(self, reason: str | None, wall: float, last: float | None) -> None:
        """The log says it once when the verdict changes, not at every reading."""
        now, then = iso(wall, self.tz), iso(last, self.tz)
        if reason is not None:
            log.error("đồng hồ máy chủ sai (%s): %s, số cuối phát lúc %s; không phát số đến khi chỉnh giờ / "
                      "the hub's clock is wrong (%s): %s, last ticket at %s; no tickets until the time is set",
                      WRONG[reason][0], now, then, WRONG[reason][1], now, then)
        else:
            log.warning("đồng hồ máy chủ đúng trở lại: %s; phát số tiếp / the hub's clock is right again: %s; "
                        "issuing tickets", now, now)

    def _last_ticket_at(self) -> float | None:
        """When the last ticket was issued: in the latest day that has tickets (days never go back)."""
        return self.db.execute("SELECT MAX(issued_at) FROM tickets WHERE day=(SELECT MAX(day) FROM tickets)"
                               ).fetchone()[0]

    def _clock_error(self) -> ContractError:
        hub, last = iso(self._read[0], self.tz), iso(self.verdict.last_ticket_at, self.tz)
        return ContractError("clock_wrong", f"giờ máy chủ {hub}, số cuối phát lúc {last}",
                             f"hub time {hub}, last ticket at {last}")

    def _promote_stale_pending(self, now: float) -> None:
        """A pending ticket not settled in 60 s waits: a printed ticket is never lost. Only who can
        be called depends on it (waiting counts include pending ones), so counters run it first."""
        self.db.execute("UPDATE tickets SET status='waiting' WHERE status='pending' AND day=? AND issued_at<=?",
                        (self.day, now - PENDING_TIMEOUT_S))

    def _change_day(self, today: str, ts: float) -> None:
        """Waiting tickets expire, serving ones are done, every counter is idle."""
        log.info("ngày phục vụ mới / new service day: %s", today)
        self.db.execute("UPDATE tickets SET status='expired' WHERE status IN ('waiting','pending') AND day<?",
                        (today,))
        self.db.execute("UPDATE tickets SET status='done', finished_at=? WHERE status='serving' AND day<?",
                        (ts, today))
        self.db.execute("UPDATE counters SET status='idle', ticket_id=NULL, normal_run=0, last_ticket_id=NULL")
        day_start = datetime.combine(date.fromisoformat(today), self.cfg.site.day_start, self.tz).timestamp()
        self.db.execute("UPDATE pauses SET ended=? WHERE ended IS NULL", (min(ts, day_start),))
        self.db.execute("INSERT OR REPLACE INTO meta VALUES ('day', ?)", (today,))
        self.db.execute("DELETE FROM meta WHERE key LIKE 'floor %' AND key < ?", (floor_key(today, ""),))
        persons.forget_before(self.db, today)
        self._forgot = True

    # --- tickets -----------------------------------------------------------------------
    def _issue(self, service: str, priority: bool, confirm: bool, source: str | None, now: float,
               ch: Changes, holders: tuple[Holder, ...] = ()) -> dict:
        svc = self.cfg.by_service.get(service)
        if svc is None:
            raise ContractError("unknown_service", f"{service!r}", f"{service!r}")
        persons.allowed(svc, source)
        reason, opens_at, number = self.views.closed(service, self.day, datetime.fromtimestamp(now, self.tz),
                                                     clock_ok=self.verdict.ok)
        if reason == "clock_wrong":
            raise self._clock_error()
        if reason == "outside_hours":
            raise ContractError(reason, f"mở lại lúc {opens_at}" if opens_at else "chưa có lịch mở lại",
                                f"opens again at {opens_at}" if opens_at else "no opening planned")
        if reason == "service_closed":
            said = self.views.closed_text(service, self.day) or {"vi": "", "en": ""}
            raise ContractError(reason, f"{svc.name.vi} — {said['vi']}", f"{svc.name.en} — {said['en']}")
        if reason is not None:
            raise ContractError(reason, svc.name.vi, svc.name.en)
        persons.check(self.db, self.cfg, svc, self.day, source, holders)
        why = "age" if persons.elderly(self.cfg, holders, now) else ("asked" if priority else None)
        ticket_id = self.insert_ticket(service, number, "pending" if confirm else "waiting", source, now, why)
        persons.record(self.db, ticket_id, self.day, service, holders)
        ch.services.add(service)
        self._issued = True
        return {"ok": True, "ticket": self.views.ticket(self._ticket(ticket_id), self.day)}

    def insert_ticket(self, service: str, number: int, status: str, source: str | None, now: float,
                      why: str | None = None) -> str:
        """A new row of today's tickets; its id."""
        label = self.cfg.by_service[service].label(number)
        tid = ticket_id_of(self.day, label)
        self.db.execute(
            "INSERT INTO tickets (id, day, origin_service, service, number, label, priority, status, source, "
            "issued_at, priority_reason) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (tid, self.day, service, service, number, label, int(why is not None), status, source, now, why))
        return tid

    def take_in(self, label: str, now: float, status: str = "waiting"):
        """A label the hall saw issued that this (restored) ledger lacks (SPEC 14): recorded with ``status`` so the
        citizen holding it is served; None when the label is in the ledger or was never seen issued."""
        found = self.views.service_of(label)
        if found is None:
            return None
        service, number = found
        if number >= self.views.next_number(service, self.day) or self.db.execute(
                "SELECT 1 FROM tickets WHERE day=? AND label=?", (self.day, label)).fetchone() is not None:
            return None
        log.warning("nhận số %s mà bản sao sổ thiếu / taking in %s, seen issued but missing from the restored "
                    "ledger", label, label)
        return self._ticket(self.insert_ticket(service, number, status, SEEN_SOURCE, now))

    def _settle(self, ticket_id: str, to: str, reason: str | None, ch: Changes) -> dict:
        """confirm (pending -> waiting) or void (pending|waiting -> void)."""
        row = self._ticket(ticket_id)
        allowed = ("pending", "waiting")
        if row is None or row["day"] != self.day or row["status"] not in allowed:
            state = row["status"] if row is not None else "không có / none"
            raise ContractError("unknown_ticket", f"{ticket_id!r} ({state})", f"{ticket_id!r} ({state})")
        self.db.execute("UPDATE tickets SET status=?, void_reason=? WHERE id=?", (to, reason, ticket_id))
        ch.services.add(row["service"])
        return {"ok": True, "ticket": self.views.ticket(self._ticket(ticket_id), self.day)}

    def _ticket(self, ticket_id: str):
        return self.db.execute("SELECT * FROM tickets WHERE id=?", (ticket_id,)).fetchone()

    # --- counters ----------------------------------------------------------------------
    def _counter(self, counter: str):
        return self.db.execute("SELECT * FROM counters WHERE id=?", (counter,)).fetchone()

    def _serving(self, counter: str):
        c = self._counter(counter)
        return self._ticket(c["ticket_id"]) if c["status"] == "serving" and c["ticket_id"] else None

    def _finish(self, counter: str, status: str, now: float, ch: Changes) -> None:
        """The serving ticket (if any) ends as done or no_show; the counter is idle."""
        t = self._serving(counter)
        if t is not None:
            self.db.execute("UPDATE tickets SET status=?, finished_at=? WHERE id=?", (status, now, t["id"]))
            self.db.execute("UPDATE counters SET last_ticket_id=? WHERE id=?", (t["id"], counter))
            ch.services.add(t["service"])
        self.db.execute("UPDATE counters SET status='idle', ticket_id=NULL WHERE id=?", (counter,))

    def _call(self, counter: str, t, now: float, ch: Changes, recall: bool = False) -> None:
        calls = (t["calls"] + 1) if recall else 1
        self.db.execute(
            "UPDATE tickets SET status='serving', counter=?, called_at=?, calls=?, "
            "first_called_at=COALESCE(first_called_at, ?) WHERE id=?", (counter, now, calls, now, t["id"]))
        self.db.execute("UPDATE counters SET status='serving', ticket_id=? WHERE id=?", (t["id"], counter))
        ch.services.add(t["service"])
        event: CallEvent = {"counter": counter, "ticket": t["label"], "ticket_id": t["id"], "service": t["service"],
                            "recall": recall, "calls": calls, "at": iso(now, self.tz)}
        self.db.execute("INSERT INTO calls (day, event) VALUES (?,?)", (self.day, json.dumps(event)))
        ch.calls.append(event)

    def _select(self, counter: str):
        """The next ticket for a counter: oldest first, priority by the site's mode."""
        c = self._counter(counter)
        prefs = self.cfg.by_counter[counter].services
        order = "CASE service " + " ".join(f"WHEN ? THEN {i}" for i in range(len(prefs))) + " END"
        sql = (f"SELECT * FROM tickets WHERE day=? AND status='waiting' AND priority=? AND service IN "
               f"({','.join('?' * len(prefs))}) ORDER BY issued_at, {order}, seq LIMIT 1")
        prio = self.db.execute(sql, (self.day, 1, *prefs, *prefs)).fetchone()
        normal = self.db.execute(sql, (self.day, 0, *prefs, *prefs)).fetchone()
        mode = self.cfg.priority
        if prio is not None and normal is not None and mode.mode == "alternate":
            pick = prio if c["normal_run"] >= mode.ratio else normal
        else:
            pick = prio or normal
        if pick is not None:
            run = "0" if pick["priority"] else "normal_run + 1"
            self.db.execute(f"UPDATE counters SET normal_run={run} WHERE id=?", (counter,))
        return pick

    def _on_next(self, counter, now, ch, finish="done", **_):
        self._finish(counter, finish, now, ch)
        t = self._select(counter)
        if t is not None:
            self._call(counter, t, now, ch)

    def _on_skip(self, counter, now, ch, **_):
        self._require_serving(counter)
        self._on_next(counter, now, ch, finish="no_show")

    def _on_done(self, counter, now, ch, **_):
        self._require_serving(counter)
        self._finish(counter, "done", now, ch)

    def _on_recall(self, counter, now, ch, **_):
        t = self._serving(counter)
        if t is None:
            raise ContractError("nothing_to_recall", f"quầy {counter}", f"counter {counter}")
        self._call(counter, t, now, ch, recall=True)

    def _on_transfer(self, counter, now, ch, service=None, **_):
        t = self._require_serving(counter)
        if service not in self.cfg.by_service:
            raise ContractError("unknown_service", f"{service!r}", f"{service!r}")
        self.db.execute("UPDATE tickets SET status='waiting', service=?, counter=NULL, calls=0, "
                        "first_called_at=NULL WHERE id=?", (service, t["id"]))
        self.db.execute("UPDATE counters SET status='idle', ticket_id=NULL, last_ticket_id=? WHERE id=?",
                        (t["id"], counter))
        ch.services.update((t["service"], service))

    def _on_call(self, counter, now, ch, ticket=None, **_):
        t = self.db.execute("SELECT * FROM tickets WHERE day=? AND label=? AND status IN ('waiting','no_show')",
                            (self.day, ticket)).fetchone() or self.take_in(ticket, now)
        if t is None:
            raise ContractError("unknown_ticket", f"số {ticket!r} không chờ gọi", f"{ticket!r} is not waiting")
        self._finish(counter, "done", now, ch)
        self._call(counter, t, now, ch)

    def _on_pause(self, counter, now, ch, **_):
        self._finish(counter, "done", now, ch)
        self.db.execute("UPDATE counters SET status='paused' WHERE id=?", (counter,))

    def _on_resume(self, counter, now, ch, **_):
        self.db.execute("UPDATE counters SET status='idle' WHERE id=? AND status='paused'", (counter,))

    def _record_pause(self, counter: str, now: float) -> None:
        """A pause lasts from the PAUSE that made the counter paused to whatever ended it."""
        paused = self._counter(counter)["status"] == "paused"
        open_pause = self.db.execute("SELECT 1 FROM pauses WHERE counter=? AND ended IS NULL",
                                     (counter,)).fetchone() is not None
        if paused and not open_pause:
            self.db.execute("INSERT INTO pauses VALUES (?,?,?,NULL)", (counter, self.day, now))
        elif open_pause and not paused:
            self.db.execute("UPDATE pauses SET ended=? WHERE counter=? AND ended IS NULL", (now, counter))

    def _require_serving(self, counter):
        t = self._serving(counter)
        if t is None:
            raise ContractError("not_serving", f"quầy {counter} không phục vụ số nào",
                                f"counter {counter} serves no ticket")
        return t


RULES = {action: getattr(Ledger, f"_on_{action}") for action in ACTIONS}   # SPEC section 3, one each
