"""The bridge: keypad frames in, hub commands out, the counter's state back onto the keypad's LED.

Serial threads and the MQTT thread only put events into ``inbox``; one loop owns every session
and press. A press is ACKed the moment its frame arrives: from then on the bridge owns it, sends
it as one command with a ``command_id`` of its own (again, same id, until the hub answers), and
gives up after 30 s with ``ERR`` on the keypad. Presses of one counter go in order.
"""
from __future__ import annotations

import json
import logging
import queue
import time
import uuid
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass

from motcua.config import Bridge as BridgeEntry
from motcua.contract import ACTION_ARGUMENT, OFFLINE, ONLINE, component_name
from motcua.hubclient import HubClient

from .protocol import KEYS, BadFrame, Frame, decode
from .session import PING_EVERY_S, KeypadSession

log = logging.getLogger(__name__)
GIVE_UP_S, RESEND_S, ERR_SHOWN_S = 30.0, 2.0, 3.0
CALLS = {"next", "skip", "call", "recall"}


@dataclass
class Press:
    """A keypad press the bridge has ACKed and now owes the hub: its command (or rating) and, once sent, its correlation
    data and when it went, for resends with the same ``command_id``."""
    counter: str
    topic: str
    body: dict
    created: float
    rating: bool = False
    corr: bytes | None = None
    sent_at: float | None = None


def display_text(state: dict) -> str:
    """What a counter's LED shows for its state: the label, ``----`` when idle, ``PAUSE``."""
    if state.get("status") == "paused":
        return "PAUSE"
    label = state.get("ticket")
    return label[:8] if state.get("status") == "serving" and isinstance(label, str) and label else "----"


class Bridge:
    """The keypad bridge's logic without threads or a port: events from the serial lines and the broker are queued to
    ``inbox`` and ``step`` handles them, so tests drive it directly."""

    def __init__(self, entry: BridgeEntry, component: str, client: HubClient, write: Callable[[str, bytes], bool],
                 clock: Callable[[], float] = time.monotonic):
        self.component, self.client, self.write, self.clock = component, client, write, clock
        self.t = client.t
        self.lines = {p.device: p.baudrate for p in entry.ports}    # opened at start; kept until the next
        self.sessions = {(p.device, addr): KeypadSession(addr, counter, p.device)
                         for p, addr, counter in entry.keypads}
        self.by_counter = {s.counter: s for s in self.sessions.values()}
        self.inbox: queue.Queue = queue.Queue()
        self.presses: dict[str, deque[Press]] = {c: deque() for c in self.by_counter}
        self.state_text: dict[str, str] = {}
        self.restore_at: dict[str, float] = {}
        self.stats: Counter = Counter()
        self.unknown_logged: set = set()
        self.started = clock()

    # --- events (any thread) --------------------------------------------------------------
    def line_arrived(self, device: str, line: bytes | None) -> None:
        self.inbox.put(("line", device, line))

    def mqtt_message(self, msg) -> None:
        p = self.t.parse(msg.topic)
        if p is not None and p.kind == "counter_state" and p.counter in self.by_counter:
            try:
                self.inbox.put(("state", p.counter, json.loads(msg.payload)))
            except ValueError:
                log.warning("trạng thái quầy không đọc được / unreadable counter state on %s", msg.topic)

    def reconfigure(self, entry: BridgeEntry) -> list[str]:
        """Take new keypad maps live (SPEC 2.1), on this loop's thread: a keypad whose address or counter changed is a
        new session, one no longer listed goes offline. Serial lines are opened at start: a change to them waits for
        the next start, and is returned as such."""
        wanted = {(p.device, addr): counter for p, addr, counter in entry.keypads if p.device in self.lines}
        for key, s in list(self.sessions.items()):
            if wanted.get(key) != s.counter:
                self._status(s, OFFLINE)
                del self.sessions[key]
        for (device, addr), counter in wanted.items():
            if (device, addr) not in self.sessions:
                self.sessions[(device, addr)] = KeypadSession(addr, counter, device)
        pending = {c: s for c, s in self.by_counter.items() if self.presses.get(c)}   # owed presses still go
        self.by_counter = {**pending, **{s.counter: s for s in self.sessions.values()}}
        for counter in self.by_counter:
            self.presses.setdefault(counter, deque())
            topic = self.t.counter_state(counter)
            if topic not in self.client.link.subscriptions:
                self.client.link.subscriptions = (*self.client.link.subscriptions, topic)
                self.client.link.client.subscribe(topic, qos=1)
        if {p.device: p.baudrate for p in entry.ports} != self.lines:
            return ["bridges.ports: cổng nối tiếp đổi khi khởi động lại / serial lines change at the next start"]
        return []

    # --- the loop ---------------------------------------------------------------------------
    def step(self, timeout: float = 0.02) -> None:
        """Handle what arrived (waiting up to ``timeout``), then run the timers."""
        try:
            event = self.inbox.get(timeout=timeout)
            while True:
                self.handle(event)
                event = self.inbox.get_nowait()
        except queue.Empty:
            pass
        self.timers(self.clock())

    def handle(self, event: tuple) -> None:
        kind = event[0]
        if kind == "line":
            self.on_line(event[1], event[2])
        elif kind == "reply":
            self.on_reply(event[1], event[2])
        elif kind == "state":
            self.on_state(event[1], event[2])
        elif kind == "call":           # work handed to this loop's thread (a new site document)
            event[1]()

    def on_line(self, device: str, line: bytes | None) -> None:
        now = self.clock()
        try:
            if line is None:
                raise BadFrame("too_long")
            f = decode(line)
        except BadFrame as e:
            self.stats[e.kind] += 1
            log.debug("bỏ dòng / dropped line (%s): %r", e.kind, line)
            return
        s = self.sessions.get((device, f.addr))
        if s is None:
            self.stats["unknown_address"] += 1
            if (device, f.addr) not in self.unknown_logged:
                self.unknown_logged.add((device, f.addr))
                log.warning("bàn phím địa chỉ %d trên %s không có trong cấu hình / keypad address %d on %s is not "
                            "configured; its frames are ignored", f.addr, device, f.addr, device)
            return
        if s.heard(now):
            self._status(s, ONLINE)
        if f.verb == "ACK":
            if f.args and f.args[0].isdigit():
                s.acked(int(f.args[0]))
            return
        self._send(s, s.next_frame("ACK", str(f.seq)))
        if f.verb == "HELLO":
            s.hello(f.seq)
            log.info("bàn phím quầy %s khởi động / keypad of counter %s booted (%s)", s.counter, s.counter,
                     ",".join(f.args))
            self._show(s, self.state_text.get(s.counter, "----"), now, force=True)   # its LED is blank
            return
        if s.is_repeat(f.seq):
            self.stats["repeats"] += 1
            return
        if f.verb in ("KEY", "RATE"):
            self._press(s, f, now)
        elif f.verb != "PONG":
            self.stats["unknown_verb"] += 1

    def _press(self, s: KeypadSession, f: Frame, now: float) -> None:
        cid = f"{self.component}-{s.counter}-{uuid.uuid4().hex}"
        if f.verb == "RATE":
            if f.args not in (("1",), ("2",), ("3",)):
                return self._error(s, now, f"bad rating {f.args}")
            body = {"score": int(f.args[0]), "command_id": cid}
            self.presses[s.counter].append(Press(s.counter, self.t.counter_rating(s.counter), body, now, rating=True))
            return
        key = f.args[0] if f.args else ""
        arg = f.args[1] if len(f.args) > 1 else ""
        needed = ACTION_ARGUMENT.get(key.lower())
        if key not in KEYS or (needed and not arg):
            return self._error(s, now, f"bad key {f.args}")
        body = {"action": key.lower(), "command_id": cid}
        if needed:
            body[needed] = arg
        self.presses[s.counter].append(Press(s.counter, self.t.counter_command(s.counter), body, now))

    def on_reply(self, press: Press, reply: dict) -> None:
        q = self.presses[press.counter]
        if not q or q[0] is not press:
            return                       # a late reply to a press already given up
        q.popleft()
        s = self.by_counter[press.counter]
        now = self.clock()
        if not reply.get("ok"):
            err = reply.get("error") or {}
            return self._error(s, now, f"{err.get('code')}: {err.get('message')}")
        state = reply.get("state") or {}
        text = display_text(state)
        self.state_text[s.counter] = text
        self._show(s, text, now, force=True)
        if press.body.get("action") in CALLS and state.get("status") == "serving":
            self._send(s, s.next_frame("BEEP", "1"), reliable=True)

    def on_state(self, counter: str, state: dict) -> None:
        if not isinstance(state, dict):
            return
        text = display_text(state)
        self.state_text[counter] = text
        if counter not in self.restore_at:
            self._show(self.by_counter[counter], text, self.clock())

    # --- timers -------------------------------------------------------------------------------
    def timers(self, now: float) -> None:
        for s in self.sessions.values():
            for f in s.due(now):
                self.write(s.port, f.encode())
            if now - s.pinged_at >= PING_EVERY_S:
                s.pinged_at = now
                self._send(s, s.next_frame("PING"))
            if s.went_silent(now, self.started):
                log.warning("bàn phím quầy %s không trả lời / keypad of counter %s is silent", s.counter, s.counter)
                self._status(s, OFFLINE)
        for counter, at in list(self.restore_at.items()):
            if now >= at:
                del self.restore_at[counter]
                self._show(self.by_counter[counter], self.state_text.get(counter, "----"), now)
        for q in self.presses.values():
            self._deliver(q, now)

    def _deliver(self, q: deque, now: float) -> None:
        while q and now - q[0].created > GIVE_UP_S:
            p = q.popleft()
            self._error(self.by_counter[p.counter], now, f"no answer from the hub within {GIVE_UP_S:.0f}s")
        if not q or not self.client.link.connected.is_set():
            return
        p = q[0]
        if p.rating:
            self.client.link.publish(p.topic, p.body)
            q.popleft()
            return
        if p.sent_at is None or now - p.sent_at >= RESEND_S:
            p.sent_at = now
            p.corr = self.client.submit(p.topic, p.body, lambda reply, p=p: self.inbox.put(("reply", p, reply)),
                                        p.corr)

    # --- towards the keypad ---------------------------------------------------------------
    def _send(self, s: KeypadSession, f: Frame, reliable: bool = False) -> None:
        if reliable:
            s.send_reliably(f, self.clock())
            for due in s.due(self.clock()):
                self.write(s.port, due.encode())
        else:
            self.write(s.port, f.encode())

    def _show(self, s: KeypadSession, text: str, now: float, force: bool = False) -> None:
        if text != s.showing or force:
            s.showing = text
            self._send(s, s.next_frame("SHOW", text), reliable=True)

    def _error(self, s: KeypadSession, now: float, why: str) -> None:
        log.warning("quầy %s: lỗi / counter %s: error: %s", s.counter, s.counter, why)
        self._show(s, "ERR", now)
        self._send(s, s.next_frame("BEEP", "2"), reliable=True)
        self.restore_at[s.counter] = now + ERR_SHOWN_S

    def _status(self, s: KeypadSession, status: str) -> None:
        self.client.link.publish(self.t.status(component_name("keypad", s.counter)), status, retain=True)

    def all_offline(self) -> None:
        for s in self.sessions.values():
            self._status(s, OFFLINE)
