"""The settings pages in a real headless Chromium, as a supervisor uses them (SPEC 12.1): a service added with its
hours in the form becomes issuable, an invalid hour is marked at its field with the typing kept, a wall screen is
added, and an SMS template shows its folded text and part count while it is typed."""
from selenium.webdriver.common.by import By

from devtools.testbed import wait_for
from devtools.web import login, wait_text


def fill(driver, values: dict) -> None:
    for name, value in values.items():
        box = driver.find_element(By.NAME, name)
        box.clear()
        box.send_keys(value)


def save(driver) -> None:
    driver.find_element(By.CSS_SELECTOR, "#settings-form button.big").click()


def test_a_supervisor_adds_a_service_and_a_wall_screen_and_previews_an_sms(settings_hall, browser, tmp_path):
    hall = settings_hall
    d = browser
    login(d, hall.base, "giamsat", "/settings/services")
    assert "/settings/services" in d.current_url
    fill(d, {"services[1].hours": "17:00-08:00"})
    save(d)
    wait_text(d, "#message", lambda t: "Chưa lưu" in t, what="the refusal")
    box = d.find_element(By.CSS_SELECTOR, '.field.has-problem[data-name="services[1].hours"]')
    assert "giờ kết thúc phải sau giờ bắt đầu" in box.text, "the hub's problem in the page's language"
    assert box.find_element(By.TAG_NAME, "input").get_attribute("value") == "17:00-08:00", "the typing is kept"

    fill(d, {"services[1].hours": "07:30-11:30, 13:30-17:00", "services[2].id": "PASSPORT",
             "services[2].name.vi": "Hộ chiếu", "services[2].name.en": "Passports", "services[2].prefix": "P",
             "services[2].first": "1", "services[2].last": "999", "services[2].hours": "00:00-23:59"})
    save(d)
    wait_text(d, "#message", lambda t: "Đã lưu: phiên bản 2" in t, what="the saved version")
    assert d.find_element(By.CSS_SELECTOR, "p.last-change").text.startswith("Phiên bản 2, do giamsat")
    reply = wait_for(lambda: (r := hall.client.request(hall.client.t.issue, {"service": "PASSPORT"}, timeout=5))
                     .get("ok") and r, 10, "a number of the new service")
    assert reply["ticket"]["label"] == "P001"
    d.save_screenshot(str(tmp_path / "settings-services.png"))

    d.get(f"{hall.base}/settings/displays")
    fill(d, {"displays[0].id": "d1",
             "displays[0].notice": "Chiều thứ Bảy làm việc đến 11:30 <b>chỉ nhận hồ sơ đất đai</b>"})
    for box in d.find_elements(By.CSS_SELECTOR, 'input[name="displays[0].counters"]'):
        box.click()
    save(d)
    wait_text(d, "#message", lambda t: "Đã lưu: phiên bản 3" in t, what="the wall screen saved")
    notice = d.find_element(By.NAME, "displays[0].notice").get_attribute("value")
    assert notice.endswith("<b>chỉ nhận hồ sơ đất đai</b>"), "markup kept as typed text"
    assert d.find_elements(By.CSS_SELECTOR, 'audio[src="/settings/voice-sample/d1"]'), "nghe thử"
    d.save_screenshot(str(tmp_path / "settings-display.png"))

    d.get(f"{hall.base}/settings/sms")
    box = d.find_element(By.NAME, "followup.sms.templates.ready")
    box.send_keys("Hồ sơ {code} đã có kết quả, mời đến {centre}.")
    preview = wait_text(d, 'output.preview[for="f-followup.sms.templates.ready"]', lambda t: "tin:" in t,
                        what="the SMS preview")
    assert "Ho so" in preview and "1 tin:" in preview, "folded without diacritics, one part"
