"""What every benchmark needs: its one count from the command line, a scratch folder with its own
mosquitto, the two measures (percentiles, resident memory); and what several share: the demo's
whole hall started, and the console's open streams timed."""
from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

from devtools.demo import console as demo_console
from devtools.demo.__main__ import Hall, board_env
from devtools.testbed import Broker


def count(option: str, default: int) -> int:
    """The benchmark's one size, e.g. ``--presses 500``."""
    ap = argparse.ArgumentParser()
    ap.add_argument(option, type=int, default=default)
    return vars(ap.parse_args())[option.lstrip("-").replace("-", "_")]


def workspace(prefix: str) -> tuple[Path, Broker]:
    """A fresh scratch folder and a mosquitto of its own, started."""
    tmp = Path(tempfile.mkdtemp(prefix=f"motcua-{prefix}-"))
    return tmp, Broker(tmp / "broker").start()


def pct(xs: list[float], p: float) -> float:
    """The p-th percentile of durations in seconds, in milliseconds."""
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))] * 1000


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    """Resident memory now (``VmHWM``: its peak so far), in MB; NaN once the process is gone."""
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return float("nan")
    for line in lines:
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def start_hall(hall: Hall, site: Path, cfg, display_args: tuple[str, ...] = ()) -> None:
    """Every process of the demo's hall as the demo starts them (the kiosk too, as a running window);
    ``display_args`` e.g. ``("--log-level", "DEBUG")`` for the wall screen's "frame shows" lines."""
    py, env = sys.executable, {**board_env(), "KIVY_HOME": str(hall.out / "kivy")}
    hall.spawn("hub", [py, "-m", "motcua.hub", "--config", str(site)])
    demo_console.start(hall.spawn, site, cfg, lambda *a: None)
    hall.spawn("bridge", [py, "-m", "firmware_bridge", "--config", str(site), "--id", "b1"])
    hall.spawn("display", [py, "-m", "display_board", "--config", str(site), "--id", "hall", *display_args], env=env)
    hall.spawn("kiosk", [py, "-m", "kiosk", "--config", str(site), "--id", cfg.kiosks[0].id], env=env)
    hall.spawn("followup", [py, "-m", "motcua.followup", "--config", str(site)])


def bare_kivy_mb(tmp: Path, width: int, height: int, settle_s: float = 2.0) -> float:
    """Resident memory of a bare Kivy app showing one label in a window of that size, offscreen."""
    import subprocess
    import sys
    import time

    from devtools.testbed import env, wait_for
    log = tmp / f"bare-{width}x{height}.log"
    p = subprocess.Popen([sys.executable, str(Path(__file__).with_name("bare_kivy.py")), str(width), str(height)],
                         stdout=open(log, "wb"), stderr=subprocess.STDOUT,
                         env={**env(), "SDL_VIDEODRIVER": "offscreen", "KIVY_HOME": str(tmp / "kivy-bare")})
    wait_for(lambda: b"first frame" in log.read_bytes(), 60, "the bare Kivy app to draw")
    time.sleep(settle_s)
    mem = rss_mb(p.pid)
    p.terminate()
    p.wait(10)
    return mem


def shows(key: str, label: str, buf: str) -> bool:
    """Whether a console stream's text shows the called label where its page does: a counter card
    (``/hall``), the panel's ticket (``/counter/``), a phone's "now serving" list (as the event
    carries it, JSON-escaped)."""
    marker = ('class="cticket">{}<' if "/hall" in key else 'id="ticket">{}<' if "/counter/" in key
              else "<b>{}</b> →").format(label)
    return json.dumps(marker, ensure_ascii=False)[1:-1] in buf


async def streams(base: str, cookie: str, paths: list[str], calls, expect) -> tuple[list[float], int]:
    """Open every stream, then for each call: the time until each stream shows ``expect(i, key, text)``.

    Each stream keeps what it received since the call with the time of each chunk, so a change
    that arrives before the call's reply (which names the label) is still timed when it came."""
    import aiohttp
    logs: dict[str, list[tuple[float, str]]] = {f"{j}:{p}": [] for j, p in enumerate(paths)}
    ready, opened = asyncio.Event(), [0]

    async def follow(session, path: str, key: str) -> None:
        async with session.get(base + path, headers={"Cookie": cookie}) as r:
            opened[0] += 1
            if opened[0] == len(paths):
                ready.set()
            async for chunk in r.content.iter_any():
                logs[key].append((time.perf_counter(), chunk.decode("utf-8", "replace")))

    def arrival(i: int, key: str) -> float | None:
        text = ""
        for at, chunk in logs[key]:
            text += chunk
            if expect(i, key, text):
                return at
        return None

    lat, missing = [], 0
    conn = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=conn, timeout=aiohttp.ClientTimeout(total=None)) as session:
        tasks = [asyncio.create_task(follow(session, p, f"{j}:{p}")) for j, p in enumerate(paths)]
        await asyncio.wait_for(ready.wait(), 60)
        await asyncio.sleep(2.0)
        for i, call in enumerate(calls):
            for log in logs.values():
                log.clear()
            sent = time.perf_counter()
            await asyncio.to_thread(call)
            deadline, found = sent + 10, {}
            while len(found) < len(paths) and time.perf_counter() < deadline:
                await asyncio.sleep(0.05)
                found.update({k: at for k in logs if k not in found and (at := arrival(i, k)) is not None})
            lat += [at - sent for at in found.values()]
            missing += len(paths) - len(found)
            await asyncio.sleep(0.2)
        for t in tasks:
            t.cancel()
    return lat, missing
