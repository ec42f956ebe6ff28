"""SPEC 4.1 against the real hub behind a real mosquitto: a reply topic or a correlation id that a
client chose to hurt the hub gets no reply at all, is not applied, and costs neither the honest
requests sent beside it nor the hub's connection or life. Plus the rule itself, as properties."""
import json
import logging
import signal
import string

import paho.mqtt.client as paho
from hypothesis import given
from hypothesis import strategies as st
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from devtools.testbed import Spy, site_data, wait_for, write_site
from motcua import config
from motcua.hub import wire
from motcua.hub.ledger import Ledger
from motcua.hub.server import HubServer

PREFIX = "motcua/site/reply/"
ALLOWED = string.ascii_letters + string.digits + "_./-"
UNCONNECTED = paho.Client(paho.CallbackAPIVersion.VERSION2, protocol=paho.MQTTv5)


def v5_request(spy: Spy, topic: str, body: dict, reply_to: str, corr: str) -> None:
    props = Properties(PacketTypes.PUBLISH)
    props.ResponseTopic, props.CorrelationData = reply_to, corr.encode()
    spy.publish(topic, json.dumps(body).encode(), properties=props)


def test_hostile_reply_routes_get_nothing_and_the_honest_ones_beside_them_are_answered(hub, broker):
    proc, c, cfg = hub
    honest = f"{c.t.root}/reply/honest/1"
    watch = Spy(broker.port, f"{c.t.root}/#")
    old = Spy(broker.port, "nothing", protocol=paho.MQTTv311)
    hostile_3 = [f"{honest}\u0001", f"{honest}\u0000", f"{honest}\u0085", f"{honest}\uffff",
                 f"{c.t.root}/reply/" + "x" * 70_000, f"{c.t.root}/reply/+", f"{c.t.root}/counter/1/command", 42]
    hostile_ids = [["a", "list"], {"an": "object"}, "x" * 100_000, 2 ** 70, True]
    proc.proc.send_signal(signal.SIGSTOP)          # everything below reaches the hub in one read
    try:
        for i, reply_to in enumerate(hostile_3):
            old.publish(c.t.issue, json.dumps({"service": "LAND", "reply_to": reply_to,
                                               "correlation_id": f"bad-{i}"}).encode())
            v5_request(watch, c.t.issue, {"service": "LAND"}, honest, f"honest-{i}")
        for cid in hostile_ids:
            old.publish(c.t.issue, json.dumps({"service": "LAND", "reply_to": f"{honest}/311",
                                               "correlation_id": cid}).encode())
        v5_request(watch, c.t.issue, {"service": "LAND"}, f"{c.t.root}/reply/with space", "v5-space")
        v5_request(watch, c.t.issue, {"service": "LAND"}, f"{c.t.root}/reply/" + "y" * 201, "v5-long")
        old.publish(c.t.issue, json.dumps({"service": "JUST", "reply_to": f"{honest}/311",
                                           "correlation_id": "fine"}).encode())
    finally:
        proc.proc.send_signal(signal.SIGCONT)
    got = wait_for(lambda: (r := replies(watch, honest)) and len(r) == len(hostile_3) and r, 10, "honest replies")
    assert sorted(r["ticket"]["label"] for r in got.values()) == [f"A{i:03d}" for i in range(1, len(hostile_3) + 1)], \
        "every honest request answered, and no hostile one took a number"
    wait_for(lambda: watch.on(f"{honest}/311"), 5, "the honest 3.1.1 reply")
    assert [(r["correlation_id"], r["ticket"]["label"]) for r in watch.on(f"{honest}/311")] == [("fine", "B001")]
    assert c.issue("LAND", timeout=3)["ticket"]["label"] == f"A{len(hostile_3) + 1:03d}", "still answering"
    answered = {t for t, *_ in watch.msgs if "/reply/" in t} - {c.t.hub_health_reply}
    assert answered <= {honest, f"{honest}/311", c.reply_topic + "/r"}, "nothing went anywhere else"
    assert "offline" not in watch.on(c.t.status("hub")) and proc.proc.poll() is None, "connected and alive"
    log = proc.log.read_text(errors="replace")
    assert "disconnected" not in log and log.count("dropped a request") == 1, "never dropped; logged once"
    watch.close(), old.close()


def replies(spy: Spy, topic: str) -> dict[str, dict]:
    with spy.lock:
        return {p.CorrelationData.decode(): json.loads(b) for t, b, _, p in spy.msgs if t == topic}


def test_a_reply_paho_refuses_costs_that_reply_only(tmp_path, caplog):
    """What the rule lets through paho publishes; should it ever refuse one, the hub logs it and goes on."""
    cfg = config.load(write_site(tmp_path, site_data(tmp_path)))
    server = HubServer(cfg, Ledger(cfg))
    with caplog.at_level(logging.WARNING, logger="motcua.hub"):
        for _ in range(3):
            server.reply(wire.Route("motcua/x/reply/+/#"), {"ok": True})     # paho raises ValueError
    server.reply(wire.Route(f"{server.t.reply_prefix}k1", None, "c1"), {"ok": True})
    assert caplog.text.count("cannot publish a reply") == 1, "logged once a minute at most"
    server.ledger.close()


@given(st.text(alphabet=ALLOWED, min_size=1, max_size=200))
def test_every_reply_topic_of_the_rule_is_accepted_and_publishable(tail):
    topic = PREFIX + tail
    assert wire.valid_reply_topic(topic, PREFIX)
    assert len(topic.encode()) < 65_535 and "+" not in topic and "#" not in topic
    UNCONNECTED.publish(topic, b"{}", qos=1)       # paho takes it (queued, not connected): it never raises


@given(st.text(min_size=1, max_size=300))
def test_a_reply_topic_with_anything_else_is_refused(tail):
    ok = len(tail) <= 200 and all(ch in ALLOWED for ch in tail)
    assert wire.valid_reply_topic(PREFIX + tail, PREFIX) is ok
    assert not wire.valid_reply_topic("motcua/other/reply/" + tail, PREFIX), "another site's reply tree"


def test_the_edges_of_the_rule():
    assert not wire.valid_reply_topic(PREFIX, PREFIX), "at least one character"
    assert wire.valid_reply_topic(PREFIX + "a" * 200, PREFIX) and not wire.valid_reply_topic(PREFIX + "a" * 201, PREFIX)
    for bad in ("\u0001", "\u0000", "\u0085", "\uffff", "+", "#", " ", "é", "\n"):
        assert not wire.valid_reply_topic(PREFIX + "k1" + bad, PREFIX), repr(bad)
    for value in (None, 5, [PREFIX + "a"], b"x"):
        assert not wire.valid_reply_topic(value, PREFIX)


json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
                           lambda kids: st.lists(kids, max_size=3) | st.dictionaries(st.text(), kids, max_size=3),
                           max_leaves=10)


@given(json_values, json_values)
def test_a_route_read_from_any_payload_is_none_or_safe_to_answer(reply_to, cid):
    r = wire.route(None, {"service": "LAND", "reply_to": reply_to, "correlation_id": cid}, PREFIX)
    if reply_to is None:
        assert r == wire.Route(None)
    elif r is not None:
        assert wire.valid_reply_topic(r.topic, PREFIX)
        assert len(json.dumps({"ok": True, "correlation_id": r.correlation_id})) < 300
