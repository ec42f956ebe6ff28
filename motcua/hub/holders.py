"""A citizen's own limits and priority by age (SPEC 3.1), read and written inside the ledger's
transaction: the hub is the one writer of every limit, so two kiosks (or a kiosk and the SMS
follow-up) never let one person past it together.

A holder is known only by a keyed hash (``wire.Holder``), kept in ``holders`` for the service day
and deleted at the day's change, from the -wal file too (``purge_wal``); nothing here logs it.
"""
from __future__ import annotations

import logging
import sqlite3
from datetime import datetime

from ..config import Service, SiteConfig
from ..contract import ContractError
from .wire import SMS, Holder

REMOTE_PER_SERVICE, REMOTE_IN_ALL = 1, 2      # one number by SMS per phone per service a day, two in all
PURGE_WAIT_MS = 2000                          # the day change's checkpoint waits this long for a reader, no more

log = logging.getLogger(__name__)


def _taken(db: sqlite3.Connection, day: str, h: Holder) -> dict[str, int]:
    """Numbers this holder took today, by issuing service; a voided one never reached them."""
    return dict(db.execute(
        "SELECT h.service, COUNT(*) FROM holders h JOIN tickets t ON t.id = h.ticket_id "
        "WHERE h.day=? AND h.kind=? AND h.hash=? AND t.status!='void' GROUP BY h.service", (day, h.kind, h.hash)))


def _refuse(vi: str, en: str) -> ContractError:
    return ContractError("person_limit_reached", vi, en)


def check(db: sqlite3.Connection, cfg: SiteConfig, svc: Service, day: str, source: str | None,
          holders: tuple[Holder, ...]) -> None:
    """Raise the refusal a number for ``svc`` meets, if any: the remote rules for ``source: sms``,
    then each holder's own limits."""
    if source == SMS:
        _remote_limit(db, svc, day)
    for h in holders:
        taken = _taken(db, day, h)
        if h.kind == "card":
            per_service, in_all = svc.per_person_daily, cfg.site.per_person_daily
        else:
            per_service, in_all = REMOTE_PER_SERVICE, REMOTE_IN_ALL
        if per_service is not None and taken.get(svc.id, 0) >= per_service:
            raise _refuse(f"tối đa {per_service} số {svc.name.vi} một ngày",
                          f"at most {per_service} for {svc.name.en} a day")
        if in_all is not None and sum(taken.values()) >= in_all:
            raise _refuse(f"tối đa {in_all} số một ngày", f"at most {in_all} a day")


def allowed(svc: Service, source: str | None) -> None:
    """A number by SMS only for a service with ``remote: true``; checked before its hours."""
    if source == SMS and not svc.remote:
        raise ContractError("not_allowed", f"{svc.name.vi} không nhận lấy số từ xa",
                            f"{svc.name.en} takes no remote numbers")


def _remote_limit(db: sqlite3.Connection, svc: Service, day: str) -> None:
    limit = svc.remote_limit
    if limit is None:
        return
    remote = db.execute("SELECT COUNT(*) FROM tickets WHERE day=? AND origin_service=? AND source=? "
                        "AND status!='void'", (day, svc.id, SMS)).fetchone()[0]
    if remote >= limit:
        raise ContractError("remote_limit_reached", svc.name.vi, svc.name.en)


def elderly(cfg: SiteConfig, holders: tuple[Holder, ...], now: float) -> bool:
    """The birth year makes the card's holder ``priority.age`` or older this year (the Law on the
    Elderly counts years, not birthdays)."""
    year = datetime.fromtimestamp(now, cfg.site.tz).year
    return any(h.birth_year is not None and year - h.birth_year >= cfg.priority.age for h in holders)


def record(db: sqlite3.Connection, ticket_id: str, day: str, service: str, holders: tuple[Holder, ...]) -> None:
    """Remember the hashed holders of a ticket just issued, inside the ledger's transaction, so the per-person limits
    count it; the rows go with the day's change."""
    db.executemany("INSERT INTO holders VALUES (?,?,?,?,?)",
                   [(ticket_id, day, service, h.kind, h.hash) for h in holders])


def forget_before(db: sqlite3.Connection, day: str) -> None:
    """The day's change: no hash outlives its service day."""
    db.execute("DELETE FROM holders WHERE day<?", (day,))


def purge_wal(db: sqlite3.Connection) -> bool:
    """After the commit that forgot a day's hashes: the database's pages overwritten (secure_delete), but the -wal
    file still holds them as they were, frame after frame, until a checkpoint copies it in and cuts it to nothing.
    Litestream, when it copies the hub, holds a read lock such a checkpoint waits for: at most
    ``PURGE_WAIT_MS``, not to hold the queue up, then the -wal waits for Litestream's own checkpoint. True when
    the -wal was emptied. Outside a transaction only (a checkpoint sees committed pages alone)."""
    (before,) = db.execute("PRAGMA busy_timeout").fetchone()
    db.execute(f"PRAGMA busy_timeout={PURGE_WAIT_MS}")
    try:
        busy, _, _ = db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    finally:
        db.execute(f"PRAGMA busy_timeout={int(before)}")
    if busy:
        log.warning("tệp -wal còn giữ trang cũ đến lần checkpoint sau / the -wal keeps old pages until the next "
                    "checkpoint: a reader held it")
    return not busy
