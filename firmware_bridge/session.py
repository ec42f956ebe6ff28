"""One keypad as the bridge sees it: its repeat memory, the bridge's own numbering and
retransmission towards it, and whether it is alive."""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from .protocol import MAX_SENDS, RETRY_S, Frame

MEMORY = 16
PING_EVERY_S, SILENT_AFTER_S = 5.0, 15.0


@dataclass
class Outgoing:
    """A frame sent to a keypad and not yet ACKed: how many times it went and when to send it again."""
    frame: Frame
    sends: int = 0
    next_at: float = 0.0


@dataclass
class KeypadSession:
    """One keypad as the bridge sees it: the seqs it last sent (to ACK repeats without acting twice), the frames owed to
    it, and whether it is alive (``online`` None until known)."""
    addr: int
    counter: str
    port: str
    seen: deque = field(default_factory=lambda: deque(maxlen=MEMORY))
    seq: int = 0
    unacked: dict[int, Outgoing] = field(default_factory=dict)   # seq -> frame awaiting ACK
    heard_at: float | None = None
    pinged_at: float = float("-inf")
    online: bool | None = None      # None: not known yet
    showing: str | None = None      # what the LED shows (or will, once ACKed)

    def is_repeat(self, seq: int) -> bool:
        """A seq among the last 16 is a repeat: ACK it again, do not act on it."""
        if seq in self.seen:
            return True
        self.seen.append(seq)
        return False

    def hello(self, seq: int) -> None:
        """The keypad booted: forget its old seqs (its numbering restarted)."""
        self.seen.clear()
        self.seen.append(seq)

    def next_frame(self, verb: str, *args: str) -> Frame:
        self.seq = (self.seq + 1) % 256
        return Frame(self.addr, self.seq, verb, tuple(args))

    def send_reliably(self, frame: Frame, now: float) -> None:
        """SHOW supersedes an older SHOW still unacknowledged: only the newest text matters."""
        if frame.verb == "SHOW":
            for s in [s for s, o in self.unacked.items() if o.frame.verb == "SHOW"]:
                del self.unacked[s]
        self.unacked[frame.seq] = Outgoing(frame, next_at=now)

    def acked(self, seq: int) -> None:
        self.unacked.pop(seq, None)

    def due(self, now: float) -> list[Frame]:
        """Frames to (re)send now; a frame sent MAX_SENDS times is given up."""
        out = []
        for seq, o in list(self.unacked.items()):
            if o.next_at <= now:
                if o.sends >= MAX_SENDS:
                    del self.unacked[seq]
                    continue
                o.sends += 1
                o.next_at = now + RETRY_S
                out.append(o.frame)
        return out

    def heard(self, now: float) -> bool:
        """Anything valid from the keypad; True when this brings it (back) online."""
        self.heard_at = now
        came_back = self.online is not True
        self.online = True
        return came_back

    def went_silent(self, now: float, started: float) -> bool:
        """True once, when nothing was heard for SILENT_AFTER_S (since start if never heard)."""
        last = self.heard_at if self.heard_at is not None else started
        if self.online is not False and now - last >= SILENT_AFTER_S:
            self.online = False
            return True
        return False
