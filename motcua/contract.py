"""The wire contract (SPEC, contract v2), shared by the hub, the kiosk, the display and the bridge.

Everything another vendor's device relies on lives here, so that the three packages agree by
construction: topic names, error codes, ticket labels and the dossier code. No Kivy, no paho.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from enum import IntEnum
from typing import Literal, TypedDict

API_VERSION = 1
MAX_PAYLOAD_BYTES = 1_000_000          # anything larger is answered with bad_request
REQUEST_EXPIRY_S = 10                  # what clients put in Message Expiry Interval
PENDING_TIMEOUT_S = 60                 # a pending ticket not settled by then starts waiting
RECENT_CALLS = 20                      # calls/recent holds the day's last 20 calls (SPEC 4)
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
    "clock_wrong": ("Đồng hồ của máy chủ sai, không phát số được: vui lòng báo kỹ thuật viên chỉnh giờ",
                    "The hub's clock is wrong, no tickets can be issued: ask the technician to set the time"),
    "person_limit_reached": ("Ông bà đã lấy đủ số hôm nay", "You have taken all the numbers allowed today"),
    "remote_limit_reached": ("Đã hết số lấy từ xa hôm nay", "No more remote numbers today"),
    "not_allowed": ("Không được phép", "Not allowed"),
    "conflict": ("Cấu hình đã được người khác thay đổi trước, vui lòng tải lại",
                 "Someone else changed the settings first: reload them"),
    "config_invalid": ("Cấu hình không hợp lệ", "Invalid settings"),
    "service_closed": ("Dịch vụ tạm ngừng nhận hồ sơ hôm nay", "This service is closed today"),
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


ANY, ALL = "+", "#"     # MQTT wildcards (one level; every level below): for subscriptions and the ACL only
PROVINCE_LINK = "province-link"        # status/<this>: a hall's mosquitto bridge, "1" linked and "0" cut (SPEC 13)
LINK_UP = "1"
# the requests the hub answers that name no counter (counter/<C>/command is the one that does)
REQUESTS = ("ticket/issue", "ticket/confirm", "ticket/void", "dossier/lookup", "dossier/extend", "hub/health",
            "config/set", "config/history")
# the hall's devices, each named ``<kind>-<id>`` on ``status/<component>`` (SPEC 4) and as its broker user; ``keypad``
# is a counter's keypad said by its bridge, ``printer`` the console's name for a kiosk's printer (kiosk/<id>/printer)
DEVICE_KINDS = ("kiosk", "display", "bridge", "keypad", "printer")


def component_name(kind: str, device_id: str) -> str:
    """``kiosk-k1``, ``display-hall``, ``bridge-b1``, ``keypad-3``: a device's name in ``status/<component>``, the
    ACL and the reconciliation; the one place it is built, so every process names a device the same way."""
    if kind not in DEVICE_KINDS:
        raise ValueError(f"not a kind of device: {kind!r}")
    return f"{kind}-{device_id}"


def ticket_id_of(day: str, label: str) -> str:
    """``20261203-A012``: a ticket's id from its service day (ISO) and label (SPEC 4), unique across days; built here
    only, so the hub that makes it and a process that recognises it agree."""
    return f"{day.replace('-', '')}-{label}"


def is_online(payload: bytes | str) -> bool:
    """A status payload (SPEC 4: plain text ``online``/``offline``) that says online; the JSON
    string ``"online"`` counts too, as some devices quote it."""
    text = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else payload
    return text.strip() in (ONLINE, f'"{ONLINE}"')


def hall_message(t: Topics, topic: str, payload: bytes, kinds: tuple[str, ...]) -> tuple[ParsedTopic, dict] | None:
    """A message of one of ``kinds`` under ``t``'s root whose payload is a JSON object: (its topic read back, the
    object); None for anything else, which a follower of the hall passes over."""
    parsed = t.parse(topic)
    if parsed is None or parsed.kind not in kinds:
        return None
    try:
        body = json.loads(payload)
    except ValueError:
        return None
    return (parsed, body) if isinstance(body, dict) else None


@dataclass(frozen=True)
class ParsedTopic:
    """A topic under one hall's root, read back: its kind and the ids it names.

    Kinds: ``counter_state``, ``counter_command``, ``counter_rating`` (``counter``),
    ``service_state`` (``service``), ``status`` (``component``), ``printer`` (``kiosk``), ``call``,
    ``calls_recent``, ``hub_clock``, ``figures`` (``day``), ``seen`` (``component``), ``reply``
    (``client``, the first level under ``reply/``; the levels below it, empty ones too, are the client's own) and
    ``request`` (``request``: one of ``REQUESTS``)."""
    kind: str
    counter: str | None = None
    service: str | None = None
    component: str | None = None
    kiosk: str | None = None
    client: str | None = None
    day: str | None = None
    request: str | None = None


class Topics:
    """Topic names under the root ``<topic_root>/<site.id>``: every topic and topic filter of the
    contract is built here (an id of ``ANY`` or ``ALL`` makes a filter), and read back by ``parse``."""

    def __init__(self, topic_root: str, site_id: str):
        self.root = f"{topic_root}/{site_id}"

    def holds(self, topic: str) -> bool:
        """The topic lies under this hall's root."""
        return topic.startswith(self.root + "/")

    def suffix(self, topic: str) -> str:
        """What follows the root (for log lines), or the whole topic when it lies elsewhere."""
        return topic[len(self.root) + 1:] if self.holds(topic) else topic

    def parse(self, topic: str) -> ParsedTopic | None:
        """The kind and ids of a topic of this hall, or None for anything the contract does not name
        (another hall's, an empty or wildcard level, an unknown request)."""
        if not isinstance(topic, str) or not self.holds(topic):
            return None
        levels = topic[len(self.root) + 1:].split("/")
        named = levels[:2] if levels[0] == "reply" else levels      # below reply/<client>: the client's own levels
        if any(ANY in level or ALL in level for level in levels) or not all(named):
            return None
        return _parse_levels(named)

    @property
    def everything(self) -> str:
        return f"{self.root}/{ALL}"

    @property
    def reply_prefix(self) -> str:
        return f"{self.root}/reply/"

    def reply(self, client: str) -> str:
        return f"{self.root}/reply/{client}"

    def replies(self, client: str) -> str:
        """The filter of every reply to ``client``: what the ACL lets only it read."""
        return f"{self.reply(client)}/{ALL}"

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

    def status_detail(self, component: str) -> str:
        """Retained JSON beside ``status/<component>``: what a supervisor reads next to it in the live hall (the
        hub's board, a replica's lag and last copy, the standby's copy)."""
        return f"{self.status(component)}/detail"

    @property
    def hub_clock(self) -> str:
        """Retained JSON: whether the hub trusts its clock (SPEC 10.1). Beside ``status/hub``, which
        stays the plain ``online``/``offline`` other vendors' devices compare."""
        return f"{self.status('hub')}/clock"

    def printer(self, kiosk: str) -> str:
        return f"{self.root}/kiosk/{kiosk}/printer"

    @property
    def call(self) -> str:
        return f"{self.root}/call"

    @property
    def calls_recent(self) -> str:
        """Retained: the day's last 20 calls, newest first (SPEC 4), for screens that (re)start."""
        return f"{self.root}/calls/recent"

    def figures(self, day: str) -> str:
        return f"{self.root}/figures/{day}"

    def seen(self, component: str) -> str:
        """Retained: what ``component`` saw of today's queue (its highest labels, the last calls), said again on
        every reconnect, so a hub restored from a copy never issues a label the hall has seen (SPEC 14)."""
        return f"{self.root}/seen/{component}"

    def request(self, name: str) -> str:
        """A request of ``REQUESTS`` (``ticket/issue``…); ``ticket(ANY)`` is the filter of every ticket request."""
        return f"{self.root}/{name}"

    def ticket(self, action: str) -> str:
        return self.request(f"ticket/{action}")

    @property
    def hub_health(self) -> str:
        """The request the hub sends itself through the broker: its answer is what feeds the hub's
        watchdog (SPEC 4.1, 10.1). Only the hub's broker user may publish or read it."""
        return self.request("hub/health")

    @property
    def hub_health_reply(self) -> str:
        return f"{self.reply('hub')}/health"

    @property
    def config(self) -> str:
        """Retained: the site document the hub keeps, with its version (SPEC 2.1)."""
        return f"{self.root}/config"

    @property
    def config_set(self) -> str:
        """A change of the site document; the console's broker user only (SPEC 2.1)."""
        return self.request("config/set")

    @property
    def config_history(self) -> str:
        return self.request("config/history")

    def config_status(self, component: str) -> str:
        """Retained: which version of the site document ``component`` runs on (SPEC 2.1)."""
        return f"{self.status(component)}/config"

    @property
    def issue(self) -> str:
        return self.ticket("issue")

    @property
    def confirm(self) -> str:
        return self.ticket("confirm")

    @property
    def void(self) -> str:
        return self.ticket("void")

    @property
    def lookup(self) -> str:
        return self.request("dossier/lookup")

    @property
    def extend(self) -> str:
        return self.request("dossier/extend")

    @property
    def to_province(self) -> tuple[str, ...]:
        """What a hall's mosquitto sends out to the province and the province's console reads
        (SPEC 13): state and events, never requests or replies."""
        return (self.counter_state(ANY), self.service_state(ANY), self.status(ALL), self.call, self.figures(ALL))


HUB_PROBLEMS = {   # the ledger cannot be written (the code on status/hub/detail) -> (vi, en)
    "disk_full": ("thẻ nhớ của hub đã đầy: không cấp được số mới", "the hub's disk is full: no new number"),
    "cannot_write": ("hub không ghi được sổ: không cấp được số mới", "the hub cannot write its ledger: no new number"),
}
REPLICA_PROBLEMS = {   # a copy's problem (the code on status/replica/detail and status/standby/detail) -> (vi, en)
    "missing": ("không thấy nơi chép (USB chưa cắm?)", "the replica's folder is missing (USB stick not plugged in?)"),
    "own_disk": ("nơi chép nằm trên chính ổ của hub", "the replica lies on the hub's own disk"),
    "full": ("nơi chép đã đầy", "the replica's disk is full"),
    "behind": ("bản sao bị chậm", "the copy is falling behind"),
    "unreachable": ("không đọc được nơi chép", "cannot read the replica"),
    "stopped": ("Litestream đã dừng, đang chạy lại", "Litestream stopped; starting it again"),
    "starting": ("chưa có bản sao nào: Litestream đang đọc dữ liệu", "no copy yet: Litestream reads the databases"),
}


def _parse_levels(levels: list[str]) -> ParsedTopic | None:
    match levels:
        case ["counter", counter, "state" | "command" | "rating" as what]:
            return ParsedTopic(f"counter_{what}", counter=counter)
        case ["service", service, "state"]:
            return ParsedTopic("service_state", service=service)
        case ["status" | "seen" as what, component]:
            return ParsedTopic(what, component=component)
        case ["status", component, what]:
            return _status_beside(component, what)
        case ["kiosk", kiosk, "printer"]:
            return ParsedTopic("printer", kiosk=kiosk)
        case ["call" | "config" as what]:
            return ParsedTopic(what)
        case ["calls", "recent"]:
            return ParsedTopic("calls_recent")
        case ["figures", day]:
            return ParsedTopic("figures", day=day)
        case ["reply", client, *_]:
            return ParsedTopic("reply", client=client)
        case [group, name] if f"{group}/{name}" in REQUESTS:
            return ParsedTopic("request", request=f"{group}/{name}")
    return None


def _status_beside(component: str, what: str) -> ParsedTopic | None:
    """What is said beside ``status/<component>``: the hub's clock, a process's site document, a detail."""
    if (component, what) == ("hub", "clock"):
        return ParsedTopic("hub_clock")
    kind = {"config": "config_status", "detail": "status_detail"}.get(what)
    return ParsedTopic(kind, component=component) if kind else None


# --- payload shapes: what the hub publishes (SPEC section 4), the return types of the functions
# that build them (motcua/hub/views.py, ledger.py), checked against real payloads by the tests ---

class TicketPayload(TypedDict):
    """A reply's ``ticket`` (ticket/issue, /confirm, /void)."""
    id: str
    label: str
    service: str
    priority: bool
    status: TicketStatus
    issued_at: str
    waiting_ahead: int
    estimated_wait_min: int
    source: str | None                 # who asked: "kiosk-k1", "sms" (SPEC 3.1) — as the request said
    priority_reason: str | None        # "age" (the ID card's birth year), "asked" (the kiosk's toggle), or null


class CounterState(TypedDict):
    """Retained on ``counter/<C>/state``, and a command's reply's ``state``."""
    counter: str
    status: CounterStatus
    ticket: str | None
    ticket_id: str | None
    service: str | None
    priority: bool | None
    called_at: str | None
    calls: int


class CallEvent(TypedDict):
    """An event on ``call``, and each of ``calls/recent``'s calls."""
    counter: str
    ticket: str
    ticket_id: str
    service: str
    recall: bool
    calls: int
    at: str


class RecentCalls(TypedDict):
    """Retained on ``calls/recent``: the service day's last 20 calls, newest first."""
    day: str
    calls: list[CallEvent]


class TwoLanguages(TypedDict):
    """A text shown to citizens in both languages."""
    vi: str
    en: str


class ServiceState(TypedDict):
    """Retained on ``service/<S>/state``."""
    service: str
    waiting: int
    issued: int
    served: int
    no_show: int
    last_issued: str | None
    last_called: str | None
    open: bool
    estimated_wait_min: int
    closed_reason: str | None          # outside_hours, daily_limit_reached, clock_wrong, service_closed; null: open
    opens_at: str | None               # HH:MM today or tomorrow, "HH:MM dd/mm" later (the working calendar)
    closed_text: TwoLanguages | None   # service_closed: the supervisor's reason, as citizens read it; else null
    oldest_waiting_at: str | None      # when the longest-waiting ticket was issued (the console's "oldest")


class HubClock(TypedDict):
    """Retained on ``status/hub/clock`` (SPEC 10.1): while ``ok`` is false, no ticket is issued."""
    ok: bool
    reason: str | None                 # behind, ahead; null while ok
    hub_time: str                      # the hub's clock at the change (each minute while wrong)
    last_ticket_at: str | None
    since: str                         # the hub's clock when the verdict took its value


class ConfigEntry(TypedDict):
    """One version of the site document, as ``config/history`` lists it (newest first)."""
    version: int
    at: str                            # when it was written
    by: str                            # who wrote it: the console's user, or "file" for a hand edit
    sha256: str                        # of the file's text as written


class ConfigPayload(ConfigEntry):
    """Retained on ``config`` (SPEC 2.1): the whole site document except the accounts."""
    document: dict


class ConfigStatus(TypedDict):
    """Retained on ``status/<component>/config`` (SPEC 2.1): the version a process runs on."""
    version: int
    applied: bool
    restart_needed: bool               # some changed key (the broker, a database path) waits for a restart
    problems: list[str]                # what is not applied, and why


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
_CODE_IN_TEXT = re.compile(r"\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}-(\d{2})(\d{2})(\d{2})-\d{4}")
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
    yy, mm, dd = m.groups()
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


class DossierStatus(IntEnum):
    """The national public-service portal's status codes (SPEC section 7), as the exports carry them."""
    REGISTERED = 1              # Mới đăng ký
    RECEIVED = 2                # Được tiếp nhận
    NOT_ACCEPTED = 3            # Không được tiếp nhận
    PROCESSING = 4              # Đang xử lý
    PAPERS_REQUESTED = 5        # Yêu cầu bổ sung giấy tờ
    FEES_REQUESTED = 6          # Yêu cầu thực hiện nghĩa vụ tài chính
    WITHDRAWN = 7               # Công dân yêu cầu rút hồ sơ
    STOPPED = 8                 # Dừng xử lý
    PROCESSED = 9               # Đã xử lý xong
    RETURNED = 10               # Đã trả kết quả


# status -> (Vietnamese, English), what a citizen and a clerk read
DOSSIER_STATUSES: dict[int, tuple[str, str]] = {
    DossierStatus.REGISTERED: ("Mới đăng ký", "Newly registered"),
    DossierStatus.RECEIVED: ("Được tiếp nhận", "Received"),
    DossierStatus.NOT_ACCEPTED: ("Không được tiếp nhận", "Not accepted"),
    DossierStatus.PROCESSING: ("Đang xử lý", "Being processed"),
    DossierStatus.PAPERS_REQUESTED: ("Yêu cầu bổ sung giấy tờ", "Additional documents requested"),
    DossierStatus.FEES_REQUESTED: ("Yêu cầu thực hiện nghĩa vụ tài chính", "Payment of fees or taxes requested"),
    DossierStatus.WITHDRAWN: ("Công dân yêu cầu rút hồ sơ", "Withdrawn at the citizen's request"),
    DossierStatus.STOPPED: ("Dừng xử lý", "Processing stopped"),
    DossierStatus.PROCESSED: ("Đã xử lý xong", "Processed"),
    DossierStatus.RETURNED: ("Đã trả kết quả", "Result returned"),
}
DOSSIER_CODE_EXAMPLE = "000.00.53.H48-220921-0099"
# the columns of a dossier export (CSV header or JSON keys); others are ignored
DOSSIER_FIELDS = ("code", "procedure", "agency", "received_at", "due_at", "finished_at", "status", "applicant",
                  "phone", "note", "field", "channel", "reason")
# still being worked on: not refused, withdrawn, stopped or done
DOSSIER_OPEN = frozenset({DossierStatus.REGISTERED, DossierStatus.RECEIVED, DossierStatus.PROCESSING,
                          DossierStatus.PAPERS_REQUESTED, DossierStatus.FEES_REQUESTED})
DOSSIER_CHANNELS = {1: ("Trực tiếp", "In person"), 2: ("Trực tuyến", "Online"), 3: ("Bưu chính công ích", "Postal")}
