"""The follow-up's passes (SPEC section 11): dossier changes into messages, the daily watch, texts
from citizens, handing messages over and learning how they went.

It reads the hub's dossier store read-only (a WAL reader never blocks an import or a pull) and
writes only its own database. Everything it decides is committed before it acts: a message is in
the outbox before it is handed over, marked ``handing`` before the transport is touched.
"""
from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from ..child import in_a_child
from ..config import SiteConfig
from ..contract import DOSSIER_OPEN, DOSSIER_STATUSES, normalise_dossier_code
from ..hub import dossiers
from ..hub.lookup import RateLimiter
from .events import Seen, local_date, on_change, overdue
from .hours import day_start, next_working, quiet_until, working
from .outbox import Message, Outbox
from .papers import Apology, WatchRow
from .texts import compose, fold, normalise_phone
from .transports import TransportError

log = logging.getLogger("motcua.followup")
NO_PHONE = "không có số di động hợp lệ / no valid mobile number"
LETTERS = "motcua.followup.letters"
OPTED_OUT = "người nhận đã từ chối nhận tin (STOP) / the citizen opted out"


class FollowUp:
    def __init__(self, cfg: SiteConfig, store_path: str, transport, clock: Callable[[], datetime]):
        self.cfg, self.f, self.sms, self.tz = cfg, cfg.followup, cfg.followup.sms, cfg.site.tz
        self.store_path, self.transport, self.clock = store_path, transport, clock
        self.outbox = Outbox(self.f.database)
        self.letters_dir = Path(self.f.letters_dir)
        self.lookups = RateLimiter()
        self._store: sqlite3.Connection | None = None

    # --- the hub's store, read-only ----------------------------------------------------------
    def store(self) -> sqlite3.Connection | None:
        if self._store is None:
            if not Path(self.store_path).exists():
                return None
            self._store = sqlite3.connect(f"file:{self.store_path}?mode=ro", uri=True, timeout=5,
                                          check_same_thread=False)
        return self._store

    def run_once(self) -> None:
        self.scan()
        self.daily()
        self.inbound()
        self.hand()
        self.collect()

    # --- dossier changes -> messages -----------------------------------------------------------
    def scan(self, batch: int = 1000) -> int:
        """Every dossier changed since the last look; one transaction per batch, cursor included."""
        db, seen_count = self.store(), 0
        if db is None:
            return 0
        while True:
            cursor = int(self.outbox.meta("cursor", "0"))
            try:
                rows = dossiers.changed_since(db, cursor, batch)
            except sqlite3.Error as e:
                log.warning("chưa đọc được kho hồ sơ / cannot read the dossier store yet: %s", e)
                return seen_count
            if not rows:
                return seen_count
            now = self.clock()
            with self.outbox.transaction():
                for _, d in rows:
                    try:
                        with self.outbox.transaction():     # a savepoint in the batch's
                            self._saw(d, now)
                    except Exception:        # one odd row must not stop every later one
                        log.exception("bỏ qua hồ sơ không xử lý được / skipped a dossier it could not handle: %s",
                                      d.code)
                self.outbox.set_meta("cursor", rows[-1][0])
            seen_count += len(rows)

    def _saw(self, d: dossiers.Dossier, now: datetime) -> None:
        before = self.outbox.seen(d.code)
        first = before.first_seen if before else now.astimezone(self.tz).date().isoformat()
        seen = Seen(d.status, d.due_at, d.note, first)
        for ev in on_change(before, seen, d.received_at, d.finished_at, d.code, now, self.tz):
            self.queue(ev.name, ev.key, d, now)
            if ev.name == "extended":
                try:
                    self.letter(d, now, first_due=before.due_at if before else None)
                except Exception:            # the SMS still goes; the letter can be made with --letter
                    log.exception("không viết được thư xin lỗi / could not write the letter for %s", d.code)
        self.outbox.see(d.code, seen)

    def queue(self, event: str, key: str, d: dossiers.Dossier, now: datetime) -> None:
        """One message into the outbox, in the caller's transaction; made once per (event, key)."""
        fields = self._fields(code=d.code, procedure=d.procedure, note=d.note, agency=d.agency,
                              due=local_date(d.due_at, self.tz) or now.astimezone(self.tz).date(),
                              reason=d.reason or "", status=DOSSIER_STATUSES[d.status][0])
        phone, state, error = normalise_phone(d.phone), "queued", None
        try:
            written, text = compose(self.sms.template(event), fields, self.sms.unicode)
        except ValueError as e:
            written, text, state, error = "", "", "failed", str(e)
        if phone is None:
            state, error = "failed", NO_PHONE
        elif self.outbox.opted_out(phone):
            state, error = "failed", OPTED_OUT
        if self.outbox.add(event, key, d.code, phone, written, text, now.timestamp(), now.timestamp(), state, error):
            log.info("tin nhắn %s cho %s: %s / SMS %s queued (%s)", event, d.code, written, event, state)

    def _fields(self, **more) -> dict:
        """What every text may name: the centre's short name and phone, then the dossier's fields."""
        return {"centre": self.sms.centre or self.cfg.site.name, "centre_phone": self.sms.centre_phone, **more}

    # --- letters -------------------------------------------------------------------------------
    def letter(self, d: dossiers.Dossier, now: datetime, first_due: str | None = None, force: bool = False) -> Path:
        """The letter of apology for a dossier's new due date; written once per new date."""
        key = f"extended|{d.code}|{d.due_at}"
        made = self.outbox.letter(key)
        if made and not force:
            return Path(made)
        today = now.astimezone(self.tz).date()
        n = self.outbox.next_letter_number(today.year)
        path = self.letters_dir / f"xin-loi-{d.code}-{today:%Y%m%d}.pdf"
        a = Apology(d.code, d.applicant, d.procedure, d.agency, local_date(d.received_at, self.tz),
                    local_date(first_due, self.tz), local_date(d.due_at, self.tz) or today,
                    d.reason or "chưa nêu lý do")
        number = self.f.letter.number.format(n=n, year=today.year)
        in_a_child(LETTERS, "apology_letter", self.f.letter, a, number, today, path)
        self.outbox.add_letter(key, d.code, "extended", str(path), now.timestamp())
        log.info("đã viết thư xin lỗi / wrote the letter of apology: %s", path)
        return path

    # --- the daily watch -------------------------------------------------------------------------
    def daily(self, force: bool = False) -> Path | None:
        """At ``daily_at`` on a working day, once: overdue messages and the watch report."""
        now = self.clock().astimezone(self.tz)
        today = now.date()
        due = now.strftime("%H:%M") >= self.f.daily_at and working(today, self.f.holidays)
        if not force and (not due or self.outbox.meta("watched") == today.isoformat()):
            return None
        db = self.store()
        if db is None:
            return None
        rows = self._watch_rows(db, today)
        with self.outbox.transaction():
            for code, seen in self.outbox.all_seen():
                ev = overdue(seen, code, today, self.tz)
                found = dossiers.find(db, code) if ev else None
                if found is not None:
                    self.queue(ev.name, ev.key, found, now)
            n = self.outbox.next_letter_number(today.year, "watch")
            self.outbox.set_meta("watched", today.isoformat())
        pdf = self.letters_dir / f"theo-doi-qua-han-{today:%Y%m%d}.pdf"
        number = self.f.letter.watch_number.format(n=n, year=today.year)
        in_a_child(LETTERS, "watch_report", self.f.letter, rows, number, today, pdf, pdf.with_suffix(".csv"))
        with self.outbox.transaction():
            self.outbox.add_letter(f"watch|{today}", "", "watch", str(pdf), now.timestamp())
        log.info("danh sách theo dõi / the overdue watch: %d dossiers, %s", len(rows), pdf)
        return pdf

    def _watch_rows(self, db: sqlite3.Connection, today) -> list[WatchRow]:
        return watch_rows(db, today, self.tz, self.f.holidays,
                          lambda code, due: self.outbox.letter(f"extended|{code}|{due}") is not None)

    # --- texts from citizens -------------------------------------------------------------------
    def inbound(self) -> None:
        for msg in self.transport.incoming():
            if self.outbox.inbound_done(msg.name):
                continue
            phone, now = normalise_phone(msg.phone), self.clock()
            words = fold(msg.text).strip().upper().split()
            with self.outbox.transaction():
                self.outbox.mark_inbound(msg.name, now.timestamp())
                if phone is None:
                    continue
                if words[:1] == ["STOP"]:
                    self.outbox.opt_out(phone, "sms", now.timestamp())
                    self._answer(phone, "stop", msg.name, {}, now)
                elif self.sms.answer_lookups and self.lookups.allow(phone):
                    self._lookup(phone, " ".join(words[1:] if words[:1] == ["HS"] else words), msg.name, now)

    def _lookup(self, phone: str, text: str, name: str, now: datetime) -> None:
        code, db = normalise_dossier_code(text), self.store()
        d = dossiers.find(db, code) if code and db is not None else None
        if d is None:
            self._answer(phone, "lookup_unknown", name, {"code": code or text[:30]}, now)
        else:
            self._answer(phone, "lookup", name, {"code": d.code, "status": DOSSIER_STATUSES[d.status][0],
                                                 "due": local_date(d.due_at, self.tz) or now.date()}, now)

    def _answer(self, phone: str, template: str, name: str, fields: dict, now: datetime) -> None:
        written, text = compose(self.sms.template(template), self._fields(**fields), self.sms.unicode)
        self.outbox.add("answer", name, fields.get("code"), phone, written, text, now.timestamp(), now.timestamp())

    # --- handing over ----------------------------------------------------------------------------
    def recover(self) -> None:
        """At start: messages left ``handing`` by a follow-up that was killed in the middle."""
        with self.outbox.transaction():
            for m in self.outbox.in_state("handing"):
                if self.transport.find(m.ref or ""):
                    self.outbox.handed(m, m.ref, self.clock().timestamp())
                    if self.transport.immediate:
                        self.outbox.sent(m, self.clock().timestamp())
                elif self.transport.knows:      # certainly not handed: it goes now, as if nothing happened
                    self.outbox.requeue(m)
                else:      # an HTTP gateway may or may not have it: never risk sending it twice
                    self.outbox.give_up(m, "the follow-up stopped while handing it over; not sent again, "
                                           "lest it arrive twice", self.clock().timestamp())

    def hand(self, batch_size: int = 200) -> int:
        """Every message due now, oldest first, a batch at a time: the batch is marked ``handing`` in
        one transaction, handed over, then its outcomes written in another (two commits a batch)."""
        handed = 0
        while True:
            now = self.clock()
            batch = self.outbox.due(now.timestamp(), batch_size)
            if not batch:
                return handed
            ready = []
            with self.outbox.transaction():
                for m in batch:
                    later = self._hold(m, now)
                    if later is not None:
                        self.outbox.defer(m, later.timestamp())
                    else:
                        ready.append((m, f"m{m.id}a{m.attempts + 1}"))
                        self.outbox.handing(m, ready[-1][1], now.timestamp())
            outcomes = [(m, ref, self._try(m, ref)) for m, ref in ready]
            with self.outbox.transaction():
                for m, ref, error in outcomes:
                    at = self.clock().timestamp()
                    if error is not None:
                        state = self.outbox.failed_try(m, error, at)
                        log.warning("chưa gửi được tin %d / SMS %d not handed over (%s): %s", m.id, m.id, state, error)
                        continue
                    self.outbox.handed(m, ref, at)
                    if self.transport.immediate:
                        self.outbox.sent(m, at)
                    log.info("đã chuyển tin %d tới %s / SMS handed over: %s", m.id, m.phone, m.text)
                    handed += 1

    def _try(self, m: Message, ref: str) -> str | None:
        try:
            self.transport.hand(m, ref)
        except TransportError as e:
            return str(e)
        return None

    def _hold(self, m: Message, now: datetime) -> datetime | None:
        """When a due message must wait instead: quiet hours, or the phone's daily allowance used."""
        local = now.astimezone(self.tz)
        quiet = quiet_until(local, *self.sms.quiet)
        if quiet is not None:
            return quiet
        today = day_start(local, self.tz)
        if m.event != "answer" and self.outbox.handed_to_phone_since(m.phone, today.timestamp()) >= \
                self.sms.per_phone_daily:
            return today + timedelta(days=1)
        return None

    def collect(self) -> None:
        """What the daemon did with the messages handed to it."""
        handed = self.outbox.in_state("handed")
        results = self.transport.results(handed) if handed else {}
        if not results:
            return
        now = self.clock().timestamp()
        with self.outbox.transaction():
            for m in handed:
                if m.id not in results:
                    continue
                if results[m.id] is None:
                    self.outbox.sent(m, now)
                else:
                    state = self.outbox.failed_try(m, results[m.id], now)
                    log.warning("tin %d chưa gửi được / SMS %d failed (%s): %s", m.id, m.id, state, results[m.id])


def watch_rows(db: sqlite3.Connection, today, tz, holidays, extended: Callable[[str, str], bool]) -> list[WatchRow]:
    """The open dossiers due by the next working day, late ones first within each agency; the
    console shows the same list. ``extended(code, due_at)``: whether its apology was written."""
    horizon = next_working(today, holidays)
    until = (datetime.combine(horizon, datetime.min.time(), tz) + timedelta(days=1)).isoformat()
    marks = ",".join("?" * len(DOSSIER_OPEN))
    found = db.execute(f"SELECT code FROM dossiers WHERE due_at < ? AND status IN ({marks})",
                       (until, *DOSSIER_OPEN)).fetchall()   # an extension only moves a date later
    rows = []
    for (code,) in found:
        d = dossiers.find(db, code)
        due = local_date(d.due_at, tz)
        if d.due_at >= until or due is None:
            continue
        late = (today - due).days
        state = (f"Quá hạn {late} ngày" if late > 0 else "Đến hạn hôm nay" if late == 0
                 else f"Đến hạn ngày {due:%d/%m/%Y}")
        rows.append(WatchRow(d.agency, code, d.procedure, d.applicant, due, state,
                             late <= 0 and not extended(code, d.due_at)))
    return sorted(rows, key=lambda r: (r.agency, r.due, r.code))
