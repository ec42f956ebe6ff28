"""The standby taking over when the hub's board dies (SPEC 14), and the replica's lag (measured, never asserted).

    python bench/takeover_bench.py [--cuts 20]

(a) Takeover: the boards as network namespaces (devtools/boards.py: keepalived with the shipped
config and notify script, mosquitto, the hub, Litestream, the standby), a kiosk and a keypad
bridge busy on the hub's address the whole time (devtools/hall_sim.py). N times, at a random
moment, the board that is the hub is cut (link down, every process SIGKILLed); the time from the
cut to the hall's first answer is one takeover; then the cut board comes back (as the standby)
and, next time, it is the other board that is cut. Printed: p50/p99/max, no label twice, every
ticket honoured. (b) The replica's lag under a busy morning: a hub on a real mosquitto issuing and
calling at about 10 requests a second for a minute, Litestream copying to a path on a filesystem of
its own; every second the copy is restored and the oldest ticket a kiosk was told about that it
lacks gives the lag (how long that ticket has waited), p50/p99/max.
"""
from __future__ import annotations

import json
import random
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import count, pct, workspace  # noqa: E402
from devtools.boards import Hall, netns_allowed  # noqa: E402
from devtools.testbed import HubProcess, site_data, wait_for, write_site  # noqa: E402
from motcua import config  # noqa: E402
from motcua.hub.replica import Database, Litestream, databases, litestream_binary  # noqa: E402
from motcua.hubclient import HubClient  # noqa: E402

BUSY_S = (4.0, 8.0)       # how long the hall is busy between cuts


def takeovers(cuts: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    tmp = Path(tempfile.mkdtemp(prefix="motcua-takeover-"))
    hall = Hall(tmp, f"tb{uuid.uuid4().hex[:4]}", net=rng.randint(60, 250)).up()
    try:
        hall.a.boot()
        hall.wait_hub(hall.a)
        hall.b.boot()
        wait_for(lambda: hall.b.running("standby"), 30, "the standby")
        out = tmp / "hall.json"
        clients = hall.clients(cuts * 22.0, seed, out)
        hub, other, cut_at = hall.a, hall.b, []
        for _ in range(cuts):
            time.sleep(rng.uniform(*BUSY_S))
            cut_at.append(time.time())
            hub.cut()
            hall.wait_hub(other, 60)
            hub.boot()                                   # back, as the standby
            wait_for(lambda b=hub: b.running("standby"), 30, f"board {hub.name} standby again")
            hub, other = other, hub
        clients.wait(cuts * 22.0 + 120)
        report(json.loads(out.read_text()), cut_at)
    finally:
        hall.close()


def report(seen: dict, cut_at: list[float]) -> None:
    answers = sorted(i["at"] for i in seen["issues"] + seen["presses"] if i["reply"])
    back = [next(a for a in answers if a > t) - t for t in cut_at if any(a > t for a in answers)]
    told = [i["reply"]["ticket"]["label"] for i in seen["issues"] if i["reply"] and i["reply"].get("ok")]
    pressed = [p["reply"]["state"]["ticket"] for p in seen["presses"]
               if p["reply"] and p["reply"].get("ok") and p["reply"]["state"]["ticket"]]
    called = set(pressed) | {c["ticket"] for c in seen["screen_calls"]}
    taken = {c["label"] for c in seen["calls_at_end"] if c["reply"] and c["reply"].get("ok")}
    print(f"(a) takeover over {len(cut_at)} cuts: hall answering again after p50 {pct(back, 50) / 1000:.1f} s, "
          f"p99 {pct(back, 99) / 1000:.1f} s, max {max(back):.1f} s (budget 30 s)")
    print(f"    {len(told)} tickets, {len(pressed)} presses answered; "
          f"labels issued twice: {len(told) - len(set(told))}; "
          f"presses answered with a ticket already called: {len(pressed) - len(set(pressed))}; "
          f"tickets not honoured: {len(set(told) - called - taken)}")


def replica_lag(seconds: float = 60.0, rate: float = 10.0) -> None:
    tmp, broker = workspace("replica-lag")
    stick = tmp / "stick"
    stick.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(stick)], check=True)
    hub = client = litestream = None
    try:
        data = site_data(tmp, broker.port)
        data["hub"]["replicas"] = [{"path": str(stick)}]
        cfg = config.load(write_site(tmp, data))
        hub = HubProcess(cfg.path, tmp / "hub.log").start()
        client = HubClient(cfg, "bench").start()
        client.request(client.t.issue, {"service": "NOPE"}, timeout=0.2, tries=100)
        ls = Litestream(litestream_binary(), cfg, 0, str(tmp))
        litestream = ls.replicate()
        told: list[tuple[str, float]] = []          # (ticket id, when the kiosk was told), in order
        lags, stop = [], threading.Event()
        sampler = threading.Thread(target=sample_lag, args=(ls, databases(cfg)[0], tmp, told, lags, stop))
        sampler.start()
        end, n = time.monotonic() + seconds, 0
        while time.monotonic() < end:
            if n % 3 == 2:
                client.command(str(1 + n % 3), "next", timeout=5)
            else:
                reply = client.issue("LAND" if n % 2 else "JUST", timeout=5)
                told.append((reply["ticket"]["id"], time.time()))
            n += 1
            time.sleep(max(0.0, 1 / rate))
        time.sleep(3)
        stop.set()
        sampler.join()
        print(f"(b) replica lag, {n} requests in {seconds:.0f} s ({n / seconds:.1f}/s), {len(lags)} restores of the "
              f"copy: the oldest ticket not in it had waited p50 {pct(lags, 50) / 1000:.1f} s, "
              f"p99 {pct(lags, 99) / 1000:.1f} s, max {max(lags):.1f} s")
    finally:
        if litestream:
            litestream.terminate()
            litestream.wait(15)
        if client:
            client.stop()
        if hub:
            hub.stop()
        broker.stop()
        subprocess.run(["umount", "-l", str(stick)])


def sample_lag(ls: Litestream, ledger: Database, tmp: Path, told: list, lags: list, stop: threading.Event) -> None:
    """Every second: the copy restored, and how long the oldest ticket a kiosk was told about and the copy lacks
    has waited (0 when it has them all)."""
    out = tmp / "sample.sqlite3"
    while not stop.is_set():
        at, known = time.time(), list(told)
        for stale in (out, Path(f"{out}-wal"), Path(f"{out}-shm")):
            stale.unlink(missing_ok=True)
        if ls.restore(ledger, str(out)):
            db = sqlite3.connect(out)
            have = {r[0] for r in db.execute("SELECT id FROM tickets")}
            db.close()
            lags.append(next((at - t for ticket, t in known if ticket not in have), 0.0))
        time.sleep(1.0)


def main() -> int:
    cuts = count("--cuts", 20)
    why = netns_allowed()
    if why is not None:
        print(f"(a) skipped: {why}")
    else:
        takeovers(cuts)
    if litestream_binary() is not None:
        replica_lag()
    return 0


if __name__ == "__main__":
    sys.exit(main())
