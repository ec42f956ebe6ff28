"""The supervisor's settings pages and versions page (SPEC 12.1, 2.1): the hall's site document as forms.

The hub keeps the file and is its only writer: a page is drawn from the version the hub says is current
(``config/history``), and a save is a ``config/set`` of the whole document, built from that version, with its
number as ``base_version``, the user's name as ``by`` and the ``command_id`` made when the page was drawn (a
double submit, or a retry after the hub was away, is one change). The hub's refusals come back on the same page
with what the user typed: each problem beside its input, someone else's save first merged under the user's
changes, a reason that would break the day said at the top.
"""
from __future__ import annotations

import asyncio
import dataclasses
import difflib
import time
import uuid
from collections.abc import Callable
from typing import Any

import yaml
from aiohttp import web

from ..config.schema import dotted
from ..hubclient import HubClient, HubUnavailable
from .i18n import author, when
from .settings_form import (
    MISSING,
    SECTIONS,
    Edit,
    Group,
    Section,
    apply,
    get,
    groups,
    mark_theirs,
    place,
    read_form,
    same,
)
from .web import LANG_KEY, SESSION, Console

ASK_S, TRIES = 5.0, 2
DOCS_KEPT = 60           # the hub keeps 50 versions besides the current one
FRESH_S = 10.0           # the list of versions is asked again at least this often


class SiteDocs:
    """The hub's versions of the site document, as the pages need them. A version never changes once written, so
    each document (and each difference of two) is asked for or worked out once; the list of versions is asked again
    only when the hub has published a newer one on ``<R>/config`` (``current``, from the console's SiteSync), when a
    page needs a newer one than it holds, after a save, or after ``FRESH_S``: 20 supervisors' pages at once cost
    the hub nothing."""

    def __init__(self, hub: HubClient, current: Callable[[], int | None] = lambda: None):
        self.hub, self.current = hub, current
        self.docs: dict[int, dict] = {}
        self.diffs: dict[tuple[int | None, int], list[tuple[str, str]]] = {}
        self._versions: list[dict] = []
        self._asked_at = 0.0

    async def ask(self, topic: str, body: dict) -> dict:
        return await asyncio.to_thread(self.hub.request, topic, body, ASK_S, TRIES)

    def forget(self) -> None:
        """The list of versions is out of date (a save, a conflict): the next page asks the hub."""
        self._versions = []

    async def versions(self, at_least: int = 0) -> list[dict]:
        """The versions kept, newest (the current one) first; HubUnavailable when the hub does not answer or keeps
        no versions (a site file it cannot write)."""
        newest = max(self.current() or 0, at_least)
        if self._versions and self._versions[0]["version"] >= newest \
                and time.monotonic() - self._asked_at < FRESH_S:
            return self._versions
        reply = await self.ask(self.hub.t.config_history, {})
        if not reply.get("ok") or not reply.get("versions"):
            raise HubUnavailable(_why(reply))
        self._versions, self._asked_at = reply["versions"], time.monotonic()
        return self._versions

    async def diff(self, old: int | None, new: int) -> list[tuple[str, str]]:
        """What ``new`` changed from ``old`` (None: from nothing), worked out once."""
        if (old, new) not in self.diffs:
            if len(self.diffs) >= DOCS_KEPT:
                self.diffs.pop(next(iter(self.diffs)))
            self.diffs[(old, new)] = yaml_diff(await self.document(old) if old else None, await self.document(new))
        return self.diffs[(old, new)]

    async def document(self, version: int) -> dict | None:
        """That version's document without the accounts; None when the hub no longer keeps it."""
        if version not in self.docs:
            reply = await self.ask(self.hub.t.config_history, {"version": version})
            if not reply.get("ok"):
                return None
            while len(self.docs) >= DOCS_KEPT:
                self.docs.pop(min(self.docs))
            self.docs[version] = reply["document"]
        return self.docs[version]


def _why(reply: dict) -> str:
    text = (reply.get("error") or {}).get("text") or {}
    return f"{text.get('vi', '?')} / {text.get('en', '?')}"


def _problems(request: web.Request, error: dict) -> list[str]:
    """The hub's ``key.path: message`` problems in the page's language (its ``problems_text``), else as it said them."""
    said = error.get("problems_text")
    mine = said.get(request[LANG_KEY]) if isinstance(said, dict) else None
    return mine if isinstance(mine, list) else error.get("problems") or []


def _parts(request: web.Request) -> tuple[Console, SiteDocs]:
    return request.app["console"], request.app["settings"]


def _section(request: web.Request) -> Section:
    section = SECTIONS.get(request.match_info["section"])
    if section is None:
        raise web.HTTPNotFound()
    return section


def changed_keys(old: Any, new: Any, path: str = "") -> list[str]:
    """The key paths that differ between two documents, as a reader of the YAML names them."""
    if isinstance(old, dict) and isinstance(new, dict):
        return [k for key in sorted({*old, *new}, key=str)
                for k in changed_keys(old.get(key), new.get(key), f"{path}.{key}" if path else str(key))]
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        return [k for i, (a, b) in enumerate(zip(old, new, strict=True)) for k in changed_keys(a, b, f"{path}[{i}]")]
    return [] if same(old, new) else [path or "(top)"]


async def _last_change(docs: SiteDocs, versions: list[dict]) -> dict:
    """Who changed what and when last: the current version, its author and time, and its keys changed."""
    last = dict(versions[0])
    before = await docs.document(versions[1]["version"]) if len(versions) > 1 else None
    now = await docs.document(last["version"])
    last["keys"] = changed_keys(before, now)[:8] if before is not None and now is not None else []
    return last


# --- a section -----------------------------------------------------------------------------------------

async def section_page(request: web.Request) -> web.StreamResponse:
    """A section's form, drawn from the hub's current version; a clear message (503) when the hub is away."""
    _, docs = _parts(request)
    section = _section(request)
    saved = request.query.get("saved")
    try:
        versions = await docs.versions(int(saved) if saved and saved.isdigit() and len(saved) < 10 else 0)
        last = await _last_change(docs, versions)
        document = await docs.document(last["version"])
    except HubUnavailable as e:
        return _page(request, section, None, 503, message=("set_hub_away", {"why": str(e)}))
    if section.needs and get(document, section.needs) in (MISSING, None):
        return _page(request, section, None, last=last, message=("set_missing", {"what": dotted(section.needs)}))
    message = ("set_saved", {"v": saved}) if saved and saved.isdigit() else ("set_unchanged", {}) \
        if saved == "none" else None
    return _page(request, section, groups(section, document or {}), base_version=last["version"], last=last,
                 message=message)


def _page(request: web.Request, section: Section, page: list[Group] | None, status: int = 200, **context):
    console: Console = request.app["console"]
    context.setdefault("command_id", uuid.uuid4().hex)
    return console.render(request, "settings.html", status=status, section=section, sections=SECTIONS,
                          page=page, **{"last": None, "message": None, "problems": [], "base_version": 0,
                                        **context})


async def section_save(request: web.Request) -> web.StreamResponse:
    """A section's form posted whole: a ``config/set`` of the document it was drawn from with the user's changes."""
    _, docs = _parts(request)
    section = _section(request)
    form = await request.post()
    command_id = str(form.get("command_id", ""))[:64] or uuid.uuid4().hex
    try:
        base_version = int(str(form.get("base_version", "")))
        base = await docs.document(base_version)
    except ValueError:
        raise web.HTTPBadRequest(text="base_version") from None
    except HubUnavailable as e:
        return _page(request, section, None, 503, message=("set_hub_away", {"why": str(e)}))
    if base is None:
        return await _conflict(request, section, Edit(section), {})
    edit = read_form(section, base, form)
    if not edit:
        raise web.HTTPSeeOther(f"/settings/{section.slug}?saved=none")
    document, origin = apply(edit, base, base)
    reply = await _set(request, docs, base_version, document, command_id)
    if reply.get("ok"):
        raise web.HTTPSeeOther(f"/settings/{section.slug}?saved={reply['config']['version']}")
    error = reply.get("error") or {}
    if error.get("code") == "conflict":
        return await _conflict(request, section, edit, base)
    page = groups(section, base, typed=form)
    if error.get("code") == "hub_away":
        return _page(request, section, page, 503, command_id=command_id, base_version=base_version,
                     message=("set_hub_away", {"why": error.get("why", "")}))
    loose = place(_problems(request, error) or [_why(reply)], page, section, origin)
    return _page(request, section, page, 400, problems=loose, base_version=base_version,
                 message=("set_invalid" if error.get("code") == "config_invalid" else "set_refused", {}))


async def _set(request: web.Request, docs: SiteDocs, base_version: int, document: dict, command_id: str) -> dict:
    """The hub's answer to a ``config/set``; its absence said as an error of its own (``hub_away``)."""
    body = {"base_version": base_version, "document": document, "by": request[SESSION].user.name,
            "command_id": f"console-{command_id}"}
    try:
        return await docs.ask(docs.hub.t.config_set, body)
    except HubUnavailable as e:
        return {"ok": False, "error": {"code": "hub_away", "why": str(e)}}
    finally:
        docs.forget()         # saved, refused or in conflict: the next page shows the hub's list as it is now


async def _conflict(request: web.Request, section: Section, edit: Edit, base: dict) -> web.StreamResponse:
    """Someone else saved first: their version, with this user's changes laid on it (nothing of either lost),
    to look at and save again."""
    _, docs = _parts(request)
    try:
        versions = await docs.versions()
        current = await docs.document(versions[0]["version"]) or {}
    except HubUnavailable as e:
        return _page(request, section, None, 503, message=("set_hub_away", {"why": str(e)}))
    merged, _ = apply(dataclasses.replace(edit, removed=[]), current, base)
    page = groups(section, merged)
    if base:                         # the page's own version is still kept: what changed since is marked
        mark_theirs(section, page, base, current)
    for g in page:
        g.removed = str(get(merged, (*g.path, section.key))) in edit.removed and not g.new
    last = versions[0]
    by = author(last["by"], request[LANG_KEY])
    return _page(request, section, page, 409, base_version=last["version"], last=dict(last, keys=[]),
                 message=("set_conflict", {"by": by, "at": when(last["at"]), "v": last["version"]}))


# --- versions ------------------------------------------------------------------------------------------

def yaml_diff(old: dict | None, new: dict | None) -> list[tuple[str, str]]:
    """A readable difference of two versions, line by line: ("add" | "del" | "at" | "", text)."""
    def text(d: dict | None) -> list[str]:
        return yaml.safe_dump(d or {}, allow_unicode=True, sort_keys=False, width=100).splitlines()
    lines = difflib.unified_diff(text(old), text(new), lineterm="", n=2)
    kinds = {"+": "add", "-": "del", "@": "at"}
    return [(kinds.get(line[:1], ""), line) for line in list(lines)[2:]]


async def versions_page(request: web.Request) -> web.StreamResponse:
    """The versions the hub keeps (who, when) and what one of them (``?v=``, the current one by default) changed
    from the version before it."""
    console, docs = _parts(request)
    try:
        versions = await docs.versions()
        numbers = [v["version"] for v in versions]
        chosen = int(request.query.get("v", numbers[0]))
        if chosen not in numbers:
            raise web.HTTPNotFound()
        before = numbers[numbers.index(chosen) + 1] if numbers.index(chosen) + 1 < len(numbers) else None
        diff = await docs.diff(before, chosen)
    except ValueError:
        raise web.HTTPNotFound() from None
    except HubUnavailable as e:
        return console.render(request, "settings_versions.html", status=503, versions=[], sections=SECTIONS,
                              message=("set_hub_away", {"why": str(e)}))
    rolled = request.query.get("rolled")
    return console.render(request, "settings_versions.html", versions=versions, chosen=chosen, before=before,
                          diff=diff, sections=SECTIONS,
                          message=("set_rolled", {"v": rolled}) if rolled and rolled.isdigit() else None)


async def rollback_page(request: web.Request, message: tuple | None = None, status: int = 200) -> web.StreamResponse:
    """The confirm step of a rollback: what going back to that version changes from the current one."""
    console, docs = _parts(request)
    try:
        version = int(request.match_info["version"])
        versions = await docs.versions()
        old = await docs.document(version)
        current = versions[0]
        diff = await docs.diff(current["version"], version)
    except ValueError:
        raise web.HTTPNotFound() from None
    except HubUnavailable as e:
        return console.render(request, "settings_versions.html", status=503, versions=[], sections=SECTIONS,
                              message=("set_hub_away", {"why": str(e)}))
    if old is None:
        raise web.HTTPNotFound()
    return console.render(request, "settings_rollback.html", status=status, version=version, current=current,
                          diff=diff, sections=SECTIONS, message=message, command_id=uuid.uuid4().hex)


async def rollback(request: web.Request) -> web.StreamResponse:
    """A rollback: a ``config/set`` of the old version's document on top of the current one."""
    _, docs = _parts(request)
    form = await request.post()
    try:
        version, base_version = int(request.match_info["version"]), int(str(form.get("base_version", "")))
        old = await docs.document(version)
    except ValueError:
        raise web.HTTPBadRequest(text="version") from None
    except HubUnavailable as e:
        return await rollback_page(request, ("set_hub_away", {"why": str(e)}), 503)
    if old is None:
        raise web.HTTPNotFound()
    reply = await _set(request, docs, base_version, old, str(form.get("command_id", ""))[:64] or uuid.uuid4().hex)
    if reply.get("ok"):
        raise web.HTTPSeeOther(f"/settings/versions?rolled={reply['config']['version']}")
    error = reply.get("error") or {}
    code = {"conflict": "set_conflict_rollback", "hub_away": "set_hub_away"}.get(str(error.get("code")),
                                                                                 "set_refused_why")
    why = "; ".join(_problems(request, error)) or error.get("why") or _why(reply)
    return await rollback_page(request, (code, {"why": why}), 409 if code == "set_conflict_rollback" else 400)


async def settings_home(request: web.Request) -> web.StreamResponse:
    """``/settings``: the first section."""
    raise web.HTTPSeeOther("/settings/centre")


ROUTES = [
    ("GET", "/settings", settings_home),
    ("GET", "/settings/versions", versions_page),
    ("GET", "/settings/versions/{version:[0-9]{1,9}}/rollback", rollback_page),
    ("POST", "/settings/versions/{version:[0-9]{1,9}}/rollback", rollback),
    ("GET", "/settings/{section:[a-z]{1,20}}", section_page),
    ("POST", "/settings/{section:[a-z]{1,20}}", section_save),
]
