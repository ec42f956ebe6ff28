"""What "Nghe hướng dẫn" / "Listen" says on each screen: the number spelled as the wall screen will
call it, the waiting and the counters, what each screen offers, a dossier's status and due date."""
from devtools.testbed import site_data, write_site
from kiosk import guidance
from kiosk.taking import ServiceButton
from motcua import config
from motcua.speech import VoiceConfig

TICKET = {"label": "A012", "service": "LAND", "waiting_ahead": 3, "estimated_wait_min": 15}


def cfg(tmp_path):
    return config.load(write_site(tmp_path, site_data(tmp_path)))


def test_the_number_is_spelled_as_the_wall_screen_will_call_it(tmp_path):
    said = guidance.result(cfg(tmp_path), TICKET, "vi")
    assert said.startswith("Số của ông bà là a, không, một, hai. Có 3 người chờ trước.")
    assert "Quầy 1, Quầy 3" in said and "khoảng 15 phút" in said
    assert "a, không, một, hai" in VoiceConfig().words("A012", "5"), "one spelling of a label in the hall"
    assert "a, mười hai" in guidance.result(cfg(tmp_path), TICKET, "vi", label_mode="number")
    nobody = guidance.result(cfg(tmp_path), {**TICKET, "waiting_ahead": 0}, "vi")
    assert "Không có ai chờ trước." in nobody
    assert guidance.result(cfg(tmp_path), TICKET, "en").startswith("Your number is a, không, một, hai. 3 people")


def test_each_screen_says_what_it_offers(tmp_path):
    c = cfg(tmp_path)
    home = guidance.home(c, "vi", lookup=True)
    assert "Lấy số thứ tự" in home and "Tra cứu hồ sơ" in home and c.site.name in home
    assert "Tra cứu" not in guidance.home(c, "vi", lookup=False)
    assert "Chữ to" in guidance.home(c, "vi", lookup=True, large=True) and "Chữ to" not in home
    assert "Large text" in guidance.home(c, "en", lookup=True, large=True)
    buttons = [ServiceButton("LAND", "Đất đai", "", True), ServiceButton("JUST", "Tư pháp", "Mở lại lúc 13:30", False)]
    services = guidance.services(buttons, {"LAND": 4}, "vi")
    assert "Đất đai: 4 người đang chờ." in services and "Tư pháp: Mở lại lúc 13:30." in services
    assert "Ưu tiên" in services
    d = {"procedure": "Cấp giấy phép xây dựng", "status_text": {"vi": "Đang xử lý", "en": "Processing"},
         "timeliness": "overdue", "due_at": "2026-12-03T17:00:00+07:00"}
    assert "Hẹn trả ngày 03 tháng 12 năm 2026." in guidance.dossier(d, "vi")
    assert "Đang xử lý" in guidance.dossier(d, "vi") and "Processing" in guidance.dossier(d, "en")
    assert "máy quét" in guidance.lookup("vi")

