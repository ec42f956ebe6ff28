"""The wire contract (SPEC, contract v2), shared by the hub, the kiosk, the display and the bridge.

Everything another vendor's device relies on lives here, so that the three packages agree by
construction: topic names, error codes, ticket labels and the dossier code. No Kivy, no paho.
"""
from __future__ import annotations

import re
from datetime import date
from typing import Literal, TypedDict

API_VERSION = 1
MAX_PAYLOAD_BYTES = 1_000_000          # anything larger is answered with bad_request
REQUEST_EXPIRY_S = 10                  # what clients put in Message Expiry Interval
PENDING_TIMEOUT_S = 60                 # a pending ticket not settled by then starts waiting
ONLINE, OFFLINE = "online", "offline"
VOICE_PHRASE = "Xin mời công dân có số thứ tự {ticket} đến quầy số {counter}"   # SPEC section 8

TicketStatus = Literal["pending", "waiting", "serving", "done", "no_show", "void", "expired"]
CounterStatus = Literal["idle", "serving", "paused"]
ACTIONS = ("next", "recall", "skip", "done", "transfer", "call", "pause", "resume")   # counter commands
ACTION_ARGUMENT = {"transfer": "service", "call": "ticket"}     # the field those two cannot do without

# code -> (Vietnamese, English): the start of an error's text (SPEC section 4: error.text {vi, en}).
# score -> (Vietnamese, English): a citizen's rating (SPEC section 4, counter/<C>/rating)
RATINGS: dict[int, tuple[str, str]] = {1: ("Không hài lòng", "Dissatisfied"), 2: ("Hài lòng", "Satisfied"),
                                       3: ("Rất hài lòng", "Very satisfied")}

ERRORS: dict[str, tuple[str, str]] = {
    "bad_request": ("Yêu cầu không hợp lệ", "Bad request"),
    "unknown_service": ("Không có dịch vụ này", "Unknown service"),
    "unknown_counter": ("Không có quầy này", "Unknown counter"),
    "unknown_ticket": ("Không có số thứ tự này", "Unknown ticket"),
    "outside_hours": ("Ngoài giờ nhận hồ sơ", "Outside ticket hours"),
    "daily_limit_reached": ("Đã hết số hôm nay", "No more tickets today"),
    "nothing_to_recall": ("Quầy chưa gọi số nào để gọi lại", "Nothing to recall"),
    "not_serving": ("Quầy không đang phục vụ số nào", "The counter is not serving"),
    "rate_limited": ("Tra cứu quá nhiều lần, vui lòng thử lại sau", "Too many lookups, try again later"),
    "invalid_code": ("Mã hồ sơ không đúng định dạng", "Invalid dossier code"),
    "not_found": ("Không tìm thấy hồ sơ", "Dossier not found"),
    "unavailable": ("Hệ thống tạm thời không phục vụ được", "Temporarily unavailable"),
}


class ContractError(Exception):
    """An error reply: a code from ERRORS, its text in each language (what a screen shows) and
    ``message``, both in one line, for clients of contract v1, which never had ``text``."""

    def __init__(self, code: str, detail_vi: str = "", detail_en: str = ""):
        vi, en = ERRORS[code]
        self.code = code
        self.text = {"vi": f"{vi}{': ' + detail_vi if detail_vi else ''}",
                     "en": f"{en}{': ' + detail_en if detail_en else ''}"}
        self.message = f"{self.text['vi']} / {self.text['en']}"
        super().__init__(self.message)

    def reply(self) -> dict:
        return {"ok": False, "error": {"code": self.code, "message": self.message, "text": dict(self.text)}}


class Topics:
    """Topic names under the root ``<topic_root>/<site.id>``."""

    def __init__(self, topic_root: str, site_id: str):
        self.root = f"{topic_root}/{site_id}"

    def __call__(self, suffix: str) -> str:
        return f"{self.root}/{suffix}"

    @property
    def reply_prefix(self) -> str:
        return f"{self.root}/reply/"

    def reply(self, client: str) -> str:
        return f"{self.root}/reply/{client}"

    def counter_command(self, counter: str) -> str:
        return f"{self.root}/counter/{counter}/command"

    def counter_state(self, counter: str) -> str:
        return f"{self.root}/counter/{counter}/state"

    def counter_rating(self, counter: str) -> str:
        return f"{self.root}/counter/{counter}/rating"

    def service_state(self, service: str) -> str:
        return f"{self.root}/service/{service}/state"

    def status(self, component: str) -> str:
        return f"{self.root}/status/{component}"

    def printer(self, kiosk: str) -> str:
        return f"{self.root}/kiosk/{kiosk}/printer"

    @property
    def call(self) -> str:
        return f"{self.root}/call"

    @property
    def calls_recent(self) -> str:
        """Retained: the day's last 20 calls, newest first (SPEC 4), for screens that (re)start."""
        return f"{self.root}/calls/recent"

    @property
    def hub_health(self) -> str:
        """The request the hub sends itself through the broker: its answer is what feeds the hub's
        watchdog (SPEC 4.1, 10.1). Only the hub's broker user may publish or read it."""
        return f"{self.root}/hub/health"

    @property
    def hub_health_reply(self) -> str:
        return f"{self.root}/reply/hub/health"

    @property
    def issue(self) -> str:
        return f"{self.root}/ticket/issue"

    @property
    def confirm(self) -> str:
        return f"{self.root}/ticket/confirm"

    @property
    def void(self) -> str:
        return f"{self.root}/ticket/void"

    @property
    def lookup(self) -> str:
        return f"{self.root}/dossier/lookup"

    def figures(self, day: str) -> str:
        return f"{self.root}/figures/{day}"

    @property
    def extend(self) -> str:
        return f"{self.root}/dossier/extend"


# --- payload shapes (documentation for readers and type checkers) -----------------------------

class TicketPayload(TypedDict):
    id: str
    label: str
    service: str
    priority: bool
    status: TicketStatus
    issued_at: str
    waiting_ahead: int
    estimated_wait_min: int


class CounterState(TypedDict):
    counter: str
    status: CounterStatus
    ticket: str | None
    ticket_id: str | None
    service: str | None
    priority: bool | None
    called_at: str | None
    calls: int


class CallEvent(TypedDict):
    counter: str
    ticket: str
    ticket_id: str
    service: str
    recall: bool
    calls: int
    at: str


class ServiceState(TypedDict):
    service: str
    waiting: int
    issued: int
    served: int
    no_show: int
    last_issued: str | None
    last_called: str | None
    open: bool
    estimated_wait_min: int
    closed_reason: str | None
    opens_at: str | None


# --- labels ------------------------------------------------------------------------------

def format_label(prefix: str, number: int, last: int) -> str:
    """Prefix + number zero-padded to the digits of ``last`` ("A", 7, 999 -> "A007")."""
    return f"{prefix}{number:0{len(str(last))}d}"


LABEL_RE = re.compile(r"^([A-Z]{0,2})(\d{1,4})$")


def parse_label(label: str) -> tuple[str, int] | None:
    """(prefix, number) of a label, or None when it is not one."""
    m = LABEL_RE.match(label)
    return (m.group(1), int(m.group(2))) if m else None


# --- dossier codes (Circular 01/2018/TT-VPCP art. 19) ------------------------------------

DOSSIER_CODE_RE = re.compile(r"^\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}-(\d{2})(\d{2})(\d{2})-\d{4}$")
_CODE_IN_TEXT = re.compile(r"\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}-\d{6}-\d{4}")
MAX_CODE_INPUT = 512


def normalise_dossier_code(text: str) -> str | None:
    """The dossier code held in what a citizen typed or a scanner sent (a URL included), or None.

    Trim, upper-case and drop spaces first; then the code must be the whole input or stand inside
    it (a scanned receipt QR often holds a URL), and its receiving date must be a real date.
    """
    if not isinstance(text, str) or len(text) > MAX_CODE_INPUT:
        return None
    flat = "".join(text.split()).upper()
    m = _CODE_IN_TEXT.search(flat)
    if m is None:
        return None
    code = m.group(0)
    if code != flat and not _is_url_or_scan(flat, m):
        return None
    yy, mm, dd = DOSSIER_CODE_RE.match(code).groups()
    try:
        date(2000 + int(yy), int(mm), int(dd))
    except ValueError:
        return None
    return code


def _is_url_or_scan(flat: str, m: re.Match) -> bool:
    """A code inside longer text counts only when delimited, not glued to a longer token."""
    before = flat[m.start() - 1] if m.start() else ""
    after = flat[m.end()] if m.end() < len(flat) else ""
    return not (before.isalnum() or before == "." or after.isalnum())


# National public-service portal status catalogue: code -> (Vietnamese, English).
DOSSIER_STATUSES: dict[int, tuple[str, str]] = {
    1: ("Mới đăng ký", "Newly registered"),
    2: ("Được tiếp nhận", "Received"),
    3: ("Không được tiếp nhận", "Not accepted"),
    4: ("Đang xử lý", "Being processed"),
    5: ("Yêu cầu bổ sung giấy tờ", "Additional documents requested"),
    6: ("Yêu cầu thực hiện nghĩa vụ tài chính", "Payment of fees or taxes requested"),
    7: ("Công dân yêu cầu rút hồ sơ", "Withdrawn at the citizen's request"),
    8: ("Dừng xử lý", "Processing stopped"),
    9: ("Đã xử lý xong", "Processed"),
    10: ("Đã trả kết quả", "Result returned"),
}
DOSSIER_CODE_EXAMPLE = "000.00.53.H48-220921-0099"
# the columns of a dossier export (CSV header or JSON keys); others are ignored
DOSSIER_FIELDS = ("code", "procedure", "agency", "received_at", "due_at", "finished_at", "status", "applicant",
                  "phone", "note", "field", "channel", "reason")
DOSSIER_OPEN = frozenset({1, 2, 4, 5, 6})   # not refused (3), withdrawn (7), stopped (8), done (9, 10)
DOSSIER_CHANNELS = {1: ("Trực tiếp", "In person"), 2: ("Trực tuyến", "Online"), 3: ("Bưu chính công ích", "Postal")}
