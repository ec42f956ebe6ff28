"""The dossier store (SPEC section 7): records, the masked public view, timeliness.

Dossiers live in their own SQLite file beside the ledger, so an import of a province's export or
the HTTP pull never holds the queue ledger's write lock.
"""
from __future__ import annotations

import sqlite3
import unicodedata
from dataclasses import astuple, dataclass, fields
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

from ..contract import DOSSIER_STATUSES

SCHEMA = """
CREATE TABLE IF NOT EXISTS dossiers (
    code TEXT PRIMARY KEY,
    procedure TEXT NOT NULL,
    agency TEXT NOT NULL,
    received_at TEXT NOT NULL,
    due_at TEXT,
    finished_at TEXT,
    status INTEGER NOT NULL,
    applicant TEXT NOT NULL,
    phone TEXT,                 -- kept for later notices; never in a reply
    note TEXT NOT NULL,
    updated_at TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS dossier_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


@dataclass(frozen=True)
class Dossier:
    code: str
    procedure: str
    agency: str
    received_at: str          # ISO 8601 with offset
    due_at: str | None
    finished_at: str | None
    status: int
    applicant: str
    phone: str | None
    note: str


COLUMNS = [f.name for f in fields(Dossier)]


def database_path(hub_database: str) -> str:
    """``hub.sqlite3`` -> ``hub-dossiers.sqlite3``, beside it."""
    p = Path(hub_database)
    return str(p.with_name(f"{p.stem}-dossiers{p.suffix or '.sqlite3'}"))


def connect(path: str) -> sqlite3.Connection:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, isolation_level=None, timeout=30, check_same_thread=False)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.executescript(SCHEMA)
    return db


def upsert(db: sqlite3.Connection, rows: list[Dossier], now: datetime) -> None:
    """Insert or replace by code, all in the caller's transaction."""
    stamp = now.isoformat(timespec="seconds")
    db.executemany(f"INSERT OR REPLACE INTO dossiers ({', '.join(COLUMNS)}, updated_at) "
                   f"VALUES ({', '.join('?' * (len(COLUMNS) + 1))})", [(*astuple(d), stamp) for d in rows])


def find(db: sqlite3.Connection, code: str) -> Dossier | None:
    row = db.execute(f"SELECT {', '.join(COLUMNS)} FROM dossiers WHERE code=?", (code,)).fetchone()
    return Dossier(*row) if row else None


# --- the public view ---------------------------------------------------------------------

def public_view(d: Dossier, today: date, tz: ZoneInfo) -> dict:
    """What a kiosk may show: never the phone, an ID number or an address; the name masked."""
    vi, en = DOSSIER_STATUSES[d.status]
    return {"code": d.code, "procedure": d.procedure, "agency": d.agency, "received_at": d.received_at,
            "due_at": d.due_at, "finished_at": d.finished_at, "status": d.status,
            "status_text": {"vi": vi, "en": en}, "timeliness": timeliness(d, today, tz),
            "applicant": mask_name(d.applicant), "note": d.note}


def timeliness(d: Dossier, today: date, tz: ZoneInfo) -> str | None:
    """By dates in the site's zone: early / on_time / late when finished, in_time / overdue if open."""
    if d.due_at is None:
        return None
    due = local_date(d.due_at, tz)
    if d.finished_at is not None:
        done = local_date(d.finished_at, tz)
        return "early" if done < due else "on_time" if done == due else "late"
    return "in_time" if today <= due else "overdue"


def local_date(iso: str, tz: ZoneInfo) -> date:
    return datetime.fromisoformat(iso).astimezone(tz).date()


def mask_name(name: str) -> str:
    """"Nguyễn Văn An" -> "Nguyễn V** A*": the family name whole, then initials and one * per letter."""
    words = unicodedata.normalize("NFC", name).split()
    if not words:
        return ""
    return " ".join([words[0]] + [w[0] + "*" * (len(w) - 1) for w in words[1:]])


def parse_time(value: str, tz: ZoneInfo) -> str:
    """ISO 8601 (a date alone means that day's start) -> ISO 8601 with the site's offset.

    Raises ValueError with a readable message.
    """
    text = value.strip()
    try:
        if len(text) == 10:
            moment = datetime.combine(date.fromisoformat(text), time(0), tz)
        else:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=tz)
    except ValueError:
        raise ValueError(f"not an ISO 8601 date or time: {value[:40]!r}") from None
    return moment.astimezone(tz).isoformat(timespec="seconds")
