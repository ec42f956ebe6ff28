"""The console in a real headless Chromium, driven as a person would (SPEC section 12): the live
hall changing without a reload, the language switch, a download, and the console restarted
under an open page."""
import csv
import io
import signal

from openpyxl import load_workbook
from selenium.webdriver.common.by import By

from devtools.testbed import wait_for
from devtools.web import login, wait_text

NO_RELOAD = "document.body.dataset.stay = 'same page'"
SAME_PAGE = "return document.body.dataset.stay"


def cells(row) -> list:
    """A row as numbers (the code first; the name, which the page shows in its language, left out)."""
    def one(v):
        if v in (None, "", "—"):
            return None
        try:
            return float(v)
        except (TypeError, ValueError):
            return str(v)
    return [one(row[0])] + [one(v) for v in row[2:]]


def test_the_live_hall_follows_a_ticket_issued_and_called(hall, browser):
    login(browser, hall.base, "giamsat", "/hall")
    assert browser.current_url.endswith("/hall")
    browser.execute_script(NO_RELOAD)
    wait_text(browser, "tr[data-service=LAND] .waiting", lambda t: t == "0", what="LAND waiting at start")
    t = hall.client.issue("LAND")["ticket"]
    wait_text(browser, "tr[data-service=LAND] .waiting", lambda t: t == "1", what="the new ticket waiting")
    hall.client.command("1", "next")
    wait_text(browser, "[data-counter='1'] .cticket", lambda s: s == t["label"], what="counter 1 serving it")
    wait_text(browser, "ol.calls", lambda s: t["label"] in s and "Quầy 1" in s, what="the last calls")
    wait_text(browser, "[data-part=hub]", lambda s: "Hoạt động" in s, what="the hub online")
    assert browser.execute_script(SAME_PAGE) == "same page", "the page changed without a reload"


def test_a_part_going_offline_shows_how_long(hall, browser):
    login(browser, hall.base, "giamsat", "/hall")
    hall.client.link.publish(hall.client.t.status("display-hall"), "online", retain=True)
    wait_text(browser, "[data-part='display-hall']", lambda s: "Hoạt động" in s, what="the screen online")
    hall.client.link.publish(hall.client.t.status("display-hall"), "offline", retain=True)
    text = wait_text(browser, "[data-part='display-hall']", lambda s: "Mất kết nối" in s and "giây" in s,
                     what="the screen offline, for how long")
    assert text.startswith("Màn hình hall")


def test_the_language_switch_and_back(hall, browser):
    login(browser, hall.base, "giamsat", "/hall")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Toàn cảnh sảnh"
    browser.find_element(By.CSS_SELECTOR, "a.lang").click()
    wait_text(browser, "h1", lambda s: s == "Live hall", what="English")
    assert "Figures" in browser.find_element(By.TAG_NAME, "nav").text
    hall.client.issue("JUST")
    wait_text(browser, "tr[data-service=JUST] .waiting", lambda t: t == "1", what="live in English too")
    browser.find_element(By.CSS_SELECTOR, "a.lang").click()
    wait_text(browser, "h1", lambda s: s == "Toàn cảnh sảnh", what="Vietnamese again")


def test_the_figures_page_and_its_downloads_agree(hall, browser, tmp_path):
    for _ in range(3):
        hall.client.issue("LAND")
    hall.client.issue("JUST")
    hall.client.command("1", "next")
    hall.client.command("1", "done")
    hall.client.command("2", "next")
    login(browser, hall.base, "giamsat", "/figures")
    browser.find_element(By.CSS_SELECTOR, "a.lang").click()          # English: decimals with a point
    wait_text(browser, "h1", lambda s: s == "Figures")
    page = [[td.text for td in tr.find_elements(By.TAG_NAME, "td")]
            for tr in browser.find_elements(By.CSS_SELECTOR, "table[data-table=services] tbody tr")]
    assert [r[0] for r in page] == ["LAND", "JUST"] and page[0][2:5] == ["3", "1", "0"]
    assert browser.find_elements(By.CSS_SELECTOR, "svg.chart rect"), "the charts are drawn"
    browser.find_element(By.PARTIAL_LINK_TEXT, "XLSX").click()
    downloads = tmp_path / "downloads"
    xlsx = wait_for(lambda: [p for p in downloads.glob("*.xlsx")], 10, "the XLSX downloaded")[0]
    wb = load_workbook(io.BytesIO(xlsx.read_bytes()))
    sheet = [list(r) for r in wb["Theo dịch vụ"].iter_rows(min_row=3, values_only=True)]
    assert [cells(r) for r in sheet] == [cells(r) for r in page], "the XLSX holds the page's numbers"
    browser.find_element(By.PARTIAL_LINK_TEXT, "CSV").click()
    got = wait_for(lambda: [p for p in downloads.glob("*.csv")], 10, "the CSV downloaded")[0]
    rows = list(csv.reader(io.StringIO(got.read_bytes().decode("utf-8-sig"))))
    blank = [i for i, r in enumerate(rows) if not r]
    services = rows[blank[0] + 3:blank[1]]                 # after the total: title, header, rows
    assert [cells(r) for r in services] == [cells(r) for r in page], "the CSV holds the page's numbers"


def test_an_open_page_reconnects_when_the_console_restarts(hall, browser):
    login(browser, hall.base, "giamsat", "/hall")
    browser.execute_script(NO_RELOAD)
    wait_text(browser, "tr[data-service=LAND] .waiting", lambda t: t == "0")
    hall.console.kill(signal.SIGKILL)
    wait_for(lambda: browser.find_element(By.ID, "lost").is_displayed(), 10, "the page says it lost the console")
    hall.client.issue("LAND")
    hall.console.start()
    wait_text(browser, "tr[data-service=LAND] .waiting", lambda t: t == "1", timeout=20,
              what="the state again after the restart")
    assert not browser.find_element(By.ID, "lost").is_displayed()
    assert browser.execute_script(SAME_PAGE) == "same page", "reconnected by itself, no reload"
