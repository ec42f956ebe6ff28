"""Citizen ID cards at the real kiosk (SPEC 3.1): QR pictures of card texts made with ``qrcode``, read
back with zxing-cpp, typed into the kiosk app by its scanner path, and numbers issued by a real hub
over MQTT; then the hub's database, both logs and the printed tickets searched for the card."""
import json
import sqlite3
import subprocess
import sys
from datetime import datetime

import pytest
import qrcode
import zxingcpp
from PIL import ImageChops

from devtools.testbed import ROOT, HubProcess, counter, env, service, site_data, wait_for, write_site
from kiosk.printing.emulator import PrinterEmulator
from kiosk.printing.flow import ticket_content
from kiosk.printing.ticket import render
from motcua import config

YEAR = datetime.now().year
OLD = f"001055001234|123456789|Nguyễn Văn Thọ|1504{YEAR - 70:04d}|Nam|Số 12 Trần Phú, Quảng Ngãi|20042021"
YOUNG = "079201009876|Trần Thị Bình|29022000|Nữ|Thôn 3, xã Tịnh Hà, Quảng Ngãi|10102022"
SECRETS = ("001055001234", "123456789", "Nguyễn Văn Thọ", "Trần Phú", "079201009876", "Trần Thị Bình", "Tịnh Hà")


def qr_read(text: str) -> str:
    found = zxingcpp.read_barcodes(qrcode.make(text).get_image().convert("L"))
    assert len(found) == 1
    return found[0].text


@pytest.fixture
def card_hall(tmp_path, broker):
    emu = PrinterEmulator()
    (tmp_path / "site.key").write_text("q" * 48 + "\n")
    kiosk = {"id": "k1", "printer": {"connection": "network", "host": "127.0.0.1", "port": emu.port, "timeout_s": 2},
             "large_mode": False}
    data = site_data(tmp_path, broker.port, kiosks=[kiosk], priority={"mode": "first", "age": 60},
                     services=[service("LAND", "A", per_person_daily=1), service("JUST", "B"), service("TAX", "C")],
                     counters=[counter(1, ["LAND", "JUST", "TAX"])])
    data["site"].update(secret_file=str(tmp_path / "site.key"), per_person_daily=2)
    cfg = config.load(write_site(tmp_path, data))
    hub = HubProcess(cfg.path, tmp_path / "hub.log").start()
    yield cfg, emu, tmp_path
    hub.stop(), emu.close()


def test_id_cards_scanned_at_the_kiosk(card_hall):
    cfg, emu, tmp = card_hall
    cards = tmp / "cards.json"
    cards.write_text(json.dumps([qr_read(OLD), qr_read(YOUNG)], ensure_ascii=False), encoding="utf-8")
    out = tmp / "shots"
    r = subprocess.run([sys.executable, "-m", "kiosk.ui.tour", str(cfg.path), "k1", str(out), "--parts", "card",
                        "--cards", str(cards)], capture_output=True, text=True, timeout=240, cwd=ROOT,
                       env={**env(), "SDL_VIDEODRIVER": "offscreen", "KIVY_HOME": str(tmp / "kivy")})
    assert r.returncode == 0, r.stderr[-3000:]
    s = json.loads(r.stdout.strip().splitlines()[-1])
    assert "stuck_at_step" not in s, s
    assert not s["size_problems"] and not s["contrast_problems"], "the card's band and problem screen measured"
    c = s["cards"]

    # an elderly citizen: the note, a priority ticket by age, said by "Nghe hướng dẫn"
    assert c["old_note"] == "Đã đọc căn cước — ưu tiên người cao tuổi"
    assert "ông bà là người cao tuổi, được lấy số ưu tiên" in c["old_said"]
    old = c["old"]["ticket"]
    assert (old["priority"], old["priority_reason"], old["label"]) == (True, "age", "A001")
    assert c["old"]["details"].startswith("ƯU TIÊN · ")
    assert c["old"]["said"].endswith("Đây là số ưu tiên cho người cao tuổi.")

    # the same card again: its own problem screen, in both languages
    assert (c["old_again"]["title"], c["old_again"]["kind"]) == ("Ông bà đã lấy đủ số hôm nay", "take")
    assert c["old_again"]["body"].startswith("Tối đa 1 số Dịch vụ LAND một ngày.")
    assert "Chọn dịch vụ khác" in c["old_again"]["buttons"]
    assert c["old_again_en"]["title"] == "You have taken all the numbers allowed today"
    assert c["old_again_en"]["body"].startswith("At most 1 for Service LAND a day.")

    # a younger citizen: read, no priority; two numbers a day in all
    assert c["young_note"] == "Đã đọc căn cước"
    assert (c["young"]["ticket"]["priority"], c["young"]["ticket"]["label"]) == (False, "A002")
    assert c["young_just"]["ticket"]["label"] == "B001"
    assert c["young_third"]["title"] == "Ông bà đã lấy đủ số hôm nay", "site.per_person_daily: 2"
    assert c["young_third"]["body"].startswith("Tối đa 2 số một ngày.")

    # a citizen without a card is served; Back forgets a card read
    assert c["no_card_note"] == "" and c["no_card"]["ticket"]["label"] == "C001"
    assert (c["note_after_back"], c["card_after_back"]) == ("", False)

    # nothing of the card in the hub's database, in either log, or on the printed tickets
    wait_for(lambda: len(emu.tickets) == 4, 5, "four printed tickets")
    db = sqlite3.connect(cfg.hub.database)
    dump = "\n".join(db.iterdump())
    logs = (tmp / "hub.log").read_text(encoding="utf-8") + r.stderr
    printed = bytes(emu.received).decode("latin-1")
    for secret in SECRETS:
        assert secret not in dump and secret not in logs and secret not in printed, secret
    assert len(db.execute("SELECT hash FROM holders").fetchall()) == 3, "only the hashes, for the day"
    for picture in emu.tickets:
        assert not any(s in b.text for b in zxingcpp.read_barcodes(picture) for s in SECRETS)

    # the printed priority ticket is the one drawn from the hub's reply, with ƯU TIÊN on it
    kiosk = cfg.kiosks[0]
    printed_old = emu.tickets[0].convert("1")
    drawn = render(ticket_content(cfg, kiosk, old), kiosk.printer.dots)
    plain = render(ticket_content(cfg, kiosk, {**old, "priority": False}), kiosk.printer.dots)
    assert printed_old.size == drawn.size and ImageChops.difference(printed_old, drawn).getbbox() is None
    assert ImageChops.difference(drawn.crop((0, 0, *plain.size)), plain).getbbox() is not None
