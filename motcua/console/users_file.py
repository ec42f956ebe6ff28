"""The console's accounts on disk (SPEC 12.1): read at start, written whole on every change.

The hub owns the site file and the console never writes it, so accounts changed from the console
live in the console's users file: ``console.users_file`` when the site file names one, else
``users.yaml`` in the console's own state folder (``$STATE_DIRECTORY``, else beside its secret
file). Until the first change there may be no such file and the site file's ``users`` are the
list; the first change writes every account there, and from then on that file is the list (an
account it names replaces the site file's of the same name; one added to the site file by hand
later still counts). Written atomically, readable by the console's user only, holding hashes only.
"""
from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterable
from pathlib import Path

from ..config import SiteConfig
from ..config.console import USERS, User, cross_check
from ..config.schema import Ctx, line_of, load_yaml_with_lines
from ..files import atomic_write, state_directory
from .web import Console

NAME = "users.yaml"


def path_of(cfg: SiteConfig) -> Path:
    """Where this console keeps its accounts (see the module's docstring)."""
    named = cfg.console.users_file
    return Path(named) if named else (state_directory() or Path(cfg.console.secret_file).parent) / NAME


def in_use(cfg: SiteConfig) -> bool:
    """Whether the users file is read: named in the site file, or written once by the console."""
    return bool(cfg.console.users_file) or path_of(cfg).exists()


def read(cfg: SiteConfig) -> dict[str, User]:
    """The accounts the console runs with: the site file's, replaced and completed by the users file's when it is in
    use. ValueError says every problem with the file's name and line."""
    users = {u.name: u for u in cfg.users}
    if in_use(cfg):
        users.update((u.name, u) for u in _read_file(path_of(cfg), set(cfg.by_counter)))
    return users


def _read_file(path: Path, counters: set[str]) -> list[User]:
    try:
        data, lines = load_yaml_with_lines(path.read_text(encoding="utf-8"))
    except Exception as e:          # unreadable, or not YAML: said with the file's name
        raise ValueError(f"{path}:1: cannot read the users file: {e}") from None
    ctx = Ctx()
    root = ("users",) if isinstance(data, dict) else ()      # `users: [...]`, or the list alone
    listed = USERS.validate(data.get("users") if root else data, root, ctx) or []
    cross_check(listed, counters, ctx, where=root)
    if ctx.problems:
        raise ValueError("\n".join(f"{path}:{line_of(p.path, lines)}: {p.dotted}: {p.message}"
                                   for p in ctx.problems))
    return listed


def dump(users: Iterable[User]) -> str:
    """The users file's text: one account a line, as YAML flow mappings (JSON is YAML)."""
    rows = [json.dumps({"name": u.name, "role": u.role, "counters": list(u.counters),
                        "password_hash": u.password_hash, "disabled": u.disabled}, ensure_ascii=False)
            for u in users]
    return ("# motcua console accounts, written by the console (Accounts page); password hashes only\n"
            "users:\n" + "".join(f"  - {row}\n" for row in rows))


class Book:
    """The console's accounts as every handler sees them: ``console.users`` (the same dict its
    sessions read) changed in place only after the file holding the change is on disk, one change
    at a time, so a failed write changes nothing and two supervisors saving at once lose nothing."""

    def __init__(self, console: Console):
        self.console = console
        self.lock = asyncio.Lock()

    @property
    def path(self) -> Path:
        return path_of(self.console.cfg)

    def in_use(self) -> bool:
        return in_use(self.console.cfg)

    async def put(self, name: str, make: Callable[[User | None], User]) -> User:
        """Keep what ``make`` makes of the account ``name`` (None: a new one), decided and written under the lock: an
        ``AccountRefused`` from ``make`` or an OSError from the disk changes nothing."""
        async with self.lock:
            users = self.console.users
            user = make(users.get(name))
            after = {**users, user.name: user}
            await asyncio.to_thread(atomic_write, self.path, dump(after.values()), 0o600)
            users[user.name] = user
            return user


class AccountRefused(Exception):
    """A change the rules forbid, with the ``i18n`` key saying why (and the form field it belongs beside)."""

    def __init__(self, key: str, field: str = "", **values):
        super().__init__(key)
        self.key, self.field, self.values = key, field, values
