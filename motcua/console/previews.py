"""Two previews for the settings pages (SPEC 12.1), supervisor only: a wall screen's sample call ("nghe thử"),
and an SMS template as the citizen's phone will get it.

Both are made by the code the real parts use, so what the supervisor hears or reads is what the hall will:
the sample call by the wall screen's own ``announcement`` (espeak-ng, its chime, phrase, repeats and voice), the
SMS by the follow-up's ``compose`` (filled with sample values, folded to GSM 7-bit unless the site sends Unicode,
shortened in its free fields) and counted by its ``parts``. Bad input is a JSON answer naming the problem.
"""
from __future__ import annotations

import asyncio
import dataclasses
import subprocess
from concurrent.futures import ThreadPoolExecutor
from typing import cast

from aiohttp import web

from ..config.display import VOICE
from ..config.followup import SAMPLE, SMS
from ..config.schema import Ctx, Field, Map
from ..fill import placeholders
from ..followup.texts import compose, length, parts
from ..speech import VoiceConfig, announcement, voice_config
from .web import Console

SAMPLE_TICKET, SAMPLE_COUNTER = "A012", "5"
VOICE_TIMEOUT_S = 15.0
VOICE_WAITING = 3                    # sample calls asked at once beyond the one being made: more are refused
MAX_WAV = 8 * 1024 * 1024            # a 200-letter phrase said three times is well under it
PHRASE: Field = VOICE.fields["phrase"]
TEMPLATE: Field = cast(Map, SMS.fields["templates"]).fields["received"]    # every template has the same bounds
TRUE, FALSE = ("1", "true", "on", "yes"), ("0", "false", "off", "no")


class Sampler:
    """One espeak-ng at a time for sample calls, in its own thread (the console's loop never waits on it), a few
    more asked at once waiting their turn, and the rest refused: a page clicked many times costs the hall nothing."""

    def __init__(self) -> None:
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="console-voice")
        self.asked = 0

    async def wav(self, voice: VoiceConfig, counter: str) -> bytes:
        if self.asked > VOICE_WAITING:
            raise web.HTTPServiceUnavailable(text="đang tạo câu gọi mẫu khác / busy making other sample calls")
        self.asked += 1
        try:
            job = asyncio.get_running_loop().run_in_executor(self.pool, announcement, SAMPLE_TICKET, counter, voice)
            _, sound = await asyncio.wait_for(job, VOICE_TIMEOUT_S)
        finally:
            self.asked -= 1
        if len(sound) > MAX_WAV:
            raise ValueError(f"the sample call is {len(sound)} bytes, more than {MAX_WAV}")
        return sound


SAMPLER = Sampler()


def _problems(field: Field, value: object, name: str) -> list[str]:
    """``value`` checked by the site file's own schema field, its problems as ``name: message``."""
    ctx = Ctx()
    field.validate(value, (name,), ctx)
    return [f"{p.dotted}: {p.message}" for p in ctx.problems]


def _error(status: int, problems: list[str]) -> web.Response:
    return web.json_response({"error": "bad_request", "problems": problems}, status=status)


async def voice_sample(request: web.Request) -> web.StreamResponse:
    """``GET /settings/voice-sample/{display}[?phrase=...]``: the sample call "A012 to counter ..." as a WAV, in that
    wall screen's voice, said as it would say it (its first counter, else 5); ``phrase`` tries a phrase not saved
    yet, bounded and checked as the site file's. 404 for a display the site does not have."""
    console: Console = request.app["console"]
    display = next((d for d in console.cfg.displays if d.id == request.match_info["display"]), None)
    if display is None:
        raise web.HTTPNotFound()
    voice = voice_config(display)
    phrase = request.query.get("phrase")
    if phrase is not None:
        problems = _problems(PHRASE, phrase, "phrase")
        if problems:
            return _error(400, problems)
        voice = dataclasses.replace(voice, phrase=phrase)
    try:
        sound = await SAMPLER.wav(voice, display.counters[0] if display.counters else SAMPLE_COUNTER)
    except (RuntimeError, OSError, ValueError, subprocess.TimeoutExpired) as e:    # OSError: TimeoutError too
        return web.json_response({"error": "unavailable", "problems": [f"không tạo được câu gọi mẫu / no sample "
                                                                       f"call: {str(e)[:200] or 'timeout'}"]},
                                 status=503)
    return web.Response(body=sound, content_type="audio/wav", headers={"Cache-Control": "no-store"})


def _flag(value: object, default: bool) -> bool | None:
    """A form's yes or no; ``default`` when not given, None when it is neither."""
    if value is None or value == "":
        return default
    text = str(value).lower()
    return True if text in TRUE else False if text in FALSE else None


def preview(template: str, fields: dict, unicode: bool) -> dict:
    """What the citizen's phone gets from ``template`` with ``fields``, or the problems that keep it from being sent:
    every unknown placeholder named at once."""
    try:
        unknown = sorted(placeholders(template) - set(fields))
    except ValueError as e:                       # a lone "{" or "}"
        return {"text": None, "parts": 0, "chars": 0, "problems": [f"template: mẫu sai / bad template: {e}"]}
    if unknown:
        known = ", ".join("{" + k + "}" for k in fields)
        return {"text": None, "parts": 0, "chars": 0,
                "problems": [f"template: chỗ điền không có / unknown placeholder {{{name}}}; known: {known}"
                             for name in unknown]}
    try:
        _, sent = compose(template, fields, unicode)
    except (KeyError, IndexError, ValueError, AttributeError) as e:
        return {"text": None, "parts": 0, "chars": 0, "problems": [f"template: không dùng được / unusable: {e}"]}
    return {"text": sent, "parts": parts(sent, unicode), "chars": length(sent, unicode), "problems": []}


async def sms_preview(request: web.Request) -> web.StreamResponse:
    """``POST /settings/sms-preview`` (a form with ``csrf``, ``template`` and optionally ``unicode``): JSON
    ``{"text", "parts", "chars", "problems"}`` for the template filled with sample values and the site's centre,
    as the follow-up sends it; 400 with the problems for a template it cannot send."""
    console: Console = request.app["console"]
    form = await request.post()
    template = form.get("template")
    sms = console.cfg.followup.sms if console.cfg.followup else None
    unicode = _flag(form.get("unicode"), sms.unicode if sms else False)
    problems = (["template: cần nội dung mẫu / required"] if template is None
                else _problems(TEMPLATE, template, "template"))
    if unicode is None:
        problems.append("unicode: phải là true hoặc false / must be true or false")
    if problems:
        return _error(400, problems)
    fields = {**SAMPLE, "centre": (sms.centre if sms else None) or console.cfg.site.name,
              "centre_phone": sms.centre_phone if sms else SAMPLE["centre_phone"]}
    out = preview(str(template), fields, bool(unicode))
    return web.json_response(out, status=400 if out["problems"] else 200)


ROUTES = [
    ("GET", "/settings/voice-sample/{display:[a-z0-9-]{1,16}}", voice_sample),
    ("POST", "/settings/sms-preview", sms_preview),
]
