"""The follow-up's own database: what it last saw of each dossier, every message it made, the
opt-outs, the letters. One message per (event, key), written before anything is handed over, so a
restart, a re-import or a repeated pull never sends twice.

A message goes ``queued -> handing -> handed -> sent | failed``; ``handing`` is written before the
transport is touched, so a follow-up killed in the middle knows to look before it hands again.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from ..db import durable, transaction
from .events import Seen

SCHEMA = """
CREATE TABLE IF NOT EXISTS seen (
    code TEXT PRIMARY KEY,
    status INTEGER NOT NULL,
    due_at TEXT,
    note TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    first_due TEXT                   -- the first due date seen: the one the citizen was given
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY,
    event TEXT NOT NULL,
    key TEXT NOT NULL,
    code TEXT,
    phone TEXT,                      -- +84…, or NULL: "no phone", never sent
    written TEXT NOT NULL,           -- as composed, with diacritics
    text TEXT NOT NULL,              -- as handed to the transport
    state TEXT NOT NULL,             -- queued | handing | handed | sent | failed
    attempts INTEGER NOT NULL DEFAULT 0,
    not_before REAL NOT NULL,        -- epoch seconds: quiet hours, the daily cap, retries
    last_error TEXT,
    ref TEXT,                        -- the transport's name for it (Gammu's file name)
    created REAL NOT NULL,
    handed REAL,
    finished REAL,
    held TEXT,                       -- why not_before was moved: quiet | daily (judged again each pass)
    UNIQUE (event, key)
);
CREATE INDEX IF NOT EXISTS messages_due ON messages (state, not_before, id);
CREATE INDEX IF NOT EXISTS messages_phone ON messages (phone, handed);
CREATE TABLE IF NOT EXISTS optouts (phone TEXT PRIMARY KEY, at REAL NOT NULL, how TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS letters (
    key TEXT PRIMARY KEY, code TEXT NOT NULL, kind TEXT NOT NULL, path TEXT NOT NULL, made REAL NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS inbound (name TEXT PRIMARY KEY, at REAL NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS follows (         -- tickets followed by SMS: today's only (SPEC 11.1)
    day TEXT NOT NULL,               -- the service day (ISO date)
    phone TEXT NOT NULL,
    label TEXT NOT NULL,
    service TEXT NOT NULL,
    how TEXT NOT NULL,               -- ls (taken by SMS) | stt (asked for)
    near INTEGER NOT NULL DEFAULT 0, -- "your turn is near" made (or needless: few ahead when followed)
    called INTEGER NOT NULL DEFAULT 0,
    at REAL NOT NULL,
    PRIMARY KEY (day, phone, label)
) WITHOUT ROWID;
"""
# added later; an older database gets them on open (ALTER TABLE ... ADD COLUMN)
LATER_COLUMNS = {("seen", "first_due"): "UPDATE seen SET first_due=due_at", ("messages", "held"): None}
SEEN = "status, due_at, note, first_seen, first_due"
RETRY_S = (60, 300, 900, 1800, 3600, 3600)     # after each failed try; then given up (6 retries)
ANSWER, TURN = "answer", "turn"     # the two events that are no dossier message: answers to texts, turn notices


@dataclass(frozen=True)
class Message:
    """An SMS in the outbox, ``queued`` to ``sent`` or ``failed``; one per ``(event, key)``. ``not_before`` (epoch
    seconds) holds it through quiet hours, the daily cap and retries; without a phone it is never sent."""
    id: int
    event: str
    key: str
    code: str | None
    phone: str | None
    written: str
    text: str
    state: str
    attempts: int
    not_before: float
    last_error: str | None
    ref: str | None
    created: float = 0.0


@dataclass(frozen=True)
class Follow:
    """A ticket a phone follows by SMS today, and which of its notices (the turn is near, it was called) were already
    sent."""
    phone: str
    label: str
    service: str
    near: bool
    called: bool
    at: float         # when it was asked for (epoch seconds)


class Outbox:
    """The follow-up's own SQLite database: what it saw of each dossier, the SMS to send and their fate, letter numbers
    and followed tickets. A message is written before it is handed over, so a restart or a repeated pull never sends
    twice."""

    def __init__(self, path: str):
        self.db = durable(path)
        self.db.executescript(SCHEMA)
        for (table, column), fill in LATER_COLUMNS.items():
            if column not in self._columns(table):
                with self.transaction():       # looked at again under the write lock
                    if column not in self._columns(table):
                        self.db.execute(f"ALTER TABLE {table} ADD COLUMN {column} TEXT")
                        if fill:
                            self.db.execute(fill)

    def _columns(self, table: str) -> set[str]:
        return {r[1] for r in self.db.execute(f"PRAGMA table_info({table})")}

    def transaction(self):
        """BEGIN IMMEDIATE … COMMIT, or inside one a savepoint (one dossier's decisions in its
        batch): the hub's own, failed COMMITs rolled back included."""
        return transaction(self.db)

    # --- what it saw -----------------------------------------------------------------------
    def seen(self, code: str) -> Seen | None:
        row = self.db.execute(f"SELECT {SEEN} FROM seen WHERE code=?", (code,)).fetchone()
        return Seen(*row) if row else None

    def see(self, code: str, s: Seen) -> None:
        self.db.execute(f"INSERT OR REPLACE INTO seen (code, {SEEN}) VALUES (?,?,?,?,?,?)",
                        (code, s.status, s.due_at, s.note, s.first_seen, s.first_due))

    def all_seen(self) -> Iterator[tuple[str, Seen]]:
        for code, *rest in self.db.execute(f"SELECT code, {SEEN} FROM seen"):
            yield code, Seen(*rest)

    def meta(self, key: str, default: str = "") -> str:
        row = self.db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else default

    def set_meta(self, key: str, value) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta VALUES (?,?)", (key, str(value)))

    # --- messages --------------------------------------------------------------------------
    def add(self, event: str, key: str, code: str | None, phone: str | None, written: str, text: str,
            not_before: float, now: float, state: str = "queued", error: str | None = None) -> bool:
        """A new message; False when (event, key) was made already."""
        cur = self.db.execute(
            "INSERT OR IGNORE INTO messages (event, key, code, phone, written, text, state, not_before, last_error, "
            "created, finished) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (event, key, code, phone, written, text, state, not_before, error, now, now if state == "failed" else None))
        return cur.rowcount == 1

    def due(self, now: float, limit: int = 100) -> list[Message]:
        return self._messages("state='queued' AND not_before<=? ORDER BY id LIMIT ?", (now, limit))

    def in_state(self, state: str) -> list[Message]:
        return self._messages("state=? ORDER BY id", (state,))

    def get(self, message_id: int) -> Message:
        return self._messages("id=?", (message_id,))[0]

    def _messages(self, where: str, args: tuple) -> list[Message]:
        cols = "id, event, key, code, phone, written, text, state, attempts, not_before, last_error, ref, created"
        return [Message(*r) for r in self.db.execute(f"SELECT {cols} FROM messages WHERE {where}", args)]

    def handing(self, m: Message, ref: str | None, now: float) -> None:
        self.db.execute("UPDATE messages SET state='handing', ref=?, handed=?, attempts=attempts+1, held=NULL "
                        "WHERE id=?",
                        (ref, now, m.id))

    def handed(self, m: Message, ref: str | None, now: float) -> None:
        self.db.execute("UPDATE messages SET state='handed', ref=?, handed=? WHERE id=?", (ref, now, m.id))

    def sent(self, m: Message, now: float) -> None:
        self.db.execute("UPDATE messages SET state='sent', finished=?, last_error=NULL WHERE id=?", (now, m.id))

    def failed_try(self, m: Message, why: str, now: float) -> str:
        """A try that failed: queued again after a pause, or given up; the state it is left in."""
        attempts = self.db.execute("SELECT attempts FROM messages WHERE id=?", (m.id,)).fetchone()[0]
        if attempts > len(RETRY_S):
            self.give_up(m, why, now)
            return "failed"
        self.db.execute("UPDATE messages SET state='queued', last_error=?, not_before=? WHERE id=?",
                        (why, now + RETRY_S[attempts - 1], m.id))
        return "queued"

    def requeue(self, m: Message) -> None:
        """Back in the queue at once, the interrupted try not counted."""
        self.db.execute("UPDATE messages SET state='queued', attempts=MAX(attempts-1, 0) WHERE id=?", (m.id,))

    def give_up(self, m: Message, why: str, now: float) -> None:
        self.db.execute("UPDATE messages SET state='failed', last_error=?, finished=? WHERE id=?", (why, now, m.id))

    def defer(self, m: Message, until: float, why: str) -> None:
        """Held until ``until`` by a rule (``quiet``, ``daily``), which each pass judges again."""
        self.db.execute("UPDATE messages SET not_before=?, held=? WHERE id=?", (until, why, m.id))

    def rehold(self, why: str, until: float, only_later: bool = False) -> int:
        """The messages held for ``why`` now held until ``until`` (``only_later``: those held past it)."""
        later = "not_before>?" if only_later else "not_before<>?"
        return self.db.execute(f"UPDATE messages SET not_before=? WHERE state='queued' AND held=? AND {later}",
                               (until, why, until)).rowcount

    def answers_since(self, phone: str, since: float) -> int:
        """Answers made for a phone since then, whatever became of them: what the centre said."""
        return self.db.execute("SELECT COUNT(*) FROM messages WHERE event=? AND phone=? AND created>=?",
                               (ANSWER, phone, since)).fetchone()[0]

    def dossier_messages_handed_since(self, phone: str, since: float) -> int:
        """Dossier messages handed to a phone since then: what ``per_phone_daily`` counts. Answers and turn
        notices count apart (SPEC 11.1): a citizen who asked for a number must not lose that day's dossier news."""
        return self.db.execute("SELECT COUNT(*) FROM messages WHERE phone=? AND handed>=? AND state IN "
                               "('handed','sent','handing') AND event NOT IN (?,?)",
                               (phone, since, ANSWER, TURN)).fetchone()[0]

    def counts(self) -> dict[str, int]:
        return dict(self.db.execute("SELECT state, COUNT(*) FROM messages GROUP BY state").fetchall())

    # --- opt-outs, letters, inbound ----------------------------------------------------------
    def opted_out(self, phone: str, since: float | None = None) -> bool:
        """Whether the phone is on the opt-out list (``since``: put there, or again, after that moment; a following
        made in the same moment as a STOP came after it, since the STOP ended those before)."""
        return self.db.execute("SELECT 1 FROM optouts WHERE phone=? AND at>?",
                               (phone, since if since is not None else float("-inf"))).fetchone() is not None

    def opt_out(self, phone: str, how: str, now: float) -> None:
        """On the list, or its moment renewed: a STOP ends every following asked for before it."""
        self.db.execute("INSERT INTO optouts VALUES (?,?,?) ON CONFLICT (phone) DO UPDATE SET at=excluded.at, "
                        "how=excluded.how", (phone, now, how))

    def letter(self, key: str) -> str | None:
        row = self.db.execute("SELECT path FROM letters WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def add_letter(self, key: str, code: str, kind: str, path: str, now: float) -> None:
        self.db.execute("INSERT OR REPLACE INTO letters VALUES (?,?,?,?,?)", (key, code, kind, path, now))

    def next_letter_number(self, year: int, series: str = "letter") -> int:
        """The next "Số:" of a series (letters of apology, watch reports), restarting each year."""
        n = int(self.meta(f"{series}-{year}", "0")) + 1
        self.set_meta(f"{series}-{year}", n)
        return n

    # --- followed tickets (today's only) ------------------------------------------------------
    def follow(self, day: str, phone: str, label: str, service: str, how: str, near: bool, now: float) -> bool:
        """A ticket followed by a phone; False when it was already."""
        return self.db.execute("INSERT OR IGNORE INTO follows VALUES (?,?,?,?,?,?,0,?)",
                               (day, phone, label, service, how, int(near), now)).rowcount == 1

    def follows(self, day: str, *, phone: str | None = None, service: str | None = None,
                label: str | None = None) -> list[Follow]:
        """The day's followed tickets, those of a phone, a service or a label."""
        where, args = ["day=?"], [day]
        for column, value in (("phone", phone), ("service", service), ("label", label)):
            if value is not None:
                where.append(f"{column}=?")
                args.append(value)
        return [Follow(p, lb, sv, bool(n), bool(c), at) for p, lb, sv, n, c, at in self.db.execute(
            f"SELECT phone, label, service, near, called, at FROM follows WHERE {' AND '.join(where)} ORDER BY at",
            args)]

    def followed(self, day: str, f: Follow, what: str) -> None:
        """``near`` or ``called`` made for that follow (a call makes the near notice needless too)."""
        sets = "near=1, called=1" if what == "called" else "near=1"
        self.db.execute(f"UPDATE follows SET {sets} WHERE day=? AND phone=? AND label=?", (day, f.phone, f.label))

    def unfollow(self, phone: str) -> None:
        self.db.execute("DELETE FROM follows WHERE phone=?", (phone,))

    def forget_follows_before(self, day: str) -> None:
        self.db.execute("DELETE FROM follows WHERE day<?", (day,))

    def inbound_done(self, name: str) -> bool:
        return self.db.execute("SELECT 1 FROM inbound WHERE name=?", (name,)).fetchone() is not None

    def mark_inbound(self, name: str, now: float) -> None:
        self.db.execute("INSERT OR IGNORE INTO inbound VALUES (?,?)", (name, now))
