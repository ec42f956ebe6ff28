"""Numbers by SMS and the notices of a citizen's turn (SPEC 3.1, 11.1).

``LS <service>`` asks the hub for a number (``ticket/issue`` with ``source: "sms"`` and the phone's
keyed hash): the hub is the one writer of every limit, the follow-up only says its answer. The
request's ``command_id`` is made from the incoming text itself, so a follow-up restarted between
the hub's reply and its own commit asks again under the same id and gets the same ticket.

A number taken by SMS, and any ticket of today asked for by ``STT <label>``, is followed: one
notice when ``turn_near`` or fewer wait ahead of it, one when it is called. How many wait ahead of
a followed ticket is counted from the hub's retained ``service/<S>/state``, not asked of the hub
(no request names a ticket's place, and asking at every change would cost the hub a query per
followed ticket per change): its ``waiting`` tickets less those issued after it, known from
``last_issued`` because numbers rise by one per ticket. A later ticket voided, or a priority one
called first, only makes that count smaller — a notice may come a little early, never late.
Notices go out in quiet hours too and are dropped, not sent late, when they could not go within
``LATE_S`` of their moment.
"""
from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Iterable
from datetime import datetime

from ..config import Service
from ..contract import ANY, Topics, hall_message, parse_label, ticket_id_of
from ..hubclient import HubClient, HubUnavailable
from ..personal import SecretProblem, keyed_hash, read_secret
from ..service_day import in_hours, next_opening, service_day
from .inbound import flat
from .outbox import TURN, Follow  # TURN: one notice per (ticket, phone, near | called)
from .texts import compose
from .transports import Incoming

log = logging.getLogger(__name__)
LATE_S = 120               # a notice not handed over this long after its moment is dropped
HUB_PATIENCE_S = 120       # an LS text waits this long for the hub before the citizen is told to try later
WHY_NOT = {"outside_hours": "take_closed", "daily_limit_reached": "take_full", "remote_limit_reached": "take_full",
           "person_limit_reached": "take_mine", "not_allowed": "take_other", "unknown_service": "take_other",
           "service_closed": "take_stopped"}
NO_REASON = "theo thông báo của trung tâm"      # a service closed today whose reason the follow-up has not heard
DROPPED_LATE = f"quá {LATE_S} giây sau lúc cần báo, không gửi muộn / more than {LATE_S} s late: dropped, not sent late"


class Later(Exception):
    """A text that cannot be answered yet (the hub did not reply): left for the next pass."""


class Hall:
    """What the broker says of the hall, as it arrives on the network thread: the services'
    retained states, the tickets counters serve and the tickets called (kept: the retained
    ``calls/recent`` and every call since), every service state and call (queued, with the moment
    it came, for the next pass: each state is judged as it was then)."""

    def __init__(self, topics: Topics, clock):
        self.topics, self.clock = topics, clock
        self.lock = threading.Lock()
        self.states: dict[str, dict] = {}
        self.serving: dict[str, str | None] = {}           # counter -> the label it serves
        self.called: set[str] = set()                      # ticket ids (``20261203-A012``) called
        self.events: list[tuple[str, object, datetime]] = []

    def subscriptions(self) -> tuple[str, ...]:
        t = self.topics
        return (t.service_state(ANY), t.counter_state(ANY), t.call, t.calls_recent)

    def on_message(self, msg) -> None:
        got = hall_message(self.topics, msg.topic, msg.payload,
                           ("service_state", "counter_state", "call", "calls_recent"))
        if got is None:
            return
        parsed, body = got
        at = self.clock()
        with self.lock:
            if parsed.kind == "service_state":
                self.states[parsed.service] = body
                self.events.append(("service", (parsed.service, body), at))
            elif parsed.kind == "counter_state":
                self.serving[parsed.counter] = body.get("ticket") if body.get("status") == "serving" else None
            elif parsed.kind == "calls_recent":
                calls = body.get("calls") if isinstance(body.get("calls"), list) else []
                self.called.update(c["ticket_id"] for c in calls if isinstance(c, dict) and _is_id(c.get("ticket_id")))
            else:
                if _is_id(body.get("ticket_id")):
                    self.called.add(body["ticket_id"])
                self.events.append(("call", body, at))

    def drain(self) -> list[tuple[str, object, datetime]]:
        """The events since the last drain, in the order they came."""
        with self.lock:
            events, self.events = self.events, []
        return events

    def state(self, service: str) -> dict | None:
        with self.lock:
            return self.states.get(service)

    def served(self) -> set[str]:
        with self.lock:
            return {label for label in self.serving.values() if label}

    def was_called(self, day: str, label: str) -> bool:
        """Whether the ticket of service day ``day`` (ISO) with that label was called (and so served, sent
        away as absent, or transferred: the follow-up cannot tell which)."""
        with self.lock:
            return ticket_id_of(day, label) in self.called

    def forget_calls_before(self, day: str) -> None:
        with self.lock:
            self.called = {i for i in self.called if i[:8] >= day.replace("-", "")}


def _is_id(value: object) -> bool:
    """A ticket id as calls carry it; anything else (missing, a number) is never remembered as called."""
    return isinstance(value, str) and len(value) <= 40


def ahead(state: dict | None, label: str) -> int | None:
    """How many wait ahead of a waiting ticket, from its service's state (see the module's text);
    None when the state does not show the ticket issued."""
    last = parse_label(str((state or {}).get("last_issued") or ""))
    mine, waiting = parse_label(label), (state or {}).get("waiting")
    if last is None or mine is None or not isinstance(waiting, int) or mine[1] > last[1]:
        return None
    return max(0, waiting - 1 - (last[1] - mine[1]))


def find_service(words: tuple[str, ...], services: Iterable[Service]) -> Service | None:
    """The service a citizen named: by its id or prefix letter, else by words of its Vietnamese
    name (without diacritics, any case); several named alike: the one that takes numbers by SMS."""
    services, asked = list(services), " ".join(words)
    found = [s for s in services if asked in (s.id, s.prefix)] or \
            [s for s in services if set(words) <= set(flat(s.name.vi).split())]
    remote = [s for s in found if s.remote]
    return found[0] if len(found) == 1 else remote[0] if len(remote) == 1 else None


def command_id(msg: Incoming) -> str:
    """The same text (the daemon's file, its sender and words) always asks under the same id."""
    return "sms-" + hashlib.sha256(f"{msg.name}\n{msg.phone}\n{msg.text}".encode()).hexdigest()[:32]


class Turns:
    """The queue's side of the follow-up: ``LS`` and ``STT`` answered, followed tickets' notices
    made. Off (``LS`` and ``STT`` read as any other text) until ``attach`` gives it the broker."""

    def __init__(self, fu):
        self.fu, self.cfg, self.sms = fu, fu.cfg, fu.sms
        self.hub: HubClient | None = None
        self.hall: Hall | None = None
        self.secret: bytes | None = None
        self.asked_since: dict[str, float] = {}     # an LS text -> when the hub was first asked for it
        self.hub_silent = False      # the hub did not answer in this pass: the other LS texts wait without asking

    def attach(self, hub: HubClient, hall: Hall) -> None:
        self.hub, self.hall = hub, hall
        if self.cfg.site.secret_file:
            try:
                self.secret = read_secret(self.cfg.site.secret_file)
            except SecretProblem as e:
                log.error("không lấy số qua tin nhắn được / numbers by SMS are off: %s", e)

    @property
    def on(self) -> bool:
        return self.hall is not None

    def day(self, now: datetime) -> str:
        return service_day(now, self.cfg.site.tz, self.cfg.site.day_start).isoformat()

    # --- LS <service> ----------------------------------------------------------------------------
    def take(self, phone: str, words: tuple[str, ...], msg: Incoming, now: datetime) -> None:
        svc = find_service(words, self.cfg.services)
        if svc is None or not svc.remote:
            return self._answer(phone, "take_other", msg.name, {}, now)
        if self.hub is None or self.secret is None:
            return self._answer(phone, "take_unavailable", msg.name, {}, now)
        reply = self._issue(svc, phone, msg, now)
        ticket = reply.get("ticket") if reply.get("ok") else None
        if isinstance(ticket, dict) and parse_label(str(ticket.get("label"))):
            return self._taken(phone, svc, ticket, msg.name, now)
        code = (reply.get("error") or {}).get("code") if isinstance(reply.get("error"), dict) else None
        why = WHY_NOT.get(code, "take_unavailable")
        but = None if why == "take_unavailable" else svc.id      # the others named, unless none could be asked
        log.info("không cấp số qua tin nhắn / no number by SMS for %s: %s", svc.id, code)
        self._answer(phone, why, msg.name, {"service": svc.name.vi, "reason": self._closed_text(svc.id),
                                             "opens": next_opening(svc, self.cfg.calendar, now, self.cfg.site.tz)
                                                       or "--:--"}, now, but)

    def _closed_text(self, service: str) -> str:
        """The reason the supervisor gave for closing the service today, as its retained state says it."""
        said = (self.hall.state(service) or {}).get("closed_text")
        return str(said.get("vi") or NO_REASON) if isinstance(said, dict) else NO_REASON

    def _issue(self, svc: Service, phone: str, msg: Incoming, now: datetime) -> dict:
        body = {"service": svc.id, "priority": False, "confirm": False, "source": "sms",
                "phone_hash": keyed_hash(self.secret, phone), "command_id": command_id(msg)}
        try:
            if self.hub_silent:          # ten texts must not cost ten times 15 s, and the watchdog with them
                raise HubUnavailable("the hub did not answer earlier in this pass")
            reply = self.hub.request(self.hub.t.issue, body, timeout=5, tries=3)
        except HubUnavailable:
            self.hub_silent = True
            first = self.asked_since.setdefault(msg.name, now.timestamp())
            if now.timestamp() - first < HUB_PATIENCE_S:
                raise Later("máy chủ chưa trả lời / the hub did not answer yet") from None
            reply = {"ok": False, "error": {"code": "unavailable"}}
        self.asked_since.pop(msg.name, None)
        return reply if isinstance(reply, dict) else {}

    def _taken(self, phone: str, svc: Service, ticket: dict, name: str, now: datetime) -> None:
        label, waiting = str(ticket["label"]), ticket.get("waiting_ahead")
        waiting = waiting if isinstance(waiting, int) else 0
        minutes = ticket.get("estimated_wait_min") if isinstance(ticket.get("estimated_wait_min"), int) else 0
        day = str(ticket.get("id", "")).split("-", 1)[0]
        day = day if len(day) == 8 and day.isdigit() else now.astimezone(self.cfg.site.tz).strftime("%Y%m%d")
        public = self.cfg.console.public_url if self.cfg.console else None
        url = f"{public.rstrip('/')}/t/{day}/{label}" if public else ""
        self.fu.outbox.follow(self.day(now), phone, label, svc.id, "ls", waiting <= self.sms.turn_near,
                              now.timestamp())
        log.info("đã cấp số %s qua tin nhắn / number %s taken by SMS", label, label)
        self._answer(phone, "take", name, {"label": label, "service": svc.name.vi, "ahead": waiting,
                                           "wait": minutes, "url": url}, now)

    def open_services(self, now: datetime, but: str | None = None) -> str:
        """The services that take numbers by SMS now, as a citizen would ask for them: in their hours and not
        closed by their retained state (a supervisor's closure, the day's numbers gone); ``but`` the one refused."""
        tz = self.cfg.site.tz
        names = [f"{s.name.vi} (LS {s.prefix or s.id})" for s in self.cfg.services if s.remote and s.id != but
                 and in_hours(s, self.cfg.calendar, now, tz) and self._open(s.id)]
        return ", ".join(names) or "không có / none"

    def _open(self, service: str) -> bool:
        state = self.hall.state(service) if self.hall else None
        return not isinstance(state, dict) or state.get("open") is not False

    # --- STT <label> -------------------------------------------------------------------------------
    def follow(self, phone: str, asked: str, name: str, now: datetime) -> None:
        """STOP ended the followings asked for before it; a ``STT`` (or ``LS``) sent after it is the citizen
        asking again, and is answered and followed like any other (dossier messages stay stopped)."""
        day = self.day(now)
        svc, label = self._issued(asked)
        mine = self.fu.outbox.follows(day, phone=phone)
        if svc is None:
            return self._answer(phone, "follow_unknown", name, {"label": asked}, now)
        if label in self.hall.served() or self.hall.was_called(day, label):     # nothing to follow: not counted
            return self._answer(phone, "follow_done", name, {"label": label}, now)
        if label not in {f.label for f in mine} and len(mine) >= self.sms.follow_daily:
            return self._answer(phone, "follow_full", name, {}, now)
        waiting = ahead(self.hall.state(svc.id), label) or 0
        near = waiting <= self.sms.turn_near           # then no near notice will come: the answer says so
        self.fu.outbox.follow(day, phone, label, svc.id, "stt", near, now.timestamp())
        self._answer(phone, "follow_near" if near else "follow", name, {"label": label, "ahead": waiting}, now)

    def _issued(self, asked: str) -> tuple[Service | None, str]:
        """The service that issued that label today (as the hub writes it: ``A12`` is ``A012``)."""
        prefix, number = parse_label(asked)
        for s in self.cfg.services:
            last = parse_label(str((self.hall.state(s.id) or {}).get("last_issued") or ""))
            if s.prefix == prefix and last is not None and last[0] == prefix and s.first <= number <= last[1]:
                return s, s.label(number)
        return None, asked

    # --- the notices ---------------------------------------------------------------------------------
    def notices(self) -> None:
        """Each change the broker brought since the last pass, each in its own transaction."""
        if self.hall is None:
            return
        day = self.day(self.fu.clock())
        with self.fu.outbox.transaction():
            self.fu.outbox.forget_follows_before(day)
        self.hall.forget_calls_before(day)
        for kind, what, at in self.hall.drain():
            with self.fu.outbox.transaction():
                if kind == "service":
                    self._near(day, *what, at)
                elif isinstance(what, dict) and not what.get("recall"):     # a recall is no new news
                    self._called(day, what, at)

    def _near(self, day: str, service: str, state: dict, at: datetime) -> None:
        for f in self.fu.outbox.follows(day, service=service):
            waiting = None if f.near or f.called else ahead(state, f.label)
            if waiting is not None and waiting <= self.sms.turn_near:
                self._notice(day, f, "near", "turn_near", {"label": f.label, "ahead": waiting}, at)

    def _called(self, day: str, call: dict, at: datetime) -> None:
        label = call.get("ticket")
        if not isinstance(label, str):
            return
        counter = self.cfg.by_counter.get(call.get("counter"))
        name = counter.name.vi if counter else f"quầy {str(call.get('counter'))[:16]}"
        for f in self.fu.outbox.follows(day, label=label):
            if not f.called:
                self._notice(day, f, "called", "turn_called", {"label": label, "counter": name}, at)

    def _notice(self, day: str, f: Follow, what: str, template: str, fields: dict, at: datetime) -> None:
        self.fu.outbox.followed(day, f, what)
        if self.fu.outbox.opted_out(f.phone, since=f.at):      # a STOP after it was asked for
            return
        written, text = compose(self.sms.template(template), self.fu._fields(**fields), self.sms.unicode)
        self.fu.outbox.add(TURN, f"{day}|{f.label}|{f.phone}|{what}", None, f.phone, written, text,
                           at.timestamp(), at.timestamp())

    def _answer(self, phone: str, template: str, key: str, fields: dict, now: datetime, but: str | None = None) -> None:
        self.fu._answer(phone, template, key, {"services": self.open_services(now, but), **fields}, now)


def late(created: float, now: datetime) -> bool:
    """Whether a turn notice made at ``created`` (epoch seconds) is now more than ``LATE_S`` old: it is dropped, not
    sent late, since a late "your turn is near" only misleads."""
    return now.timestamp() - created > LATE_S
