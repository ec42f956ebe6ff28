"""A service day's figures (SPEC sections 12 and 13), per service and in total, from the ledger.

The same numbers everywhere: the hub publishes them retained as ``<R>/figures/<yyyy-mm-dd>`` (at
start, every 5 minutes and when the day ends), the console's figures page will read them from
here. Counts follow the service state's: ``issued`` leaves voided tickets out and counts by the
service that issued the number; ``served`` (done), ``no_show``, ``expired`` and ``waiting``
(waiting or pending) count where the ticket is now. The wait is issue -> first call at the
service where it is now, the service time first call -> done; seconds, null when there is nothing
to measure. The 90th percentile is the nearest rank.
"""
from __future__ import annotations

import math
import sqlite3
import statistics
from datetime import datetime
from zoneinfo import ZoneInfo


def percentile(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def _seconds(v: float | None) -> float | None:
    return None if v is None else round(v, 1)


def _durations(values: list[float], name: str) -> dict:
    return {f"{name}_median_s": _seconds(statistics.median(values)) if values else None,
            f"{name}_p90_s": _seconds(percentile(values, 90)), f"{name}_max_s": _seconds(max(values, default=None))}


def _measures(rows: list[sqlite3.Row], ratings: list[int]) -> dict:
    by = {s: sum(1 for t in rows if t["status"] == s) for s in ("done", "no_show", "expired", "void")}
    waits = [t["first_called_at"] - t["issued_at"] for t in rows if t["first_called_at"] is not None]
    service = [t["finished_at"] - t["first_called_at"] for t in rows
               if t["status"] == "done" and t["first_called_at"] is not None and t["finished_at"] is not None]
    return {"issued": sum(1 for t in rows if t["status"] != "void"), "served": by["done"],
            "no_show": by["no_show"], "void": by["void"], "expired": by["expired"],
            "waiting": sum(1 for t in rows if t["status"] in ("waiting", "pending")),
            **_durations(waits, "wait"), **_durations(service, "service"),
            "ratings": {str(s): ratings.count(s) for s in (1, 2, 3)}}


def day_figures(db: sqlite3.Connection, day: str, services: list[str], tz: ZoneInfo) -> dict:
    """``{"day", "at", "total": F, "services": {S: F}}`` for one service day."""
    cur = db.cursor()
    cur.row_factory = sqlite3.Row
    tickets = cur.execute("SELECT id, origin_service, service, status, issued_at, first_called_at, finished_at "
                          "FROM tickets WHERE day=?", (day,)).fetchall()
    rated = db.execute("SELECT ticket_id, score FROM ratings WHERE day=?", (day,)).fetchall()

    def scores(rows) -> list[int]:
        ids = {t["id"] for t in rows}
        return [score for ticket, score in rated if ticket in ids]

    per = {}
    for s in services:
        counted = [t for t in tickets if t["service"] == s]
        issued_here = [t for t in tickets if t["origin_service"] == s]
        per[s] = {**_measures(counted, scores(counted)),
                  "issued": sum(1 for t in issued_here if t["status"] != "void"),
                  "void": sum(1 for t in issued_here if t["status"] == "void")}
    return {"day": day, "at": datetime.now(tz).isoformat(timespec="seconds"),
            "total": _measures(tickets, scores(tickets)), "services": per}
