"""The one seam to the hardware: a python-escpos printer for each connection of the site file.

``directory`` is a printer for demos and tests: it keeps each ticket's raw ESC/POS bytes and its
PNG in a folder.
"""
from __future__ import annotations

import copy
import re
import socket
from pathlib import Path

from escpos.escpos import Escpos
from escpos.printer import Dummy, File, Network, Serial

from motcua.config import Printer

READS_BACK = {"network", "usb", "serial"}     # connections that can answer DLE EOT status


class DirectoryPrinter(Dummy):
    """Writes ``<name>.bin`` (the exact bytes a printer would get) and ``<name>.png`` per ticket."""

    def __init__(self, path: str, **kw):
        super().__init__(**kw)
        self.path = Path(path)

    def save(self, name: str, image) -> Path:
        self.path.mkdir(parents=True, exist_ok=True)
        safe = re.sub(r"[^A-Za-z0-9_.-]", "_", name)
        (self.path / f"{safe}.bin").write_bytes(self.output)
        image.save(self.path / f"{safe}.png")
        self.clear()
        return self.path / f"{safe}.png"


def be_patient(dev: Escpos, seconds: float) -> None:
    """Let a status read wait ``seconds``: after a ticket, a slow printer answers only once it has
    worked through the image. (Network and serial devices; others keep their own timeouts.)"""
    device = getattr(dev, "device", None)
    if isinstance(device, socket.socket):
        device.settimeout(seconds)
    elif device is not None and hasattr(device, "timeout") and not isinstance(dev, (Dummy, File)):
        device.timeout = seconds


def open_device(p: Printer) -> Escpos:
    """A python-escpos printer for the ``printer`` section of a kiosk (opened lazily by escpos)."""
    dev = _device(p)
    # python-escpos shares one profile_data dict between every device of a profile: this device
    # gets its own copy, so a 58 mm printer opened after an 80 mm one keeps its 384 dots
    dev.profile.profile_data = copy.deepcopy(dev.profile.profile_data)
    width = dev.profile.profile_data["media"]["width"]
    if width.get("pixels") == "Unknown":      # the default profile: tell it the paper we draw for
        width["pixels"] = p.dots
    return dev


def _device(p: Printer) -> Escpos:
    kw = {"profile": p.profile} if p.profile else {}
    connection = p.connection
    if connection == "network":
        return Network(p.host, p.port, timeout=p.timeout_s, **kw)
    if connection == "serial":
        return Serial(devfile=p.device, baudrate=p.baudrate, timeout=p.timeout_s, **kw)
    if connection == "file":
        return File(devfile=p.device, **kw)
    if connection == "directory":
        return DirectoryPrinter(p.path, **kw)
    from escpos.printer import Usb  # needs pyusb, only on boards with a USB printer
    return Usb(p.vendor_id, p.product_id, timeout=p.timeout_s * 1000, **kw)
