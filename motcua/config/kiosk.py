"""The site file's ``kiosks`` section: each kiosk's printer, screen, voice and options (SPEC section 6)."""
from __future__ import annotations

from dataclasses import dataclass, fields

from .common import ID_COUNTER, VOICE_NAME
from .schema import Bool, Ctx, Int, List, Map, Num, Secret, Shape, Str, Text

PRINTER_CONNECTIONS = ("network", "usb", "serial", "file", "directory")
REQUIRED_BY_CONNECTION = {"network": ("host",), "usb": ("vendor_id", "product_id"), "serial": ("device",),
                          "file": ("device",), "directory": ("path",)}
LEGACY_QR = "motcua:{site}:{label}:{yyyymmdd}"
WIDTH_DOTS = {80: 576, 58: 384}       # the printable width of 80 mm and 58 mm paper


@dataclass(frozen=True)
class Printer:
    """A kiosk's ticket printer: which fields matter depends on ``connection`` (network, usb, serial, file or
    directory), checked by ``printer_checks``; ``paper_width_mm`` sets the printable dots."""
    connection: str
    host: str | None = None
    port: int = 9100
    vendor_id: int | None = None
    product_id: int | None = None
    device: str | None = None
    baudrate: int = 19200
    path: str | None = None
    profile: str | None = None
    paper_width_mm: int = 80
    timeout_s: int = 5
    status_query: bool = True

    @property
    def dots(self) -> int:
        return WIDTH_DOTS[self.paper_width_mm]


@dataclass(frozen=True)
class Screen:
    """Sizes on the kiosk's screen are kept in millimetres, a 21.5-inch 1080p screen being the reference."""
    orientation: str = "landscape"
    diagonal_in: float = 21.5


@dataclass(frozen=True)
class Speech:
    """"Nghe hướng dẫn" / "Listen": the kiosk's offline voice."""
    enabled: bool = True
    voice_vi: str = "vi"
    voice_en: str = "en"
    speed: int = 135
    device: str | None = None
    save_dir: str | None = None


@dataclass(frozen=True)
class Kiosk:
    """A ``kiosks`` entry: one ticket machine, its printer, screen and voice, and which optional features its home
    screen offers."""
    id: str
    printer: Printer
    ticket_qr: str | None = None
    screen: Screen = Screen()
    speech: Speech = Speech()
    idle_reset_s: int = 60
    dossier_lookup: bool = True
    large_mode: bool = True            # the home screen's "Chữ to" button
    maintenance_pin: str | None = None
    ticket_sms_line: bool = False      # "Nhắn STT A012 gửi <followup.sms.modem_number> …" under the QR


def _qr_check(template: str) -> Text | None:
    try:
        template.format(site="s", label="A001", ticket_id="x", service="S", yyyymmdd="20260101")
    except (KeyError, IndexError, ValueError, AttributeError) as e:     # {label.x}: no such attribute
        known = "{site} {label} {ticket_id} {service} {yyyymmdd}"
        return f"mẫu sai ({e}); chỗ điền: {known}", f"bad template ({e}); placeholders: {known}"
    return None


# the defaults are the dataclasses' own (tests/motcua/config/test_defaults.py holds every section to it)
P = {f.name: f.default for f in fields(Printer)}
SC, SP = Screen(), Speech()
K = {f.name: f.default for f in fields(Kiosk)}
PRINTER = Map({
    "connection": Str(choices=PRINTER_CONNECTIONS),
    "host": Str(optional=True), "port": Int(min=1, max=65535, default=P["port"]),
    "vendor_id": Int(min=0, max=0xFFFF, optional=True), "product_id": Int(min=0, max=0xFFFF, optional=True),
    "device": Str(optional=True), "baudrate": Int(min=1200, max=4_000_000, default=P["baudrate"]),
    "path": Str(optional=True), "profile": Str(optional=True),
    "paper_width_mm": Int(min=58, max=80, default=P["paper_width_mm"],
                          check=lambda v: None if v in WIDTH_DOTS else ("chỉ 58 hoặc 80", "58 or 80")),
    "timeout_s": Int(min=1, max=60, default=P["timeout_s"]),
    "status_query": Bool(default=P["status_query"]),
}, build=Printer)
SCREEN = Map({"orientation": Str(choices=("landscape", "portrait"), default=SC.orientation),
              "diagonal_in": Num(min=7, max=100, default=SC.diagonal_in)}, build=Screen, default=SC)
SPEECH = Map({"enabled": Bool(default=SP.enabled), "voice_vi": Str(pattern=VOICE_NAME, default=SP.voice_vi),
              "voice_en": Str(pattern=VOICE_NAME, default=SP.voice_en), "speed": Int(min=80, max=300, default=SP.speed),
              "device": Str(max_len=100, optional=True), "save_dir": Str(max_len=300, optional=True)},
             build=Speech, default=SP)
KIOSKS = List(Map({
    "id": Str(pattern=ID_COUNTER), "printer": PRINTER,
    "ticket_qr": Str(min_len=1, max_len=200, optional=True, check=_qr_check),
    "screen": SCREEN,
    "speech": SPEECH,
    "idle_reset_s": Int(min=5, max=3600, default=K["idle_reset_s"]),
    "dossier_lookup": Bool(default=K["dossier_lookup"]),
    "large_mode": Bool(default=K["large_mode"]),
    "maintenance_pin": Secret(pattern=Shape(r"\d{4,12}", "4 đến 12 chữ số", "4 to 12 digits"), optional=True),
    "ticket_sms_line": Bool(default=K["ticket_sms_line"]),
}, build=Kiosk), optional=True)


def printer_checks(p: Printer, path: tuple, ctx: Ctx) -> None:
    """Report each field the printer's connection needs but the site file left out, at that field's path; the schema
    cannot say it, as what is required depends on another field."""
    for key in REQUIRED_BY_CONNECTION[p.connection]:
        if getattr(p, key) is None:
            ctx.error((*path, key), f"cần có khi máy in nối kiểu {p.connection}",
                      f"required for connection {p.connection}")


def ticket_qr_template(kiosk: Kiosk, public_url: str | None) -> str:
    """What a ticket's QR holds (SPEC section 6): the kiosk's own template, else the ticket's phone
    page when the console has a public address, else the v1 text."""
    if kiosk.ticket_qr:
        return kiosk.ticket_qr
    if public_url:
        return public_url.rstrip("/") + "/t/{yyyymmdd}/{label}"
    return LEGACY_QR
