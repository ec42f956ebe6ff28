"""What the hub publishes, read from the ledger's database: ticket, counter and service state,
and the estimated wait (SPEC section 3)."""
from __future__ import annotations

import json
import math
import sqlite3
from bisect import bisect_left
from datetime import date, datetime

from ..config import SiteConfig
from ..contract import RECENT_CALLS, CallEvent, CounterState, ServiceState, TicketPayload, TwoLanguages, parse_label
from ..service_day import in_hours, iso, next_opening

OPEN_STATUSES = ("waiting", "pending")   # people holding a ticket who have not been called yet
RECENT_DONE = 20


class Views:
    """The ledger's rows as the contract's payloads (tickets with their place in the queue and estimated wait, counters,
    services): read-only, shared by the hub and the console."""

    def __init__(self, db: sqlite3.Connection, cfg: SiteConfig):
        self.db, self.cfg, self.tz = db, cfg, cfg.site.tz

    # --- tickets -----------------------------------------------------------------------
    def ticket(self, row: sqlite3.Row, day: str) -> TicketPayload:
        ahead = self.waiting_ahead(row) if row["status"] in OPEN_STATUSES else 0
        return self._payload(row, ahead, self.estimate(row["service"], ahead, day))

    def _payload(self, row: sqlite3.Row, ahead: int, minutes: int) -> TicketPayload:
        return {"id": row["id"], "label": row["label"], "service": row["service"],
                "priority": bool(row["priority"]), "status": row["status"],
                "issued_at": iso(row["issued_at"], self.tz), "waiting_ahead": ahead,
                "estimated_wait_min": minutes, "source": row["source"],
                # a reader (the console) may open a database the upgraded hub has not yet given the column
                "priority_reason": row["priority_reason"] if "priority_reason" in row.keys() else None}

    def waiting_ahead(self, row: sqlite3.Row) -> int:
        """Tickets of its service called before it: all older ones, or older priority ones."""
        sql = ("SELECT COUNT(*) FROM tickets WHERE day=? AND service=? AND status IN ('waiting','pending') "
               "AND (issued_at < ? OR (issued_at = ? AND seq < ?))")
        if row["priority"]:
            sql += " AND priority=1"
        args = (row["day"], row["service"], row["issued_at"], row["issued_at"], row["seq"])
        return self.db.execute(sql, args).fetchone()[0]

    def tickets(self, day: str, labels: list[str]) -> dict[str, dict]:
        """Many tickets of a day, each as ``ticket`` makes it (for the console's phone pages): a few
        queries in all rather than a few per ticket, plus the counter that called each. Ahead counts
        as ``waiting_ahead`` does: older open tickets of its service, only priority ones for a
        priority ticket."""
        rows = []
        for i in range(0, len(labels), 500):
            chunk = labels[i:i + 500]
            rows += self.db.execute(f"SELECT * FROM tickets WHERE day=? AND label IN ({','.join('?' * len(chunk))})",
                                    (day, *chunk)).fetchall()
        queue: dict[tuple[str, bool], list] = {}
        for service, priority, issued, seq in self.db.execute(
                "SELECT service, priority, issued_at, seq FROM tickets WHERE day=? AND status IN ('waiting','pending') "
                "ORDER BY issued_at, seq", (day,)):
            queue.setdefault((service, False), []).append((issued, seq))
            if priority:
                queue.setdefault((service, True), []).append((issued, seq))
        paces: dict[str, tuple[float, int]] = {}
        out = {}
        for r in rows:
            ahead = 0
            if r["status"] in OPEN_STATUSES:
                ahead = bisect_left(queue.get((r["service"], bool(r["priority"])), []), (r["issued_at"], r["seq"]))
            pace = paces.setdefault(r["service"], self._pace(r["service"], day))
            out[r["label"]] = {**self._payload(r, ahead, _minutes(ahead, pace)), "counter": r["counter"]}
        return out

    def estimate(self, service: str, ahead: int, day: str) -> int:
        """ahead x mean service time of the last 20 done today / active counters, rounded up."""
        return 0 if ahead <= 0 else _minutes(ahead, self._pace(service, day))

    def _pace(self, service: str, day: str) -> tuple[float, int]:
        """(minutes per ticket, counters active for the service today)."""
        times = [r[0] for r in self.db.execute(
            "SELECT finished_at - first_called_at FROM tickets WHERE day=? AND service=? AND status='done' "
            "AND first_called_at IS NOT NULL AND finished_at IS NOT NULL ORDER BY finished_at DESC LIMIT ?",
            (day, service, RECENT_DONE))]
        minutes = (sum(times) / len(times) / 60) if times else self.cfg.hub.default_service_minutes
        serving = [c.id for c in self.cfg.counters if service in c.services]
        active = self.db.execute(
            f"SELECT COUNT(*) FROM counters WHERE acted_day=? AND status!='paused' "
            f"AND id IN ({','.join('?' * len(serving))})", (day, *serving)).fetchone()[0] if serving else 0
        return minutes, active

    # --- counters ----------------------------------------------------------------------
    def counter(self, counter_id: str) -> CounterState:
        row = self.db.execute(
            "SELECT c.status, t.id, t.label, t.service, t.priority, t.called_at, t.calls FROM counters c "
            "LEFT JOIN tickets t ON t.id = c.ticket_id WHERE c.id=?", (counter_id,)).fetchone()
        serving = row is not None and row["status"] == "serving"
        return {"counter": counter_id, "status": row["status"] if row else "idle",
                "ticket": row["label"] if serving else None, "ticket_id": row["id"] if serving else None,
                "service": row["service"] if serving else None,
                "priority": bool(row["priority"]) if serving else None,
                "called_at": iso(row["called_at"], self.tz) if serving else None,
                "calls": row["calls"] if serving else 0}

    def recent_calls(self, day: str) -> list[CallEvent]:
        """The day's last call events, newest first, as they were published."""
        return [json.loads(r[0]) for r in self.db.execute(
            "SELECT event FROM calls WHERE day=? ORDER BY seq DESC LIMIT ?", (day, RECENT_CALLS))]

    # --- services ----------------------------------------------------------------------
    def service(self, service_id: str, day: str, now: datetime, clock_ok: bool = True) -> ServiceState:
        counts = dict(self.db.execute(
            "SELECT status, COUNT(*) FROM tickets WHERE day=? AND service=? GROUP BY status", (day, service_id)))
        waiting = counts.get("waiting", 0) + counts.get("pending", 0)
        last_issued = self.db.execute(
            "SELECT label FROM tickets WHERE day=? AND origin_service=? AND status!='void' "
            "ORDER BY number DESC LIMIT 1", (day, service_id)).fetchone()
        last_called = self.db.execute(
            "SELECT label FROM tickets WHERE day=? AND service=? AND called_at IS NOT NULL "
            "ORDER BY called_at DESC LIMIT 1", (day, service_id)).fetchone()
        oldest = self.db.execute(
            "SELECT MIN(issued_at) FROM tickets WHERE day=? AND status IN ('waiting','pending') AND service=?",
            (day, service_id)).fetchone()[0] if waiting else None
        issued = self.issued(service_id, day)
        reason, opens_at, _ = self.closed(service_id, day, now, issued, clock_ok)
        return {"service": service_id, "waiting": waiting, "issued": issued,
                "served": counts.get("done", 0), "no_show": counts.get("no_show", 0),
                "last_issued": last_issued[0] if last_issued else None,
                "last_called": last_called[0] if last_called else None,
                "open": reason is None, "estimated_wait_min": self.estimate(service_id, waiting, day),
                "closed_reason": reason, "opens_at": opens_at, "closed_text": self.closed_text(service_id, day),
                "oldest_waiting_at": iso(oldest, self.tz)}

    def closed_text(self, service_id: str, day: str) -> TwoLanguages | None:
        """The reason a supervisor gave for closing the service on ``day`` (SPEC 12.1), as citizens read it."""
        closure = self.cfg.by_service[service_id].closed_on(date.fromisoformat(day))
        return None if closure is None else {"vi": closure.reason.vi, "en": closure.reason.en}

    def issued(self, service_id: str, day: str) -> int:
        """Tickets handed out today by this service (a voided one never reached a citizen)."""
        return self.db.execute("SELECT COUNT(*) FROM tickets WHERE day=? AND origin_service=? AND status!='void'",
                               (day, service_id)).fetchone()[0]

    def next_number(self, service_id: str, day: str) -> int:
        """Numbers rise by one per ticket; a voided number is never reused, nor one the hall saw issued that a
        restored ledger lacks (its floor, SPEC 14)."""
        top = self.db.execute("SELECT MAX(n) FROM (SELECT MAX(number) AS n FROM tickets WHERE day=? AND "
                              "origin_service=? UNION ALL SELECT CAST(value AS INTEGER) FROM meta WHERE key=?)",
                              (day, service_id, floor_key(day, service_id))).fetchone()[0]
        return self.cfg.by_service[service_id].first if top is None else top + 1

    def service_of(self, label: str) -> tuple[str, int] | None:
        """(the service that issues ``label``, its number), or None when no service of the site issues it."""
        parsed = parse_label(label)
        if parsed is None:
            return None
        prefix, number = parsed
        for svc in self.cfg.services:
            if svc.prefix == prefix and svc.first <= number <= svc.last and svc.label(number) == label:
                return svc.id, number
        return None

    def closed(self, service_id: str, day: str, now: datetime, issued: int | None = None,
               clock_ok: bool = True) -> tuple[str | None, str | None, int]:
        """(closed_reason, opens_at, next number): why the service takes no ticket now, or None. A
        hub whose clock is wrong (SPEC 10.1) takes none, whatever its hours say."""
        svc = self.cfg.by_service[service_id]
        number = self.next_number(service_id, day)
        if not clock_ok:
            return "clock_wrong", None, number
        if svc.closed_on(date.fromisoformat(day)) is not None:
            return "service_closed", next_opening(svc, self.cfg.calendar, now, self.tz), number
        if not in_hours(svc, self.cfg.calendar, now, self.tz):
            return "outside_hours", next_opening(svc, self.cfg.calendar, now, self.tz), number
        if svc.daily_limit is not None and issued is None:
            issued = self.issued(service_id, day)
        if number > svc.last or (svc.daily_limit is not None and issued >= svc.daily_limit):
            return "daily_limit_reached", None, number
        return None, None, number


def floor_key(day: str, service_id: str) -> str:
    """The ``meta`` key of the highest number of ``service_id`` the hall saw issued on ``day`` (SPEC 14)."""
    return f"floor {day} {service_id}"


def _minutes(ahead: int, pace: tuple[float, int]) -> int:
    minutes, active = pace
    return 0 if ahead <= 0 else math.ceil(round(ahead * minutes / max(1, active), 6))
