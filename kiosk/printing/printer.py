"""A ticket printer: ask its state, print an image and cut, say what went wrong in both languages.

Each ticket opens the connection afresh and closes it, so a printer switched off and on again
needs nothing from us. Where the connection reads back, the paper status is asked before
printing and again after (a roll that ran out mid-ticket means the ticket is not whole).
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from escpos.escpos import Escpos
from PIL import Image

from motcua.config import Printer

from .devices import READS_BACK, DirectoryPrinter, be_patient, open_device

log = logging.getLogger(__name__)

MESSAGES = {
    "ok": ("Máy in sẵn sàng", "Printer ready"),
    "paper_low": ("Máy in sắp hết giấy", "Printer paper is low"),
    "paper_out": ("Máy in hết giấy", "Printer is out of paper"),
    "offline": ("Không kết nối được máy in", "Printer is offline"),
    "error": ("Máy in bị lỗi", "Printer error"),
}
CAN_PRINT = {"ok", "paper_low"}
AFTER_PRINT_S = 30.0     # how long a slow printer may take to answer once it has the whole ticket


@dataclass(frozen=True)
class PrinterState:
    """The printer as the kiosk reports it on its status topic: ``ok`` and ``paper_low`` can print, the others stop
    issuing."""
    state: str           # ok | paper_low | paper_out | offline | error
    detail: str          # "<Vietnamese> / <English>", for people

    @classmethod
    def of(cls, state: str, why: str = "") -> PrinterState:
        vi, en = MESSAGES[state]
        return cls(state, f"{vi} / {en}" + (f" ({why})" if why else ""))

    @property
    def can_print(self) -> bool:
        return self.state in CAN_PRINT

    def payload(self) -> dict:
        return {"state": self.state, "detail": self.detail}


class TicketPrinter:
    """Prints ticket images on the configured printer, opening it for each job; it asks the printer's status before and
    after (where the connection can read back), so a ticket is counted printed only when the paper came out."""

    def __init__(self, printer_cfg: Printer, opener: Callable[[Printer], Escpos] = open_device):
        self.cfg, self.opener = printer_cfg, opener
        self.reads_back = printer_cfg.connection in READS_BACK and printer_cfg.status_query

    def status(self) -> PrinterState:
        return self._with_device(self._ask)

    def print_image(self, image: Image.Image, name: str) -> PrinterState:
        """Print and cut; the state afterwards (ok or paper_low means the whole ticket printed)."""
        def job(dev: Escpos) -> PrinterState:
            before = self._ask(dev)
            if not before.can_print:
                return before
            dev.image(image, impl="bitImageRaster", fragment_height=960)
            dev.cut()
            if isinstance(dev, DirectoryPrinter):
                dev.save(name, image)
            be_patient(dev, AFTER_PRINT_S)
            return self._ask(dev)
        return self._with_device(job)

    def _ask(self, dev: Escpos) -> PrinterState:
        if not self.reads_back:
            return PrinterState.of("ok")
        if not dev.is_online():
            return PrinterState.of("paper_out" if dev.paper_status() == 0 else "offline")
        return PrinterState.of({2: "ok", 1: "paper_low", 0: "paper_out"}[dev.paper_status()])

    def _with_device(self, job: Callable[[Escpos], PrinterState]) -> PrinterState:
        dev = None
        try:
            dev = self.opener(self.cfg)
            return job(dev)
        except (OSError, TimeoutError) as e:        # refused, unreachable, reset mid-ticket, no answer
            log.warning("máy in / printer: %s", e)
            return PrinterState.of("offline", str(e)[:120])
        except Exception as e:                       # escpos' own errors: not found, USB, bad image
            log.warning("máy in / printer: %r", e)
            name = type(e).__name__
            return PrinterState.of("offline" if "NotFound" in name else "error", f"{name}: {e}"[:120])
        finally:
            if dev is not None:
                try:
                    dev.close()
                except Exception:
                    pass
