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

from motcua.config import SiteConfig
from motcua.contract import ERRORS

from .printing.flow import BUSY, Taken, TicketDesk

log = logging.getLogger("motcua.kiosk")
GUARD_S = 1.5        # after a ticket, taps on the same screen are ignored this long (a triple tap)


@dataclass(frozen=True)
class ServiceButton:
    id: str
    title: str
    detail: str          # people waiting and the estimated wait, or why it is closed
    enabled: bool


TEXT = {
    "outside_hours": (f"{ERRORS['outside_hours'][0]} — mở lại lúc {{opens_at}}",
                      f"{ERRORS['outside_hours'][1]} — opens at {{opens_at}}"),
    "outside_hours_no_time": ERRORS["outside_hours"],
    "daily_limit_reached": ERRORS["daily_limit_reached"],
    "waiting": ("{waiting} người đang chờ · khoảng {minutes} phút", "{waiting} waiting · about {minutes} min"),
    "busy": BUSY,
    "printer": ("Máy in tạm ngừng — vui lòng liên hệ quầy hướng dẫn",
                "The printer is unavailable — please ask at the information desk"),
}


class KioskModel:
    def __init__(self, cfg: SiteConfig, desk: TicketDesk, clock: Callable[[], float] = time.monotonic):
        self.cfg, self.desk, self.clock = cfg, desk, clock
        self.lang = "vi"
        self.states: dict[str, dict] = {}
        self.link_up = False
        self.hub_online = False
        self.busy = False
        self.guard_until = 0.0
        self.lock = threading.Lock()
        self.root = f"{cfg.mqtt.topic_root}/{cfg.site.id}/"

    def t(self, key: str, **kw) -> str:
        vi, en = TEXT[key]
        return (vi if self.lang == "vi" else en).format(**kw)

    # --- state from MQTT (network thread) ----------------------------------------------
    def on_message(self, topic: str, payload: bytes) -> None:
        rest = topic[len(self.root):] if topic.startswith(self.root) else ""
        if rest == "status/hub":
            with self.lock:
                self.hub_online = payload.strip() in (b"online", b'"online"')
            return
        parts = rest.split("/")
        if len(parts) == 3 and parts[0] == "service" and parts[2] == "state" and parts[1] in self.cfg.by_service:
            try:
                state = json.loads(payload)
            except ValueError:
                return
            if isinstance(state, dict):
                with self.lock:
                    self.states[parts[1]] = state

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
            reason = st.get("closed_reason")
            if reason == "outside_hours":
                detail = self.t("outside_hours", opens_at=st["opens_at"]) if st.get("opens_at") \
                    else self.t("outside_hours_no_time")
            elif reason == "daily_limit_reached":
                detail = self.t("daily_limit_reached")
            else:
                detail = self.t("waiting", waiting=st.get("waiting", 0), minutes=st.get("estimated_wait_min", 0))
            out.append(ServiceButton(svc.id, title, detail, usable and st.get("open", True) and reason is None))
        return out

    # --- a tap ------------------------------------------------------------------------------
    def take(self, service: str, priority: bool, done: Callable[[Taken], None]) -> bool:
        """Start taking a ticket in a worker thread; False (and nothing happens) for a tap that
        comes while one is being printed or just after: one tap, one ticket."""
        with self.lock:
            if self.busy or self.clock() < self.guard_until:
                return False
            self.busy = True

        def work() -> None:
            try:
                taken = self.desk.take(service, priority)
            except Exception:            # nothing a citizen does may leave the kiosk stuck
                log.exception("lấy số thất bại / taking a ticket failed")
                taken = Taken(False, None, *BUSY)
            with self.lock:
                self.busy = False
                self.guard_until = self.clock() + GUARD_S
            done(taken)

        threading.Thread(target=work, name="take-ticket", daemon=True).start()
        return True
