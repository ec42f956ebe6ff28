"""The ticket's phone page (SPEC section 12): ``/t/{yyyymmdd}/{label}``, the address in the QR.

No login and nothing personal: the label, its service, how many are ahead and the estimated wait
(the hub's own numbers), the counter once called, the numbers now serving. Only today's tickets:
another day's address says so and nothing more, whether or not such a ticket existed. Requests
are limited per address. One render per ticket, language and change is shared by every phone
following it, so 300 open pages cost 300 small writes, not 300 queries.
"""
from __future__ import annotations

import asyncio
import re
from collections import Counter

from aiohttp import web

from ..hub.lookup import RateLimiter
from . import words
from .live import stream
from .web import LANG_KEY, Console, role

LABEL = re.compile(r"[A-Z]{0,2}\d{1,4}")
DAY = re.compile(r"\d{8}")


class PhoneDesk:
    """The phone pages' renders, all of one change made in one go, and the per-address limit.

    Every open phone page is a follower; when the hall changes, the first page to ask renders
    every followed ticket in one worker-thread call (a few queries in all), and the others find
    theirs made."""

    def __init__(self, console: Console):
        self.console = console
        self.limiter = RateLimiter(limit=console.cfg.console.phone_requests_per_minute, window=60.0)
        self.followers: Counter[tuple[str, str, str]] = Counter()
        self.rendered: dict[tuple, tuple[int, str]] = {}
        self.version = -1
        self.lock = asyncio.Lock()

    async def get(self, day: str, label: str, lang: str) -> tuple[int, str]:
        """(HTTP status, the page's live part) for a ticket of ``day`` (ISO date)."""
        key = (day, label, lang)
        async with self.lock:
            version = self.console.hall.version
            if version != self.version or key not in self.rendered:
                wanted = {*self.followers, key}
                self.rendered = await asyncio.to_thread(self._render, wanted)
                self.version = version
        return self.rendered[key]

    def _render(self, keys: set[tuple[str, str, str]]) -> dict[tuple, tuple[int, str]]:
        console = self.console
        today = console.ledger.today()
        tickets = console.ledger.tickets(today, sorted({label for day, label, _ in keys if day == today}))
        snap = console.hall.snapshot()
        template = console.env.get_template("phone_live.html")
        serving = {lang: sorted((s["ticket"], _name(console, c, lang)) for c, s in snap["counters"].items()
                                if s.get("status") == "serving" and s.get("ticket")) for lang in words.LANGS}
        out = {}
        for day, label, lang in keys:
            ticket = tickets.get(label) if day == today else None
            service = console.cfg.by_service.get(ticket["service"]) if ticket else None
            html = template.render(
                t=lambda k, _lang=lang, **v: words.t(k, _lang, **v), lang=lang, ticket=ticket,
                counter=_name(console, ticket.get("counter"), lang) if ticket else None,
                service=(service.name.vi if lang == "vi" else service.name.en) if service else "",
                serving=serving[lang], today=day == today)
            out[(day, label, lang)] = (200 if ticket else 404), html
        return out


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
    _limited(request)
    day, label = _ticket_day(request)
    desk: PhoneDesk = request.app["phone"]
    status, html = await desk.get(day, label, request[LANG_KEY])
    return desk.console.render(request, "phone.html", status=status, fragment=html, label=label,
                               live=request.path.replace("/t/", "/events/t/", 1) if status == 200 else None)


@role("public")
async def events(request: web.Request) -> web.StreamResponse:
    _limited(request)
    day, label = _ticket_day(request)
    desk: PhoneDesk = request.app["phone"]
    key = (day, label, request[LANG_KEY])

    async def fragments() -> dict[str, str]:
        return {"live": (await desk.get(*key))[1]}
    desk.followers[key] += 1
    try:
        return await stream(request, fragments)
    finally:
        desk.followers[key] -= 1
        if desk.followers[key] <= 0:
            del desk.followers[key]


ROUTES = [("GET", "/t/{day}/{label}", page), ("GET", "/events/t/{day}/{label}", events)]
