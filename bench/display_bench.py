"""Wall screen benchmark against SPEC section 9 (measured, never asserted).

    python bench/display_bench.py [--calls N]

A call event published -> the frame that shows it, p50/p99 (budget <= 50 ms), with 30 counters,
rendered offscreen; and the board's resident memory beside a bare
Kivy app in a window of the same size (budget: at most 40 MB more). CLOCK_MONOTONIC is one
clock for every process on a machine, so the board's "frame shows X at T" log lines and the
bench's publish times compare directly.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import bare_kivy_mb, count, pct, rss_mb, workspace  # noqa: E402
from devtools.testbed import counter, env, service, site_data, wait_for, write_site  # noqa: E402
from motcua import config  # noqa: E402
from motcua.link import Link  # noqa: E402


def main() -> None:
    n = count("--calls", 300)
    tmp, broker = workspace("dspbench")
    counters = [counter(i, ["LAND"]) for i in range(1, 31)]
    cfg = config.load(write_site(tmp, site_data(tmp, broker.port, services=[service("LAND", "A", 1, 9999)],
                                                counters=counters, displays=[
        {"id": "hall", "counters": [str(i) for i in range(1, 31)], "voice": {"enabled": False}}])))
    log = tmp / "board.log"
    board = subprocess.Popen([sys.executable, "-m", "display_board", "--config", str(cfg.path), "--id", "hall",
                              "--log-level", "DEBUG"], stdout=open(log, "wb"), stderr=subprocess.STDOUT, cwd=ROOT,
                             env={**env(), "SDL_VIDEODRIVER": "offscreen", "KIVY_HOME": str(tmp / "kivy")})
    pub = Link(cfg, "bench")
    pub.start()
    pub.connected.wait(5)
    wait_for(lambda: b"Start application main loop" in log.read_bytes(), 30, "the board to start")
    time.sleep(1.0)
    sent: dict[str, float] = {}
    for i in range(n):
        label = f"A{i + 1:04d}"
        sent[label] = time.monotonic()
        event = {"counter": str(1 + i % 30), "ticket": label, "ticket_id": label, "service": "LAND",
                 "recall": False, "calls": 1, "at": "2026-11-30T09:00:00+07:00"}
        pub.publish(pub.topics.call, event)
        time.sleep(0.2)
    time.sleep(1.0)
    mem = rss_mb(board.pid)
    board.terminate()
    board.wait(10)
    pub.stop()
    broker.stop()
    bare = bare_kivy_mb(tmp, 1920, 1080)
    shown = dict(re.findall(r"frame shows (\S+) at ([\d.]+)", log.read_text(errors="replace")))
    lat = [float(shown[k]) - t for k, t in sent.items() if k in shown]
    print(f"\nmotcua wall screen benchmark — 30 counters, {n} calls 200 ms apart, offscreen on {os.cpu_count()} CPUs\n")
    print("| what | measured | budget |\n|---|---|---|")
    print(f"| call event -> frame showing it ({len(lat)} of {n} seen) | p50 {pct(lat, 50):.1f} ms, "
          f"p99 {pct(lat, 99):.1f} ms | <= 50 ms |")
    print(f"| board resident memory, beside a bare Kivy app (one label, 1920×1080) | {mem:.0f} MB, bare {bare:.0f} MB: "
          f"+{mem - bare:.0f} MB | <= +40 MB |")


if __name__ == "__main__":
    main()
