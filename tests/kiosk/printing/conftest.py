"""The fixtures of the printing tests: a kiosk's print flow against a real hub."""
import pytest

from devtools.testbed import HubProcess, Spy, site_data, write_site
from kiosk.printing.emulator import PrinterEmulator
from kiosk.printing.flow import TicketDesk, publish_printer_state
from kiosk.printing.printer import TicketPrinter
from motcua import config
from motcua.hubclient import HubClient


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

