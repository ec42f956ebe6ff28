"""SQLite as every process that keeps a database uses it: a durable connection and one transaction helper.

Shared by the hub (its ledger and dossiers), the follow-up (its outbox) and the console's tests, so none of
them reaches into the hub's package for it. WAL with ``synchronous=FULL``: a commit is on disk before anyone
is told about it, and a process killed at any moment leaves a consistent database.
"""
from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def durable(path: str | Path) -> sqlite3.Connection:
    """A connection to a database file (made if needed) in WAL mode, each commit on the disk; for
    the hub's stores and the follow-up's outbox. Another process may have it open already (an
    import beside the running hub): switching to WAL takes the whole file, so it is done once."""
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        # made group-writable (less the umask): SQLite gives the -wal and -shm files the database's mode, and
        # the readers in the group (the follow-up, the console: their own users) write -shm, or make both
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o660))
    db = sqlite3.connect(str(path), isolation_level=None, timeout=30, check_same_thread=False)
    if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    return db


@contextmanager
def transaction(db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE ... COMMIT; inside an open one, a savepoint.

    The hub opens one transaction around every batch of requests that arrived together (group
    commit: one fsync for the batch); each request is a savepoint in it, so a failing request
    rolls back alone. Replies go out only after the outer COMMIT. A COMMIT that fails (disk full,
    I/O error, a deferred constraint) may leave SQLite's transaction open: it is rolled back here,
    or every later request would land in a savepoint of a transaction never committed.
    """
    if db.in_transaction:
        db.execute("SAVEPOINT request")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK TO request")
            db.execute("RELEASE request")
            raise
        db.execute("RELEASE request")
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.execute("ROLLBACK")
        raise
    try:
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise
