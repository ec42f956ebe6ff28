"""The print flow through a real hub (SPEC section 6): a printed ticket is confirmed and can be called;
paper out, offline and a connection cut mid-ticket void it and stop issuing until the printer is back;
paper low and a slow printer still print; a hub away and a refusal are said in full."""
import pytest
import zxingcpp

from devtools.testbed import HubProcess, site_data, wait_for, write_site
from kiosk.printing.emulator import PrinterEmulator
from kiosk.printing.flow import TicketDesk
from kiosk.printing.printer import TicketPrinter
from motcua import config
from motcua.hubclient import HubClient


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

