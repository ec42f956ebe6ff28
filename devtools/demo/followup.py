"""The demo's follow-up: Gammu's real daemon on its dummy phone, the sample dossiers' morning of
changes, and what the citizens' phones get — each SMS as written and as sent — then a letter of
apology and the day's overdue watch in ``demo-out/letters``; last, a citizen who takes a number by
SMS (``LS``) and is told by SMS when the turn is near and when it is called."""
from __future__ import annotations

import csv
import re
import secrets
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

from motcua.hubclient import HubClient

from ..testbed import ROOT, GammuSmsd

MODEM = "0912 000 111"           # the dummy phone's number, printed on the kiosk's tickets
CITIZEN = "+84905123456"         # the phone that takes a number by SMS


def section(out: Path, smsd: GammuSmsd) -> dict:
    """The site file's followup section for the demo: its files in demo-out, no quiet hours (the
    demo runs at any hour)."""
    return {"database": str(out / "followup.sqlite3"), "letters_dir": str(out / "letters"), "daily_at": "07:30",
            "holidays": [], "interval_s": 1,
            "letter": {"agency": "Trung tâm Phục vụ hành chính công tỉnh Quảng Ngãi", "parent_agency":
                       "UBND TỈNH QUẢNG NGÃI", "place": "Quảng Ngãi", "signer": "GIÁM ĐỐC",
                       "signer_name": "Nguyễn Văn Bình", "number": "{n}/XL-TTPVHCC", "watch_number": "{n}/NN-TTPVHCC"},
            "sms": {"transport": "gammu", "gammu": {"config": str(smsd.config)}, "centre": "TT PVHCC Quang Ngai",
                    "centre_phone": "0255 3822 000", "quiet_hours": "00:00-00:01", "per_phone_daily": 3,
                    "modem_number": MODEM}}


def site_secret(out: Path) -> str:
    """The site's secret (made by install.sh on a real hub): the follow-up hashes phones with it, so
    numbers by SMS need it."""
    path = out / "site.key"
    if not path.exists():
        path.write_text(secrets.token_hex(32), encoding="utf-8")
    return str(path)


def todays_changes(path: Path, tz) -> Path:
    """What the province's system says this morning: one new dossier, one that needs a paper, one
    finished late, and one with a landline for a phone."""
    now = datetime.now(tz).replace(microsecond=0)
    rows = [
        {"code": f"000.00.53.H48-{now:%y%m%d}-0101", "procedure": "Đăng ký khai sinh", "agency": "Sở Tư pháp",
         "received_at": now.isoformat(), "due_at": (now + timedelta(days=3)).isoformat(), "status": 2,
         "applicant": "Phạm Thị Hoa", "phone": "0905 777 888", "note": "", "field": "Hộ tịch", "channel": 1},
        {"code": "000.00.53.H48-251112-0003", "procedure": "Cấp giấy phép xây dựng", "agency": "Sở Xây dựng",
         "received_at": "2025-11-12T10:00:00+07:00", "due_at": "2025-11-27T17:00:00+07:00", "status": 5,
         "applicant": "Võ Văn Hùng", "phone": "0914000333", "note": "Bổ sung bản vẽ mặt bằng tỷ lệ 1/100",
         "field": "Xây dựng", "channel": 2},
        {"code": "000.00.53.H48-251103-0007", "procedure": "Cấp Giấy chứng nhận quyền sử dụng đất",
         "agency": "Văn phòng Đăng ký đất đai tỉnh Quảng Ngãi", "received_at": "2025-11-03T08:00:00+07:00",
         "due_at": "2025-12-03T17:00:00+07:00", "finished_at": now.isoformat(), "status": 9,
         "applicant": "Lê Văn Tám", "phone": "0987654321", "note": "Mời nhận tại quầy số 1", "channel": 1},
        {"code": f"000.00.53.H48-{now:%y%m%d}-0102", "procedure": "Chứng thực bản sao", "agency": "Sở Tư pháp",
         "received_at": now.isoformat(), "due_at": (now + timedelta(days=1)).isoformat(), "status": 2,
         "applicant": "Đỗ Minh Quân", "phone": "0255 3822 111", "note": "", "channel": 1},
    ]
    fields = ["code", "procedure", "agency", "received_at", "due_at", "finished_at", "status", "applicant", "phone",
              "note", "field", "channel", "reason"]
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        w.writerows(rows)
    return path


def messages(db: Path, phone: str | None = None) -> list[tuple]:
    """The follow-up's SMS, oldest first (one phone's only, if given)."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return conn.execute("SELECT event, code, phone, written, text, state, last_error FROM messages "
                            "WHERE ? IS NULL OR phone = ? ORDER BY id", (phone, phone)).fetchall()
    except sqlite3.Error:
        return []
    finally:
        conn.close()


def run(spawn, site: Path, cfg, client: HubClient, out: Path, say) -> None:
    spawn("followup", [sys.executable, "-m", "motcua.followup", "--config", str(site)])
    time.sleep(2)
    say("📬 Theo dõi hồ sơ: 10 hồ sơ mẫu đã cũ — không gửi tin nào (không ai muốn tin của năm ngoái)",
        "   Follow-up: the 10 sample dossiers are old — no SMS for them")
    subprocess.run([sys.executable, "-m", "motcua.hub", "--config", str(site), "--import-dossiers",
                    str(todays_changes(out / "dossiers-today.csv", cfg.site.tz))], check=True, cwd=ROOT,
                   capture_output=True)
    due = (datetime.now(cfg.site.tz) + timedelta(days=7)).date().isoformat()
    r = client.request(client.t.extend, {"code": "000.00.53.H48-251124-0002", "due_at": due, "command_id": "demo-1",
                                         "reason": "cần xác minh thực địa tại xã Bình Sơn"})
    say(f"🗓  Gia hạn hồ sơ 000.00.53.H48-251124-0002 đến {due}: {'được' if r.get('ok') else r}",
        "   A new due date entered at the centre (dossier/extend)")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        got = messages(out / "followup.sqlite3")
        if len(got) >= 5 and all(m[5] in ("sent", "failed") for m in got):
            break
        time.sleep(0.5)
    show(messages(out / "followup.sqlite3"), say)
    watch = subprocess.run([sys.executable, "-m", "motcua.followup", "--config", str(site), "--watch"], cwd=ROOT,
                           capture_output=True, text=True).stdout.strip()
    letters = sorted((out / "letters").glob("xin-loi-*.pdf"))
    say(f"📄 Thư xin lỗi: {', '.join(p.name for p in letters) or '—'}; danh sách quá hạn: {watch}",
        f"   Letters of apology and the overdue watch in {out / 'letters'}")


def show(rows: list[tuple], say) -> None:
    """Each SMS as written (with diacritics) and as handed to Gammu (folded to GSM 7-bit), with its state."""
    for event, code, phone, written, text, state, error in rows:
        say(f"📱 SMS {event}{' — ' + code if code else ''} → {phone or 'không có số'}: {written or '—'}",
            f"   as sent ({state}{': ' + error if error else ''}): {text or '—'}")


def sent(db: Path, phone: str, n: int, timeout: float = 30) -> list[tuple]:
    """That phone's first ``n`` SMS once gammu-smsd has sent them all (or what there is after ``timeout``)."""
    deadline, got = time.monotonic() + timeout, messages(db, phone)[:n]
    while (len(got) < n or any(m[5] not in ("sent", "failed") for m in got)) and time.monotonic() < deadline:
        time.sleep(0.5)
        got = messages(db, phone)[:n]
    return got


def by_sms(smsd: GammuSmsd, out: Path, keypad, counter: str, say) -> None:
    """A citizen texts ``LS đất đai`` to the centre's modem and gets a number; the counter's keypad
    calls the tickets ahead, and the phone is told when three or fewer wait and when it is called."""
    db = out / "followup.sqlite3"
    say(f"📲 Công dân {CITIZEN} nhắn \"LS đất đai\" tới số của trung tâm ({MODEM})",
        f"   A citizen texts \"LS dat dai\" to the centre's modem ({MODEM})")
    smsd.receive(CITIZEN, "LS đất đai")
    answer = sent(db, CITIZEN, 1)
    show(answer, say)
    taken = re.search(r"là (\S+) \(", answer[0][3]) if answer else None
    if taken is None:
        say("⚠  Không lấy được số qua tin nhắn / no number by SMS")
        return
    told, call = 1, f"Mời số {taken.group(1)} "
    for _ in range(15):
        say(f"⌨  Quầy {counter} bấm GỌI TIẾP", f"   Counter {counter} presses NEXT")
        keypad.press("NEXT")
        time.sleep(2)                # a pass of the follow-up (1 s) and the broker's news
        notices = sent(db, CITIZEN, len(messages(db, CITIZEN)))[told:]
        show(notices, say)
        told += len(notices)
        if any(m[3].startswith(call) for m in notices):
            break
