"""The figures of a service day or a range of days (SPEC sections 12 and 13), from the ledger.

The same numbers everywhere: the hub publishes a day's total and services retained as
``<R>/figures/<yyyy-mm-dd>``, the console's figures page and its XLSX and CSV read
``range_figures`` over the same rows. Counts follow the service state's: ``issued`` leaves voided
tickets out and counts by the service that issued the number; ``served`` (done), ``no_show``,
``expired`` and ``waiting`` (waiting or pending) count where the ticket is now. The wait is
issue -> first call at the service where it is now, the service time first call -> done; seconds,
null when there is nothing to measure. The 90th percentile is the nearest rank. An hour is the
hour of issue in the site's zone; a counter's figures are the tickets it finished, its pauses
(an open one counts until ``now``) and the ratings given at it.
"""
from __future__ import annotations

import math
import sqlite3
import statistics
import time
from collections import defaultdict
from datetime import datetime
from zoneinfo import ZoneInfo

TICKET_COLUMNS = "id, day, origin_service, service, status, counter, issued_at, first_called_at, finished_at, source"
SMS = "sms"          # a number taken by SMS (SPEC 3.1); every other source is a walk-in (kiosk, console)


def percentile(values: list[float], p: float) -> float | None:
    """The nearest-rank ``p``-th percentile (0-100) of ``values``, always one of them; None for no values, shown as an
    empty cell."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def _seconds(v: float | None) -> float | None:
    return None if v is None else round(v, 1)


def _durations(values: list[float], name: str) -> dict:
    return {f"{name}_median_s": _seconds(statistics.median(values)) if values else None,
            f"{name}_p90_s": _seconds(percentile(values, 90)), f"{name}_max_s": _seconds(max(values, default=None))}


def _service_times(rows) -> list[float]:
    return [t["finished_at"] - t["first_called_at"] for t in rows
            if t["status"] == "done" and t["first_called_at"] is not None and t["finished_at"] is not None]


def _ratings(scores: list[int]) -> dict:
    return {str(s): scores.count(s) for s in (1, 2, 3)}


def _by_source(rows: list) -> dict:
    """Issued numbers (voided ones left out) split by how they were taken: walk-in and SMS."""
    issued = [t for t in rows if t["status"] != "void"]
    sms = sum(1 for t in issued if t["source"] == SMS)
    return {"issued_walk_in": len(issued) - sms, "issued_sms": sms}


def _measures(rows: list, scores: list[int]) -> dict:
    by = {s: sum(1 for t in rows if t["status"] == s) for s in ("done", "no_show", "expired", "void")}
    waits = [t["first_called_at"] - t["issued_at"] for t in rows if t["first_called_at"] is not None]
    return {"issued": sum(1 for t in rows if t["status"] != "void"), "served": by["done"],
            "no_show": by["no_show"], "void": by["void"], "expired": by["expired"],
            "waiting": sum(1 for t in rows if t["status"] in ("waiting", "pending")),
            **_durations(waits, "wait"), **_durations(_service_times(rows), "service"),
            "ratings": _ratings(scores)}


def satisfied_share(ratings: dict) -> float | None:
    """Hài lòng (2) and Rất hài lòng (3) among all ratings, as a percentage."""
    total = sum(ratings.values())
    return None if total == 0 else round(100 * (ratings["2"] + ratings["3"]) / total, 1)


def satisfaction_index(figures: dict) -> float | None:
    """The satisfaction index of Decision 766/QĐ-TTg for one row of figures: the cases handled minus the dissatisfied
    ratings (score 1), over the cases handled, as a percentage (SPEC 12.1). The ledger links no ticket to a dossier, so
    a case is a ticket served; None when none was."""
    served = figures.get("served") or 0
    if not served:
        return None
    unhappy = (figures.get("ratings") or {}).get("1", 0)
    return round(100 * max(0, served - unhappy) / served, 1)


class _Rows:
    """The tickets, ratings and pauses of the days ``first``..``last`` (ISO dates), read once."""

    def __init__(self, db: sqlite3.Connection, first: str, last: str):
        cur = db.cursor()
        cur.row_factory = sqlite3.Row
        self.tickets = cur.execute(f"SELECT {TICKET_COLUMNS} FROM tickets WHERE day BETWEEN ? AND ?",
                                   (first, last)).fetchall()
        self.rated = db.execute("SELECT ticket_id, counter, score FROM ratings WHERE day BETWEEN ? AND ?",
                                (first, last)).fetchall()
        self.pauses = db.execute("SELECT counter, started, ended FROM pauses WHERE day BETWEEN ? AND ?",
                                 (first, last)).fetchall()

    def scores(self, rows) -> list[int]:
        ids = {t["id"] for t in rows}
        return [score for ticket, _, score in self.rated if ticket in ids]

    def services(self, services: list[str]) -> dict:
        per = {}
        for s in services:
            counted = [t for t in self.tickets if t["service"] == s]
            issued_here = [t for t in self.tickets if t["origin_service"] == s]
            per[s] = {**_measures(counted, self.scores(counted)),
                      "issued": sum(1 for t in issued_here if t["status"] != "void"),
                      "void": sum(1 for t in issued_here if t["status"] == "void")}
        return per


def day_figures(db: sqlite3.Connection, day: str, services: list[str], tz: ZoneInfo) -> dict:
    """``{"day", "at", "total": F, "services": {S: F}}`` for one service day (SPEC section 13)."""
    rows = _Rows(db, day, day)
    return {"day": day, "at": datetime.now(tz).isoformat(timespec="seconds"),
            "total": _measures(rows.tickets, rows.scores(rows.tickets)), "services": rows.services(services)}


def range_figures(db: sqlite3.Connection, first: str, last: str, services: list[str], counters: list[str],
                  tz: ZoneInfo, now: float | None = None) -> dict:
    """Everything the figures page shows for the days ``first``..``last``: the total, per service,
    per hour of issue, per counter and per day."""
    now = time.time() if now is None else now
    rows = _Rows(db, first, last)
    hours: dict[int, list] = defaultdict(list)
    days: dict[str, list] = defaultdict(list)
    for t in rows.tickets:
        hours[datetime.fromtimestamp(t["issued_at"], tz).hour].append(t)
        days[t["day"]].append(t)
    per_service = rows.services(services)
    for s, f in per_service.items():       # the console's figures only: SPEC 13's published F keeps its keys
        f.update(_by_source([t for t in rows.tickets if t["origin_service"] == s]))
    return {"first": first, "last": last, "total": _measures(rows.tickets, rows.scores(rows.tickets)),
            "services": per_service,
            "hours": {h: _measures(hours[h], rows.scores(hours[h])) for h in sorted(hours)},
            "days": {d: _measures(days[d], rows.scores(days[d])) for d in sorted(days)},
            "counters": {c: _counter(rows, c, now) for c in counters}}


def _counter(rows: _Rows, counter: str, now: float) -> dict:
    finished = [t for t in rows.tickets if t["counter"] == counter and t["status"] == "done"]
    ratings = _ratings([score for _, c, score in rows.rated if c == counter])
    paused = sum((ended if ended is not None else now) - started for c, started, ended in rows.pauses
                 if c == counter)
    return {"served": len(finished), **_durations(_service_times(finished), "service"),
            "paused_s": round(max(0.0, paused), 1), "ratings": ratings, "satisfied_pct": satisfied_share(ratings)}
