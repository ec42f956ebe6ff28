"""The kiosk's dossier lookup, in plain Python so it tests without a window: ask the hub, turn its
answer into what a citizen reads — the dossier, or why there is none — in Vietnamese or English.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from motcua.contract import DOSSIER_CODE_EXAMPLE, normalise_dossier_code
from motcua.hubclient import HubClient, HubUnavailable

log = logging.getLogger(__name__)
REPLY_TIMEOUT_S, TRIES = 3.0, 2     # a citizen waits at most ~6 s before "try later"


@dataclass(frozen=True)
class Answer:
    """The kiosk's result of a dossier lookup: the dossier when found, else which problem the screen explains."""
    kind: str                  # found, invalid_code, not_found, rate_limited or unavailable
    code: str                  # the code asked for (as typed, when it is not one)
    dossier: dict | None = None


PROBLEMS = {   # kind -> (title, explanation) in Vietnamese, then English
    "invalid_code": (("Mã hồ sơ chưa đúng",
                      "Mã hồ sơ in trên Giấy tiếp nhận hồ sơ và hẹn trả kết quả, gồm 25 ký tự.\n"
                      f"Ví dụ: {DOSSIER_CODE_EXAMPLE}"),
                     ("That is not a dossier code",
                      "The code is printed on your receipt and appointment slip; it has 25 characters.\n"
                      f"For example: {DOSSIER_CODE_EXAMPLE}")),
    "not_found": (("Không tìm thấy hồ sơ",
                   "Không có hồ sơ mã {code}.\nVui lòng kiểm tra lại mã trên giấy hẹn, hoặc hỏi quầy hướng dẫn."),
                  ("Dossier not found",
                   "There is no dossier {code}.\nPlease check the code on your slip, or ask at the information desk.")),
    "rate_limited": (("Tra cứu quá nhiều lần",
                      "Máy này chỉ tra cứu được 10 lần mỗi phút.\nVui lòng chờ một phút rồi thử lại."),
                     ("Too many lookups",
                      "This kiosk may look up 10 dossiers a minute.\nPlease wait a minute and try again.")),
    "unavailable": (("Hệ thống tra cứu đang bận",
                     "Máy chủ chưa trả lời.\nVui lòng thử lại sau ít phút, hoặc hỏi quầy hướng dẫn."),
                    ("The lookup is not available",
                     "The server does not answer.\nPlease try again in a few minutes or ask at the information desk.")),
}

TIMELINESS = {   # SPEC section 7 -> words and whether it is good news
    "early": ("Hoàn thành trước hạn", "Finished before the due date", True),
    "on_time": ("Hoàn thành đúng hạn", "Finished on time", True),
    "late": ("Hoàn thành quá hạn", "Finished after the due date", False),
    "in_time": ("Đang trong hạn", "Within the time limit", True),
    "overdue": ("Đã quá hạn trả kết quả", "Past the due date", False),
}

ROWS = (   # dossier field -> label (vi, en), how its value is shown
    ("code", ("Mã hồ sơ", "Dossier code"), str),
    ("procedure", ("Thủ tục", "Procedure"), str),
    ("agency", ("Cơ quan giải quyết", "Handled by"), str),
    ("applicant", ("Người nộp", "Applicant"), str),
    ("received_at", ("Ngày tiếp nhận", "Received"), "%d/%m/%Y %H:%M"),
    ("due_at", ("Ngày hẹn trả", "Due"), "%d/%m/%Y"),
    ("finished_at", ("Ngày hoàn thành", "Finished"), "%d/%m/%Y %H:%M"),
    ("note", ("Ghi chú", "Note"), str),
)


def problem_text(outcome: Answer, lang: str) -> tuple[str, str]:
    """The problem screen's title and body for an unsuccessful lookup, in the screen's language, naming the code asked
    for."""
    vi, en = PROBLEMS[outcome.kind]
    title, body = vi if lang == "vi" else en
    return title, body.format(code=outcome.code)


def status_line(d: dict, lang: str) -> tuple[str, str, bool]:
    """(status, timeliness words, good news?) for the top of the result screen."""
    texts = d.get("status_text") if isinstance(d.get("status_text"), dict) else {}
    status = str(texts.get(lang) or texts.get("vi") or d.get("status", ""))
    vi, en, good = TIMELINESS.get(d.get("timeliness"), ("", "", True))
    return status, vi if lang == "vi" else en, good


def dossier_rows(d: dict, lang: str, tz: ZoneInfo) -> list[tuple[str, str]]:
    """(label, value) for every field the dossier has, dates as the citizen's slip shows them."""
    out = []
    for key, (vi, en), shown in ROWS:
        value = d.get(key)
        if value in (None, ""):
            continue
        out.append((vi if lang == "vi" else en, str(value) if shown is str else _date(value, shown, tz)))
    return out


def _date(value, fmt: str, tz: ZoneInfo) -> str:
    try:
        return datetime.fromisoformat(str(value)).astimezone(tz).strftime(fmt)
    except ValueError:
        return str(value)       # the hub sent something odd: show it rather than nothing


class DossierLookup:
    """One lookup at a time, in a worker thread; the answer goes to ``done`` as an ``Answer``."""

    def __init__(self, client: HubClient, source: str, hub_ok: Callable[[], bool],
                 timeout: float = REPLY_TIMEOUT_S, tries: int = TRIES):
        self.client, self.source, self.hub_ok = client, source, hub_ok
        self.timeout, self.tries = timeout, tries
        self.busy = False
        self._lock = threading.Lock()

    def ask(self, typed: str) -> Answer:
        """Blocking. A malformed code is answered here, with the contract's own rule, so it costs
        the citizen none of the kiosk's ten lookups a minute."""
        code = normalise_dossier_code(typed)
        if code is None:
            return Answer("invalid_code", typed.strip()[:40])
        if not self.hub_ok():
            return Answer("unavailable", code)
        try:
            reply = self.client.request(self.client.t.lookup, {"code": code, "source": self.source},
                                        timeout=self.timeout, tries=self.tries)
        except HubUnavailable:
            return Answer("unavailable", code)
        if reply.get("ok") and isinstance(reply.get("dossier"), dict):
            return Answer("found", code, reply["dossier"])
        error = reply.get("error") if isinstance(reply.get("error"), dict) else {}
        kind = error.get("code")
        return Answer(kind if kind in PROBLEMS and kind != "unavailable" else "unavailable", code)

    def start(self, typed: str, done: Callable[[Answer], None]) -> bool:
        """False (and nothing happens) while a lookup is under way: one tap, one lookup."""
        with self._lock:
            if self.busy:
                return False
            self.busy = True

        def work() -> None:
            try:
                outcome = self.ask(typed)
            except Exception:            # nothing a citizen does may leave the kiosk stuck
                log.exception("tra cứu thất bại / lookup failed")
                outcome = Answer("unavailable", typed[:40])
            with self._lock:
                self.busy = False
            done(outcome)

        threading.Thread(target=work, name="dossier-lookup", daemon=True).start()
        return True
