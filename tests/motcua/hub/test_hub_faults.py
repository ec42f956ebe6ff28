"""The hub under faults from outside and in its own writes: one hostile request in a batch,
missing arguments, a COMMIT that fails on a full disk or leaves its transaction open, a day change
rolled back, a rating across midnight, a new day with no recent calls, the lookup limit keyed on
who really asks."""
import json
import os
import signal
import sqlite3
import subprocess

import pytest
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from devtools.testbed import HubProcess, Spy, site_data, wait_for, write_site
from motcua import config
from motcua.hub.ledger import Ledger
from motcua.hubclient import HubClient
from tests.helpers import FakeClock


def request(spy: Spy, topic: str, body: bytes, reply_to: str, corr: str) -> None:
    props = Properties(PacketTypes.PUBLISH)
    props.ResponseTopic, props.CorrelationData = reply_to, corr.encode()
    spy.publish(topic, body, properties=props)


def replies(spy: Spy, reply_to: str) -> dict[str, dict]:
    """Replies by correlation data."""
    with spy.lock:
        return {p.CorrelationData.decode(): json.loads(b) for t, b, _, p in spy.msgs if t == reply_to}


def test_one_hostile_request_never_spoils_the_batch_it_arrived_in(hub, broker):
    proc, c, cfg = hub
    reply_to = f"{c.t.root}/reply/outsider/1"
    spy = Spy(broker.port, reply_to)
    proc.proc.send_signal(signal.SIGSTOP)          # everything below reaches the hub in one read
    try:
        request(spy, c.t.issue, b'{"service": "LAND"}', reply_to, "a")
        request(spy, c.t.issue, b"[" * 100_000, reply_to, "deep")
        request(spy, c.t.issue, b'{"service": "LAND", "command_id": "\\ud800"}', reply_to, "surrogate")
        request(spy, c.t.counter_command("1"), b'{"action": "next"}', reply_to, "b")
        request(spy, c.t.issue, b'{"service": "JUST"}', reply_to, "c")
    finally:
        proc.proc.send_signal(signal.SIGCONT)
    got = wait_for(lambda: (r := replies(spy, reply_to)) and len(r) == 5 and r, 10, "five replies")
    assert got["a"]["ok"] and got["a"]["ticket"]["label"] == "A001"
    assert got["b"]["ok"] and got["b"]["state"]["ticket"] == "A001"
    assert got["c"]["ok"] and got["c"]["ticket"]["label"] == "B001"
    for bad in ("deep", "surrogate"):
        assert got[bad]["error"]["code"] == "bad_request", got[bad]
    log = proc.log.read_text(errors="replace")
    assert "cannot commit" not in log and "RecursionError" not in log
    spy.close()


@pytest.fixture
def ledger(tmp_path):
    clock = FakeClock("2026-11-30 09:00")
    cfg = config.load(write_site(tmp_path, site_data(tmp_path)))
    led = Ledger(cfg, clock=clock)
    yield led, clock
    led.close()


@pytest.mark.parametrize("action, arg, code", [
    ("transfer", {}, "bad_request"), ("transfer", {"service": "NOPE"}, "unknown_service"),
    ("call", {}, "bad_request"), ("call", {"ticket": "Z999"}, "unknown_ticket")])
def test_a_missing_argument_is_a_bad_request_an_unknown_one_is_unknown(ledger, action, arg, code):
    led, _ = ledger
    led.issue("LAND")
    led.command("1", "next")
    reply = led.command("1", action, **arg).reply
    assert reply["error"]["code"] == code, reply


def test_a_day_change_rolled_back_runs_again(ledger):
    led, clock = ledger
    led.issue("LAND")
    led.command("1", "next")                       # counter 1 serves A001 ...
    led.issue("LAND")                              # ... and A002 waits
    clock.set("2026-12-01 08:00")
    with pytest.raises(RuntimeError):
        with led.batch():
            led.issue("JUST")                      # the day changes inside the batch ...
            raise RuntimeError("... and the batch is rolled back")
    assert led.command("1", "next").reply["state"]["ticket"] is None, "yesterday's A002 is not called today"
    assert led.counter_state("1")["status"] == "idle"
    old = led.db.execute("SELECT label, status FROM tickets WHERE day='2026-11-30' ORDER BY label").fetchall()
    assert [tuple(r) for r in old] == [("A001", "done"), ("A002", "expired")]
    assert led.issue("LAND").reply["ticket"]["label"] == "A001", "numbering restarts"


def test_a_rating_across_midnight_keeps_the_day_change(ledger):
    led, clock = ledger
    led.issue("LAND")
    led.command("1", "next")
    clock.set("2026-12-01 00:00:30")
    ticket, changes = led.rate("1", 3, "r1")
    assert ticket is None, "nothing is served on the new day"
    assert changes.everything, "the day change is published"


@pytest.fixture
def small_disk(tmp_path):
    """A real filesystem of 4 MiB that the test fills up."""
    mnt = tmp_path / "disk"
    mnt.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mnt)]).returncode != 0:
        pytest.skip("mounting a small filesystem needs root")
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)])


def fill(disk) -> None:
    fd = os.open(disk / "filler", os.O_WRONLY | os.O_CREAT)
    try:
        while os.write(fd, b"\0" * 4096):
            pass
    except OSError:                                # ENOSPC: the disk is full
        pass
    finally:
        os.close(fd)


def test_a_commit_on_a_full_disk_is_unavailable_and_the_hub_recovers(tmp_path, broker, small_disk):
    data = site_data(tmp_path, broker.port)
    data["hub"]["database"] = str(small_disk / "hub.sqlite3")
    cfg = config.load(write_site(tmp_path, data))
    hub = HubProcess(cfg.path, tmp_path / "hub.log").start()
    c = HubClient(cfg, "kiosk-k1").start()
    spy = Spy(broker.port, c.t.status_detail("hub"))     # what the live hall reads beside the hub
    told = [c.issue("LAND", timeout=0.2, tries=100)["ticket"]["id"]]
    fill(small_disk)
    full = [c.issue("LAND", timeout=3) for _ in range(3)]
    assert [r.get("error", {}).get("code") for r in full] == ["unavailable"] * 3, full
    assert "disk is full" in (tmp_path / "hub.log").read_text(errors="replace")
    wait_for(lambda: (spy.on(c.t.status_detail("hub")) or [{}])[-1].get("problem") == "disk_full", 3,
             "the full disk said on status/hub/detail")
    (small_disk / "filler").unlink()
    back = c.issue("LAND", timeout=3)
    assert back["ok"], "back by itself once the disk has room"
    wait_for(lambda: "problem" not in spy.on(c.t.status_detail("hub"))[-1], 3, "the problem no longer said")
    spy.close()
    told.append(back["ticket"]["id"])
    told.append(c.issue("JUST", timeout=3)["ticket"]["id"])
    hub.kill()                                     # SIGKILL: what the kiosk was told must be on disk
    db = sqlite3.connect(cfg.hub.database)
    assert [r[0] for r in db.execute("SELECT id FROM tickets ORDER BY seq")] == told
    c.stop()


def test_the_lookup_limit_follows_who_asks_not_what_they_write(hub):
    proc, c, cfg = hub
    answers = [c.request(c.t.lookup, {"code": "000.00.53.H48-220921-0099", "source": f"me-{i}"})
               for i in range(11)]
    codes = [a.get("error", {}).get("code") for a in answers]
    assert codes == ["not_found"] * 10 + ["rate_limited"], "a new source each time does not reset the limit"
    other = HubClient(cfg, "kiosk-other").start()
    assert other.request(other.t.lookup, {"code": "000.00.53.H48-220921-0099"})["error"]["code"] == "not_found"
    other.stop()


def test_a_commit_that_fails_and_leaves_the_transaction_open_is_rolled_back(tmp_path):
    """SQLite keeps a transaction open when its COMMIT fails on a deferred constraint (it may do the
    same on an I/O error): the store must roll it back, or every later request would land in a
    savepoint of a transaction that is never committed."""
    from motcua.db import transaction
    from motcua.hub import store
    path = tmp_path / "t.sqlite3"
    db = store.connect(path)
    db.executescript("CREATE TABLE parent (id INTEGER PRIMARY KEY);"
                     "CREATE TABLE child (p INTEGER REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED);")
    with pytest.raises(sqlite3.IntegrityError):
        with transaction(db):
            db.execute("INSERT INTO child VALUES (42)")        # fails only at COMMIT
    assert not db.in_transaction
    with transaction(db):
        db.execute("INSERT INTO parent VALUES (1)")
    assert sqlite3.connect(path).execute("SELECT id FROM parent").fetchall() == [(1,)], "committed, on disk"


def test_a_new_day_starts_with_no_recent_calls(ledger):
    led, clock = ledger
    led.issue("LAND")
    led.command("1", "next")
    led.command("1", "recall")
    assert [(e["ticket"], e["recall"]) for e in led.recent_calls()["calls"]] == [("A001", True), ("A001", False)]
    clock.set("2026-12-01 08:00")
    led.tick()
    assert led.recent_calls() == {"day": "2026-12-01", "calls": []}
