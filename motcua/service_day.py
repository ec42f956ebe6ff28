"""Service days and ticket-taking windows, in the site's time zone.

Every function takes ``now`` from the caller, so a test's fake clock can walk a whole day and
over midnight; only ``system_clock`` reads the real time.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import overload
from zoneinfo import ZoneInfo

from .config import Service
from .config.working_days import EVERY_DAY, Calendar

Clock = Callable[[], datetime]
LOOKAHEAD_DAYS = 400      # a session may be planned months ahead; beyond a year a service counts as closed


def system_clock() -> datetime:
    """The real time, aware and in UTC: the default ``Clock`` that tests replace."""
    return datetime.now(UTC)


def service_day(now: datetime, tz: ZoneInfo, starts_at: time) -> date:
    """The date on which the current service day started (a day is named by its first date)."""
    local = now.astimezone(tz)
    return local.date() - timedelta(days=1) if local.time() < starts_at else local.date()


def in_hours(service: Service, calendar: Calendar, now: datetime, tz: ZoneInfo) -> bool:
    """Whether ``service`` takes numbers at ``now``: within its windows on a working day (no windows: all day), or
    within one of the day's sessions for it; a window includes its start and excludes its end."""
    local = now.astimezone(tz)
    minute = local.hour * 60 + local.minute
    return any(a <= minute < b for a, b in calendar.windows(service.id, service.hours, local.date()))


def opening_after(service: Service, calendar: Calendar, now: datetime, tz: ZoneInfo) -> datetime | None:
    """The next start of a window of ``service`` after ``now`` (local, in ``tz``), skipping the days it is closed (by
    the calendar, or by a supervisor for that day); None when it has no window at all in the coming year (a calendar
    with no working day and no session ahead)."""
    local = now.astimezone(tz)
    minute = local.hour * 60 + local.minute
    for ahead in range(LOOKAHEAD_DAYS):
        day = local.date() + timedelta(days=ahead)
        if service.closed_on(day) is not None:
            continue
        starts = [a for a, b in calendar.windows(service.id, service.hours, day) if ahead or a > minute]
        if starts:
            return datetime.combine(day, time(min(starts) // 60, min(starts) % 60), tz)
    return None


def next_opening(service: Service, calendar: Calendar, now: datetime, tz: ZoneInfo) -> str | None:
    """When a closed service opens next, as a kiosk says it: HH:MM today or tomorrow, else "HH:MM dd/mm"; None
    for a service that is always open, or that has no opening in the coming year."""
    if not service.hours and calendar == EVERY_DAY:
        return None
    at = opening_after(service, calendar, now, tz)
    if at is None:
        return None
    soon = (at.date() - now.astimezone(tz).date()).days <= 1
    return at.strftime("%H:%M" if soon else "%H:%M %d/%m")


@overload
def iso(ts: float, tz: ZoneInfo) -> str: ...
@overload
def iso(ts: None, tz: ZoneInfo) -> None: ...
@overload
def iso(ts: float | None, tz: ZoneInfo) -> str | None: ...


def iso(ts: float | None, tz: ZoneInfo) -> str | None:
    """An epoch time as ISO 8601 with the site's offset (what every payload carries); None stays None."""
    return None if ts is None else datetime.fromtimestamp(ts, tz).isoformat(timespec="seconds")
