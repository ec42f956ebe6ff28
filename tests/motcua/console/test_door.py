"""The rules of the door (SPEC 12.1), tried against the real console over real HTTP: redirects
only to the console's own paths, password tries braked before the hash however they are sent,
phone streams only for today's real tickets, streams ending with their session, spreadsheets
that never run what an import carried, and the security headers on every answer."""
import csv
import io
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from types import SimpleNamespace
from urllib.parse import quote, urlsplit

from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from devtools.testbed import ROOT, env
from devtools.web import EventStream, WebClient, get
from motcua.console import users_file
from motcua.console.__main__ import load_secret
from motcua.console.auth import Sessions
from motcua.console.phone import PhoneDesk
from motcua.console.tables import Column, Table, to_csv, to_xlsx
from motcua.console.web import SESSION_COOKIE, local_next

SECURITY = ("content-security-policy", "x-content-type-options", "x-frame-options", "referrer-policy")
TRICKS = ["/\t/evil.example", "//evil.example", "/\\evil.example", "\\\\evil.example", "/\r\n/evil.example",
          "https://evil.example", "javascript:alert(1)", "/\x00/evil", "\t//evil.example", "/ /x\x7f",
          "/\\/evil.example", "/\t\\evil.example", "/\u3000/evil.example", ""]


def logged_in(hall, name: str, source: str | None = None) -> WebClient:
    web = WebClient(hall.base, source)
    assert web.login(name) == 303, f"{name} logs in"
    return web


# --- redirects -------------------------------------------------------------------------------
@settings(max_examples=2000)
@given(st.one_of(st.text(max_size=60), st.builds(lambda a, b: a + b, st.sampled_from(TRICKS), st.text(max_size=20))))
def test_a_redirect_target_is_always_a_path_of_the_console(target):
    out = local_next(target)
    assert out.startswith("/") and not out.startswith(("//", "/\\")), repr(out)
    parts = urlsplit(out)
    assert not parts.scheme and not parts.netloc, repr(out)
    assert all(32 <= ord(c) < 127 for c in out), "no control character, nothing a browser would rewrite"


@given(st.from_regex(r"/[a-z0-9][a-z0-9/_.-]{0,30}(\?[a-z]{1,5}=[a-z0-9%]{0,10})?", fullmatch=True))
def test_a_path_of_the_console_is_kept(path):
    assert local_next(path) == path


def test_the_language_switch_and_the_login_send_nowhere_else(hall):
    web = WebClient(hall.base)
    for trick in TRICKS:
        status, headers, _ = web.get(f"/lang/en?next={quote(trick, safe='')}")
        assert status == 303 and headers["location"] == "/", (trick, headers["location"])
        _, _, page = web.get(f"/login?next={quote(trick, safe='')}")
        assert b'name="next" value="/"' in page, trick
    assert web.get("/lang/vi?next=/t/20260101/A001")[1]["location"] == "/t/20260101/A001"
    _, _, body = web.get("/login")
    token = re.search(rb'name="csrf" value="([^"]+)"', body).group(1).decode()
    status, headers, _ = web.post("/login", {"csrf": token, "username": "giamsat", "password": "mk-giam-sat-1",
                                             "next": "/\t/evil.example"})
    assert status == 303 and headers["location"] == "/"


# --- password tries ----------------------------------------------------------------------------
def test_forty_tries_at_once_are_braked_like_forty_in_a_row(hall):
    guessers = [WebClient(hall.base) for _ in range(40)]
    forms = []
    for g in guessers:
        _, _, body = g.get("/login")
        forms.append({"csrf": re.search(rb'name="csrf" value="([^"]+)"', body).group(1).decode(),
                      "username": "giamsat", "password": "doan-bua"})
    with ThreadPoolExecutor(40) as pool:
        codes = list(pool.map(lambda gf: gf[0].post("/login", gf[1])[0], zip(guessers, forms, strict=True)))
    assert codes.count(401) <= 3 and codes.count(429) == 40 - codes.count(401), codes
    assert WebClient(hall.base).login("giamsat") == 429, "the guessing address waits, right password or not"
    assert WebClient(hall.base, source="127.0.0.2").login("giamsat") == 303, "no lockout from another address"


def test_a_counters_press_is_answered_while_forty_guesses_are_hashed(hall):
    """The password hash has a thread of its own (scrypt is slow on purpose): forty wrong passwords
    from forty addresses, all hashed, never hold up the panels, which share the console's pool."""
    ticket = hall.client.issue("LAND")["ticket"]
    clerk = logged_in(hall, "quay1")
    press = {"csrf": clerk.csrf("/counter/1"), "action": "next", "command_id": "press-during-guesses"}
    guessers = [WebClient(hall.base, source=f"127.0.1.{10 + i}") for i in range(40)]
    forms = [{"csrf": g.csrf("/login"), "username": "giamsat", "password": "doan-bua"} for g in guessers]

    def guess(gf) -> tuple[int, float]:
        status = gf[0].post("/login", gf[1])[0]
        return status, time.monotonic()
    with ThreadPoolExecutor(40) as pool:
        guesses = pool.map(guess, zip(guessers, forms, strict=True))
        time.sleep(0.3)                                      # the guesses are in the hash's queue
        asked = time.monotonic()
        status, _, body = clerk.post("/counter/1/command", press, headers={"X-Motcua": "fetch"})
        answered = time.monotonic()
        guessed = list(guesses)
    assert status == 200 and b'"ok": true' in body, body
    assert answered - asked < 1, f"the press took {answered - asked:.2f} s"
    assert [s for s, _ in guessed] == [401] * 40, "every guess was hashed and refused"
    assert max(t for _, t in guessed) > answered, "the press was answered while guesses still waited for the hash"
    assert hall.client.command("1", "done")["ok"], f"{ticket['label']} was called by the press"


# --- phone streams -------------------------------------------------------------------------------
def test_phone_streams_only_for_a_real_ticket_five_at_most_ended_when_it_is_done(hall):
    t = hall.client.issue("LAND")["ticket"]
    day = t["id"].split("-")[0]
    phone = WebClient(hall.base, source="127.0.0.3")
    real = [EventStream(phone, f"/events/t/{day}/{t['label']}") for _ in range(10)]
    assert sorted(s.status for s in real) == [200] * 5 + [429] * 5, "five pages follow one ticket"
    open_ = [s for s in real if s.status == 200]
    for s in real:
        if s.status != 200:
            s.close()

    def attempt(n: int) -> int:
        stream = EventStream(WebClient(hall.base, source=f"127.0.0.{10 + n % 10}"), f"/events/t/{day}/B{n:03d}", 10)
        stream.close()
        return stream.status
    with ThreadPoolExecutor(50) as pool:
        made_up = list(pool.map(attempt, range(1000)))
    assert set(made_up) <= {404, 429} and made_up.count(404) >= 900, "no stream for a made-up ticket"
    asked = time.monotonic()
    assert get(hall.base, "/login")[0] == 200, "the console still answers"
    assert time.monotonic() - asked < 2, "and answers at once: the made-up streams hold nothing"
    assert all(s.next_event()[0] == "update" for s in open_)
    assert EventStream(phone, f"/events/t/{day}/{t['label']}").status == 429, "still five open"
    hall.client.command("1", "next")
    hall.client.command("1", "done")
    for s in open_:
        assert s.events_until_end()[-1] == "end", "the ticket done, its streams end"
    assert EventStream(phone, f"/events/t/{day}/{t['label']}").status == 204, "and none opens again"


def test_no_phone_stream_for_the_same_label_on_another_day(hall):
    t = hall.client.issue("LAND")["ticket"]
    today = datetime.strptime(t["id"].split("-")[0], "%Y%m%d").date()
    phone = WebClient(hall.base, source="127.0.0.5")
    for other in (today - timedelta(days=1), today + timedelta(days=1)):
        stream = EventStream(phone, f"/events/t/{other:%Y%m%d}/{t['label']}")
        stream.close()
        assert stream.status == 404, f"{other}: the label is today's only"
    live = EventStream(phone, f"/events/t/{today:%Y%m%d}/{t['label']}")
    assert live.status == 200, "today's address has its stream"
    live.close()


def test_the_day_changing_ends_a_phone_stream():
    days = ["2026-12-03"]
    console = SimpleNamespace(cfg=SimpleNamespace(console=SimpleNamespace(phone_requests_per_minute=60)),
                              ledger=SimpleNamespace(today=lambda: days[0]))
    desk = PhoneDesk(console)
    desk.rendered[("2026-12-03", "A001", "vi")] = (200, "<p>A001</p>", True)
    assert desk.still_open("2026-12-03", "A001", "vi"), "an unfinished ticket of today"
    days[0] = "2026-12-04"                                   # midnight passes
    assert not desk.still_open("2026-12-03", "A001", "vi"), "yesterday's ticket follows no more"


# --- streams and sessions ------------------------------------------------------------------------
def test_the_live_halls_stream_ends_with_a_logout_made_elsewhere(hall):
    boss = logged_in(hall, "giamsat")
    live = EventStream(boss, "/events/hall")
    assert live.status == 200 and live.next_event()[0] == "update"
    assert boss.post("/logout", {"csrf": boss.csrf("/hall")})[0] == 303
    assert live.events_until_end() == ["end"], "nothing more for a logged-out session, then the end"


def test_the_live_halls_stream_ends_when_its_session_expires(hall):
    """A session issued with the console's own key (a clock four seconds short of its lifetime):
    its open stream of the live hall ends at its expiry, with no logout and nothing changing."""
    users = users_file.read(hall.cfg)
    lifetime = hall.cfg.console.session_hours * 3600
    sessions = Sessions(load_secret(hall.cfg.console.secret_file), users, hall.cfg.console.session_hours,
                        clock=lambda: time.time() - lifetime + 4)
    boss = WebClient(hall.base)
    boss.cookies[SESSION_COOKIE] = sessions.issue(users["giamsat"])
    expires = sessions.read(boss.cookies[SESSION_COOKIE]).expires
    live = EventStream(boss, "/events/hall")
    assert live.status == 200 and live.next_event()[0] == "update", "the session is good for a few seconds"
    assert live.events_until_end(within=10) == ["end"], "nothing more for an expired session, then the end"
    assert expires - 0.5 < time.time() < expires + 2, "it ends at the expiry, not at the next keepalive"
    assert boss.get("/hall")[0] == 303, "and the expired cookie opens nothing"


# --- exports ----------------------------------------------------------------------------------------
FORMULA = '=HYPERLINK("http://x","y")'


def test_a_formula_from_an_import_is_text_in_both_downloads(hall):
    rows = [["code", "procedure", "received_at", "due_at", "status", "field", "agency"],
            ["000.00.53.H48-261001-0001", "Cấp phép", "2026-10-01T08:00:00+07:00", "2026-10-10T17:00:00+07:00",
             "2", FORMULA, "Sở X"],
            ["000.00.53.H48-261001-0002", "Cấp phép", "2026-10-01T08:00:00+07:00", "2026-10-10T17:00:00+07:00",
             "2", "@SUM(1+1)", "Sở X"]]
    exported = hall.tmp / "dossiers.csv"
    with open(exported, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
    done = subprocess.run([sys.executable, "-m", "motcua.hub", "--config", str(hall.cfg.path), "--import-dossiers",
                           str(exported)], capture_output=True, text=True, env=env(), cwd=ROOT, timeout=60)
    assert done.returncode == 0, done.stderr
    boss = logged_in(hall, "giamsat")
    status, _, body = boss.get("/dossiers.xlsx?from=2026-10-01&to=2026-10-31")
    assert status == 200
    sheet = load_workbook(io.BytesIO(body)).active
    first = {c.value: c for c in sheet["A"] if isinstance(c.value, str)}
    for text in (FORMULA, "@SUM(1+1)"):
        got = first["'" + text]
        assert got.data_type == "s", f"{text} is a string cell, not a formula"
        counts = [c.value for c in sheet[got.row][1:]]
        assert 1 in counts and all(v is None or isinstance(v, int | float) for v in counts), "the counts stay numbers"
    _, _, body = boss.get("/dossiers.csv?from=2026-10-01&to=2026-10-31")
    names = [r[0] for r in csv.reader(io.StringIO(body.decode("utf-8-sig"))) if r]
    assert "'" + FORMULA in names and "'@SUM(1+1)" in names and FORMULA not in names


def test_both_exports_use_the_same_escape():
    table = Table("t", "Bảng", "Table", [Column("name", "Tên", "Name", "text"), Column("n", "Số", "Number")],
                  [["-1+1", -5], ["+84912345678", -2.5], ["\tx", 0]])
    rows = list(csv.reader(io.StringIO(to_csv([table]).decode("utf-8-sig"))))[2:]
    assert rows == [["'-1+1", "-5"], ["'+84912345678", "-2.5"], ["'\tx", "0"]]
    sheet = load_workbook(io.BytesIO(to_xlsx([table], "=title"))).active
    assert sheet["A1"].data_type == "s" and [[c.value for c in r] for r in sheet.iter_rows(min_row=3)] == [
        ["'-1+1", -5], ["'+84912345678", -2.5], ["'\tx", 0]]


# --- headers on every answer --------------------------------------------------------------------
def test_security_headers_on_redirects_and_errors_too(hall):
    clerk, boss = logged_in(hall, "quay1"), logged_in(hall, "giamsat")
    stranger = WebClient(hall.base, source="127.0.0.4")
    answers = {"redirect": stranger.get("/hall"), "401": stranger.get("/events/hall"),
               "404": boss.get("/no-such-page"), "phone 404": stranger.get("/t/20260101/X"),
               "405": boss.request("DELETE", "/login"), "403": clerk.get("/hall"),
               "forged": stranger.post("/login", {"csrf": "", "username": "giamsat", "password": "x"}),
               "static": stranger.get("/static/console.css"), "health": stranger.get("/healthz")}
    for _ in range(3):
        stranger.login("giamsat", "sai")
    answers["429"] = stranger.login_answer("giamsat", "sai")
    t = hall.client.issue("LAND")["ticket"]
    for _ in range(121):
        answers["phone 429"] = stranger.get(f"/t/{t['id'].split('-')[0]}/{t['label']}")
    expected = {"redirect": 303, "401": 401, "404": 404, "phone 404": 404, "405": 405, "403": 403, "forged": 403,
                "static": 200, "health": 200, "429": 429, "phone 429": 429}
    for what, (status, headers, _) in answers.items():
        assert status == expected[what], what
        assert all(h in headers for h in SECURITY), f"{what}: {sorted(headers)}"
        assert "strict-transport-security" not in headers, "no HSTS over plain http"
