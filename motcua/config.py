"""The site configuration (SPEC section 2): one YAML file for every process on every board.

``load(path)`` returns a typed ``SiteConfig`` or raises ``ConfigError`` listing every problem as
``FILE:LINE: key.path: message``. Each part adds its own keys to its section's schema here, so one
``--check-config`` sees the whole file.
"""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .config_console import CONSOLE, USERS, Console, User
from .config_console import cross_check as users_checks
from .config_followup import FOLLOWUP, Followup
from .config_followup import cross_check as followup_checks
from .contract import DOSSIER_FIELDS, VOICE_PHRASE, format_label
from .schema import Bool, Ctx, Dict, Int, List, Map, Num, Problem, Secret, Str, line_of, load_yaml_with_lines, suggest

EX_CONFIG = 78      # broker credentials refused: systemd must not restart in a loop
EX_USAGE_CONFIG = 2  # the config file is wrong
EX_MAINTENANCE = 3   # a technician left the kiosk with the PIN: systemd must not start it again

HHMM = r"([01]\d|2[0-3]):[0-5]\d"
ID_SITE = r"[a-z0-9-]{1,32}"
ID_SERVICE = r"[A-Z0-9_]{1,16}"
ID_COUNTER = r"[a-z0-9-]{1,16}"


def hhmm(text: str) -> time:
    h, m = text.split(":")
    return time(int(h), int(m))


@dataclass(frozen=True)
class Window:
    start: time
    end: time

    @classmethod
    def parse(cls, text: str) -> Window:
        a, b = text.split("-")
        return cls(hhmm(a), hhmm(b))


@dataclass(frozen=True)
class Names:
    vi: str
    en: str


@dataclass(frozen=True)
class Site:
    id: str
    name: str
    timezone: str
    day_starts_at: str
    ticket_footer: str | None

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def day_start(self) -> time:
        return hhmm(self.day_starts_at)


@dataclass(frozen=True)
class Tls:
    ca_file: str
    cert_file: str | None
    key_file: str | None


@dataclass(frozen=True)
class ProvinceLink:
    """The province's broker that this hall's mosquitto bridges its state out to (SPEC section 13)."""
    host: str
    port: int
    ca_file: str
    username: str
    password_file: str


@dataclass(frozen=True)
class Mqtt:
    host: str
    port: int
    topic_root: str
    username: str | None
    password_file: str | None
    tls: Tls | None
    keepalive: int
    bridge: ProvinceLink | None = None

    def __repr__(self) -> str:  # never print a secret's location next to a user by accident
        return f"Mqtt(host={self.host!r}, port={self.port}, user={self.username!r}, password=***)"


@dataclass(frozen=True)
class DossierPull:
    url: str
    interval_s: int
    timeout_s: int
    since_param: str
    items_key: str | None
    token_file: str | None
    fields: dict

    def __repr__(self) -> str:
        return f"DossierPull(url={self.url!r}, interval_s={self.interval_s}, token=***)"


@dataclass(frozen=True)
class Hub:
    database: str
    default_service_minutes: int
    dossier_database: str | None
    dossier_pull: DossierPull | None


@dataclass(frozen=True)
class Priority:
    mode: str
    ratio: int


@dataclass(frozen=True)
class Service:
    id: str
    name: Names
    prefix: str
    first: int
    last: int
    daily_limit: int | None
    hours: tuple[Window, ...]

    def label(self, number: int) -> str:
        return format_label(self.prefix, number, self.last)


@dataclass(frozen=True)
class Counter:
    id: str
    name: Names
    services: tuple[str, ...]


@dataclass(frozen=True)
class SiteConfig:
    path: str
    site: Site
    mqtt: Mqtt
    hub: Hub
    priority: Priority
    services: tuple[Service, ...]
    counters: tuple[Counter, ...]
    kiosks: tuple[dict, ...] = ()
    displays: tuple[dict, ...] = ()
    bridges: tuple[dict, ...] = ()
    followup: Followup | None = None
    console: Console | None = None
    users: tuple[User, ...] = ()
    by_service: dict = field(default_factory=dict, repr=False)
    by_counter: dict = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.by_service.update({s.id: s for s in self.services})
        self.by_counter.update({c.id: c for c in self.counters})


def _tz_check(name: str) -> str | None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return f"unknown time zone {name!r} (e.g. Asia/Ho_Chi_Minh)"
    return None


def _phrase_check(template: str) -> str | None:
    try:
        template.format(ticket="a, một", counter="năm")
    except (KeyError, IndexError, ValueError) as e:
        return f"bad phrase ({e}); placeholders: {{ticket}} {{counter}}"
    return None


def _qr_check(template: str) -> str | None:
    try:
        template.format(site="s", label="A001", ticket_id="x", service="S", yyyymmdd="20260101")
    except (KeyError, IndexError, ValueError) as e:
        return f"bad template ({e}); placeholders: {{site}} {{label}} {{ticket_id}} {{service}} {{yyyymmdd}}"
    return None


LEGACY_QR = "motcua:{site}:{label}:{yyyymmdd}"


def ticket_qr_template(cfg: SiteConfig, kiosk: dict) -> str:
    """What a ticket's QR holds (SPEC section 6): the kiosk's own template, else the ticket's phone
    page when the console has a public address, else the v1 text."""
    if kiosk.get("ticket_qr"):
        return kiosk["ticket_qr"]
    if cfg.console is not None and cfg.console.public_url:
        return cfg.console.public_url.rstrip("/") + "/t/{yyyymmdd}/{label}"
    return LEGACY_QR


def _window_check(text: str) -> str | None:
    w = Window.parse(text)
    return None if w.start < w.end else "a window must end after it starts"


# A wall screen's voice when its site file says nothing (SPEC section 8): the schema's defaults and
# display_board's VoiceConfig both come from here. Heard in halls: the phrase twice, slightly slow.
VOICE = {"enabled": True, "phrase": VOICE_PHRASE, "label_mode": "digits", "repeat": 2, "voice": "vi",
         "speed": 135, "chime": True}
NAMES = Map({"vi": Str(min_len=1, max_len=120), "en": Str(min_len=1, max_len=120)}, build=Names)
PRINTER_CONNECTIONS = ("network", "usb", "serial", "file", "directory")
PRINTER = Map({
    "connection": Str(choices=PRINTER_CONNECTIONS),
    "host": Str(optional=True), "port": Int(min=1, max=65535, default=9100),
    "vendor_id": Int(min=0, max=0xFFFF, optional=True), "product_id": Int(min=0, max=0xFFFF, optional=True),
    "device": Str(optional=True), "baudrate": Int(min=1200, max=4_000_000, default=19200),
    "path": Str(optional=True), "profile": Str(optional=True),
    "paper_width_mm": Int(min=58, max=80, default=80, check=lambda v: None if v in (58, 80) else "58 or 80"),
    "timeout_s": Int(min=1, max=60, default=5),
    "status_query": Bool(default=True),
})

# "Nghe hướng dẫn" / "Listen" on the kiosk: its voice, offline (issue 19)
KIOSK_SPEECH = {"enabled": Bool(default=True), "voice_vi": Str(pattern=r"[a-z0-9-]{1,40}", default="vi"),
                "voice_en": Str(pattern=r"[a-z0-9-]{1,40}", default="en"), "speed": Int(min=80, max=300, default=135),
                "device": Str(max_len=100, optional=True), "save_dir": Str(max_len=300, optional=True)}
# the kiosk's screen: sizes on it are kept in millimetres, 21.5-inch 1080p being the reference
SCREEN = {"orientation": Str(choices=("landscape", "portrait"), default="landscape"),
          "diagonal_in": Num(min=7, max=100, default=21.5)}

SCHEMA = Map({
    "site": Map({
        "id": Str(pattern=ID_SITE),
        "name": Str(min_len=1, max_len=200),
        "timezone": Str(check=_tz_check),
        "day_starts_at": Str(pattern=HHMM, default="00:00"),
        "ticket_footer": Str(max_len=200, optional=True),
    }, build=Site),
    "mqtt": Map({
        "host": Str(min_len=1, max_len=255),
        "port": Int(min=1, max=65535, default=1883),
        "topic_root": Str(pattern=r"[A-Za-z0-9_-]{1,32}", default="motcua"),
        "username": Str(max_len=128, optional=True),
        "password_file": Str(optional=True),
        "tls": Map({"ca_file": Str(), "cert_file": Str(optional=True), "key_file": Str(optional=True)},
                   build=Tls, optional=True),
        "keepalive": Int(min=5, max=600, default=30),
        "bridge": Map({"host": Str(min_len=1, max_len=255), "port": Int(min=1, max=65535, default=8883),
                       "ca_file": Str(min_len=1), "username": Str(pattern=r"[A-Za-z0-9_.-]{1,64}"),
                       "password_file": Str(min_len=1)}, build=ProvinceLink, optional=True),
    }, build=Mqtt),
    "hub": Map({
        "database": Str(min_len=1),
        "default_service_minutes": Int(min=1, max=240, default=5),
        "dossier_database": Str(min_len=1, optional=True),
        "dossier_pull": Map({
            "url": Str(pattern=r"https?://\S+"),
            "interval_s": Int(min=10, max=86400, default=300),
            "timeout_s": Int(min=1, max=120, default=15),
            "since_param": Str(pattern=r"[A-Za-z0-9_.-]{1,64}", default="updated_since"),
            "items_key": Str(max_len=64, optional=True),
            "token_file": Str(optional=True),
            "fields": Dict(Str(choices=DOSSIER_FIELDS), Str(min_len=1, max_len=64), default={}),
        }, build=DossierPull, optional=True),
    }, build=Hub),
    "priority": Map({"mode": Str(choices=("first", "alternate"), default="first"),
                     "ratio": Int(min=1, max=100, default=3)}, build=Priority),
    "services": List(Map({
        "id": Str(pattern=ID_SERVICE),
        "name": NAMES,
        "prefix": Str(pattern=r"[A-Z]{0,2}", default=""),
        "first": Int(min=0, max=9999),
        "last": Int(min=0, max=9999),
        "daily_limit": Int(min=1, max=9999, optional=True),
        "hours": List(Str(pattern=rf"{HHMM}-{HHMM}", check=_window_check), optional=True),
    }), min_len=1, max_len=200),
    "counters": List(Map({
        "id": Str(pattern=ID_COUNTER),
        "name": NAMES,
        "services": List(Str(pattern=ID_SERVICE), min_len=1),
    }), min_len=1, max_len=500),
    "kiosks": List(Map({
        "id": Str(pattern=ID_COUNTER), "printer": PRINTER,
        "ticket_qr": Str(min_len=1, max_len=200, optional=True, check=_qr_check),
        "screen": Map(SCREEN, default=Map(SCREEN).validate({}, (), Ctx())),
        "speech": Map(KIOSK_SPEECH, default=Map(KIOSK_SPEECH).validate({}, (), Ctx())),
        "idle_reset_s": Int(min=5, max=3600, default=60),
        "dossier_lookup": Bool(default=True),
        "large_mode": Bool(default=True),        # the home screen's "Chữ to" button
        "maintenance_pin": Secret(pattern=r"\d{4,12}", optional=True),
    }), optional=True),
    "displays": List(Map({
        "id": Str(pattern=ID_COUNTER),
        "counters": List(Str(pattern=ID_COUNTER), max_len=60),
        "notice": Str(max_len=500, default=""),
        "last_calls": Int(min=0, max=12, default=6),
        "spoken_counters": Dict(Str(pattern=ID_COUNTER), Str(min_len=1, max_len=60), default={}),
        "voice": Map({
            "enabled": Bool(default=VOICE["enabled"]),
            "phrase": Str(min_len=1, max_len=200, default=VOICE["phrase"], check=_phrase_check),
            "label_mode": Str(choices=("digits", "number"), default=VOICE["label_mode"]),
            "repeat": Int(min=1, max=3, default=VOICE["repeat"]),
            "voice": Str(pattern=r"[a-z0-9-]{1,40}", default=VOICE["voice"]),
            "speed": Int(min=80, max=300, default=VOICE["speed"]),
            "chime": Bool(default=VOICE["chime"]),
            "device": Str(max_len=100, optional=True),
            "save_dir": Str(max_len=300, optional=True),
        }, optional=True),
    }), optional=True),
    "followup": FOLLOWUP,
    "console": CONSOLE,
    "users": USERS,
    "bridges": List(Map({"id": Str(pattern=ID_COUNTER), "ports": List(Map({
        "device": Str(min_len=1), "baudrate": Int(min=1200, max=4_000_000, default=115200),
        "keypads": Dict(Int(min=1, max=247), Str(pattern=ID_COUNTER)),
    }), min_len=1)}), optional=True),
})


class ConfigError(Exception):
    def __init__(self, path: str, problems: list[tuple[int, Problem]]):
        self.path, self.problems = path, problems
        super().__init__("\n".join(self.lines()))

    def lines(self) -> list[str]:
        return [f"{self.path}:{line}: {p.dotted}: {p.message}" for line, p in self.problems]


def load(path: str | os.PathLike, section: str | None = None, ident: str | None = None) -> SiteConfig:
    """Read and validate the site file; with ``section``/``ident``, that entry must exist."""
    path = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
        data, lines = load_yaml_with_lines(text)
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(path, [(1, Problem((), f"cannot read the file: {e}"))]) from None
    except Exception as e:  # yaml.YAMLError: a syntax error has its own mark
        mark = getattr(e, "problem_mark", None)
        raise ConfigError(path, [((mark.line + 1) if mark else 1, Problem((), f"not valid YAML: {e}"))]) from None
    ctx = Ctx()
    raw = SCHEMA.validate(data, (), ctx)
    if raw is not None:
        _cross_checks(raw, ctx)
        if section and ident is not None and ident not in {e["id"] for e in raw.get(section) or []}:
            ctx.error((section,), f"no entry with id {ident!r} (started with --id {ident})")
    if ctx.problems:
        raise ConfigError(path, [(line_of(p.path, lines), p) for p in ctx.problems])
    return _build(path, raw)


def _build(path: str, raw: dict) -> SiteConfig:
    mq = raw["mqtt"]
    env_user, env_pw = os.environ.get("MOTCUA_MQTT_USERNAME"), os.environ.get("MOTCUA_MQTT_PASSWORD_FILE")
    if env_user or env_pw:
        mq = Mqtt(**{**mq.__dict__, "username": env_user or mq.username, "password_file": env_pw or mq.password_file})
    services = tuple(Service(**{**s, "hours": tuple(Window.parse(w) for w in s["hours"] or ())})
                     for s in raw["services"])
    counters = tuple(Counter(**{**c, "services": tuple(c["services"])}) for c in raw["counters"])
    return SiteConfig(path=path, site=raw["site"], mqtt=mq, hub=raw["hub"], priority=raw["priority"],
                      services=services, counters=counters, kiosks=tuple(raw["kiosks"] or ()),
                      displays=tuple(raw["displays"] or ()), bridges=tuple(raw["bridges"] or ()),
                      followup=raw["followup"], console=raw["console"], users=tuple(raw["users"] or ()))


def _cross_checks(raw: dict, ctx: Ctx) -> None:
    services = raw["services"]
    _unique(raw, "services", ctx)
    _unique(raw, "counters", ctx)
    for name in ("kiosks", "displays", "bridges"):
        _unique(raw, name, ctx)
    for i, s in enumerate(services):
        if s["first"] > s["last"]:
            ctx.error(("services", i, "first"), f"first ({s['first']}) is after last ({s['last']})")
    _label_collisions(services, ctx)
    known = {s["id"] for s in services}
    counter_ids = {c["id"] for c in raw["counters"]}
    for i, c in enumerate(raw["counters"]):
        for j, sid in enumerate(c["services"]):
            if sid not in known:
                ctx.error(("counters", i, "services", j), f"unknown service {sid!r}{suggest(sid, known)}")
    for i, d in enumerate(raw["displays"] or ()):
        for j, cid in enumerate(d["counters"]):
            if cid not in counter_ids:
                ctx.error(("displays", i, "counters", j), f"unknown counter {cid!r}{suggest(cid, counter_ids)}")
    _bridge_checks(raw["bridges"] or (), counter_ids, ctx)
    followup_checks(raw["followup"], ctx)
    users_checks(raw["users"], counter_ids, ctx)
    for i, k in enumerate(raw["kiosks"] or ()):
        _printer_checks(k["printer"], ("kiosks", i, "printer"), ctx)


def _bridge_checks(bridges, counter_ids: set, ctx: Ctx) -> None:
    owner: dict[str, tuple] = {}
    for i, b in enumerate(bridges):
        for j, port in enumerate(b["ports"]):
            for addr, cid in port["keypads"].items():
                where = ("bridges", i, "ports", j, "keypads", addr)
                if cid not in counter_ids:
                    ctx.error(where, f"unknown counter {cid!r}{suggest(cid, counter_ids)}")
                elif cid in owner:
                    ctx.error(where, f"counter {cid!r} already has a keypad at {'.'.join(map(str, owner[cid]))}")
                else:
                    owner[cid] = where


REQUIRED_BY_CONNECTION = {"network": ("host",), "usb": ("vendor_id", "product_id"), "serial": ("device",),
                          "file": ("device",), "directory": ("path",)}


def _printer_checks(p: dict, path: tuple, ctx: Ctx) -> None:
    for key in REQUIRED_BY_CONNECTION[p["connection"]]:
        if p.get(key) is None:
            ctx.error((*path, key), f"required for connection {p['connection']}")


def _unique(raw: dict, section: str, ctx: Ctx) -> None:
    seen: set = set()
    for i, item in enumerate(raw.get(section) or ()):
        if item["id"] in seen:
            ctx.error((section, i, "id"), f"duplicate id {item['id']!r}")
        seen.add(item["id"])


def _label_collisions(services: list[dict], ctx: Ctx) -> None:
    """Two services collide when some label could come from both (compare labels, not ranges)."""
    for i, a in enumerate(services):
        for j in range(i):
            b = services[j]
            if a["prefix"] == b["prefix"] and labels_overlap(a, b):
                ctx.error(("services", i), f"its labels can collide with those of service {b['id']!r}")


def labels_overlap(a: dict, b: dict) -> bool:
    """Same prefix assumed. A label is always exactly as wide as its service's ``last``, so two
    services of different widths never share one; of equal widths, when their ranges meet."""
    same_width = len(str(a["last"])) == len(str(b["last"]))
    return same_width and max(a["first"], b["first"]) <= min(a["last"], b["last"])


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
