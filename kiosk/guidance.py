"""What "Nghe hướng dẫn" / "Listen" says on each screen of the kiosk, as plain text: for citizens
who cannot read the screen. A number is spelled as the wall screen will call it
(``motcua.spoken``: one spelling of a label in the hall), so the citizen hears now what they will
hear later. English is read with the same Vietnamese voice only where there is no other (the
kiosk says the language it shows).
"""
from __future__ import annotations

from motcua.config import SiteConfig, Voice
from motcua.spoken import label_words

from .dossier_lookup import status_line
from .taking import ServiceButton

TEXTS = {
    "home": ("Xin chào. Đây là máy lấy số thứ tự của {centre}. Nút lớn ở giữa, Lấy số thứ tự: chọn dịch vụ "
             "rồi nhận phiếu in.{lookup}{large}",
             "Welcome. This machine gives queue numbers at {centre}. The big button in the middle, Take a "
             "number: choose a service, then take your printed ticket.{lookup}{large}"),
    "home_lookup": (" Nút bên dưới, Tra cứu hồ sơ: nhập hoặc quét mã hồ sơ trên giấy hẹn để biết hồ sơ đến đâu.",
                    " The button below, Look up a dossier: type or scan the code on your receipt to see how "
                    "it stands."),
    "home_large": (" Nút cuối màn hình, Chữ to: chữ to hơn, vàng trên nền đen, dễ nhìn hơn.",
                   " The button at the bottom, Large text: bigger letters, yellow on black, easier to see."),
    "services": ("Chạm vào dịch vụ ông bà cần. {services} Người cao tuổi, người khuyết tật, phụ nữ mang thai "
                 "bấm nút Ưu tiên trước.",
                 "Touch the service you need. {services} Elderly, disabled or pregnant people: press Priority "
                 "first."),
    "service_open": ("{name}: {waiting} người đang chờ.", "{name}: {waiting} waiting."),
    "service_closed": ("{name}: {detail}.", "{name}: {detail}."),
    "result": ("Số của ông bà là {label}. {ahead} Mời ông bà chờ gọi số tại {counters}. Thời gian chờ khoảng "
               "{minutes} phút. Mời nhận phiếu bên dưới.",
               "Your number is {label}. {ahead} Please wait to be called at {counters}. About {minutes} "
               "minutes. Take your ticket below."),
    "card": (" Máy đã đọc căn cước của ông bà cho số sắp lấy.", " Your ID card was read for the number you take now."),
    "card_elderly": (" Máy đã đọc căn cước: ông bà là người cao tuổi, được lấy số ưu tiên, không cần bấm nút Ưu tiên.",
                     " Your ID card was read: as an elderly citizen you get a priority number, no need to press "
                     "Priority."),
    "priority_age": (" Đây là số ưu tiên cho người cao tuổi.", " This is a priority number for the elderly."),
    "ahead_some": ("Có {n} người chờ trước.", "{n} people are ahead of you."),
    "ahead_none": ("Không có ai chờ trước.", "Nobody is ahead of you."),
    "lookup": ("Nhập mã hồ sơ trên giấy hẹn bằng bàn phím trên màn hình, hoặc đưa mã vạch vào máy quét bên "
               "dưới, rồi bấm Tra cứu.",
               "Type the dossier code from your receipt on the keyboard on the screen, or hold its barcode "
               "to the scanner below, then press Look up."),
    "dossier": ("Hồ sơ {procedure}: {status}. {timeliness} {due}", "Dossier {procedure}: {status}. {timeliness} {due}"),
    "due": ("Hẹn trả ngày {day} tháng {month} năm {year}.", "Due on {day}/{month}/{year}."),
}


def _t(key: str, lang: str, **values) -> str:
    vi, en = TEXTS[key]
    return (vi if lang == "vi" else en).format(**values)


def home(cfg: SiteConfig, lang: str, lookup: bool, large: bool = False) -> str:
    """``large``: the large mode's button is there (and not yet pressed)."""
    return _t("home", lang, centre=cfg.site.name, lookup=_t("home_lookup", lang) if lookup else "",
              large=_t("home_large", lang) if large else "")


def services(buttons: list[ServiceButton], waiting: dict[str, int], lang: str, card: str = "") -> str:
    """``card``: an ID card was read for this ticket ("card"), of an elderly citizen ("card_elderly")."""
    said = [_t("service_open", lang, name=b.title, waiting=waiting.get(b.id, 0)) if b.enabled
            else _t("service_closed", lang, name=b.title, detail=b.detail) for b in buttons]
    return _t("services", lang, services=" ".join(said)) + (_t(card, lang) if card else "")


def result(cfg: SiteConfig, ticket: dict, lang: str, label_mode: str = "digits") -> str:
    """"Số của ông bà là a, không, một, hai. Có 3 người chờ trước. …" — as the call will spell it."""
    n = int(ticket.get("waiting_ahead") or 0)
    counters = [c.name.vi if lang == "vi" else c.name.en for c in cfg.counters if ticket["service"] in c.services]
    age = _t("priority_age", lang) if ticket.get("priority_reason") == "age" else ""
    return _t("result", lang, label=label_words(ticket["label"], label_mode),
              ahead=_t("ahead_some", lang, n=n) if n else _t("ahead_none", lang),
              counters=", ".join(counters), minutes=ticket.get("estimated_wait_min") or 0) + age


def lookup(lang: str) -> str:
    """What "Listen" says on the lookup screen: how to type or scan a dossier code."""
    return _t("lookup", lang)


def dossier(d: dict, lang: str) -> str:
    """What "Listen" says about a dossier found: its procedure, status, whether it is on time, and the due date read as
    day, month and year."""
    status, timeliness, _ = status_line(d, lang)
    due = str(d.get("due_at") or "")[:10]
    due_said = _t("due", lang, day=due[8:10], month=due[5:7], year=due[:4]) if len(due) == 10 else ""
    return _t("dossier", lang, procedure=d.get("procedure", ""), status=status,
              timeliness=(timeliness + ".") if timeliness else "", due=due_said).strip()


def problem(title: str, body: str) -> str:
    """What "Listen" says on a problem screen: its title, then its explanation."""
    return f"{title}. {body}"


def label_mode(cfg: SiteConfig) -> str:
    """How the hall's wall screens spell numbers (the first screen's voice; digits by default)."""
    return cfg.displays[0].voice.label_mode if cfg.displays else Voice().label_mode


def for_screen(app, name: str) -> str:
    """The text of the screen ``name`` of the kiosk ``app`` as it shows now."""
    cfg, lang = app.model.cfg, app.lang
    if name == "services":
        waiting = {sid: st.get("waiting", 0) for sid, st in app.model.states.items()}
        return services(app.model.buttons(), waiting, lang, app.model.card_kind())
    if name == "result":
        screen = app.root.get_screen("result")
        return result(cfg, app.last_ticket, lang, label_mode(cfg)) if app.last_ticket else screen.headline
    if name == "lookup":
        return lookup(lang)
    if name == "dossier":
        return dossier(app.last_dossier, lang)
    if name == "problem":
        screen = app.root.get_screen("problem")
        return problem(screen.title, screen.body)
    return home(cfg, lang, app.lookup_enabled, app.large_enabled and not app.large)
