"""make test-image: the amd64 image booted in QEMU with a setup file for a whole hall on one board, checked
from the host as a technician would (SPEC section 14). Slow (minutes): not part of `make test`.

MOTCUA_IMAGE (default /var/tmp/motcua-image/motcua-amd64.img) is the image `make image` built; each run
boots a copy, so the built image stays as a clerk receives it. MOTCUA_QEMU_ACCEL=kvm|tcg forces one;
by default KVM where /dev/kvm works, TCG otherwise. The times measured are printed and kept in
$WORK/times.json (docs/image.md has them).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
import yaml
from vm import Vm, kvm_usable, put_on_boot_partition, read_boot_partition

ROOT = Path(__file__).resolve().parents[1]
IMAGE = Path(os.environ.get("MOTCUA_IMAGE", "/var/tmp/motcua-image/motcua-amd64.img"))
PASSWORD = "test-image-kiosk-" + uuid.uuid4().hex[:16]
UNITS = ("motcua-hub.service", "motcua-followup.service", "motcua-console.service", "motcua-kiosk@k1.service",
         "motcua-display@hall.service", "motcua-bridge@b1.service", "mosquitto.service", "chrony.service")
BOOT_TIMEOUT_S = 600
times: dict[str, float] = {}


def hall_files(work: Path) -> dict[str, Path]:
    """The example site file, taking tickets at any hour, with the kiosk printing into its own folder; and the
    example setup file for a whole hall on one board, with this run's kiosk password."""
    site = yaml.safe_load((ROOT / "config" / "example.yaml").read_text(encoding="utf-8"))
    for s in site["services"]:
        s.pop("hours", None)
    site["kiosks"][0]["printer"] = {"connection": "directory", "path": "/var/lib/motcua-kiosk-k1/tickets",
                                    "paper_width_mm": 80}
    (work / "motcua.yaml").write_text(yaml.safe_dump(site, allow_unicode=True, sort_keys=False), encoding="utf-8")
    setup = (ROOT / "config" / "setup-example.yaml").read_text(encoding="utf-8")
    (work / "motcua-setup.yaml").write_text(setup.replace("replace-me-kiosk-k1-0123456789", PASSWORD),
                                            encoding="utf-8")
    return {"motcua.yaml": work / "motcua.yaml", "motcua-setup.yaml": work / "motcua-setup.yaml"}


def all_active(vm: Vm) -> bool:
    code, out = vm.sh("systemctl is-active " + " ".join(UNITS))
    return code == 0 and out.split() == ["active"] * len(UNITS)


def issue(vm: Vm) -> dict:
    """A ticket through the forwarded broker port, as the kiosk's broker user, with mosquitto_rr (MQTT 5)."""
    r = "motcua/demo-hcc"
    body = {"service": "LAND", "confirm": True, "source": "kiosk-k1", "command_id": uuid.uuid4().hex}
    out = subprocess.run(["mosquitto_rr", "-h", "127.0.0.1", "-p", str(vm.mqtt_port), "-u", "kiosk-k1", "-P", PASSWORD,
                          "-t", f"{r}/ticket/issue", "-e", f"{r}/reply/kiosk-k1/test-image", "-m", json.dumps(body),
                          "-W", "10"], capture_output=True, text=True, timeout=20)
    return json.loads(out.stdout) if out.returncode == 0 and out.stdout.strip() else {}


@pytest.fixture(scope="module")
def vm(tmp_path_factory):
    if not IMAGE.is_file():
        pytest.fail(f"{IMAGE} is missing: make image")
    work = tmp_path_factory.mktemp("board")
    image = work / IMAGE.name
    subprocess.run(["cp", "--sparse=always", str(IMAGE), str(image)], check=True)
    put_on_boot_partition(image, hall_files(work))
    accel = os.environ.get("MOTCUA_QEMU_ACCEL") or ("kvm" if kvm_usable() else "tcg")
    board = Vm(image, work, accel).start()
    started = time.monotonic()
    try:
        board.wait(lambda: "Linux version" in board.serial_text() or "EFI stub" in board.serial_text(), 60, 1)
    except (TimeoutError, RuntimeError):
        if accel != "kvm":
            raise
        board.stop()       # MACHINE.md: a KVM guest may hang before the kernel's first line here
        board = Vm(image, work, "tcg").start()
        started = time.monotonic()
    board.wait(lambda: all_active(board), BOOT_TIMEOUT_S, 3)
    times[f"first boot to every unit active ({board.accel}) s"] = round(time.monotonic() - started, 1)
    yield board
    board.stop()
    (work / "times.json").write_text(json.dumps(times, indent=1))
    print("\nmeasured:", json.dumps(times, indent=1), "\nwork folder:", work)


def test_every_unit_of_the_hall_runs_and_the_setup_file_lost_its_secret(vm):
    assert all_active(vm)
    card = read_boot_partition(vm.image, "motcua-setup.yaml")
    assert PASSWORD not in card and "roles: [hub, followup, console, kiosk k1" in card
    assert "đã cài đặt / set up" in read_boot_partition(vm.image, "motcua-setup-result.txt")
    code, out = vm.sh("systemctl show -p User --value motcua-hub.service; hostname")
    assert "motcua-hub" in out and "motcua-xa-binh-son" in out


def test_a_ticket_through_the_forwarded_broker_port(vm):
    reply = vm.wait(lambda: issue(vm), 60)
    assert reply["ok"] is True and reply["ticket"]["label"].startswith("A"), reply
    vm.first_label = reply["ticket"]["label"]


def test_the_consoles_login_page_through_the_forwarded_http_port(vm):
    with urllib.request.urlopen(f"http://127.0.0.1:{vm.web_port}/login", timeout=10) as page:
        html = page.read().decode()
    assert page.status == 200 and "Đăng nhập" in html


def test_the_kiosks_first_frame_is_its_home_screen(vm, tmp_path):
    """The board's screen through QEMU's monitor: the kiosk under cage, not a login prompt (a text
    console has a handful of colours; the kiosk's home screen has its colours and anti-aliased text)."""
    from PIL import Image
    png = Path(os.environ.get("MOTCUA_SCREENSHOT", tmp_path / "kiosk.png"))

    def colours() -> int:
        """The unit is active once cage runs; Kivy's first frame comes later (a minute or more under TCG)."""
        image = Image.open(vm.screendump(png)).convert("RGB")
        return len(image.getcolors(maxcolors=1 << 20)) if image.size[0] >= 1024 else 0

    try:
        vm.wait(lambda: colours() > 200, 300, 5)
    except TimeoutError:
        pytest.fail(f"{colours()} colours: a black screen or a text console? see {png}")


def test_a_reboot_keeps_the_days_tickets_and_numbering(vm):
    before = vm.first_label
    vm.reboot()
    vm.wait(lambda: not vm.agent_up(), 120, 1)
    started = time.monotonic()
    vm.wait(lambda: all_active(vm), BOOT_TIMEOUT_S, 3)
    times[f"reboot to every unit active ({vm.accel}) s"] = round(time.monotonic() - started, 1)
    reply = vm.wait(lambda: issue(vm), 60)
    assert int(reply["ticket"]["label"][1:]) == int(before[1:]) + 1, (before, reply)


def test_no_unit_restarts_in_a_loop(vm):
    code, out = vm.sh("journalctl --no-pager -o cat | grep -c 'Scheduled restart job' || true; "
                      "systemctl show -p Id -p NRestarts " + " ".join(UNITS))
    assert out.splitlines()[0].strip() == "0", out
    assert "NRestarts=0" in out and all(f"NRestarts={n}" not in out for n in range(1, 10)), out


def test_the_build_kept_nothing_secret_in_the_image():
    """The image as a clerk receives it: no broker password file, no console key, no machine id."""
    assert shutil.which("debugfs"), "e2fsprogs' debugfs reads the image's root file system"
    offset = 1 + 256     # MiB: the boot partition, then the root file system (image/build.sh)
    root = IMAGE.parent / "root-check.ext4"
    try:
        subprocess.run(["dd", f"if={IMAGE}", f"of={root}", "bs=1M", f"skip={offset}", "status=none",
                        "conv=sparse"], check=True)
        ls = subprocess.run(["debugfs", "-R", "ls -l /etc/motcua/secrets", str(root)], capture_output=True,
                            text=True).stdout
        mid = subprocess.run(["debugfs", "-R", "cat /etc/machine-id", str(root)], capture_output=True, text=True).stdout
    finally:
        root.unlink(missing_ok=True)
    assert ".password" not in ls and "console.key" not in ls, ls
    assert mid.strip() == "", "each board makes its own machine id"
