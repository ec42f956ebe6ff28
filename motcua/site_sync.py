"""The hall's site document as the hub publishes it (SPEC 2.1), taken by every other process.

A process starts from its own small file, or from the last document the hub sent it (kept beside that file as
``<file>.from-hub.yaml``), and takes every newer version that arrives on ``<R>/config``: validated with the loader
of ``--check-config``, the keys that belong to its own board (``mqtt``, the accounts) taken from its own file.
What cannot change under a running process (a database path, ``listen``…) keeps its old value until the next start
and is reported as ``restart_needed`` on ``<R>/status/<component>/config``. A hall whose hub publishes nothing
sees no difference at all: nothing is written, nothing is published.
"""
from __future__ import annotations

import copy
import dataclasses
import json
import logging
import os
import queue
import sys
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import yaml

from .config import SiteConfig, check_config_main, load
from .config.hall import SITE
from .config.load import SCHEMA, DocumentError, from_json, load_document, no_entry
from .config.schema import MISSING_KEY, Ctx, Problem, dotted, unknown_key
from .contract import ConfigStatus
from .exits import EX_USAGE_CONFIG
from .files import atomic_write, state_directory
from .link import Link

log = logging.getLogger(__name__)
COPY_SUFFIX = ".from-hub.yaml"
LOCAL = (("mqtt",), ("users",), ("console", "users_file"))      # the board's own: never taken from the hub
RESTART = (("site", "id"), ("site", "timezone"), ("site", "day_starts_at"), ("hub",), ("console", "listen"),
           ("console", "secret_file"), ("console", "tls"), ("followup", "database"), ("followup", "letters_dir"),
           *(("followup", "sms", k) for k in ("transport", "gammu", "http", "directory")))
MISSING = object()
Apply = Callable[[SiteConfig], list[str]]    # takes a config live; what it could not take (needs a restart)
STARTED: dict[str, int] = {}     # file -> the version of the hub's document ``load_local`` started this process on


def copy_path(path: str | os.PathLike, environ: Mapping[str, str] | None = None) -> Path:
    """Where the hub's last document is kept: in the process's own systemd ``StateDirectory`` (``$STATE_DIRECTORY``,
    the first if several) when it has one, since several processes of a board share one site file in /etc/motcua,
    which none of them may write; else beside the process's own file, so both move together (a checkout, tests)."""
    path = Path(path)
    return (state_directory(environ) or path.parent) / (path.name + COPY_SUFFIX)


def _get(document: Any, path: tuple) -> Any:
    for key in path:
        if not isinstance(document, dict) or key not in document:
            return MISSING
        document = document[key]
    return document


def _put(document: dict, path: tuple, value: Any) -> None:
    """Set (or, with MISSING, remove) ``path``; a parent missing where a value goes is made."""
    for key in path[:-1]:
        if not isinstance(document.get(key), dict):
            if value is MISSING:
                return
            document[key] = {}
        document = document[key]
    if value is MISSING:
        document.pop(path[-1], None)
    else:
        document[path[-1]] = copy.deepcopy(value)


def with_keys(document: dict, source: dict, paths: tuple[tuple, ...]) -> dict:
    """A copy of ``document`` whose ``paths`` hold what ``source`` holds there (or nothing, where it holds none)."""
    out = copy.deepcopy(document)
    for path in paths:
        _put(out, path, _get(source, path))
    return out


def _read_yaml(path: Path) -> dict:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return {}
    return data if isinstance(data, dict) else {}


def read_copy(path: str | os.PathLike) -> tuple[int, dict] | None:
    """The version and document last received from the hub, or None (none kept, or one that is not readable)."""
    kept = _read_yaml(copy_path(path))
    version, document = kept.get("version"), kept.get("document")
    if isinstance(version, int) and not isinstance(version, bool) and isinstance(document, dict):
        return version, document
    return None


def _own_entry(cfg: SiteConfig, section: str | None, ident: str | None) -> None:
    if section and ident is not None and not any(e.id == ident for e in getattr(cfg, section)):
        raise DocumentError(cfg.path, [(0, Problem((section,), *no_entry(ident)))])


def load_local(path: str | os.PathLike, section: str | None = None, ident: str | None = None) -> SiteConfig:
    """The config a process starts with: the last document the hub sent, with this board's own keys from ``path``;
    ``path`` alone when none was kept or the kept one does not fit (logged). ``ConfigError`` as ``load``."""
    kept, local = read_copy(path), _read_yaml(Path(path))
    if kept is None and is_small(local) and not small_problems(local, section, ident):
        kept = fetch(path, local)
    if kept is not None:
        try:
            cfg = load_document(with_keys(kept[1], local, LOCAL), str(path))
            _own_entry(cfg, section, ident)
            STARTED[str(path)] = kept[0]
            log.info("dùng cấu hình phiên bản %d của máy chủ / starting on the hub's site document version %d",
                     kept[0], kept[0])
            return cfg
        except DocumentError as e:
            log.warning("bản cấu hình từ máy chủ không dùng được, dùng tệp riêng / the kept copy from the hub does "
                        "not fit (%s): starting on %s", "; ".join(e.lines()[:3]), path)
    return load(path, section, ident)


# --- a board's small file (site.id, mqtt, its own section): the rest comes from the hub -------------------------

def is_small(data: Any) -> bool:
    """A board's own file rather than a whole site file: it names no services, which a whole one must."""
    return isinstance(data, dict) and "services" not in data


def small_problems(data: dict, section: str | None, ident: str | None) -> list[Problem]:
    """What is wrong with a board's small file: ``site.id``, ``mqtt`` and whatever else it holds, each checked with
    the site file's own schema (references to counters and services wait for the hub's document)."""
    ctx = Ctx()
    site = data.get("site")
    if not isinstance(site, dict) or "id" not in site:
        ctx.error(("site", "id"), *MISSING_KEY)
    else:
        for key, value in site.items():
            if key in SITE.fields:
                SITE.fields[key].validate(value, ("site", key), ctx)
            else:
                ctx.error(("site", key), *unknown_key(str(key), SITE.fields))
    for key, value in data.items():
        if key not in SCHEMA.fields:
            ctx.error((key,), *unknown_key(str(key), SCHEMA.fields))
        elif key != "site":
            SCHEMA.fields[key].validate(value, (key,), ctx)
    if "mqtt" not in data:
        ctx.error(("mqtt",), *MISSING_KEY)
    entries = data.get(section) if section else None
    if section and ident is not None and not any(isinstance(e, dict) and e.get("id") == ident
                                                 for e in entries or ()):
        ctx.error((section,), *no_entry(ident))
    return ctx.problems


def check_config(path: str, section: str | None, ident: str | None) -> int:
    """``--check-config`` of a process that takes the hub's document: a board's small file is checked as such (0, or
    2 with every problem by key path); a whole site file as always."""
    if not is_small(_read_yaml(Path(path))):
        return check_config_main(path, section, ident)
    problems = small_problems(_read_yaml(Path(path)), section, ident)
    for p in problems:
        print(f"{path}: {p.dotted}: {p.message}", file=sys.stderr)
    if problems:
        print(f"{len(problems)} lỗi cấu hình / config problem(s)", file=sys.stderr)
        return EX_USAGE_CONFIG
    print(f"{path}: tệp riêng hợp lệ, phần còn lại lấy từ máy chủ / board file OK — the rest comes from the hub")
    return 0


def fetch(path: str | os.PathLike, data: dict, every_s: float = 30.0) -> tuple[int, dict]:
    """Wait for the hub's retained document (a board started on its small file with no copy kept yet), keep it beside
    the file, and return it. Waits as long as it takes: without it the process has nothing to show."""
    ctx = Ctx()
    mqtt = SCHEMA.fields["mqtt"].validate(data["mqtt"], ("mqtt",), ctx)
    env_user, env_pw = os.environ.get("MOTCUA_MQTT_USERNAME"), os.environ.get("MOTCUA_MQTT_PASSWORD_FILE")
    mqtt = dataclasses.replace(mqtt, username=env_user or mqtt.username, password_file=env_pw or mqtt.password_file)
    got: queue.SimpleQueue = queue.SimpleQueue()
    link = Link(SimpleNamespace(mqtt=mqtt, site=SimpleNamespace(id=data["site"]["id"])),  # type: ignore[arg-type]
                f"start-{uuid.uuid4().hex[:8]}", announce=False)
    link.route(link.topics.config, lambda msg: got.put(bytes(msg.payload)))
    link.start()
    try:
        while True:
            try:
                payload = json.loads(got.get(timeout=every_s))
            except queue.Empty:
                log.warning("đang chờ cấu hình từ máy chủ / waiting for the hub's site document on %s",
                            link.topics.config)
                continue
            except ValueError:
                continue
            if isinstance(payload, dict) and isinstance(payload.get("version"), int) \
                    and isinstance(payload.get("document"), dict):
                keep(path, payload["version"], payload["document"], payload.get("sha256"))
                return payload["version"], payload["document"]
    finally:
        link.stop()


def keep(path: str | os.PathLike, version: int, document: dict, sha256: str | None) -> None:
    """The hub's document beside the board's file, written whole (a power cut leaves the old one or the new)."""
    try:
        atomic_write(copy_path(path), yaml.safe_dump(
            {"version": version, "sha256": sha256, "document": document}, allow_unicode=True, sort_keys=False))
    except OSError as e:
        log.warning("không ghi được bản cấu hình / cannot keep the site document beside %s: %s", path, e)


class SiteSync:
    """Takes newer versions of ``<R>/config`` for one process. ``apply`` runs on the process's own thread (through
    ``schedule``) with the new config, restart-only keys kept at their running values, and returns what it could not
    take live. ``restart``: the keys this process opened things with, held until the next start."""

    def __init__(self, cfg: SiteConfig, link: Link, apply: Apply, *, section: str | None = None,
                 ident: str | None = None, schedule: Callable[[Callable[[], None]], None] | None = None,
                 restart: tuple[tuple, ...] = RESTART):
        self.cfg, self.link, self.apply, self.restart = cfg, link, apply, restart
        self.section, self.ident = section, ident
        self.schedule = schedule or (lambda fn: fn())
        self.path = Path(cfg.path)
        kept = read_copy(self.path) if str(self.path) in STARTED else None
        self.version: int | None = kept[0] if kept else None
        self.document = with_keys(kept[1], _read_yaml(self.path), LOCAL) if kept else _read_yaml(self.path)
        self.topic = link.topics.config_status(link.component)
        if self.version is not None:     # said once the broker is reached: the version it started on
            self._say({"version": self.version, "applied": True, "restart_needed": False, "problems": []})
        link.route(link.topics.config, self.received)

    def received(self, msg) -> None:
        """A retained or new ``<R>/config`` (network thread): anything not a newer, valid version changes nothing."""
        try:
            payload = json.loads(msg.payload)
        except ValueError:
            payload = None
        version = payload.get("version") if isinstance(payload, dict) else None
        document = payload.get("document") if isinstance(payload, dict) else None
        if not isinstance(version, int) or isinstance(version, bool) or not isinstance(document, dict):
            log.warning("cấu hình từ máy chủ không đọc được / unreadable site document on %s", msg.topic)
            return
        if self.version is not None and version <= self.version:
            return
        self.take(version, document, payload.get("sha256"))

    def take(self, version: int, document: dict, sha256: str | None = None) -> None:
        full = with_keys(from_json(document), _read_yaml(self.path), LOCAL)
        held = tuple(p for p in self.restart if _get(self.document, p) is not MISSING)   # what the process runs on
        try:
            _own_entry(load_document(full, str(self.path)), self.section, self.ident)
            live_doc = with_keys(full, self.document, held)
            live = load_document(live_doc, str(self.path))
        except DocumentError as e:
            log.warning("không áp dụng được cấu hình phiên bản %d / site document version %d not applied: %s",
                        version, version, "; ".join(e.lines()[:3]))
            self.version = version
            self._say({"version": version, "applied": False, "restart_needed": False, "problems": e.lines()})
            return
        waiting = [f"{dotted(p)}: cần khởi động lại / taken at the next start" for p in held
                   if _get(full, p) != _get(self.document, p)]
        keep(self.path, version, document, sha256)
        self.version, self.document = version, live_doc
        self.schedule(lambda: self._apply(version, live, waiting))

    def _apply(self, version: int, live: SiteConfig, waiting: list[str]) -> None:
        """On the process's own thread."""
        try:
            waiting = waiting + list(self.apply(live))
        except Exception as e:  # a process that cannot take it keeps running on the old one, and says so
            log.exception("lỗi khi áp dụng cấu hình / error applying the site document version %d", version)
            self._say({"version": version, "applied": False, "restart_needed": True, "problems": [str(e)[:200]]})
            return
        self.cfg = live
        log.info("đang chạy cấu hình phiên bản %d / running on site document version %d", version, version)
        self._say({"version": version, "applied": True, "restart_needed": bool(waiting), "problems": waiting})

    def _say(self, status: ConfigStatus) -> None:
        self.link.retain(self.topic, status)
