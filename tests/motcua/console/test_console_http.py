"""The console's doors, tried one by one with hostile requests (SPEC sections 10 and 12): no
session, a clerk on a supervisor's page or at another's counter, forged posts, markup where text
belongs, path tricks on downloads, and password guessing."""
import re
import time
from datetime import datetime, timedelta

import pytest

from devtools.testbed import wait_for
from devtools.web import WebClient, get
from motcua.db import transaction
from motcua.hub import dossiers

SUPERVISOR_GETS = ["/hall", "/figures", "/figures.xlsx", "/figures.csv", "/dossiers", "/dossiers.xlsx",
                   "/dossiers.csv", "/followup", "/followup/letters/a.pdf"]
POSTS = [("/followup/extend", {"code": "000.00.53.H48-261201-0001", "due_at": "2027-01-01", "reason": "x",
                               "command_id": "abcdefgh1"}),
         ("/counter/2/command", {"action": "next", "command_id": "abcdefgh2"}),
         ("/counter/2/rating", {"score": "3", "command_id": "abcdefgh3"})]


def logged_in(hall, name: str) -> WebClient:
    web = WebClient(hall.base)
    assert web.login(name) == 303, f"{name} logs in"
    return web


@pytest.mark.parametrize("path", SUPERVISOR_GETS + ["/counter/1", "/"])
def test_without_a_session_every_page_sends_to_the_login(hall, path):
    status, headers, body = WebClient(hall.base).get(path)
    assert status == 303 and headers["location"].startswith("/login?next="), path
    assert b"<table" not in body


def test_without_a_session_no_event_stream_and_no_post(hall):
    web = WebClient(hall.base)
    for path in ("/events/hall", "/events/counter/1"):
        assert web.get(path)[0] == 401
    for path, form in POSTS:
        assert web.post(path, form)[0] == 401, path


@pytest.mark.parametrize("path", SUPERVISOR_GETS)
def test_a_clerk_is_refused_every_supervisor_page(hall, path):
    status, _, body = logged_in(hall, "quay1").get(path)
    assert status == 403, path
    assert "không được xem trang này".encode() in body and b"data-table" not in body and "Quầy 3".encode() not in body


def test_a_clerk_cannot_open_or_command_another_counter(hall):
    web = logged_in(hall, "quay1")
    hall.client.issue("JUST")                                     # counter 2 serves JUST
    assert web.get("/counter/2")[0] == 403 and web.get("/events/counter/2")[0] == 403
    token = web.csrf("/counter/1")
    assert token, "the clerk's own panel carries a token"
    for path, form in POSTS[1:]:
        assert web.post(path, {**form, "csrf": token})[0] == 403, path
    assert web.post("/followup/extend", {**POSTS[0][1], "csrf": token})[0] == 403
    time.sleep(0.3)
    state = hall.client.command("2", "recall")
    assert state["ok"] is False and state["error"]["code"] == "nothing_to_recall", "counter 2 never called"
    status, _, _ = web.get("/counter/1")
    assert status == 200, "their own counter opens"


def test_forged_posts_are_refused(hall):
    boss, other = logged_in(hall, "giamsat"), logged_in(hall, "giamsat")
    form = POSTS[0][1]
    assert boss.post("/followup/extend", form)[0] == 403, "no token"
    assert boss.post("/followup/extend", {**form, "csrf": other.csrf("/followup")})[0] == 403, "another session's"
    good = boss.csrf("/followup")
    assert boss.post("/followup/extend", {**form, "csrf": good}, origin="http://evil.example")[0] == 403, \
        "posted from another site"
    assert boss.post("/logout", {"csrf": "x"})[0] == 403
    status, _, body = boss.post("/followup/extend", {**form, "csrf": good})
    assert status in (400, 503) and b"403" not in body[:20], "with its token the post reaches the hub"
    stranger = WebClient(hall.base)
    stranger.get("/login")
    assert stranger.post("/login", {"csrf": "guess", "username": "giamsat", "password": "mk-giam-sat-1"})[0] == 403


def test_markup_in_names_and_notes_is_shown_as_text(hall):
    code = "000.00.53.H48-261101-0007"
    db = dossiers.connect(dossiers.store_path(hall.cfg))
    now = datetime.now(hall.cfg.site.tz).replace(microsecond=0)
    with transaction(db):
        dossiers.upsert(db, [dossiers.Dossier(code, "Thủ tục <img src=x onerror=alert(2)>", "Sở <i>X</i>",
                                              (now - timedelta(days=20)).isoformat(), (now - timedelta(days=2))
                                              .isoformat(), None, 4, "Nguyễn Văn An", None, "<script>n</script>")],
                        now)
    boss = logged_in(hall, "giamsat")
    _, _, hall_page = boss.get("/hall")
    assert b"<script>alert(1)" not in hall_page
    assert "Đất đai &lt;script&gt;alert(1)&lt;/script&gt;".encode() in hall_page
    _, _, page = boss.get("/followup")
    assert code.encode() in page, "the overdue dossier is on the watch"
    assert b"<img src=x" not in page and b"&lt;img src=x onerror=alert(2)&gt;" in page and b"<i>X</i>" not in page
    _, headers, _ = boss.get("/hall")
    assert "script-src 'self'" in headers["content-security-policy"]


def test_downloads_cannot_reach_outside_the_letters(hall):
    letters = hall.tmp / "letters"
    letters.mkdir(exist_ok=True)
    (letters / "xin-loi-1.pdf").write_bytes(b"%PDF-1.4 letter")
    (hall.tmp / "secret.pdf").write_bytes(b"%PDF-1.4 secret")
    boss = logged_in(hall, "giamsat")
    status, headers, body = boss.get("/followup/letters/xin-loi-1.pdf")
    assert status == 200 and body == b"%PDF-1.4 letter" and headers["content-type"] == "application/pdf"
    for trick in ("..%2Fsecret.pdf", "%2e%2e%2fsecret.pdf", "..%5Csecret.pdf", ".%2F..%2Fsecret.pdf",
                  "%2Fetc%2Fpasswd", "site.yaml", "..", "xin-loi-1.pdf%00.csv"):
        status, _, body = boss.get(f"/followup/letters/{trick}")
        assert status == 404 and b"%PDF-1.4 secret" not in body, trick
    for trick in ("..%2Fweb.py", "%2e%2e%2f__main__.py", "console.css%2F..%2F..%2Fweb.py"):
        assert boss.get(f"/static/{trick}")[0] == 404, trick
    assert boss.get("/static/console.css")[0] == 200
    assert boss.get("/figures.xlsx?from=../../etc&to=x")[0] == 400


def test_password_guessing_is_slowed_down(hall):
    web = WebClient(hall.base)
    for _ in range(3):
        assert web.login("giamsat", "sai-mat-khau") == 401
    assert web.login("giamsat") == 429, "even the right password waits after three wrong ones"
    status, headers, body = web.request("GET", "/login")
    assert status == 200
    assert web.login("quay1") == 429, "the same address waits for another name too"
    time.sleep(1.2)
    assert web.login("giamsat") == 303, "after the wait the right password works"
    assert "motcua_session" in web.cookies


def test_the_session_cookie_is_httponly_and_logout_ends_it(hall):
    web = WebClient(hall.base)
    _, _, body = web.get("/login")
    token = re.search(rb'name="csrf" value="([^"]+)"', body).group(1).decode()
    status, headers, _ = web.post("/login", {"csrf": token, "username": "giamsat", "password": "mk-giam-sat-1"})
    assert status == 303 and "HttpOnly" in headers["set-cookie"] and "SameSite=Lax" in headers["set-cookie"]
    stolen = dict(web.cookies)
    assert web.get("/hall")[0] == 200
    assert web.post("/logout", {"csrf": web.csrf("/hall")})[0] == 303
    thief = WebClient(hall.base)
    thief.cookies = stolen
    assert thief.get("/hall")[0] == 303, "the cookie of a logged-out session opens nothing"
    hall.console.stop()
    hall.console.start()
    assert thief.get("/hall")[0] == 303, "not even after the console restarts"


def test_the_phone_page_says_nothing_of_other_days_or_made_up_labels(hall):
    t = hall.client.issue("LAND")["ticket"]
    day = t["id"].split("-")[0]
    status, _, body = get(hall.base, f"/t/{day}/{t['label']}")
    assert status == 200 and t["label"].encode() in body
    yesterday = (datetime.strptime(day, "%Y%m%d") - timedelta(days=1)).strftime("%Y%m%d")
    for path, says in ((f"/t/{yesterday}/{t['label']}", "không phải của hôm nay"),
                       (f"/t/{day}/A999", "Hôm nay không có số này"), (f"/t/{day}/Z1", "Hôm nay không có số này")):
        status, _, body = get(hall.base, path)
        assert status == 404 and says.encode() in body, path
        assert b"LAND" not in body and "Đất đai".encode() not in body and "Đang phục vụ".encode() not in body
    for path in (f"/t/{day}/<b>", f"/t/2026/{t['label']}", f"/t/{day}/A0011111"):
        assert get(hall.base, path)[0] == 404


def test_the_phone_page_is_limited_per_address(hall):
    t = hall.client.issue("LAND")["ticket"]
    path = f"/t/{t['id'].split('-')[0]}/{t['label']}"
    codes = [get(hall.base, path)[0] for _ in range(130)]
    assert codes[0] == 200 and codes[-1] == 429 and codes.count(200) == 120, "120 a minute by default"


def test_the_console_says_online_with_a_last_will(hall):
    from devtools.testbed import Spy
    spy = Spy(hall.cfg.mqtt.port, f"{hall.client.t.root}/status/console")
    wait_for(lambda: spy.on(f"{hall.client.t.root}/status/console")[-1:] == ["online"], 5, "console online")
    hall.console.kill()
    wait_for(lambda: spy.on(f"{hall.client.t.root}/status/console")[-1:] == ["offline"], 90, "the last will")
    spy.close()


def test_the_console_over_tls(tmp_path, broker):
    """console.tls with the certificate files of docs/deployment.md's recipe: https only, every
    cookie marked Secure, HSTS and the security headers on every answer, a 500 included."""
    import http.client
    import re
    import ssl
    from pathlib import Path

    from devtools.testbed import free_port, site_data, tls_certificates, write_site
    from devtools.web import ConsoleProcess, console_section, users
    from motcua import config
    ca, cert, key = tls_certificates(tmp_path)
    port = free_port()
    section = console_section(tmp_path, port, public_url=f"https://127.0.0.1:{port}",
                              tls={"cert_file": str(cert), "key_file": str(key)})
    cfg = config.load(write_site(tmp_path, site_data(tmp_path, broker.port, console=section, users=users())))
    console = ConsoleProcess(cfg.path, tmp_path / "console.log", f"http://127.0.0.1:{port}").start(wait=False)
    try:
        ctx = ssl.create_default_context(cafile=str(ca))

        def https(method, path, body=None, headers=None):
            c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=5)
            c.request(method, path, body=body, headers=headers or {})
            r = c.getresponse()
            return r.status, r.getheaders(), r.read()
        wait_for(lambda: _answers(https), 15, "the console over https")
        status, headers, body = https("GET", "/login")
        pre = dict(headers)["Set-Cookie"]
        assert status == 200 and "Secure" in pre
        token = re.search(rb'name="csrf" value="([^"]+)"', body).group(1).decode()
        form = f"csrf={token}&username=giamsat&password=mk-giam-sat-1"
        status, headers, _ = https("POST", "/login", form, {"Content-Type": "application/x-www-form-urlencoded",
                                                              "Cookie": pre.split(";")[0],
                                                              "Origin": f"https://127.0.0.1:{port}"})
        assert status == 303 and "Secure" in dict(headers)["Set-Cookie"]
        session = dict(headers)["Set-Cookie"].split(";")[0]
        status, headers, _ = https("GET", "/lang/en?next=/hall")
        assert status == 303 and "Secure" in dict(headers)["Set-Cookie"], "the language cookie too"
        Path(cfg.hub.database).write_bytes(b"not a database " * 100)      # a file that cannot be read
        answers = {"login": https("GET", "/login"), "redirect": https("GET", "/hall"),
                   "404": https("GET", "/nope", headers={"Cookie": session}),
                   "500": https("GET", "/figures", headers={"Cookie": session})}
        for what, status in (("login", 200), ("redirect", 303), ("404", 404), ("500", 500)):
            got = {k.lower(): v for k, v in answers[what][1]}
            assert answers[what][0] == status, what
            assert got.get("strict-transport-security", "").startswith("max-age="), what
            assert "frame-ancestors 'none'" in got["content-security-policy"] and got["x-frame-options"] == "DENY"
        assert "Có lỗi khi trả lời trang này".encode() in answers["500"][2]
        assert https("GET", "/login")[0] == 200, "one unreadable file costs that page only"
        with pytest.raises((http.client.HTTPException, OSError)):
            get(f"http://127.0.0.1:{port}", "/login")     # no plain http on the TLS port
    finally:
        console.stop()


def _answers(https) -> bool:
    try:
        return https("GET", "/login")[0] == 200
    except OSError:
        return False


def test_the_dossier_report_page_shows_the_numbers_its_downloads_hold(hall):
    """A supervisor opens form 06 for a quarter: the early share, and the same counts in the CSV."""
    import csv
    import io
    from html.parser import HTMLParser
    db = dossiers.connect(dossiers.store_path(hall.cfg))
    rows = []
    for n in range(10):                 # 6 early, 3 on time, 1 late, all in October 2026
        finished = "2026-10-05" if n < 6 else "2026-10-10" if n < 9 else "2026-10-20"
        rows.append(dossiers.Dossier(f"000.00.53.H48-261001-{n:04d}", "Thủ tục", "Sở Tư pháp",
                                     "2026-10-01T08:00:00+07:00", "2026-10-10T17:00:00+07:00",
                                     f"{finished}T09:00:00+07:00", 10, "Nguyễn Văn An", None, "", "Hộ tịch"))
    with transaction(db):
        dossiers.upsert(db, rows, datetime.now(hall.cfg.site.tz))
    boss = logged_in(hall, "giamsat")
    status, _, page = boss.get("/dossiers?from=2026-10-01&to=2026-12-31")
    assert status == 200 and b"60,0 %" in page, "the share resolved early, as a person writes it"

    class Cells(HTMLParser):
        rows: list = []

        def handle_starttag(self, tag, attrs):
            if tag == "tr":
                self.rows.append([])

        def handle_data(self, data):
            if self.rows and self.lasttag == "td" and data.strip():
                self.rows[-1].append(data.strip())
    parser = Cells()
    parser.feed(page.decode())
    shown = [r for r in parser.rows if r]
    assert shown[-1][0] == "Tổng cộng / Total" and shown[0][0] == "Hộ tịch"
    _, _, body = boss.get("/dossiers.csv?from=2026-10-01&to=2026-12-31")
    table = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))[2:]
    assert [[c.replace(",", ".") for c in r] for r in shown] == [[c or "—" for c in r] for r in table]
    assert table[0][1:] == ["10", "0", "10", "10", "0", "0", "10", "6", "3", "1", "0", "0", "0", "0", "60.0"]


def test_a_rating_entered_on_the_panel_counts_once_for_the_ticket_served(hall):
    import sqlite3
    t = hall.client.issue("LAND")["ticket"]
    hall.client.command("1", "next")
    web = logged_in(hall, "quay1")
    form = {"csrf": web.csrf("/counter/1"), "score": "3", "command_id": "rating-press-01"}
    for _ in range(2):                   # the same press repeated
        status, _, body = web.post("/counter/1/rating", form, headers={"X-Motcua": "fetch"})
        assert status == 200 and b'"ok": true' in body
    assert web.post("/counter/1/rating", {**form, "score": "7"}, headers={"X-Motcua": "fetch"})[0] == 400

    def ratings():
        db = sqlite3.connect(f"file:{hall.cfg.hub.database}?mode=ro", uri=True)
        try:
            return db.execute("SELECT counter, ticket_id, score FROM ratings").fetchall()
        finally:
            db.close()
    wait_for(lambda: ratings(), 5, "the rating recorded")
    time.sleep(0.3)
    assert ratings() == [("1", t["id"], 3)]
