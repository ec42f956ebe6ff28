"""The site file's ``calendar`` section: the days the hall takes numbers (working weekdays, public
holidays) and extra sessions such as a Saturday morning or an evening for some services.

The section is optional and its defaults are v2's behaviour: every day a working day, no holiday,
no session, so a file without it keeps working as before. The ledger asks ``Calendar.windows``
what a service is open for on a date; the follow-up counts the holidays as non-working days.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from .common import DATE, ID_SERVICE, WINDOW, Window, date_check, window_check
from .schema import SERVICE, Ctx, List, Map, Str, Text, suggest, unknown

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAYS_VI = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật")   # as the page shows them
DAY_MINUTES = 24 * 60

Span = tuple[int, int]   # minutes of the local day, start included, end excluded (1440: midnight after)


@dataclass(frozen=True)
class Session:
    """An extra session on one date: these windows open the listed services (all when None) that day, even on a
    closed day and outside their usual hours."""
    date: date
    hours: tuple[Window, ...]
    services: tuple[str, ...] | None


@dataclass(frozen=True)
class Calendar:
    """Which dates the hall takes numbers on: ``working_days`` (Monday = 0), minus ``holidays``, plus ``sessions``.
    ``by_date`` indexes the sessions: the hub asks every service's windows each minute, days ahead."""
    working_days: frozenset[int] = frozenset(range(7))
    holidays: frozenset[date] = frozenset()
    sessions: tuple[Session, ...] = ()
    by_date: dict = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        for s in self.sessions:
            self.by_date.setdefault(s.date, []).append(s)

    def works(self, day: date) -> bool:
        """An ordinary working day: the services' own hours apply."""
        return day.weekday() in self.working_days and day not in self.holidays

    def windows(self, service_id: str, hours: tuple[Window, ...], day: date) -> list[Span]:
        """The spans ``service_id`` (whose own hours are ``hours``, none meaning all day) takes numbers on ``day``:
        its hours on a working day, and the day's sessions for it on any day."""
        spans = ([_span(w) for w in hours] or [(0, DAY_MINUTES)]) if self.works(day) else []
        for s in self.by_date.get(day, ()):
            if s.services is None or service_id in s.services:
                spans += [_span(w) for w in s.hours]
        return sorted(spans)


EVERY_DAY = Calendar()


def _span(w: Window) -> Span:
    return w.start.hour * 60 + w.start.minute, w.end.hour * 60 + w.end.minute


def _weekday_check(text: str) -> Text | None:
    if text in WEEKDAYS:
        return None
    days, (vi, en) = ", ".join(WEEKDAYS), suggest(text, WEEKDAYS)
    return f"{text!r} không phải một thứ trong tuần: {days}{vi}", f"{text!r} is not a day: one of {days}{en}"


def _session(date: str, hours: list[str], services: list[str] | None) -> Session:
    return Session(_iso(date), tuple(Window.parse(w) for w in hours), None if services is None else tuple(services))


def _iso(text: str) -> date:
    return date.fromisoformat(text)


def _build(working_days: list[str], holidays: list[str], sessions: list[Session]) -> Calendar:
    return Calendar(frozenset(WEEKDAYS.index(d) for d in working_days), frozenset(_iso(d) for d in holidays),
                    tuple(sessions))


CALENDAR = Map({
    "working_days": List(Str(check=_weekday_check), max_len=7, default=list(WEEKDAYS)),
    "holidays": List(Str(pattern=DATE, check=date_check), max_len=400, default=[]),
    "sessions": List(Map({
        "date": Str(pattern=DATE, check=date_check),
        "hours": List(Str(pattern=WINDOW, check=window_check), min_len=1, max_len=8),
        "services": List(Str(pattern=ID_SERVICE), min_len=1, max_len=200, optional=True),
    }, build=_session), max_len=400, default=[]),
}, build=_build, optional=True)


def cross_check(calendar: Calendar | None, services: set[str], ctx: Ctx) -> None:
    """A session names known services."""
    if calendar is None:
        return
    for i, s in enumerate(calendar.sessions):
        for j, sid in enumerate(s.services or ()):
            if sid not in services:
                ctx.error(("calendar", "sessions", i, "services", j), *unknown(SERVICE, sid, services))
