"""The supervisor's pages (SPEC section 12): live hall, figures, dossier report, follow-up.

Each reads in a worker thread (``asyncio.to_thread``) so a year's report never holds up the
pushes to open browsers. Downloads are built from the same tables as the page.
"""
from __future__ import annotations

import asyncio
import uuid
from datetime import date, datetime

from aiohttp import web

from ..child import in_a_child
from ..hubclient import HubUnavailable
from . import charts, data, i18n
from .dossier_report import report_table
from .live import hall_view, shared, stream
from .tables import figures_tables, to_csv
from .web import LANG_KEY, Console


def _console(request: web.Request) -> Console:
    return request.app["console"]


def _now(console: Console) -> datetime:
    return datetime.now(console.cfg.site.tz)


def _today(console: Console) -> date:
    return data.today(console.cfg)


# --- live hall -------------------------------------------------------------------------------
async def hall_page(request: web.Request) -> web.StreamResponse:
    """The supervisor's live hall: counters, queues, parts and the last calls, kept current by ``hall_events``."""
    console = _console(request)
    return console.render(request, "hall.html", live="/events/hall", **hall_view(console.cfg, console.hall.snapshot()))


async def hall_events(request: web.Request) -> web.StreamResponse:
    """The hall page's server-sent updates; the fragment is rendered once per change and language and shared by every
    open page."""
    console, lang = _console(request), request[LANG_KEY]
    template = console.env.get_template("hall_live.html")

    def make(snap: dict) -> str:
        return template.render(t=lambda k, **v: i18n.t(k, lang, **v), lang=lang, **hall_view(console.cfg, snap))

    async def fragments() -> dict[str, str]:
        return {"live": shared(console, ("hall", lang), make)}
    return await stream(request, fragments)


# --- figures -----------------------------------------------------------------------------------
def _range(request: web.Request) -> tuple[date, date] | str:
    console = _console(request)
    try:
        return data.day_range(console.cfg, request.query.get("from"), request.query.get("to"), _now(console))
    except data.RangeError as e:
        return str(e)


async def figures_page(request: web.Request) -> web.StreamResponse:
    """The figures of a day range (today by default) as tables and two charts: arrivals by hour over at least 07-17, and
    median waits by service in minutes. 400 for a bad range."""
    console = _console(request)
    got = _range(request)
    if isinstance(got, str):
        return console.render(request, "figures.html", status=400, error=got, first="", last="", tables=[])
    first, last = got
    fig = await asyncio.to_thread(console.recent.figures, first, last, _today(console))
    tables = figures_tables(fig, console.cfg) if fig else []
    hours = (fig or {}).get("hours", {})
    span = range(min([7, *hours]), max([17, *hours]) + 1)          # the working day at least, 07-17
    arrivals = charts.columns([(f"{h:02d}", hours[h]["issued"] if h in hours else 0) for h in span])
    waits = charts.rows([(console.cfg.by_service[s].name.vi if request[LANG_KEY] == "vi"
                          else console.cfg.by_service[s].name.en, round((f["wait_median_s"] or 0) / 60, 1))
                         for s, f in (fig or {}).get("services", {}).items()])
    return console.render(request, "figures.html", first=first.isoformat(), last=last.isoformat(), tables=tables,
                          total=(fig or {}).get("total"), arrivals=arrivals, waits=waits, error=None)


async def _download(request: web.Request, build, stem: str) -> web.StreamResponse:
    console = _console(request)
    got = _range(request)
    if isinstance(got, str):
        raise web.HTTPBadRequest(text=got)
    first, last = got
    tables = await asyncio.to_thread(build, console, first, last)
    name = f"{stem}-{first:%Y%m%d}-{last:%Y%m%d}"
    if request.match_info["ext"] == "xlsx":
        body = await asyncio.to_thread(in_a_child, "motcua.console.tables", "to_xlsx", tables,
                                       f"{console.cfg.site.name} {first}…{last}")
        kind = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        body, kind = to_csv(tables), "text/csv"
    return web.Response(body=body, content_type=kind,
                        headers={"Content-Disposition": f'attachment; filename="{name}.{request.match_info["ext"]}"'})


def _figure_tables(console: Console, first: date, last: date):
    fig = console.recent.figures(first, last, _today(console))
    return figures_tables(fig, console.cfg) if fig else []


def _report_tables(console: Console, first: date, last: date):
    rep = console.recent.report(first, last, _today(console))
    return [report_table(rep)] if rep else []


async def figures_download(request: web.Request) -> web.StreamResponse:
    """The figures page's tables as a CSV or XLSX file (``so-lieu-<first>-<last>``); 400 for a bad range."""
    return await _download(request, _figure_tables, "so-lieu")


# --- dossier report ------------------------------------------------------------------------------
async def dossiers_page(request: web.Request) -> web.StreamResponse:
    """The dossiers report of a day range; says so when the hub has no dossier store yet. 400 for a bad range."""
    console = _console(request)
    got = _range(request)
    if isinstance(got, str):
        return console.render(request, "dossiers.html", status=400, error=got, first="", last="", report=None)
    first, last = got
    rep = await asyncio.to_thread(console.recent.report, first, last, _today(console))
    return console.render(request, "dossiers.html", first=first.isoformat(), last=last.isoformat(), error=None,
                          report=report_table(rep) if rep else None, total=rep["total"] if rep else None,
                          no_store=rep is None)


async def dossiers_download(request: web.Request) -> web.StreamResponse:
    """The dossiers report as a CSV or XLSX file (``bao-cao-ho-so-<first>-<last>``); 400 for a bad range."""
    return await _download(request, _report_tables, "bao-cao-ho-so")


# --- follow-up -------------------------------------------------------------------------------------
async def followup_page(request: web.Request, message: tuple[str, dict] | None = None,
                        status: int = 200) -> web.StreamResponse:
    """The follow-up's state: its outbox, opt-outs, letters and today's overdue watch, and whether the service is
    running; ``message`` is the result of an action just taken."""
    console = _console(request)
    view = await asyncio.to_thread(data.followup, console.cfg, _today(console))
    running = next((p.online for p in console.hall.snapshot()["parts"] if p.name == "followup"), None)
    return console.render(request, "followup.html", status=status, view=view, running=running, message=message,
                          command_id=uuid.uuid4().hex, today=_today(console).isoformat())


async def letter_download(request: web.Request) -> web.StreamResponse:
    """A letter or watch file the follow-up wrote, by bare file name from its letters folder only; 404 for any other
    name."""
    path = data.letter_file(_console(request).cfg, request.match_info["name"])
    if path is None:
        raise web.HTTPNotFound()
    kind = "application/pdf" if path.suffix == ".pdf" else "text/csv"
    return web.Response(body=path.read_bytes(), content_type=kind,
                        headers={"Content-Disposition": f'attachment; filename="{path.name}"'})


async def extend(request: web.Request) -> web.StreamResponse:
    """A new due date and reason for an overdue dossier, sent as ``dossier/extend``; the form's
    ``command_id`` was made when the page was drawn, so a double submit is one request."""
    console = _console(request)
    form = await request.post()
    body = {"code": str(form.get("code", ""))[:100], "due_at": str(form.get("due_at", ""))[:40],
            "reason": str(form.get("reason", ""))[:500], "command_id": f"console-{str(form.get('command_id'))[:64]}"}
    try:
        reply = await asyncio.to_thread(console.hub.request, console.hub.t.extend, body, 5.0, 2)
    except HubUnavailable as e:
        return await followup_page(request, ("hub_failed", {"why": str(e)}), status=503)
    if not reply.get("ok"):
        text = (reply.get("error") or {}).get("text") or {}
        return await followup_page(request, ("hub_failed", {"why": text.get(request[LANG_KEY], "?")}), status=400)
    d = reply["dossier"]
    return await followup_page(request, ("extended_ok", {"code": d["code"], "due": (d.get("due_at") or "")[:10]}))


ROUTES = [
    ("GET", "/hall", hall_page), ("GET", "/events/hall", hall_events),
    ("GET", "/figures", figures_page), ("GET", "/figures.{ext:xlsx|csv}", figures_download),
    ("GET", "/dossiers", dossiers_page), ("GET", "/dossiers.{ext:xlsx|csv}", dossiers_download),
    ("GET", "/followup", followup_page), ("GET", "/followup/letters/{name}", letter_download),
    ("POST", "/followup/extend", extend),
]
