"""Ticket windows under the working calendar: closed days skipped, sessions opening a service on a
day or at an hour it is otherwise closed, and the next opening a kiosk names (SPEC 3, 12.1)."""
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from devtools.testbed import counter, service
from motcua.config.common import Window
from motcua.config.hall import Service
from motcua.config.working_days import EVERY_DAY, Calendar, Session
from motcua.hub.ledger import Ledger
from motcua.service_day import in_hours, next_opening, opening_after
from tests.helpers import FakeClock

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
WEEKDAYS_ONLY = ["mon", "tue", "wed", "thu", "fri"]
CALENDAR = {"working_days": WEEKDAYS_ONLY, "holidays": ["2027-01-01"],
            "sessions": [{"date": "2027-01-09", "hours": ["07:30-11:30"], "services": ["LAND"]}]}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


def land(*hours: str) -> Service:
    return Service("LAND", None, "A", 1, 999, None, tuple(Window.parse(h) for h in hours))   # type: ignore[arg-type]


@pytest.fixture
def clock():
    return FakeClock("2027-01-08 09:00")          # a Friday


@pytest.fixture
def ledger(make_cfg, clock):
    cfg = make_cfg(services=[service("LAND", "A", hours=["07:00-11:30", "13:30-17:00"]), service("JUST", "B")],
                   counters=[counter(1, ["LAND", "JUST"])], calendar=CALENDAR)
    return Ledger(cfg, clock=clock)


def refusal(outcome) -> str:
    assert outcome.reply["ok"] is False and outcome.reply["error"]["code"] == "outside_hours", outcome.reply
    return outcome.reply["error"]["message"]


def test_without_a_calendar_nothing_changes():
    svc = land("07:00-11:30", "13:30-17:00")
    assert next_opening(svc, EVERY_DAY, at("2027-01-09 12:00"), TZ) == "13:30"
    assert next_opening(svc, EVERY_DAY, at("2027-01-09 17:05"), TZ) == "07:00"
    assert next_opening(land(), EVERY_DAY, at("2027-01-09 17:05"), TZ) is None, "no hours: always open"


def test_a_saturday_session_opens_land_that_saturday_and_not_the_next(ledger, clock):
    clock.set("2027-01-09 07:45")
    assert ledger.issue("LAND").reply["ticket"]["label"] == "A001"
    assert "00:00 11/01" in refusal(ledger.issue("JUST")), "the session opens only LAND; JUST opens Monday"
    clock.set("2027-01-09 11:30")
    assert "07:00 11/01" in refusal(ledger.issue("LAND")), "after the session: Monday morning"
    clock.set("2027-01-16 08:00")
    assert "07:00 18/01" in refusal(ledger.issue("LAND")), "the next Saturday is closed"
    state = ledger.service_state("LAND")
    assert (state["open"], state["closed_reason"], state["opens_at"]) == (False, "outside_hours", "07:00 18/01")


def test_a_holiday_refuses_with_the_next_opening(ledger, clock):
    clock.set("2026-12-31 17:10")
    assert "07:00 04/01" in refusal(ledger.issue("LAND")), "Friday the 1st is a holiday, then a weekend"
    clock.set("2027-01-01 09:00")
    assert "00:00 04/01" in refusal(ledger.issue("JUST")), "a service without hours opens at the day's start"
    clock.set("2027-01-03 20:00")
    assert refusal(ledger.issue("LAND")).endswith("07:00"), "tomorrow is named by the hour only"


def test_a_session_adds_an_evening_to_a_working_day():
    cal = Calendar(sessions=(Session(date(2027, 1, 12), (Window.parse("17:30-20:00"),), None),))
    svc = land("07:00-11:30")
    assert not in_hours(svc, cal, at("2027-01-12 12:00"), TZ)
    assert next_opening(svc, cal, at("2027-01-12 12:00"), TZ) == "17:30"
    assert in_hours(svc, cal, at("2027-01-12 19:59"), TZ) and not in_hours(svc, cal, at("2027-01-13 19:00"), TZ)


WINDOWS = st.lists(st.tuples(st.integers(0, 1438), st.integers(1, 1439)).filter(lambda w: w[0] < w[1])
                   .map(lambda w: f"{w[0] // 60:02d}:{w[0] % 60:02d}-{w[1] // 60:02d}:{w[1] % 60:02d}"), max_size=3)
DAYS = st.dates(date(2027, 1, 1), date(2027, 3, 1))


@st.composite
def calendars(draw) -> Calendar:
    sessions = draw(st.lists(st.builds(lambda d, hs, all_: Session(d, tuple(Window.parse(h) for h in hs),
                                                                   None if all_ else ("JUST",)),
                                       DAYS, WINDOWS.filter(bool), st.booleans()), max_size=4))
    return Calendar(frozenset(draw(st.sets(st.integers(0, 6)))), frozenset(draw(st.sets(DAYS, max_size=10))),
                    tuple(sessions))


@given(calendars(), WINDOWS, st.datetimes(datetime(2027, 1, 1), datetime(2027, 3, 1)))
def test_the_next_opening_is_open_and_never_in_the_past(cal, hours, now):
    svc, now = land(*hours), now.replace(tzinfo=TZ)
    assume(not in_hours(svc, cal, now, TZ))
    opens = opening_after(svc, cal, now, TZ)
    if opens is None:
        assert not any(cal.windows("LAND", svc.hours, now.date() + timedelta(days=d)) for d in range(1, 400))
        return
    assert opens > now
    assert in_hours(svc, cal, opens, TZ), "never an opening on a closed day or outside a window"
    between = range(1, (opens.date() - now.date()).days)
    assert not any(cal.windows("LAND", svc.hours, now.date() + timedelta(days=d)) for d in between), "none skipped"


def test_a_service_with_no_opening_planned_says_so(make_cfg, clock):
    led = Ledger(make_cfg(services=[service("LAND", "A")], counters=[counter(1, ["LAND"])],
                          calendar={"working_days": []}), clock=clock)
    assert refusal(led.issue("LAND")).startswith("Ngoài giờ nhận hồ sơ: chưa có lịch mở lại")
    assert led.service_state("LAND")["opens_at"] is None
