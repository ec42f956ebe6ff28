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
from ..config.followup import DEFAULT_TEMPLATES
from ..contract import DOSSIER_STATUSES
from ..hub import dossiers
from ..ratelimit import RateLimiter
from ..watch import WatchRow, watch_rows
from .events import Seen, local_date, on_change, overdue
from .hours import day_start, quiet_until, working
from .inbound import Ask, OwnVoice, read
from .outbox import ANSWER, TURN, Message, Outbox
from .papers import Apology
from .texts import compose, normalise_phone
from .transports import Incoming, TransportError
from .turns import DROPPED_LATE, Later, Turns, late

log = logging.getLogger(__name__)
NO_PHONE = "không có số di động hợp lệ / no valid mobile number"
LETTERS = "motcua.followup.letters"
OPTED_OUT = "người nhận đã từ chối nhận tin (STOP) / the citizen opted out"


class FollowUp:
    """The follow-up service: turns dossier changes into SMS and letters, writes the daily overdue watch, answers
    citizens' SMS, and hands the outbox to the SMS transport, one pass at a time (``run_once``)."""

    def __init__(self, cfg: SiteConfig, store_path: str, transport, clock: Callable[[], datetime]):
        self.cfg, self.f, self.sms, self.tz = cfg, cfg.followup, cfg.followup.sms, cfg.site.tz
        self.store_path, self.transport, self.clock = store_path, transport, clock
        self.outbox = Outbox(self.f.database)
        self.letters_dir = Path(self.f.letters_dir)
        self.lookups = RateLimiter()
        self.own_voice = OwnVoice((self.sms.template(t) for t in DEFAULT_TEMPLATES), self._fields())
        self.turns = Turns(self)       # numbers by SMS and turn notices, once given the broker (attach)
        self._store: sqlite3.Connection | None = None

    def take(self, cfg: SiteConfig) -> list[str]:
        """A new site document, live (SPEC 2.1), between two passes: SMS rules and templates, the letters' wording,
        holidays, the centre's name. The outbox, the letters folder and the transport were opened with the old one;
        ``cfg`` keeps their values until the next start, so nothing here needs one."""
        self.cfg, self.f, self.sms = cfg, cfg.followup, cfg.followup.sms
        self.own_voice = OwnVoice((self.sms.template(t) for t in DEFAULT_TEMPLATES), self._fields())
        self.turns.cfg, self.turns.sms = cfg, cfg.followup.sms
        return []

    # --- the hub's store, read-only ----------------------------------------------------------
    def store(self) -> sqlite3.Connection | None:
        if self._store is None:
            if not Path(self.store_path).exists():
                return None
            self._store = sqlite3.connect(f"file:{self.store_path}?mode=ro", uri=True, timeout=5,
                                          check_same_thread=False)
        return self._store

    def run_once(self, *more: tuple[str, Callable[[], object]]) -> list[str]:
        """One pass: each step under its own error handling, so one that fails (a store another
        writer broke, a full disk, a text that cannot be handled) never stops the others. The
        names of the steps that failed (each logged); a pass whose steps all ran is complete."""
        failed = []
        for name, step in (("recover", self.recover), ("scan", self.scan), ("daily", self.daily),
                           ("inbound", self.inbound), ("turns", self.turns.notices), ("holds", self.rejudge),
                           ("hand", self.hand),
                           ("collect", self.collect), *more):
            try:
                step()
            except Exception:
                log.exception("bước %s của lượt bị lỗi / step %s of the pass failed", name, name)
                failed.append(name)
        return failed

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
        first_due = (before.first_due if before else None) or d.due_at     # the date the citizen was given
        seen = Seen(d.status, d.due_at, d.note, first, first_due)
        for ev in on_change(before, seen, d.received_at, d.finished_at, d.code, now, self.tz):
            self.queue(ev.name, ev.key, d, now)
            if ev.name == "extended":
                try:
                    self.letter(d, now, first_due=first_due)
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
        """The letter of apology for a dossier's new due date; written once per new date. The first
        due date is the one the citizen was given: the first the follow-up saw (a dossier it never
        saw has only the date in force)."""
        key = f"extended|{d.code}|{d.due_at}"
        made = self.outbox.letter(key)
        if made and not force:
            return Path(made)
        seen = self.outbox.seen(d.code)
        first_due = first_due or (seen.first_due if seen else None)
        today = now.astimezone(self.tz).date()
        n = self.outbox.next_letter_number(today.year)
        due = local_date(d.due_at, self.tz) or today
        path = self.letters_dir / f"xin-loi-{d.code}-{today:%Y%m%d}-{due:%Y%m%d}.pdf"    # one per new date
        a = Apology(d.code, d.applicant, d.procedure, d.agency, local_date(d.received_at, self.tz),
                    local_date(first_due, self.tz), due, d.reason or "chưa nêu lý do")
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
        """Each text from a citizen once; one that cannot be handled costs only itself."""
        self.turns.hub_silent = False            # each pass asks the hub again
        for msg in self.transport.incoming():
            if self.outbox.inbound_done(msg.name):
                continue
            try:
                with self.outbox.transaction():
                    self.outbox.mark_inbound(msg.name, self.clock().timestamp())
                    self._heard(msg)
            except Later as e:            # asked again, under the same command_id, at the next pass
                log.warning("tin nhắn %s chờ lượt sau / the SMS %s waits for the next pass: %s", msg.name, msg.name, e)
            except Exception:
                log.exception("không xử lý được tin nhắn đến / could not handle the incoming SMS %s", msg.name)
                with self.outbox.transaction():
                    self.outbox.mark_inbound(msg.name, self.clock().timestamp())

    def _heard(self, msg: Incoming) -> None:
        """SPEC 11.1: a command gets its answer, anything else one help text a day; never an answer
        to a text that reads like the centre's own, never more than ``answers_daily`` to a phone."""
        phone, now = normalise_phone(msg.phone), self.clock()
        if phone is None:                 # an operator's notice, a short code: no one to answer
            return
        if self.own_voice.heard(msg.text):
            log.info("không trả lời tin giống tin của trung tâm / no answer to a text that reads like the centre's "
                     "own, from %s", phone)
            return
        ask = read(msg.text)
        if ask.kind in ("take", "follow") and not self.turns.on:
            ask = Ask("help")             # numbers and turns by SMS need the broker: the --once pass has none
        if ask.kind == "stop":
            self.outbox.opt_out(phone, "sms", now.timestamp())
            self.outbox.unfollow(phone)
        elif ask.kind == "lookup" and not (self.sms.answer_lookups and self.lookups.allow(phone)):
            return
        today = day_start(now, self.tz)
        if self.outbox.answers_since(phone, today.timestamp()) >= self.sms.answers_daily:
            log.info("đã đủ %d tin trả lời hôm nay cho %s / answers for today used up", self.sms.answers_daily, phone)
            return
        if ask.kind == "stop":
            self._answer(phone, "stop", msg.name, {}, now)
        elif ask.kind == "lookup":
            self._lookup(phone, ask.code, msg.name, now)
        elif ask.kind == "take":
            self.turns.take(phone, ask.words, msg, now)
        elif ask.kind == "follow":
            self.turns.follow(phone, ask.label, msg.name, now)
        else:                             # one a day: the key is the phone and the day
            self._answer(phone, "help", f"help|{phone}|{today.date()}", {}, now)

    def _lookup(self, phone: str, code: str, name: str, now: datetime) -> None:
        """The status and due date; an unknown code is named back only because it is well formed."""
        db = self.store()
        d = dossiers.find(db, code) if db is not None else None
        if d is None:
            self._answer(phone, "lookup_unknown", name, {"code": code}, now)
        else:
            self._answer(phone, "lookup", name, {"code": d.code, "status": DOSSIER_STATUSES[d.status][0],
                                                 "due": local_date(d.due_at, self.tz) or now.date()}, now)

    def _answer(self, phone: str, template: str, key: str, fields: dict, now: datetime) -> None:
        written, text = compose(self.sms.template(template), self._fields(**fields), self.sms.unicode)
        self.outbox.add(ANSWER, key, fields.get("code"), phone, written, text, now.timestamp(), now.timestamp())

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
                    later, why = self._hold(m, now)
                    if m.event == TURN and late(m.created, now):
                        self.outbox.give_up(m, DROPPED_LATE, now.timestamp())
                        log.warning("bỏ tin báo lượt %d vì đã muộn / dropped the turn notice %d: late", m.id, m.id)
                    elif later is not None:
                        self.outbox.defer(m, later.timestamp(), why)
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
        """None when handed, else why not: one message the transport chokes on costs that try only."""
        try:
            self.transport.hand(m, ref)
        except TransportError as e:
            return str(e)
        except Exception as e:
            log.exception("đường gửi tin lỗi với tin %d / the transport failed on SMS %d", m.id, m.id)
            return f"{type(e).__name__}: {e}"[:300]
        return None

    def _hold(self, m: Message, now: datetime) -> tuple[datetime | None, str | None]:
        """When a due message must wait instead, and why: quiet hours, or the phone's daily allowance used.
        A turn notice never waits: the citizen is in the queue now (SPEC 11.1)."""
        if m.event == TURN:
            return None, None
        local = now.astimezone(self.tz)
        quiet = quiet_until(local, *self.sms.quiet)
        if quiet is not None:
            return quiet, "quiet"
        today = day_start(local, self.tz)
        if m.event != ANSWER and self.outbox.dossier_messages_handed_since(m.phone, today.timestamp()) >= \
                self.sms.per_phone_daily:
            return today + timedelta(days=1), "daily"
        return None, None

    def rejudge(self) -> None:
        """Held messages judged again under this pass's rules and clock: quiet hours changed in the
        config, or over, release theirs now (or move them to the new end); a changed daily allowance
        releases its own; a clock set back never leaves a message held past tomorrow."""
        now = self.clock().astimezone(self.tz)
        quiet = quiet_until(now, *self.sms.quiet)
        tomorrow = day_start(now, self.tz) + timedelta(days=1)
        allowance = str(self.sms.per_phone_daily)
        with self.outbox.transaction():
            self.outbox.rehold("quiet", (quiet or now).timestamp())
            if self.outbox.meta("per_phone_daily", allowance) != allowance:
                self.outbox.rehold("daily", now.timestamp())
            else:
                self.outbox.rehold("daily", tomorrow.timestamp(), only_later=True)
            self.outbox.set_meta("per_phone_daily", allowance)

    def collect(self) -> None:
        """What the daemon did with the messages handed to it. A turn notice still waiting in the
        daemon's outbox when it would be late (the modem gone, the daemon stopped) is taken back."""
        handed = self.outbox.in_state("handed")
        results = self.transport.results(handed) if handed else {}
        clock = self.clock()
        stale = [m for m in handed if m.event == TURN and m.id not in results and late(m.created, clock)]
        if not results and not stale:
            return
        now = clock.timestamp()
        with self.outbox.transaction():
            for m in stale:
                if self.transport.retract(m.ref or ""):
                    self.outbox.give_up(m, DROPPED_LATE, now)
                    log.warning("rút lại tin báo lượt %d vì đã muộn / took back the late turn notice %d", m.id, m.id)
            for m in handed:
                if m.id not in results:
                    continue
                if results[m.id] is None:
                    self.outbox.sent(m, now)
                else:
                    state = self.outbox.failed_try(m, results[m.id], now)
                    log.warning("tin %d chưa gửi được / SMS %d failed (%s): %s", m.id, m.id, state, results[m.id])

