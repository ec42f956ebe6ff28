"""Pushing the hall to the browser: server-sent events carrying re-rendered page fragments.

The browser's EventSource reconnects by itself (``retry: 1000``) when the console restarts, and
the first event of every connection is the whole fragment, so a reconnected page shows the state
again without a reload. One render per change and language is shared by every open page.

A stream ends with its session (logout, expiry, a changed password) and when its page says it is
over (a phone's ticket finished): the last event is ``end``, after which the page stops listening.
"""
from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime

from aiohttp import web

from ..config import SiteConfig
from .hall import Part
from .web import SESSION

log = logging.getLogger(__name__)
KEEPALIVE_S = 15.0


def epoch(iso: str | None) -> float | None:
    """Epoch seconds of an ISO 8601 time from a broker message, for the templates' "waiting for …"; None when missing or
    malformed, which a page shows as nothing."""
    if not iso:
        return None
    try:
        return datetime.fromisoformat(iso).timestamp()
    except (TypeError, ValueError):
        return None


def hall_view(cfg: SiteConfig, snap: dict) -> dict:
    """The live hall's data in the site file's order, every part named, times as epoch seconds."""
    counters = [{"id": c.id, "name": c.name, **snap["counters"].get(c.id, {"status": "unknown"}),
                 "since": epoch(snap["counters"].get(c.id, {}).get("called_at"))} for c in cfg.counters]
    services = [{"id": s.id, "name": s.name, "state": snap["services"].get(s.id),
                 "oldest": epoch((snap["services"].get(s.id) or {}).get("oldest_waiting_at"))} for s in cfg.services]
    calls = [{**c, "at_epoch": epoch(c.get("at")), "counter_name": _counter_name(cfg, c.get("counter"))}
             for c in snap["calls"]]
    parts: list[Part] = snap["parts"]
    return {"broker_up": snap["broker_up"], "counters": counters, "services": services, "calls": calls,
            "parts": parts, "now": time.time(), "hub_clock": _hub_clock(snap.get("hub_clock") or {})}


def _hub_clock(said: dict) -> dict | None:
    """The red line of a hub whose clock is wrong (SPEC 10.1), with what its clock and its last
    ticket say, as the hub wrote them; None while its clock is right."""
    if said.get("ok") is not False:
        return None
    return {"hub_time": _minute(said.get("hub_time")), "last_ticket_at": _minute(said.get("last_ticket_at"))}


def _minute(iso: str | None) -> str:
    try:
        return datetime.fromisoformat(iso).strftime("%d/%m/%Y %H:%M")
    except (TypeError, ValueError):
        return "—"


def _counter_name(cfg: SiteConfig, counter) -> str:
    c = cfg.by_counter.get(counter)
    return c.name.vi if c else str(counter)


def shared(console, key: tuple, make: Callable[[dict], str]) -> str:
    """One render of a fragment per change of the hall, shared by every page that shows it."""
    snap = console.hall.snapshot()
    kept = console.fragments.get(key)
    if kept is None or kept[0] != snap["version"]:
        kept = (snap["version"], make(snap))
        console.fragments[key] = kept
    return kept[1]


def sse(event: str, data: dict) -> bytes:
    """One server-sent event, as EventSource reads it; the JSON keeps Vietnamese letters as they are."""
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode()


async def stream(request: web.Request, fragments: Callable[[], Awaitable[dict[str, str]]],
                 over: Callable[[], bool] = lambda: False) -> web.StreamResponse:
    """Send ``{element id: html}`` now and after every change until the browser goes away, the
    request's session ends (nothing more is sent to it), or ``over()`` (after its last update)."""
    console = request.app["console"]
    session = request.get(SESSION)
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache",
                                           "X-Accel-Buffering": "no"})
    await response.prepare(request)
    await response.write(b"retry: 1000\n\n")
    last: dict[str, str] = {}
    try:
        while session is None or console.sessions.valid(session):
            changed = console.changed
            now = await fragments()
            update = {k: v for k, v in now.items() if last.get(k) != v}
            if update:
                await response.write(sse("update", update))
                last = now
            if over():
                break
            try:
                await asyncio.wait_for(changed.wait(), _wait_s(session))
            except TimeoutError:
                await response.write(b": keepalive\n\n")
        await response.write(sse("end", {}))
    except ConnectionResetError:      # the browser went away
        pass
    except Exception:                 # a render that fails costs this stream only; the page reconnects
        log.exception("luồng sự kiện dừng / event stream stopped: %s", request.path)
    return response


def _wait_s(session) -> float:
    """Until the next keepalive, or just past the session's expiry, whichever comes first."""
    return KEEPALIVE_S if session is None else max(0.1, min(KEEPALIVE_S, session.expires - time.time() + 0.1))
