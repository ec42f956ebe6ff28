"""A service closed for today with a reason, set live by `config/set` (SPEC 12.1), in the real hub behind a real
mosquitto: a kiosk asking over MQTT is refused with `service_closed` and the reason, the retained state says so,
the other services go on, and the next day (the hub's clock moved by libfaketime) it is open with nothing undone."""
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from devtools.testbed import HubProcess, Spy, counter, service, site_data, wait_for, write_site
from motcua import config
from motcua.config import Closure, Names, Service, Window
from motcua.config.working_days import EVERY_DAY
from motcua.hubclient import HubClient
from motcua.service_day import next_opening
from tests.motcua.hub.test_clock import FAKETIME
from tests.motcua.hub.test_hub_calendar import hub_at
from tests.motcua.hub.test_site_file import change, login

CLOSED = {"date": "2027-01-11", "reason": {"vi": "Cán bộ đất đai nghỉ ốm", "en": "The land clerk is ill"}}


def latest(spy: Spy, topic: str, check, after: int = 0) -> dict:
    """The latest state on ``topic`` that passes ``check``, among those after the first ``after``."""
    return wait_for(lambda: next((s for s in reversed(spy.on(topic)[after:]) if check(s)), None), 5, topic)


@pytest.mark.skipif(FAKETIME is None, reason="Debian's libfaketime is not installed (make apt)")
def test_closed_today_with_a_reason_and_open_again_tomorrow(tmp_path, broker, monkeypatch):
    data = site_data(tmp_path, broker.port, services=[service("LAND", "A"), service("JUST", "B")],
                     counters=[counter(1, ["LAND", "JUST"])])
    cfg = config.load(write_site(tmp_path, data))
    kiosk, console = HubClient(cfg, "test").start(), login(cfg, "console")
    spy = Spy(broker.port, kiosk.t.service_state("LAND"))
    hub: HubProcess = hub_at("2027-01-11 09:00", cfg, tmp_path, monkeypatch)          # a Monday
    try:
        assert kiosk.request(kiosk.t.issue, {"service": "LAND", "command_id": "d1"}, timeout=0.2,
                              tries=100)["ok"]
        assert change(console, 1, changes=[{"path": "services[0].closed", "value": CLOSED}])["ok"]
        reply = kiosk.request(kiosk.t.issue, {"service": "LAND"}, timeout=5)
        assert reply["ok"] is False and reply["error"]["code"] == "service_closed", reply
        assert reply["error"]["text"]["vi"] == "Dịch vụ tạm ngừng nhận hồ sơ hôm nay: Dịch vụ LAND — " \
                                               "Cán bộ đất đai nghỉ ốm"
        assert reply["error"]["text"]["en"].endswith("Service LAND — The land clerk is ill")
        state = latest(spy, kiosk.t.service_state("LAND"), lambda s: s["closed_reason"] == "service_closed")
        assert state["open"] is False and state["issued"] == 1
        assert state["closed_text"] == {"vi": "Cán bộ đất đai nghỉ ốm", "en": "The land clerk is ill"}
        assert kiosk.issue("JUST")["ticket"]["label"] == "B001", "the other services go on"
        hub.stop()
        seen = len(spy.on(kiosk.t.service_state("LAND")))
        hub = hub_at("2027-01-12 08:00", cfg, tmp_path, monkeypatch)                  # the next morning
        taken = kiosk.request(kiosk.t.issue, {"service": "LAND", "command_id": "d2"}, timeout=0.2, tries=100)
        assert taken["ticket"]["label"] == "A001", "numbering restarts: the service is open"
        state = latest(spy, kiosk.t.service_state("LAND"), lambda s: s["issued"] == 1, seen)
        assert state["open"] is True
        assert (state["closed_reason"], state["closed_text"]) == (None, None)
    finally:
        spy.close(), kiosk.stop(), console.stop(), hub.stop()
    kept = config.load(cfg.path).by_service["LAND"].closed
    assert kept is not None and kept.reason.vi == "Cán bộ đất đai nghỉ ốm", "nothing had to be undone in the file"


def test_the_next_opening_a_kiosk_names_skips_the_day_a_service_is_closed():
    tz = ZoneInfo("Asia/Ho_Chi_Minh")
    land = Service("LAND", Names("Đất đai", "Land"), "A", 1, 999, None, (Window.parse("07:00-11:30"),),
                   closed=Closure(date(2027, 1, 11), Names("Cán bộ nghỉ ốm", "The clerk is ill")))
    sunday_evening, monday = datetime(2027, 1, 10, 18, 0, tzinfo=tz), datetime(2027, 1, 11, 9, 0, tzinfo=tz)
    assert next_opening(land, EVERY_DAY, sunday_evening, tz) == "07:00 12/01", "not Monday: it is closed that day"
    assert next_opening(land, EVERY_DAY, monday, tz) == "07:00", "closed on Monday: tomorrow"
