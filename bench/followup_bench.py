"""Follow-up benchmarks against SPEC section 9 (measured, never asserted).

    python bench/followup_bench.py [--changes N]

The real follow-up process and the real gammu-smsd on Gammu's dummy phone: one dossier change at a
time (committed to the hub's store as an import does) -> its SMS handed to the daemon, p50/p99
(budget p99 <= 5 s); a burst of N changed dossiers (default 10,000) -> all handed (budget <= 60 s);
a letter of apology's time (<= 1 s); the follow-up's resident memory (<= 50 MB).
"""
from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import count, pct, rss_mb, workspace  # noqa: E402
from devtools.demo.followup import section  # noqa: E402
from devtools.testbed import GammuSmsd, env, site_data, write_site  # noqa: E402
from motcua import config  # noqa: E402
from motcua.child import in_a_child  # noqa: E402
from motcua.db import transaction  # noqa: E402
from motcua.followup.papers import Apology  # noqa: E402
from motcua.hub import dossiers  # noqa: E402


def dossier(i: int, now: datetime, status: int = 2) -> dossiers.Dossier:
    """The i-th believable dossier received today: codes run 0000..9999 a day, back from today."""
    day = now - timedelta(days=i // 10000)
    return dossiers.Dossier(code=f"000.00.53.H48-{day:%y%m%d}-{i % 10000:04d}", procedure="Cấp giấy phép xây dựng",
                            agency="Sở Xây dựng", received_at=now.isoformat(timespec="seconds"),
                            due_at=(now + timedelta(days=10)).isoformat(timespec="seconds"), finished_at=None,
                            status=status, applicant="Lê Văn A", phone=f"09{i:08d}", note="Bổ sung bản vẽ")


def handed(db: Path) -> dict[str, float]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return dict(conn.execute("SELECT code, handed FROM messages WHERE handed IS NOT NULL"))
    except sqlite3.Error:
        return {}
    finally:
        conn.close()


def main(n: int) -> None:
    tmp, broker = workspace("fubench")
    smsd = GammuSmsd(tmp / "gammu").start()
    follow = section(tmp, smsd)
    follow["sms"]["per_phone_daily"] = 50
    cfg = config.load(write_site(tmp, site_data(tmp, broker.port, followup=follow)))
    store = dossiers.connect(dossiers.store_path(cfg))
    proc = subprocess.Popen([sys.executable, "-m", "motcua.followup", "--config", str(cfg.path), "--log-level",
                             "WARNING"], cwd=ROOT, env=env(), stderr=open(tmp / "followup.log", "ab"))
    time.sleep(2)
    now = datetime.now(cfg.site.tz)
    lat, fu_db = [], Path(cfg.followup.database)
    for i in range(100):                          # one change at a time
        d = dossier(50_000 + i, now)
        with transaction(store):
            dossiers.upsert(store, [d], now)
        committed = time.time()
        while d.code not in (h := handed(fu_db)):
            time.sleep(0.02)
        lat.append(h[d.code] - committed)
        time.sleep(0.1)
    burst = [dossier(i, now) for i in range(n)]
    with transaction(store):
        dossiers.upsert(store, burst, now)
    t0 = time.time()
    while len(handed(fu_db)) < 100 + n:
        time.sleep(0.5)
        if time.time() - t0 > 900:
            break
    all_handed = time.time() - t0
    mem = rss_mb(proc.pid)
    proc.terminate()
    proc.wait(10)
    letters = []
    a = Apology("000.00.53.H48-251124-0002", "Nguyễn Văn An", "Cấp giấy phép xây dựng", "Sở Xây dựng",
                date(2026, 11, 24), date(2026, 12, 4), date(2026, 12, 10), "cần xác minh thực địa")
    for i in range(20):                           # drawn in a child process, as the follow-up does
        t = time.perf_counter()
        in_a_child("motcua.followup.letters", "apology_letter", cfg.followup.letter, a, f"{i}/XL", date(2026, 12, 3),
                   tmp / f"{i}.pdf")
        letters.append(time.perf_counter() - t)
    smsd.stop(), broker.stop()
    print(f"\nmotcua follow-up benchmark — gammu-smsd on the dummy phone, {n:,} changes in the burst\n")
    print("| what | measured | budget |\n|---|---|---|")
    print(f"| dossier change committed -> SMS handed to gammu-smsd (100, one at a time) | p50 {pct(lat, 50):.0f} ms, "
          f"p99 {pct(lat, 99):.0f} ms | p99 <= 5 s |")
    print(f"| {n:,} changed dossiers -> all handed over | {all_handed:.1f} s ({n / all_handed:.0f}/s) | <= 60 s |")
    print(f"| letter of apology PDF (in its child process, start included) | p50 {pct(letters, 50):.0f} ms, "
          f"p99 {pct(letters, 99):.0f} ms | <= 1 s |")
    print(f"| follow-up resident memory (after the burst) | {mem:.1f} MB | <= 50 MB |")


if __name__ == "__main__":
    main(count("--changes", 10_000))
