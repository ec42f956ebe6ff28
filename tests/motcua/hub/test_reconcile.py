"""The hub's board died; a hub starts from an OLD copy of its ledger on a fresh broker (every retained message gone):
before answering it hears what the kiosks and wall screens saw, so no label is issued twice and a printed label the
copy lacks is still called (SPEC 14). A real hub, a real mosquitto, the product's own client links."""
import json
import shutil
import sqlite3
import time
from pathlib import Path

from devtools.testbed import Broker, HubProcess, site_data, wait_for, write_site
from motcua import config
from motcua.contract import ANY, Topics, ticket_id_of
from motcua.hub import reconcile
from motcua.hub.ledger import Ledger
from motcua.hub.reconcile import Reconciler
from motcua.hubclient import HubClient
from motcua.link import Link
from tests.helpers import FakeClock


def hall(tmp_path):
    b = Broker(tmp_path / "broker")
    kiosk = {"id": "k1", "printer": {"connection": "directory", "path": str(tmp_path)}}
    cfg = config.load(write_site(tmp_path, site_data(tmp_path, b.port, kiosks=[kiosk],
                                                     displays=[{"id": "d1", "counters": ["1", "2", "3"]}])))
    return b.start(), cfg


def issue(client: HubClient, service: str) -> str:
    reply = client.issue(service, timeout=2, tries=10)
    assert reply["ok"], reply
    return reply["ticket"]["label"]


def old_copy(cfg, to):
    """A consistent copy of the ledger as it is now (what a replica a few seconds behind holds)."""
    src, dst = sqlite3.connect(cfg.hub.database), sqlite3.connect(to)
    src.backup(dst)
    src.close()
    dst.close()


def test_a_hub_restored_from_an_old_copy_issues_above_what_the_hall_saw(tmp_path):
    broker, cfg = hall(tmp_path)
    hub = HubProcess(cfg.path, tmp_path / "hub.log").start()
    t = Topics(cfg.mqtt.topic_root, cfg.site.id)
    kiosk = HubClient(cfg, "kiosk-k1", subscriptions=(t.service_state(ANY),))     # as the kiosk follows the hall
    screen = Link(cfg, "display-d1", subscriptions=(t.service_state(ANY), t.call, t.calls_recent))  # the wall screen
    try:
        kiosk.start()
        screen.start()
        told = [issue(kiosk, "LAND") for _ in range(3)] + [issue(kiosk, "JUST")]
        assert kiosk.command("1", "next", timeout=2, tries=10)["state"]["ticket"] == "A001"
        old_copy(cfg, tmp_path / "old.sqlite3")
        told += [issue(kiosk, "LAND") for _ in range(3)]                       # A004..A006: not in the copy
        assert kiosk.command("1", "next", timeout=2, tries=10)["state"]["ticket"] == "A002"
        wait_for(lambda: screen.seen.labels.get("LAND") == "A006" and any(
            c["ticket"] == "A002" for c in screen.seen.calls), 5, "the screen to see A006 issued and A002 called")
        wait_for(lambda: kiosk.link.seen.labels == {"LAND": "A006", "JUST": "B001"}, 5, "the kiosk to see them")

        hub.kill()                                  # the board died: its hub, its broker and their retained state
        broker.stop()
        for suffix in ("-wal", "-shm"):
            Path(f"{cfg.hub.database}{suffix}").unlink(missing_ok=True)
        shutil.copy(tmp_path / "old.sqlite3", cfg.hub.database)
        reconcile.mark(cfg, "test: an old copy")
        broker.start()                              # a fresh broker on the hall's address: nothing retained
        hub = HubProcess(cfg.path, tmp_path / "hub2.log").start()

        told.append(issue(kiosk, "LAND"))
        assert told[-1] == "A007", "the first label after the loss is above every label the hall saw"
        assert issue(kiosk, "JUST") == "B002"
        called = kiosk.command("3", "call", ticket="A005", timeout=2, tries=5)
        assert called["ok"] and called["state"]["ticket"] == "A005", called   # printed, missing from the copy
        again = kiosk.command("1", "next", timeout=2, tries=5)
        assert again["state"]["ticket"] == "A003", "A002, called before the loss, is not called again"
        assert not reconcile.mark_path(cfg).exists()
        db = sqlite3.connect(cfg.hub.database)
        labels = [r[0] for r in db.execute("SELECT label FROM tickets")]
        assert len(labels) == len(set(labels))
        assert len(told) == len(set(told)), "no label told to a kiosk twice"
    finally:
        kiosk.stop()
        screen.stop()
        hub.stop()
        broker.stop()


def test_a_hub_not_restored_answers_at_once_and_still_keeps_above_what_was_seen(tmp_path):
    broker, cfg = hall(tmp_path)
    hub = HubProcess(cfg.path, tmp_path / "hub.log").start()
    kiosk = HubClient(cfg, "kiosk-k1", subscriptions=(Topics(cfg.mqtt.topic_root, cfg.site.id).service_state(ANY),))
    try:
        kiosk.start()
        started = time.monotonic()
        assert issue(kiosk, "LAND") == "A001"
        assert time.monotonic() - started < 4, "no wait for the hall without a restored ledger"
        stranger = Link(cfg, "display-d1", announce=False)
        stranger.start()
        wait_for(stranger.connected.is_set, 5, "a link")
        day = kiosk.link.seen.day
        stranger.publish(stranger.topics.seen("display-d1"), {"day": day, "labels": {"LAND": "A041"}, "calls": []},
                         retain=True)
        wait_for(lambda: issue(kiosk, "LAND") == "A042", 5, "the hub to go on above a label seen")
        stranger.publish(stranger.topics.seen("display-d1"), b"not json", retain=True)
        assert issue(kiosk, "JUST") == "B001", "an unreadable seen message harms nothing"
        stranger.stop()
    finally:
        kiosk.stop()
        hub.stop()
        broker.stop()


# --- the reconciler on a ledger, without processes ---------------------------------------------

def restored_ledger(make_cfg, labels: int):
    """A ledger holding ``labels`` LAND tickets, marked restored as ``--restore`` leaves it; its clock mid-morning,
    after the calls the tests make at 00:01-00:03 (the real clock failed them in a day's first minutes)."""
    cfg = make_cfg(kiosks=[{"id": "k1", "printer": {"connection": "directory", "path": "/tmp"}}])
    ledger = Ledger(cfg, clock=FakeClock("2026-11-30 09:00"))
    for _ in range(labels):
        ledger.issue("LAND")
    reconcile.mark(cfg, "test")
    return cfg, ledger


def said(ledger, labels, calls):
    return json.dumps({"day": ledger.day, "labels": labels, "calls": calls}).encode()


def event(ledger, label, counter, minute):
    return {"counter": counter, "ticket": label, "ticket_id": ticket_id_of(ledger.day, label),
            "service": "LAND", "recall": False, "calls": 1, "at": f"{ledger.day}T00:{minute:02d}:00+07:00"}


def test_a_restored_hub_waits_for_the_hall_then_goes_on_above_what_it_saw(make_cfg):
    cfg, ledger = restored_ledger(make_cfg, 3)                       # the copy: A001-A003, all waiting
    r = Reconciler(cfg, ledger, wait_s=10)
    assert r.holding(0.0), "nothing is answered before the broker answers"
    r.connected(100.0)
    assert r.holding(105.0)
    r.hear("kiosk-k1", said(ledger, {"LAND": "A006"}, [event(ledger, "A002", "1", 3), event(ledger, "A001", "1", 1),
                                                       event(ledger, "A005", "2", 2)]))
    assert not r.holding(101.0), "every kiosk of the site heard: no need to wait longer"
    with ledger.batch():
        r.apply()
    assert not reconcile.mark_path(cfg).exists()
    assert ledger.issue("LAND").reply["ticket"]["label"] == "A007"
    assert ledger.counter_state("2")["ticket"] == "A005", "a call the copy lacked, of a ticket it lacked"
    assert ledger.counter_state("1")["ticket"] == "A002", "the counter serves its last call, as the hall saw"
    assert ledger.command("1", "next").reply["state"]["ticket"] == "A003", "A001 and A002 were called already"
    assert ledger.command("3", "call", ticket="A004").reply["ok"], "printed, missing from the copy: taken in"
    assert not ledger.command("3", "call", ticket="A008").reply["ok"], "never issued: refused"


def test_a_call_heard_late_only_keeps_its_ticket_from_being_called_again(make_cfg):
    cfg, ledger = restored_ledger(make_cfg, 3)
    r = Reconciler(cfg, ledger, wait_s=0)
    r.connected(0.0)
    with ledger.batch():
        r.apply()                                                    # nobody heard in time
    assert ledger.command("1", "next").reply["state"]["ticket"] == "A001"
    r.hear("display-d1", said(ledger, {}, [event(ledger, "A002", "1", 0)]))   # a screen, late, with an older call
    with ledger.batch():
        r.apply()
    assert ledger.counter_state("1")["ticket"] == "A001", "the counter is not moved back"
    assert ledger.command("1", "next").reply["state"]["ticket"] == "A003"


def test_what_cannot_be_read_is_passed_over(make_cfg):
    cfg, ledger = restored_ledger(make_cfg, 1)
    r = Reconciler(cfg, ledger)
    for payload in (b"", b"not json", b"[1]", said(ledger, {"LAND": 7, "X": "ZZ9"}, ["x", {"counter": "9"}])):
        r.hear("kiosk-k1", payload)
    with ledger.batch():
        r.apply()
    assert ledger.issue("LAND").reply["ticket"]["label"] == "A002"
