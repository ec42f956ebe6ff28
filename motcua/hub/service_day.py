"""Service days and ticket-taking windows, in the site's time zone.

Every function takes ``now`` from the caller, so a test's fake clock can walk a whole day and
over midnight; only ``system_clock`` reads the real time.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from ..config import Service

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """The real time, aware and in UTC: the default ``Clock`` that tests replace."""
    return datetime.now(UTC)


def service_day(now: datetime, tz: ZoneInfo, starts_at: time) -> date:
    """The date on which the current service day started (a day is named by its first date)."""
    local = now.astimezone(tz)
    return local.date() - timedelta(days=1) if local.time() < starts_at else local.date()


def in_hours(service: Service, now: datetime, tz: ZoneInfo) -> bool:
    """No windows means always open; a window includes its start and excludes its end."""
    if not service.hours:
        return True
    t = now.astimezone(tz).time()
    return any(w.start <= t < w.end for w in service.hours)


def next_opening(service: Service, now: datetime, tz: ZoneInfo) -> str | None:
    """HH:MM of the next window start after now: later today, else the first one tomorrow."""
    if not service.hours:
        return None
    t = now.astimezone(tz).time()
    starts = sorted(w.start for w in service.hours)
    later = [s for s in starts if s > t]
    return (later[0] if later else starts[0]).strftime("%H:%M")


def iso(ts: float | None, tz: ZoneInfo) -> str | None:
    """An epoch time as ISO 8601 with the site's offset (what every payload carries)."""
    return None if ts is None else datetime.fromtimestamp(ts, tz).isoformat(timespec="seconds")
