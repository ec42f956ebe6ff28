"""The Accounts pages (SPEC 12.1) against a real hub and console: a supervisor adds a clerk, resets
a password, disables an account; a user changes their own password; every change ends that user's
sessions and streams at once, is kept in the console's users file (hashes only, mode 0600, valid
for --check-config) and outlives a restart of the console."""
import re
import stat
import subprocess
import sys
from dataclasses import replace

import pytest
import yaml

from devtools.testbed import ROOT, env, site_data, write_site
from devtools.web import EventStream, WebClient, console_section
from motcua import config
from motcua.config import User
from motcua.console import users_file
from motcua.console.auth import Sessions, hash_password

NEW_PW = "mat-khau-moi-2026"


def logged_in(hall, name: str, password: str | None = None) -> WebClient:
    web = WebClient(hall.base)
    assert web.login(name, password) == 303, f"{name} logs in"
    return web


def check_config(hall) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "motcua.console", "--config", str(hall.cfg.path), "--check-config"],
                          capture_output=True, text=True, cwd=ROOT, env=env(), timeout=60)


def text(body: bytes) -> str:
    return body.decode("utf-8")


def test_end_user_ends_every_session_begun_before_it_even_after_a_restart_and_an_enable(tmp_path):
    now, ended = [1_000_000.4], tmp_path / "console-logouts"
    u = User("quay1", "clerk", ("1",), hash_password("p"))
    users = {u.name: u}
    sessions = Sessions(b"k" * 40, users, hours=10, clock=lambda: now[0], ended_file=ended)
    old = sessions.issue(u)
    users[u.name] = replace(u, disabled=True)
    assert sessions.read(old) is None, "disabled: the cookie opens nothing"
    sessions.end_user(u.name)
    users[u.name] = u
    assert sessions.read(old) is None, "enabled again: the old cookie stays ended"
    fresh = sessions.issue(u)
    assert sessions.read(fresh) is not None, "a login in the same second as the change counts"
    now[0] += 60
    again = Sessions(b"k" * 40, users, hours=10, clock=lambda: now[0], ended_file=ended)
    assert again.read(old) is None and again.read(fresh) is not None, "kept across a restart"


def test_the_users_file_replaces_and_completes_the_site_files_users(tmp_path):
    boss = {"name": "giamsat", "role": "supervisor", "password_hash": hash_password("a")}
    cfg = config.load(write_site(tmp_path, site_data(tmp_path, console=console_section(tmp_path), users=[boss])))
    assert not users_file.in_use(cfg) and list(users_file.read(cfg)) == ["giamsat"]
    changed = User("giamsat", "supervisor", (), hash_password("b"), disabled=True)
    clerk = User("quay1", "clerk", ("1",), hash_password("c"))
    users_file.path_of(cfg).write_text(users_file.dump([changed, clerk]), encoding="utf-8")
    assert users_file.read(cfg) == {"giamsat": changed, "quay1": clerk}
    users_file.path_of(cfg).write_text(users_file.dump([clerk, clerk]), encoding="utf-8")
    with pytest.raises(ValueError, match=r"users.yaml:4: users\[1\].name: người dùng 'quay1' bị trùng / duplicate"):
        users_file.read(cfg)


def test_a_clerk_added_for_counter_2_reaches_counter_2_only_and_is_kept_as_a_hash(hall):
    boss = logged_in(hall, "giamsat")
    token = boss.csrf("/accounts")
    assert boss.post("/accounts/add", {"name": "quay2b", "role": "clerk", "counters": "2", "password": NEW_PW})[0] \
        == 403, "no token, no change"
    status, _, body = boss.post("/accounts/add", {"csrf": token, "name": "quay2b", "role": "clerk", "counters": "2",
                                                  "password": NEW_PW})
    assert status == 200 and "Đã thêm tài khoản quay2b" in text(body)
    assert NEW_PW not in text(body), "a typed password is never shown back"

    clerk = WebClient(hall.base)
    status, headers, _ = clerk.login_answer("quay2b", NEW_PW)
    assert status == 303 and headers["location"] == "/counter/2"
    assert clerk.get("/counter/2")[0] == 200 and clerk.get("/counter/1")[0] == 403
    assert clerk.get("/accounts")[0] == 403 and clerk.post("/accounts/add", {"csrf": clerk.csrf("/counter/2"),
                                                                              "name": "x1", "role": "supervisor",
                                                                              "password": NEW_PW})[0] == 403
    anonymous = WebClient(hall.base).get("/accounts")
    assert anonymous[0] == 303 and anonymous[1]["location"].startswith("/login?next=")

    path = users_file.path_of(hall.cfg)
    on_disk = path.read_text(encoding="utf-8")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert NEW_PW not in on_disk and "mk-giam-sat-1" not in on_disk
    assert {u["name"] for u in yaml.safe_load(on_disk)["users"]} == {"giamsat", "quay1", "quay2", "quay2b"}
    r = check_config(hall)
    assert r.returncode == 0 and "4 người dùng / users OK" in r.stdout, r.stderr
    assert "quay2b" not in open(hall.cfg.path, encoding="utf-8").read(), "the site file is never written"


def test_a_made_password_is_shown_once_and_bad_input_is_told_beside_its_field(hall):
    boss = logged_in(hall, "giamsat")
    token = boss.csrf("/accounts")
    status, headers, body = boss.post("/accounts/add", {"csrf": token, "name": "gs2", "role": "supervisor"})
    made = re.search(r'<code class="made">([^<]+)</code>', text(body)).group(1)
    assert status == 200 and headers["cache-control"] == "no-store"
    assert made not in text(boss.get("/accounts")[2]), "shown once"
    assert logged_in(hall, "gs2", made).get("/hall")[0] == 200

    cases = [({"name": "<b>x</b>", "role": "clerk", "counters": "1"}, "error-name", "Tên đăng nhập gồm"),
             ({"name": "quay1", "role": "clerk", "counters": "1"}, "error-name", "Đã có tài khoản tên này"),
             ({"name": "moi", "role": "clerk"}, "error-counters", "cần ít nhất một quầy"),
             ({"name": "moi", "role": "clerk", "counters": "99"}, "error-counters", "không có quầy 99"),
             ({"name": "moi", "role": "boss"}, "error-role", "Chọn vai trò"),
             ({"name": "moi", "role": "clerk", "counters": "1", "password": "ngan"}, "error-password", "ít nhất 8")]
    for form, field, said in cases:
        status, _, body = boss.post("/accounts/add", {"csrf": token, **form})
        page = text(body)
        assert status == 400 and re.search(f'id="{field}">[^<]*{said}', page), (form, page[-2000:])
        assert "<b>x</b>" not in page, "markup shown as text"
    assert "moi" not in {u["name"] for u in yaml.safe_load(users_file.path_of(hall.cfg).read_text())["users"]}


def test_a_reset_ends_the_old_password_the_old_cookie_and_the_open_stream(hall):
    boss, clerk = logged_in(hall, "giamsat"), logged_in(hall, "quay2")
    live = EventStream(clerk, "/events/counter/2")
    assert live.status == 200 and live.next_event()[0] == "update"
    status, _, body = boss.post("/accounts/reset", {"csrf": boss.csrf("/accounts"), "name": "quay2"})
    made = re.search(r'<code class="made">([^<]+)</code>', text(body)).group(1)
    assert status == 200 and "Đã đặt lại mật khẩu của quay2" in text(body)
    assert live.events_until_end(5) == ["end"], "the open stream ends at once"
    assert clerk.get("/counter/2")[0] == 303, "the old cookie opens nothing"
    assert WebClient(hall.base).login("quay2") == 401, "the old password fails"
    assert logged_in(hall, "quay2", made).get("/counter/2")[0] == 200


def test_disable_ends_the_session_and_login_says_so_enable_revives_no_old_cookie(hall):
    boss, clerk = logged_in(hall, "giamsat"), logged_in(hall, "quay1")
    live = EventStream(clerk, "/events/counter/1")
    assert live.next_event()[0] == "update"
    token = boss.csrf("/accounts")
    status, _, body = boss.post("/accounts/disable", {"csrf": token, "name": "quay1"})
    assert status == 200 and "Đã khóa tài khoản quay1" in text(body)
    assert live.events_until_end(5) == ["end"]
    assert clerk.get("/counter/1")[0] == 303
    status, _, body = WebClient(hall.base).login_answer("quay1")
    assert status == 403 and "Tài khoản này đã bị khóa" in text(body)
    assert WebClient(hall.base).login_answer("quay1", "sai-mat-khau")[0] == 401, "only the password's owner is told"

    assert boss.post("/accounts/disable", {"csrf": token, "name": "giamsat"})[0] == 400, "never oneself"
    assert "giamsat" in text(boss.get("/accounts")[2]) and boss.get("/hall")[0] == 200
    assert boss.post("/accounts/enable", {"csrf": token, "name": "quay1"})[0] == 200
    assert clerk.get("/counter/1")[0] == 303, "the old cookie stays ended"
    assert logged_in(hall, "quay1").get("/counter/1")[0] == 200


def test_a_supervisor_may_disable_another_never_themselves_so_one_always_remains(hall):
    boss = logged_in(hall, "giamsat")
    token = boss.csrf("/accounts")
    boss.post("/accounts/add", {"csrf": token, "name": "gs2", "role": "supervisor", "password": NEW_PW})
    other = logged_in(hall, "gs2", NEW_PW)
    assert other.post("/accounts/disable", {"csrf": other.csrf("/accounts"), "name": "giamsat"})[0] == 200
    status, _, body = WebClient(hall.base).login_answer("giamsat")
    assert status == 403
    status, _, body = other.post("/accounts/disable", {"csrf": other.csrf("/accounts"), "name": "gs2"})
    assert status == 400 and "Không thể khóa hay mở khóa chính tài khoản của mình" in text(body)


def test_a_user_changes_their_own_password_and_their_other_sessions_end(hall):
    here, elsewhere = logged_in(hall, "quay1"), logged_in(hall, "quay1")
    token = here.csrf("/account/password")
    form = {"csrf": token, "old_password": "mk-quay-mot-1", "new_password": NEW_PW, "new_password2": NEW_PW}
    status, _, body = here.post("/account/password", {**form, "old_password": "sai"})
    assert status == 400 and re.search('id="error-old_password">Mật khẩu hiện tại không đúng', text(body))
    status, _, body = here.post("/account/password", {**form, "new_password2": "khac-hoan-toan"})
    assert status == 400 and 'id="error-new_password2"' in text(body)
    status, _, body = here.post("/account/password", form)
    assert status == 200 and "Đã đổi mật khẩu" in text(body)
    assert here.get("/counter/1")[0] == 200, "this browser stays logged in"
    assert here.csrf("/counter/1") != token
    assert elsewhere.get("/counter/1")[0] == 303, "the other session ended"
    assert WebClient(hall.base).login("quay1") == 401 and WebClient(hall.base).login("quay1", NEW_PW) == 303


def test_wrong_current_passwords_are_braked_as_logins_are(hall):
    web = logged_in(hall, "quay2")
    token = web.csrf("/account/password")
    answers = [web.post("/account/password", {"csrf": token, "old_password": f"sai-{i}", "new_password": NEW_PW,
                                              "new_password2": NEW_PW})[0] for i in range(5)]
    assert answers[:3] == [400, 400, 400] and 429 in answers[3:], answers


def test_a_restart_of_the_console_keeps_the_accounts(hall):
    boss = logged_in(hall, "giamsat")
    token = boss.csrf("/accounts")
    boss.post("/accounts/add", {"csrf": token, "name": "quay2b", "role": "clerk", "counters": "2", "password": NEW_PW})
    boss.post("/accounts/disable", {"csrf": token, "name": "quay1"})
    hall.console.stop()
    hall.console.start()
    assert logged_in(hall, "quay2b", NEW_PW).get("/counter/2")[0] == 200
    assert WebClient(hall.base).login("quay1") == 403, "still disabled"
    page = text(logged_in(hall, "giamsat").get("/accounts")[2])
    assert "quay2b" in page and str(users_file.path_of(hall.cfg)) in page


def test_in_a_browser_a_supervisor_adds_a_clerk_who_then_logs_in_with_the_password_shown(hall, browser):
    from selenium.webdriver.common.by import By

    from devtools.testbed import wait_for
    from devtools.web import login, wait_text
    login(browser, hall.base, "giamsat", "/hall")
    browser.find_element(By.LINK_TEXT, "Tài khoản").click()
    wait_text(browser, "h1", lambda s: s == "Tài khoản")
    form = browser.find_element(By.ID, "add")
    form.find_element(By.NAME, "name").send_keys("Quầy 2")
    form.find_element(By.CSS_SELECTOR, "input[name=counters][value='2']").click()
    form.find_element(By.TAG_NAME, "button").click()
    assert "Tên đăng nhập gồm" in wait_text(browser, "#error-name", bool), "told beside the field"
    form = browser.find_element(By.ID, "add")
    assert form.find_element(By.NAME, "name").get_attribute("value") == "Quầy 2", "what was typed is kept"
    assert form.find_element(By.CSS_SELECTOR, "input[name=counters][value='2']").is_selected()
    form.find_element(By.NAME, "name").clear()
    form.find_element(By.NAME, "name").send_keys("quay2c")
    form.find_element(By.TAG_NAME, "button").click()
    made = wait_text(browser, "code.made", bool)
    assert "quay2c" in browser.find_element(By.ID, "accounts").text
    browser.find_element(By.CSS_SELECTOR, "form[action='/logout'] button").click()
    wait_for(lambda: "/login" in browser.current_url, 10, "logged out")
    browser.find_element(By.NAME, "username").send_keys("quay2c")
    browser.find_element(By.NAME, "password").send_keys(made)
    browser.find_element(By.CSS_SELECTOR, "form button").click()
    wait_for(lambda: browser.current_url.endswith("/counter/2"), 10, "the clerk at counter 2")
    browser.find_element(By.LINK_TEXT, "Đổi mật khẩu").click()
    wait_text(browser, "h1", lambda s: s == "Đổi mật khẩu")
    assert not browser.find_elements(By.LINK_TEXT, "Tài khoản"), "no Accounts link for a clerk"
