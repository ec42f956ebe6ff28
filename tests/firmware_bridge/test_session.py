"""A keypad's session in the bridge, without any serial line: the memory of the last 16 sequence
numbers with wraparound and HELLO, retransmission every 250 ms up to its limit with a newer SHOW
superseding, the sequence wrapping after 255, and silence noticed once."""
from firmware_bridge.protocol import MAX_SENDS
from firmware_bridge.session import SILENT_AFTER_S, KeypadSession


def test_repeat_memory_of_16_with_wraparound():
    s = KeypadSession(5, "1", "/dev/x")
    for seq in [250, 251, 252, 253, 254, 255, 0, 1, 2]:
        assert not s.is_repeat(seq)
    assert s.is_repeat(255) and s.is_repeat(0)
    for seq in range(3, 20):
        s.is_repeat(seq)
    assert not s.is_repeat(250), "only the last 16 are remembered"
    s.hello(1)
    assert not s.is_repeat(2) and s.is_repeat(1), "HELLO: the keypad's numbering restarted"


def test_retransmission_every_250ms_ten_times_and_show_supersedes():
    s = KeypadSession(5, "1", "/dev/x")
    f = s.next_frame("SHOW", "A001")
    s.send_reliably(f, 0.0)
    sends = [t / 100 for t in range(0, 400, 5) if s.due(t / 100)]
    assert sends == [0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0, 2.25][:MAX_SENDS]
    s.send_reliably(s.next_frame("BEEP", "1"), 5.0)
    s.send_reliably(s.next_frame("SHOW", "A002"), 5.0)
    s.send_reliably(s.next_frame("SHOW", "A003"), 5.0)
    assert [o.frame.args for o in s.unacked.values()] == [("1",), ("A003",)]
    s.acked(s.seq)
    assert [o.frame.verb for o in s.unacked.values()] == ["BEEP"]


def test_seq_wraps_after_255():
    s = KeypadSession(5, "1", "/dev/x")
    s.seq = 254
    assert [s.next_frame("PING").seq for _ in range(3)] == [255, 0, 1]


def test_silence_detection_once():
    s = KeypadSession(5, "1", "/dev/x")
    assert not s.went_silent(SILENT_AFTER_S - 0.1, 0.0)
    assert s.went_silent(SILENT_AFTER_S, 0.0) and not s.went_silent(SILENT_AFTER_S + 5, 0.0)
    assert s.heard(20.0) and not s.heard(21.0)

