"""What every benchmark needs: its one count from the command line, a scratch folder with its own
mosquitto, and the two measures (percentiles, resident memory)."""
from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

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


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


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
