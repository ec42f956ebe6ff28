"""The hall as the console sees it on the broker: counter and service state, the last calls, and
the status of every part (SPEC section 12, live hall).

Messages arrive on the MQTT thread; the web server's loop reads snapshots. Each change bumps
``version`` and calls ``on_change`` (which the server turns into a push to every open browser),
so a page shows what the broker says, never a guess. A part's "since" is when the console saw
it change; one found offline when the console started is marked as offline at least since then.
The last calls start from the hub's retained ``calls/recent`` (today's only), so a console that
(re)starts shows them at once.
"""
from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from ..config import SiteConfig
from ..contract import ALL, ANY, HUB_PROBLEMS, LINK_UP, REPLICA_PROBLEMS, ParsedTopic, Topics, component_name, is_online
from ..service_day import service_day

LAST_CALLS = 10
MAX_PAYLOAD = 64 * 1024


@dataclass
class Part:
    """One component's status: ``online`` None until its status topic is seen."""
    name: str
    online: bool | None = None
    since: float | None = None
    at_least: bool = False        # offline already when the console started: since is a lower bound
    detail: str = ""
    note: tuple[str, str] | None = None     # (vi, en) from status/<part>/detail: the hub's board, a copy's lag


def expected_parts(cfg: SiteConfig) -> list[str]:
    """Every part the site file says the hall has, in the order a supervisor reads them."""
    names = ["hub"] + (["replica"] if cfg.hub.replicas else [])
    for k in cfg.kiosks:
        names += [component_name("kiosk", k.id), component_name("printer", k.id)]
    names += [component_name("display", d.id) for d in cfg.displays]
    for b in cfg.bridges:
        names.append(component_name("bridge", b.id))
        names += [component_name("keypad", c) for c in b.counters]
    if cfg.followup is not None:
        names.append("followup")
        if cfg.followup.sms.transport == "gammu":
            names.append("smsd")
    return names + ["console"]


class Hall:
    """The console's picture of a hall, built only from retained and live broker messages; written by the MQTT thread,
    read by the web pages under ``lock``, with ``version`` telling a page whether anything changed."""

    def __init__(self, cfg: SiteConfig, on_change: Callable[[], None] = lambda: None,
                 clock: Callable[[], float] = time.time, site: str | None = None, parts: list[str] | None = None):
        """This hall by default; with ``site`` another hall seen at the province, whose parts are
        whatever it reports (its site file is not ours)."""
        self.cfg, self.on_change, self.clock = cfg, on_change, clock
        self.t = Topics(cfg.mqtt.topic_root, site or cfg.site.id)
        self.started = clock()
        self.lock = threading.Lock()
        self.version = 0
        self.broker_up = False
        self.counters: dict[str, dict] = {}
        self.services: dict[str, dict] = {}
        self.parts: dict[str, Part] = {n: Part(n) for n in (expected_parts(cfg) if parts is None else parts)}
        self.figures: dict[str, dict] = {}         # the hub's figures/<day>, the latest day kept
        self.calls: deque[dict] = deque(maxlen=LAST_CALLS)
        self.hub_clock: dict = {}       # the hub's verdict on its clock, status/hub/clock (SPEC 10.1)
        self.listeners: list[Callable[[str, dict], None]] = []   # (kind, payload) for pages that follow events

    @property
    def subscriptions(self) -> tuple[str, ...]:
        t = self.t
        return (t.counter_state(ANY), t.service_state(ANY), t.status(ALL), t.printer(ANY), t.call, t.calls_recent)

    # --- from the MQTT thread -------------------------------------------------------------
    def connected(self, up: bool) -> None:
        with self.lock:
            self.broker_up = up
            self._bump()

    def message(self, topic: str, payload: bytes, retained: bool) -> None:
        """Apply one message; anything malformed is ignored (the hub is the one that validates)."""
        p = self.t.parse(topic)
        if p is None or len(payload) > MAX_PAYLOAD:
            return
        if p.kind == "status":
            # "1"/"0": what a mosquitto bridge says of its link to the province (SPEC section 13)
            self._status(p.component, is_online(payload) or payload.strip() == LINK_UP.encode(), retained)
            return
        body = _json_object(payload)
        if body is None:
            return
        with self.lock:
            if not self._apply(p, body, retained):
                return
            self._bump()
        for listener in list(self.listeners):
            listener(p.kind, body)

    def _apply(self, p: ParsedTopic, body: dict, retained: bool) -> bool:
        """One JSON message into the picture (under ``lock``); False for a kind the hall does not show."""
        if p.kind == "counter_state":
            self._counter(p.counter, body)
        elif p.kind == "service_state":
            self.services[p.service] = body
        elif p.kind == "printer":
            self._printer(p.kiosk, body, retained)
        elif p.kind == "call":
            self._call(body)
        elif p.kind == "calls_recent":
            self._recent(body)
        elif p.kind == "hub_clock":
            self.hub_clock = body
        elif p.kind == "status_detail":
            self.parts.setdefault(p.component, Part(p.component)).note = part_note(p.component, body)
        elif p.kind == "figures" and p.day >= max(self.figures, default=""):
            self.figures = {p.day: body}
        else:
            return False
        return True

    def _counter(self, counter: str, body: dict) -> None:
        before = self.counters.get(counter)
        self.counters[counter] = body
        if before is None and body.get("status") == "serving" and body.get("ticket") and not any(
                c["counter"] == counter and c["ticket"] == body["ticket"] for c in self.calls):
            # seen at start: a call made before the console came, so the last calls are not empty
            self.calls.appendleft({"counter": counter, "ticket": body["ticket"], "service": body.get("service"),
                                   "at": body.get("called_at") or "", "recall": False})
            ordered = sorted(self.calls, key=lambda c: str(c.get("at") or ""), reverse=True)
            self.calls.clear()
            self.calls.extend(ordered)

    def _call(self, body: dict) -> None:
        if _is_call(body):
            self.calls.appendleft(_call_of(body))

    def _recent(self, body: dict) -> None:
        """The hub's list of the day's last calls, newest first, replaces ours when it is today's."""
        now = datetime.fromtimestamp(self.clock(), self.cfg.site.tz)
        calls = body.get("calls")
        if body.get("day") != service_day(now, self.cfg.site.tz, self.cfg.site.day_start).isoformat() \
                or not isinstance(calls, list):
            return
        self.calls.clear()
        self.calls.extend(_call_of(c) for c in calls[:LAST_CALLS] if isinstance(c, dict) and _is_call(c))

    def _status(self, name: str, online: bool, retained: bool) -> None:
        with self.lock:
            part = self.parts.setdefault(name, Part(name))
            self._set(part, online, retained)
            self._bump()

    def _printer(self, kiosk: str, body: dict, retained: bool) -> None:
        name = component_name("printer", kiosk)
        part = self.parts.setdefault(name, Part(name))
        self._set(part, body.get("state") == "ok", retained)
        part.detail = str(body.get("state") or "")[:40]

    def _set(self, part: Part, online: bool, retained: bool) -> None:
        if part.online == online:
            return
        first = part.online is None
        part.online, part.since = online, self.clock()
        part.at_least = first and retained and not online
        if part.at_least:
            part.since = self.started

    def _bump(self) -> None:
        self.version += 1
        self.on_change()

    # --- for the pages --------------------------------------------------------------------
    def snapshot(self) -> dict:
        """A consistent copy for one render."""
        with self.lock:
            return {"version": self.version, "broker_up": self.broker_up,
                    "counters": {c: dict(s) for c, s in self.counters.items()},
                    "services": {s: dict(v) for s, v in self.services.items()},
                    "parts": [Part(**p.__dict__) for p in self.parts.values()], "calls": list(self.calls),
                    "figures": dict(next(iter(self.figures.values()), {})), "hub_clock": dict(self.hub_clock)}


def part_note(component: str, body: dict) -> tuple[str, str] | None:
    """What the live hall says beside a part, from its ``status/<part>/detail`` (SPEC 14): which board is the
    hub (and whether it started from a copy), when the last copy was made and how far behind it is, or why not."""
    board = body.get("board")
    board = board[:64] if isinstance(board, str) else ""
    if component == "hub":
        said = [HUB_PROBLEMS.get(str(body.get("problem")))]
        said += [(f"máy {board}", f"board {board}")] if board else []
        said += [("chạy từ bản sao", "started from a copy")] if board and body.get("restored") else []
        return _joined([s for s in said if s])
    if component not in ("replica", "standby"):
        return None
    vi, en = [f"máy {board}"] if board else [], [f"board {board}"] if board else []
    at, lag = body.get("last_copy_at") or body.get("copy_at"), body.get("lag_s")
    if isinstance(at, str) and len(at) >= 19:
        vi.append(f"bản sao lúc {at[11:19]}")
        en.append(f"last copy at {at[11:19]}")
    if isinstance(lag, (int, float)) and not isinstance(lag, bool):
        vi.append(f"chậm {lag:g} s")
        en.append(f"{lag:g} s behind")
    problem = REPLICA_PROBLEMS.get(str(body.get("problem")))
    if problem:
        vi.insert(0, problem[0])
        en.insert(0, problem[1])
    return _joined(list(zip(vi, en, strict=True)))


def _joined(said: list[tuple[str, str]]) -> tuple[str, str] | None:
    """Several things said of a part, in each language, one after the other; None when there is nothing to say."""
    return ("; ".join(vi for vi, _ in said), "; ".join(en for _, en in said)) if said else None


def _json_object(payload: bytes) -> dict | None:
    """The JSON object a payload holds, or None for anything else."""
    try:
        body = json.loads(payload)
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _is_call(body: dict) -> bool:
    return isinstance(body.get("counter"), str) and isinstance(body.get("ticket"), str)


def _call_of(body: dict) -> dict:
    return {k: body.get(k) for k in ("counter", "ticket", "service", "at", "recall")}
