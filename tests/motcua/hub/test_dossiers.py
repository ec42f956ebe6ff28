"""SPEC section 7: the dossier store, import, pull and lookup."""
import csv
import json
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from zoneinfo import ZoneInfo

import pytest

from devtools.testbed import ROOT, HubProcess, env, site_data, write_site
from motcua import config
from motcua.hub import dossiers
from motcua.hub.dossier_import import import_file
from motcua.hub.dossier_pull import DossierPuller
from motcua.hubclient import HubClient
from motcua.ratelimit import RateLimiter
from tests.helpers import FakeClock

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
SAMPLE = ROOT / "config" / "sample-dossiers.csv"


def row(**kw) -> dict:
    base = {"code": "000.00.53.H48-220921-0099", "procedure": "Cấp giấy chứng nhận quyền sử dụng đất",
            "agency": "Sở Tài nguyên và Môi trường", "received_at": "2022-09-21T08:15:00+07:00",
            "due_at": "2022-10-05T17:00:00+07:00", "finished_at": "", "status": 4,
            "applicant": "Nguyễn Văn An", "phone": "0905123456", "note": ""}
    return {**base, **kw}


def write_csv(path, rows, extra=()):
    fields = list(rows[0]) + list(extra)
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        for r in rows:
            w.writerow({k: r.get(k, "x") for k in fields})
    return path


@pytest.mark.parametrize("name,masked", [
    ("Nguyễn Văn An", "Nguyễn V** A*"), ("Trần Thị Bích Ngọc", "Trần T** B*** N***"), ("Lê", "Lê"),
    ("  Đặng   Quốc Bảo ", "Đặng Q*** B**"), ("", ""),
    ("Nguye\u0302\u0303n Văn An", "Nguyễn V** A*"),     # decomposed accents count as one letter
])
def test_mask_name(name, masked):
    assert dossiers.mask_name(name) == masked


@pytest.mark.parametrize("due,finished,today,expected", [
    ("2022-10-05T17:00:00+07:00", "2022-10-03T10:00:00+07:00", None, "early"),
    ("2022-10-05T17:00:00+07:00", "2022-10-05T20:00:00+07:00", None, "on_time"),
    ("2022-10-05T17:00:00+07:00", "2022-10-06T08:00:00+07:00", None, "late"),
    ("2022-10-05T17:00:00+07:00", None, date(2022, 10, 5), "in_time"),
    ("2022-10-05T17:00:00+07:00", None, date(2022, 10, 6), "overdue"),
    # 23:30 UTC on the 5th is already the 6th in Vietnam: late, by the site's dates
    ("2022-10-05T17:00:00+07:00", "2022-10-05T23:30:00+00:00", None, "late"),
    (None, None, date(2022, 10, 6), None),
])
def test_timeliness_by_dates_in_the_site_zone(due, finished, today, expected):
    d = dossiers.Dossier("c", "p", "a", "2022-09-21T08:00:00+07:00", due, finished, 4, "X", None, "")
    assert dossiers.timeliness(d, today or date(2030, 1, 1), TZ) == expected


def test_public_view_never_shows_the_phone():
    d = dossiers.Dossier("c", "p", "a", "2022-09-21T08:00:00+07:00", None, None, 5, "Võ Văn Hùng", "0914000333", "")
    view = dossiers.public_view(d, date(2025, 1, 1), TZ)
    assert "0914000333" not in json.dumps(view, ensure_ascii=False)
    assert view["status_text"] == {"vi": "Yêu cầu bổ sung giấy tờ", "en": "Additional documents requested"}


def test_import_good_csv_and_json_with_extra_columns_and_upsert(tmp_path):
    db = str(tmp_path / "d.sqlite3")
    rows = [row(), row(code="000.00.53.H48-230105-0007", status="9", finished_at="2023-01-20")]
    r = import_file(write_csv(tmp_path / "a.csv", rows, extra=["id_number", "address"]), db, TZ, FakeClock()())
    assert r.problems == [] and r.count == 2
    (tmp_path / "b.json").write_text(json.dumps([row(status=10, note="Đã trả")], ensure_ascii=False), "utf-8")
    assert import_file(tmp_path / "b.json", db, TZ, FakeClock()()).problems == []
    conn = dossiers.connect(db)
    got = dossiers.find(conn, "000.00.53.H48-220921-0099")
    assert (got.status, got.note) == (10, "Đã trả"), "upsert by code"
    assert dossiers.find(conn, "000.00.53.H48-230105-0007").finished_at == "2023-01-20T00:00:00+07:00"


def test_optional_fields_of_contract_v2_and_the_change_counter(tmp_path):
    db = str(tmp_path / "d.sqlite3")
    rows = [row(field="Đất đai", channel=2, reason="Chờ xác minh"),
            row(code="000.00.53.H48-230105-0007", field="", channel="", reason="")]
    assert import_file(write_csv(tmp_path / "a.csv", rows), db, TZ, FakeClock()()).problems == []
    conn = dossiers.connect(db)
    a, b = dossiers.find(conn, "000.00.53.H48-220921-0099"), dossiers.find(conn, "000.00.53.H48-230105-0007")
    assert (a.field, a.channel, a.reason, a.report_field) == ("Đất đai", 2, "Chờ xác minh", "Đất đai")
    assert (b.field, b.channel, b.reason, b.report_field) == (None, 1, None, "Sở Tài nguyên và Môi trường")
    assert [c for c, _ in dossiers.changed_since(conn, 0)] == [1, 2]
    import_file(write_csv(tmp_path / "a.csv", rows), db, TZ, FakeClock()())
    assert dossiers.changed_since(conn, 2) == [], "the same rows again change nothing"
    import_file(write_csv(tmp_path / "b.csv", [row(status=5, note="Bổ sung")]), db, TZ, FakeClock()())
    assert [(d.code, d.status) for _, d in dossiers.changed_since(conn, 2)] == [("000.00.53.H48-220921-0099", 5)]
    bad = import_file(write_csv(tmp_path / "c.csv", [row(channel=4)]), db, TZ, FakeClock()())
    assert bad.problems == [f"{tmp_path / 'c.csv'}: line 2: channel: must be 1 (in person), 2 (online) or 3 (postal), "
                            "got '4'"]


def test_an_older_store_gets_the_new_columns(tmp_path):
    path = tmp_path / "old.sqlite3"
    old = sqlite3.connect(path)
    old.executescript(dossiers.SCHEMA.split("CREATE TABLE IF NOT EXISTS dossier_meta")[0])
    old.execute("INSERT INTO dossiers VALUES ('000.00.53.H48-220921-0099','P','A','2022-09-21T08:00:00+07:00',"
                "NULL,NULL,4,'Lê Văn A',NULL,'','2022-09-21T08:00:00+07:00')")
    old.commit()
    conn = dossiers.connect(str(path))
    assert dossiers.find(conn, "000.00.53.H48-220921-0099").channel == 1


def test_extend_through_the_hub(tmp_path, broker):
    cfg = config.load(write_site(tmp_path, site_data(tmp_path, broker.port)))
    assert import_file(write_csv(tmp_path / "a.csv", [row(due_at="2099-10-05T17:00:00+07:00"),
                                                       row(code="000.00.53.H48-230105-0007", status=9,
                                                           finished_at="2023-01-20")]),
                       dossiers.store_path(cfg), TZ, FakeClock()()).problems == []
    hub = HubProcess(cfg.path, tmp_path / "hub.log").start()
    c = HubClient(cfg, "console").start()
    c.issue("?", timeout=0.2, tries=100)

    def extend(**kw):
        body = {"code": "000.00.53.H48-220921-0099", "due_at": "2099-10-20", "reason": "Cần xác minh thực địa", **kw}
        return c.request(c.t.extend, body)

    first = extend(command_id="x1")
    assert first["ok"] and first["dossier"]["due_at"] == "2099-10-20T00:00:00+07:00"
    assert extend(command_id="x1") == first, "the same request again: the same answer"
    assert extend(command_id="x2")["error"]["code"] == "bad_request", "not later than the date in force"
    assert extend(due_at="yesterday")["error"]["code"] == "bad_request"
    assert extend(reason="  ")["error"]["code"] == "bad_request"
    assert extend(code="000.00.53.H48-230105-0007", due_at="2099-12-01")["error"]["code"] == "bad_request", "finished"
    assert extend(code="000.00.53.H48-991231-0001")["error"]["code"] == "not_found"
    assert extend(code="nope")["error"]["code"] == "invalid_code"
    looked = c.request(c.t.lookup, {"code": "000.00.53.H48-220921-0099"})["dossier"]
    assert looked["due_at"] == "2099-10-20T00:00:00+07:00", "the kiosk sees the new date"
    import_file(write_csv(tmp_path / "b.csv", [row(due_at="2099-11-30T17:00:00+07:00")]),
                dossiers.store_path(cfg), TZ, FakeClock()())
    looked = c.request(c.t.lookup, {"code": "000.00.53.H48-220921-0099"})["dossier"]
    assert looked["due_at"] == "2099-11-30T17:00:00+07:00", "until the source brings a later one"
    c.stop()
    hub.stop()


def test_import_reports_every_bad_row_and_writes_nothing(tmp_path):
    db = str(tmp_path / "d.sqlite3")
    rows = [row(), row(code="000.00.53.H48-220231-0001"), row(status="11"), row(received_at="21/09/2022"),
            row(procedure="")]
    r = import_file(write_csv(tmp_path / "bad.csv", rows), db, TZ, FakeClock()())
    text = "\n".join(r.problems)
    assert f"{tmp_path / 'bad.csv'}: line 3: code: not a dossier code" in text
    assert "line 4: status: must be a status code 1-10, got 11" in text
    assert "line 5: received_at: not an ISO 8601" in text
    assert "line 6: procedure: required" in text
    assert "line 2:" not in text
    assert dossiers.connect(db).execute("SELECT COUNT(*) FROM dossiers").fetchone()[0] == 0
    (tmp_path / "bad.json").write_text(json.dumps([row(), "oops", row(status=True)]), "utf-8")
    text = "\n".join(import_file(tmp_path / "bad.json", db, TZ, FakeClock()()).problems)
    assert "item 2: not a JSON object" in text and "item 3: status" in text


@pytest.mark.parametrize("content", [b"\xff\xfe garbage", b"{}", b"", b"code\n" + b"x" * 200_000 + b"\n"])
def test_import_of_garbage_files_is_a_clear_error(tmp_path, content):
    for suffix in (".csv", ".json"):
        p = tmp_path / f"g{suffix}"
        p.write_bytes(content)
        r = import_file(p, str(tmp_path / "d.sqlite3"), TZ, FakeClock()())
        assert r.problems and all(line.startswith(str(p)) for line in r.problems)


def test_import_command_exit_codes(tmp_path):
    path = write_site(tmp_path, site_data(tmp_path))
    ok = subprocess.run([sys.executable, "-m", "motcua.hub", "--config", str(path), "--import-dossiers", str(SAMPLE)],
                        capture_output=True, text=True, cwd=ROOT, env=env(), timeout=60)
    assert ok.returncode == 0 and "imported 10 dossiers" in ok.stdout, ok.stderr
    bad = write_csv(tmp_path / "bad.csv", [row(status="0")])
    r = subprocess.run([sys.executable, "-m", "motcua.hub", "--config", str(path), "--import-dossiers", str(bad)],
                       capture_output=True, text=True, cwd=ROOT, env=env(), timeout=60)
    assert r.returncode == 2 and "line 2: status" in r.stderr and "nothing imported" in r.stderr


def test_rate_limiter_is_a_sliding_window():
    t = [0.0]
    rl = RateLimiter(limit=10, window=60, clock=lambda: t[0])
    assert all(rl.allow("k1") for _ in range(10))
    assert not rl.allow("k1") and rl.allow("k2")
    t[0] = 59.9
    assert not rl.allow("k1")
    t[0] = 60.0
    assert rl.allow("k1")


def test_lookup_through_the_hub(tmp_path, broker):
    cfg = config.load(write_site(tmp_path, site_data(tmp_path, broker.port)))
    hub = HubProcess(cfg.path, tmp_path / "hub.log").start()
    c = HubClient(cfg, "kiosk-k1").start()
    c.issue("?", timeout=0.2, tries=100)
    r = subprocess.run([sys.executable, "-m", "motcua.hub", "--config", str(cfg.path), "--import-dossiers",
                        str(SAMPLE)], capture_output=True, text=True, cwd=ROOT, env=env(), timeout=60)
    assert r.returncode == 0, r.stderr
    assert c.issue("LAND")["ok"], "the hub keeps serving while an import runs"

    others = {k: HubClient(cfg, f"kiosk-{k}").start() for k in ("k2", "k3", "k4")}

    def look(code, who=None):
        client = others[who] if who else c
        return client.request(client.t.lookup, {"code": code, "source": "kiosk-k1"})

    d = look("https://dichvucong.gov.vn/tra-cuu?code=000.00.53.h48-250922-0031")["dossier"]
    assert d["applicant"] == "Trần T** B*** N***" and d["status"] == 9 and d["timeliness"] == "late"
    assert "0912345678" not in json.dumps(d)
    assert look("000.00.53.H48-991231-0001")["error"]["code"] == "not_found"
    for hostile in ("' OR 1=1; DROP TABLE dossiers; --", "x" * 10_000, "\x00\x1b[2J", "", 42):
        assert look(hostile, "k2")["error"]["code"] == "invalid_code", hostile
    e = look("000.00.53.H48-22-0099", "k2")["error"]
    assert e["code"] == "invalid_code" and "000.00.53.H48-220921-0099" in e["message"], "shows the right format"
    assert "000.00.53.H48-220921-0099" in e["text"]["vi"] and e["text"]["en"].startswith("Invalid dossier code")
    results = [look("000.00.53.H48-250915-0012", "k3")["ok"] for _ in range(10)]
    assert all(results)
    assert look("000.00.53.H48-250915-0012", "k3")["error"]["code"] == "rate_limited"
    assert look("000.00.53.H48-250915-0012", "k4")["ok"], "per client"
    for other in others.values():
        other.stop()
    c.stop()
    hub.stop()


class Remote:
    """The province's one-stop system, played by a local HTTP server with switches."""

    def __init__(self):
        self.mode, self.items, self.seen = "ok", [], []
        remote = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                remote.seen.append(self.path)
                if remote.mode == "down":
                    return self.send_error(503)
                if remote.mode == "slow":
                    time.sleep(2)
                body = b"<html>garbage" if remote.mode == "garbage" else json.dumps(
                    {"data": remote.items}, ensure_ascii=False).encode()
                try:
                    self.send_response(200)
                    self.end_headers()
                    self.wfile.write(body)
                except BrokenPipeError:   # the puller gave up waiting, as it should
                    pass

            def log_message(self, *a):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/api/dossiers"


def test_pull_keeps_the_store_current_and_survives_outages(tmp_path):
    remote = Remote()
    data = site_data(tmp_path)
    data["hub"]["dossier_pull"] = {"url": remote.url, "interval_s": 10, "timeout_s": 1, "items_key": "data",
                                   "fields": {"code": "maHoSo", "status": "trangThai"}}
    cfg = config.load(write_site(tmp_path, data))
    clock = FakeClock("2026-11-30 09:00")
    puller = DossierPuller(cfg, str(tmp_path / "d.sqlite3"), clock=clock)
    db = dossiers.connect(str(tmp_path / "d.sqlite3"))
    item = {**row(), "maHoSo": "000.00.53.H48-220921-0099", "trangThai": 4}
    del item["code"], item["status"]
    remote.items = [item, {"maHoSo": "bad"}, "not an object"]
    r = puller.pull_once(db)
    assert (r.written, r.skipped, r.error) == (1, 2, None)
    assert dossiers.find(db, "000.00.53.H48-220921-0099").status == 4
    for mode in ("down", "slow", "garbage"):
        remote.mode = mode
        clock.advance(minutes=5)
        r = puller.pull_once(db)
        assert r.error and r.written == 0, mode
    assert dossiers.find(db, "000.00.53.H48-220921-0099").status == 4, "outages lose nothing"
    remote.mode, item["trangThai"] = "ok", 10
    assert puller.pull_once(db).written == 1
    assert dossiers.find(db, "000.00.53.H48-220921-0099").status == 10
    assert "updated_since=2026-11-30T08%3A55%3A00%2B07%3A00" in remote.seen[-1], \
        "the cursor is the last written pull, minus an overlap"
    remote.server.shutdown()


def test_importing_leaves_the_csv_module_as_it_was(tmp_path):
    """A setting of the csv module is the whole process's: the importer must not change it."""
    path = write_csv(tmp_path / "d.csv", [row(note="x" * 5000)])
    code = ("import csv, sys\nfrom datetime import datetime\nfrom zoneinfo import ZoneInfo\n"
            "before = csv.field_size_limit()\nfrom motcua.hub.dossier_import import import_file\n"
            "tz = ZoneInfo('Asia/Ho_Chi_Minh')\n"
            f"r = import_file({str(path)!r}, {str(tmp_path / 'd.sqlite3')!r}, tz, datetime.now(tz))\n"
            "print(csv.field_size_limit() == before, r.problems)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env(), timeout=60)
    assert out.returncode == 0, out.stderr
    same, problems = out.stdout.split(" ", 1)
    assert same == "True" and problems.strip() == "[]"


LONG = {"note": "Bổ sung bản vẽ " * 400, "procedure": "Cấp phép " * 300, "agency": "Sở " * 600,
        "applicant": "Nguyễn " * 300, "reason": "Chờ " * 500, "field": "Xây dựng " * 200}


def shortened(d: dossiers.Dossier) -> None:
    for name, text in LONG.items():
        got = getattr(d, name)
        assert len(got) <= 1000 and got.endswith("…") and text.startswith(got[:-1]), name


def test_long_free_text_is_shortened_and_only_a_long_key_refuses_the_row(tmp_path, hub):
    """The real --import-dossiers beside a running hub, then the kiosk's lookup finds the dossier."""
    _, client, cfg = hub
    code = "000.00.53.H48-220921-0099"
    long_phone = tmp_path / "phone.json"
    long_phone.write_text(json.dumps([row(phone="0905123456" * 200)], ensure_ascii=False), "utf-8")
    r = subprocess.run([sys.executable, "-m", "motcua.hub", "--config", str(cfg.path), "--import-dossiers",
                        str(long_phone)], capture_output=True, text=True, cwd=ROOT, env=env(), timeout=60)
    assert r.returncode == 2 and "item 1: phone: longer than 1000 characters" in r.stderr, r.stderr
    for suffix in (".json", ".csv"):
        path = tmp_path / f"long{suffix}"
        if suffix == ".json":
            path.write_text(json.dumps([row(**LONG)], ensure_ascii=False), "utf-8")
        else:
            write_csv(path, [row(**LONG)])
        r = subprocess.run([sys.executable, "-m", "motcua.hub", "--config", str(cfg.path), "--import-dossiers",
                            str(path)], capture_output=True, text=True, cwd=ROOT, env=env(), timeout=60)
        assert r.returncode == 0 and "imported 1 dossiers" in r.stdout, r.stderr
        shortened(dossiers.find(dossiers.connect(dossiers.store_path(cfg)), code))
    found = client.request(client.t.lookup, {"code": code, "source": "kiosk-k1"})["dossier"]
    assert found["note"].endswith("…") and found["procedure"].startswith("Cấp phép Cấp phép")


def test_a_pull_shortens_long_free_text_and_keeps_the_dossier(tmp_path):
    remote = Remote()
    data = site_data(tmp_path)
    data["hub"]["dossier_pull"] = {"url": remote.url, "interval_s": 10, "timeout_s": 5, "items_key": "data"}
    cfg = config.load(write_site(tmp_path, data))
    db = dossiers.connect(str(tmp_path / "d.sqlite3"))
    remote.items = [row(**LONG), row(code="000.00.53.H48-220921-0100", phone="0" * 1001)]
    r = DossierPuller(cfg, str(tmp_path / "d.sqlite3"), clock=FakeClock()).pull_once(db)
    assert (r.written, r.skipped) == (1, 1), "only the row with a phone too long to be a phone is left out"
    shortened(dossiers.find(db, "000.00.53.H48-220921-0099"))
    remote.server.shutdown()
