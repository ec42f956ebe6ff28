"""What a process saw of today's queue, said again on every (re)connect (SPEC 14).

A hub started from a restored copy of its ledger may lack the last tickets and calls, and its
broker (a new one, on another board) has lost every retained message. The processes that follow
the hall — kiosks, wall screens, the console, the follow-up — still know what they were shown: for
each service the highest label issued today, and the day's last calls. Each keeps that here and
holds it retained on ``<R>/seen/<component>``, which its link says again after every reconnect, so
the new hub can raise its numbers above anything the hall has seen before it answers (see
``motcua.hub.reconcile``). One module for every process: ``Link`` attaches it to any process
that follows ``service/+/state``, ``call`` or ``calls/recent``.
"""
from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import paho.mqtt.client as paho

from .contract import RECENT_CALLS, CallEvent, Topics, hall_message, parse_label
from .service_day import service_day

if TYPE_CHECKING:
    from .link import Link

log = logging.getLogger(__name__)


def follows_hall(t: Topics, subscriptions: tuple[str, ...]) -> bool:
    """Whether a process with these subscriptions sees the queue's labels (and so has something to say)."""
    shown = (t.service_state("x"), t.call, t.calls_recent)
    return any(paho.topic_matches_sub(f, topic) for f in subscriptions for topic in shown)


def day_of(ticket_id: object) -> str | None:
    """The service day a ticket id names (``20261207-A017`` -> ``2026-12-07``), or None."""
    if not isinstance(ticket_id, str) or len(ticket_id) < 9 or not ticket_id[:8].isdigit():
        return None
    d = ticket_id[:8]
    return f"{d[:4]}-{d[4:6]}-{d[6:]}"


def number_of(label: object) -> int:
    """A label's number, 0 for anything that is not a label."""
    parsed = parse_label(label) if isinstance(label, str) else None
    return parsed[1] if parsed else 0


class Seen:
    """A process's view of today's labels: ``note`` every message it receives, ``said`` what it publishes retained.
    Messages it cannot read are passed over: what a process saw is a help to the hub, never a reason to fail."""

    def __init__(self, link: Link):
        self.link, self.t = link, link.topics
        self.topic = self.t.seen(link.component)
        self.day: str | None = None
        self.labels: dict[str, str] = {}     # service -> the highest label issued today
        self.calls: list[CallEvent] = []     # the day's last calls, newest first

    def note(self, msg: paho.MQTTMessage) -> None:
        got = hall_message(self.t, msg.topic, msg.payload, ("service_state", "call", "calls_recent"))
        if got is not None and self._take(got[0].kind, got[0].service, got[1]):
            self.link.retain(self.topic, self.said())

    def _take(self, kind: str, service: str | None, body: dict[str, Any]) -> bool:
        if kind == "service_state":
            return self._label(self._today(), service, body.get("last_issued"))
        if kind == "call":
            return self._call(body)
        calls = body.get("calls")
        if not isinstance(calls, list) or not self._enter(body.get("day")):
            return False
        return any([self._call(c) for c in reversed(calls) if isinstance(c, dict)])

    def _today(self) -> str:
        """The day a service state belongs to (it does not say): this board's service day by its clock (a kiosk
        sees no calls), or the later day the hub's calls named."""
        site = self.link.cfg.site
        return max(self.day or "", service_day(datetime.now(UTC), site.tz, site.day_start).isoformat())

    def _enter(self, day: object) -> bool:
        """Move to ``day`` when it is newer (forgetting the old one); False for an older day or none."""
        if not isinstance(day, str):
            return False
        if self.day is None or day > self.day:
            self.day, self.labels, self.calls = day, {}, []
        return day == self.day

    def _label(self, day: str | None, service: str | None, label: object) -> bool:
        if service is None or number_of(label) == 0 or not self._enter(day):
            return False
        if number_of(label) <= number_of(self.labels.get(service)):
            return False
        self.labels[service] = str(label)
        return True

    def _call(self, event: dict[str, Any]) -> bool:
        if not self._enter(day_of(event.get("ticket_id"))) or number_of(event.get("ticket")) == 0:
            return False
        key = (event.get("ticket_id"), event.get("counter"), event.get("calls"))
        if any((c.get("ticket_id"), c.get("counter"), c.get("calls")) == key for c in self.calls):
            return False
        self.calls = sorted([*self.calls, event], key=lambda c: str(c.get("at")), reverse=True)[:RECENT_CALLS]  # type: ignore[list-item]
        return True

    def said(self) -> dict[str, Any]:
        """The retained payload of ``seen/<component>``."""
        return {"day": self.day, "labels": dict(self.labels), "calls": list(self.calls)}
