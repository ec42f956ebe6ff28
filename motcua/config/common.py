"""What several sections of the site file share: the id and time patterns, a ticket window, a
name in two languages, and a broker to connect to (the hall's own, the province's)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time

from .schema import Int, Map, Shape, Str, Text

HHMM = Shape(r"([01]\d|2[0-3]):[0-5]\d", "giờ HH:MM, ví dụ 07:30", "a time HH:MM, e.g. 07:30")
WINDOW = Shape(rf"{HHMM}-{HHMM}", "HH:MM-HH:MM, ví dụ 07:30-11:30", "HH:MM-HH:MM, e.g. 07:30-11:30")
DATE = Shape(r"\d{4}-\d{2}-\d{2}", "ngày YYYY-MM-DD, ví dụ 2026-09-02", "a date YYYY-MM-DD, e.g. 2026-09-02")
ID_SITE = Shape(r"[a-z0-9-]{1,32}", "mã: 1 đến 32 ký tự a-z, 0-9, -", "an id: 1 to 32 of a-z, 0-9, -")
ID_SERVICE = Shape(r"[A-Z0-9_]{1,16}", "mã: 1 đến 16 ký tự A-Z, 0-9, _", "an id: 1 to 16 of A-Z, 0-9, _")
ID_COUNTER = Shape(r"[a-z0-9-]{1,16}", "mã: 1 đến 16 ký tự a-z, 0-9, -",     # counters, kiosks, wall screens and
                   "an id: 1 to 16 of a-z, 0-9, -")                           # bridges
VOICE_NAME = r"[a-z0-9-]{1,40}"     # an espeak-ng voice


def hhmm(text: str) -> time:
    """Parse the site file's ``HH:MM`` clock times (local time of the site); ValueError on anything else."""
    h, m = text.split(":")
    return time(int(h), int(m))


@dataclass(frozen=True)
class Window:
    """An opening window of a service, ``HH:MM-HH:MM``, start included and end excluded."""
    start: time
    end: time

    @classmethod
    def parse(cls, text: str) -> Window:
        a, b = text.split("-")
        return cls(hhmm(a), hhmm(b))


def date_check(text: str) -> Text | None:
    """The schema check for a date of the site file (a holiday, a session): ``YYYY-MM-DD``."""
    try:
        date.fromisoformat(text)
    except ValueError:
        return f"{text!r} không phải ngày dạng 2026-09-02", f"{text!r} is not a date like 2026-09-02"
    return None


def window_check(text: str) -> Text | None:
    """The schema check for a window: None when it is good, else the message shown at its line of the site file."""
    w = Window.parse(text)
    return None if w.start < w.end else ("giờ kết thúc phải sau giờ bắt đầu", "a window must end after it starts")


@dataclass(frozen=True)
class Names:
    """A name shown to citizens in both languages: Vietnamese first, English second."""
    vi: str
    en: str


NAMES = Map({"vi": Str(min_len=1, max_len=120), "en": Str(min_len=1, max_len=120)}, build=Names)


@dataclass(frozen=True)
class Broker:
    """A broker another than the hall's own: the province's (SPEC section 13), which a hall's
    mosquitto bridges to and a province console reads from."""
    host: str
    port: int
    ca_file: str | None
    username: str | None
    password_file: str | None

    def __repr__(self) -> str:  # never print a secret's location next to a user by accident
        return f"Broker(host={self.host!r}, port={self.port}, user={self.username!r}, password=***)"


def broker_schema(*, secured: bool, optional: bool) -> Map:
    """``secured``: TLS and a login are required (a hall's bridge must never cross the WAN in the clear)."""
    return Map({"host": Str(min_len=1, max_len=255), "port": Int(min=1, max=65535, default=8883),
                "ca_file": Str(min_len=1, optional=not secured),
                "username": Str(pattern=r"[A-Za-z0-9_.-]{1,64}", optional=not secured),
                "password_file": Str(min_len=1, optional=not secured)}, build=Broker, optional=optional)
