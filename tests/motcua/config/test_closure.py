"""A service closed for one day with a reason (SPEC 12.1): read from the site file, bounded, one line, and
holding on its own date only, so the next day the service is open with nothing to undo."""
from datetime import date

import pytest

from devtools.testbed import service, site_data, write_site
from motcua import config
from motcua.config import ConfigError


def load(tmp_path, closed):
    services = [service("LAND", "A", closed=closed), service("JUST", "B")]
    return config.load(write_site(tmp_path, site_data(tmp_path, services=services)))


def test_a_closure_holds_on_its_date_only(tmp_path):
    cfg = load(tmp_path, {"date": "2026-12-07", "reason": {"vi": "Cán bộ nghỉ ốm", "en": "The clerk is ill"}})
    land = cfg.by_service["LAND"]
    closure = land.closed_on(date(2026, 12, 7))
    assert closure is not None and closure.reason.vi == "Cán bộ nghỉ ốm" and closure.reason.en == "The clerk is ill"
    assert land.closed_on(date(2026, 12, 8)) is None, "the next day it is open again"
    assert cfg.by_service["JUST"].closed is None


def test_a_reason_in_vietnamese_only_is_shown_to_english_readers_too(tmp_path):
    cfg = load(tmp_path, {"date": "2026-12-07", "reason": {"vi": "Mất kết nối <b>đất đai</b>"}})
    assert cfg.by_service["LAND"].closed.reason.en == "Mất kết nối <b>đất đai</b>", "markup is kept as text"


@pytest.mark.parametrize(("closed", "key", "words"), [
    ({"date": "2026-02-30", "reason": {"vi": "x"}}, "services[0].closed.date", "2026-02-30"),
    ({"date": "7/12", "reason": {"vi": "x"}}, "services[0].closed.date", "does not match"),
    ({"reason": {"vi": "x"}}, "services[0].closed.date", "required"),
    ({"date": "2026-12-07"}, "services[0].closed.reason", "required"),
    ({"date": "2026-12-07", "reason": {"vi": ""}}, "services[0].closed.reason.vi", "length"),
    ({"date": "2026-12-07", "reason": {"vi": "x" * 161}}, "services[0].closed.reason.vi", "length"),
    ({"date": "2026-12-07", "reason": {"vi": "hai\ndòng"}}, "services[0].closed.reason.vi", "one line"),
    ({"date": "2026-12-07", "reason": {"vi": "x", "fr": "y"}}, "services[0].closed.reason.fr", "unknown"),
])
def test_a_bad_closure_is_refused_at_its_key(tmp_path, closed, key, words):
    with pytest.raises(ConfigError) as e:
        load(tmp_path, closed)
    said = "\n".join(e.value.lines())
    assert f": {key}: " in said and words in said, said
