"""motcua-firstboot on a staged board: systemd/install.sh runs for real for each role (staged by
MOTCUA_ROOT: no apt, users or systemctl), from the files a clerk put on the card."""
import shutil
import sys
from pathlib import Path

import yaml

from devtools.testbed import ROOT
from motcua.appliance.firstboot import RESULT_NAME, Board, run
from motcua.appliance.setup import SETUP_NAME

PASSWORD = "kiosk-password-0123456789"
WHOLE_HALL = (ROOT / "config" / "setup-example.yaml").read_text(encoding="utf-8")


def board(tmp_path, setup_text: str) -> tuple[Board, object]:
    """A staged board whose EFI system partition holds this setup file and the example site file."""
    boot = tmp_path / "root" / "boot" / "efi"
    boot.mkdir(parents=True)
    shutil.copy(ROOT / "config" / "example.yaml", boot / "motcua.yaml")
    (boot / SETUP_NAME).write_text(setup_text, encoding="utf-8")
    return Board(root=tmp_path / "root", python=sys.executable), boot


def test_a_whole_hall_on_one_board(tmp_path):
    b, boot = board(tmp_path, WHOLE_HALL.replace("replace-me-kiosk-k1-0123456789", PASSWORD))
    assert run(b) == 0, "\n".join(b.log)
    etc = b.path("/etc")
    assert (etc / "motcua/motcua.yaml").read_text() == (boot / "motcua.yaml").read_text()
    assert (etc / "motcua/motcua.yaml").readlink() == Path("site/motcua.yaml"), "in the hub's folder, which it writes"
    assert (etc / "motcua/secrets/kiosk-k1.password").read_text() == PASSWORD, "the clerk's password is used"
    made = {p.name for p in (etc / "motcua/secrets").iterdir()}
    assert made >= {"hub.password", "display-hall.password", "bridge-b1.password", "console.key", "site.key"}, \
        "install.sh made the others on the board itself"
    key = etc / "motcua/secrets/site.key"
    assert len(key.read_text().strip()) >= 48 and key.stat().st_mode & 0o777 == 0o440, \
        "the site's key: ID cards are read, numbers taken by SMS; its group alone reads it"
    users = {ln.split(":")[0] for ln in (etc / "mosquitto/motcua.passwd").read_text().splitlines()}
    assert users == {"hub", "kiosk-k1", "display-hall", "bridge-b1", "followup", "console"}
    for unit in ("motcua-hub.service", "motcua-followup.service", "motcua-console.service",
                 "motcua-kiosk@.service", "motcua-display@.service", "motcua-bridge@.service"):
        assert (etc / "systemd/system" / unit).is_file(), unit
    one_screen = etc / "systemd/system/motcua-display@hall.service.d/zz-motcua-screen.conf"
    assert "SDL_VIDEODRIVER=offscreen" in one_screen.read_text(), "the board's one screen is the kiosk's"
    assert "allow" in (etc / "chrony/conf.d/motcua-hub.conf").read_text(), "the hub's board serves time to the hall"
    assert not (etc / "chrony/conf.d/motcua-board.conf").exists()
    assert (etc / "hostname").read_text() == "motcua-xa-binh-son\n"
    assert str((etc / "localtime").readlink()) == "/usr/share/zoneinfo/Asia/Ho_Chi_Minh"
    on_card = (boot / SETUP_NAME).read_text()
    assert PASSWORD not in on_card and "roles: [hub, followup, console, kiosk k1" in on_card, \
        "the password is erased from the card, the rest of the file kept"
    assert "đã cài đặt / set up: hub, followup, console, kiosk k1, display hall, bridge b1" in \
        (boot / RESULT_NAME).read_text()
    assert "http://\\4:8080" in (etc / "issue.d/motcua.issue").read_text(), "the login prompt shows the console"


def test_a_board_already_set_up_from_this_file_is_left_alone_and_a_changed_file_sets_it_up_again(tmp_path):
    b, boot = board(tmp_path, WHOLE_HALL.replace("replace-me-kiosk-k1-0123456789", PASSWORD))
    assert run(b) == 0
    hub_password = b.path("/etc/motcua/secrets/hub.password").read_text()
    site_key = b.path("/etc/motcua/secrets/site.key").read_text()
    b.log.clear()
    assert run(b) == 0 and b.log == [], "an unchanged file: nothing done at this boot"
    (boot / SETUP_NAME).write_text((boot / SETUP_NAME).read_text().replace("motcua-xa-binh-son", "motcua-xa-moi"))
    assert run(b) == 0, "\n".join(b.log)
    assert b.path("/etc/hostname").read_text() == "motcua-xa-moi\n"
    assert b.path("/etc/motcua/secrets/kiosk-k1.password").read_text() == PASSWORD, "kept from the first setup"
    assert b.path("/etc/motcua/secrets/hub.password").read_text() == hub_password, "no password made twice"
    assert b.path("/etc/motcua/secrets/site.key").read_text() == site_key, "today's hashes stay the same"


def test_a_wrong_file_configures_nothing_and_says_why_on_the_screen_and_the_card(tmp_path):
    text = f"roles: [hub, kiosk k2]\nsite_fle: motcua.yaml\npasswords: {{kiosk-k1: {PASSWORD}}}\n"
    b, boot = board(tmp_path, text)
    assert run(b) == 1
    issue = b.path("/etc/issue.d/motcua.issue").read_text()
    assert issue.startswith("motcua: TỆP CÀI ĐẶT CÓ LỖI — sửa motcua-setup.yaml trên thẻ nhớ rồi khởi động lại. / "
                            "THE SETUP FILE IS WRONG")
    assert ("motcua-setup.yaml:2: site_fle: không có khóa này; có phải ý bạn là 'site_file'? / "
            "unknown key (did you mean 'site_file'?)") in issue
    assert "site_fle" in (boot / RESULT_NAME).read_text() and any("site_fle" in line for line in b.log)
    assert not b.path("/etc/motcua").exists() and not b.path("/etc/systemd/system").exists(), \
        "nothing half-configured"
    assert (boot / SETUP_NAME).read_text() == text, "the file stays as written, to be fixed"
    (boot / SETUP_NAME).write_text(text.replace("site_fle", "site_file").replace("k2", "k1"))
    assert run(b) == 0, "fixed and restarted: set up"
    assert not b.path("/etc/issue.d/motcua.issue").read_text().startswith("motcua: TỆP CÀI ĐẶT CÓ LỖI")


def test_a_wall_screen_board_takes_the_broker_and_the_time_from_the_hub(tmp_path):
    b, boot = board(tmp_path, f"roles: [display hall]\nsite_file: motcua.yaml\nhub_address: 192.168.1.10\n"
                              f"screen_rotation: 180\npasswords: {{display-hall: {PASSWORD}}}\n")
    assert run(b) == 0, "\n".join(b.log)
    site = yaml.safe_load(b.path("/etc/motcua/motcua.yaml").read_text())
    assert site["mqtt"]["host"] == "192.168.1.10" and site["site"]["id"] == "demo-hcc"
    assert "server 192.168.1.10 iburst" in b.path("/etc/chrony/conf.d/motcua-board.conf").read_text()
    assert not b.path("/etc/chrony/conf.d/motcua-hub.conf").exists()
    assert not b.path("/etc/mosquitto/motcua.passwd").exists(), "no broker on this board"
    assert not b.path("/etc/systemd/system/motcua-display@hall.service.d").exists(), "the screen is the wall's"
    assert {p.name for p in b.path("/etc/motcua/secrets").iterdir()} == {"display-hall.password"}
    assert yaml.safe_load(b.path("/etc/motcua/appliance.yaml").read_text()) == \
        {"roles": ["display hall"], "screen_rotation": 180}


def test_a_kiosks_board_keeps_the_hubs_key_and_the_card_forgets_it(tmp_path):
    key = "the-halls-key-from-the-hubs-board-0123456789"
    text = (f"roles: [kiosk k1]\nsite_file: motcua.yaml\nhub_address: 192.168.1.10\n"
            f"passwords: {{kiosk-k1: {PASSWORD}}}\nsite_key: {key}\n")
    b, boot = board(tmp_path, text.replace(f"site_key: {key}\n", ""))
    assert run(b) == 1 and "the site's key is missing" in b.path("/etc/issue.d/motcua.issue").read_text(), \
        "without the hub's key this kiosk would read no ID card: said on its screen"
    (boot / SETUP_NAME).write_text(text)
    assert run(b) == 0, "\n".join(b.log)
    kept = b.path("/etc/motcua/secrets/site.key")
    assert kept.read_text().strip() == key, "the hub's key: the same card hashes the same on every kiosk"
    assert kept.stat().st_mode & 0o777 == 0o440
    assert key not in (boot / SETUP_NAME).read_text() and "# site_key: đã chép vào bo mạch" in \
        (boot / SETUP_NAME).read_text(), "erased from the card"
    assert {p.name for p in b.path("/etc/motcua/secrets").iterdir()} == {"kiosk-k1.password", "site.key"}
