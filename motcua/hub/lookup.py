"""The hub's dossier desk: ``dossier/lookup`` (SPEC section 7: normalise, rate-limit, find, answer
the public view) and ``dossier/extend`` (section 4: a new due date entered at the centre)."""
from __future__ import annotations

import logging
import sqlite3
from datetime import datetime

from ..config import SiteConfig
from ..contract import DOSSIER_CODE_EXAMPLE, DOSSIER_OPEN, MAX_CODE_INPUT, ContractError, normalise_dossier_code
from ..ratelimit import RateLimiter
from ..service_day import Clock, system_clock
from . import dossiers
from .wire import field

log = logging.getLogger(__name__)


class LookupDesk:
    """The hub's answers about dossiers over MQTT: lookups from kiosks and SMS, rate-limited per asker, and due-date
    extensions from the console. Every refusal is a ``ContractError`` with its code."""

    def __init__(self, cfg: SiteConfig, db: sqlite3.Connection, clock: Clock = system_clock,
                 limiter: RateLimiter | None = None):
        self.cfg, self.db, self.clock = cfg, db, clock
        self.limiter = limiter or RateLimiter()

    def lookup(self, body: dict, client: str) -> dict:
        """``client`` is who really asks (``wire.client_of``), never the ``source`` it writes."""
        if not self.limiter.allow(client):
            raise ContractError("rate_limited", "tối đa 10 lần trong 1 phút", "at most 10 lookups a minute")
        raw = body.get("code")
        code = normalise_dossier_code(raw) if isinstance(raw, str) and len(raw) <= MAX_CODE_INPUT else None
        if code is None:
            raise ContractError("invalid_code", f"ví dụ đúng: {DOSSIER_CODE_EXAMPLE}",
                                f"expected a code like {DOSSIER_CODE_EXAMPLE}")
        try:
            found = dossiers.find(self.db, code)
        except sqlite3.Error:
            log.exception("không đọc được kho hồ sơ / dossier store unreadable")
            raise ContractError("unavailable") from None
        if found is None:
            raise ContractError("not_found", code, code)
        return self._answer(found)

    def extend(self, body: dict) -> dict:
        """A new due date and its reason for an open dossier; the same ``command_id`` again gets
        the same answer. The broker's ACL lets only the console ask."""
        raw, cid = body.get("code"), field(body, "command_id", str)
        code = normalise_dossier_code(raw) if isinstance(raw, str) and len(raw) <= MAX_CODE_INPUT else None
        if code is None:
            raise ContractError("invalid_code", f"ví dụ đúng: {DOSSIER_CODE_EXAMPLE}",
                                f"expected a code like {DOSSIER_CODE_EXAMPLE}")
        reason = field(body, "reason", str, required=True, max_len=500).strip()
        try:
            due = dossiers.parse_time(field(body, "due_at", str, required=True), self.cfg.site.tz)
        except ValueError as e:
            raise ContractError("bad_request", "ngày hẹn mới không đúng", f"due_at: {e}") from None
        current = dossiers.find(self.db, code)
        if current is None:
            raise ContractError("not_found", code, code)
        if cid is not None and dossiers.extended_by(self.db, code) == cid:
            return self._answer(current)                 # a repeat of the request already applied
        if not reason:
            raise ContractError("bad_request", "cần nêu lý do", "a reason is required")
        if current.status not in DOSSIER_OPEN:
            raise ContractError("bad_request", "hồ sơ đã kết thúc", "the dossier is no longer open")
        if current.due_at is not None and datetime.fromisoformat(due) <= datetime.fromisoformat(current.due_at):
            raise ContractError("bad_request", "ngày hẹn mới phải sau ngày hẹn hiện tại",
                                "the new due date must be later than the current one")
        return self._answer(dossiers.extend(self.db, code, due, reason, self.clock(), cid))

    def _answer(self, found: dossiers.Dossier) -> dict:
        tz = self.cfg.site.tz
        today = self.clock().astimezone(tz).date()
        return {"ok": True, "dossier": dossiers.public_view(found, today, tz)}
