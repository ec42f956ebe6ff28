"""SPEC section 5: the frame codec and a keypad's session, without any serial line."""
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from firmware_bridge.protocol import MAX_LINE, MAX_SENDS, BadFrame, Frame, LineSplitter, checksum, decode, encode
from firmware_bridge.session import SILENT_AFTER_S, KeypadSession

args = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-", max_size=16)
frames = st.builds(Frame, st.integers(1, 247), st.integers(0, 255),
                   st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=8),
                   st.lists(args, max_size=3).map(tuple))


DOC = Path(__file__).resolve().parents[2] / "docs" / "keypad-protocol.md"


def test_every_frame_in_the_protocol_document_decodes():
    """A firmware engineer copies these: each must be a valid frame that encodes back byte for byte."""
    import re
    lines = re.findall(r"^    [<>] (\$\S+)", DOC.read_text(encoding="utf-8"), re.M)
    assert len(lines) >= 25
    for text in lines:
        f = decode(text.encode() + b"\r\n")
        assert f.encode() == text.encode() + b"\r\n"


def test_documented_examples():
    """The examples of docs/keypad-protocol.md, byte for byte (checksums worked out independently)."""
    assert encode(5, 17, "KEY", "NEXT") == b"$5,17,KEY,NEXT*4F\r\n"
    assert encode(5, 3, "SHOW", "A012") == b"$5,3,SHOW,A012*5B\r\n"
    assert encode(5, 1, "HELLO", "kp-2.1", "1") == b"$5,1,HELLO,kp-2.1,1*6C\r\n"
    assert encode(5, 19, "KEY", "TRANSFER", "LAND") == b"$5,19,KEY,TRANSFER,LAND*66\r\n"
    assert checksum(b"5,17,KEY,NEXT") == "4F"


@given(frames)
def test_round_trip(f):
    data = f.encode()
    if len(data) <= MAX_LINE:
        assert decode(data) == f
    else:
        with pytest.raises(BadFrame):
            decode(data)


@given(frames, st.integers(0, 60), st.integers(0, 7))
def test_any_flipped_bit_is_caught(f, pos, bit):
    data = bytearray(f.encode())
    pos = pos % (len(data) - 2)
    data[pos] ^= 1 << bit
    try:
        got = decode(bytes(data))
    except BadFrame:
        return
    assert got == f, "a corrupted frame must never decode as another frame"


@pytest.mark.parametrize("line,kind", [
    (b"$5,17,KEY,NEXT*68\r\n", "bad_checksum"), (b"garbage\r\n", "bad_shape"), (b"$5,17,key,NEXT*49\r\n", "bad_shape"),
    (b"$0,1,PING*" + checksum(b"0,1,PING").encode() + b"\r\n", "bad_shape"),
    (b"$5,256,PING*" + checksum(b"5,256,PING").encode() + b"\r\n", "bad_shape"),
    (b"$5,1,KEY," + b"A" * 17 + b"*00\r\n", "bad_shape"), (b"$" + b"1" * 90 + b"\r\n", "too_long"),
])
def test_bad_lines_are_named(line, kind):
    with pytest.raises(BadFrame) as e:
        decode(line)
    assert e.value.kind == kind


@given(st.lists(frames, max_size=8), st.lists(st.integers(1, 30), min_size=1, max_size=40),
       st.binary(max_size=200).filter(lambda b: b"\n" not in b))
def test_line_splitter_survives_any_chunking_and_noise(fs, cuts, noise):
    stream = noise + b"\n" + b"".join(f.encode() for f in fs)
    sp, lines, i, k = LineSplitter(), [], 0, 0
    while i < len(stream):
        step = cuts[k % len(cuts)]
        lines += sp.feed(stream[i:i + step])
        i, k = i + step, k + 1
    good = []
    for line in lines:
        try:
            good.append(decode(line)) if line is not None else None
        except BadFrame:
            pass
    assert good == [f for f in fs if len(f.encode()) <= MAX_LINE]


def test_a_line_that_never_ends_is_dropped_once():
    sp = LineSplitter()
    assert sp.feed(b"x" * 100) == [None]
    assert sp.feed(b"y" * 100) == []
    assert sp.feed(b"tail\r\n" + encode(5, 1, "PONG")) == [encode(5, 1, "PONG")]


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
