"""The ticket's phone page (SPEC section 12): ``/t/{yyyymmdd}/{label}``, the address in the QR.

No login and nothing personal: the label, its service, how many are ahead and the estimated wait
(the hub's own numbers), the counter once called, the numbers now serving. Only today's tickets:
another day's address says so and nothing more, whether or not such a ticket existed. Requests
are limited per address. One render per ticket, language and change is shared by every phone
following it, so 300 open pages cost 300 small writes, not 300 queries.

A live stream opens only for a ticket that exists today and is not finished, at most
``STREAMS_PER_TICKET`` at once for one ticket, and ends when the ticket is finished or the day
changes: whatever addresses a phone makes up, it holds no connection open.
"""
from __future__ import annotations

import asyncio
import re
from collections import Counter

from aiohttp import web

from ..ratelimit import RateLimiter
from . import i18n
from .live import stream
from .web import LANG_KEY, Console, role

LABEL = re.compile(r"[A-Z]{0,2}\d{1,4}")
DAY = re.compile(r"\d{8}")
FINISHED = ("done", "no_show", "void", "expired")
STREAMS_PER_TICKET = 5
Rendered = tuple[int, str, bool]          # HTTP status, the page's live part, still worth following


class PhoneDesk:
    """The phone pages' renders, all of one change made in one go, and the per-address limit.

    Every open phone page is a follower; when the hall changes, the first page to ask renders
    every followed ticket in one worker-thread call (a few queries in all), and the others find
    theirs made."""

    def __init__(self, console: Console):
        self.console = console
        self.limiter = RateLimiter(limit=console.cfg.console.phone_requests_per_minute, window=60.0)
        self.followers: Counter[tuple[str, str, str]] = Counter()
        self.streams: Counter[tuple[str, str]] = Counter()        # open streams per (day, label)
        self.rendered: dict[tuple, Rendered] = {}
        self.version = -1
        self.lock = asyncio.Lock()

    async def get(self, day: str, label: str, lang: str) -> Rendered:
        """(HTTP status, the page's live part, open) for a ticket of ``day`` (ISO date); open while
        the ticket exists today and is not finished."""
        key = (day, label, lang)
        async with self.lock:
            version = self.console.hall.version
            if version != self.version or key not in self.rendered:
                wanted = {*self.followers, key}
                self.rendered = await asyncio.to_thread(self._render, wanted)
                self.version = version
        return self.rendered[key]

    def _render(self, keys: set[tuple[str, str, str]]) -> dict[tuple, Rendered]:
        console = self.console
        today = console.ledger.today()
        tickets = console.ledger.tickets(today, sorted({label for day, label, _ in keys if day == today}))
        snap = console.hall.snapshot()
        template = console.env.get_template("phone_live.html")
        serving = {lang: _now_serving(console, snap["calls"], lang) for lang in i18n.LANGS}
        out = {}
        for day, label, lang in keys:
            ticket = tickets.get(label) if day == today else None
            service = console.cfg.by_service.get(ticket["service"]) if ticket else None
            html = template.render(
                t=lambda k, _lang=lang, **v: i18n.t(k, _lang, **v), lang=lang, ticket=ticket,
                counter=_name(console, ticket.get("counter"), lang) if ticket else None,
                service=(service.name.vi if lang == "vi" else service.name.en) if service else "",
                serving=serving[lang], today=day == today)
            out[(day, label, lang)] = (200 if ticket else 404), html, bool(ticket) and ticket["status"] not in FINISHED
        return out

    def still_open(self, day: str, label: str, lang: str) -> bool:
        """What a stream asks after each update: its ticket unfinished, and still today's."""
        kept = self.rendered.get((day, label, lang))
        return kept is not None and kept[2] and day == self.console.ledger.today()


def _now_serving(console: Console, calls: list[dict], lang: str) -> list[tuple[str, str]]:
    """Each counter's latest call, newest first: the hall's last calls, which the hub's retained
    ``calls/recent`` fills when the console starts, so a restarted console shows them at once."""
    seen: dict[str, str] = {}
    for c in calls:
        seen.setdefault(str(c.get("counter")), str(c.get("ticket")))
    return [(ticket, _name(console, counter, lang)) for counter, ticket in seen.items()]


def _name(console: Console, counter: str | None, lang: str) -> str:
    c = console.cfg.by_counter.get(counter or "")
    return (c.name.vi if lang == "vi" else c.name.en) if c else str(counter or "")


def _ticket_day(request: web.Request) -> tuple[str, str]:
    """(ISO day, label) from the path; a path that is neither is simply not found."""
    day, label = request.match_info["day"], request.match_info["label"].upper()
    if not DAY.fullmatch(day) or not LABEL.fullmatch(label):
        raise web.HTTPNotFound()
    return f"{day[:4]}-{day[4:6]}-{day[6:]}", label


def _limited(request: web.Request) -> None:
    desk: PhoneDesk = request.app["phone"]
    if not desk.limiter.allow(request.remote or "?"):
        raise web.HTTPTooManyRequests(text="Quá nhiều yêu cầu, vui lòng thử lại sau / Too many requests, try later",
                                      headers={"Retry-After": "30"})


@role("public")
async def page(request: web.Request) -> web.StreamResponse:
    """The citizens' page for a ticket, opened from its QR code without a login: where it stands in the queue, live
    while it is open. Rate-limited per address; 404 for an unknown day or label."""
    _limited(request)
    day, label = _ticket_day(request)
    desk: PhoneDesk = request.app["phone"]
    status, html, live = await desk.get(day, label, request[LANG_KEY])
    return desk.console.render(request, "phone.html", status=status, fragment=html, label=label,
                               live=request.path.replace("/t/", "/events/t/", 1) if live else None)


@role("public")
async def events(request: web.Request) -> web.StreamResponse:
    """The phone page's server-sent updates, capped per ticket; 204 once the ticket is finished (EventSource then stops
    asking), 404 when it does not exist."""
    _limited(request)
    day, label = _ticket_day(request)
    desk: PhoneDesk = request.app["phone"]
    key, ticket = (day, label, request[LANG_KEY]), (day, label)
    status, _, live = await desk.get(*key)
    if not live:
        raise web.HTTPNotFound() if status == 404 else web.HTTPNoContent()   # 204: EventSource stops
    if desk.streams[ticket] >= STREAMS_PER_TICKET:
        raise web.HTTPTooManyRequests(text="Quá nhiều trang theo dõi số này / Too many pages follow this ticket",
                                      headers={"Retry-After": "60"})

    async def fragments() -> dict[str, str]:
        return {"live": (await desk.get(*key))[1]}
    desk.streams[ticket] += 1
    desk.followers[key] += 1
    try:
        return await stream(request, fragments, over=lambda: not desk.still_open(*key))
    finally:
        _release(desk.followers, key)
        _release(desk.streams, ticket)


def _release(counts: Counter, key: tuple) -> None:
    counts[key] -= 1
    if counts[key] <= 0:
        del counts[key]


ROUTES = [("GET", "/t/{day}/{label}", page), ("GET", "/events/t/{day}/{label}", events)]
