"""Time as the follow-up keeps it: quiet hours, the day's start, working days (SPEC section 11)."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo


def quiet_until(now: datetime, start: time, end: time) -> datetime | None:
    """When the quiet hours around ``now`` end (in now's zone), or None when it is not quiet.
    A window may cross midnight (21:00-07:00)."""
    t = now.timetz().replace(tzinfo=None)
    crosses = start > end
    inside = (t >= start or t < end) if crosses else (start <= t < end)
    if not inside:
        return None
    day = now.date() + timedelta(days=1) if crosses and t >= start else now.date()
    return datetime.combine(day, end, now.tzinfo)


def day_start(now: datetime, tz: ZoneInfo) -> datetime:
    """Midnight of ``now``'s day in the site's time zone: daily counts and limits restart there."""
    return datetime.combine(now.astimezone(tz).date(), time(0), tz)


def working(day: date, holidays: frozenset) -> bool:
    """Whether ``day`` is a working day: Monday to Friday and not one of the site file's holidays."""
    return day.weekday() < 5 and day not in holidays


def next_working(day: date, holidays: frozenset) -> date:
    """The first working day after ``day`` (never ``day`` itself)."""
    day += timedelta(days=1)
    while not working(day, holidays):
        day += timedelta(days=1)
    return day


def date_in_words(place: str, day: date) -> str:
    """The place-and-date line of an official letter: "Quảng Ngãi, ngày 03 tháng 12 năm 2026".
    Decree 30/2020/NĐ-CP: a day under 10 and the months 1 and 2 take a leading zero."""
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"{place}, ngày {day.day:02d} tháng {month} năm {day.year}"
