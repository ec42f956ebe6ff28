"""A service closed for today by a supervisor (SPEC 12.1), as the kiosk shows it, without a window: its button is
greyed with the reason in the citizen's language, and a tap that beats the news is refused with the reason."""
from datetime import UTC, datetime

from devtools.testbed import wait_for
from motcua.service_day import service_day
from tests.kiosk.test_taking import kiosk_model
from tests.motcua.hub.test_site_file import change, login

REASON = {"vi": "Mất kết nối phần mềm đất đai", "en": "The land registry's line is down"}


def test_a_service_closed_today_says_why_on_its_button_and_in_the_refusal(hall):
    cfg, _, _ = hall
    m, c = kiosk_model(cfg)
    console = login(cfg, "console")
    try:
        wait_for(lambda: m.hub_ok and len(m.states) == 3, 5, "service states")
        today = service_day(datetime.now(UTC), cfg.site.tz, cfg.site.day_start).isoformat()
        closed = {"date": today, "reason": REASON}
        assert change(console, 1, changes=[{"path": "services[0].closed", "value": closed}])["ok"]
        wait_for(lambda: m.states["LAND"].get("closed_reason") == "service_closed", 5, "LAND closed")
        land = {b.id: b for b in m.buttons()}["LAND"]
        assert not land.enabled and land.detail == "Tạm ngừng hôm nay: Mất kết nối phần mềm đất đai"
        m.lang = "en"
        assert {b.id: b.detail for b in m.buttons()}["LAND"] == "Closed today: The land registry's line is down"
        results: list = []
        assert m.take("LAND", False, results.append)          # a tap that came before the state did
        wait_for(lambda: results, 10, "the refusal")
        taken = results[0]
        assert not taken.ok and taken.code == "service_closed"
        assert taken.vi.endswith("Mất kết nối phần mềm đất đai") and taken.en.endswith("line is down"), taken
    finally:
        console.stop(), c.stop()


def test_a_closed_state_without_its_reason_still_says_closed_today(hall):
    cfg, _, _ = hall
    m, c = kiosk_model(cfg)
    c.stop()
    m.on_message(m.topics.service_state("LAND"), b'{"open": false, "closed_reason": "service_closed", '
                                                 b'"closed_text": null}')
    land = {b.id: b for b in m.buttons()}["LAND"]
    assert not land.enabled and land.detail == "Dịch vụ tạm ngừng nhận hồ sơ hôm nay"
