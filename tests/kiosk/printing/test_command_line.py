"""``python -m kiosk.printing`` for technicians: ``--test-ticket`` asks the printer's status, prints and
says why not; ``--take`` takes a real number through the hub and prints it, or says why not."""
import subprocess
import sys

from devtools.testbed import ROOT, Spy, env, site_data, wait_for, write_site
from kiosk.printing.emulator import PrinterEmulator


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
    hubs = c.t.status("hub")
    assert {t for t, *_ in statuses.msgs if t != hubs and not t.startswith(hubs + "/")} == {c.t.status("kiosk-k1")}, \
        "a tool on the command line has no status of its own"
    statuses.close()
    emu.mode = "paper_out"
    out = take_cli(d.cfg, "JUST")
    assert out.returncode == 1 and "hết giấy" in out.stderr
    assert c.command("2", "next")["state"]["ticket"] is None, "nothing is called that was not printed"
    emu.mode = "ok"
    bad = take_cli(d.cfg, "NOPE")
    assert bad.returncode == 1 and "Unknown service" in bad.stderr

