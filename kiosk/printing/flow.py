"""The kiosk's take-a-number flow (SPEC sections 3 and 6), in plain Python so it tests without a
window: issue a *pending* ticket, print it, then confirm it — or void it with the printer's
reason, so that nothing is ever called that was not printed.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from motcua.config import Kiosk, SiteConfig
from motcua.hubclient import HubClient, HubUnavailable, new_command_id

from .printer import MESSAGES, PrinterState, TicketPrinter
from .ticket import TicketContent, qr_text, render

log = logging.getLogger("motcua.kiosk.flow")
BUSY = ("Hệ thống đang bận, vui lòng liên hệ quầy hướng dẫn",
        "The system is busy, please ask at the information desk")
NOT_PRINTED = ("Không in được số thứ tự, số này đã được hủy. Vui lòng liên hệ quầy hướng dẫn",
               "The ticket could not be printed and was cancelled. Please ask at the information desk")
PRINTER_DOWN = ("Tạm ngừng phát số: {detail}. Vui lòng liên hệ quầy hướng dẫn",
                "Tickets are paused: printer problem. Please ask at the information desk")


@dataclass(frozen=True)
class Taken:
    ok: bool
    ticket: dict | None
    vi: str
    en: str


def ticket_content(cfg: SiteConfig, kiosk: Kiosk, ticket: dict) -> TicketContent:
    svc = cfg.by_service[ticket["service"]]
    issued = datetime.fromisoformat(ticket["issued_at"])
    counters = tuple(c.name.vi for c in cfg.counters if svc.id in c.services)
    return TicketContent(
        centre=cfg.site.name, service_vi=svc.name.vi, service_en=svc.name.en, label=ticket["label"],
        priority=bool(ticket["priority"]), issued_at=issued, waiting_ahead=ticket["waiting_ahead"],
        estimated_wait_min=ticket["estimated_wait_min"], counters=counters,
        qr=qr_text(cfg.ticket_qr(kiosk), cfg.site.id, ticket["label"], ticket["id"], svc.id, issued),
        footer=cfg.site.ticket_footer)


def publish_printer_state(client: HubClient, kiosk_id: str) -> Callable[[PrinterState], None]:
    """``kiosk/<id>/printer``, retained: whoever runs the printer says how it is."""
    return lambda state: client.link.publish(client.t.printer(kiosk_id), state.payload(), retain=True)


class TicketDesk:
    def __init__(self, cfg: SiteConfig, kiosk: Kiosk, client: HubClient, printer: TicketPrinter,
                 on_printer_state: Callable[[PrinterState], None] = lambda s: None):
        self.cfg, self.kiosk, self.client, self.printer = cfg, kiosk, client, printer
        self.on_printer_state = on_printer_state
        self.source = f"kiosk-{kiosk.id}"
        self.width = kiosk.printer.dots
        self.state: PrinterState | None = None

    def check_printer(self) -> PrinterState:
        """Ask the printer now (at start, and while issuing is stopped, so it resumes by itself)."""
        return self._set(self.printer.status())

    def take(self, service: str, priority: bool = False) -> Taken:
        if self.state is not None and not self.state.can_print and not self.check_printer().can_print:
            return Taken(False, None, PRINTER_DOWN[0].format(detail=MESSAGES[self.state.state][0]), PRINTER_DOWN[1])
        try:
            reply = self._request(self.client.t.issue, {"service": service, "priority": priority, "confirm": True,
                                                        "source": self.source})
        except HubUnavailable:
            return Taken(False, None, *BUSY)
        if not reply.get("ok"):
            text = (reply.get("error") or {}).get("text") or {}
            return Taken(False, None, text.get("vi", ""), text.get("en") or text.get("vi", ""))
        ticket = reply["ticket"]
        image = render(ticket_content(self.cfg, self.kiosk, ticket), self.width)
        state = self._set(self.printer.print_image(image, ticket["id"]))
        if state.can_print:
            self._settle(self.client.t.confirm, {"ticket_id": ticket["id"]})
            return Taken(True, {**ticket, "status": "waiting"}, "", "")
        self._settle(self.client.t.void, {"ticket_id": ticket["id"], "reason": state.state})
        return Taken(False, ticket, *NOT_PRINTED)

    def _settle(self, topic: str, body: dict) -> None:
        """Confirm or void; if the hub cannot be reached, the pending ticket waits by itself in 60 s."""
        try:
            self._request(topic, body)
        except HubUnavailable:
            log.warning("không báo được cho hub / could not tell the hub: %s %s", topic, body)

    def _request(self, topic: str, body: dict) -> dict:
        return self.client.request(topic, {**body, "command_id": new_command_id(self.source)}, timeout=3, tries=3)

    def _set(self, state: PrinterState) -> PrinterState:
        if state != self.state:
            log.info("máy in / printer: %s", state.detail)
            self.state = state
            self.on_printer_state(state)
        return state
