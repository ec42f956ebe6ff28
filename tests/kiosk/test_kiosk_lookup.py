"""The kiosk, part 2 (issue 8): the dossier lookup through a real hub and mosquitto, and the real
app in both orientations — every screen drawn, measured and saved, the scanner, the idle reset, the
keys that would close a window, and the technician's way out."""
import array
import json
import signal
import subprocess
import sys
import wave

import pytest
from PIL import Image

from devtools.testbed import ROOT, HubProcess, env, service, site_data, wait_for, write_site
from kiosk.__main__ import wire
from kiosk.dossier_lookup import DossierLookup
from kiosk.printing.emulator import PrinterEmulator
from kiosk.taking import KioskModel
from kiosk.ui.tour_steps import FOUND, SCANNED, UNKNOWN
from motcua import config
from motcua.exits import EX_MAINTENANCE
from motcua.hubclient import HubClient

PIN = "2468"
LONG_NAMES = [   # a real centre's longest names, so that large text must wrap them and the tiles scroll
    ("LABOUR", "G", "Lao động - Thương binh và Xã hội", "Labour, invalids and social affairs"),
    ("TRANSPORT", "E", "Giao thông vận tải", "Transport and driving licences"),
    ("NATURE", "H", "Tài nguyên và Môi trường", "Natural resources and environment"),
    ("FARM", "K", "Nông nghiệp và Phát triển nông thôn", "Agriculture and rural development")]


@pytest.fixture
def hall(tmp_path, broker):
    """A hub holding the sample dossiers, a kiosk with a printer emulator, a 5 s idle reset and a PIN."""
    emu = PrinterEmulator()
    kiosk = {"id": "k1", "printer": {"connection": "network", "host": "127.0.0.1", "port": emu.port, "timeout_s": 2},
             "idle_reset_s": 5, "maintenance_pin": PIN}
    services = [service("LAND", "A"), service("JUST", "B"), service("TAX", "", 1001, 1999),
                *[{**service(sid, prefix), "name": {"vi": vi, "en": en}} for sid, prefix, vi, en in LONG_NAMES]]
    cfg = config.load(write_site(tmp_path, site_data(tmp_path, broker.port, services=services, kiosks=[kiosk])))
    subprocess.run([sys.executable, "-m", "motcua.hub", "--config", str(cfg.path), "--import-dossiers",
                    str(ROOT / "config" / "sample-dossiers.csv")], check=True, cwd=ROOT, env=env(),
                   capture_output=True)
    hub = HubProcess(cfg.path, tmp_path / "hub.log").start()
    yield cfg, hub, tmp_path
    hub.stop(), emu.close()


def kiosk_lookup(cfg, timeout: float = 3.0) -> tuple[DossierLookup, HubClient, KioskModel]:
    """The kiosk's lookup wired as ``python -m kiosk`` wires it, without a window."""
    model, lookup, client, _ = wire(cfg, cfg.kiosks[0], "kiosk-k1")
    client.start()
    wait_for(lambda: model.hub_ok, 10, "hub online")
    lookup.timeout = timeout
    return lookup, client, model


def test_each_lookup_outcome_through_the_real_hub(hall):
    cfg, hub, _ = hall
    lookup, client, _ = kiosk_lookup(cfg)
    found = lookup.ask(" 000.00.53.h48-250915-0012 ")         # as a citizen might type it
    assert found.kind == "found" and found.code == FOUND
    d = found.dossier
    assert (d["status"], d["applicant"], d["timeliness"]) == (10, "Nguyễn V** A*", "early")
    assert "phone" not in d and "0905" not in json.dumps(d)

    scanned = lookup.ask(SCANNED)                              # a receipt's QR holds a URL
    assert scanned.kind == "found" and scanned.code == "000.00.53.H48-251112-0003"
    assert lookup.ask(UNKNOWN).kind == "not_found"
    for bad in ("12345", "000.00.53.H48-251332-0001", "x" * 600, ""):   # the date 32/13 does not exist
        assert lookup.ask(bad).kind == "invalid_code", bad
    # malformed codes are answered by the kiosk and cost none of the 10 lookups a minute: 3 spent
    kinds = [lookup.ask(UNKNOWN).kind for _ in range(8)]
    assert kinds == ["not_found"] * 7 + ["rate_limited"]
    client.stop()


def test_the_hub_away_says_unavailable_without_hanging(hall):
    cfg, hub, _ = hall
    lookup, client, model = kiosk_lookup(cfg, timeout=0.5)
    hub.proc.send_signal(signal.SIGSTOP)                       # alive but not answering
    try:
        assert lookup.ask(FOUND).kind == "unavailable"
    finally:
        hub.proc.send_signal(signal.SIGCONT)
    assert lookup.ask(FOUND).kind == "found"
    hub.stop()                                                 # gone: its last will says offline
    wait_for(lambda: not model.hub_ok, 10, "hub offline")
    assert lookup.ask(FOUND).kind == "unavailable"
    client.stop()


def test_one_lookup_at_a_time(hall):
    cfg, _, _ = hall
    lookup, client, _ = kiosk_lookup(cfg)
    done = []
    assert lookup.start(FOUND, done.append)
    assert not lookup.start(FOUND, done.append), "a second tap while the first is asked"
    wait_for(lambda: done, 5, "the answer")
    assert [o.kind for o in done] == ["found"] and not lookup.busy
    client.stop()


def run_tour(cfg, out, *extra):
    r = subprocess.run([sys.executable, "-m", "kiosk.ui.tour", str(cfg.path), "k1", str(out), *extra],
                       capture_output=True, text=True, timeout=240, cwd=ROOT,
                       env={**env(), "SDL_VIDEODRIVER": "offscreen", "KIVY_HOME": str(out.parent / "kivy")})
    assert r.returncode == 0, r.stderr[-3000:]
    (out / "summary.json").write_text(r.stdout.strip().splitlines()[-1])      # to read when a test fails
    return json.loads(r.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("orientation", ["landscape", "portrait"])
def test_every_screen_with_touches(hall, orientation):
    """The real app: taking a number, every lookup outcome, the scanner, the large mode, the idle
    reset, the keys, the PIN. Every screen is measured (targets >= 60 px, text >= 28 px, nothing
    spilling, every text's contrast on the saved frame >= 7:1) and saved."""
    cfg, _, tmp = hall
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
