"""SPEC section 6: the ticket image, its ESC/POS bytes, the printer's states, the print flow."""
import os
import subprocess
import sys
from dataclasses import replace
from datetime import timedelta, timezone
from pathlib import Path

import pytest
import zxingcpp
from fontTools.ttLib import TTFont
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageChops

from devtools.testbed import ROOT, HubProcess, Spy, env, site_data, wait_for, write_site
from kiosk.printing.emulator import PrinterEmulator, rasters, stack
from kiosk.printing.flow import TicketDesk, publish_printer_state, ticket_content
from kiosk.printing.fonts import font, font_path
from kiosk.printing.printer import TicketPrinter
from kiosk.printing.ticket import SAMPLE, render, texts, wrap
from motcua import config
from motcua.config.kiosk import WIDTH_DOTS, Printer
from motcua.hubclient import HubClient

GOLDEN = Path(__file__).parent / "golden"
VN = timezone(timedelta(hours=7))



def printed_bytes(tmp_path, image, width_mm=80) -> bytes:
    p = TicketPrinter(Printer("directory", path=str(tmp_path / "out"), paper_width_mm=width_mm))
    assert p.print_image(image, "t1").state == "ok"
    return (tmp_path / "out" / "t1.bin").read_bytes()


@pytest.mark.parametrize("mm", [80, 58])
def test_escpos_bytes_decode_back_to_the_drawn_ticket_then_cut(tmp_path, mm):
    image = render(SAMPLE, WIDTH_DOTS[mm])
    data = printed_bytes(tmp_path, image, mm)
    first = data.find(b"\x1dv0")
    assert first >= 0, "a GS v 0 raster image"
    m, wb = data[first + 3], data[first + 4] + 256 * data[first + 5]
    assert m == 0 and wb * 8 == WIDTH_DOTS[mm], "normal density, the full paper width"
    decoded = stack(rasters(data))
    assert decoded.size == image.size
    assert ImageChops.difference(decoded, image.convert("L")).getbbox() is None, "pixel for pixel"
    cut = data.rfind(b"\x1dV")
    assert cut > data.rfind(b"\x1dv0"), "cut after the last image"


def test_qr_code_decodes_to_the_template(tmp_path):
    decoded = stack(rasters(printed_bytes(tmp_path, render(SAMPLE))))
    found = zxingcpp.read_barcodes(decoded)
    assert [b.text for b in found] == ["motcua:demo-hcc:G012:20261130"]


def test_every_string_a_ticket_can_carry_has_glyphs():
    """No tofu boxes: every character of every service, counter, centre and footer is in the font."""
    cfg = config.load(ROOT / "config" / "example.yaml")
    kiosk = cfg.kiosks[0]
    strings = []
    for svc in cfg.services:
        t = {"id": "x", "label": svc.label(svc.last), "service": svc.id, "priority": True,
             "issued_at": "2026-11-30T09:05:00+07:00", "waiting_ahead": 999, "estimated_wait_min": 999}
        strings += texts(ticket_content(cfg, kiosk, t))
    strings += ["ÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬĐÈÉẺẼẸÊỀẾỂỄỆÌÍỈĨỊÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢÙÚỦŨỤƯỪỨỬỮỰỲÝỶỸỴ",
                "àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ—~/"]
    for bold in (False, True):
        cmap = TTFont(font_path(bold)).getBestCmap()
        missing = {ch for s in strings for ch in s if not ch.isspace() and ord(ch) not in cmap}
        assert not missing, f"{font_path(bold).name} lacks {sorted(missing)}"


@pytest.mark.parametrize("mm", [80, 58])
def test_golden_images(mm):
    """A person looked at these; a change to the layout shows up here. MOTCUA_UPDATE_GOLDEN=1 rewrites."""
    image = render(SAMPLE, WIDTH_DOTS[mm]).convert("L")
    golden = GOLDEN / f"ticket-{mm}mm.png"
    if os.environ.get("MOTCUA_UPDATE_GOLDEN"):
        image.save(golden)
    assert golden.exists(), f"no golden image {golden.name}: make one with MOTCUA_UPDATE_GOLDEN=1 and look at it"
    assert ImageChops.difference(Image.open(golden).convert("L"), image).getbbox() is None, \
        f"the {mm} mm ticket changed; look at it, then MOTCUA_UPDATE_GOLDEN=1"


words = st.text(alphabet="aăâbcdđeêghiklmnoôơpqrstuưvxyàảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọ", min_size=1,
                max_size=40)


@settings(max_examples=60, deadline=None)
@given(st.lists(words, min_size=1, max_size=30), st.sampled_from([384, 576]))
def test_wrapping_never_cuts_text_off(ws, width):
    """Property: the lines hold every word, in order, and each fits the paper."""
    f = font(34, True)
    text = " ".join(ws)
    lines = wrap(text, f, width - 24)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    assert all(f.getlength(line) <= width - 24 for line in lines)


def test_a_very_long_service_name_wraps_onto_the_ticket():
    long = replace(SAMPLE, service_vi="Cấp giấy chứng nhận quyền sử dụng đất, quyền sở hữu nhà ở và tài sản "
                                      "khác gắn liền với đất lần đầu")
    assert render(long).height > render(SAMPLE).height + 60


def run_test_ticket(tmp_path, printer: dict) -> subprocess.CompletedProcess:
    data = site_data(tmp_path, kiosks=[{"id": "k1", "printer": printer}])
    path = write_site(tmp_path, data)
    return subprocess.run([sys.executable, "-m", "kiosk.printing", "--config", str(path), "--id", "k1",
                           "--test-ticket"], capture_output=True, text=True, cwd=ROOT, env=env(), timeout=60)


def test_test_ticket_for_technicians(tmp_path):
    emu = PrinterEmulator()
    ok = run_test_ticket(tmp_path, {"connection": "network", "host": "127.0.0.1", "port": emu.port})
    assert ok.returncode == 0 and "test ticket printed" in ok.stdout, ok.stderr
    wait_for(lambda: emu.tickets, 5, "the emulator to get a whole ticket")
    assert emu.received.find(b"\x10\x04") < emu.received.find(b"\x1dv0"), "status asked before printing"
    emu.mode = "paper_out"
    out = run_test_ticket(tmp_path, {"connection": "network", "host": "127.0.0.1", "port": emu.port})
    assert out.returncode == 1 and "Máy in hết giấy / Printer is out of paper" in out.stderr
    emu.close()
    gone = run_test_ticket(tmp_path, {"connection": "network", "host": "127.0.0.1", "port": emu.port, "timeout_s": 1})
    assert gone.returncode == 1 and "Printer is offline" in gone.stderr


@pytest.fixture
def desk(tmp_path, broker):
    """A kiosk's printing flow against a real hub, and the printer emulator with its switches."""
    emu = PrinterEmulator(out=tmp_path / "printed")
    kiosk = {"id": "k1", "printer": {"connection": "network", "host": "127.0.0.1", "port": emu.port,
                                     "paper_width_mm": 80, "timeout_s": 1}}
    cfg = config.load(write_site(tmp_path, site_data(tmp_path, broker.port, kiosks=[kiosk])))
    hub = HubProcess(cfg.path, tmp_path / "hub.log").start()
    client = HubClient(cfg, "kiosk-k1").start()
    client.issue("?", timeout=0.2, tries=100)
    spy = Spy(broker.port, client.t.printer("k1"))
    d = TicketDesk(cfg, cfg.kiosks[0], client, TicketPrinter(cfg.kiosks[0].printer),
                   publish_printer_state(client, "k1"))
    d.check_printer()
    yield d, emu, client, spy
    spy.close(), client.stop(), hub.stop(), emu.close()


def test_printed_ticket_is_confirmed_and_matches_what_the_hub_said(desk):
    d, emu, c, spy = desk
    taken = d.take("LAND")
    assert taken.ok and taken.ticket["label"] == "A001"
    assert c.command("1", "next")["state"]["ticket"] == "A001", "confirmed: it can be called"
    wait_for(lambda: emu.tickets, 5, "the printed ticket")
    assert zxingcpp.read_barcodes(emu.tickets[0])[0].text.startswith("motcua:")
    assert spy.on(c.t.printer("k1"))[0] == {"state": "ok", "detail": "Máy in sẵn sàng / Printer ready"}


@pytest.mark.parametrize("mode,state", [("paper_out", "paper_out"), ("offline", "offline"), ("cut", "offline")])
def test_printer_faults_void_the_ticket_and_say_so(desk, mode, state):
    d, emu, c, spy = desk
    emu.mode = mode
    taken = d.take("LAND")
    assert not taken.ok and "hủy" in taken.vi and "cancelled" in taken.en
    assert c.command("1", "next")["state"]["ticket"] is None, "nothing is called that was not printed"
    wait_for(lambda: spy.on(c.t.printer("k1"))[-1]["state"] == state, 3, f"printer state {state}")
    again = d.take("LAND")
    if mode == "cut":      # it answers its status, so the kiosk tries again: and voids again
        assert not again.ok and "hủy" in again.vi
    else:
        assert not again.ok and "Tạm ngừng phát số" in again.vi and again.ticket is None, "issuing stops"
    emu.mode = "ok"
    good = d.take("LAND")
    assert good.ok, "back by itself once the printer is"
    assert spy.on(c.t.printer("k1"))[-1]["state"] == "ok"
    called = [c.command("1", "next")["state"]["ticket"] for _ in range(2)]
    assert called == [good.ticket["label"], None], "only the printed ticket is ever called"


def test_paper_low_and_slow_printers_still_print(desk):
    d, emu, c, spy = desk
    emu.mode = "paper_low"
    assert d.take("LAND").ok
    wait_for(lambda: spy.on(c.t.printer("k1"))[-1]["state"] == "paper_low", 3, "paper_low published")
    emu.mode = "slow"
    assert d.take("JUST").ok


def test_hub_unreachable_is_a_clear_message(desk, tmp_path):
    d, emu, c, spy = desk
    c.link.client.disconnect()
    taken = d.take("LAND")
    assert not taken.ok and taken.vi.startswith("Hệ thống đang bận")


def take_cli(cfg, service: str, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kiosk.printing", "--config", str(cfg.path), "--id", "k1",
                           "--take", service, *extra], capture_output=True, text=True, cwd=ROOT, env=env(), timeout=60)


def test_take_from_the_command_line_prints_a_real_ticket_or_says_why_not(desk):
    d, emu, c, spy = desk
    statuses = Spy(d.cfg.mqtt.port, f"{c.t.root}/status/#")
    ok = take_cli(d.cfg, "JUST", "--priority")
    assert ok.returncode == 0, ok.stderr
    assert "Số B001" in ok.stdout and "ƯU TIÊN" in ok.stdout and "Ticket B001 — Service JUST — PRIORITY" in ok.stdout
    wait_for(lambda: emu.tickets, 5, "the printed ticket")
    assert c.command("2", "next")["state"]["ticket"] == "B001", "confirmed: it can be called"
    assert {t for t, *_ in statuses.msgs} == {f"{c.t.root}/status/hub", f"{c.t.root}/status/kiosk-k1"}, \
        "a tool on the command line has no status of its own"
    statuses.close()
    emu.mode = "paper_out"
    out = take_cli(d.cfg, "JUST")
    assert out.returncode == 1 and "hết giấy" in out.stderr
    assert c.command("2", "next")["state"]["ticket"] is None, "nothing is called that was not printed"
    emu.mode = "ok"
    bad = take_cli(d.cfg, "NOPE")
    assert bad.returncode == 1 and "Unknown service" in bad.stderr


def test_a_refusal_naming_a_service_with_a_slash_is_shown_whole(tmp_path, broker):
    """The kiosk shows the hub's error.text as it is, never a string split on " / "."""
    emu = PrinterEmulator()
    kiosk = {"id": "k1", "printer": {"connection": "network", "host": "127.0.0.1", "port": emu.port}}
    land = {"id": "LAND", "name": {"vi": "Đất đai / Nhà ở", "en": "Land / Housing"}, "prefix": "A",
            "first": 1, "last": 1}
    cfg = config.load(write_site(tmp_path, site_data(tmp_path, broker.port, services=[land], kiosks=[kiosk],
                                                     counters=[{"id": "1", "name": {"vi": "Quầy 1", "en": "C 1"},
                                                                "services": ["LAND"]}])))
    hub = HubProcess(cfg.path, tmp_path / "hub.log").start()
    client = HubClient(cfg, "kiosk-k1").start()
    client.issue("?", timeout=0.2, tries=100)
    desk = TicketDesk(cfg, cfg.kiosks[0], client, TicketPrinter(cfg.kiosks[0].printer))
    assert desk.take("LAND").ok
    refused = desk.take("LAND")                          # its one number is gone
    assert (refused.vi, refused.en) == ("Đã hết số hôm nay: Đất đai / Nhà ở", "No more tickets today: Land / Housing")
    client.stop(), hub.stop(), emu.close()


def test_each_printer_keeps_its_own_paper_width(tmp_path):
    """python-escpos shares a profile between devices: opening an 80 mm printer must not make a
    58 mm one opened after it (in the same process) draw 576 dots."""
    from kiosk.printing.devices import open_device
    wide = open_device(Printer("directory", path=str(tmp_path / "a"), paper_width_mm=80))
    narrow = open_device(Printer("directory", path=str(tmp_path / "b"), paper_width_mm=58))
    widths = [d.profile.profile_data["media"]["width"]["pixels"] for d in (wide, narrow)]
    assert widths == [576, 384]
