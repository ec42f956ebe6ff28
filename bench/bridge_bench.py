"""Bridge benchmark against SPEC section 9 (measured, never asserted).

    python bench/bridge_bench.py [--presses N]

A keypad frame written on a real pseudo-terminal -> the counter's state and the call event
published by the hub, p50/p99 (budget p99 <= 30 ms), paced like a busy clerk; and the bridge's
resident memory (budget <= 40 MB).
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import count, pct, rss_mb, workspace  # noqa: E402
from devtools.testbed import BridgeProcess, HubProcess, PtyPair, Spy, site_data, write_site  # noqa: E402
from firmware_bridge.simulator import KeypadSim  # noqa: E402
from motcua import config  # noqa: E402
from motcua.hubclient import HubClient  # noqa: E402


def main() -> None:
    n = count("--presses", 500)
    tmp, broker = workspace("bbench")
    line = PtyPair(tmp).start()
    cfg = config.load(write_site(tmp, site_data(tmp, broker.port, bridges=[
        {"id": "b1", "ports": [{"device": str(line.a), "keypads": {5: "1"}}]}])))
    hub = HubProcess(cfg.path, tmp / "hub.log").start()
    bridge = BridgeProcess(cfg.path, tmp / "bridge.log").start()
    c = HubClient(cfg, "bench").start()
    c.issue("?", timeout=0.2, tries=100)
    for _ in range(n):
        c.issue("LAND")
    spy = Spy(broker.port, f"{c.t.root}/#")
    kp = KeypadSim(str(line.b), 5)          # ACKs SHOW and BEEP and answers PING, as a keypad does
    kp.hello()
    time.sleep(1.0)
    state_lat, call_lat = [], []
    for _ in range(n):
        calls_before = len(spy.on(c.t.call))
        states_before = len(spy.on(c.t.counter_state("1")))
        t0 = time.perf_counter()             # the frame goes on the line first thing in press()
        kp.press("NEXT")
        call_lat.append(spy.arrival(c.t.call, calls_before) - t0)
        state_lat.append(spy.arrival(c.t.counter_state("1"), states_before) - t0)
        time.sleep(0.1)
    kp.close()
    mem = rss_mb(bridge.proc.pid)
    for p in (bridge, hub):
        p.stop()
    spy.close(), c.stop(), line.stop(), broker.stop()
    print(f"\nmotcua bridge benchmark — {n} presses, one every ~100 ms\n")
    print("| what | measured | budget |\n|---|---|---|")
    print(f"| keypad frame -> call event published | p50 {pct(call_lat, 50):.1f} ms, p99 {pct(call_lat, 99):.1f} ms "
          f"| p99 <= 30 ms |")
    print(f"| keypad frame -> counter state published | p50 {pct(state_lat, 50):.1f} ms, "
          f"p99 {pct(state_lat, 99):.1f} ms | p99 <= 30 ms |")
    print(f"| bridge resident memory | {mem:.1f} MB | <= 40 MB |")


if __name__ == "__main__":
    main()
