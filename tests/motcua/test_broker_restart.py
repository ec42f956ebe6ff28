"""SPEC section 10: the broker restarted — with no persistence, so every retained message is gone
with it — and every process of the hall says again what it holds retained: statuses, the keypads',
the printer's, the counters' and the services' state. A fresh subscriber sees the hall as before."""
import subprocess
import sys
import time

from devtools.testbed import ROOT, BridgeProcess, Broker, HubProcess, PtyPair, Spy, env, site_data, wait_for, write_site
from firmware_bridge.simulator import Bus, KeypadSim
from kiosk.__main__ import wire
from kiosk.printing.emulator import PrinterEmulator
from motcua import config
from motcua.hubclient import HubClient


def retained(port: int, root: str) -> dict[str, bytes]:
    """What a newcomer to the broker is told at once: every retained message under the hall."""
    spy = Spy(port, f"{root}/#")
    time.sleep(0.3)
    spy.close()
    return {t: p for t, p, was_retained, _ in spy.msgs if was_retained}


def test_every_retained_topic_returns_after_a_broker_restart_without_persistence(tmp_path):
    broker, line, emu = Broker(tmp_path / "broker").start(), PtyPair(tmp_path).start(), PrinterEmulator()
    kiosk = {"id": "k1", "printer": {"connection": "network", "host": "127.0.0.1", "port": emu.port}}
    data = site_data(tmp_path, broker.port, kiosks=[kiosk], displays=[{"id": "hall", "counters": ["1", "2"]}],
                     bridges=[{"id": "b1", "ports": [{"device": str(line.a), "keypads": {5: "1"}}]}])
    cfg = config.load(write_site(tmp_path, data))
    hub = HubProcess(cfg.path, tmp_path / "hub.log").start()
    bridge = BridgeProcess(cfg.path, tmp_path / "bridge.log").start()
    board = subprocess.Popen([sys.executable, "-m", "display_board", "--config", str(cfg.path), "--id", "hall"],
                             cwd=ROOT, stdout=open(tmp_path / "board.log", "ab"), stderr=subprocess.STDOUT,
                             env={**env(), "SDL_VIDEODRIVER": "offscreen", "SDL_AUDIODRIVER": "dummy",
                                  "KIVY_HOME": str(tmp_path / "kivy")})
    _, _, kiosk_client, desk = wire(cfg, cfg.kiosks[0], "kiosk-k1")     # the kiosk as it runs, without its window
    kiosk_client.start()
    desk.check_printer()
    bus = Bus(str(line.b))
    KeypadSim(bus, 5).hello()
    c = HubClient(cfg, "test").start()
    c.issue("LAND", timeout=0.2, tries=100)
    c.command("1", "next")
    root = c.t.root
    want = {c.t.status(x) for x in ("hub", "bridge-b1", "keypad-1", "display-hall", "kiosk-k1")} | {
        c.t.printer("k1"), *(c.t.counter_state(n) for n in ("1", "2", "3")),
        *(c.t.service_state(s) for s in ("LAND", "JUST"))}
    try:
        served = c.t.counter_state("1")       # the state after the call, not the one just before it
        before = wait_for(lambda: (r := retained(broker.port, root)) and want <= r.keys()
                          and b'"serving"' in r[served] and b'"last_called":"A001"' in r[c.t.service_state("LAND")]
                          and r, 30, "every process to publish its retained state")
        assert {t: before[t] for t in want if t.startswith(f"{root}/status/")} == \
            {t: b"online" for t in want if t.startswith(f"{root}/status/")}
        broker.stop()
        broker.start()
        t0 = time.monotonic()
        after = wait_for(lambda: (r := retained(broker.port, root)) and want <= r.keys() and r, 10,
                         "the retained state again after the restart")
        assert time.monotonic() - t0 < 5 + 1, "SPEC 10: back within 5 s (one subscriber's look of slack)"
        assert {t: after[t] for t in want} == {t: before[t] for t in want}, "the same hall as before"
    finally:
        bus.close()
        c.stop(), kiosk_client.stop(), board.terminate(), bridge.stop(), hub.stop()
        board.wait(10)
        emu.close(), line.stop(), broker.stop()
