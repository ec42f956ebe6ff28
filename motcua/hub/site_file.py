"""The site file kept by the hub, its only writer (SPEC 2.1): its versions, its history, and changes to it.

The file stays the truth: a version is a text of the file, numbered in ``<file>.history/index.json`` beside it
with who wrote it and when, so the number survives restarts and a hand edit between two runs becomes a version
of its own (by ``file``). A change is validated with the schema of ``--check-config``, judged against the day's
tickets, then written whole (temporary file, fsync, rename) through ruamel.yaml's round trip, so the comments and
the order of every key not changed stay as the technician wrote them.
"""
from __future__ import annotations

import copy
import dataclasses
import hashlib
import io
import json
import logging
import os
import re
import sqlite3
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString
from ruamel.yaml.util import load_yaml_guess_indent

from ..config import SiteConfig
from ..config.load import DocumentError, from_json, load_document
from ..config.schema import Problem, dotted, undotted
from ..contract import ConfigEntry, ConfigPayload, ConfigStatus, ContractError
from ..files import atomic_write
from .wire import field

log = logging.getLogger(__name__)
KEPT = 50                       # previous versions kept beside the current one
BY_FILE = "file"                # who wrote a version found in the file at start (a hand edit)
CONSOLE = "console"             # the one broker user that may change the file (by ACL and by reply topic)
ACCOUNTS = (("users",), ("console", "users_file"))    # never leave the console's board
RESTART = (("mqtt",), ("hub",), ("site", "id"), ("site", "timezone"), ("site", "day_starts_at"))
PATH_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*|\[[0-9]{1,4}\])*")
ACTIVE = "('pending', 'waiting', 'serving')"


class SiteFile:
    """The site file and its versions. Raises OSError when the file or its history cannot be written: the hub then
    serves as before, with no ``config`` topics."""

    def __init__(self, path: str | os.PathLike, clock=time.time):
        # a link (an installed board's /etc/motcua/motcua.yaml -> site/motcua.yaml) is written where it points:
        # that folder is the hub's to write, /etc/motcua is not (docs/deployment.md)
        self.path, self.clock = Path(path).resolve(), clock
        self.folder = self.path.with_name(self.path.name + ".history")
        self.folder.mkdir(exist_ok=True)
        if not (os.access(self.path, os.W_OK) and os.access(self.path.parent, os.W_OK)
                and os.access(self.folder, os.W_OK)):
            raise PermissionError(f"{self.path}: không ghi được / not writable")
        self.entries: list[dict] = self._read_index()
        text = self.path.read_text(encoding="utf-8")
        if not self.entries or self.entries[-1]["sha256"] != _sha(text):
            self._record(text, BY_FILE, None)

    # --- reading ------------------------------------------------------------------------
    @property
    def current(self) -> ConfigEntry:
        return _entry(self.entries[-1])

    def document(self) -> dict:
        """The whole document in the file, accounts included, as plain data."""
        return yaml.safe_load(self.path.read_text(encoding="utf-8")) or {}

    def public(self) -> ConfigPayload:
        """What ``<R>/config`` holds: the document without the accounts, as JSON can carry it."""
        return {**self.current, "document": public_document(self.document())}

    def history(self) -> list[ConfigEntry]:
        """The versions kept, newest first."""
        return [_entry(e) for e in reversed(self.entries)]

    def old_document(self, version: int) -> dict | None:
        """A kept version's document without the accounts, to look at or roll back to; None if not kept."""
        if not any(e["version"] == version for e in self.entries):
            return None
        return public_document(yaml.safe_load((self.folder / f"v{version}.yaml").read_text(encoding="utf-8")) or {})

    def by_command(self, command_id: str | None) -> ConfigEntry | None:
        """The version a command made, when it made one: the same command sent again gets the same answer."""
        found = [e for e in self.entries if command_id and e.get("command_id") == command_id]
        return _entry(found[-1]) if found else None

    # --- writing ------------------------------------------------------------------------
    def write(self, document: dict, by: str, command_id: str | None) -> ConfigEntry:
        """Write ``document`` as the new version: the old file's comments and key order kept where keys did not
        change."""
        text = render(self.path.read_text(encoding="utf-8"), document)
        atomic_write(self.path, text, self.path.stat().st_mode & 0o777)    # as installed: 0640, the group reads it
        self._record(text, by, command_id)
        return self.current

    def _record(self, text: str, by: str, command_id: str | None) -> None:
        version = self.entries[-1]["version"] + 1 if self.entries else 1
        at = datetime.fromtimestamp(self.clock()).astimezone().isoformat(timespec="seconds")
        atomic_write(self.folder / f"v{version}.yaml", text)
        self.entries.append({"version": version, "at": at, "by": by, "sha256": _sha(text), "command_id": command_id})
        for old in self.entries[:-(KEPT + 1)]:
            (self.folder / f"v{old['version']}.yaml").unlink(missing_ok=True)
        self.entries = self.entries[-(KEPT + 1):]
        atomic_write(self.folder / "index.json", json.dumps(self.entries, ensure_ascii=False, indent=1))
        log.info("cấu hình phiên bản %d / site file version %d by %s", version, version, by)

    def _read_index(self) -> list[dict]:
        index = self.folder / "index.json"
        if not index.exists():
            return []
        try:
            return [e for e in json.loads(index.read_text(encoding="utf-8")) if isinstance(e.get("version"), int)]
        except (ValueError, AttributeError, TypeError):
            log.warning("mục lục phiên bản hỏng, đánh số lại / %s is damaged: versions start again", index)
            return []


def _entry(e: dict) -> ConfigEntry:
    return {"version": e["version"], "at": e["at"], "by": e["by"], "sha256": e["sha256"]}


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()



def public_document(document: dict) -> dict:
    """The document without the accounts, as JSON (a YAML date becomes its ISO text)."""
    out = json.loads(json.dumps(document, default=str))
    for path in ACCOUNTS:
        parent = out
        for key in path[:-1]:
            parent = parent.get(key) if isinstance(parent, dict) else None
        if isinstance(parent, dict):
            parent.pop(path[-1], None)
    return out


# --- the round trip ---------------------------------------------------------------------

def render(old_text: str, document: dict) -> str:
    """``document`` as YAML in the layout of ``old_text``: what did not change keeps its comments, quotes and
    place; what changed takes its new value; new keys come last in their mapping."""
    _, sequence, offset = load_yaml_guess_indent(old_text)
    rt = YAML()
    rt.preserve_quotes = True
    rt.width = 4096
    rt.indent(mapping=_mapping_indent(old_text), sequence=sequence or 2, offset=offset or 0)
    out = io.StringIO()
    rt.dump(_merge(rt.load(old_text), document), out)
    if yaml.safe_load(out.getvalue()) != document:     # the hub and every process read the file with PyYAML
        raise ValueError("bản ghi YAML không đọc lại được như cũ / the YAML written does not read back the same")
    return out.getvalue()


def _mapping_indent(text: str) -> int:
    """The indent of the first nested key (ruamel guesses the sequences' only)."""
    for line in text.splitlines():
        body = line.lstrip(" ")
        if line[:1] == " " and body and body[0] not in "-#":
            return len(line) - len(body)
    return 2


def _merge(old: Any, new: Any) -> Any:
    if isinstance(old, CommentedMap) and isinstance(new, dict):
        for key in [k for k in old if k not in new]:
            del old[key]
        for key, value in new.items():
            if key in old:
                old[key] = _merge(old[key], value)
            else:
                old[_fresh(key)] = _fresh(value)
        return old
    if isinstance(old, CommentedSeq) and isinstance(new, list):
        del old[len(new):]
        for i, value in enumerate(new):
            if i < len(old):
                old[i] = _merge(old[i], value)
            else:
                old.append(_fresh(value))
        return old
    same = old == new and isinstance(old, bool) == isinstance(new, bool) and type(new) is not dict
    return old if same else _fresh(new)


def _fresh(value: Any) -> Any:
    """A new value as YAML 1.1 reads it back: ruamel writes YAML 1.2, where ``13:30`` is text, while PyYAML
    reads it as the number 810; such text is written in quotes."""
    if isinstance(value, dict):         # keys too: a key ``no`` is the boolean False to YAML 1.1
        return {_fresh(k): _fresh(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_fresh(v) for v in value]
    if isinstance(value, str):
        try:
            plain = yaml.safe_load(value) == value
        except yaml.YAMLError:
            plain = False
        return value if plain else DoubleQuotedScalarString(value)
    return value


# --- changes ----------------------------------------------------------------------------

def parse_path(text: str) -> tuple:
    """``services[2].daily_limit`` -> ("services", 2, "daily_limit"); anything else is a bad_request."""
    if not isinstance(text, str) or not PATH_RE.fullmatch(text):
        raise ContractError("bad_request", f"đường dẫn không hợp lệ: {str(text)[:80]!r}",
                            f"not a key path: {str(text)[:80]!r}")
    return undotted(text)


def apply_changes(document: dict, changes: Any) -> dict:
    """A copy of ``document`` with each ``{"path", "value"}`` of ``changes`` applied in order: a value sets the key
    or list item (an index one past the end appends), ``null`` removes it."""
    if not isinstance(changes, list) or not changes:
        raise ContractError("bad_request", "'changes' phải là danh sách", "'changes' must be a non-empty list")
    out = copy.deepcopy(document)
    for change in changes:
        if not isinstance(change, dict) or set(change) != {"path", "value"}:
            raise ContractError("bad_request", "mỗi thay đổi là {path, value}", "each change is {path, value}")
        path = parse_path(change["path"])
        _set(out, path, change["value"], change["path"])
    return out


def _set(document: dict, path: tuple, value: Any, shown: str) -> None:
    parent: Any = document
    for step in path[:-1]:
        parent = parent[step] if _has(parent, step) else None
        if parent is None:
            break
    last = path[-1]
    if isinstance(parent, dict) and isinstance(last, str):
        if value is None:
            parent.pop(last, None)
        else:
            parent[last] = value
    elif isinstance(parent, list) and isinstance(last, int) and last <= len(parent):
        if value is None:
            if last < len(parent):
                del parent[last]
        elif last == len(parent):
            parent.append(value)
        else:
            parent[last] = value
    else:
        raise ContractError("bad_request", f"không có chỗ cho {shown[:80]!r}", f"no place for {shown[:80]!r}")


def _has(parent: Any, step: str | int) -> bool:
    if isinstance(step, int):
        return isinstance(parent, list) and step < len(parent)
    return isinstance(parent, dict) and step in parent


# --- a change, judged -------------------------------------------------------------------

def proposed(body: dict, site_file: SiteFile) -> tuple[dict, str | None]:
    """The whole document a ``config/set`` asks for, accounts put back from the file; refused (``bad_request``,
    ``conflict``, ``not_allowed``) before it is validated."""
    document, changes = body.get("document"), body.get("changes")
    if (document is None) == (changes is None):
        raise ContractError("bad_request", "cần đúng một trong 'document' và 'changes'",
                            "give exactly one of 'document' and 'changes'")
    current = site_file.document()
    if changes is not None:
        document = apply_changes(public_document(current), changes)
    if not isinstance(document, dict):
        raise ContractError("bad_request", "'document' phải là một đối tượng", "'document' must be an object")
    if public_document(document) != document:
        raise ContractError("not_allowed", "tài khoản không đổi ở đây", "accounts are not changed here")
    return _with_accounts(document, current), changes


def _with_accounts(document: dict, current: dict) -> dict:
    out = copy.deepcopy(document)
    if "users" in current:
        out["users"] = current["users"]
    users_file = (current.get("console") or {}).get("users_file")
    if users_file is not None and isinstance(out.get("console"), dict):
        out["console"]["users_file"] = users_file
    return out


def validated(document: dict, path: str) -> tuple[dict, SiteConfig]:
    """The document with JSON's text keys read back, and its config; ``config_invalid`` with every problem."""
    document = from_json(document)
    try:
        return document, load_document(document, path)
    except DocumentError as e:
        raise Refused("config_invalid", [p for _, p in e.problems]) from None


class Refused(ContractError):
    """A refusal that lists its reasons, each by key path: in ``error.problems`` as ``key.path: vi / en`` (SPEC 2.1),
    and in each language alone in ``error.problems_text`` (an extension, beside ``text``), so the console's settings
    pages show a supervisor the reason in the page's language."""

    def __init__(self, code: str, problems: list[Problem]):
        vi, en = [p.line("vi") for p in problems], [p.line("en") for p in problems]
        super().__init__(code, "; ".join(vi[:3]), "; ".join(en[:3]))
        self.problems = [p.line() for p in problems]
        self.problems_text = {"vi": vi, "en": en}

    def reply(self) -> dict:
        out = super().reply()
        out["error"]["problems"] = list(self.problems)
        out["error"]["problems_text"] = dict(self.problems_text)
        return out


def day_breakers(db: sqlite3.Connection, day: str, old: SiteConfig, new: SiteConfig) -> list[Problem]:
    """What the change would break today: a service or counter removed while a ticket waits there or is served,
    a service whose new prefix or range could issue again a label already issued today."""
    out = []
    for s in old.services:
        if s.id not in new.by_service and db.execute(
                f"SELECT 1 FROM tickets WHERE day=? AND service=? AND status IN {ACTIVE}", (day, s.id)).fetchone():
            out.append(Problem(("services",), f"{s.id}: còn số đang chờ hoặc đang phục vụ",
                               f"{s.id}: has waiting or serving tickets"))
    for c in old.counters:
        if c.id not in new.by_counter and db.execute(
                "SELECT 1 FROM counters WHERE id=? AND ticket_id IS NOT NULL", (c.id,)).fetchone():
            out.append(Problem(("counters",), f"{c.id}: đang phục vụ một số", f"{c.id}: is serving a ticket"))
    labels = [row[0] for row in db.execute("SELECT label FROM tickets WHERE day=?", (day,))]
    for i, s in enumerate(new.services):
        before = old.by_service.get(s.id)
        if before is not None and (before.prefix, before.first, before.last) == (s.prefix, s.first, s.last):
            continue
        top = db.execute("SELECT MAX(number) FROM tickets WHERE day=? AND origin_service=?", (day, s.id)).fetchone()[0]
        start = s.first if top is None else top + 1
        again = next((label for label in labels if _could_issue(s, start, label)), None)
        if again is not None:
            out.append(Problem(("services", i), f"số {again} đã phát hôm nay sẽ bị phát lại",
                               f"label {again}, issued today, could be issued again"))
    return out


def _could_issue(s, start: int, label: str) -> bool:
    digits = label[len(s.prefix):]
    return (label.startswith(s.prefix) and digits.isdigit() and len(digits) == len(str(s.last))
            and start <= int(digits) <= s.last)


# --- what the hub can take live ---------------------------------------------------------

def running(started: SiteConfig, started_doc: dict, new: SiteConfig, new_doc: dict) -> tuple[SiteConfig, ConfigStatus]:
    """The config the hub runs on after a change: the new one, except the keys it reads only at start (the broker,
    the databases, the site's id, zone and day start), which keep their old values until a restart."""
    waiting = [p for p in RESTART if _at(started_doc, p) != _at(new_doc, p)]
    site = dataclasses.replace(new.site, id=started.site.id, timezone=started.site.timezone,
                               day_starts_at=started.site.day_starts_at)
    cfg = dataclasses.replace(new, mqtt=started.mqtt, hub=started.hub, site=site, by_service={}, by_counter={})
    problems = [f"{dotted(p)}: cần khởi động lại hub / takes effect when the hub restarts" for p in waiting]
    return cfg, {"version": 0, "applied": True, "restart_needed": bool(waiting), "problems": problems}


def _at(document: Any, path: tuple) -> Any:
    for key in path:
        document = document.get(key) if isinstance(document, dict) else None
    return document


class ConfigDesk:
    """The hub's answers to ``config/set`` and ``config/history``, and the status it says on
    ``status/hub/config``. Only the console may ask: the ACL lets only its broker user publish these requests, and
    the hub takes them only with a reply topic under ``<R>/reply/console/``, which only that user can read."""

    def __init__(self, site_file: SiteFile, started: SiteConfig):
        self.file, self.started, self.started_doc = site_file, started, site_file.document()
        self.status: ConfigStatus = {"version": site_file.current["version"], "applied": True,
                                     "restart_needed": False, "problems": []}

    def history(self, body: dict, client: str) -> dict:
        """The versions kept, newest first; with ``version``, that version's document too (to roll back to it)."""
        _console_only(client)
        version = body.get("version")
        if version is None:
            return {"ok": True, "versions": self.file.history()}
        document = self.file.old_document(version) if type(version) is int else None
        if document is None:
            raise ContractError("not_found", f"không giữ phiên bản {str(version)[:20]}",
                                f"version {str(version)[:20]} is not kept")
        return {"ok": True, "versions": self.file.history(), "document": document}

    def change(self, body: dict, client: str, ledger) -> tuple[dict, SiteConfig | None]:
        """The reply, and the config the hub runs on from now, or None when nothing changed."""
        _console_only(client)
        command_id = field(body, "command_id", str)
        done = self.file.by_command(command_id)
        if done is not None:
            return {"ok": True, "config": done}, None
        base, current = field(body, "base_version", int, required=True), self.file.current["version"]
        if base != current:
            raise ContractError("conflict", f"phiên bản hiện tại là {current}", f"the current version is {current}")
        document, _ = proposed(body, self.file)
        document, new = validated(document, str(self.file.path))
        problems = day_breakers(ledger.db, ledger.day, ledger.cfg, new)
        if problems:
            raise Refused("not_allowed", problems)
        entry = self.file.write(document, field(body, "by", str) or client, command_id)
        cfg, status = running(self.started, self.started_doc, new, document)
        self.status = {**status, "version": entry["version"]}
        return {"ok": True, "config": entry}, cfg


def _console_only(client: str) -> None:
    if client != CONSOLE:
        raise ContractError("not_allowed", "chỉ bảng điều khiển được đổi cấu hình",
                            "only the console may change the settings")

