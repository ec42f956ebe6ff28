"""The site file's ``console`` and ``users`` sections (SPEC section 12).

Users carry password hashes only (``python -m motcua.console --config FILE --hash-password``); a
hash that is not one of ours is a config error, so a password pasted in plain text never works.
The user list may live in a file of its own (``console.users_file``) so the hashes need not reach
every board; it is read with the same schema when the console starts.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .common import ID_COUNTER, ID_SITE, Broker, broker_schema
from .schema import COUNTER, Bool, Int, List, Map, Str, Text, unknown

ROLES = ("supervisor", "clerk")
NAME_PATTERN = r"[a-z0-9_.-]{1,32}"      # a login name, as typed at the login form (lower case)
HASH_PATTERN = r"scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+"


@dataclass(frozen=True)
class ConsoleTls:
    """The console's own HTTPS certificate and key, PEM files; without it the console speaks plain HTTP (meant behind a
    reverse proxy)."""
    cert_file: str
    key_file: str


@dataclass(frozen=True)
class Province:
    """Set when the console watches many halls at the province: the broker their bridges bring their state to and the
    site ids it shows."""
    broker: Broker                     # where the halls' bridges bring their state (SPEC 13)
    sites: tuple[str, ...]


@dataclass(frozen=True)
class Console:
    """The ``console`` section: where the web console listens, its secret and users files, and its limits (session
    length, phone-page requests a minute)."""
    listen: str
    public_url: str | None
    secret_file: str
    tls: ConsoleTls | None
    users_file: str | None
    session_hours: int
    phone_requests_per_minute: int
    province: Province | None = None

    @property
    def host_port(self) -> tuple[str, int]:
        host, _, port = self.listen.rpartition(":")
        return host.strip("[]") or "0.0.0.0", int(port)


@dataclass(frozen=True)
class User:
    """A console login from the users file: a supervisor sees and acts on everything, a clerk only on its own counters.
    The password is kept only as its scrypt hash and never printed."""
    name: str
    role: str
    counters: tuple[str, ...]
    password_hash: str
    disabled: bool = False             # kept in the list, logs in to nothing (SPEC 12.1)

    def __repr__(self) -> str:
        off = ", disabled" if self.disabled else ""
        return f"User({self.name!r}, {self.role}, counters={list(self.counters)}, password_hash=***{off})"

    def may_use(self, counter: str) -> bool:
        return self.role == "supervisor" or counter in self.counters


def _user(**kw) -> User:
    return User(**{**kw, "counters": tuple(kw["counters"])})


def _hash_check(text: str) -> Text | None:
    """Never echoes the value: it may be a password typed where its hash belongs."""
    if re.fullmatch(HASH_PATTERN, text):
        return None
    make = "python -m motcua.console --config FILE --hash-password"
    return f"không phải mã băm của mật khẩu; tạo bằng: {make}", f"not a password hash; make one with: {make}"


def _listen_check(text: str) -> Text | None:
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        return "cần dạng máy:cổng, ví dụ 0.0.0.0:8080", "host:port, e.g. 0.0.0.0:8080"
    return None


CONSOLE = Map({
    "listen": Str(default="0.0.0.0:8080", check=_listen_check),
    "public_url": Str(pattern=r"https?://[^\s/]+(/[^\s]*)?", optional=True),
    "secret_file": Str(min_len=1),
    "tls": Map({"cert_file": Str(min_len=1), "key_file": Str(min_len=1)}, build=ConsoleTls, optional=True),
    "users_file": Str(min_len=1, optional=True),
    "session_hours": Int(min=1, max=24, default=10),
    "phone_requests_per_minute": Int(min=10, max=6000, default=120),
    "province": Map({
        "broker": broker_schema(secured=False, optional=False),
        "sites": List(Str(pattern=ID_SITE), min_len=1, max_len=1000),
    }, build=lambda **kw: Province(kw["broker"], tuple(kw["sites"])), optional=True),
}, build=Console, optional=True)

USER = Map({
    "name": Str(pattern=NAME_PATTERN),
    "role": Str(choices=ROLES),
    "counters": List(Str(pattern=ID_COUNTER), default=[]),
    "password_hash": Str(min_len=1, max_len=400, check=_hash_check),
    "disabled": Bool(default=False),
}, build=_user)
USERS = List(USER, optional=True, max_len=1000)


def cross_check(users, counter_ids: set, ctx, where: tuple = ("users",)) -> None:
    """Names unique; a clerk has counters, and they exist."""
    seen: set = set()
    for i, u in enumerate(users or ()):
        if u.name in seen:
            ctx.error((*where, i, "name"), f"người dùng {u.name!r} bị trùng", f"duplicate user {u.name!r}")
        seen.add(u.name)
        if u.role == "clerk" and not u.counters:
            ctx.error((*where, i, "counters"), "nhân viên quầy cần có các quầy mình làm việc",
                      "a clerk needs the counters they work at")
        for j, c in enumerate(u.counters):
            if c not in counter_ids:
                ctx.error((*where, i, "counters", j), *unknown(COUNTER, c, counter_ids))
