"""The working calendar in the real hub behind a real mosquitto (SPEC 3, 12.1): the hub's process is
moved in time by Debian's libfaketime to a holiday, a Saturday with a session added live by
`config/set`, and the Saturday after, as a kiosk asking over MQTT would find them."""
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from devtools.testbed import HubProcess, Spy, counter, service, site_data, wait_for, write_site
from motcua import config
from motcua.hubclient import HubClient
from tests.motcua.hub.test_clock import FAKETIME
from tests.motcua.hub.test_site_file import change, login

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
SESSION = [{"date": "2027-01-09", "hours": ["07:30-11:30"], "services": ["LAND"]}]


def hub_at(local: str, cfg, tmp_path, monkeypatch) -> HubProcess:
    """The hub started with its clock at ``local`` (site time), going on from there."""
    shift = tmp_path / "faketime"
    shift.write_text(f"{round(datetime.fromisoformat(local).replace(tzinfo=TZ).timestamp() - time.time()):+d}\n")
    with monkeypatch.context() as env:            # only the hub's process lives on that day
        env.setenv("LD_PRELOAD", str(FAKETIME))
        env.setenv("FAKETIME_TIMESTAMP_FILE", str(shift))
        env.setenv("DONT_FAKE_MONOTONIC", "1")
        return HubProcess(cfg.path, tmp_path / "hub.log").start()


def refused(client, service_id: str) -> str:
    reply = client.request(client.t.issue, {"service": service_id}, timeout=0.2, tries=100)
    assert reply["ok"] is False and reply["error"]["code"] == "outside_hours", reply
    return reply["error"]["text"]["vi"]


@pytest.mark.skipif(FAKETIME is None, reason="Debian's libfaketime is not installed (make apt)")
def test_a_holiday_a_saturday_session_set_live_and_the_saturday_after(tmp_path, broker, monkeypatch):
    data = site_data(tmp_path, broker.port, services=[service("LAND", "A", hours=["07:00-11:30", "13:30-17:00"]),
                                                      service("JUST", "B", hours=["07:00-11:30"])],
                     counters=[counter(1, ["LAND", "JUST"])],
                     calendar={"working_days": ["mon", "tue", "wed", "thu", "fri"], "holidays": ["2027-01-01"]})
    cfg = config.load(write_site(tmp_path, data))
    kiosk, console = HubClient(cfg, "test").start(), login(cfg, "console")
    spy = Spy(broker.port, kiosk.t.service_state("LAND"))
    hub = hub_at("2027-01-01 09:00", cfg, tmp_path, monkeypatch)        # New Year's Day, a Friday
    try:
        assert refused(kiosk, "LAND").endswith("mở lại lúc 07:00 04/01"), "a holiday, then the weekend"
        hub.stop()
        hub = hub_at("2027-01-09 07:45", cfg, tmp_path, monkeypatch)    # a Saturday
        assert refused(kiosk, "LAND").endswith("07:00 11/01"), "Saturday is closed until a session opens it"
        reply = change(console, 1, changes=[{"path": "calendar.sessions", "value": SESSION}])
        assert reply["ok"], reply
        assert kiosk.issue("LAND")["ticket"]["label"] == "A001", "the session, set live, opens LAND"
        assert refused(kiosk, "JUST").endswith("07:00 11/01"), "and only LAND"
        hub.stop()
        hub = hub_at("2027-01-16 08:00", cfg, tmp_path, monkeypatch)    # the Saturday after
        assert refused(kiosk, "LAND").endswith("07:00 18/01")
        state = wait_for(lambda: next((s for s in reversed(spy.on(kiosk.t.service_state("LAND")))
                                       if s["opens_at"] == "07:00 18/01"), None), 5, "the kiosk's opening")
        assert (state["open"], state["closed_reason"]) == (False, "outside_hours")
    finally:
        spy.close(), kiosk.stop(), console.stop(), hub.stop()
    assert config.load(cfg.path).calendar.sessions[0].services == ("LAND",), "the session is kept in the site file"
