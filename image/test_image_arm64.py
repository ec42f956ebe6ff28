"""make test-image-arm64: the arm64 image (Raspberry Pi 4/5) booted under ``qemu-system-aarch64 -M virt`` (TCG), its
first boot set up as a hub's board, and the hub answering a ticket through the forwarded broker port (SPEC 14).

QEMU's virt board has no Raspberry Pi firmware: the image's own kernel and initrd (beside it, image/build.sh) are
given directly, with the root file system found by its label as on a Pi. Slow (many minutes): not in CI.
"""
from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest
from test_image import hall_files, issue
from vm import Vm, put_on_boot_partition

IMAGE = Path(os.environ.get("MOTCUA_IMAGE_ARM64", "/var/tmp/motcua-image/motcua-arm64.img"))
UNITS = ("motcua-hub.service", "mosquitto.service", "chrony.service")


def test_the_arm64_image_boots_to_a_hub_answering_a_ticket(tmp_path):
    """First boot to the hub's units active, then a ticket, as the kiosk's broker user from the host."""
    kernel = (IMAGE.with_suffix(".vmlinuz"), IMAGE.with_suffix(".initrd"))
    if not IMAGE.is_file() or not all(p.is_file() for p in kernel):
        pytest.fail(f"{IMAGE} or its kernel is missing: make image ARCH=arm64")
    image = tmp_path / IMAGE.name
    subprocess.run(["cp", "--sparse=always", str(IMAGE), str(image)], check=True)
    files = hall_files(tmp_path)
    setup = files["motcua-setup.yaml"]
    setup.write_text(setup.read_text(encoding="utf-8").replace(
        "roles: [hub, followup, console, kiosk k1, display hall, bridge b1]", "roles: [hub]"), encoding="utf-8")
    put_on_boot_partition(image, files)
    board = Vm(image, tmp_path, "tcg", arch="arm64", kernel=kernel).start()
    started = time.monotonic()
    try:
        board.wait(lambda: board.sh("systemctl is-active " + " ".join(UNITS))[1].split() == ["active"] * len(UNITS),
                   1800, 10)
        active_s = time.monotonic() - started
        reply = board.wait(lambda: issue(board), 120)
        assert reply["ok"] is True and reply["ticket"]["label"].startswith("A"), reply
        code, arch = board.sh("uname -m")
        assert arch.strip() == "aarch64", arch
        print(f"\nmeasured: first boot to the hub active (arm64, TCG) {active_s:.0f} s; "
              f"a ticket {time.monotonic() - started - active_s:.0f} s later")
    finally:
        board.stop()
