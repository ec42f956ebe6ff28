"""The site file's working calendar: optional (a v2 file keeps every day open), bounded, and every
problem reported by key path with a suggestion."""
from datetime import date

import pytest

from devtools.testbed import service, site_data, write_site
from motcua import config
from motcua.config import ConfigError
from motcua.config.working_days import EVERY_DAY


def load(tmp_path, **sections):
    services = [service("LAND", "A", hours=["07:00-11:30"]), service("JUST", "B")]
    return config.load(write_site(tmp_path, site_data(tmp_path, services=services, **sections)))


def test_a_file_without_a_calendar_works_every_day(tmp_path):
    assert load(tmp_path).calendar == EVERY_DAY
    assert EVERY_DAY.works(date(2027, 1, 9)) and EVERY_DAY.works(date(2027, 1, 10))


def test_working_days_holidays_and_sessions_are_read(tmp_path):
    cal = load(tmp_path, calendar={
        "working_days": ["mon", "tue", "wed", "thu", "fri"], "holidays": ["2027-01-01"],
        "sessions": [{"date": "2027-01-09", "hours": ["07:30-11:30"], "services": ["LAND"]},
                     {"date": "2027-01-12", "hours": ["17:30-20:00"]}]}).calendar
    assert [cal.works(date(2027, 1, d)) for d in (1, 4, 9, 10)] == [False, True, False, False]
    saturday = date(2027, 1, 9)
    assert cal.windows("LAND", (), saturday) == [(450, 690)], "the session opens LAND that Saturday"
    assert cal.windows("JUST", (), saturday) == [], "and only the services it lists"
    assert cal.windows("JUST", (), date(2027, 1, 12)) == [(0, 1440), (1050, 1200)], "an evening for every service"


def test_the_follow_up_counts_the_calendars_holidays_too(tmp_path):
    followup = {"database": str(tmp_path / "f.sqlite3"), "letters_dir": str(tmp_path / "letters"),
                "holidays": ["2026-09-02"], "letter": {"agency": "Trung tâm", "place": "Quảng Ngãi"},
                "sms": {"transport": "directory", "directory": {"path": str(tmp_path / "sms")}}}
    cfg = load(tmp_path, followup=followup, calendar={"holidays": ["2027-01-01"]})
    assert cfg.followup.holidays == {date(2026, 9, 2), date(2027, 1, 1)}


def test_every_problem_is_reported_by_key_path(tmp_path):
    with pytest.raises(ConfigError) as e:
        load(tmp_path, calendar={"working_days": ["mon", "tuesday"], "holidays": ["2027-02-30", 5],
                                 "sessions": [{"date": "2027-01-09", "hours": ["11:30-07:30"], "services": ["LNAD"]},
                                              {"date": "2027-01-10", "hours": []}],
                                 "holiday": []})
    said = "\n".join(e.value.lines())
    for key, words in (("calendar.working_days[1]", "did you mean 'tue'"), ("calendar.holidays[0]", "not a date"),
                       ("calendar.holidays[1]", "does not match"), ("calendar.holiday", "did you mean 'holidays'"),
                       ("calendar.sessions[0].hours[0]", "end after it starts"),
                       ("calendar.sessions[1].hours", "needs 1..8 items")):
        assert f": {key}: " in said and words in said, (key, said)


def test_a_session_names_known_services(tmp_path):
    with pytest.raises(ConfigError) as e:
        load(tmp_path, calendar={"sessions": [{"date": "2027-01-09", "hours": ["07:30-11:30"],
                                               "services": ["JUST", "LNAD"]}]})
    assert ("calendar.sessions[0].services[1]: không có dịch vụ 'LNAD'; có phải ý bạn là 'LAND'? / "
            "unknown service 'LNAD' (did you mean 'LAND'?)") in str(e.value)


def test_the_examples_calendar_is_valid_once_uncommented(tmp_path):
    from tests.motcua.config.test_load import EXAMPLE
    text = EXAMPLE.read_text(encoding="utf-8")
    block = text[text.index("#calendar:"):].split("\n\n")[0]
    path = tmp_path / "site.yaml"
    path.write_text(text.replace(block, block.replace("\n#", "\n").removeprefix("#")), encoding="utf-8")
    cal = config.load(path).calendar
    assert cal.working_days == {0, 1, 2, 3, 4} and date(2026, 9, 2) in cal.holidays
    assert cal.windows("LAND", (), date(2026, 12, 12)) == [(450, 690)]
