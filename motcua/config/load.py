"""Reading the site file: the whole schema, the checks across sections, and ``--check-config``.

``load(path)`` returns a typed ``SiteConfig`` or raises ``ConfigError`` listing every problem as
``FILE:LINE: key.path: message``, so one ``--check-config`` sees the whole file at once.
"""
from __future__ import annotations

import dataclasses
import os
import sys
from pathlib import Path
from typing import Any

from ..exits import EX_USAGE_CONFIG
from .bridge import BRIDGES, bridge_checks
from .console import CONSOLE, USERS
from .console import cross_check as users_checks
from .display import DISPLAYS
from .followup import FOLLOWUP
from .followup import cross_check as followup_checks
from .hall import COUNTERS, HUB, MQTT, PRIORITY, SERVICES, SITE, Service, SiteConfig
from .kiosk import KIOSKS, printer_checks
from .schema import (
    COUNTER,
    SERVICE,
    Ctx,
    Dict,
    Field,
    Int,
    List,
    Map,
    Problem,
    Text,
    line_of,
    load_yaml_with_lines,
    unknown,
)
from .working_days import CALENDAR, EVERY_DAY
from .working_days import cross_check as calendar_checks

SCHEMA = Map({
    "site": SITE, "mqtt": MQTT, "hub": HUB, "priority": PRIORITY, "services": SERVICES, "counters": COUNTERS,
    "kiosks": KIOSKS, "displays": DISPLAYS, "followup": FOLLOWUP, "console": CONSOLE, "users": USERS,
    "bridges": BRIDGES, "calendar": CALENDAR,
})
PROCESS_SECTIONS = ("kiosks", "displays", "bridges")      # the sections whose entries a process is started as


class ConfigError(Exception):
    """The site file cannot be used: every problem found, each with its line in the file, so one run shows them all."""

    def __init__(self, path: str, problems: list[tuple[int, Problem]]):
        self.path, self.problems = path, problems
        super().__init__("\n".join(self.lines()))

    def lines(self) -> list[str]:
        return [f"{self.path}:{line}: {p.line()}" for line, p in self.problems]


class DocumentError(ConfigError):
    """A site document held in memory is wrong: its problems by key path only, ``services[0].hours[0]: ...``."""

    def lines(self) -> list[str]:
        return [p.line() for _, p in self.problems]


def load(path: str | os.PathLike, section: str | None = None, ident: str | None = None) -> SiteConfig:
    """Read and validate the site file; with ``section``/``ident``, that entry must exist."""
    path = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
        data, lines = load_yaml_with_lines(text)
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(path, [(1, Problem((), "không đọc được tệp", f"cannot read the file: {e}"))]) from None
    except Exception as e:  # yaml.YAMLError: a syntax error has its own mark
        mark = getattr(e, "problem_mark", None)
        problem = Problem((), "không đọc được YAML", f"not valid YAML: {e}")
        raise ConfigError(path, [((mark.line + 1) if mark else 1, problem)]) from None
    ctx = Ctx()
    raw = _validate(data, ctx, section, ident)
    if ctx.problems:
        raise ConfigError(path, [(line_of(p.path, lines), p) for p in ctx.problems])
    return _build(path, raw)


def load_document(data: Any, path: str) -> SiteConfig:
    """Validate a site document held in memory (one that came over MQTT as JSON) with the same schema as
    ``load``; ``path`` is the file it would be written to. Raises ``DocumentError``, whose ``lines()`` are
    ``key.path: message``: a document has no lines to point at."""
    ctx = Ctx()
    raw = _validate(from_json(data), ctx)
    if ctx.problems:
        raise DocumentError(path, [(0, p) for p in ctx.problems])
    return _build(path, raw)


def _validate(data: Any, ctx: Ctx, section: str | None = None, ident: str | None = None) -> Any:
    """The sections as typed values, and every problem in ``ctx``; None only when ``ctx`` has problems."""
    raw = SCHEMA.validate(data, (), ctx)
    if raw is not None:
        for name in PROCESS_SECTIONS:
            raw[name] = tuple(raw[name] or ())
        _cross_checks(raw, ctx)
        if section and ident is not None and ident not in {e.id for e in raw.get(section) or ()}:
            ctx.error((section,), *no_entry(ident))
    return raw


def no_entry(ident: str) -> Text:
    """The problem of a process started with an ``--id`` its section does not have."""
    return (f"không có mục nào có mã {ident!r} (chạy với --id {ident})",
            f"no entry with id {ident!r} (started with --id {ident})")


def from_json(value: Any, field: Field = SCHEMA) -> Any:
    """JSON keys are always text: a mapping keyed by numbers in YAML (keypad addresses) comes back from JSON
    with keys like ``"5"``; those are taken as the numbers they spell, where the schema wants numbers."""
    if isinstance(field, Map) and isinstance(value, dict):
        return {k: from_json(v, field.fields[k]) if k in field.fields else v for k, v in value.items()}
    if isinstance(field, List) and isinstance(value, list):
        return [from_json(v, field.item) for v in value]
    if isinstance(field, Dict) and isinstance(field.key, Int) and isinstance(value, dict):
        return {int(k) if isinstance(k, str) and k.isdigit() and k.isascii() else k: v for k, v in value.items()}
    return value


def _build(path: str, raw: dict) -> SiteConfig:
    """The broker's credentials may differ per process: the environment overrides the file (SPEC 2). The
    calendar's holidays are the follow-up's non-working days too, besides its own ``followup.holidays``."""
    mq = raw["mqtt"]
    env_user, env_pw = os.environ.get("MOTCUA_MQTT_USERNAME"), os.environ.get("MOTCUA_MQTT_PASSWORD_FILE")
    if env_user or env_pw:
        mq = dataclasses.replace(mq, username=env_user or mq.username, password_file=env_pw or mq.password_file)
    calendar, followup = raw["calendar"] or EVERY_DAY, raw["followup"]
    if followup is not None and calendar.holidays:
        followup = dataclasses.replace(followup, holidays=followup.holidays | calendar.holidays)
    return SiteConfig(path=path, site=raw["site"], mqtt=mq, hub=raw["hub"], priority=raw["priority"],
                      services=tuple(raw["services"]), counters=tuple(raw["counters"]), kiosks=raw["kiosks"],
                      displays=raw["displays"], bridges=raw["bridges"], followup=followup,
                      console=raw["console"], users=tuple(raw["users"] or ()), calendar=calendar)


def _cross_checks(raw: dict, ctx: Ctx) -> None:
    services = raw["services"]
    for name in ("services", "counters", *PROCESS_SECTIONS):
        _unique(raw, name, ctx)
    for i, s in enumerate(services):
        if s.first > s.last:
            ctx.error(("services", i, "first"), f"số đầu ({s.first}) lớn hơn số cuối ({s.last})",
                      f"first ({s.first}) is after last ({s.last})")
    _label_collisions(services, ctx)
    known = {s.id for s in services}
    counter_ids = {c.id for c in raw["counters"]}
    for i, c in enumerate(raw["counters"]):
        for j, sid in enumerate(c.services):
            if sid not in known:
                ctx.error(("counters", i, "services", j), *unknown(SERVICE, sid, known))
    for i, d in enumerate(raw["displays"]):
        for j, cid in enumerate(d.counters):
            if cid not in counter_ids:
                ctx.error(("displays", i, "counters", j), *unknown(COUNTER, cid, counter_ids))
    bridge_checks(raw["bridges"], counter_ids, ctx)
    followup_checks(raw["followup"], ctx)
    calendar_checks(raw["calendar"], known, ctx)
    users_checks(raw["users"], counter_ids, ctx)
    for i, k in enumerate(raw["kiosks"]):
        printer_checks(k.printer, ("kiosks", i, "printer"), ctx)


def _unique(raw: dict, section: str, ctx: Ctx) -> None:
    seen: set = set()
    for i, item in enumerate(raw.get(section) or ()):
        if item.id in seen:
            ctx.error((section, i, "id"), f"mã {item.id!r} bị trùng", f"duplicate id {item.id!r}")
        seen.add(item.id)


def _label_collisions(services: list[Service], ctx: Ctx) -> None:
    """Two services collide when some label could come from both (compare labels, not ranges)."""
    for i, a in enumerate(services):
        for j in range(i):
            b = services[j]
            if a.prefix == b.prefix and labels_overlap(a, b):
                ctx.error(("services", i), f"số phát ra có thể trùng với số của dịch vụ {b.id!r}",
                          f"its labels can collide with those of service {b.id!r}")


def labels_overlap(a: Service, b: Service) -> bool:
    """Same prefix assumed. A label is always exactly as wide as its service's ``last``, so two
    services of different widths never share one; of equal widths, when their ranges meet."""
    same_width = len(str(a.last)) == len(str(b.last))
    return same_width and max(a.first, b.first) <= min(a.last, b.last)


def check_config_main(path: str, section: str | None = None, ident: str | None = None) -> int:
    """What ``--check-config`` does for every process: print the problems, exit 0 or 2."""
    try:
        cfg = load(path, section, ident)
    except ConfigError as e:
        for line in e.lines():
            print(line, file=sys.stderr)
        print(f"{len(e.problems)} lỗi cấu hình / config problem(s)", file=sys.stderr)
        return EX_USAGE_CONFIG
    print(f"{path}: cấu hình hợp lệ / config OK — {len(cfg.services)} services, {len(cfg.counters)} counters")
    return 0
