"""The clerk's counter panel (SPEC section 12): the counter's state and ticket, its services'
waiting tickets, and the keypad's actions as buttons and keys.

A press is one ``counter/<C>/command`` with its own ``command_id``, made by the page when the
button is pressed (or, without script, when the form was drawn); a double click or a repeated
request carries the same id, and the hub answers it once. The state shown comes from the
retained ``counter/<C>/state``, the same that a hardware keypad on the counter follows, so both
show the same whichever acted.
"""
from __future__ import annotations

import asyncio
import re
import time
import uuid

from aiohttp import web

from ..contract import ACTIONS, ERRORS, RATINGS
from ..hubclient import HubUnavailable
from . import i18n
from .live import epoch, shared, stream
from .web import LANG_KEY, SESSION, Console, role

COMMAND_ID = re.compile(r"[A-Za-z0-9_.-]{8,80}")
KEYS = {"next": "N", "recall": "R", "skip": "S", "done": "D", "transfer": "T", "call": "C", "pause": "P",
        "resume": "U"}
ACTION_WORDS = {"next": ("Gọi số tiếp", "Next"), "recall": ("Gọi lại", "Recall"), "skip": ("Vắng mặt", "Skip"),
                "done": ("Xong", "Done"), "transfer": ("Chuyển", "Transfer"), "call": ("Gọi số", "Call"),
                "pause": ("Tạm nghỉ", "Pause"), "resume": ("Làm tiếp", "Resume")}


def _allowed(request: web.Request) -> tuple[Console, object]:
    """The counter from the path, if this user works at it: 404 for none, 403 for another's."""
    console: Console = request.app["console"]
    counter = console.cfg.by_counter.get(request.match_info["counter"])
    if counter is None:
        raise web.HTTPNotFound()
    if not request[SESSION].user.may_use(counter.id):
        raise web.HTTPForbidden(text="quầy của người khác / another clerk's counter")
    return console, counter


async def _live(console: Console, counter, lang: str) -> str:
    """The panel's live part, rendered once per change for every page showing this counter."""
    return await asyncio.to_thread(shared, console, ("counter", counter.id, lang),
                                   lambda snap: _fragment(console, counter, lang, snap))


def _fragment(console: Console, counter, lang: str, snap: dict) -> str:
    state = snap["counters"].get(counter.id, {"status": "unknown"})
    waiting = console.ledger.waiting(counter.services)
    return console.env.get_template("counter_live.html").render(
        t=lambda k, **v: i18n.t(k, lang, **v), lang=lang, counter=counter, state=state, waiting=waiting,
        called=epoch(state.get("called_at")), now=time.time(), broker_up=snap["broker_up"],
        names={s.id: s.name for s in console.cfg.services})


@role("clerk")
async def panel(request: web.Request) -> web.StreamResponse:
    """A clerk's panel for one counter: its live state and the keypad's actions as buttons; only for a clerk of that
    counter or a supervisor."""
    console, counter = _allowed(request)
    lang = request[LANG_KEY]
    live = await _live(console, counter, lang)
    said = request.query.get("said")
    return console.render(request, "counter.html", live=f"/events/counter/{counter.id}", counter=counter,
                          fragment=live, actions=ACTIONS, keys=KEYS, action_words=ACTION_WORDS, ratings=RATINGS,
                          command_id=uuid.uuid4().hex, said=_said(said, lang) if said else None,
                          services=console.cfg.services)


def _said(code: str, lang: str) -> str:
    if code == "ok":
        return ""
    vi, en = ERRORS.get(code, ERRORS["unavailable"])
    return vi if lang == "vi" else en


@role("clerk")
async def events(request: web.Request) -> web.StreamResponse:
    """The panel's server-sent updates: the counter's live part again after every change of the hall."""
    console, counter = _allowed(request)
    lang = request[LANG_KEY]
    async def fragments() -> dict[str, str]:
        return {"live": await _live(console, counter, lang)}
    return await stream(request, fragments)


@role("clerk")
async def command(request: web.Request) -> web.StreamResponse:
    """A keypad action sent from the panel to the hub as that counter, with the form's ``command_id`` so a double click
    or a resend acts once; 400 for a malformed form, 409 when the hub refuses or cannot be reached."""
    console, counter = _allowed(request)
    form = await request.post()
    action, cid = str(form.get("action", "")), str(form.get("command_id", ""))
    if action not in ACTIONS or not COMMAND_ID.fullmatch(cid):
        return _answer(request, counter.id, {"ok": False, "error": {"code": "bad_request", "text": {
            "vi": "Lệnh không hợp lệ", "en": "Not a valid command"}}}, status=400)
    fields = {k: str(form[k]).strip().upper()[:16] for k in ("service", "ticket") if form.get(k)}
    try:
        reply = await asyncio.to_thread(console.hub.command, counter.id, action, command_id=f"console-{cid}",
                                        timeout=2.0, tries=3, **fields)
    except HubUnavailable:
        reply = {"ok": False, "error": {"code": "unavailable", "text": dict(zip(("vi", "en"),
                                                                                ERRORS["unavailable"], strict=True))}}
    return _answer(request, counter.id, reply, status=200 if reply.get("ok") else 409)


@role("clerk")
async def rating(request: web.Request) -> web.StreamResponse:
    """A citizen's rating entered at the panel, for counters without rating keys: the same event a
    keypad sends, once per ``command_id``."""
    console, counter = _allowed(request)
    form = await request.post()
    score, cid = str(form.get("score", "")), str(form.get("command_id", ""))
    if score not in ("1", "2", "3") or not COMMAND_ID.fullmatch(cid):
        return _answer(request, counter.id, {"ok": False, "error": {"code": "bad_request", "text": {
            "vi": "Đánh giá không hợp lệ", "en": "Not a valid rating"}}}, status=400)
    console.hub.link.publish(console.hub.t.counter_rating(counter.id),
                             {"score": int(score), "command_id": f"console-{cid}"})
    return _answer(request, counter.id, {"ok": True, "rated": int(score)})


def _answer(request: web.Request, counter: str, reply: dict, status: int = 200) -> web.StreamResponse:
    """JSON for the page's script; a redirect back to the panel for a plain form."""
    lang = request[LANG_KEY]
    text = ((reply.get("error") or {}).get("text") or {}).get(lang, "") if not reply.get("ok") else ""
    if request.headers.get("X-Motcua") == "fetch":
        return web.json_response({"ok": bool(reply.get("ok")), "text": text,
                                  "code": (reply.get("error") or {}).get("code")}, status=status)
    code = "ok" if reply.get("ok") else (reply.get("error") or {}).get("code", "unavailable")
    raise web.HTTPSeeOther(f"/counter/{counter}?said={code}")


ROUTES = [
    ("GET", "/counter/{counter}", panel), ("GET", "/events/counter/{counter}", events),
    ("POST", "/counter/{counter}/command", command), ("POST", "/counter/{counter}/rating", rating),
]
