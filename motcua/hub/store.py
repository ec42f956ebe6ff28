"""The hub's SQLite database: its schema, opened on a durable connection (motcua.db).

WAL with ``synchronous=FULL``: a commit is on disk before the hub tells anyone about it, and a
process killed at any moment leaves a consistent database. ``UNIQUE(day, label)`` is the last
guard against a label issued twice in a service day.
"""
from __future__ import annotations

import sqlite3
from pathlib import Path

from ..db import durable

SCHEMA = """
CREATE TABLE IF NOT EXISTS tickets (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    day TEXT NOT NULL,
    origin_service TEXT NOT NULL,      -- the service that issued the number
    service TEXT NOT NULL,             -- where it waits now (changes on transfer)
    number INTEGER NOT NULL,
    label TEXT NOT NULL,
    priority INTEGER NOT NULL,
    status TEXT NOT NULL,
    source TEXT,
    issued_at REAL NOT NULL,
    counter TEXT,
    first_called_at REAL,
    called_at REAL,
    finished_at REAL,
    calls INTEGER NOT NULL DEFAULT 0,
    void_reason TEXT,
    priority_reason TEXT,              -- 'age' (the ID card's birth year), 'asked' (the kiosk's toggle), NULL
    UNIQUE (day, label)
);
CREATE INDEX IF NOT EXISTS tickets_queue ON tickets (day, status, service, priority, issued_at);
CREATE INDEX IF NOT EXISTS tickets_numbers ON tickets (day, origin_service, number);
CREATE INDEX IF NOT EXISTS tickets_issued ON tickets (day, origin_service, status);
CREATE INDEX IF NOT EXISTS tickets_done ON tickets (day, service, status, finished_at);
CREATE INDEX IF NOT EXISTS tickets_called ON tickets (day, service, called_at);
CREATE TABLE IF NOT EXISTS counters (
    id TEXT PRIMARY KEY,
    status TEXT NOT NULL DEFAULT 'idle',
    ticket_id TEXT,
    normal_run INTEGER NOT NULL DEFAULT 0,   -- normal calls since the last priority call
    acted_day TEXT,
    last_ticket_id TEXT                      -- the ticket it finished last, for ratings
);
CREATE TABLE IF NOT EXISTS commands (
    day TEXT NOT NULL,
    command_id TEXT NOT NULL,
    reply TEXT NOT NULL,
    PRIMARY KEY (day, command_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS ratings (
    day TEXT NOT NULL,
    command_id TEXT NOT NULL,
    counter TEXT NOT NULL,
    ticket_id TEXT,
    score INTEGER NOT NULL,
    at REAL NOT NULL,
    PRIMARY KEY (day, command_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS calls (         -- every call event as published, for <R>/calls/recent (SPEC 4)
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    day TEXT NOT NULL,
    event TEXT NOT NULL                    -- JSON
);
CREATE INDEX IF NOT EXISTS calls_day ON calls (day, seq);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS pauses (        -- a counter's pauses, for its paused time (SPEC section 12)
    counter TEXT NOT NULL,
    day TEXT NOT NULL,
    started REAL NOT NULL,
    ended REAL                             -- NULL while it lasts
);
CREATE INDEX IF NOT EXISTS pauses_day ON pauses (day, counter);
CREATE TABLE IF NOT EXISTS holders (       -- who took a number, as a keyed hash only (SPEC 3.1); emptied daily
    ticket_id TEXT NOT NULL,
    day TEXT NOT NULL,
    service TEXT NOT NULL,                 -- the service that issued the number
    kind TEXT NOT NULL,                    -- 'card' (an ID number's hash) or 'phone' (a phone's hash)
    hash TEXT NOT NULL,
    PRIMARY KEY (ticket_id, kind)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS holders_hash ON holders (day, kind, hash);
"""
ADDED_COLUMNS = {"tickets": {"priority_reason": "TEXT"}}   # columns newer than a database made by an older hub


def connect(path: str | Path) -> sqlite3.Connection:
    """Open (creating if needed) the hub's database, with the schema in place."""
    db = durable(path)
    db.row_factory = sqlite3.Row
    db.execute("PRAGMA foreign_keys=ON")
    db.execute("PRAGMA secure_delete=ON")     # a citizen's hash, deleted at the day's change, is overwritten too
    db.executescript(SCHEMA)
    _add_columns(db)
    return db


def _add_columns(db: sqlite3.Connection) -> None:
    """A database made by an older hub gains the columns it lacks; nothing else about it changes."""
    for table, columns in ADDED_COLUMNS.items():
        have = {r[1] for r in db.execute(f"PRAGMA table_info({table})")}
        for name, kind in columns.items():
            if name not in have:
                db.execute(f"ALTER TABLE {table} ADD COLUMN {name} {kind}")
