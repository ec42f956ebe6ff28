"""SPEC section 13 with real brokers: two halls, each its own mosquitto and hub, bridged to a
province mosquitto over TLS with the generated section; the province's console shows both, live,
marks a hall whose link dropped, and converges with nothing missing after the province's broker
was away while both halls kept working."""
import re
from pathlib import Path

import pytest

from devtools.province import ProvinceRig, RealHall
from devtools.testbed import wait_for
from devtools.web import WebClient, login, users, wait_text

SITES = ("hall-a", "hall-b")


@pytest.fixture
def province(tmp_path):
    rig = ProvinceRig(tmp_path, SITES, users()).start()
    yield rig.broker, rig.halls, rig.console
    rig.stop()


def hall_block(page: str, site: str) -> str:
    m = re.search(rf'<section class="card hall-card (\w+)" data-site="{site}">(.*?)</section>', page, re.S)
    assert m, f"{site} on the province page"
    return m.group(1) + m.group(2)


def shown(web: WebClient, site: str) -> dict:
    """What the province page says of a hall: its link, serving tickets and waiting per service."""
    _, _, body = web.get("/province")
    block = hall_block(body.decode(), site)
    return {"up": block.startswith("up"),
            "serving": dict(re.findall(r'data-counter="(\w+)">(\w+)</b>', block)),
            "waiting": dict(re.findall(r'data-service="(\w+)"><td>\w+</td><td class="n waiting">(\d+)<', block))}


def truth(h: RealHall) -> dict:
    """The hall's own state, as its hub says it (retained, on its own broker)."""
    from devtools.testbed import Spy
    spy = Spy(h.broker.port, f"{h.client.t.root}/+/+/state")
    wait_for(lambda: len(spy.msgs) >= 5, 5, "the hall's retained state")
    counters = {s["counter"]: s["ticket"] for s in map(spy.on, [h.client.t.counter_state(c) for c in "123"])
                for s in s[-1:] if s.get("status") == "serving"}
    waiting = {sid: str(spy.on(h.client.t.service_state(sid))[-1]["waiting"]) for sid in ("LAND", "JUST")}
    spy.close()
    return {"up": True, "serving": counters, "waiting": waiting}


def test_a_call_in_each_hall_shows_in_the_province_console(province, tmp_path):
    from devtools.web import chromium
    _, halls, console = province
    browser = chromium()
    try:
        login(browser, console.base, "giamsat")
        assert browser.current_url.endswith("/province")
        wait_text(browser, "[data-site=hall-a] .link", lambda s: "Đang kết nối với tỉnh" in s, 20, "hall-a linked")
        wait_text(browser, "[data-site=hall-b] .link", lambda s: "Đang kết nối với tỉnh" in s, 20, "hall-b linked")
        browser.execute_script("document.body.dataset.stay = 1")
        for site, service, counter in (("hall-a", "LAND", "1"), ("hall-b", "JUST", "2")):
            t = halls[site].client.issue(service)["ticket"]
            halls[site].client.command(counter, "next")
            wait_text(browser, f"[data-site={site}] .serving", lambda s, t=t: t["label"] in s, 5,
                      f"the call in {site} at the province")
        assert browser.execute_script("return document.body.dataset.stay") == "1", "live, no reload"
    finally:
        browser.quit()


def test_the_province_away_the_halls_go_on_and_the_view_converges(province):
    broker, halls, console = province
    web = WebClient(console.base)
    assert web.login("giamsat") == 303
    wait_for(lambda: all(shown(web, s)["up"] for s in SITES), 20, "both halls linked")
    broker.proc.terminate()
    broker.proc.wait(10)
    for h in halls.values():                # the halls keep issuing and calling, unaffected
        for _ in range(4):
            assert h.client.issue("LAND", timeout=2, tries=1)["ok"]
        h.client.issue("JUST", timeout=2, tries=1)
        assert h.client.command("1", "next", timeout=2, tries=1)["ok"]
        assert h.client.command("3", "next", timeout=2, tries=1)["ok"]
    _, _, body = web.get("/province")
    assert "Mất kết nối với máy chủ tin nhắn của tỉnh".encode() in body
    broker.start()
    for site, h in halls.items():
        want = truth(h)
        wait_for(lambda site=site, want=want: shown(web, site) == want, 30,
                 f"{site} at the province as in the hall")


def test_a_hall_whose_link_drops_is_marked_with_how_long(province):
    _, halls, console = province
    web = WebClient(console.base)
    web.login("giamsat")
    wait_for(lambda: shown(web, "hall-a")["up"], 20, "hall-a linked")
    halls["hall-a"].broker.stop()             # the hall's side of the link is gone (SIGKILL)
    wait_for(lambda: not shown(web, "hall-a")["up"], 10, "hall-a marked down")
    _, _, body = web.get("/province")
    block = hall_block(body.decode(), "hall-a")
    assert "Mất kết nối với tỉnh" in block and re.search(r"\d+ giây", block)
    assert shown(web, "hall-b")["up"], "the other hall is unaffected"


def test_the_province_console_is_read_only_and_for_supervisors(province):
    _, _, console = province
    clerk = WebClient(console.base)
    assert clerk.login("quay1") == 303
    assert clerk.get("/province")[0] == 403
    assert WebClient(console.base).get("/province")[0] == 303
    log = Path(console.log).read_text()
    assert "Traceback" not in log
