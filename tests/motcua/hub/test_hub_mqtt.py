"""SPEC sections 4 and 10: the hub as a real process behind a real mosquitto."""
import json
import socket
import sqlite3
import threading
import time

import pytest
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from devtools.testbed import Broker, HubProcess, Spy, site_data, wait_for, write_site
from motcua import config
from motcua.hubclient import HubClient, HubUnavailable


def reply_props(client, corr=b"c1"):
    p = Properties(PacketTypes.PUBLISH)
    p.ResponseTopic = f"{client.reply_topic}/raw"
    p.CorrelationData = corr
    return p


def raw_reply(spy, client, topic, payload: bytes, corr: bytes):
    spy.publish(topic, payload, reply_props(client, corr))
    def got():
        with spy.lock:
            return [json.loads(p) for t, p, _, props in spy.msgs
                    if t == f"{client.reply_topic}/raw" and getattr(props, "CorrelationData", None) == corr]
    return wait_for(got, 5, f"a reply to {payload[:40]!r}")[0]


def test_issue_call_and_state_end_to_end(hub, broker):
    proc, c, cfg = hub
    spy = Spy(broker.port, f"{c.t.root}/#")
    t = c.issue("LAND", confirm=True)["ticket"]
    assert t["status"] == "pending"
    assert c.request(c.t.confirm, {"ticket_id": t["id"], "command_id": "cf1"})["ticket"]["status"] == "waiting"
    st = c.command("1", "next")["state"]
    assert (st["status"], st["ticket"], st["ticket_id"]) == ("serving", "A001", t["id"])
    wait_for(lambda: spy.on(c.t.call), 3, "a call event")
    ev = spy.on(c.t.call)[0]
    assert (ev["counter"], ev["ticket"], ev["recall"], ev["calls"]) == ("1", "A001", False, 1)
    wait_for(lambda: any(isinstance(s, dict) and s["ticket"] == "A001" for s in spy.on(c.t.counter_state("1"))),
             3, "counter state")
    wait_for(lambda: any(s.get("served") == 0 and s.get("last_called") == "A001"
                         for s in spy.on(c.t.service_state("LAND"))), 3, "service state")
    later = Spy(broker.port, f"{c.t.root}/#")      # a newcomer gets the retained state
    wait_for(lambda: later.on(c.t.counter_state("1")) and later.on(c.t.status("hub")) == ["online"], 3, "retained")
    assert [m[2] for m in later.msgs if m[0] == c.t.counter_state("1")] == [True]
    wait_for(lambda: later.on(c.t.status_detail("hub")), 3, "status/hub/detail")
    detail = later.on(c.t.status_detail("hub"))[-1]
    assert (detail["board"], detail["restored"]) == (socket.gethostname(), False), "the live hall names the hub's board"
    spy.close(), later.close()


def test_every_error_code_of_the_counter_api(hub):
    _, c, _ = hub
    assert c.command("9", "next")["error"]["code"] == "unknown_counter"
    assert c.command("1", "recall")["error"]["code"] == "nothing_to_recall"
    assert c.command("1", "done")["error"]["code"] == "not_serving"
    assert c.command("1", "call", ticket="A404")["error"]["code"] == "unknown_ticket"
    assert c.issue("NOPE")["error"]["code"] == "unknown_service"
    c.issue("LAND"), c.command("1", "next")
    assert c.command("1", "transfer", service="NOPE")["error"]["code"] == "unknown_service"
    e = c.request(c.t.void, {"ticket_id": "nope", "command_id": "v1"})["error"]
    assert e["code"] == "unknown_ticket" and "/" in e["message"], "Vietnamese / English message"


@pytest.mark.parametrize("payload,why", [
    (b"{not json", "not JSON"), (b"\xff\xfe{}", "not UTF-8"), (b"[1, 2]", "JSON object"),
    (json.dumps({"service": 5}).encode(), "service"), (json.dumps({"service": "LAND", "priority": "yes"}).encode(),
                                                       "priority"),
    (json.dumps({"service": "LAND", "pad": "x" * 1_100_000}).encode(), "too large"),
])
def test_bad_requests_get_bad_request_and_the_hub_goes_on(hub, broker, payload, why):
    _, c, _ = hub
    spy = Spy(broker.port, f"{c.reply_topic}/#")
    r = raw_reply(spy, c, c.t.issue, payload, b"bad")
    assert r["ok"] is False and r["error"]["code"] == "bad_request" and why in r["error"]["message"], r
    assert c.issue("LAND")["ok"] is True, "the hub still serves"
    spy.close()


def test_mqtt311_clients_and_expiry(hub, broker):
    import paho.mqtt.client as paho
    _, c, _ = hub
    old = Spy(broker.port, f"{c.t.root}/reply/dev311/#", protocol=paho.MQTTv311)
    body = {"service": "LAND", "command_id": "d1", "reply_to": f"{c.t.root}/reply/dev311/x", "correlation_id": 42}
    old.publish(c.t.issue, json.dumps(body).encode())
    wait_for(lambda: old.on(f"{c.t.root}/reply/dev311/x"), 5, "3.1.1 reply")
    r = old.on(f"{c.t.root}/reply/dev311/x")[0]
    assert r["ok"] and r["correlation_id"] == 42 and r["ticket"]["label"] == "A001"
    stale = dict(body, command_id="d2", correlation_id=43, expires_at=time.time() - 1)
    old.publish(c.t.issue, json.dumps(stale).encode())
    assert c.issue("LAND")["ticket"]["label"] == "A002", "the expired request was ignored"
    assert [m["correlation_id"] for m in old.on(f"{c.t.root}/reply/dev311/x")] == [42]
    old.close()


def test_reply_topic_outside_reply_tree_is_answered_nowhere(hub, broker):
    _, c, _ = hub
    spy = Spy(broker.port, "#")
    p = Properties(PacketTypes.PUBLISH)
    p.ResponseTopic = f"{c.t.root}/counter/1/command"     # would command a counter
    p.CorrelationData = b"evil"
    spy.publish(c.t.issue, json.dumps({"service": "LAND"}).encode(), p)
    assert c.issue("LAND")["ticket"]["label"] == "A001", "the request was dropped, not applied"
    time.sleep(0.2)
    answers = [m for m in spy.msgs if getattr(m[3], "CorrelationData", None) == b"evil" and m[0] != c.t.issue]
    assert answers == []
    spy.close()


def test_exactly_once_over_the_wire(hub):
    _, c, _ = hub
    a = c.issue("LAND", command_id="same")
    assert c.issue("LAND", command_id="same") == a
    c.issue("LAND")
    assert c.command("1", "next", command_id="n")["state"]["ticket"] == "A001"
    assert c.command("1", "next", command_id="n")["state"]["ticket"] == "A001"


def test_ratings_are_recorded_once(hub):
    proc, c, cfg = hub
    ticket = c.issue("LAND")["ticket"]["id"]
    c.command("1", "next")
    for _ in range(2):
        c.link.publish(c.t.counter_rating("1"), {"score": 3, "command_id": "rate-1"})
    c.link.publish(c.t.counter_rating("1"), {"score": 7, "command_id": "rate-2"})   # dropped, logged
    c.link.publish(c.t.counter_rating("1"), b"\xff not json")                        # dropped, logged
    c.command("1", "done")   # the hub handles messages in order: the ratings are in by now
    db = sqlite3.connect(cfg.hub.database)
    assert db.execute("SELECT command_id, score, ticket_id FROM ratings").fetchall() == [("rate-1", 3, ticket)]


def test_concurrent_next_from_two_counters_never_shares_a_ticket(hub, broker):
    _, c, cfg = hub
    for _ in range(200):
        c.issue("LAND")                      # both counters serve LAND: every press can call one
    called: dict[str, list] = {"1": [], "3": []}
    other = HubClient(cfg, "test-b").start()

    def press(client, counter):
        for _ in range(100):
            st = client.command(counter, "next")["state"]
            if st["ticket"]:
                called[counter].append(st["ticket_id"])

    threads = [threading.Thread(target=press, args=(c, "3")), threading.Thread(target=press, args=(other, "1"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    both = called["1"] + called["3"]
    assert len(both) == len(set(both)), "a ticket was called at two counters"
    assert len(both) == 200, "every press with tickets waiting called one"
    other.stop()


def test_sigkill_mid_burst_then_retry_with_same_command_id(tmp_path, broker):
    cfg = config.load(write_site(tmp_path, site_data(tmp_path, broker.port)))
    hub = HubProcess(cfg.path, tmp_path / "hub.log").start()
    clients = [HubClient(cfg, f"kiosk-{i}").start() for i in range(3)]
    clients[0].issue("NOPE", timeout=0.2, tries=100)
    acked: list[tuple[str, str, str]] = []
    lock = threading.Lock()

    def burst(cl, n):
        for i in range(n):
            cid = f"{cl.link.component}-{i}"
            try:
                r = cl.issue("LAND" if i % 2 else "JUST", command_id=cid, timeout=1.0, tries=8)
            except HubUnavailable:
                continue
            with lock:
                acked.append((cid, r["ticket"]["id"], r["ticket"]["label"]))

    threads = [threading.Thread(target=burst, args=(cl, 150)) for cl in clients]
    for t in threads:
        t.start()
    time.sleep(0.5)
    hub.kill()
    hub.start()
    for t in threads:
        t.join()
    hub.stop()
    db = sqlite3.connect(cfg.hub.database)
    rows = {r[0]: r[1] for r in db.execute("SELECT id, label FROM tickets")}
    assert all(tid in rows for _, tid, _ in acked), "every acknowledged ticket exists"
    labels = list(rows.values())
    assert len(labels) == len(set(labels)), "no label twice"
    assert len({cid for cid, _, _ in acked}) == len(acked)
    assert len(acked) >= 400, f"the clients got through after the restart ({len(acked)} of 450)"
    hub.start()
    cl = clients[0]
    cid, tid, _ = next(a for a in acked if a[0].startswith(cl.link.component))
    again = cl.issue("LAND", command_id=cid, timeout=5)
    assert again["ticket"]["id"] == tid, "a retried request with the same command_id gets the same ticket"
    for cl in clients:
        cl.stop()
    hub.stop()


def test_broker_restart_is_survived_and_state_returns(tmp_path):
    b = Broker(tmp_path / "b").start()
    cfg = config.load(write_site(tmp_path, site_data(tmp_path, b.port)))
    hub = HubProcess(cfg.path, tmp_path / "hub.log").start()
    c = HubClient(cfg, "test").start()
    c.issue("LAND", timeout=0.2, tries=100)
    c.command("1", "next")
    b.stop()
    b.start()                       # no persistence: the retained state is gone with it
    t0 = time.monotonic()
    spy = Spy(b.port, f"{c.t.root}/#")
    wait_for(lambda: spy.on(c.t.counter_state("1")), 8, "counter state after the broker restart")
    assert time.monotonic() - t0 < 5
    assert spy.on(c.t.counter_state("1"))[-1]["ticket"] == "A001"
    wait_for(lambda: spy.on(c.t.status("hub"))[-1:] == ["online"], 5, "status/hub online, said after the state")
    assert c.issue("LAND", timeout=5)["ticket"]["label"] == "A002", "the client reconnected too"
    spy.close(), c.stop(), hub.stop(), b.stop()


def test_last_will_offline_when_killed(hub, broker):
    proc, c, _ = hub
    spy = Spy(broker.port, c.t.status("hub"))
    proc.kill()
    wait_for(lambda: "offline" in spy.on(c.t.status("hub")), 40, "offline last will")
    spy.close()


def test_refused_credentials_exit_78(tmp_path):
    pw = tmp_path / "passwd"
    import subprocess
    subprocess.run(["mosquitto_passwd", "-c", "-b", str(pw), "hub", "right"], check=True)
    b = Broker(tmp_path / "b", extra=f"allow_anonymous false\npassword_file {pw}\n").start()
    data = site_data(tmp_path, b.port)
    (tmp_path / "hub.pw").write_text("wrong\n")
    data["mqtt"].update(username="hub", password_file=str(tmp_path / "hub.pw"))
    hub = HubProcess(write_site(tmp_path, data), tmp_path / "hub.log").start()
    assert hub.proc.wait(15) == 78
    assert "refused" in (tmp_path / "hub.log").read_text()
    b.stop()


def test_the_days_last_calls_are_retained_and_a_restarted_hub_says_the_same(tmp_path):
    b = Broker(tmp_path / "b").start()
    cfg = config.load(write_site(tmp_path, site_data(tmp_path, b.port)))
    hub = HubProcess(cfg.path, tmp_path / "hub.log").start()
    c = HubClient(cfg, "test").start()
    c.issue("LAND", timeout=0.2, tries=100)
    spy = Spy(b.port, f"{c.t.root}/#")
    assert wait_for(lambda: spy.on(c.t.calls_recent), 5, "calls/recent at start")[-1]["calls"] == []
    for _ in range(22):
        c.issue("JUST")
    for _ in range(22):
        c.command("2", "next")
    c.command("2", "recall")
    wait_for(lambda: len(spy.on(c.t.call)) == 23, 5, "23 call events")
    events = spy.on(c.t.call)
    wait_for(lambda: spy.on(c.t.calls_recent)[-1]["calls"] == events[::-1][:20], 5, "the last 20, newest first")
    recent = spy.on(c.t.calls_recent)[-1]
    assert recent["day"] == events[0]["at"][:10] and recent["calls"][0]["recall"], "the recall is the newest call"
    hub.kill()
    b.stop()
    b.start()                      # no persistence: the retained list is gone with the broker
    hub.start()
    later = Spy(b.port, c.t.calls_recent)
    said = wait_for(lambda: later.on(c.t.calls_recent), 10, "calls/recent after the restart")
    assert all(x == recent for x in said), "rebuilt from the ledger: the same list"
    spy.close(), later.close(), c.stop(), hub.stop(), b.stop()
