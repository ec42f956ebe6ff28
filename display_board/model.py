"""What a wall screen shows, from the hub's retained state and call events only (SPEC section 8).

Plain Python, fed by the MQTT thread and read by the screen's timer, so it tests without a window.
"""
from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from motcua.config import Display, SiteConfig
from motcua.contract import Topics, is_online

BLINK_S = 8.0           # the newest call blinks this long, then stays highlighted


@dataclass
class Tile:
    """What one counter's tile shows: its names and the ticket it serves, or that it is paused."""
    counter: str
    name_vi: str
    name_en: str
    ticket: str | None = None
    paused: bool = False


@dataclass(frozen=True)
class Snapshot:
    """Everything one frame of the board draws, taken under the model's lock, so the Kivy thread never reads half an
    update."""
    tiles: tuple[Tile, ...]
    newest: str | None          # the counter of the newest call
    blink_on: bool              # for the newest tile: highlighted now (it blinks for BLINK_S)
    last_calls: tuple[tuple[str, str], ...]   # (ticket, counter name), newest first
    waiting: tuple[tuple[str, str, int, bool], ...]  # (service vi, service en, waiting, closed today)
    connected: bool


class BoardModel:
    """The board's state from the broker (counters, calls, waiting counts, the hub's status), written by the MQTT thread
    and read as ``Snapshot``s by the screen; independent of Kivy so that tests need no window."""

    def __init__(self, cfg: SiteConfig, entry: Display, clock: Callable[[], float] = time.monotonic):
        self.cfg, self.clock = cfg, clock
        self.lock = threading.Lock()
        self.tiles = {cid: Tile(cid, cfg.by_counter[cid].name.vi, cfg.by_counter[cid].name.en)
                      for cid in entry.counters}
        self.services = [s for s in cfg.services if any(s.id in cfg.by_counter[c].services for c in self.tiles)]
        self.waiting = {s.id: 0 for s in self.services}
        self.closed: set[str] = set()          # services the supervisor closed for today (SPEC 2.1 services[].closed)
        self.calls: deque = deque(maxlen=max(1, entry.last_calls))
        self.newest: str | None = None
        self.newest_at = 0.0
        self.link_up = False
        self.hub_online = True
        self.t = Topics(cfg.mqtt.topic_root, cfg.site.id)

    def reconfigure(self, cfg: SiteConfig, entry: Display) -> None:
        """A new site document (SPEC 2.1): the counters shown, their names and the services counted; what a counter
        that stays shows (its ticket, paused) and the waiting counts already heard are kept."""
        with self.lock:
            old = self.tiles
            self.cfg = cfg
            self.tiles = {cid: Tile(cid, cfg.by_counter[cid].name.vi, cfg.by_counter[cid].name.en,
                                    *((old[cid].ticket, old[cid].paused) if cid in old else ()))
                          for cid in entry.counters}
            self.services = [s for s in cfg.services if any(s.id in cfg.by_counter[c].services for c in self.tiles)]
            self.waiting = {s.id: self.waiting.get(s.id, 0) for s in self.services}
            self.calls = deque(self.calls, maxlen=max(1, entry.last_calls))

    def on_message(self, topic: str, payload: bytes) -> tuple[str, str] | None:
        """Take one message; return (ticket, counter) when it is a call to announce on this board."""
        p = self.t.parse(topic)
        if p is None:
            return None
        if p.kind == "status" and p.component == "hub":
            with self.lock:
                self.hub_online = is_online(payload)
            return None
        try:
            data = json.loads(payload)
        except ValueError:
            return None
        if not isinstance(data, dict):
            return None
        with self.lock:
            if p.kind == "call":
                return self._call(data)
            if p.kind == "calls_recent":
                self._recent(data.get("calls"))
            if p.kind == "counter_state" and p.counter in self.tiles:
                tile = self.tiles[p.counter]
                tile.ticket = data.get("ticket") if data.get("status") == "serving" else None
                tile.paused = data.get("status") == "paused"
            elif p.kind == "service_state" and p.service in self.waiting:
                if isinstance(data.get("waiting"), int):
                    self.waiting[p.service] = data["waiting"]
                (self.closed.add if data.get("closed_reason") == "service_closed" else self.closed.discard)(p.service)
        return None

    def _call(self, e: dict) -> tuple[str, str] | None:
        counter, ticket = e.get("counter"), e.get("ticket")
        if _text(counter) not in self.tiles or not isinstance(ticket, str):
            return None                     # another zone's counter: its own board announces it
        self.tiles[counter].ticket = ticket
        self.tiles[counter].paused = False
        self.calls.appendleft((ticket, self.tiles[counter].name_vi))
        self.newest, self.newest_at = counter, self.clock()
        return ticket, counter

    def _recent(self, events) -> None:
        """The hub's retained list of the day's last calls (SPEC 4): what this board's panel shows
        when it (re)starts, and an empty panel when a new day begins. Not announced."""
        if not isinstance(events, list):
            return
        mine = [(e["ticket"], self.tiles[e["counter"]].name_vi) for e in events
                if isinstance(e, dict) and _text(e.get("counter")) in self.tiles and isinstance(e.get("ticket"), str)]
        self.calls = deque(mine[:self.calls.maxlen], maxlen=self.calls.maxlen)

    def set_link(self, up: bool) -> None:
        with self.lock:
            self.link_up = up

    def snapshot(self) -> Snapshot:
        now = self.clock()
        with self.lock:
            age = now - self.newest_at
            blink_on = age >= BLINK_S or int(age * 2) % 2 == 0
            return Snapshot(
                tiles=tuple(Tile(**t.__dict__) for t in self.tiles.values()), newest=self.newest,
                blink_on=blink_on, last_calls=tuple(self.calls),
                waiting=tuple((s.name.vi, s.name.en, self.waiting[s.id], s.id in self.closed) for s in self.services),
                connected=self.link_up and self.hub_online)


def plain(text: str) -> str:
    """Text shown as itself in a Kivy markup label (as ``kivy.utils.escape_markup``, without loading Kivy here): a
    service or counter name a supervisor typed with ``[`` or ``&`` in it is never taken as markup."""
    return text.replace("&", "&amp;").replace("[", "&bl;").replace("]", "&br;")


def waiting_text(waiting: tuple[tuple[str, str, int, bool], ...]) -> str:
    """The "ĐANG CHỜ" panel: each service with how many wait, or that it takes no number today (the kiosk greys
    its button and says why; the wall screen tells those already in the hall)."""
    return "\n".join(f"{plain(vi)}: [b]{'tạm ngừng hôm nay' if closed else n}[/b]" for vi, _, n, closed in waiting)


def _text(value) -> str | None:
    """A field that must be text, or None: a list where a counter id belongs must not raise."""
    return value if isinstance(value, str) else None
