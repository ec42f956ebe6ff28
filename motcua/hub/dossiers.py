"""The dossier store (SPEC section 7): records, the masked public view, timeliness.

Dossiers live in their own SQLite file beside the ledger, so an import of a province's export or
the HTTP pull never holds the queue ledger's write lock.
"""
from __future__ import annotations

import sqlite3
import unicodedata
from dataclasses import astuple, dataclass, fields, replace
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

from ..contract import DOSSIER_STATUSES
from ..db import durable, transaction

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
-- a new due date and reason entered at the centre (dossier/extend), kept beside the dossier: it is
-- in force while it is later than the source's own due date
CREATE TABLE IF NOT EXISTS extensions (
    code TEXT PRIMARY KEY,
    due_at TEXT NOT NULL,
    reason TEXT NOT NULL,
    at TEXT NOT NULL,
    command_id TEXT               -- the request that entered it: the same request again is not new
) WITHOUT ROWID;
-- the console's report of a period and the follow-up's overdue watch read through these, so a
-- store of a million dossiers answers a month's report or the day's watch without a full scan
CREATE INDEX IF NOT EXISTS dossiers_finished ON dossiers (finished_at);
CREATE INDEX IF NOT EXISTS dossiers_due ON dossiers (due_at);
"""
# added in contract v2; an older store gets them on open (ALTER TABLE ... ADD COLUMN)
LATER_COLUMNS = {"field": "TEXT", "channel": "INTEGER NOT NULL DEFAULT 1", "reason": "TEXT",
                 "changed": "INTEGER NOT NULL DEFAULT 0"}


@dataclass(frozen=True)
class Dossier:
    """A dossier (hồ sơ) as the store keeps it; ``status`` is a code of ``contract.DOSSIER_STATUSES`` and times are ISO
    8601 with their offset."""
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
    field: str | None = None      # lĩnh vực, for reports; the agency when the source has none
    channel: int = 1              # 1 in person, 2 online, 3 postal
    reason: str | None = None     # why it is late or extended, from the source

    @property
    def report_field(self) -> str:
        return self.field or self.agency


COLUMNS = [f.name for f in fields(Dossier)]
CHANGED_EXPR = "COALESCE((SELECT CAST(value AS INTEGER) FROM dossier_meta WHERE key='changed'), 0)"


def database_path(hub_database: str) -> str:
    """``hub.sqlite3`` -> ``hub-dossiers.sqlite3``, beside it."""
    p = Path(hub_database)
    return str(p.with_name(f"{p.stem}-dossiers{p.suffix or '.sqlite3'}"))


def store_path(cfg) -> str:
    """Where a site's dossier store is: ``hub.dossier_database``, or beside the ledger."""
    return cfg.hub.dossier_database or database_path(cfg.hub.database)


def connect(path: str) -> sqlite3.Connection:
    """Open, and create or upgrade, the dossier store (its own database, by default beside the ledger); safe when the
    hub and an import open it at once."""
    db = durable(path)
    db.executescript(SCHEMA)
    if not LATER_COLUMNS.keys() <= _columns(db):
        with transaction(db):      # under the write lock, looked at again: the hub and an import may both be here
            for name, kind in LATER_COLUMNS.items():
                if name not in _columns(db):
                    db.execute(f"ALTER TABLE dossiers ADD COLUMN {name} {kind}")
            db.execute("CREATE INDEX IF NOT EXISTS dossiers_changed ON dossiers (changed)")
    return db


def _columns(db: sqlite3.Connection) -> set[str]:
    return {r[1] for r in db.execute("PRAGMA table_info(dossiers)")}


def upsert(db: sqlite3.Connection, rows: list[Dossier], now: datetime) -> None:
    """Insert or update by code, all in the caller's transaction. A row that changes gets the next
    number of the store's change counter (``changed``), which the follow-up reads from; a row
    repeated as it was (a re-import, a pull that overlaps) changes nothing, not even that."""
    stamp = now.isoformat(timespec="seconds")
    cols = ", ".join(COLUMNS)
    differs = " OR ".join(f"dossiers.{c} IS NOT excluded.{c}" for c in COLUMNS if c != "code")
    sql = (f"INSERT INTO dossiers ({cols}, updated_at, changed) VALUES ({', '.join('?' * len(COLUMNS))}, ?, ?) "
           f"ON CONFLICT(code) DO UPDATE SET {', '.join(f'{c}=excluded.{c}' for c in COLUMNS if c != 'code')}, "
           f"updated_at=excluded.updated_at, changed=excluded.changed WHERE {differs}")
    first = db.execute(f"SELECT {CHANGED_EXPR}").fetchone()[0] + 1
    db.executemany(sql, [(*astuple(d), stamp, first + i) for i, d in enumerate(rows)])
    db.execute("INSERT OR REPLACE INTO dossier_meta VALUES ('changed', ?)", (str(first + len(rows) - 1),))


def find(db: sqlite3.Connection, code: str) -> Dossier | None:
    """The dossier of a normalised code with the due date in force (an extension entered at the centre included); None
    when there is none."""
    row = db.execute(f"SELECT {', '.join(COLUMNS)} FROM dossiers WHERE code=?", (code,)).fetchone()
    return in_force(db, Dossier(*row)) if row else None


def in_force(db: sqlite3.Connection, d: Dossier) -> Dossier:
    """The dossier with a due date entered at the centre, while that date is the later one."""
    ext = db.execute("SELECT due_at, reason FROM extensions WHERE code=?", (d.code,)).fetchone()
    if ext is None or (d.due_at is not None and datetime.fromisoformat(d.due_at) >= datetime.fromisoformat(ext[0])):
        return d
    return replace(d, due_at=ext[0], reason=ext[1])


def extend(db: sqlite3.Connection, code: str, due_at: str, reason: str, now: datetime,
           command_id: str | None = None) -> Dossier | None:
    """Enter a new due date and reason (``dossier/extend``); it counts as a change of the dossier,
    so the follow-up sends the apology. None when there is no such dossier."""
    with transaction(db):
        if db.execute("SELECT 1 FROM dossiers WHERE code=?", (code,)).fetchone() is None:
            return None
        db.execute("INSERT OR REPLACE INTO extensions VALUES (?,?,?,?,?)",
                   (code, due_at, reason, now.isoformat(timespec="seconds"), command_id))
        counter = db.execute(f"SELECT {CHANGED_EXPR}").fetchone()[0] + 1
        db.execute("UPDATE dossiers SET changed=? WHERE code=?", (counter, code))
        db.execute("INSERT OR REPLACE INTO dossier_meta VALUES ('changed', ?)", (str(counter),))
    return find(db, code)


def extended_by(db: sqlite3.Connection, code: str) -> str | None:
    """The command_id of the request that entered the dossier's extension, if any."""
    row = db.execute("SELECT command_id FROM extensions WHERE code=?", (code,)).fetchone()
    return row[0] if row else None


def changed_since(db: sqlite3.Connection, after: int, limit: int = 1000) -> list[tuple[int, Dossier]]:
    """The dossiers changed after counter value ``after``, oldest change first, as in force."""
    rows = db.execute(f"SELECT changed, {', '.join(COLUMNS)} FROM dossiers WHERE changed > ? ORDER BY changed "
                      "LIMIT ?", (after, limit)).fetchall()
    return [(r[0], in_force(db, Dossier(*r[1:]))) for r in rows]


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
    """The site's calendar day of an ISO 8601 time: whether a dossier is late is judged by days at the hall, not in UTC.
    """
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
