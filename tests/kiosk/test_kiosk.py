"""The kiosk, part 1 (issue 7): its logic without a window, and the real app with touches."""
import json
import subprocess
import sys
import time

import pytest
from PIL import Image

from devtools.testbed import ROOT, HubProcess, env, service, site_data, wait_for, write_site
from kiosk.__main__ import wire
from kiosk.printing.emulator import PrinterEmulator
from kiosk.printing.printer import PrinterState
from kiosk.taking import KioskModel
from motcua import config
from motcua.hubclient import HubClient


@pytest.fixture
def hall(tmp_path, broker):
    emu = PrinterEmulator()
    kiosk = {"id": "k1", "printer": {"connection": "network", "host": "127.0.0.1", "port": emu.port, "timeout_s": 2},
             "large_mode": False}
    services = [service("LAND", "A"), service("JUST", "B", hours=["00:00-00:01"]), service("TAX", "", 1001, 1001)]
    cfg = config.load(write_site(tmp_path, site_data(tmp_path, broker.port, services=services, kiosks=[kiosk])))
    hub = HubProcess(cfg.path, tmp_path / "hub.log").start()
    yield cfg, emu, tmp_path
    hub.stop(), emu.close()


def kiosk_model(cfg) -> tuple[KioskModel, HubClient]:
    """The kiosk's logic wired as ``python -m kiosk`` wires it, without a window."""
    model, _, client, _ = wire(cfg, cfg.kiosks[0], "kiosk-k1")
    client.start()
    return model, client


def test_buttons_say_why_a_service_is_closed(hall):
    cfg, emu, _ = hall
    m, c = kiosk_model(cfg)
    c.issue("TAX", timeout=0.3, tries=30)                 # its one number is gone
    wait_for(lambda: m.hub_ok and len(m.states) == 3 and m.states["TAX"]["closed_reason"], 5, "service states")
    b = {x.id: x for x in m.buttons()}
    assert b["LAND"].enabled and b["LAND"].detail.startswith("0 người đang chờ")
    assert not b["JUST"].enabled and b["JUST"].detail == "Ngoài giờ nhận hồ sơ — mở lại lúc 00:00"
    assert not b["TAX"].enabled and b["TAX"].detail == "Đã hết số hôm nay"
    m.lang = "en"
    assert {x.id: x.detail for x in m.buttons()}["TAX"] == "No more tickets today"
    m.desk._set(PrinterState.of("paper_out"))
    assert not any(x.enabled for x in m.buttons()) and "printer" in m.banner()
    c.stop()


def test_hub_unreachable_disables_everything_with_the_message(hall):
    cfg, emu, _ = hall
    m, c = kiosk_model(cfg)
    wait_for(lambda: m.hub_ok, 5, "hub online")
    m.set_link(False)
    assert m.banner() == "Hệ thống đang bận, vui lòng liên hệ quầy hướng dẫn"
    assert not any(x.enabled for x in m.buttons())
    c.stop()


def test_one_tap_one_ticket_even_during_a_slow_print(hall):
    cfg, emu, _ = hall
    emu.mode = "slow"
    m, c = kiosk_model(cfg)
    wait_for(lambda: m.hub_ok, 5, "hub online")
    results = []
    accepted = [m.take("LAND", False, results.append) for _ in range(3)]
    time.sleep(0.5)
    accepted.append(m.take("LAND", False, results.append))      # a tap during the slow print
    assert accepted == [True, False, False, False]
    wait_for(lambda: results, 20, "the ticket")
    assert results[0].ok and results[0].ticket["label"] == "A001"
    assert not m.take("LAND", False, results.append), "a tap right after is still the same citizen"
    assert c.issue("LAND")["ticket"]["label"] == "A002", "exactly one ticket was issued"
    c.stop()


def test_real_frames_and_touches(hall):
    """The app as a citizen meets it: home, Lấy số thứ tự, a triple tap on a service, then a priority
    ticket after confirming; every screen drawn offscreen and saved."""
    cfg, emu, tmp = hall
    out = tmp / "shots"
    r = subprocess.run([sys.executable, "-m", "kiosk.ui.tour", str(cfg.path), "k1", str(out), "--parts", "take"],
                       capture_output=True, text=True, timeout=120, cwd=ROOT,
                       env={**env(), "SDL_VIDEODRIVER": "offscreen", "KIVY_HOME": str(tmp / "kivy")})
    assert r.returncode == 0, r.stderr[-2000:]
    s = json.loads(r.stdout.strip().splitlines()[-1])
    assert s["taps_accepted"] == 2, "three quick taps gave one ticket; the priority tap another"
    assert (s["label"], s["priority"], s["priority_label"]) == ("A001", "down", "1001")   # JUST is closed
    assert s["headline"] == "Mời nhận phiếu. Số thứ tự của bạn:"
    assert set(s["home_buttons"]) == {"Tiếng Việt", "English", "Nghe hướng dẫn", "LẤY SỐ THỨ TỰ", "TRA CỨU HỒ SƠ"}, \
        "large_mode: false, no large text button"
    assert s["priority_details"].startswith("ƯU TIÊN · "), "the citizen sees the priority was taken"
    wait_for(lambda: len(emu.tickets) == 2, 5, "two printed tickets")
    for name in ("home", "services", "result", "priority", "result-priority"):
        img = Image.open(out / f"{name}.png")
        assert img.size == (1920, 1080) and len(img.convert("L").getcolors(1 << 16) or []) > 10, name
