"""Dossier benchmarks against SPEC section 9 (measured, never asserted).

    python bench/dossier_bench.py [--rows N]

Writes N believable dossiers (default 1,000,000) as CSV, imports them with the real command
(rows/s and the importer's peak memory), then measures lookup round trips through mosquitto and
the hub (budget p99 <= 20 ms) and the store lookup alone.
"""
from __future__ import annotations

import csv
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import count, pct, workspace  # noqa: E402
from devtools.testbed import HubProcess, env, site_data, write_site  # noqa: E402
from motcua import config  # noqa: E402
from motcua.contract import DOSSIER_FIELDS  # noqa: E402
from motcua.hub import dossiers  # noqa: E402
from motcua.hubclient import HubClient  # noqa: E402

PROCEDURES = ["Cấp giấy chứng nhận quyền sử dụng đất lần đầu", "Đăng ký biến động đất đai", "Đăng ký khai sinh",
              "Đăng ký thành lập doanh nghiệp", "Cấp giấy phép xây dựng", "Cấp phiếu lý lịch tư pháp"]
NAMES = ["Nguyễn Văn An", "Trần Thị Bích Ngọc", "Lê Minh Tuấn", "Phạm Thị Hoa", "Võ Văn Hùng"]


def code(i: int) -> str:
    """Unique for i < 9,990,000: (i // 9999, i % 9999) gives back i."""
    return f"{i // 9999:03d}.00.53.H48-25{1 + i % 12:02d}{1 + i % 28:02d}-{1 + i % 9999:04d}"


def write_rows(path: Path, n: int) -> list[str]:
    rng, codes = random.Random(1), []
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(DOSSIER_FIELDS)
        for i in range(n):
            c = code(i)
            codes.append(c)
            w.writerow([c, rng.choice(PROCEDURES), "Văn phòng Đăng ký đất đai", "2025-03-01T08:00:00+07:00",
                        "2025-03-20T17:00:00+07:00", "", rng.randint(1, 10), rng.choice(NAMES), "0905123456", ""])
    return codes


def main() -> None:
    n = count("--rows", 1_000_000)
    tmp, broker = workspace("dbench")
    cfg = config.load(write_site(tmp, site_data(tmp, broker.port)))
    codes = write_rows(tmp / "d.csv", n)
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, "-m", "motcua.hub", "--config", str(cfg.path), "--import-dossiers",
                        str(tmp / "d.csv")], capture_output=True, text=True, cwd=ROOT, env=env())
    took = time.perf_counter() - t0
    assert r.returncode == 0, r.stderr[-2000:]
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    db = dossiers.connect(dossiers.database_path(cfg.hub.database))
    stored = db.execute("SELECT COUNT(*) FROM dossiers").fetchone()[0]
    rng = random.Random(2)
    direct = []
    for _ in range(2000):
        c = rng.choice(codes)
        t1 = time.perf_counter()
        dossiers.find(db, c)
        direct.append(time.perf_counter() - t1)
    hub = HubProcess(cfg.path, tmp / "hub.log").start()
    cl = HubClient(cfg, "bench").start()
    cl.issue("?", timeout=0.2, tries=100)
    wire = []
    for i in range(1000):
        if i % 10 == 0:         # the hub allows one client 10 lookups a minute: a client per ten
            asker = HubClient(cfg, f"bench-{i}").start()
        t1 = time.perf_counter()
        got = asker.request(asker.t.lookup, {"code": rng.choice(codes), "source": "bench"})
        wire.append(time.perf_counter() - t1)
        assert got["ok"], got
        if i % 10 == 9:
            asker.stop()
        time.sleep(0.02)
    cl.stop()
    hub.stop()
    broker.stop()
    print(f"\nmotcua dossier benchmark — {stored:,} dossiers in the store\n")
    print("| what | measured | budget |\n|---|---|---|")
    print(f"| import {n:,} rows (CSV, one transaction) | {took:.1f} s, {n / took:,.0f} rows/s, "
          f"peak {peak:.0f} MB | |")
    print(f"| lookup round trip through mosquitto and the hub, 50/s | p50 {pct(wire, 50):.2f} ms, "
          f"p99 {pct(wire, 99):.2f} ms | p99 <= 20 ms |")
    print(f"| store lookup alone | p50 {pct(direct, 50):.3f} ms, p99 {pct(direct, 99):.3f} ms | |")


if __name__ == "__main__":
    main()
