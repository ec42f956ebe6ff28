"""A motcua disk image booted in QEMU, seen from the host as a technician would: the forwarded broker
and console ports, QEMU's monitor (a screenshot of the board's screen) and the QEMU guest agent (to ask
systemd which units run; the image has qemu-guest-agent, which starts only on a virtual machine).
"""
from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

OVMF = Path("/usr/share/OVMF")


def free_port() -> int:
    """A host port nobody listens on, for QEMU to forward a board's port to."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def put_on_boot_partition(image: Path, files: dict[str, Path]) -> None:
    """Copy files onto the image's MOTCUA-BOOT partition (it starts at 1 MiB), as a clerk does on a PC."""
    for name, src in files.items():
        subprocess.run(["mcopy", "-o", "-i", f"{image}@@1M", str(src), f"::/{name}"], check=True)


def read_boot_partition(image: Path, name: str) -> str:
    """A file of the MOTCUA-BOOT partition, as a clerk reads the card on a PC after the first boot."""
    return subprocess.run(["mtype", "-i", f"{image}@@1M", f"::/{name}"], check=True, capture_output=True,
                          text=True).stdout


def kvm_usable() -> bool:
    """Whether /dev/kvm can be opened; whether a guest then runs is another matter (docs/image.md)."""
    return os.access("/dev/kvm", os.R_OK | os.W_OK)


class Vm:
    """One running QEMU; ``accel`` kvm or tcg."""

    def __init__(self, image: Path, work: Path, accel: str, arch: str = "amd64", memory_mb: int = 2048,
                 kernel: tuple[Path, Path] | None = None):
        self.image, self.work, self.accel, self.arch, self.kernel = image, work, accel, arch, kernel
        self.mqtt_port, self.web_port = free_port(), free_port()
        self.monitor, self.agent = work / "monitor.sock", work / "agent.sock"
        self.serial = work / "serial.log"
        self.memory_mb = memory_mb
        self.proc: subprocess.Popen | None = None

    def command(self) -> list[str]:
        net = (f"user,id=n,hostfwd=tcp:127.0.0.1:{self.mqtt_port}-:1883,"
               f"hostfwd=tcp:127.0.0.1:{self.web_port}-:8080")
        common = ["-smp", "2", "-m", str(self.memory_mb), "-display", "none",
                  "-drive", f"file={self.image},if=virtio,format=raw,cache=unsafe",
                  "-netdev", net, "-device", "virtio-net-pci,netdev=n",
                  "-serial", f"file:{self.serial}", "-monitor", f"unix:{self.monitor},server=on,wait=off",
                  "-chardev", f"socket,path={self.agent},server=on,wait=off,id=qga0",
                  "-device", "virtio-serial", "-device", "virtserialport,chardev=qga0,name=org.qemu.guest_agent.0"]
        if self.arch == "arm64":    # QEMU's virt board: no Raspberry Pi firmware, the image's kernel given directly
            vmlinuz, initrd = self.kernel
            return ["qemu-system-aarch64", "-M", "virt", "-cpu", "cortex-a72", "-kernel", str(vmlinuz),
                    "-initrd", str(initrd), "-append", "root=LABEL=motcua-root ro console=ttyAMA0", *common]
        vars_ = self.work / "OVMF_VARS.fd"
        shutil.copy(OVMF / "OVMF_VARS_4M.fd", vars_)
        # a nested hypervisor may refuse the MSR of arch-capabilities ("failed to set MSR 0x10a")
        cpu = ["-cpu", "max,-arch-capabilities" if self.accel == "kvm" else "max"]
        # virtio-vga: the guest's virtio_gpu DRM driver gives cage its KMS device (drawn by pixman), and QEMU's
        # screendump reads the frame it scans out
        return ["qemu-system-x86_64", "-machine", f"q35,accel={self.accel}", *cpu,
                "-drive", f"if=pflash,format=raw,readonly=on,file={OVMF / 'OVMF_CODE_4M.fd'}",
                "-drive", f"if=pflash,format=raw,file={vars_}", "-vga", "virtio",
                "-device", "qemu-xhci", "-device", "usb-tablet", *common]

    def start(self) -> Vm:
        with open(self.work / "qemu.err", "w") as err:
            self.proc = subprocess.Popen(self.command(), stdout=subprocess.DEVNULL, stderr=err)
        return self

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def serial_text(self) -> str:
        return self.serial.read_text(errors="replace") if self.serial.exists() else ""

    # --- QEMU's monitor -------------------------------------------------------------------------

    def monitor_command(self, line: str) -> str:
        with socket.socket(socket.AF_UNIX) as s:
            s.connect(str(self.monitor))
            s.settimeout(10)
            s.sendall(line.encode() + b"\n")
            time.sleep(1.0)
            return s.recv(65536).decode(errors="replace")

    def screendump(self, png: Path) -> Path:
        """The board's screen as the hall sees it, whatever draws it (a login prompt, cage, the kiosk)."""
        from PIL import Image
        ppm = png.with_suffix(".ppm")
        ppm.unlink(missing_ok=True)
        self.monitor_command(f"screendump {ppm}")
        for _ in range(50):
            if ppm.exists() and ppm.stat().st_size > 0:
                break
            time.sleep(0.2)
        time.sleep(0.5)
        Image.open(ppm).save(png)
        return png

    # --- the QEMU guest agent -------------------------------------------------------------------

    def _agent(self, request: dict, timeout: float = 10) -> dict:
        with socket.socket(socket.AF_UNIX) as s:
            s.connect(str(self.agent))
            s.settimeout(timeout)
            sync = int(time.time() * 1000) % 1_000_000
            s.sendall(b"\xff" + json.dumps({"execute": "guest-sync-delimited", "arguments": {"id": sync}}).encode())
            buf = b""
            while f'"return": {sync}'.encode() not in buf and f'"return":{sync}'.encode() not in buf:
                buf += s.recv(4096)
            s.sendall(json.dumps(request).encode())
            buf = b""
            while True:
                buf += s.recv(65536)
                try:
                    return json.loads(buf.decode().strip().split("\n")[-1].lstrip("\xff"))
                except json.JSONDecodeError:
                    continue

    def agent_up(self) -> bool:
        try:
            return "return" in self._agent({"execute": "guest-ping"}, timeout=3)
        except OSError:
            return False

    def sh(self, script: str, timeout: float = 60) -> tuple[int, str]:
        """Run a shell command on the board as root; its exit code and output."""
        pid = self._agent({"execute": "guest-exec", "arguments": {
            "path": "/bin/sh", "arg": ["-c", script], "capture-output": True}})["return"]["pid"]
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            st = self._agent({"execute": "guest-exec-status", "arguments": {"pid": pid}})["return"]
            if st["exited"]:
                out = base64.b64decode(st.get("out-data", "")) + base64.b64decode(st.get("err-data", ""))
                return st.get("exitcode", -1), out.decode(errors="replace")
            time.sleep(0.5)
        raise TimeoutError(script)

    def reboot(self) -> None:
        try:
            self._agent({"execute": "guest-shutdown", "arguments": {"mode": "reboot"}}, timeout=5)
        except (OSError, json.JSONDecodeError):
            pass      # the agent goes away with the system: no answer is the answer

    def wait(self, what, timeout: float, every: float = 2.0):
        """Poll ``what()`` until it returns something true; that value, or TimeoutError."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc and self.proc.poll() is not None:
                raise RuntimeError(f"QEMU stopped: {(self.work / 'qemu.err').read_text()}")
            try:
                got = what()
            except (OSError, TimeoutError, KeyError, json.JSONDecodeError):
                got = None
            if got:
                return got
            time.sleep(every)
        raise TimeoutError(f"not within {timeout} s; serial console:\n{self.serial_text()[-3000:]}")
