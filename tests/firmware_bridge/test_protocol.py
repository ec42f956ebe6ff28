"""The keypad protocol's frame codec (SPEC section 5), without any serial line: every frame of the
protocol document decoded, round trips and any flipped bit caught (properties), bad lines named, and
the line splitter surviving any chunking and noise."""
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from firmware_bridge.protocol import MAX_LINE, BadFrame, Frame, LineSplitter, checksum, decode, encode

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
