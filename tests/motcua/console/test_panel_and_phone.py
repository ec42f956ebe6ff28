"""The clerk's counter panel and the citizen's phone page in a real headless Chromium (SPEC
section 12): a press is one command however it is clicked or repeated, the panel follows the
counter's hardware keypad, and the phone page counts down to its call."""
import subprocess
import sys

import zxingcpp
from PIL import Image
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By

from devtools.testbed import ROOT, Spy, env, wait_for
from devtools.web import WebClient, chromium, login, wait_text
from firmware_bridge.simulator import KeypadSim


def calls(hall, spy) -> list:
    return spy.on(hall.client.t.call)


def test_a_clerk_calls_the_next_citizen_from_the_panel(hall, browser):
    login(browser, hall.base, "quay1")
    assert browser.current_url.endswith("/counter/1"), "a clerk lands on their own counter"
    a = hall.client.issue("LAND")["ticket"]
    wait_text(browser, "#waiting-count", lambda s: s == "1", what="the waiting ticket listed")
    assert a["label"] in browser.find_element(By.CSS_SELECTOR, "ol.queue").text
    browser.find_element(By.CSS_SELECTOR, "button.a-next").click()
    wait_text(browser, "#ticket", lambda s: s == a["label"], what="the ticket called")
    assert "Đang phục vụ" in browser.find_element(By.CSS_SELECTOR, ".now").text
    browser.find_element(By.CSS_SELECTOR, "button.a-done").click()
    wait_text(browser, "#ticket", lambda s: s == "Chưa gọi số", what="done, idle")
    browser.find_element(By.CSS_SELECTOR, "button.a-recall").click()
    wait_text(browser, "#said", lambda s: "Quầy chưa gọi số nào để gọi lại" in s, what="the refusal, in Vietnamese")
    b = hall.client.issue("LAND")["ticket"]
    wait_text(browser, "#waiting-count", lambda s: s == "1")
    browser.find_element(By.TAG_NAME, "body").send_keys("n")
    wait_text(browser, "#ticket", lambda s: s == b["label"], what="the N key calls too")
    assert not browser.find_element(By.ID, "said").is_displayed(), "the refusal cleared by the next press"


def test_a_double_click_and_a_repeated_request_make_one_call(hall, browser):
    spy = Spy(hall.cfg.mqtt.port, hall.client.t.call)
    first, second, third = (hall.client.issue("LAND")["ticket"] for _ in range(3))
    login(browser, hall.base, "quay1")
    wait_text(browser, "#waiting-count", lambda s: s == "3")
    ActionChains(browser).double_click(browser.find_element(By.CSS_SELECTOR, "button.a-next")).perform()
    wait_text(browser, "#ticket", lambda s: s == first["label"])
    wait_text(browser, "#waiting-count", lambda s: s == "2", what="one ticket left the queue, not two")
    assert [c["ticket"] for c in calls(hall, spy)] == [first["label"]]
    web = WebClient(hall.base)
    web.login("quay1")
    form = {"csrf": web.csrf("/counter/1"), "action": "next", "command_id": "same-press-0001"}
    assert web.post("/counter/1/command", form, headers={"X-Motcua": "fetch"})[0] == 200
    assert web.post("/counter/1/command", form, headers={"X-Motcua": "fetch"})[0] == 200
    wait_text(browser, "#ticket", lambda s: s == second["label"], what="the panel follows a press made elsewhere")
    assert [c["ticket"] for c in calls(hall, spy)] == [first["label"], second["label"]], "the repeat did not call"
    assert third["label"] in browser.find_element(By.CSS_SELECTOR, "ol.queue").text
    spy.close()


def test_the_panel_follows_the_counters_hardware_keypad(keypad_hall, browser):
    hall = keypad_hall
    spy = Spy(hall.cfg.mqtt.port, hall.client.t.status("keypad-1"))
    keypad = KeypadSim(str(hall.line.b), 5)
    keypad.hello()
    wait_for(lambda: "online" in spy.on(hall.client.t.status("keypad-1")), 10, "the keypad online")
    a, b = (hall.client.issue("LAND")["ticket"] for _ in range(2))
    login(browser, hall.base, "quay1")
    browser.execute_script("document.body.dataset.stay = 1")
    keypad.press("NEXT")
    wait_text(browser, "#ticket", lambda s: s == a["label"], what="the keypad's call on the panel")
    assert keypad.wait_display(a["label"])
    browser.find_element(By.CSS_SELECTOR, "button.a-next").click()
    assert keypad.wait_display(b["label"]), "the keypad's display follows the panel's press"
    wait_text(browser, "#ticket", lambda s: s == b["label"])
    assert browser.execute_script("return document.body.dataset.stay") == "1", "no reload"
    keypad.close()
    spy.close()


def test_the_phone_page_counts_down_and_shows_the_counter(hall):
    mine = [hall.client.issue("LAND")["ticket"] for _ in range(3)][-1]
    phone = chromium(390, 844, mobile=True)
    try:
        phone.get(f"{hall.base}/t/{mine['id'].split('-')[0]}/{mine['label']}")
        assert phone.find_element(By.CSS_SELECTOR, ".label").text == mine["label"]
        wait_text(phone, ".state", lambda s: "Còn 2 người trước ông/bà" in s, what="two ahead")
        hall.client.command("1", "next")
        wait_text(phone, ".state", lambda s: "Còn 1 người trước ông/bà" in s, what="one ahead")
        hall.client.command("3", "next")
        wait_text(phone, ".state", lambda s: "Ông/bà là người tiếp theo" in s, what="next")
        hall.client.command("1", "next")
        text = wait_text(phone, ".state.called", lambda s: "Quầy 1" in s, what="called to counter 1")
        assert text.startswith("Mời ông/bà đến")
        hall.client.command("1", "done")
        wait_text(phone, ".state", lambda s: "Đã phục vụ xong" in s, what="served")
    finally:
        phone.quit()


def test_the_qr_on_a_printed_ticket_opens_its_phone_page(hall):
    out = subprocess.run([sys.executable, "-m", "kiosk.printing", "--config", str(hall.cfg.path), "--id", "k1",
                          "--take", "LAND"], capture_output=True, text=True, env=env(), cwd=ROOT, timeout=60)
    assert out.returncode == 0, out.stderr
    png = sorted((hall.tmp / "tickets").glob("*.png"))[-1]
    url = zxingcpp.read_barcodes(Image.open(png))[0].text
    assert url.startswith(f"{hall.base}/t/") and url.endswith("/A001")
    phone = chromium(390, 844, mobile=True)
    try:
        phone.get(url)
        assert phone.find_element(By.CSS_SELECTOR, ".label").text == "A001"
        assert "tiếp theo" in phone.find_element(By.CSS_SELECTOR, ".state").text
    finally:
        phone.quit()
