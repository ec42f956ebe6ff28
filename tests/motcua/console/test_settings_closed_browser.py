"""A supervisor in a real headless Chromium closes a service for today (SPEC 12.1): ticks "Đóng hôm nay", types the
reason, saves; the live hall says why it is closed."""
from selenium.webdriver.common.by import By

from devtools.web import login, wait_text
from tests.motcua.console.test_settings_browser import fill, save


def test_a_supervisor_closes_a_service_for_today_and_the_hall_says_why(settings_hall, browser, tmp_path):
    d = browser
    login(d, settings_hall.base, "giamsat", "/settings/services")
    d.find_element(By.NAME, "services[1].closed.date").click()
    fill(d, {"services[1].closed.reason.vi": "Mất kết nối phần mềm hộ tịch",
             "services[1].closed.reason.en": "The civil status registry is offline"})
    save(d)
    wait_text(d, "#message", lambda t: "Đã lưu: phiên bản 2" in t, what="the saved version")
    assert d.find_element(By.NAME, "services[1].closed.date").is_selected(), "drawn again: ticked"
    d.save_screenshot(str(tmp_path / "settings-closed-today.png"))
    d.get(f"{settings_hall.base}/hall")
    row = wait_text(d, 'tr[data-service="JUST"]', lambda t: "Mất kết nối" in t, 10, "the reason in the hall")
    assert "(Ngừng phát số: Mất kết nối phần mềm hộ tịch)" in row
