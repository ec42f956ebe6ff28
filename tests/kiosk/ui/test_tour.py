"""The kiosk's app toured with touches, as a citizen meets it: every screen drawn offscreen, measured
(touch targets, text sizes, nothing spilling, the contrast of every text on the saved frame) and saved,
in both orientations; the scanner, the large mode, the idle reset, the keys that would close a window,
and the technician's way out."""
import array
import json
import subprocess
import sys
import wave

import pytest
from PIL import Image

from devtools.testbed import ROOT, env, wait_for
from kiosk.ui.tour_steps import FOUND, UNKNOWN
from motcua.exits import EX_MAINTENANCE


def test_real_frames_and_touches(hall):
    """The app as a citizen meets it: home, Lấy số thứ tự, a triple tap on a service, then a priority
    ticket after confirming; every screen drawn offscreen and saved."""
    cfg, emu, tmp = hall
    out = tmp / "shots"
    r = subprocess.run([sys.executable, "-m", "kiosk.ui.tour", str(cfg.path), "k1", str(out), "--parts", "take"],
                       capture_output=True, text=True, timeout=120, cwd=ROOT,
                       env={**env(), "SDL_VIDEODRIVER": "offscreen", "KIVY_HOME": str(tmp / "kivy")})
    assert r.returncode == 0, r.stderr[-2000:]
    s = json.loads(r.stdout.strip().splitlines()[-1])
    assert s["taps_accepted"] == 2, "three quick taps gave one ticket; the priority tap another"
    assert (s["label"], s["priority"], s["priority_label"]) == ("A001", "down", "1001")   # JUST is closed
    assert s["headline"] == "Mời nhận phiếu. Số thứ tự của bạn:"
    assert set(s["home_buttons"]) == {"Tiếng Việt", "English", "Nghe hướng dẫn", "LẤY SỐ THỨ TỰ", "TRA CỨU HỒ SƠ"}, \
        "large_mode: false, no large text button"
    assert s["priority_details"].startswith("ƯU TIÊN · "), "the citizen sees the priority was taken"
    wait_for(lambda: len(emu.tickets) == 2, 5, "two printed tickets")
    for name in ("home", "services", "result", "priority", "result-priority"):
        img = Image.open(out / f"{name}.png")
        assert img.size == (1920, 1080) and len(img.convert("L").getcolors(1 << 16) or []) > 10, name



def run_tour(cfg, out, *extra):
    r = subprocess.run([sys.executable, "-m", "kiosk.ui.tour", str(cfg.path), "k1", str(out), *extra],
                       capture_output=True, text=True, timeout=240, cwd=ROOT,
                       env={**env(), "SDL_VIDEODRIVER": "offscreen", "KIVY_HOME": str(out.parent / "kivy")})
    assert r.returncode == 0, r.stderr[-3000:]
    (out / "summary.json").write_text(r.stdout.strip().splitlines()[-1])      # to read when a test fails
    return json.loads(r.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("orientation", ["landscape", "portrait"])
def test_every_screen_with_touches(dossier_hall, orientation):
    """The real app: taking a number, every lookup outcome, the scanner, the large mode, the idle
    reset, the keys, the PIN. Every screen is measured (targets >= 60 px, text >= 28 px, nothing
    spilling, every text's contrast on the saved frame >= 7:1) and saved."""
    cfg, _, tmp = dossier_hall
    out = tmp / f"shots-{orientation}"
    s = run_tour(cfg, out, "--parts", "take,lookup,large,limit,unattended",
                 *(["--portrait"] if orientation == "portrait" else []))
    assert "stuck_at_step" not in s, s
    assert s["size_problems"] == {}, json.dumps(s["size_problems"], ensure_ascii=False, indent=1)
    assert s["contrast_problems"] == {}, json.dumps(s["contrast_problems"], ensure_ascii=False, indent=1)
    assert all(c["texts"] >= 3 and c["lowest"] >= 7 for c in s["contrast"].values()), s["contrast"]
    assert s["taps_accepted"] == 3 and s["label"] == "A001", "a triple tap, the priority and the large mode's"
    heard = s["listened"]                    # "Nghe hướng dẫn" pressed on the number's screen
    assert heard["text"].startswith("Số của ông bà là a, không, không, một. Không có ai chờ trước.")
    assert heard["wavs"] == ["0001-result.wav"], "the speech written, as the wall screen does"
    with wave.open(str(out / "speech" / "0001-result.wav")) as w:
        assert w.getnframes() / w.getframerate() > 3 and max(array.array("h", w.readframes(w.getnframes()))) > 3000

    assert s["typed"] == FOUND, "the dots and dashes came by themselves"
    found = s["lookups"]["found"]
    assert found["status"] == "Đã trả kết quả" and found["timeliness"] == "Hoàn thành trước hạn"
    rows = found["rows"]
    assert rows["Mã hồ sơ"] == FOUND and rows["Người nộp"] == "Nguyễn V** A*"
    assert rows["Ngày tiếp nhận"] == "15/09/2025 08:20" and rows["Ngày hẹn trả"] == "14/10/2025"
    assert s["english"] == "Result returned"
    assert s["lookups"]["not_found"]["title"] == "Không tìm thấy hồ sơ" and UNKNOWN in s["lookups"]["not_found"]["body"]
    assert s["kept"] == UNKNOWN, "Nhập lại keeps the code to correct it"
    assert s["lookups"]["invalid_code"]["title"] == "Mã hồ sơ chưa đúng"
    assert "000.00.53.H48-220921-0099" in s["lookups"]["invalid_code"]["body"]
    assert s["scanned_code"] == "000.00.53.H48-251112-0003"
    assert s["lookups"]["scanned"]["status"] == "Yêu cầu bổ sung giấy tờ"
    assert s["lookups"]["unavailable"]["title"] == "Hệ thống tra cứu đang bận"
    assert s["lookups"]["rate_limited"]["title"] == "Tra cứu quá nhiều lần"

    assert s["home_buttons"][-1] == "Aa  CHỮ TO, DỄ NHÌN", "the large mode's button, last on home"
    large = s["large"]                       # the same flows in large text, then the idle reset
    assert large["text_scale"] == 1.5 and large["label"] == "A002" and large["typed"] == FOUND
    assert large["status"] == "Đã trả kết quả"
    assert large["switched_off"] and large["text_scale_after"] == 1.0
    assert s["more"] == "", "seven services fit in the normal look"
    if orientation == "landscape":          # in large text the last row of tiles is below the edge
        assert large["more"] == "Còn dịch vụ bên dưới — vuốt lên để xem"
    assert s["large_compared"] > 100, "each text of the large screens compared with its normal size"

    assert s["keys_handled"] == [True, True] and s["close_refused"]
    assert s["after_keys"] == {"screen": "home", "window_children": 1}, "Esc, F1 and a close request did nothing"
    assert s["before_idle"] == {"screen": "lookup", "typed": "000", "lang": "en", "large": True}
    assert s["after_idle"] == {"screen": "home", "typed": "", "lang": "vi", "large": False, "text_scale": 1.0}
    assert s["popup_closed_by_idle"], "the priority question left open is closed too"
    assert s["wrong_pin"].startswith("Sai mã PIN — còn 2 lần thử")
    assert s["exit_code"] == EX_MAINTENANCE, "the right PIN leaves with the status systemd leaves alone"

    size = (1920, 1080) if orientation == "landscape" else (1080, 1920)
    names = ["home", "services", "result", "priority", "result-priority", "lookup", "lookup-typed", "dossier",
             "dossier-en", "not-found", "invalid", "dossier-scanned", "unavailable", "services-busy",
             "large-home", "large-services", "large-services-busy", "large-result", "large-priority",
             "large-lookup-typed", "large-dossier", "large-lookup", "large-not-found", "rate-limited", "pin"]
    assert s["screens"] == names
    for name in names:
        img = Image.open(out / f"{name}.png")
        assert img.size == size and len(img.convert("L").getcolors(1 << 16) or []) > 10, name

