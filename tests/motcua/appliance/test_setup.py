"""motcua-setup.yaml: what a clerk writes on the card is read whole, and every mistake is named in
Vietnamese and English with its line, before anything on the board changes."""
import shutil
import string

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from devtools.testbed import ROOT
from motcua.appliance.setup import SETUP_NAME, Role, SetupError, parse, scrubbed

EXAMPLE_SITE = ROOT / "config" / "example.yaml"
WHOLE_HALL = (ROOT / "config" / "setup-example.yaml").read_text(encoding="utf-8")
PASSWORD = "kiosk-password-0123456789"
SITE_KEY = "the-halls-key-from-the-hubs-board-0123456789"


def card(tmp_path, text: str):
    """A boot partition holding this setup file and the example site file as motcua.yaml."""
    shutil.copy(EXAMPLE_SITE, tmp_path / "motcua.yaml")
    (tmp_path / SETUP_NAME).write_text(text, encoding="utf-8")
    return tmp_path


def problems(tmp_path, text: str, on_board=lambda path: False) -> str:
    try:
        parse(text, card(tmp_path, text), on_board)
    except SetupError as e:
        return "\n".join(e.lines)
    raise AssertionError("the file was taken as it is")


def test_the_whole_hall_example_sets_up_one_board(tmp_path):
    setup, cfg = parse(WHOLE_HALL, card(tmp_path, WHOLE_HALL))
    assert setup.roles == (Role("hub"), Role("followup"), Role("console"), Role("kiosk", "k1"),
                           Role("display", "hall"), Role("bridge", "b1"))
    assert [r.unit for r in setup.roles[3:]] == ["motcua-kiosk@k1.service", "motcua-display@hall.service",
                                                  "motcua-bridge@b1.service"]
    assert setup.is_hub and cfg.site.id == "demo-hcc"
    assert repr(setup.passwords["kiosk-k1"]) == "'***'", "a password never shows itself in a log"


def test_an_unknown_key_gets_the_closest_name_and_its_line(tmp_path):
    out = problems(tmp_path, "role: [hub]\nsite_file: motcua.yaml\n")
    assert (f"{SETUP_NAME}:1: role: không có khóa này; có phải ý bạn là 'roles'? / "
            "unknown key (did you mean 'roles'?)") in out
    assert f"{SETUP_NAME}:1: roles: thiếu khóa bắt buộc / required key is missing" in out


def test_an_unknown_role_and_a_role_without_its_id(tmp_path):
    out = problems(tmp_path, "roles: [hub, kiosks k1, display]\nsite_file: motcua.yaml\n")
    assert "roles[1]: vai trò lạ 'kiosks'; có phải ý bạn là 'kiosk'?" in out
    assert "unknown role 'kiosks' (did you mean 'kiosk'?)" in out
    assert "roles[2]: 'display' cần mã của nó trong tệp cấu hình" in out
    assert "'display' needs its id from the site file" in out


def test_a_role_the_site_file_lacks_is_named_with_those_it_has(tmp_path):
    out = problems(tmp_path, "roles: [hub, kiosk k2]\nsite_file: motcua.yaml\n")
    assert ("roles[1]: tệp cấu hình không có kiosk 'k2' (kiosks: k1) / the site file has no kiosk 'k2' (kiosks: k1)"
            in out)


def test_a_wrong_hub_address(tmp_path):
    out = problems(tmp_path, f"roles: [display hall]\nsite_file: motcua.yaml\nhub_address: 192.168.1\n"
                             f"passwords: {{display-hall: {PASSWORD}}}\n")
    assert f"{SETUP_NAME}:3: hub_address: '192.168.1' không phải địa chỉ IP hay tên máy / '192.168.1' is neither" in out
    out = problems(tmp_path, f"roles: [display hall]\nsite_file: motcua.yaml\n"
                             f"passwords: {{display-hall: {PASSWORD}}}\n")
    assert "'127.0.0.1' là chính bo mạch này, không phải hub" in out, "the example site file's broker is local"
    setup, _ = parse(f"roles: [display hall]\nsite_file: motcua.yaml\nhub_address: hub.local\n"
                     f"passwords: {{display-hall: {PASSWORD}}}\n", tmp_path)
    assert setup.hub_address == "hub.local"


def test_credentials_a_board_cannot_use(tmp_path):
    out = problems(tmp_path, "roles: [kiosk k1]\nsite_file: motcua.yaml\nhub_address: 10.0.0.2\n"
                             "passwords: {kiosk-k1: short secret}\n")
    assert "passwords.kiosk-k1: mật khẩu cần 16-128 ký tự" in out
    assert "short secret" not in out, "not even a wrong password is shown"
    out = problems(tmp_path, "roles: [kiosk k1]\nsite_file: motcua.yaml\nhub_address: 10.0.0.2\n"
                             f"passwords: {{kiosk-k1: {PASSWORD}, kiosk-k9: {PASSWORD}}}\n")
    assert ("passwords.kiosk-k9: người dùng lạ; có phải ý bạn là 'kiosk-k1'? / "
            "unknown broker user (did you mean 'kiosk-k1'?)") in out
    out = problems(tmp_path, "roles: [kiosk k1]\nsite_file: motcua.yaml\nhub_address: 10.0.0.2\n")
    assert "thiếu mật khẩu của 'kiosk-k1'" in out and "the password of 'kiosk-k1' is missing" in out
    kept = {"/etc/motcua/secrets/kiosk-k1.password", "/etc/motcua/secrets/site.key"}
    setup, _ = parse("roles: [kiosk k1]\nsite_file: motcua.yaml\nhub_address: 10.0.0.2\n", tmp_path,
                     on_board=kept.__contains__)
    assert setup.passwords == {}, "set up again: the board keeps the password it was given the first time"


def test_a_kiosks_board_needs_the_hubs_key_and_a_key_must_be_usable(tmp_path):
    kiosk = f"roles: [kiosk k1]\nsite_file: motcua.yaml\nhub_address: 10.0.0.2\npasswords: {{kiosk-k1: {PASSWORD}}}\n"
    out = problems(tmp_path, kiosk)
    assert ("site_key: thiếu khóa của sảnh: chép từ bo mạch hub (/etc/motcua/secrets/site.key) / the site's "
            "key is missing: copy it from the hub's board") in out
    out = problems(tmp_path, kiosk + "site_key: too-short-a-key\n")
    assert "site_key: khóa cần 32-128 ký tự" in out and "too-short-a-key" not in out, "not even a wrong key is shown"
    setup, _ = parse(kiosk + f"site_key: '{SITE_KEY}'\n", tmp_path)
    assert setup.site_key == SITE_KEY and repr(setup.site_key) == "'***'"
    display = f"roles: [display hall]\nsite_file: motcua.yaml\nhub_address: 10.0.0.2\n" \
              f"passwords: {{display-hall: {PASSWORD}}}\n"
    assert parse(display, tmp_path)[0].site_key is None, "a wall screen hashes nothing: it needs no key"
    keyless = EXAMPLE_SITE.read_text().replace("  secret_file: /etc/motcua/secrets/site.key", "  # secret_file:")
    (tmp_path / "keyless.yaml").write_text(keyless)
    out = problems(tmp_path, f"roles: [hub]\nsite_file: keyless.yaml\nsite_key: '{SITE_KEY}'\n")
    assert "site_key: tệp cấu hình không có site.secret_file" in out, "a key no process would use"


def test_the_follow_up_and_the_console_live_beside_the_hub(tmp_path):
    out = problems(tmp_path, "roles: [console]\nsite_file: motcua.yaml\nhub_address: 10.0.0.2\n"
                             f"passwords: {{console: {PASSWORD}}}\n")
    assert "roles[0]: 'console' chạy trên bo mạch của hub: thêm 'hub' / runs on the hub's board only" in out


def test_the_site_file_missing_or_wrong(tmp_path):
    out = problems(tmp_path, "roles: [hub]\nsite_file: motcua.yml\n")
    assert ("site_file: không có tệp 'motcua.yml' trên thẻ; có phải ý bạn là 'motcua.yaml'? / "
            "no such file on the card (did you mean 'motcua.yaml'?)") in out
    (tmp_path / "bad.yaml").write_text(EXAMPLE_SITE.read_text().replace("timezone: Asia/Ho_Chi_Minh",
                                                                        "timezone: Asia/Saigonn"))
    out = problems(tmp_path, "roles: [hub]\nsite_file: bad.yaml\n")
    assert "bad.yaml:8: site.timezone:" in out and "(tệp cấu hình có lỗi / the site file is wrong)" in out


def test_an_empty_or_unreadable_file_says_what_to_write(tmp_path):
    assert "tệp chưa có nội dung" in problems(tmp_path, "# roles: [hub]\n")
    assert f"{SETUP_NAME}:2: không đọc được YAML / not valid YAML" in problems(tmp_path, "roles: [hub\nsite: :\n")


def test_a_fixed_address_and_its_gateway(tmp_path):
    out = problems(tmp_path, "roles: [hub]\nsite_file: motcua.yaml\naddress: 192.168.1.10\ngateway: 10.0.0.1\n")
    assert "address: '192.168.1.10': cần dạng 192.168.1.10/24 / '192.168.1.10': write it as 192.168.1.10/24" in out
    out = problems(tmp_path, "roles: [hub]\nsite_file: motcua.yaml\naddress: 192.168.1.10/24\ngateway: 10.0.0.1\n"
                             "hub_address: 192.168.1.11\n")
    assert "gateway: 10.0.0.1 ngoài mạng / is outside 192.168.1.10/24" in out
    assert "hub_address: bo mạch hub có địa chỉ / the hub's board has the address 192.168.1.10" in out


# --- property tests -----------------------------------------------------------------------------

KEYS = ("roles", "site_file", "hub_address", "hostname", "address", "gateway", "passwords", "screen_rotation",
        "tls", "site_key", "role", "site", "password")
scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 400), st.text(max_size=30))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(st.text(max_size=8), inner, max_size=4)),
                      max_leaves=10)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.sampled_from(KEYS), values, max_size=8))
def test_any_document_is_taken_or_refused_with_reasons_never_a_crash(tmp_path_factory, doc):
    boot = card(tmp_path_factory.mktemp("card"), "")
    text = yaml.safe_dump(doc, allow_unicode=True)
    try:
        setup, _ = parse(text, boot)
    except SetupError as e:
        assert e.lines and all(line.startswith((SETUP_NAME, "motcua.yaml")) for line in e.lines)
    else:
        assert setup.roles and setup.site_file == "motcua.yaml"


ident = st.sampled_from(["k1", "hall", "b1"])
roles = st.lists(st.one_of(st.sampled_from(["hub", "followup", "console"]),
                           st.builds(lambda k: f"kiosk {k}", st.just("k1")),
                           st.builds(lambda d: f"display {d}", st.just("hall")),
                           st.builds(lambda b: f"bridge {b}", st.just("b1"))), min_size=1, max_size=6, unique=True)
password = st.text(alphabet=string.ascii_letters + string.digits + "-_.!", min_size=16, max_size=40)


@settings(max_examples=100, deadline=None)
@given(roles, password, st.sampled_from(["10.0.0.2", "hub.local", "fd00::2"]), st.permutations(range(5)),
       st.booleans())
def test_a_valid_file_reads_back_as_written_and_scrubbing_keeps_all_but_the_secrets(
        tmp_path_factory, role_list, secret, hub, order, comments):
    if {"followup", "console"} & set(role_list):
        role_list = ["hub", *[r for r in role_list if r != "hub"]]
    users = [("hub" if r == "hub" else r.replace(" ", "-")) for r in role_list]
    blocks = [f"roles: [{', '.join(role_list)}]\n", "site_file: motcua.yaml\n",
              f"hub_address: '{hub}'\n",
              "passwords:\n" + "".join(f"  {u}: '{secret}{i}'\n" for i, u in enumerate(users)),
              f"site_key: '{secret}-the-halls-key-0123456789'\n"]
    text = "".join(("# a clerk's note\n" if comments else "") + blocks[i] for i in order)
    boot = card(tmp_path_factory.mktemp("card"), text)
    setup, _ = parse(text, boot)
    assert [str(r) for r in setup.roles] == role_list
    assert {u: str(p) for u, p in setup.passwords.items()} == {u: f"{secret}{i}" for i, u in enumerate(users)}
    assert setup.site_key == f"{secret}-the-halls-key-0123456789"
    clean = scrubbed(text)
    assert secret not in clean
    assert yaml.safe_load(clean) == {k: v for k, v in yaml.safe_load(text).items()
                                     if k not in ("passwords", "site_key")}
    assert clean.count("# a clerk's note") == (5 if comments else 0), "the clerk's comments stay"
    if setup.is_hub:
        assert parse(clean, boot)[0].roles == setup.roles, "the scrubbed file still sets the board up"
