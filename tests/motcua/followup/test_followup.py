"""SPEC section 11 against the real parts: the hub's own dossier store and import, Debian's
gammu-smsd with Gammu's dummy phone, a local HTTP gateway that fails, PDFs read back."""
import json
import signal
import subprocess
import sys
import threading
import time
from dataclasses import replace
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from devtools.testbed import ROOT, Spy, env, site_data, wait_for, write_site
from motcua import config
from motcua.db import transaction
from motcua.followup.outbox import ANSWER, TURN
from motcua.followup.service import NO_PHONE, OPTED_OUT, FollowUp
from motcua.followup.transports import Directory, Gammu, Http
from motcua.hub import dossiers
from motcua.hub.dossier_import import to_dossier
from tests.helpers import FakeClock

PHONE, CODE = "0912 345 678", "000.00.53.H48-261201-0042"


def followup_section(tmp, transport: dict, **sms) -> dict:
    return {"database": str(tmp / "followup.sqlite3"), "letters_dir": str(tmp / "letters"), "daily_at": "07:30",
            "holidays": ["2026-12-07"],
            "letter": {"agency": "Trung tâm Phục vụ hành chính công tỉnh Quảng Ngãi", "place": "Quảng Ngãi",
                       "signer": "GIÁM ĐỐC", "signer_name": "Nguyễn Văn Bình"},
            "sms": {**transport, "centre": "TT PVHCC Quang Ngai", "centre_phone": "0255 3822 000", **sms}}


class Hall:
    """A site, its dossier store (written as the hub's import writes it), a fake clock, the follow-up."""

    def __init__(self, tmp: Path, transport: dict, make=None, **sms):
        self.tmp, self.clock = tmp, FakeClock("2026-12-03 09:00")
        self.cfg = config.load(write_site(tmp, site_data(tmp, followup=followup_section(tmp, transport, **sms))))
        self.store = dossiers.connect(dossiers.store_path(self.cfg))
        spool = str(tmp / "spool")
        self.transport = make(spool) if make else Directory(str(tmp / "sms-out"))
        self.fu = FollowUp(self.cfg, dossiers.store_path(self.cfg), self.transport, self.clock)

    def put(self, **kw) -> None:
        base = {"code": CODE, "procedure": "Cấp giấy phép xây dựng", "agency": "Sở Xây dựng",
                "received_at": "2026-12-03T08:00:00+07:00", "due_at": "2026-12-10T17:00:00+07:00",
                "finished_at": "", "status": 2, "applicant": "Võ Văn Hùng", "phone": PHONE, "note": ""}
        d, problems = to_dossier({**base, **kw}, self.cfg.site.tz)
        assert not problems, problems
        with transaction(self.store):
            dossiers.upsert(self.store, [d], self.clock())

    def messages(self) -> list[dict]:
        cur = self.fu.outbox.db.execute("SELECT * FROM messages ORDER BY id")
        return [dict(zip([c[0] for c in cur.description], r, strict=True)) for r in cur.fetchall()]



def gammu_hall(tmp_path, smsd, **sms):
    return Hall(tmp_path, {"transport": "gammu", "gammu": {"config": str(smsd.config)}},
                make=lambda spool: Gammu(str(smsd.config), spool, unicode=sms.get("unicode", False)), **sms)


def pass_until_sent(h: Hall, n: int) -> list[dict]:
    def done():
        h.fu.run_once()
        return len([m for m in h.messages() if m["state"] == "sent"]) >= n
    wait_for(done, 15, f"{n} SMS sent by gammu-smsd")
    return h.messages()


def test_every_event_goes_once_through_gammu_smsd(tmp_path, smsd):
    h = gammu_hall(tmp_path, smsd, per_phone_daily=10)
    for change in ({"status": 2}, {"status": 5, "note": "Bổ sung bản vẽ mặt bằng"},          # received, supplement
                   {"status": 6, "note": "Bổ sung bản vẽ mặt bằng"},                        # finance
                   {"status": 4, "due_at": "2026-12-17T17:00:00+07:00", "reason": "cần xác minh thực địa"}):
        h.put(**change)                                                                  # ... extended
        h.fu.run_once()
    h.clock.advance(days=1)
    h.put(status=9, finished_at="2026-12-04T10:00:00+07:00", due_at="2026-12-17T17:00:00+07:00")   # early
    msgs = pass_until_sent(h, 5)
    assert [m["event"] for m in msgs] == ["received", "supplement", "finance", "extended", "early"]
    assert {m["phone"] for m in msgs} == {"+84912345678"}
    texts = {m["event"]: m["text"] for m in msgs}
    assert texts["received"] == ("TT PVHCC Quang Ngai: da tiep nhan ho so 000.00.53.H48-261201-0042 "
                                 "(Cap giay phep xay dung), hen tra 10/12/2026.")
    assert texts["extended"].endswith("cham do can xac minh thuc dia; hen tra lai 17/12/2026.")
    assert "Võ" not in json.dumps(msgs) and "Hùng" not in json.dumps(msgs), "no name in any SMS"
    sent = sorted(p.name for p in smsd.sent.iterdir())
    assert len(sent) == 5 and all(f"_m{m['id']}a1." in " ".join(sent) for m in msgs), "Gammu sent each, once"
    for _ in range(3):                                        # the same rows again: nothing new
        h.put(status=9, finished_at="2026-12-04T10:00:00+07:00", due_at="2026-12-17T17:00:00+07:00")
        h.fu.run_once()
    assert len(h.messages()) == 5


def test_a_dossier_first_seen_finished_or_old_sends_nothing(tmp_path):
    h = Hall(tmp_path, {"transport": "directory", "directory": {"path": str(tmp_path / "sms-out")}})
    h.put(code="000.00.53.H48-261201-0001", status=9, finished_at="2026-12-02T10:00:00+07:00")
    h.put(code="000.00.53.H48-261201-0002", status=10)
    h.put(code="000.00.53.H48-250101-0003", status=5, received_at="2025-01-01T08:00:00+07:00", note="x")
    h.put(code="000.00.53.H48-261201-0004", status=3)
    h.fu.run_once()
    assert h.messages() == []


def test_quiet_hours_and_the_daily_limit_hold_messages_in_order(tmp_path, smsd):
    h = gammu_hall(tmp_path, smsd, quiet_hours="21:00-07:00", per_phone_daily=3)
    h.clock.set("2026-12-03 22:15")
    for i in range(5):
        h.put(code=f"000.00.53.H48-261203-000{i}", status=2, received_at="2026-12-03T21:00:00+07:00")
    h.fu.run_once()
    assert {m["state"] for m in h.messages()} == {"queued"}, "nothing goes out at night"
    h.clock.set("2026-12-04 07:00")
    msgs = pass_until_sent(h, 3)
    assert [m["state"] for m in msgs] == ["sent"] * 3 + ["queued"] * 2, "three a day to one phone, in order"
    h.clock.set("2026-12-04 16:00")
    h.fu.run_once()
    assert [m["state"] for m in h.messages()][3:] == ["queued", "queued"]
    h.clock.set("2026-12-05 07:01")
    assert [m["state"] for m in pass_until_sent(h, 5)] == ["sent"] * 5


def test_stop_by_sms_and_a_lookup_by_sms(tmp_path, smsd):
    h = gammu_hall(tmp_path, smsd)
    h.put(status=4)
    h.fu.run_once()
    smsd.receive("+84912345678", f"hs {CODE.lower()}")
    wait_for(lambda: list(smsd.inbox.iterdir()), 10, "the citizen's SMS in Gammu's inbox")
    msgs = pass_until_sent(h, 1)
    answer = next(m for m in msgs if m["event"] == "answer")
    assert answer["text"] == f"Ho so {CODE}: Dang xu ly, hen tra 10/12/2026."
    smsd.receive("+84912345678", "STOP")
    wait_for(lambda: len(list(smsd.inbox.iterdir())) == 2, 10, "the STOP in Gammu's inbox")
    pass_until_sent(h, 2)
    h.put(status=5, note="Bổ sung bản sao sổ đỏ")
    h.fu.run_once()
    last = h.messages()[-1]
    assert last["event"] == "supplement" and last["state"] == "failed" and last["last_error"] == OPTED_OUT


def test_a_phone_that_is_no_mobile_number_is_recorded_never_sent(tmp_path):
    h = Hall(tmp_path, {"transport": "directory", "directory": {"path": str(tmp_path / "sms-out")}})
    h.put(phone="0255 3822 000")
    h.fu.run_once()
    [m] = h.messages()
    assert (m["state"], m["last_error"], m["phone"]) == ("failed", NO_PHONE, None)
    assert not (tmp_path / "sms-out").exists()


def test_hostile_dossier_text_is_plain_text_in_three_parts(tmp_path):
    """Whatever reached the store (the import takes 1,000 characters a field; another writer may not)."""
    h = Hall(tmp_path, {"transport": "directory", "directory": {"path": str(tmp_path / "sms-out")}}, unicode=True)
    h.put(status=4)
    note = "<script>alert(1)</script>\x00\x1b[2J{code}{centre!r}" + "Bổ sung " * 1500
    with transaction(h.store):
        dossiers.upsert(h.store, [replace(dossiers.find(h.store, CODE), status=5, note=note)], h.clock())
    h.fu.run_once()
    m = h.messages()[-1]
    [m] = h.messages()
    assert m["state"] == "sent" and "\x00" not in m["text"] and "\x1b" not in m["text"]
    assert "<script>alert(1)</script> [2J{code}{centre!r}" in m["text"], "shown as it was written, never run"
    assert CODE in m["text"] and m["text"].endswith("Liên hệ TT PVHCC Quang Ngai, 0255 3822 000.")


class Gateway(BaseHTTPRequestHandler):
    """A brand-name SMS gateway's server, with fault switches: ok, down (500), slow, garbage."""
    mode, got = "ok", []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Gateway.got.append((self.headers.get("Authorization"), json.loads(body)))
        if Gateway.mode == "slow":
            time.sleep(3)
        code, answer = {"ok": (200, b'{"status":"ACCEPTED"}'), "down": (500, b"oops"),
                        "garbage": (200, b"\x00\xff<html>"), "slow": (200, b'{"status":"ACCEPTED"}')}[Gateway.mode]
        self.send_response(code)
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *a):
        pass


def test_the_http_gateway_down_slow_and_garbled_then_back(tmp_path):
    server = ThreadingHTTPServer(("127.0.0.1", 0), Gateway)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    (tmp_path / "token").write_text("s3cret\n")
    url = f"http://127.0.0.1:{server.server_port}/sms"
    spec = {"url": url, "body": '{"to": "{phone}", "text": "{text}"}', "content_type": "application/json",
            "token_file": str(tmp_path / "token"), "ok": "ACCEPTED", "timeout_s": 1}
    h = Hall(tmp_path, {"transport": "http", "http": spec}, make=lambda spool: Http(**spec))
    h.put(status=5, note='bản "gốc"\n')
    for mode in ("down", "slow", "garbage"):
        Gateway.mode = mode
        h.fu.run_once()
        [m] = h.messages()
        assert m["state"] == "queued" and m["last_error"], (mode, m)
        h.clock.advance(hours=2)                              # past the back-off
    Gateway.mode = "ok"
    h.fu.run_once()
    [m] = h.messages()
    assert m["state"] == "sent" and m["attempts"] == 4
    auth, body = Gateway.got[-1]
    assert auth == "Bearer s3cret" and body["to"] == "+84912345678" and 'ban "goc"' in body["text"]
    server.shutdown()


def test_gammu_smsd_stopped_holds_messages_until_it_is_back(tmp_path, smsd):
    h = gammu_hall(tmp_path, smsd)
    assert h.transport.alive() is True
    smsd.stop()
    assert h.transport.alive() is False, "status/smsd would say offline"
    h.put(status=2)
    h.fu.run_once()
    [m] = h.messages()
    assert m["state"] == "handed" and list(smsd.outbox.iterdir()), "in Gammu's outbox, waiting"
    smsd.start()
    [m] = pass_until_sent(h, 1)
    assert m["attempts"] == 1, "sent once, when the daemon was back"


def test_a_turn_notice_goes_before_the_dossier_messages_already_waiting_in_gammu_smsd(tmp_path, smsd):
    """gammu-smsd sends its outbox one message at a time (about one a second on a modem), in the order of the
    file names: a notice handed after a burst of dossier messages must still go first, then answers."""
    h = gammu_hall(tmp_path, smsd, per_phone_daily=10)
    smsd.stop()
    for i in range(3):
        h.put(code=f"000.00.53.H48-261201-000{i}", status=5, note="Bổ sung bản vẽ " * (i * 20))   # one multipart
    h.fu.run_once()
    now = h.clock().timestamp()
    with h.fu.outbox.transaction():
        h.fu.outbox.add(ANSWER, "a", None, "+84999000002", "", "Ho so: Dang xu ly", now, now)
        h.fu.outbox.add(TURN, "t", None, "+84999000001", "", "Moi so A002 den Quay 5.", now, now)
    h.fu.run_once()
    assert {m["state"] for m in h.messages()} == {"handed"} and len(list(smsd.outbox.iterdir())) == 5
    smsd.start()
    msgs = pass_until_sent(h, 5)
    log = (smsd.dir / "smsd.log").read_text()
    order = [line.rsplit("_m", 1)[1].split("a", 1)[0] for line in log.splitlines() if "New message to send" in line]
    assert order == [str(m["id"]) for m in (msgs[4], msgs[3], msgs[0], msgs[1], msgs[2])], \
        "the notice first, then the answer, then the dossier messages in their order"


def test_a_message_gammu_gives_up_on_is_retried_then_given_up_with_the_reason(tmp_path, smsd):
    h = gammu_hall(tmp_path, smsd)
    smsd.stop()
    h.put(status=2)
    for _ in range(7):
        h.fu.run_once()
        for f in smsd.outbox.iterdir():                        # as gammu-smsd does with a failing modem
            f.rename(smsd.error / f.name)
        h.fu.run_once()
        h.clock.advance(hours=1, minutes=1)
    [m] = h.messages()
    assert m["state"] == "failed" and m["attempts"] == 7 and "error" in m["last_error"]
    assert len(list(smsd.error.iterdir())) == 7


def run_followup(cfg_path, *args, timeout=120):
    return subprocess.run([sys.executable, "-m", "motcua.followup", "--config", str(cfg_path), *args],
                          capture_output=True, text=True, cwd=ROOT, env=env(), timeout=timeout)


def test_sigkill_in_a_burst_of_ten_thousand_changes_loses_nothing_and_sends_nothing_twice(tmp_path):
    out = tmp_path / "sms-out"
    h = Hall(tmp_path, {"transport": "directory", "directory": {"path": str(out)}})
    h.clock.set(datetime.now().strftime("%Y-%m-%d %H:%M"))
    now = datetime.now(h.cfg.site.tz)
    rows = []
    for i in range(10_000):
        d, _ = to_dossier({"code": f"000.00.53.H48-{now:%y%m%d}-{i:04d}", "procedure": "Cấp phép",
                           "agency": "Sở Xây dựng", "received_at": now.isoformat(), "status": 5,
                           "due_at": (now + timedelta(days=5)).isoformat(), "applicant": "Lê Văn A",
                           "phone": f"09{i:08d}", "note": f"Bổ sung {i}"}, h.cfg.site.tz)
        rows.append(d)
    with transaction(h.store):
        dossiers.upsert(h.store, rows, now)
    data = site_data(tmp_path, followup=followup_section(tmp_path, {"transport": "directory",
                                                                   "directory": {"path": str(out)}},
                                                         quiet_hours="00:00-00:01", per_phone_daily=3))
    data["hub"]["database"] = h.cfg.hub.database
    cfg_path = write_site(tmp_path, data, "site2.yaml")
    for kill_after in (1.5, 2.5):
        p = subprocess.Popen([sys.executable, "-m", "motcua.followup", "--config", str(cfg_path)], cwd=ROOT,
                             env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(kill_after)
        p.send_signal(signal.SIGKILL)
        p.wait(10)
    assert run_followup(cfg_path, "--once").returncode == 0
    files = list(out.glob("m*.txt"))
    codes = [f.read_text(encoding="utf-8").split("\n")[1].removeprefix("Dossier: ") for f in files]
    assert len(codes) == 10_000 and len(set(codes)) == 10_000, "every dossier's SMS once, none twice"


def test_the_letter_of_an_extended_dossier_read_back(tmp_path):
    h = Hall(tmp_path, {"transport": "directory", "directory": {"path": str(tmp_path / "sms-out")}})
    h.put(status=4)
    h.fu.run_once()
    h.put(status=4, due_at="2026-12-17T17:00:00+07:00", reason="cần xác minh thực địa tại xã Bình Sơn")
    h.fu.run_once()
    [pdf] = (tmp_path / "letters").glob("xin-loi-*.pdf")
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    flat = " ".join(text.split())
    for needed in ("TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG TỈNH QUẢNG NGÃI", "Số: 1/XL",
                   "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
                   "Quảng Ngãi, ngày 03 tháng 12 năm 2026", "VĂN BẢN XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ",
                   "Kính gửi: Ông/Bà Võ Văn Hùng", CODE, "Cấp giấy phép xây dựng", "03/12/2026", "10/12/2026",
                   "17/12/2026", "cần xác minh thực địa tại xã Bình Sơn", "xin lỗi", "GIÁM ĐỐC", "Nguyễn Văn Bình"):
        assert needed in flat, needed
    assert "Võ Văn Hùng" not in json.dumps(h.messages(), ensure_ascii=False), "the full name only in the letter"


def test_the_daily_watch_per_agency_on_working_days(tmp_path):
    h = Hall(tmp_path, {"transport": "directory", "directory": {"path": str(tmp_path / "sms-out")}})
    h.clock.set("2026-12-01 09:00")
    h.put(code="000.00.53.H48-261201-0001", due_at="2026-12-02T17:00:00+07:00", agency="Sở Xây dựng")
    h.put(code="000.00.53.H48-261201-0002", due_at="2026-12-04T17:00:00+07:00", agency="Sở Tư pháp")
    h.put(code="000.00.53.H48-261201-0003", due_at="2026-12-20T17:00:00+07:00", agency="Sở Tư pháp")
    h.fu.run_once()
    h.clock.set("2026-12-03 07:29")
    assert h.fu.daily() is None, "not before daily_at"
    h.clock.set("2026-12-03 07:30")
    pdf = h.fu.daily()
    assert h.fu.daily() is None, "once a day"
    text = " ".join(subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                                   text=True).stdout.split())
    assert "Kính gửi: Sở Tư pháp" in text and "Kính gửi: Sở Xây dựng" in text
    assert "Quá hạn 1 ngày" in text and "CẦN XIN LỖI" in text and "-0003" not in text
    rows = pdf.with_suffix(".csv").read_text(encoding="utf-8-sig").splitlines()
    assert len(rows) == 3 and rows[1].startswith("Sở Tư pháp") and rows[1].endswith("xin lỗi trước hạn")
    assert rows[2].startswith("Sở Xây dựng") and "Quá hạn 1 ngày" in rows[2]
    overdue = [m for m in h.messages() if m["event"] == "overdue"]
    assert [m["code"] for m in overdue] == ["000.00.53.H48-261201-0001"]
    h.clock.set("2026-12-05 08:00")                          # a Saturday: no watch
    assert h.fu.daily() is None


def test_the_command_line(tmp_path):
    h = Hall(tmp_path, {"transport": "directory", "directory": {"path": str(tmp_path / "sms-out")}})
    h.put(status=4)
    assert run_followup(h.cfg.path, "--check-config").returncode == 0
    r = run_followup(h.cfg.path, "--letter", CODE.lower())
    assert r.returncode == 0 and Path(r.stdout.strip()).exists(), r.stderr
    r = run_followup(h.cfg.path, "--letter", "000.00.53.H48-261201-9999")
    assert r.returncode == 1 and "no such dossier" in r.stderr
    section = {"database": "x", "letters_dir": "y", "letter": {"agency": "A", "place": "P"}}
    for sms, said in [({"transport": "directory", "directory": {"path": "z"}, "templates": {"recieved": "x"}},
                       "templates.recieved: không có khóa này; có phải ý bạn là 'received'? / unknown key"),
                      ({"transport": "directory", "directory": {"path": "z"}, "templates": {"ready": "{nope}"}},
                       "mẫu ready: chỗ điền sai 'nope'"),
                      ({"transport": "gammu"}, "followup.sms.gammu: cần có khi gửi qua gammu / required for")]:
        bad = write_site(tmp_path, {**site_data(tmp_path), "followup": {**section, "sms": sms}}, "bad.yaml")
        r = run_followup(bad, "--check-config")
        assert r.returncode == 2 and said in r.stderr, r.stderr


def test_the_pdf_library_is_never_loaded_in_the_follow_up_itself(tmp_path):
    """fpdf2 with fontTools and Pillow is ~26 MB: letters are drawn in a child, so the follow-up
    stays within its 50 MB all day (SPEC section 9)."""
    h = Hall(tmp_path, {"transport": "directory", "directory": {"path": str(tmp_path / "sms-out")}})
    h.put(status=4)
    code = ("import sys\nfrom motcua import config\nfrom motcua.followup.__main__ import main\n"
            f"rc = main(['--config', {str(h.cfg.path)!r}, '--letter', {CODE!r}])\n"
            "print(rc, any(m == 'fpdf' or m.startswith('fpdf.') for m in sys.modules))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env(), timeout=60)
    assert r.stdout.split()[-2:] == ["0", "False"], r.stdout + r.stderr
    assert list((tmp_path / "letters").glob("xin-loi-*.pdf"))


def test_the_letters_font_has_every_character_a_dossier_can_carry():
    """Every Vietnamese letter with every tone, both cases, in each face a letter uses: no tofu."""
    from fontTools.ttLib import TTFont

    from motcua.followup.letters import font_path
    letters = ("ÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬĐÈÉẺẼẸÊỀẾỂỄỆÌÍỈĨỊÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢÙÚỦŨỤƯỪỨỬỮỰỲÝỶỸỴ"
               "àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ"
               "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.,;:-–—/()…“”'\"%")
    for face in ("Regular", "Bold", "Italic", "BoldItalic"):
        cmap = TTFont(font_path(face)).getBestCmap()
        assert not {ch for ch in letters if ord(ch) not in cmap}, face


def test_a_row_it_cannot_handle_is_skipped_and_the_rest_goes_on(tmp_path, caplog):
    h = Hall(tmp_path, {"transport": "directory", "directory": {"path": str(tmp_path / "sms-out")}})
    h.put(code="000.00.53.H48-261203-0001", status=2)
    with transaction(h.store):                       # another writer left a date nobody can read
        h.store.execute("UPDATE dossiers SET received_at='hôm qua' WHERE code='000.00.53.H48-261203-0001'")
    h.put(code="000.00.53.H48-261203-0002", status=2)
    h.fu.run_once()
    assert [m["code"] for m in h.messages()] == ["000.00.53.H48-261203-0002"]
    assert "000.00.53.H48-261203-0001" in caplog.text
    h.fu.run_once()
    assert len(h.messages()) == 1, "the cursor moved past it: nothing is retried for ever"


def test_the_running_follow_up_says_whether_gammu_smsd_is_alive(tmp_path, smsd, broker):
    data = site_data(tmp_path, broker.port, followup=followup_section(
        tmp_path, {"transport": "gammu", "gammu": {"config": str(smsd.config)}}, quiet_hours="00:00-00:01"))
    data["followup"]["interval_s"] = 1
    cfg = config.load(write_site(tmp_path, data))
    spy = Spy(broker.port, f"motcua/{cfg.site.id}/status/#")
    p = subprocess.Popen([sys.executable, "-m", "motcua.followup", "--config", str(cfg.path)], cwd=ROOT, env=env(),
                         stdout=subprocess.DEVNULL, stderr=open(tmp_path / "fu.log", "ab"))
    try:
        status = lambda what: [m for m in spy.on(f"motcua/{cfg.site.id}/status/{what}")]  # noqa: E731
        wait_for(lambda: status("followup")[-1:] == ["online"] and status("smsd")[-1:] == ["online"], 15,
                 "the follow-up and the SMS daemon online")
        smsd.stop()
        wait_for(lambda: status("smsd")[-1:] == ["offline"], 10, "status/smsd offline when the daemon stops")
        smsd.start()
        wait_for(lambda: status("smsd")[-1:] == ["online"], 10, "and online again")
        p.terminate()
        assert p.wait(10) == 0
        wait_for(lambda: status("followup")[-1:] == ["offline"], 5, "status/followup offline when it stops")
    finally:
        p.kill()
        spy.close()
