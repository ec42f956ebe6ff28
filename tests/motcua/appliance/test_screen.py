"""The kiosk and the wall screen under cage: turned as the setup file or the site file says, and the
image's units as systemd reads them."""
import os
import shutil
import subprocess
import sys

import pytest
import yaml

from devtools.testbed import ROOT
from motcua.appliance.screen import command, rotation, screen_size


@pytest.fixture
def site(tmp_path):
    data = yaml.safe_load((ROOT / "config" / "example.yaml").read_text(encoding="utf-8"))
    data["kiosks"].append({**data["kiosks"][0], "id": "k2", "screen": {"orientation": "portrait"}})
    path = tmp_path / "motcua.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_a_portrait_kiosk_is_turned_once_unless_the_setup_file_says_otherwise(tmp_path, site):
    none = tmp_path / "absent.yaml"
    assert rotation("kiosk", "k2", site, none) == 90
    assert rotation("kiosk", "k1", site, none) == 0
    assert rotation("display", "hall", site, none) == 0
    chosen = tmp_path / "appliance.yaml"
    chosen.write_text("roles: [kiosk k2]\nscreen_rotation: 270\n")
    assert rotation("kiosk", "k2", site, chosen) == 270
    assert rotation("display", "hall", site, chosen) == 270
    chosen.write_text("screen_rotation: 45\n")
    assert rotation("kiosk", "k2", site, chosen) == 90, "a turn cage cannot make is ignored"
    site.write_text("site: {id: broken\n")
    assert rotation("kiosk", "k2", site, none) == 0, "the kiosk itself reports its broken site file"


def test_cage_runs_the_program_without_decorations_turned_as_asked():
    assert command("kiosk", "k1", 0, "/py") == ["cage", "-d", "--", "/py", "-m", "kiosk", "--config",
                                                "/etc/motcua/motcua.yaml", "--id", "k1"]
    assert command("display", "hall", 180, "/py")[:5] == ["cage", "-d", "-r", "-r", "--"]
    assert command("display", "hall", 180, "/py")[7] == "display_board"


def test_the_window_takes_the_size_of_the_connected_screen_turned(tmp_path):
    """What cage shows: the first connected connector's preferred mode (the kernel lists it first), turned."""
    for name, status, modes in (("card0-Virtual-1", "disconnected", ""), ("card1-HDMI-A-1", "connected",
                                                                          "1280x800\n1920x1080\n1024x768\n")):
        (tmp_path / name).mkdir()
        (tmp_path / name / "status").write_text(status + "\n")
        (tmp_path / name / "modes").write_text(modes)
    assert screen_size(0, tmp_path) == "1280x800"
    assert screen_size(90, tmp_path) == "800x1280", "a portrait kiosk: cage turns the output"
    assert screen_size(180, tmp_path) == "1280x800"
    assert screen_size(0, tmp_path / "none") is None, "no screen known: the program keeps its own size"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
@pytest.mark.parametrize("role", ["kiosk", "display"])
def test_the_units_under_cage_verify_with_no_output(tmp_path, role):
    """The unit with the image's drop-ins (cage, after first boot), as the board's systemd reads it;
    paths point at this checkout, whose venv exists. Any output of `systemd-analyze verify` is a failure."""
    unit = f"motcua-{role}@.service"
    dropins = tmp_path / f"{unit}.d"
    dropins.mkdir()
    (tmp_path / unit).write_text((ROOT / "systemd" / unit).read_text().replace("/opt/motcua", str(ROOT)))
    for conf in (ROOT / "systemd" / f"{unit}.d" / "cage.conf", ROOT / "image" / "files" / "after-firstboot.conf"):
        (dropins / conf.name).write_text(conf.read_text().replace("/opt/motcua/.venv/bin/python", sys.executable))
    (tmp_path / "motcua-firstboot.service").write_text(
        (ROOT / "image" / "files" / "motcua-firstboot.service").read_text().replace("/opt/motcua/.venv/bin/python",
                                                                                   sys.executable))
    r = subprocess.run(["systemd-analyze", "verify", "--man=no", str(tmp_path / f"motcua-{role}@x.service"),
                        str(tmp_path / "motcua-firstboot.service")], capture_output=True, text=True, timeout=60,
                       env={**os.environ, "SYSTEMD_LOG_LEVEL": "notice", "SYSTEMD_UNIT_PATH": f"{tmp_path}:"})
    assert r.returncode == 0 and not (r.stdout + r.stderr).strip(), r.stdout + r.stderr
