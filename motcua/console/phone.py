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

from aiohttp import web

from ..hub.lookup import RateLimiter
from . import words
from .live import stream
from .web import LANG_KEY, Console, role

LABEL = re.compile(r"[A-Z]{0,2}\d{1,4}")
DAY = re.compile(r"\d{8}")


class PhoneDesk:
    """The shared renders, and the per-address limit."""

    def __init__(self, console: Console):
        self.console = console
        self.limiter = RateLimiter(limit=console.cfg.console.phone_requests_per_minute, window=60.0)
        self.cache: dict[tuple, str] = {}
        self.version = -1

    def render(self, day: str, label: str, lang: str) -> tuple[int, str]:
        """(HTTP status, the page's live part) for a ticket of ``day`` (ISO date)."""
        console = self.console
        if console.hall.version != self.version:
            self.cache.clear()
            self.version = console.hall.version
        key = (day, label, lang)
        if key not in self.cache:
            self.cache[key] = self._render(day, label, lang)
        return self.cache[key]

    def _render(self, day: str, label: str, lang: str) -> tuple[int, str]:
        console = self.console
        ticket = console.ledger.ticket(day, label) if day == console.ledger.today() else None
        snap = console.hall.snapshot()
        serving = [(s["ticket"], _name(console, c, lang)) for c, s in snap["counters"].items()
                   if s.get("status") == "serving" and s.get("ticket")]
        service = console.cfg.by_service.get(ticket["service"]) if ticket else None
        counter = _name(console, ticket.get("counter"), lang) if ticket else None
        html = console.env.get_template("phone_live.html").render(
            t=lambda k, **v: words.t(k, lang, **v), lang=lang, ticket=ticket, counter=counter,
            service=(service.name.vi if lang == "vi" else service.name.en) if service else "",
            serving=sorted(serving), today=day == console.ledger.today())
        return (200 if ticket else 404), html


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
    status, html = await asyncio.to_thread(desk.render, day, label, request[LANG_KEY])
    return desk.console.render(request, "phone.html", status=status, fragment=html, label=label,
                               live=request.path.replace("/t/", "/events/t/", 1) if status == 200 else None)


@role("public")
async def events(request: web.Request) -> web.StreamResponse:
    _limited(request)
    day, label = _ticket_day(request)
    desk: PhoneDesk = request.app["phone"]
    lang = request[LANG_KEY]

    async def fragments() -> dict[str, str]:
        if desk.version == desk.console.hall.version and (day, label, lang) in desk.cache:
            return {"live": desk.cache[(day, label, lang)][1]}
        return {"live": (await asyncio.to_thread(desk.render, day, label, lang))[1]}
    return await stream(request, fragments)


ROUTES = [("GET", "/t/{day}/{label}", page), ("GET", "/events/t/{day}/{label}", events)]
