"""SPEC section 10, at the ledger: killed with SIGKILL in the middle of writes, many times over."""
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from devtools.testbed import ROOT, env, site_data, write_site

ROUNDS = 15
WRITER = Path(__file__).with_name("crash_writer.py")


def test_sigkill_mid_write_never_loses_or_duplicates(tmp_path):
    path = write_site(tmp_path, site_data(tmp_path))
    told: set[str] = set()
    rng = random.Random(7)
    for round_no in range(ROUNDS):
        p = subprocess.Popen([sys.executable, str(WRITER), str(path), str(round_no)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env(), cwd=ROOT)
        time.sleep(0.4 + rng.random() * 0.4)
        p.send_signal(signal.SIGKILL)
        out, errs = p.communicate(timeout=10)
        assert p.returncode == -signal.SIGKILL, errs.decode()
        told |= set(out.decode().split())
        db = sqlite3.connect(tmp_path / "hub.sqlite3")
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        ids = {r[0] for r in db.execute("SELECT id FROM tickets")}
        assert told <= ids, f"tickets a client was told about are missing: {sorted(told - ids)[:5]}"
        dup = db.execute("SELECT day, label, COUNT(*) FROM tickets GROUP BY day, label HAVING COUNT(*) > 1").fetchall()
        assert not dup
        for svc, numbers in db.execute("SELECT origin_service, group_concat(number) FROM tickets GROUP BY 1"):
            ns = sorted(map(int, numbers.split(",")))
            assert ns == list(range(ns[0], ns[0] + len(ns))), f"{svc}: numbers skipped or reused"
        two = db.execute("SELECT ticket_id, COUNT(*) FROM counters WHERE ticket_id IS NOT NULL "
                         "GROUP BY ticket_id HAVING COUNT(*) > 1").fetchall()
        assert not two, "a ticket serving at two counters"
        db.close()
    assert len(told) > 100, "the writer should have issued plenty of tickets"
