"""Taking a number at the kiosk, without a window, wired as ``python -m kiosk`` wires it: each
service's button says why it is closed, a hub away disables everything with the message, and one
tap gives one ticket even during a slow print."""
import time

from devtools.testbed import wait_for
from kiosk.__main__ import wire
from kiosk.printing.printer import PrinterState
from kiosk.taking import KioskModel
from motcua.hubclient import HubClient


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

