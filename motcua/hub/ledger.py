"""The queue ledger (SPEC section 3): the one writer of tickets and counters.

Every request runs in one IMMEDIATE transaction that first settles time (the day change, stale
pending tickets), then applies the rule, then records the reply under its ``command_id``: a
repeated command gets the first reply and changes nothing, error replies included.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import date, datetime

from ..config import SiteConfig
from ..contract import ACTION_ARGUMENT, ACTIONS, PENDING_TIMEOUT_S, ContractError
from . import store
from .calendar import Clock, iso, service_day, system_clock
from .figures import day_figures
from .views import Views

log = logging.getLogger("motcua.hub.ledger")


@dataclass
class Changes:
    """What a request changed, so the front republishes just that."""
    counters: set[str] = field(default_factory=set)
    services: set[str] = field(default_factory=set)
    calls: list[dict] = field(default_factory=list)
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
    reply: dict
    changes: Changes


class Ledger:
    def __init__(self, cfg: SiteConfig, db_path: str | None = None, clock: Clock = system_clock):
        self.cfg, self.clock, self.tz = cfg, clock, cfg.site.tz
        self.db = store.connect(db_path or cfg.hub.database)
        self.views = Views(self.db, cfg)
        with store.transaction(self.db):
            self.db.executemany("INSERT OR IGNORE INTO counters (id) VALUES (?)", [(c.id,) for c in cfg.counters])

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
        return store.transaction(self.db)

    # --- the requests of SPEC section 4 ------------------------------------------------
    def issue(self, service: str, priority: bool = False, confirm: bool = False, source: str | None = None,
              command_id: str | None = None) -> Outcome:
        return self._apply(command_id, lambda now, ch: self._issue(service, priority, confirm, source, now, ch))

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
        with store.transaction(self.db):
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
        with store.transaction(self.db):
            self._settle_time(now, ch)
            self._promote_stale_pending(now.timestamp())
        return ch

    # --- state for publishing ------------------------------------------------------------
    def figures(self, day: str | None = None) -> dict:
        return day_figures(self.db, day or self.day, [s.id for s in self.cfg.services], self.tz)

    def recent_calls(self) -> dict:
        """``<R>/calls/recent``: the service day's last calls, newest first, from the database, so a
        restarted hub says the same as before."""
        return {"day": self.day, "calls": self.views.recent_calls(self.day)}

    def counter_state(self, counter: str) -> dict:
        return self.views.counter(counter)

    def service_state(self, service: str) -> dict:
        return self.views.service(service, self.day, self.clock())

    # --- the transaction around every request -------------------------------------------
    def _apply(self, command_id: str | None, fn) -> Outcome:
        now = self.clock()
        ch = Changes()
        with store.transaction(self.db):
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
        """The day change, checked on every request and by the timer."""
        today = service_day(now, self.tz, self.cfg.site.day_start).isoformat()
        if today != self.day:
            self._change_day(today, now.timestamp())
            ch.everything = True

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

    # --- tickets -----------------------------------------------------------------------
    def _issue(self, service: str, priority: bool, confirm: bool, source: str | None, now: float,
               ch: Changes) -> dict:
        svc = self.cfg.by_service.get(service)
        if svc is None:
            raise ContractError("unknown_service", f"{service!r}", f"{service!r}")
        reason, opens_at, number = self.views.closed(service, self.day, datetime.fromtimestamp(now, self.tz))
        if reason == "outside_hours":
            raise ContractError(reason, f"mở lại lúc {opens_at}", f"opens again at {opens_at}")
        if reason is not None:
            raise ContractError(reason, svc.name.vi, svc.name.en)
        label = svc.label(number)
        ticket_id = f"{self.day.replace('-', '')}-{label}"
        self.db.execute(
            "INSERT INTO tickets (id, day, origin_service, service, number, label, priority, status, source, "
            "issued_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (ticket_id, self.day, service, service, number, label, int(priority),
             "pending" if confirm else "waiting", source, now))
        ch.services.add(service)
        return {"ok": True, "ticket": self.views.ticket(self._ticket(ticket_id), self.day)}

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
        event = {"counter": counter, "ticket": t["label"], "ticket_id": t["id"], "service": t["service"],
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
                            (self.day, ticket)).fetchone()
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
