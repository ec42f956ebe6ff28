"""Every text the console shows, Vietnamese first, then English (``t(key)`` in the templates).

One table so a translator sees them all; a key missing here is a test failure, not an empty
label on a supervisor's screen.
"""
from __future__ import annotations

LANGS = ("vi", "en")

WORDS: dict[str, tuple[str, str]] = {
    "console": ("Bảng điều khiển", "Console"),
    "login": ("Đăng nhập", "Log in"),
    "logout": ("Đăng xuất", "Log out"),
    "username": ("Tên đăng nhập", "User name"),
    "password": ("Mật khẩu", "Password"),
    "wrong_login": ("Sai tên đăng nhập hoặc mật khẩu.", "Wrong user name or password."),
    "slow_down": ("Nhập sai nhiều lần. Vui lòng thử lại sau {s} giây.",
                  "Too many wrong tries. Please try again in {s} seconds."),
    "forged": ("Biểu mẫu đã hết hạn hoặc không hợp lệ. Vui lòng tải lại trang và thử lại.",
               "The form expired or is not valid. Reload the page and try again."),
    "forbidden": ("Tài khoản của ông/bà không được xem trang này.", "Your account may not see this page."),
    "not_found": ("Không có trang này.", "No such page."),
    "failed": ("Có lỗi khi trả lời trang này. Vui lòng thử lại sau.",
               "Something went wrong with this page. Please try again later."),
    "hall": ("Toàn cảnh sảnh", "Live hall"),
    "figures": ("Số liệu", "Figures"),
    "dossiers": ("Báo cáo hồ sơ", "Dossier report"),
    "followup": ("Theo dõi hồ sơ", "Follow-up"),
    "counters": ("Quầy", "Counters"),
    "counter": ("Quầy", "Counter"),
    "services": ("Dịch vụ", "Services"),
    "service": ("Dịch vụ", "Service"),
    "waiting": ("Đang chờ", "Waiting"),
    "oldest_wait": ("Chờ lâu nhất", "Longest wait"),
    "last_calls": ("Số vừa gọi", "Last calls"),
    "parts": ("Thiết bị", "Parts of the hall"),
    "status_idle": ("Rảnh", "Idle"),
    "status_serving": ("Đang phục vụ", "Serving"),
    "status_paused": ("Tạm nghỉ", "Paused"),
    "status_unknown": ("Chưa rõ", "Unknown"),
    "online": ("Hoạt động", "Online"),
    "offline": ("Mất kết nối", "Offline"),
    "never_seen": ("Chưa thấy", "Never seen"),
    "offline_for": ("mất kết nối {d}", "offline for {d}"),
    "offline_at_least": ("mất kết nối ít nhất {d}", "offline for at least {d}"),
    "broker_down": ("Bảng điều khiển mất kết nối với máy chủ tin nhắn (MQTT); số liệu trực tiếp có thể cũ. "
                    "Đang kết nối lại…", "The console lost the message broker (MQTT); live data may be stale. "
                    "Reconnecting…"),
    "hub_clock_wrong": ("Đồng hồ của máy chủ sai — không phát số", "The hub's clock is wrong — no tickets issued"),
    "hub_clock_detail": ("Giờ máy chủ: {hub}; số cuối phát lúc {last}. Vui lòng báo kỹ thuật viên chỉnh giờ.",
                         "Hub time: {hub}; last ticket at {last}. Ask the technician to set the time."),
    "live_lost": ("Mất kết nối với bảng điều khiển. Đang kết nối lại…", "Lost the console. Reconnecting…"),
    "served": ("Đã phục vụ", "Served"),
    "issued": ("Đã phát", "Issued"),
    "open": ("Đang phát số", "Taking tickets"),
    "closed": ("Ngừng phát số", "Closed"),
    "recall": ("gọi lại", "recall"),
    "none": ("Không có", "None"),
    "from": ("Từ ngày", "From"),
    "to": ("Đến ngày", "To"),
    "show": ("Xem", "Show"),
    "download_xlsx": ("Tải XLSX", "Download XLSX"),
    "download_csv": ("Tải CSV", "Download CSV"),
    "bad_range": ("Khoảng ngày không hợp lệ: {why}", "Not a valid range of days: {why}"),
    "arrivals_by_hour": ("Số lượt lấy số theo giờ", "Tickets issued by hour"),
    "waits_by_service": ("Thời gian chờ theo dịch vụ (phút)", "Waiting time by service (minutes)"),
    "median": ("trung vị", "median"),
    "no_tickets": ("Không có số nào trong khoảng này.", "No tickets in this range."),
    "no_dossiers": ("Không có hồ sơ nào trong khoảng này.", "No dossiers in this range."),
    "no_store": ("Chưa có kho hồ sơ (chưa nhập hồ sơ nào).", "No dossier store yet (nothing imported)."),
    "early_share": ("Tỷ lệ giải quyết trước hạn", "Resolved early"),
    "followup_off": ("Chưa cấu hình theo dõi hồ sơ (mục followup trong tệp cấu hình).",
                     "The follow-up is not configured (the followup section of the site file)."),
    "followup_down": ("Dịch vụ theo dõi hồ sơ không chạy: tin nhắn và văn bản đang dừng.",
                      "The follow-up is not running: SMS and letters are held."),
    "outbox": ("Tin nhắn", "SMS outbox"),
    "state_queued": ("Chờ gửi", "Queued"),
    "state_handing": ("Đang chuyển", "Handing over"),
    "state_handed": ("Đã chuyển modem", "Handed to the modem"),
    "state_sent": ("Đã gửi", "Sent"),
    "state_failed": ("Không gửi được", "Failed"),
    "reason": ("Lý do", "Reason"),
    "optouts": ("Số đã từ chối nhận tin", "Opted out"),
    "letters": ("Văn bản để in", "Letters to print"),
    "watch": ("Hồ sơ đến hạn và quá hạn", "Overdue watch"),
    "code": ("Mã hồ sơ", "Dossier code"),
    "procedure": ("Thủ tục", "Procedure"),
    "agency": ("Cơ quan", "Agency"),
    "due": ("Hẹn trả", "Due"),
    "state": ("Tình trạng", "State"),
    "new_due": ("Ngày hẹn mới", "New due date"),
    "extend": ("Hẹn lại ngày trả", "Set a new date"),
    "extended_ok": ("Đã hẹn lại hồ sơ {code} đến ngày {due}; thư xin lỗi và tin nhắn sẽ được gửi.",
                    "Dossier {code} now due {due}; the apology letter and SMS will follow."),
    "hub_failed": ("Máy chủ hàng đợi không trả lời: {why}", "The hub did not answer: {why}"),
    "when": ("Lúc", "When"),
    "event": ("Sự kiện", "Event"),
    "phone": ("Số điện thoại", "Phone"),
    "kind": ("Loại", "Kind"),
    "download": ("Tải về", "Download"),
    "apology_due": ("Cần thư xin lỗi", "Apology due"),
    "language": ("English", "Tiếng Việt"),
    "ticket_label": ("Số thứ tự", "Ticket number"),
    "no_ticket": ("Chưa gọi số", "No ticket"),
    "choose_service": ("Chuyển sang dịch vụ…", "Transfer to…"),
    "rating": ("Đánh giá của công dân", "The citizen's rating"),
    "priority": ("Ưu tiên", "Priority"),
    "calls_n": ("đã gọi {n} lần", "called {n} times"),
    "rated": ("Đã ghi đánh giá.", "Rating recorded."),
    "province": ("Toàn tỉnh", "The province"),
    "province_broker_down": ("Mất kết nối với máy chủ tin nhắn của tỉnh; số liệu có thể cũ. Đang kết nối lại…",
                             "Lost the province's broker; figures may be stale. Reconnecting…"),
    "link_up": ("Đang kết nối với tỉnh", "Linked to the province"),
    "link_down": ("Mất kết nối với tỉnh", "Link to the province down"),
    "link_never": ("Chưa kết nối lần nào", "Never linked"),
    "today_live": ("Hôm nay", "Today"),
    "figures_at": ("số liệu lúc {at}", "figures of {at}"),
    "no_show": ("vắng mặt", "no-show"),
    "wait_median": ("chờ trung vị (phút)", "median wait (min)"),
    "phone_lost": ("Mất kết nối, đang thử lại…", "Connection lost, retrying…"),
    "phone_not_today": ("Số này không phải của hôm nay.", "This ticket is not from today."),
    "phone_unknown": ("Hôm nay không có số này.", "There is no such ticket today."),
    "phone_take_new": ("Vui lòng lấy số mới tại ki-ốt hoặc hỏi quầy hướng dẫn.",
                       "Please take a new ticket at the kiosk or ask at the information desk."),
    "phone_ahead": ("Còn {n} người trước ông/bà", "{n} ahead of you"),
    "phone_next": ("Ông/bà là người tiếp theo", "You are next"),
    "phone_estimate": ("Thời gian chờ dự kiến khoảng {m} phút", "Estimated wait about {m} min"),
    "phone_called": ("Mời ông/bà đến", "Please go to"),
    "phone_done": ("Đã phục vụ xong. Cảm ơn ông/bà!", "Served. Thank you!"),
    "phone_no_show": ("Số đã được gọi nhưng ông/bà vắng mặt. Vui lòng hỏi quầy hướng dẫn.",
                      "Called, but you were not there. Please ask at the information desk."),
    "phone_expired": ("Số đã hết hạn (hết ngày làm việc).", "The ticket expired at the end of the day."),
    "phone_void": ("Số đã bị hủy.", "The ticket was cancelled."),
    "phone_serving": ("Đang phục vụ", "Now serving"),
}


def t(key: str, lang: str, **values) -> str:
    """The console's text for ``key`` in ``lang`` (English for any language but ``vi``), with ``values`` filled in; a
    key missing from ``WORDS`` is a KeyError, a programming error."""
    vi, en = WORDS[key]
    text = vi if lang == "vi" else en
    return text.format(**values) if values else text


def duration(seconds: float, lang: str) -> str:
    """ "3 giờ 5 phút" / "3 h 5 min": how long a part has been offline or someone has waited."""
    s = max(0, int(seconds))
    h, m = divmod(s // 60, 60)
    if lang == "vi":
        return f"{h} giờ {m} phút" if h else f"{m} phút" if m else f"{s} giây"
    return f"{h} h {m} min" if h else f"{m} min" if m else f"{s} s"


PARTS = {"province-link": ("Kết nối với tỉnh", "Link to the province"),
         "hub": ("Máy chủ hàng đợi", "Queue hub"), "kiosk": ("Ki-ốt {x}", "Kiosk {x}"),
         "printer": ("Máy in của ki-ốt {x}", "Printer of kiosk {x}"), "display": ("Màn hình {x}", "Screen {x}"),
         "bridge": ("Bộ nối bàn phím {x}", "Keypad bridge {x}"),
         "keypad": ("Bàn phím quầy {x}", "Keypad, counter {x}"),
         "followup": ("Theo dõi hồ sơ", "Follow-up"),
         "smsd": ("Modem tin nhắn (gammu-smsd)", "SMS daemon (gammu-smsd)"),
         "console": ("Bảng điều khiển", "Console")}


def part_name(name: str, lang: str) -> str:
    """``keypad-5`` -> "Bàn phím quầy 5": what the part is, in words a supervisor uses."""
    if name in PARTS and "{x}" not in PARTS[name][0]:
        return PARTS[name][0 if lang == "vi" else 1]
    kind, _, x = name.partition("-")
    if kind not in PARTS or (x == "") != ("{x}" not in PARTS[kind][0]):
        return name
    vi, en = PARTS[kind]
    return (vi if lang == "vi" else en).format(x=x)
