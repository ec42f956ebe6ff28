"""The site file's ``followup`` section (SPEC section 11): the SMS, the letters, the daily watch.

Every key has a bound, and the templates are tried with sample values when the file is read, so a
typo is a config error, not a night of SMS that fail.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time

from ..fill import render
from .common import HHMM, WINDOW, date_check
from .schema import Bool, Ctx, Int, List, Map, Str, Text

EVENTS = ("received", "supplement", "finance", "early", "ready", "extended", "overdue")
# SPEC section 11, written with diacritics; sent without them unless sms.unicode is true
DEFAULT_TEMPLATES = {
    "received": "{centre}: đã tiếp nhận hồ sơ {code} ({procedure}), hẹn trả {due:dd/mm/yyyy}.",
    "supplement": "Hồ sơ {code} cần bổ sung: {note}. Liên hệ {centre}, {centre_phone}.",
    "finance": "Hồ sơ {code}: mời ông/bà thực hiện nghĩa vụ tài chính. Liên hệ {centre_phone}.",
    "early": "Hồ sơ {code} đã có kết quả trước hạn. Mời ông/bà đến nhận tại {centre}.",
    "ready": "Hồ sơ {code} đã có kết quả. Mời ông/bà đến nhận tại {centre}.",
    "extended": "{centre} xin lỗi: hồ sơ {code} chậm do {reason}; hẹn trả lại {due:dd/mm/yyyy}.",
    "overdue": "{centre} xin lỗi vì hồ sơ {code} chưa có kết quả đúng hẹn; sẽ báo ngày hẹn mới.",
    # answers to a citizen who texts a code (not an event: no key, no letter)
    "lookup": "Hồ sơ {code}: {status}, hẹn trả {due:dd/mm/yyyy}.",
    "lookup_unknown": "Không tìm thấy hồ sơ {code}. Liên hệ {centre_phone}.",
    "stop": "Đã ngừng gửi tin về hồ sơ và báo lượt đến số này. Nhắn LS, STT khi cần lấy số, được báo lượt. "
            "Liên hệ {centre_phone} để nhận lại tin hồ sơ.",
    # anything else a citizen texts: once a day per phone, never repeating what was sent; every command in one
    # SMS part when folded (with a centre's name of up to 28 letters)
    "help": "{centre}: nhắn LS <dịch vụ> để lấy số, STT <số> để được báo lượt, HS <mã hồ sơ> để tra hồ sơ, "
            "STOP để ngừng nhận tin. Hỗ trợ: {centre_phone}.",
    # a number by SMS (LS <service>, SPEC 11.1): the answer, or why not with the services open for it
    "take": "{centre}: số của ông/bà là {label} ({service}), {ahead} người chờ trước, khoảng {wait} phút. {url}",
    "take_closed": "{centre}: {service} ngoài giờ lấy số, mở lúc {opens}. Lấy số qua tin nhắn: {services}.",
    "take_full": "{centre}: {service} đã hết số lấy qua tin nhắn hôm nay. Còn lấy được: {services}.",
    "take_stopped": "{centre}: {service} tạm ngừng lấy số hôm nay: {reason}. Lấy số qua tin nhắn: {services}.",
    "take_mine": "{centre}: số điện thoại này đã lấy đủ số hôm nay (một số mỗi lĩnh vực, hai số mỗi ngày). "
                 "Lấy số qua tin nhắn: {services}.",
    "take_other": "{centre}: không lấy số qua tin nhắn cho nội dung này. Nhắn LS và một trong: {services}.",
    "take_unavailable": "{centre}: hệ thống lấy số tạm thời không phục vụ được, xin thử lại sau (hỗ trợ: "
                        "{centre_phone}). Lấy số qua tin nhắn: {services}.",
    # following a ticket (STT <label>) and the notices of its turn
    "follow": "{centre}: sẽ nhắn tin khi số {label} gần đến lượt (hiện có {ahead} người chờ trước).",
    "follow_near": "{centre}: số {label} sắp đến lượt (hiện có {ahead} người chờ trước); sẽ nhắn tin khi được gọi.",
    "follow_unknown": "{centre}: hôm nay chưa có số {label} đang chờ để theo dõi.",
    "follow_done": "{centre}: số {label} đã được gọi rồi. Nếu ông/bà chưa được phục vụ, xin hỏi quầy hướng dẫn.",
    "follow_full": "{centre}: số điện thoại này đã theo dõi đủ số được phép hôm nay.",
    "turn_near": "{centre}: số {label} sắp đến lượt, còn {ahead} người chờ trước. Mời ông/bà quay lại.",
    "turn_called": "Mời số {label} đến {counter}.",
}
SAMPLE = {"centre": "TT PVHCC", "centre_phone": "0255 3822 000", "code": "000.00.53.H48-220921-0099",
          "procedure": "Cấp giấy phép xây dựng", "note": "bản vẽ", "due": date(2026, 12, 3),
          "reason": "cần xác minh thực địa", "agency": "Sở Xây dựng", "status": "Đang xử lý",
          "label": "A012", "service": "Đất đai", "ahead": 4, "wait": 20, "opens": "13:30", "counter": "Quầy 5",
          "url": "https://hcc.example.vn/t/20261203/A012", "services": "Đất đai (LS A), Thuế (LS T)"}
LETTER_TITLE = "VĂN BẢN XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ"
LETTER_BODY = ("{agency_short} đã tiếp nhận hồ sơ {code} của ông/bà về thủ tục {procedure} ngày "
               "{received:dd/mm/yyyy}, hẹn trả kết quả ngày {first_due:dd/mm/yyyy}. Lý do chậm: {reason}. "
               "{agency_short} thành thật xin lỗi ông/bà vì sự chậm trễ này và hẹn trả kết quả vào ngày "
               "{due:dd/mm/yyyy}.")


@dataclass(frozen=True)
class Letter:
    """How the letters of apology are headed and signed (the agency, its place, the signer), and their numbering series
    and the body template filled per dossier."""
    agency: str
    place: str
    signer: str
    signer_name: str | None
    parent_agency: str | None
    number: str
    watch_number: str
    title: str
    body: str


@dataclass(frozen=True)
class Sms:
    """The follow-up's SMS: which transport sends them, the quiet hours and daily limits that protect citizens from too
    many texts, and the texts' templates (the defaults fill any left out)."""
    transport: str
    gammu: dict | None
    http: dict | None
    directory: dict | None
    centre: str | None
    centre_phone: str
    unicode: bool
    quiet_hours: str
    per_phone_daily: int
    templates: dict
    answer_lookups: bool
    answers_daily: int
    turn_near: int
    follow_daily: int
    modem_number: str | None

    def template(self, event: str) -> str:
        return self.templates.get(event) or DEFAULT_TEMPLATES[event]

    @property
    def quiet(self) -> tuple[time, time]:
        a, b = self.quiet_hours.split("-")
        return time.fromisoformat(a), time.fromisoformat(b)


@dataclass(frozen=True)
class Followup:
    """The ``followup`` section: its outbox database, where letters and the daily overdue watch are written and when,
    the public holidays that are not working days (with the site's ``calendar.holidays``), the letter and the SMS."""
    database: str
    letters_dir: str
    daily_at: str
    holidays: frozenset
    interval_s: int
    letter: Letter
    sms: Sms


def _template_check(templates: dict) -> Text | None:
    for name, text in templates.items():
        if name not in DEFAULT_TEMPLATES:
            events = ", ".join(DEFAULT_TEMPLATES)
            return f"không có mẫu {name!r} (các sự kiện: {events})", f"unknown template {name!r} (events: {events})"
        try:
            render(text, SAMPLE)
        except (KeyError, IndexError, ValueError, AttributeError) as e:     # {code.x}: no such attribute
            known = ", ".join("{" + k + "}" for k in SAMPLE)
            return f"mẫu {name}: chỗ điền sai {e}; có: {known}", f"template {name}: bad placeholder {e}; known: {known}"
    return None


def _build(**kw) -> Followup:
    return Followup(**{**kw, "holidays": frozenset(date.fromisoformat(d) for d in kw["holidays"])})


def _sms(**kw) -> Sms:
    return Sms(**{**kw, "templates": dict(kw["templates"] or {})})


SMS = Map({
    "transport": Str(choices=("gammu", "http", "directory")),
    "gammu": Map({"config": Str(min_len=1), "inject": Str(default="gammu-smsd-inject"),
                  "monitor": Str(default="gammu-smsd-monitor")}, optional=True),
    "http": Map({"url": Str(pattern=r"https?://\S+"), "body": Str(min_len=1, max_len=2000),
                 "content_type": Str(default="application/json"), "token_file": Str(optional=True),
                 "ok": Str(default=r"", max_len=200), "timeout_s": Int(min=1, max=120, default=10)}, optional=True),
    "directory": Map({"path": Str(min_len=1)}, optional=True),
    "centre": Str(max_len=60, optional=True),
    "centre_phone": Str(max_len=30, default=""),
    "unicode": Bool(default=False),
    "quiet_hours": Str(pattern=WINDOW, default="21:00-07:00"),
    "per_phone_daily": Int(min=1, max=50, default=3),
    "templates": Map({k: Str(min_len=1, max_len=600, optional=True) for k in DEFAULT_TEMPLATES},
                     build=lambda **t: {k: v for k, v in t.items() if v}, check=_template_check, optional=True),
    "answer_lookups": Bool(default=True),
    "answers_daily": Int(min=1, max=50, default=5),      # answers to one phone a day (SPEC 11.1)
    "turn_near": Int(min=0, max=50, default=3),          # "your turn is near" at this many waiting ahead
    "follow_daily": Int(min=1, max=20, default=3),       # tickets one phone may follow a day (STT)
    "modem_number": Str(pattern=r"\+?[0-9 .]{3,20}", optional=True),   # printed on the ticket's SMS line
}, build=_sms)

FOLLOWUP = Map({
    "database": Str(min_len=1),
    "letters_dir": Str(min_len=1),
    "daily_at": Str(pattern=HHMM, default="07:30"),
    "holidays": List(Str(check=date_check), default=[]),
    "interval_s": Int(min=1, max=3600, default=5),
    "letter": Map({
        "agency": Str(min_len=1, max_len=200),
        "place": Str(min_len=1, max_len=60),
        "signer": Str(min_len=1, max_len=80, default="GIÁM ĐỐC"),
        "signer_name": Str(max_len=80, optional=True),
        "parent_agency": Str(max_len=200, optional=True),
        "number": Str(max_len=60, default="{n}/XL"),              # letters of apology: "Số: 12/XL"
        "watch_number": Str(max_len=60, default="{n}/NN"),        # the daily reminders (nhắc nhở)
        "title": Str(min_len=1, max_len=200, default=LETTER_TITLE),
        "body": Str(min_len=1, max_len=3000, default=LETTER_BODY),
    }, build=Letter),
    "sms": SMS,
}, build=_build, optional=True)


def cross_check(raw: Followup | None, ctx: Ctx) -> None:
    """The transport named must have its own section."""
    if raw is None:
        return
    sms = raw.sms
    if getattr(sms, sms.transport) is None:
        ctx.error(("followup", "sms", sms.transport), f"cần có khi gửi qua {sms.transport}",
                  f"required for transport {sms.transport}")
