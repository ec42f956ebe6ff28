"""The queue's own sections of the site file: the site, the broker, the hub, priority, services
and counters (SPEC sections 2 and 3), and ``SiteConfig``, the whole file as one typed value."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..contract import DOSSIER_FIELDS, format_label
from .bridge import Bridge
from .common import (
    HHMM,
    ID_COUNTER,
    ID_SERVICE,
    ID_SITE,
    NAMES,
    WINDOW,
    Broker,
    Names,
    Window,
    broker_schema,
    hhmm,
    window_check,
)
from .console import Console, User
from .display import Display
from .followup import Followup
from .kiosk import Kiosk, ticket_qr_template
from .schema import Dict, Int, List, Map, Str


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
class Mqtt:
    host: str
    port: int
    topic_root: str
    username: str | None
    password_file: str | None
    tls: Tls | None
    keepalive: int
    bridge: Broker | None = None        # the province's broker this hall's mosquitto bridges to

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
    kiosks: tuple[Kiosk, ...] = ()
    displays: tuple[Display, ...] = ()
    bridges: tuple[Bridge, ...] = ()
    followup: Followup | None = None
    console: Console | None = None
    users: tuple[User, ...] = ()
    by_service: dict = field(default_factory=dict, repr=False)
    by_counter: dict = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.by_service.update({s.id: s for s in self.services})
        self.by_counter.update({c.id: c for c in self.counters})

    def entry(self, section: str, ident: str):
        """This process's own entry: ``entry("kiosks", "k1")``."""
        return next(e for e in getattr(self, section) if e.id == ident)

    def ticket_qr(self, kiosk: Kiosk) -> str:
        return ticket_qr_template(kiosk, self.console.public_url if self.console else None)


def _tz_check(name: str) -> str | None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return f"unknown time zone {name!r} (e.g. Asia/Ho_Chi_Minh)"
    return None


def _service(**kw) -> Service:
    return Service(**{**kw, "hours": tuple(Window.parse(w) for w in kw["hours"] or ())})


SITE = Map({
    "id": Str(pattern=ID_SITE),
    "name": Str(min_len=1, max_len=200),
    "timezone": Str(check=_tz_check),
    "day_starts_at": Str(pattern=HHMM, default="00:00"),
    "ticket_footer": Str(max_len=200, optional=True),
}, build=Site)
MQTT = Map({
    "host": Str(min_len=1, max_len=255),
    "port": Int(min=1, max=65535, default=1883),
    "topic_root": Str(pattern=r"[A-Za-z0-9_-]{1,32}", default="motcua"),
    "username": Str(max_len=128, optional=True),
    "password_file": Str(optional=True),
    "tls": Map({"ca_file": Str(), "cert_file": Str(optional=True), "key_file": Str(optional=True)},
               build=Tls, optional=True),
    "keepalive": Int(min=5, max=600, default=30),
    "bridge": broker_schema(secured=True, optional=True),
}, build=Mqtt)
HUB = Map({
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
}, build=Hub)
PRIORITY = Map({"mode": Str(choices=("first", "alternate"), default="first"),
                "ratio": Int(min=1, max=100, default=3)}, build=Priority)
SERVICES = List(Map({
    "id": Str(pattern=ID_SERVICE),
    "name": NAMES,
    "prefix": Str(pattern=r"[A-Z]{0,2}", default=""),
    "first": Int(min=0, max=9999),
    "last": Int(min=0, max=9999),
    "daily_limit": Int(min=1, max=9999, optional=True),
    "hours": List(Str(pattern=WINDOW, check=window_check), optional=True),
}, build=_service), min_len=1, max_len=200)
COUNTERS = List(Map({
    "id": Str(pattern=ID_COUNTER),
    "name": NAMES,
    "services": List(Str(pattern=ID_SERVICE), min_len=1),
}, build=lambda **kw: Counter(**{**kw, "services": tuple(kw["services"])})), min_len=1, max_len=500)
