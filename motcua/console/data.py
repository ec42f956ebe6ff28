"""What the console reads from disk, read-only: the hub's ledger and dossier store, the follow-up's
outbox and letters (SPEC section 12: "figures are read from the hub's databases read-only").

A connection is opened per request in a worker thread (``mode=ro``: the console can never write
the ledger, and a WAL reader never blocks the hub). A database that does not exist yet is None,
and the page says so instead of failing.
"""
from __future__ import annotations

import re
import sqlite3
import threading
import time
from contextlib import closing, contextmanager
from datetime import date, datetime
from pathlib import Path

from ..config import SiteConfig
from ..hub import dossiers
from ..hub.figures import range_figures
from ..hub.views import Views
from ..service_day import service_day
from ..watch import watch_rows
from .dossier_report import dossier_report

MAX_RANGE_DAYS = 3 * 366


@contextmanager
def readonly(path: str):
    """Open an SQLite database read-only for the console, which must never write the hub's files; yields None while the
    file does not exist yet (a fresh hall) instead of creating it."""
    if not Path(path).exists():
        yield None
        return
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10, check_same_thread=False)
    db.row_factory = sqlite3.Row
    with closing(db):
        yield db


def today(cfg: SiteConfig, now: datetime | None = None) -> date:
    """The service day it is now in the site's zone (SPEC section 3)."""
    return service_day(now or datetime.now(cfg.site.tz), cfg.site.tz, cfg.site.day_start)


class RangeError(ValueError):
    """A report's day range the console cannot use (not a date, backwards, too long); its text is shown to the user as
    is, in both languages."""
    pass


def day_range(cfg: SiteConfig, first: str | None, last: str | None, now: datetime) -> tuple[date, date]:
    """``?from=&to=`` (ISO dates) -> a checked range; today when absent."""
    day = today(cfg, now)
    try:
        a = date.fromisoformat(first) if first else day
        b = date.fromisoformat(last) if last else a
    except ValueError:
        raise RangeError("dd là ngày dạng 2026-12-04 / days look like 2026-12-04") from None
    if b < a:
        raise RangeError("ngày cuối trước ngày đầu / the last day is before the first")
    if (b - a).days >= MAX_RANGE_DAYS:
        raise RangeError(f"tối đa {MAX_RANGE_DAYS} ngày / at most {MAX_RANGE_DAYS} days")
    return a, b


def figures(cfg: SiteConfig, first: date, last: date) -> dict | None:
    """The ledger's figures for the days ``first`` to ``last`` inclusive, as the hub counts them; None when the hub has
    no ledger yet."""
    with readonly(cfg.hub.database) as db:
        if db is None:
            return None
        return range_figures(db, first.isoformat(), last.isoformat(), [s.id for s in cfg.services],
                             [c.id for c in cfg.counters], cfg.site.tz)


def report(cfg: SiteConfig, first: date, last: date, today: date) -> dict | None:
    """The dossiers report (form 06/VPCP/KSTT) for the days ``first`` to ``last``; ``today`` decides which open dossiers
    are late. None when there is no dossier store yet."""
    with readonly(dossiers.store_path(cfg)) as db:
        return None if db is None else dossier_report(db, first, last, today)


def mask_phone(phone: str | None) -> str:
    """+84912345678 -> +8491****678: enough to tell two citizens apart on a supervisor's screen."""
    if not phone:
        return ""
    return phone[:5] + "*" * max(0, len(phone) - 8) + phone[-3:]


def followup(cfg: SiteConfig, today: date, limit: int = 200) -> dict | None:
    """The outbox by state, its latest messages, opt-outs, letters and the overdue watch."""
    f = cfg.followup
    if f is None:
        return None
    out: dict = {"counts": {}, "messages": [], "optouts": [], "letters": [], "watch": []}
    letters: set[str] = set()
    with readonly(f.database) as db:
        if db is not None:
            out["counts"] = dict(db.execute("SELECT state, COUNT(*) FROM messages GROUP BY state").fetchall())
            out["messages"] = [{**dict(r), "phone": mask_phone(r["phone"])} for r in db.execute(
                "SELECT id, event, code, phone, written, state, attempts, last_error, created, finished "
                "FROM messages ORDER BY id DESC LIMIT ?", (limit,))]
            out["optouts"] = [{"phone": mask_phone(p), "at": at, "how": how}
                              for p, at, how in db.execute("SELECT phone, at, how FROM optouts ORDER BY at DESC")]
            out["letters"] = [dict(r) for r in db.execute(
                "SELECT key, code, kind, path, made FROM letters ORDER BY made DESC LIMIT ?", (limit,))]
            letters = {r["key"] for r in out["letters"]}
    with readonly(dossiers.store_path(cfg)) as store:
        if store is not None:
            out["watch"] = watch_rows(store, today, cfg.site.tz, f.holidays,
                                      lambda code, due: f"extended|{code}|{due}" in letters)
    return out


def letter_file(cfg: SiteConfig, name: str) -> Path | None:
    """A letter the follow-up wrote, by its bare file name, only from its letters folder."""
    if cfg.followup is None or not re.fullmatch(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,200}", name):
        return None
    folder = Path(cfg.followup.letters_dir).resolve()
    candidate = (folder / name).resolve()
    if candidate.parent != folder or candidate.suffix not in (".pdf", ".csv") or not candidate.is_file():
        return None
    return candidate


class LedgerReader:
    """One read-only connection to the ledger for the live pages (counter panels, phone pages),
    shared by the worker threads under a lock: hundreds of phones each asking "how many ahead"
    cost an indexed count each, not a connection each. The hub's own ``Views`` answer, so a
    phone says what the wall screen and the ticket say."""

    def __init__(self, cfg: SiteConfig):
        self.cfg, self.lock, self.db = cfg, threading.Lock(), None

    def _views(self) -> Views | None:
        if self.db is None and Path(self.cfg.hub.database).exists():
            self.db = sqlite3.connect(f"file:{self.cfg.hub.database}?mode=ro", uri=True, timeout=10,
                                      check_same_thread=False)
            self.db.row_factory = sqlite3.Row
        return None if self.db is None else Views(self.db, self.cfg)

    def today(self) -> str:
        return today(self.cfg).isoformat()

    def waiting(self, services: tuple[str, ...], limit: int = 60) -> list[dict]:
        """The tickets waiting for these services, oldest first (labels and times only: nothing a
        clerk could pick a citizen by; whom NEXT calls is the hub's rule, priority included)."""
        with self.lock:
            views = self._views()
            if views is None or not services:
                return []
            rows = views.db.execute(
                f"SELECT label, service, priority, issued_at FROM tickets WHERE day=? AND status IN "
                f"('waiting','pending') AND service IN ({','.join('?' * len(services))}) "
                f"ORDER BY issued_at, seq LIMIT ?", (self.today(), *services, limit)).fetchall()
            return [dict(r) for r in rows]

    def tickets(self, day: str, labels: list[str]) -> dict[str, dict]:
        """Tickets of ``day`` by label, as the hub would publish them, plus the counter that called each."""
        with self.lock:
            views = self._views()
            return {} if views is None else views.tickets(day, labels)


class Recent:
    """Figures and reports recently computed, by range: twenty browsers opening the same page at
    once compute it once. A range that ends before today never changes (kept 10 minutes); one
    that holds today is kept ``live_s`` seconds, so what a supervisor reads is at most that old."""

    def __init__(self, cfg: SiteConfig, live_s: float = 5.0, past_s: float = 600.0, size: int = 64):
        self.cfg, self.live_s, self.past_s, self.size = cfg, live_s, past_s, size
        self.lock = threading.Lock()
        self.kept: dict[tuple, tuple[float, object]] = {}

    def figures(self, first: date, last: date, today: date) -> dict | None:
        return self._get(("figures", first, last), last >= today, lambda: figures(self.cfg, first, last))

    def report(self, first: date, last: date, today: date) -> dict | None:
        return self._get(("report", first, last, today), last >= today, lambda: report(self.cfg, first, last, today))

    def _get(self, key: tuple, live: bool, compute):
        now = time.monotonic()
        with self.lock:
            hit = self.kept.get(key)
            if hit is not None and hit[0] > now:
                return hit[1]
            value = compute()          # under the lock: the second of two at once waits and reuses
            if len(self.kept) >= self.size:
                self.kept = {k: v for k, v in self.kept.items() if v[0] > now}
            self.kept[key] = (now + (self.live_s if live else self.past_s), value)
            return value
