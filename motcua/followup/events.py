"""Which messages a dossier's change makes (SPEC section 11's table), as plain data.

Each event has a key, and the outbox keeps one message per (event, key): the same change seen
twice — a restart, a re-import, a pull that repeats rows — makes nothing new.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from ..contract import DOSSIER_OPEN as OPEN
from ..contract import DossierStatus as S

RECENT = timedelta(days=2)                 # "received in the last 2 days": older files send nothing
# the message a dossier first seen in a status makes, and the one a change to a status makes
ON_FIRST_SIGHT = {S.RECEIVED: "received", S.PROCESSING: "received", S.PAPERS_REQUESTED: "supplement",
                  S.FEES_REQUESTED: "finance"}
ON_CHANGE = {S.PAPERS_REQUESTED: "supplement", S.FEES_REQUESTED: "finance"}


@dataclass(frozen=True)
class Seen:
    """What the follow-up last saw of a dossier: all an event depends on."""
    status: int
    due_at: str | None           # the due date in force (a date entered at the centre included)
    note: str
    first_seen: str              # the local date the follow-up first saw it (ISO)
    first_due: str | None = None  # the first due date it saw: the one the citizen was given


@dataclass(frozen=True)
class Event:
    """Something about a dossier worth an SMS or a letter; ``key`` makes it happen once per dossier and change, however
    often it is seen."""
    name: str
    key: str


def local_date(iso: str | None, tz: ZoneInfo) -> date | None:
    """The site's calendar day of an ISO time from the dossier store; None when there is no time."""
    return datetime.fromisoformat(iso).astimezone(tz).date() if iso else None


def on_change(before: Seen | None, now: Seen, received_at: str, finished_at: str | None, code: str,
              at: datetime, tz: ZoneInfo) -> list[Event]:
    """The events of one dossier seen again (or for the first time) at ``at``."""
    if before is None:
        if at - datetime.fromisoformat(received_at) > RECENT:
            return []                       # a first import of old files: no citizen wants that news
        first = ON_FIRST_SIGHT.get(now.status)
        return [_event(first, code, now)] if first else []
    out = []
    if now.status != before.status or (now.status == S.PAPERS_REQUESTED and now.note != before.note):
        name = ON_CHANGE.get(now.status)
        if now.status == S.PROCESSED:
            due, done = local_date(now.due_at, tz), local_date(finished_at, tz) or at.astimezone(tz).date()
            name = "early" if due is not None and done < due else "ready"
        if name:
            out.append(_event(name, code, now))
    if now.status in OPEN and _later(now.due_at, before.due_at):
        out.append(Event("extended", f"{code}|{now.due_at}"))
    return out


def overdue(now: Seen, code: str, today: date, tz: ZoneInfo) -> Event | None:
    """Open, its due date passed while the follow-up was watching, no new date since."""
    due = local_date(now.due_at, tz)
    if now.status in OPEN and due is not None and due < today and date.fromisoformat(now.first_seen) <= due:
        return Event("overdue", f"{code}|{now.due_at}")
    return None


def _event(name: str, code: str, now: Seen) -> Event:
    return Event(name, f"{code}|{now.note}" if name == "supplement" else code)


def _later(new: str | None, old: str | None) -> bool:
    return new is not None and old is not None and datetime.fromisoformat(new) > datetime.fromisoformat(old)
