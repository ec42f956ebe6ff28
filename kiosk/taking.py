"""The kiosk's take-a-number logic, in plain Python so it tests without a window: which services a
citizen may take, why the others are greyed, one tap = one ticket, in Vietnamese or English.
"""
from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from motcua.config import SiteConfig
from motcua.contract import ERRORS, Topics, is_online

from . import id_card
from .printing.flow import BUSY, Taken, TicketDesk

log = logging.getLogger(__name__)
GUARD_S = 1.5        # after a ticket, taps on the same screen are ignored this long (a triple tap)


@dataclass(frozen=True)
class ServiceButton:
    """A service's button on the kiosk: its title, the people waiting and the wait (or why it is closed), and whether it
    can be tapped now."""
    id: str
    title: str
    detail: str          # people waiting and the estimated wait, or why it is closed
    enabled: bool


TEXT = {
    "outside_hours": (f"{ERRORS['outside_hours'][0]} — mở lại lúc {{opens_at}}",
                      f"{ERRORS['outside_hours'][1]} — opens at {{opens_at}}"),
    "outside_hours_no_time": ERRORS["outside_hours"],
    "daily_limit_reached": ERRORS["daily_limit_reached"],
    "service_closed": ("Tạm ngừng hôm nay: {reason}", "Closed today: {reason}"),
    "service_closed_no_reason": ERRORS["service_closed"],
    "waiting": ("{waiting} người đang chờ · khoảng {minutes} phút", "{waiting} waiting · about {minutes} min"),
    "busy": BUSY,
    "printer": ("Máy in tạm ngừng — vui lòng liên hệ quầy hướng dẫn",
                "The printer is unavailable — please ask at the information desk"),
    "card": ("Đã đọc căn cước", "ID card read"),
    "card_elderly": ("Đã đọc căn cước — ưu tiên người cao tuổi", "ID card read — priority (elderly)"),
    "person_limit_body": ("{detail}. Nếu cần giúp, mời ông bà đến quầy hướng dẫn.",
                          "{detail}. If you need help, please ask at the information desk."),
}


class KioskModel:
    """The kiosk's state and decisions without Kivy: the services' states from the broker, the language, an ID card read
    for the next ticket, and whether a number can be taken now; tests drive it without a window."""

    def __init__(self, cfg: SiteConfig, desk: TicketDesk, clock: Callable[[], float] = time.monotonic,
                 secret: bytes | None = None):
        """``secret``: the site's, to hash an ID card's number; without it cards are not read."""
        self.cfg, self.desk, self.clock, self.secret = cfg, desk, clock, secret
        self.card: id_card.IdCard | None = None      # read for the next ticket only
        self.lang = "vi"
        self.states: dict[str, dict] = {}
        self.link_up = False
        self.hub_online = False
        self.busy = False
        self.guard_until = 0.0
        self.lock = threading.Lock()
        self.topics = Topics(cfg.mqtt.topic_root, cfg.site.id)

    def reconfigure(self, cfg: SiteConfig) -> None:
        """A new site document (SPEC 2.1): the services offered, their names and order, from the next refresh on."""
        self.cfg = cfg

    def t(self, key: str, **kw) -> str:
        vi, en = TEXT[key]
        return (vi if self.lang == "vi" else en).format(**kw)

    # --- state from MQTT (network thread) ----------------------------------------------
    def on_message(self, topic: str, payload: bytes) -> None:
        p = self.topics.parse(topic)
        if p is not None and p.kind == "status" and p.component == "hub":
            with self.lock:
                self.hub_online = is_online(payload)
            return
        if p is not None and p.kind == "service_state" and p.service in self.cfg.by_service:
            try:
                state = json.loads(payload)
            except ValueError:
                return
            if isinstance(state, dict):
                with self.lock:
                    self.states[p.service] = state

    def set_link(self, up: bool) -> None:
        with self.lock:
            self.link_up = up

    # --- what the screens show --------------------------------------------------------------
    @property
    def hub_ok(self) -> bool:
        return self.link_up and self.hub_online

    @property
    def printer_ok(self) -> bool:
        return self.desk.state is None or self.desk.state.can_print

    def banner(self) -> str:
        """Why no number can be taken at all right now, or ''."""
        if not self.hub_ok:
            return self.t("busy")
        if not self.printer_ok:
            return self.t("printer")
        return ""

    def buttons(self) -> list[ServiceButton]:
        with self.lock:
            states = dict(self.states)
        out = []
        usable = self.hub_ok and self.printer_ok
        for svc in self.cfg.services:
            st = states.get(svc.id, {})
            title = svc.name.vi if self.lang == "vi" else svc.name.en
            can = usable and st.get("open", True) and st.get("closed_reason") is None
            out.append(ServiceButton(svc.id, title, self.detail(st), can))
        return out

    def detail(self, st: dict) -> str:
        """What a service's button says under its name: why it is closed, or the people waiting and the wait."""
        reason = st.get("closed_reason")
        if reason == "outside_hours":
            return self.t("outside_hours", opens_at=st["opens_at"]) if st.get("opens_at") \
                else self.t("outside_hours_no_time")
        if reason == "daily_limit_reached":
            return self.t("daily_limit_reached")
        if reason == "service_closed":
            said = st.get("closed_text")
            text = said.get(self.lang) if isinstance(said, dict) else None
            return self.t("service_closed", reason=text) if isinstance(text, str) and text \
                else self.t("service_closed_no_reason")
        return self.t("waiting", waiting=st.get("waiting", 0), minutes=st.get("estimated_wait_min", 0))

    # --- the citizen's ID card ------------------------------------------------------------
    def read_card(self, text: str) -> bool:
        """Keep a scanned ID card's hash and birth year for the next ticket; False when the scan is
        not a card or this kiosk has no secret to hash it with. Nothing of ``text`` is logged."""
        card = id_card.read(text, self.secret) if self.secret is not None else None
        if card is None:
            log.info("bỏ qua mã quét có '|' không phải căn cước (hoặc chưa có site.secret_file) / ignored a scan "
                     "with '|' that is not an ID card (or no site.secret_file)")
            return False
        with self.lock:
            self.card = card
        return True

    def forget_card(self) -> None:
        """Back home, the idle reset, or the ticket issued: the card was for one citizen's one ticket."""
        with self.lock:
            self.card = None

    def card_kind(self) -> str:
        """'card' when an ID card was read for the next ticket, 'card_elderly' when its birth year
        makes it a priority one (as the hub will decide), '' when none was read."""
        with self.lock:
            card = self.card
        if card is None:
            return ""
        year = datetime.now(self.cfg.site.tz).year
        return "card_elderly" if id_card.elderly(card, self.cfg.priority.age, year) else "card"

    def card_note(self) -> str:
        """What the take-a-number screens say of the card read, or ''."""
        kind = self.card_kind()
        return self.t(kind) if kind else ""

    # --- a tap ------------------------------------------------------------------------------
    def take(self, service: str, priority: bool, done: Callable[[Taken], None]) -> bool:
        """Start taking a ticket in a worker thread; False (and nothing happens) for a tap that
        comes while one is being printed or just after: one tap, one ticket."""
        with self.lock:
            if self.busy or self.clock() < self.guard_until:
                return False
            self.busy = True
            card, self.card = self.card, None

        def work() -> None:
            try:
                taken = self.desk.take(service, priority, card.person() if card else None)
            except Exception:            # nothing a citizen does may leave the kiosk stuck
                log.exception("lấy số thất bại / taking a ticket failed")
                taken = Taken(False, None, *BUSY)
            with self.lock:
                self.busy = False
                self.guard_until = self.clock() + GUARD_S
            done(taken)

        threading.Thread(target=work, name="take-ticket", daemon=True).start()
        return True
