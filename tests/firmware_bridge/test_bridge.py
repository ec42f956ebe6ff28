"""SPEC section 5 end to end: simulated keypads on real pseudo-terminals, the bridge and the hub
as real processes, a real mosquitto."""
import sqlite3
import time
from types import SimpleNamespace

import pytest

from devtools.testbed import BridgeProcess, HubProcess, PtyPair, Spy, site_data, wait_for, write_site
from firmware_bridge.protocol import encode
from firmware_bridge.simulator import Bus, Faults, KeypadSim, NoAck
from motcua import config
from motcua.hubclient import HubClient


@pytest.fixture
def hall(tmp_path, broker):
    """Keypad 5 -> counter 1 and keypad 6 -> counter 2 on one line; keypad 7 -> counter 3 on another."""
    line1, line2 = PtyPair(tmp_path, "l1").start(), PtyPair(tmp_path, "l2").start()
    data = site_data(tmp_path, broker.port, bridges=[{"id": "b1", "ports": [
        {"device": str(line1.a), "keypads": {5: "1", 6: "2"}}, {"device": str(line2.a), "keypads": {7: "3"}}]}])
    cfg = config.load(write_site(tmp_path, data))
    hub = HubProcess(cfg.path, tmp_path / "hub.log").start()
    bridge = BridgeProcess(cfg.path, tmp_path / "bridge.log").start()
    c = HubClient(cfg, "test").start()
    c.issue("?", timeout=0.2, tries=100)
    spy = Spy(broker.port, f"{c.t.root}/#")
    wait_for(lambda: "online" in spy.on(c.t.status("bridge-b1")), 20, "the bridge online")   # its ports are open
    buses: dict = {}

    def keypad(addr=5, line=line1, faults=None, hello=True):
        if line not in buses or not buses[line].running:
            buses[line] = Bus(str(line.b))
        kp = KeypadSim(buses[line], addr, faults)
        if hello:
            kp.hello()
        return kp

    yield SimpleNamespace(c=c, t=c.t, spy=spy, keypad=keypad, line1=line1, line2=line2, cfg=cfg, bridge=bridge,
                          hub=hub, log=tmp_path / "bridge.log")
    for bus in buses.values():
        bus.close()
    spy.close(), c.stop(), bridge.stop(), hub.stop(), line1.stop(), line2.stop()


def counter_state(h, counter):
    states = [s for s in h.spy.on(h.t.counter_state(counter)) if isinstance(s, dict)]
    return states[-1] if states else None


def test_every_key_acts_and_the_led_follows(hall):
    h = hall
    kp = hall.keypad()
    wait_for(lambda: "online" in h.spy.on(h.t.status("keypad-1")), 5, "keypad-1 online")
    ids = [h.c.issue("LAND")["ticket"]["id"] for _ in range(3)]
    h.c.issue("JUST")
    kp.press("NEXT")
    assert kp.wait_display("A001") and wait_for(lambda: kp.beeps == [1], 3, "one beep on a call")
    kp.press("RECALL")
    wait_for(lambda: kp.beeps == [1, 1], 3, "a beep on the recall")
    assert [e["recall"] for e in h.spy.on(h.t.call)] == [False, True]
    kp.press("SKIP")
    assert kp.wait_display("A002")
    kp.press("DONE")
    assert kp.wait_display("----")
    kp.press("CALL", "A001")                     # the no-show comes back
    assert kp.wait_display("A001")
    kp.press("TRANSFER", "JUST")
    assert kp.wait_display("----")
    kp.press("PAUSE")
    assert kp.wait_display("PAUSE")
    kp.press("RESUME")
    assert kp.wait_display("----")
    kp.press("NEXT")
    assert kp.wait_display("A003")
    kp.rate(3)
    kp.press("RECALL")                               # the rating is in by the time this is answered
    wait_for(lambda: counter_state(h, "1")["calls"] == 2, 3, "recall")
    db = sqlite3.connect(h.cfg.hub.database)
    assert db.execute("SELECT score, ticket_id FROM ratings").fetchall() == [(3, ids[2])]
    assert db.execute("SELECT service, status FROM tickets WHERE id=?", (ids[0],)).fetchone() == ("JUST", "waiting")


def test_errors_show_err_and_two_beeps_then_the_state_again(hall):
    kp = hall.keypad()
    kp.press("DONE")                                 # not serving
    assert kp.wait_display("ERR") and wait_for(lambda: kp.beeps == [2], 3, "two beeps")
    assert kp.wait_display("----", timeout=5), "the LED returns to the counter's state"
    kp.press("TRANSFER", "NOPE")
    assert kp.wait_display("ERR")


def test_state_changed_elsewhere_is_shown(hall):
    kp = hall.keypad()
    hall.c.issue("LAND")
    hall.c.command("1", "next")                      # e.g. from the supervisor's screen
    assert kp.wait_display("A001")


def test_keypads_on_one_line_and_on_two_lines(hall):
    k5, k6, k7 = hall.keypad(5), hall.keypad(6), hall.keypad(7, hall.line2)
    hall.c.issue("LAND"), hall.c.issue("JUST"), hall.c.issue("LAND")
    k6.press("NEXT")
    k5.press("NEXT")
    k7.press("NEXT")
    assert k6.wait_display("B001") and k5.wait_display("A001") and k7.wait_display("A002")


def test_unknown_address_gets_no_ack_and_garbage_is_survived(hall):
    stranger = hall.keypad(9, hello=False)
    with pytest.raises(NoAck):
        stranger.hello()
    kp = hall.keypad()
    kp.ser.write(b"garbage\r\n" + b"$" * 300 + b"\r\n" + b"\xff\xfe\x00\r\n" + encode(5, 77, "KEY", "NEXT")[:-5]
                 + b"00\r\n")
    hall.c.issue("LAND"), hall.c.issue("LAND")        # had the broken NEXT acted, A002 would be called too
    kp.press("NEXT")
    assert kp.wait_display("A001"), "the bridge goes on"
    wait_for(lambda: hall.spy.on(hall.t.call), 5, "the call event")    # it may reach the spy after the LED
    time.sleep(0.5)
    assert [e["ticket"] for e in hall.spy.on(hall.t.call)] == ["A001"], "the frame with a bad checksum did nothing"
    assert "not configured" in hall.log.read_text()


def test_noisy_line_each_press_acts_exactly_once(hall):
    """10% of frames dropped, repeated or corrupted, both ways: 25 presses, 25 calls."""
    for _ in range(25):
        hall.c.issue("LAND")
    kp = hall.keypad(faults=Faults(drop=0.1, repeat=0.1, corrupt=0.1, seed=7))
    for _ in range(25):
        kp.press("NEXT")
    wait_for(lambda: len(hall.spy.on(hall.t.call)) >= 25, 10, "25 calls")
    time.sleep(1)
    calls = [e["ticket"] for e in hall.spy.on(hall.t.call)]
    assert calls == [f"A{i:03d}" for i in range(1, 26)], "each press exactly once, in order"


def test_repeated_frame_with_same_seq_is_acked_not_acted(hall):
    kp = hall.keypad()
    hall.c.issue("LAND"), hall.c.issue("LAND")
    data = encode(5, 42, "KEY", "NEXT")
    for _ in range(3):
        kp.ser.write(data)
        time.sleep(0.1)
    wait_for(lambda: hall.spy.on(hall.t.call), 3, "a call")
    time.sleep(0.5)
    assert len(hall.spy.on(hall.t.call)) == 1
    assert len([f for f in kp.received if f.verb == "ACK" and f.args == ("42",)]) == 3, "ACKed every time"


def test_unplugged_adapter_is_reopened(hall):
    kp = hall.keypad()
    kp.bus.close()
    hall.line1.stop()                                 # the USB adapter is pulled out
    time.sleep(2.5)
    assert "vanished" in hall.log.read_text() or "missing" in hall.log.read_text()
    hall.line1.start()                                # plugged back in
    hall.c.issue("LAND")
    kp = hall.keypad(hello=False)
    wait_for(lambda: _try_hello(kp), 8, "the bridge to reopen the port")
    kp.press("NEXT")
    assert kp.wait_display("A001")


def _try_hello(kp) -> bool:
    try:
        kp.hello()
        return True
    except NoAck:
        return False


def test_press_survives_a_broker_outage(hall, broker):
    kp = hall.keypad()
    hall.c.issue("LAND")
    broker.stop()
    kp.press("NEXT")                                   # ACKed: the bridge owns it now
    time.sleep(1)
    broker.start()                                     # the same port again
    assert kp.wait_display("A001", timeout=10), "delivered once the broker is back"


@pytest.mark.slow
def test_silent_keypad_goes_offline_and_comes_back(hall):
    kp = hall.keypad(faults=Faults(silent=False))
    wait_for(lambda: "online" in hall.spy.on(hall.t.status("keypad-1")), 5, "online")
    kp.faults.silent = True
    wait_for(lambda: hall.spy.on(hall.t.status("keypad-1"))[-1] == "offline", 25, "offline after 15 s of silence")
    kp.faults.silent = False
    wait_for(lambda: hall.spy.on(hall.t.status("keypad-1"))[-1] == "online", 8, "online again after a PONG")


@pytest.mark.slow
def test_undeliverable_press_gives_up_after_30s_with_err(hall):
    kp = hall.keypad()
    hall.hub.stop()                                    # the broker is up, the hub is not
    kp.press("NEXT")
    assert kp.wait_display("ERR", timeout=40)
    wait_for(lambda: 2 in kp.beeps, 3, "two beeps")
