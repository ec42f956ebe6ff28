"""The queue's own sections of the site file: the site, the broker, the hub, priority, services
and counters (SPEC sections 2 and 3), and ``SiteConfig``, the whole file as one typed value."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..contract import DOSSIER_FIELDS, format_label
from .bridge import Bridge
from .common import (
    DATE,
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
    date_check,
    hhmm,
    window_check,
)
from .console import Console, User
from .display import Display
from .followup import Followup
from .kiosk import Kiosk, ticket_qr_template
from .schema import Bool, Dict, Int, List, Map, Shape, Str, Text
from .working_days import EVERY_DAY, Calendar


@dataclass(frozen=True)
class Site:
    """The ``site`` section: the hall's identity and time zone, and when its service day begins (the ledger's day
    change)."""
    id: str
    name: str
    timezone: str
    day_starts_at: str
    ticket_footer: str | None
    secret_file: str | None = None          # keys the hashes of ID numbers and phones (SPEC 3.1)
    per_person_daily: int | None = None     # numbers one ID card may take a day, all services together

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def day_start(self) -> time:
        return hhmm(self.day_starts_at)


@dataclass(frozen=True)
class Tls:
    """TLS towards the broker: the CA to trust, and a client certificate and key when the broker asks for one."""
    ca_file: str
    cert_file: str | None
    key_file: str | None


@dataclass(frozen=True)
class Mqtt:
    """How this process reaches the hall's broker, under which topic root and with which user; its password is read from
    a file and never shown."""
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
    """The hub's periodic pull of changed dossiers from the province's system over HTTP: where, how often, and how the
    remote's field names map to ours."""
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
class Sftp:
    """An SFTP destination for the hub's database copies; ``host_key`` is pinned so a copy never goes to a machine
    pretending to be it."""
    host: str
    port: int
    user: str
    key_file: str
    host_key: str
    path: str


@dataclass(frozen=True)
class Replica:
    """Where Litestream copies the hub's databases: a path (a USB stick) or another board over SFTP."""
    path: str | None
    sftp: Sftp | None
    max_lag_s: int

    @property
    def target(self) -> str:
        """What a person reads in a log or on the console: the path, or sftp://user@host:port/path."""
        if self.sftp is None:
            return str(self.path)
        s = self.sftp
        return f"sftp://{s.user}@{s.host}:{s.port}{s.path}"


@dataclass(frozen=True)
class Hub:
    """The ``hub`` section: where the ledger and the dossier store live, the service time assumed before there is
    history, and where the databases are pulled from and copied to."""
    database: str
    default_service_minutes: int
    dossier_database: str | None
    dossier_pull: DossierPull | None
    replicas: tuple[Replica, ...] = ()


@dataclass(frozen=True)
class Priority:
    """When priority tickets are called: ``mode`` first (always ahead) or alternate (one after every ``ratio`` normal
    calls at a counter); ``age`` is the age from which an ID card makes its holder priority."""
    mode: str
    ratio: int
    age: int = 60                           # Law on the Elderly: this age or older this year is priority


@dataclass(frozen=True)
class Closure:
    """A service closed for one service day (a clerk is ill, the registry's line is down), with the reason citizens
    read; the next day it opens by itself, so nothing has to be undone."""
    date: date
    reason: Names


@dataclass(frozen=True)
class Service:
    """A service citizens take numbers for: its label prefix and number range, daily limits and opening windows."""
    id: str
    name: Names
    prefix: str
    first: int
    last: int
    daily_limit: int | None
    hours: tuple[Window, ...]
    per_person_daily: int | None = None
    remote: bool = False                    # numbers may be taken by SMS (SPEC 3.1, 11.1)
    remote_daily_limit: int | None = None
    closed: Closure | None = None           # closed on that one day only, with its reason (SPEC 12.1)

    def closed_on(self, day: date) -> Closure | None:
        """The closure that holds on service day ``day``, or None."""
        return self.closed if self.closed is not None and self.closed.date == day else None

    def label(self, number: int) -> str:
        return format_label(self.prefix, number, self.last)

    @property
    def remote_limit(self) -> int | None:
        """Remote numbers a day: as configured, else a quarter of the daily limit (at least one),
        else none."""
        if self.remote_daily_limit is not None:
            return self.remote_daily_limit
        return None if self.daily_limit is None else max(1, self.daily_limit // 4)


@dataclass(frozen=True)
class Counter:
    """A service counter and the services it calls tickets of."""
    id: str
    name: Names
    services: tuple[str, ...]


@dataclass(frozen=True)
class SiteConfig:
    """The whole site file, checked: every process reads the same file and finds its own entry with ``entry``.
    ``by_service`` and ``by_counter`` index the lists by id."""
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
    calendar: Calendar = EVERY_DAY          # the days and sessions numbers are taken on (v2: every day)
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


def _tz_check(name: str) -> Text | None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return (f"không có múi giờ {name!r} (ví dụ Asia/Ho_Chi_Minh)",
                f"unknown time zone {name!r} (e.g. Asia/Ho_Chi_Minh)")
    return None


ABSOLUTE = r"/[^\0]{0,500}"


def _one_target(replica: Replica) -> Text | None:
    """A replica is one place: a path or an SFTP server, so a restore knows where it comes from."""
    if (replica.path is None) == (replica.sftp is None):
        both = "path (e.g. /media/usb/motcua), sftp {host, user, key_file, host_key, path}"
        return f"ghi đúng một trong hai: {both.replace('e.g.', 'ví dụ')}", f"give exactly one of {both}"
    return None


def _closure(**kw) -> Closure:
    """A reason given only in Vietnamese is shown as it is to English readers too (a commune types one language)."""
    reason = kw["reason"]
    return Closure(date.fromisoformat(kw["date"]), Names(reason["vi"], reason["en"] or reason["vi"]))


def _one_line(text: str) -> Text | None:
    """A reason is one line of text: it is shown on a kiosk button, a wall screen and in a reply."""
    if any(ord(c) < 32 or c == "\x7f" for c in text):
        return "chỉ một dòng, không có tab hay ký tự điều khiển", "one line, without tabs or control characters"
    return None


REASON = Str(min_len=1, max_len=160, check=_one_line)
CLOSED = Map({
    "date": Str(pattern=DATE, check=date_check),
    "reason": Map({"vi": REASON, "en": Str(max_len=160, check=_one_line, optional=True)}),
}, build=_closure, optional=True)


def _service(**kw) -> Service:
    return Service(**{**kw, "hours": tuple(Window.parse(w) for w in kw["hours"] or ())})


SITE = Map({
    "id": Str(pattern=ID_SITE),
    "name": Str(min_len=1, max_len=200),
    "timezone": Str(check=_tz_check),
    "day_starts_at": Str(pattern=HHMM, default="00:00"),
    "ticket_footer": Str(max_len=200, optional=True),
    "secret_file": Str(min_len=1, max_len=300, optional=True),
    "per_person_daily": Int(min=1, max=100, optional=True),
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
    "replicas": List(Map({
        "path": Str(pattern=ABSOLUTE, optional=True),
        "sftp": Map({
            "host": Str(pattern=r"[A-Za-z0-9.:-]{1,255}"),
            "port": Int(min=1, max=65535, default=22),
            "user": Str(pattern=r"[a-z_][a-z0-9_-]{0,31}"),
            "key_file": Str(pattern=ABSOLUTE),
            "host_key": Str(pattern=r"(ssh|ecdsa)-[a-z0-9-]+ [A-Za-z0-9+/=]{16,}( .*)?", max_len=2000),
            "path": Str(pattern=ABSOLUTE),
        }, build=Sftp, optional=True),
        "max_lag_s": Int(min=5, max=86400, default=60),
    }, build=Replica, check=_one_target), max_len=4, optional=True),
}, build=lambda replicas, **kw: Hub(**kw, replicas=tuple(replicas or ())))
PRIORITY = Map({"mode": Str(choices=("first", "alternate"), default="first"),
                "ratio": Int(min=1, max=100, default=3),
                "age": Int(min=50, max=120, default=60)}, build=Priority)
SERVICES = List(Map({
    "id": Str(pattern=ID_SERVICE),
    "name": NAMES,
    "prefix": Str(pattern=Shape(r"[A-Z]{0,2}", "0 đến 2 chữ in hoa A-Z", "0 to 2 capital letters A-Z"), default=""),
    "first": Int(min=0, max=9999),
    "last": Int(min=0, max=9999),
    "daily_limit": Int(min=1, max=9999, optional=True),
    "hours": List(Str(pattern=WINDOW, check=window_check), optional=True),
    "per_person_daily": Int(min=1, max=100, optional=True),
    "remote": Bool(default=False),
    "remote_daily_limit": Int(min=1, max=9999, optional=True),
    "closed": CLOSED,
}, build=_service), min_len=1, max_len=200)
COUNTERS = List(Map({
    "id": Str(pattern=ID_COUNTER),
    "name": NAMES,
    "services": List(Str(pattern=ID_SERVICE), min_len=1),
}, build=lambda **kw: Counter(**{**kw, "services": tuple(kw["services"])})), min_len=1, max_len=500)
