"""What a ticket says (SPEC section 6) and how it is drawn: 576 dots for 80 mm paper, 384 for 58 mm.

Everything is laid out from the paper width, so both widths keep the same proportions; long
service or centre names wrap and are never cut off.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import qrcode
from PIL import Image, ImageDraw

from .fonts import font


@dataclass(frozen=True)
class TicketContent:
    """Everything printed on a ticket, independent of the printer: ``render`` draws it at the paper's width."""
    centre: str
    service_vi: str
    service_en: str
    label: str
    priority: bool
    issued_at: datetime
    waiting_ahead: int
    estimated_wait_min: int
    counters: tuple[str, ...]       # the counters' Vietnamese names, e.g. "Quầy 5"
    qr: str
    footer: str | None = None
    sms_line: tuple[str, str] | None = None   # (Vietnamese, English): how to follow the ticket by SMS


def sms_line(label: str, modem_number: str) -> tuple[str, str]:
    """What the ticket says under its QR where the site enables it (SPEC 11.1's ``STT <label>``)."""
    return (f"Nhắn STT {label} gửi {modem_number} để được báo khi gần đến lượt",
            f"Text STT {label} to {modem_number} to be told when your turn is near")


# The longest ticket a provincial centre prints (long centre and service names, priority, two
# counters): the golden images and the printing benchmark are drawn from it.
SAMPLE = TicketContent(
    centre="Trung tâm Phục vụ hành chính công tỉnh Quảng Ngãi", service_vi="Lao động - Thương binh và Xã hội",
    service_en="Labour, invalids and social affairs", label="G012", priority=True,
    issued_at=datetime(2026, 11, 30, 9, 5, tzinfo=timezone(timedelta(hours=7))), waiting_ahead=12,
    estimated_wait_min=24, counters=("Quầy 10", "Quầy 12"), qr="motcua:demo-hcc:G012:20261130",
    footer="Vui lòng chờ gọi số — Please wait for your number")


def qr_text(template: str, site: str, label: str, ticket_id: str, service: str, issued_at: datetime) -> str:
    """The ticket's QR text from the site's template, dated by the service day in the ticket's id rather than the
    kiosk's clock, so the QR always names the day the hub counts the ticket in."""
    day = ticket_id.split("-", 1)[0]       # the service day the hub named it by (SPEC section 3)
    return template.format(site=site, label=label, ticket_id=ticket_id, service=service,
                           yyyymmdd=day if len(day) == 8 and day.isdigit() else issued_at.strftime("%Y%m%d"))


def texts(t: TicketContent) -> list[str]:
    """Every string the ticket can carry (the glyph-coverage test checks each against the font)."""
    return [t.centre, t.service_vi, t.service_en, "SỐ THỨ TỰ / YOUR NUMBER", t.label, "ƯU TIÊN / PRIORITY",
            *(text for fact in _facts(t) for text in fact), *(([t.footer]) if t.footer else []), *(t.sms_line or ())]


def _facts(t: TicketContent) -> list[tuple[str, str]]:
    """(label, value) pairs, each printed as a small label over its value in bold."""
    return [("Người chờ trước / Waiting ahead", str(t.waiting_ahead)),
            ("Thời gian chờ dự kiến / Estimated wait", f"~{t.estimated_wait_min} phút / min"),
            ("Quầy phục vụ / Counters", ", ".join(t.counters)),
            ("Ngày giờ lấy số / Issued", t.issued_at.strftime("%d/%m/%Y %H:%M"))]


class _Canvas:
    """A tall white page that grows as lines are added, then is cropped."""

    def __init__(self, width: int):
        self.w, self.s = width, width / 576
        self.img = Image.new("L", (width, 3000), 255)
        self.d = ImageDraw.Draw(self.img)
        self.y = int(16 * self.s)

    def px(self, n: float) -> int:
        return max(1, round(n * self.s))

    def type_px(self, n: float) -> int:
        """Type shrinks less than the paper: below ~19 px a 1-bit threshold eats tone marks."""
        return max(self.px(n), min(round(n), 19))

    def text(self, text: str, size: float, bold: bool = False, gap: float = 6) -> None:
        f = font(self.type_px(size), bold)
        for line in wrap(text, f, self.w - self.px(24)):
            x0, y0, x1, y1 = self.d.textbbox((0, 0), line, font=f)
            self.d.text(((self.w - (x1 - x0)) // 2 - x0, self.y - y0), line, font=f, fill=0)
            self.y += (y1 - y0) + self.px(gap)
        self.y += self.px(gap)

    def big(self, text: str, max_size: float) -> None:
        """The label: as large as the width allows, up to max_size."""
        size = self.px(max_size)
        f = font(size, True)
        while f.getlength(text) > self.w - self.px(40) and size > 20:
            size -= 4
            f = font(size, True)
        x0, y0, x1, y1 = self.d.textbbox((0, 0), text, font=f)
        self.d.text(((self.w - (x1 - x0)) // 2 - x0, self.y - y0), text, font=f, fill=0)
        self.y += (y1 - y0) + self.px(18)

    def banner(self, text: str, size: float) -> None:
        """White text on a black band: ƯU TIÊN stands out at arm's length."""
        f = font(self.type_px(size), True)
        x0, y0, x1, y1 = self.d.textbbox((0, 0), text, font=f)
        pad = self.px(10)
        self.d.rectangle((self.px(12), self.y, self.w - self.px(12), self.y + (y1 - y0) + 2 * pad), fill=0)
        self.d.text(((self.w - (x1 - x0)) // 2 - x0, self.y + pad - y0), text, font=f, fill=255)
        self.y += (y1 - y0) + 2 * pad + self.px(14)

    def rule(self) -> None:
        self.d.line((self.px(12), self.y, self.w - self.px(12), self.y), fill=0, width=self.px(3))
        self.y += self.px(14)

    def qr(self, data: str) -> None:
        # a fixed mask: choosing the best of eight costs 20 ms a ticket; any mask decodes
        q = qrcode.QRCode(border=2, error_correction=qrcode.constants.ERROR_CORRECT_M, mask_pattern=0)
        q.add_data(data)
        q.make(fit=True)
        box = max(3, self.px(180) // q.modules_count)          # whole dots per module: crisp when printed
        img = q.make_image(fill_color="black", back_color="white").get_image().convert("L")
        img = img.resize((img.width // q.box_size * box, img.height // q.box_size * box), Image.NEAREST)
        self.img.paste(img, ((self.w - img.width) // 2, self.y))
        self.y += img.height + self.px(8)

    def done(self) -> Image.Image:
        return self.img.crop((0, 0, self.w, self.y + self.px(16)))


def wrap(text: str, f, width: int) -> list[str]:
    """Greedy word wrap by measured width; a word wider than the line is broken by letters."""
    lines: list[str] = []
    for word in text.split():
        while f.getlength(word) > width:
            cut = max(1, max(i for i in range(1, len(word) + 1) if f.getlength(word[:i]) <= width))
            lines.append(word[:cut])
            word = word[cut:]
        if lines and f.getlength(f"{lines[-1]} {word}") <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines or [""]


def render(t: TicketContent, width: int = 576) -> Image.Image:
    """The ticket as a 1-bit image ``width`` dots wide (black = ink)."""
    c = _Canvas(width)
    c.text(t.centre, 24, bold=True)
    c.rule()
    c.text(t.service_vi, 34, bold=True, gap=2)
    c.text(t.service_en, 22)
    c.text("SỐ THỨ TỰ / YOUR NUMBER", 20)
    c.big(t.label, 190)
    if t.priority:
        c.banner("ƯU TIÊN / PRIORITY", 30)
    for label, value in _facts(t):
        c.text(label, 20, gap=1)
        c.text(value, 28, bold=True, gap=4)
    c.qr(t.qr)
    if t.sms_line:
        c.text(t.sms_line[0], 22, bold=True, gap=1)
        c.text(t.sms_line[1], 18)
    if t.footer:
        c.text(t.footer, 20)
    return c.done().point(lambda p: 0 if p < 128 else 255, mode="1")
