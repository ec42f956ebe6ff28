"""The overdue watch (SPEC section 11): the open dossiers due by the next working day. The
follow-up prints it every morning and the console shows the same list, so both read it here."""
from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from .contract import DOSSIER_OPEN
from .followup.events import local_date
from .followup.hours import next_working
from .hub import dossiers


@dataclass(frozen=True)
class WatchRow:
    """One line of the overdue watch; ``state`` is written as the agency reads it, and ``apology_due`` says a letter of
    apology must go out before the due date."""
    agency: str
    code: str
    procedure: str
    applicant: str
    due: date
    state: str                     # "Quá hạn 3 ngày", "Đến hạn hôm nay", "Đến hạn ngày 04/12/2026"
    apology_due: bool              # "xin lỗi trước hạn": due within a working day, not yet extended


def watch_rows(db: sqlite3.Connection, today: date, tz: ZoneInfo, holidays: frozenset,
               extended: Callable[[str, str], bool]) -> list[WatchRow]:
    """The open dossiers due by the next working day, late ones first within each agency.
    ``extended(code, due_at)``: whether its apology was written."""
    horizon = next_working(today, holidays)
    until = (datetime.combine(horizon, datetime.min.time(), tz) + timedelta(days=1)).isoformat()
    marks = ",".join("?" * len(DOSSIER_OPEN))
    found = db.execute(f"SELECT code FROM dossiers WHERE due_at < ? AND status IN ({marks})",
                       (until, *DOSSIER_OPEN)).fetchall()   # an extension only moves a date later
    rows = []
    for (code,) in found:
        d = dossiers.find(db, code)
        due = local_date(d.due_at, tz)
        if d.due_at >= until or due is None:
            continue
        late = (today - due).days
        state = (f"Quá hạn {late} ngày" if late > 0 else "Đến hạn hôm nay" if late == 0
                 else f"Đến hạn ngày {due:%d/%m/%Y}")
        rows.append(WatchRow(d.agency, code, d.procedure, d.applicant, due, state,
                             late <= 0 and not extended(code, d.due_at)))
    return sorted(rows, key=lambda r: (r.agency, r.due, r.code))
