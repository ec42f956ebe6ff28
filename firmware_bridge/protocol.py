"""Keypad serial protocol v1 (SPEC section 5, docs/keypad-protocol.md): the frame codec.

    $<addr>,<seq>,<VERB>[,<arg>]*<CS>\\r\\n

Shared by the bridge and the keypad simulator, so both speak exactly the same bytes.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import reduce

from motcua.contract import ACTIONS

PROTOCOL_VERSION = "1"
MAX_LINE = 80                      # bytes, CR LF included
ARG_RE = re.compile(r"[A-Za-z0-9_.-]{0,16}")
_FRAME_RE = re.compile(rb"\$(\d{1,3}),(\d{1,3}),([A-Z]+)((?:,[A-Za-z0-9_.\-]{0,16})*)\*([0-9A-F]{2})")
KEYS = tuple(a.upper() for a in ACTIONS)    # a key for each counter command: NEXT, RECALL, … CALL
RETRY_S, MAX_SENDS = 0.25, 10      # unacknowledged frames are repeated every 250 ms, 10 sends at most
NEEDS_ACK = frozenset({"HELLO", "KEY", "RATE", "SHOW", "BEEP"})   # all but ACK, PING, PONG


@dataclass(frozen=True)
class Frame:
    """One keypad frame, ``$addr,seq,VERB,args*CK``: a Modbus-style address (1-247), a sequence number (0-255) for
    repeats and ACKs, and the verb's arguments."""
    addr: int
    seq: int
    verb: str
    args: tuple[str, ...] = ()

    def encode(self) -> bytes:
        return encode(self.addr, self.seq, self.verb, *self.args)


class BadFrame(ValueError):
    """Why a line was dropped: 'too_long', 'bad_checksum' or 'bad_shape' (counted by the bridge)."""

    def __init__(self, kind: str):
        super().__init__(kind)
        self.kind = kind


def checksum(body: bytes) -> str:
    """XOR of every byte between '$' and '*', as two upper-case hex digits."""
    return f"{reduce(lambda a, b: a ^ b, body, 0):02X}"


def encode(addr: int, seq: int, verb: str, *args: str) -> bytes:
    """A frame's bytes with its checksum and CRLF; ValueError for a field the keypad could not parse (address, seq, verb
    or an argument out of its alphabet), so a bad frame is never sent."""
    if not (1 <= addr <= 247 and 0 <= seq <= 255 and verb.isalpha() and verb.isupper()):
        raise ValueError(f"bad frame fields: {addr}, {seq}, {verb}")
    for a in args:
        if not ARG_RE.fullmatch(a):
            raise ValueError(f"bad frame argument {a!r}")
    body = ",".join([str(addr), str(seq), verb, *args]).encode("ascii")
    return b"$" + body + b"*" + checksum(body).encode() + b"\r\n"


def decode(line: bytes) -> Frame:
    """One line, with or without its CR LF; raises BadFrame."""
    if len(line) > MAX_LINE:
        raise BadFrame("too_long")
    m = _FRAME_RE.fullmatch(line.rstrip(b"\r\n"))
    if m is None:
        raise BadFrame("bad_shape")
    body = m.group(0)[1:m.group(0).rindex(b"*")]
    if checksum(body) != m.group(5).decode():
        raise BadFrame("bad_checksum")
    addr, seq = int(m.group(1)), int(m.group(2))
    if not (1 <= addr <= 247 and 0 <= seq <= 255):
        raise BadFrame("bad_shape")
    args = tuple(a.decode() for a in m.group(4).split(b",")[1:]) if m.group(4) else ()
    return Frame(addr, seq, m.group(3).decode(), args)


class LineSplitter:
    """Bytes from a serial line -> complete lines. A line past MAX_LINE bytes is cut off and
    reported as ``None`` (once), so a line that never ends cannot eat memory."""

    def __init__(self) -> None:
        self.buf = b""
        self.overflow = False

    def feed(self, data: bytes) -> list[bytes | None]:
        out: list[bytes | None] = []
        self.buf += data
        while True:
            i = self.buf.find(b"\n")
            if i < 0:
                if len(self.buf) > MAX_LINE:
                    if not self.overflow:
                        out.append(None)
                    self.overflow, self.buf = True, b""
                return out
            line, self.buf = self.buf[:i + 1], self.buf[i + 1:]
            if self.overflow:              # the tail of a line already reported as too long
                self.overflow = False
                continue
            out.append(None if len(line) > MAX_LINE else line)
