"""Passwords, sessions and the brake on guessing (SPEC section 12), and the users in the site file."""
import pytest

from devtools.testbed import site_data, write_site
from motcua import config
from motcua.config import User
from motcua.console.auth import Brake, Sessions, check_password, hash_password


def test_a_password_is_kept_only_as_a_salted_scrypt_hash():
    h = hash_password("mật khẩu dài 1")
    assert h.startswith("scrypt$16384$8$1$") and "mật" not in h
    assert hash_password("mật khẩu dài 1") != h, "salted: the same password gives another hash"
    assert check_password("mật khẩu dài 1", h)
    assert not check_password("mật khẩu dài 2", h) and not check_password("", h)
    assert not check_password("x", "not-a-hash") and not check_password("x", "scrypt$1$2$3$%%$%%")


def _user(name="giamsat", role="supervisor", counters=(), pw="p"):
    return User(name, role, tuple(counters), hash_password(pw))


def test_a_session_cookie_is_signed_expires_and_ends_with_the_password():
    now = [1_000_000.0]
    u = _user()
    users = {u.name: u}
    s = Sessions(b"k" * 40, users, hours=10, clock=lambda: now[0])
    cookie = s.issue(u)
    assert s.read(cookie).user is u
    payload, _, sig = cookie.rpartition(".")
    assert s.read(payload + "." + "0" * len(sig)) is None, "a forged signature"
    assert Sessions(b"j" * 40, users, 10, clock=lambda: now[0]).read(cookie) is None, "another console's key"
    assert s.read(cookie[:-1]) is None and s.read("") is None and s.read("x" * 600) is None
    now[0] += 10 * 3600 + 1
    assert s.read(cookie) is None, "expired after session_hours"
    now[0] -= 3600
    users["giamsat"] = _user(pw="new")
    assert s.read(cookie) is None, "a changed password ends the sessions made with the old one"
    fresh = s.issue(users["giamsat"])
    session = s.read(fresh)
    s.end(session)
    assert s.read(fresh) is None, "logged out"


def test_a_logout_outlives_a_restart(tmp_path):
    u = _user()
    made = Sessions(b"k" * 40, {u.name: u}, 10, ended_file=tmp_path / "logouts")
    kept, ended = made.issue(u), made.issue(u)
    made.end(made.read(ended))
    again = Sessions(b"k" * 40, {u.name: u}, 10, ended_file=tmp_path / "logouts")
    assert again.read(ended) is None and again.read(kept) is not None
    (tmp_path / "logouts").write_text("garbage\n\x00 x\n")
    assert Sessions(b"k" * 40, {u.name: u}, 10, ended_file=tmp_path / "logouts").read(kept) is not None


def test_a_forgery_token_belongs_to_one_session():
    u = _user()
    s = Sessions(b"k" * 40, {u.name: u}, 10)
    a, b = s.read(s.issue(u)), s.read(s.issue(u))
    assert s.csrf_ok(a.nonce, s.csrf(a.nonce))
    assert not s.csrf_ok(a.nonce, s.csrf(b.nonce)) and not s.csrf_ok(a.nonce, None) and not s.csrf_ok(a.nonce, "")


def test_password_tries_slow_down_the_name_at_its_address_and_the_address():
    now = [0.0]
    brake = Brake(free=3, cap=300, clock=lambda: now[0])
    for _ in range(3):
        assert brake.begin("name:a|1", "addr:1") == 0
    assert brake.begin("name:a|1", "addr:1") == 1.0, "counted as each try began, before any hash"
    assert brake.begin("name:b|1", "addr:1") == 1.0, "another name from the same address waits too"
    assert brake.begin("name:a|2", "addr:2") == 0, "the same name from another address does not"
    for _ in range(10):
        now[0] += 301
        brake.begin("name:a|1", "addr:1")
    assert brake.begin("name:a|1") == 300.0, "doubling, up to the cap"
    now[0] += 301
    assert brake.begin("name:a|1", "addr:1") == 0
    brake.succeeded("name:a|1", "addr:1")
    assert brake.tries["addr:1"][0] == 13, "the right password's try given back to its address"
    for _ in range(3):
        assert brake.begin("name:a|1") == 0, "and its name starts counting again"


def test_a_refused_try_costs_nothing_more():
    now = [0.0]
    brake = Brake(free=1, clock=lambda: now[0])
    brake.begin("addr:1")
    for _ in range(50):
        assert brake.begin("addr:1") == 1.0
    now[0] += 1
    assert brake.begin("addr:1") == 0


@pytest.mark.parametrize("user, message", [
    ({"name": "giamsat", "role": "supervisor", "password_hash": "mk-giam-sat-1"}, "không phải mã băm của mật khẩu"),
    ({"name": "quay9", "role": "clerk", "password_hash": "H"}, "nhân viên quầy cần có các quầy mình làm việc"),
    ({"name": "quay9", "role": "clerk", "counters": ["9"], "password_hash": "H"}, "không có quầy '9'"),
    ({"name": "quay9", "role": "clerck", "counters": ["1"], "password_hash": "H"}, "có phải ý bạn là 'clerk'?"),
])
def test_users_in_the_site_file_are_checked(tmp_path, user, message):
    good = hash_password("x")
    user = {**user, "password_hash": good if user["password_hash"] == "H" else user["password_hash"]}
    path = write_site(tmp_path, site_data(tmp_path, users=[user]))
    with pytest.raises(config.ConfigError) as e:
        config.load(path)
    text = str(e.value)
    assert message in text and "users[0]" in text
    assert "mk-giam-sat-1" not in text, "a password typed where its hash belongs is never echoed"


def test_a_clerk_may_use_only_their_counters():
    clerk, boss = _user("quay1", "clerk", ["1"]), _user()
    assert clerk.may_use("1") and not clerk.may_use("2") and boss.may_use("2")
    assert "password" not in repr(clerk) or "***" in repr(clerk)


def test_check_config_reads_the_users_file_too(tmp_path):
    import subprocess
    import sys

    from devtools.testbed import ROOT, env
    users_file = tmp_path / "users.yaml"
    data = site_data(tmp_path, console={"secret_file": str(tmp_path / "k"), "users_file": str(users_file)})
    path = write_site(tmp_path, data)

    def check():
        return subprocess.run([sys.executable, "-m", "motcua.console", "--config", str(path), "--check-config"],
                              capture_output=True, text=True, cwd=ROOT, env=env(), timeout=60)
    good = hash_password("x")
    users_file.write_text(f"users:\n  - {{name: quay1, role: clerk, counters: ['1'], password_hash: '{good}'}}\n")
    r = check()
    assert r.returncode == 0 and "1 người dùng / users OK" in r.stdout
    users_file.write_text("users:\n  - {name: quay1, role: clerk, counters: ['1'], password_hash: 'secret-pw'}\n")
    r = check()
    assert r.returncode == 2 and f"{users_file}:2: users[0].password_hash: không phải mã băm" in r.stderr
    assert "secret-pw" not in r.stderr
    users_file.write_text(f"users:\n  - {{name: quay1, role: clerk, counters: ['9'], password_hash: '{good}'}}\n")
    r = check()
    assert r.returncode == 2 and "users[0].counters[0]: không có quầy '9' / unknown counter '9'" in r.stderr
