"""Ticket printing benchmark against SPEC section 9 (measured, never asserted).

    python bench/printing_bench.py

Render + ESC/POS encode per ticket at both paper widths (budget <= 50 ms), and bytes per ticket.
"""
from __future__ import annotations

import sys
import time
from dataclasses import replace
from pathlib import Path

from escpos.printer import Dummy

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import pct  # noqa: E402
from kiosk.printing.ticket import SAMPLE, render  # noqa: E402
from motcua.config.kiosk import WIDTH_DOTS  # noqa: E402


def main(n: int = 200) -> None:
    print(f"\nmotcua printing benchmark — {n} tickets per width (a priority ticket with a QR code)\n")
    print("| paper | render + encode per ticket | bytes per ticket | budget |\n|---|---|---|---|")
    for mm in (80, 58):
        times, size = [], 0
        render(SAMPLE, WIDTH_DOTS[mm])                  # fonts loaded once, as in a running kiosk
        for i in range(n):
            t0 = time.perf_counter()
            image = render(replace(SAMPLE, label=f"G{i:03d}", waiting_ahead=i), WIDTH_DOTS[mm])
            dev = Dummy()
            dev.profile.profile_data["media"]["width"]["pixels"] = WIDTH_DOTS[mm]
            dev.image(image, impl="bitImageRaster", fragment_height=960)
            dev.cut()
            size = len(dev.output)
            times.append(time.perf_counter() - t0)
        print(f"| {mm} mm ({WIDTH_DOTS[mm]} dots) | p50 {pct(times, 50):.1f} ms, p99 {pct(times, 99):.1f} ms | "
              f"{size:,} | <= 50 ms |")


if __name__ == "__main__":
    main()
