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
from motcua.contract import component_name
from motcua.hubclient import HubClient, HubUnavailable, new_command_id

from .printer import MESSAGES, PrinterState, TicketPrinter
from .ticket import TicketContent, qr_text, render, sms_line

log = logging.getLogger(__name__)
BUSY = ("Hệ thống đang bận, vui lòng liên hệ quầy hướng dẫn",
        "The system is busy, please ask at the information desk")
NOT_PRINTED = ("Không in được số thứ tự, số này đã được hủy. Vui lòng liên hệ quầy hướng dẫn",
               "The ticket could not be printed and was cancelled. Please ask at the information desk")
PRINTER_DOWN = ("Tạm ngừng phát số: {detail}. Vui lòng liên hệ quầy hướng dẫn",
                "Tickets are paused: printer problem. Please ask at the information desk")


@dataclass(frozen=True)
class Taken:
    """The kiosk's outcome of one tap: the ticket printed, or what to tell the citizen (and the hub's error code, if it
    refused)."""
    ok: bool
    ticket: dict | None
    vi: str
    en: str
    code: str | None = None      # the hub's error code, for the screens that explain one


def ticket_content(cfg: SiteConfig, kiosk: Kiosk, ticket: dict) -> TicketContent:
    """What the ticket says, from the hub's ticket and the site file: the service, the label, the counters that serve
    it, the wait, and the QR and SMS lines."""
    svc = cfg.by_service[ticket["service"]]
    issued = datetime.fromisoformat(ticket["issued_at"])
    counters = tuple(c.name.vi for c in cfg.counters if svc.id in c.services)
    return TicketContent(
        centre=cfg.site.name, service_vi=svc.name.vi, service_en=svc.name.en, label=ticket["label"],
        priority=bool(ticket["priority"]), issued_at=issued, waiting_ahead=ticket["waiting_ahead"],
        estimated_wait_min=ticket["estimated_wait_min"], counters=counters,
        qr=qr_text(cfg.ticket_qr(kiosk), cfg.site.id, ticket["label"], ticket["id"], svc.id, issued),
        footer=cfg.site.ticket_footer, sms_line=_sms_line(cfg, kiosk, ticket["label"]))


def _sms_line(cfg: SiteConfig, kiosk: Kiosk, label: str) -> tuple[str, str] | None:
    """The ticket's "Nhắn STT …" line: where the kiosk prints it and the follow-up names its modem."""
    modem = cfg.followup.sms.modem_number if cfg.followup else None
    return sms_line(label, modem) if kiosk.ticket_sms_line and modem else None


def publish_printer_state(client: HubClient, kiosk_id: str) -> Callable[[PrinterState], None]:
    """``kiosk/<id>/printer``, retained: whoever runs the printer says how it is."""
    return lambda state: client.link.publish(client.t.printer(kiosk_id), state.payload(), retain=True)


class TicketDesk:
    """Takes a number for a citizen: asks the hub, prints the ticket, and confirms it only once printed (an unprinted
    one is voided), so nobody waits for a number they never got."""

    def __init__(self, cfg: SiteConfig, kiosk: Kiosk, client: HubClient, printer: TicketPrinter,
                 on_printer_state: Callable[[PrinterState], None] = lambda s: None):
        self.cfg, self.kiosk, self.client, self.printer = cfg, kiosk, client, printer
        self.on_printer_state = on_printer_state
        self.source = component_name("kiosk", kiosk.id)
        self.width = kiosk.printer.dots
        self.state: PrinterState | None = None

    def check_printer(self) -> PrinterState:
        """Ask the printer now (at start, and while issuing is stopped, so it resumes by itself)."""
        return self._set(self.printer.status())

    def take(self, service: str, priority: bool = False, person: dict | None = None) -> Taken:
        """``person``: the hash and birth year of an ID card read for this ticket (SPEC 3.1)."""
        if self.state is not None and not self.state.can_print and not self.check_printer().can_print:
            return Taken(False, None, PRINTER_DOWN[0].format(detail=MESSAGES[self.state.state][0]), PRINTER_DOWN[1])
        try:
            body = {"service": service, "priority": priority, "confirm": True, "source": self.source}
            reply = self._request(self.client.t.issue, {**body, "person": person} if person else body)
        except HubUnavailable:
            return Taken(False, None, *BUSY)
        if not reply.get("ok"):
            error = reply.get("error") or {}
            text = error.get("text") or {}
            return Taken(False, None, text.get("vi", ""), text.get("en") or text.get("vi", ""), error.get("code"))
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
