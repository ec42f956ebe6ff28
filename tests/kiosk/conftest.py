"""The fixtures of the kiosk's tests: a real hub for taking a number, and one holding the sample dossiers."""
import subprocess
import sys

import pytest

from devtools.testbed import ROOT, HubProcess, env, service, site_data, write_site
from kiosk.printing.emulator import PrinterEmulator
from motcua import config

PIN = "2468"

LONG_NAMES = [   # a real centre's longest names, so that large text must wrap them and the tiles scroll
    ("LABOUR", "G", "Lao động - Thương binh và Xã hội", "Labour, invalids and social affairs"),
    ("TRANSPORT", "E", "Giao thông vận tải", "Transport and driving licences"),
    ("NATURE", "H", "Tài nguyên và Môi trường", "Natural resources and environment"),
    ("FARM", "K", "Nông nghiệp và Phát triển nông thôn", "Agriculture and rural development")]


@pytest.fixture
def hall(tmp_path, broker):
    """A hub with one open service, one out of its hours and one whose only number is left, and a
    kiosk with a printer emulator and no large-text button."""
    emu = PrinterEmulator()
    kiosk = {"id": "k1", "printer": {"connection": "network", "host": "127.0.0.1", "port": emu.port, "timeout_s": 2},
             "large_mode": False}
    services = [service("LAND", "A"), service("JUST", "B", hours=["00:00-00:01"]), service("TAX", "", 1001, 1001)]
    cfg = config.load(write_site(tmp_path, site_data(tmp_path, broker.port, services=services, kiosks=[kiosk])))
    hub = HubProcess(cfg.path, tmp_path / "hub.log").start()
    yield cfg, emu, tmp_path
    hub.stop(), emu.close()


@pytest.fixture
def dossier_hall(tmp_path, broker):
    """A hub holding the sample dossiers, a kiosk with a printer emulator, a 5 s idle reset and a PIN."""
    emu = PrinterEmulator()
    kiosk = {"id": "k1", "printer": {"connection": "network", "host": "127.0.0.1", "port": emu.port, "timeout_s": 2},
             "idle_reset_s": 5, "maintenance_pin": PIN}
    services = [service("LAND", "A"), service("JUST", "B"), service("TAX", "", 1001, 1999),
                *[{**service(sid, prefix), "name": {"vi": vi, "en": en}} for sid, prefix, vi, en in LONG_NAMES]]
    cfg = config.load(write_site(tmp_path, site_data(tmp_path, broker.port, services=services, kiosks=[kiosk])))
    subprocess.run([sys.executable, "-m", "motcua.hub", "--config", str(cfg.path), "--import-dossiers",
                    str(ROOT / "config" / "sample-dossiers.csv")], check=True, cwd=ROOT, env=env(),
                   capture_output=True)
    hub = HubProcess(cfg.path, tmp_path / "hub.log").start()
    yield cfg, hub, tmp_path
    hub.stop(), emu.close()

