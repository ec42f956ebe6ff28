"""motcua-firstboot.service: set the board up from ``motcua-setup.yaml`` on its boot partition.

Runs at every boot and does nothing unless the file changed since it last set the board up (so a
fixed file and a reboot set it up again). The whole file is checked before anything changes; when
it is wrong, the reasons go to the journal, the board's screen (the console and the login prompt's
issue file) and a result file on the card, every motcua unit is stopped and disabled, and this unit
fails, which keeps them stopped (each has Requires= on it). When it is right: the site file, the
broker passwords, the site's key (``site_key``: the hub's, on a kiosk's board), TLS files, host name,
network, time service and time zone are written, then ``systemd/install.sh`` runs for each role (it
makes the hub's missing passwords, the site's key and the console's key on the board itself), the
units are enabled and started, and the passwords, the site's key and the TLS key are erased from the
card.

``Board.root`` is ``/`` on a board; the tests give a directory, which install.sh stages into
(``MOTCUA_ROOT``) with no apt, users or systemctl.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import yaml

from ..config import SiteConfig
from ..files import atomic_write
from .setup import SETUP_NAME, Role, Setup, SetupError, password_file, read, scrubbed

PROJECT = Path(__file__).resolve().parents[2]
BOOT_DIRS = ("boot/efi", "boot/firmware")       # a PC's EFI system partition, a Raspberry Pi's firmware one
RESULT_NAME = "motcua-setup-result.txt"
ROLE_ORDER = ("hub", "followup", "console", "bridge", "display", "kiosk")   # the broker's users first
EXTRAS = ("mosquitto.service", "gammu-smsd.service")


@dataclass
class Board:
    """The machine being set up, rooted at ``root`` so tests and image builds can stage a directory instead of touching
    the real board; ``log`` keeps every line said."""
    root: Path = Path("/")
    install_sh: Path = PROJECT / "systemd" / "install.sh"
    python: str = sys.executable
    log: list[str] = field(default_factory=list)

    def path(self, p: str) -> Path:
        return self.root / p.lstrip("/")

    @property
    def live(self) -> bool:
        """A real board under systemd (not a staging directory): systemctl may run."""
        return self.root == Path("/") and Path("/run/systemd/system").is_dir()

    def boot_dir(self) -> Path | None:
        return next((self.path(d) for d in BOOT_DIRS if self.path(d).joinpath(SETUP_NAME).is_file()), None)

    def say(self, line: str) -> None:
        """To the journal and the board's console (the unit's standard output goes to both)."""
        self.log.append(line)
        print(line, flush=True)

    def systemctl(self, *args: str) -> None:
        """Queued, never waited for: the motcua units are ordered after this unit, so waiting for one
        would wait for ever."""
        if self.live:
            subprocess.run(["systemctl", "--no-block", *args], check=False)


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``motcua-firstboot.service``; always sets up the real board at /."""
    return run(Board())


def run(board: Board) -> int:
    """Apply the boot partition's motcua-setup.yaml once: 0 with nothing to do (no file, or the same file already
    applied) and after success; 1 when refused or failed, the reasons said on the screen and written to the card.
    Once applied, the file's secrets (passwords, site's key) are scrubbed and the TLS key deleted from the card."""
    boot = board.boot_dir()
    if boot is None:
        return 0
    text = (boot / SETUP_NAME).read_bytes()
    state = board.path("/var/lib/motcua-firstboot/setup.sha256")
    if state.is_file() and state.read_text().strip() == hashlib.sha256(text).hexdigest():
        return 0
    board.say(f"motcua: đang cài đặt bo mạch từ / setting the board up from {boot / SETUP_NAME}")
    try:
        setup, cfg = read(boot, lambda path: board.path(path).is_file())
    except SetupError as e:
        return refuse(board, boot, e.lines)
    try:
        configure(board, boot, setup, cfg)
    except (OSError, subprocess.CalledProcessError) as e:
        return refuse(board, boot, [f"cài đặt dừng giữa chừng / the setup stopped: {e}"])
    clean = scrubbed(text.decode("utf-8"))
    write(boot / SETUP_NAME, clean, None)
    if setup.tls and setup.tls.get("key_file"):
        (boot / setup.tls["key_file"]).unlink(missing_ok=True)
    write(state, hashlib.sha256(clean.encode()).hexdigest() + "\n")
    done = (f"motcua: đã cài đặt / set up: {', '.join(map(str, setup.roles))}"
            + (f" — bảng điều khiển / console: http://\\4:{_port(cfg)}" if "console" in setup.kinds() else ""))
    write(board.path("/etc/issue.d/motcua.issue"), done + "\n\n")
    write(boot / RESULT_NAME, _stamp(done.replace("\\4", "<địa chỉ / address>")), None)
    board.say(done.replace("\\4", "<địa chỉ / address>"))
    return 0


def refuse(board: Board, boot: Path, lines: list[str]) -> int:
    """Nothing half-configured runs: every line said, on the screen and the card, and every motcua
    unit stopped; this unit fails (exit 1), which keeps them from starting."""
    head = ("motcua: TỆP CÀI ĐẶT CÓ LỖI — sửa motcua-setup.yaml trên thẻ nhớ rồi khởi động lại. / "
            "THE SETUP FILE IS WRONG — fix motcua-setup.yaml on the card, then restart the board.")
    for line in (head, *lines):
        board.say(line)
    text = "\n".join((head, *lines)) + "\n"
    write(board.path("/etc/issue.d/motcua.issue"), text + "\n")
    write(boot / RESULT_NAME, _stamp(text), None)
    for unit in _enabled_units(board):
        board.systemctl("disable", "--now", unit)
    return 1


def configure(board: Board, boot: Path, setup: Setup, cfg: SiteConfig) -> None:
    """Every file first, then install.sh for each role, then the board's other services."""
    for unit in _enabled_units(board):
        board.systemctl("disable", "--now", unit)        # a role this board no longer has
    site_file(board, boot, setup)
    secrets(board, setup, cfg)
    tls(board, boot, setup)
    host_name(board, setup)
    network(board, setup)
    clock(board, setup, cfg)
    for role in sorted(setup.roles, key=lambda r: ROLE_ORDER.index(r.kind)):
        install(board, role)
    one_screen(board, setup)
    if board.live:
        subprocess.run(["systemctl", "daemon-reload"], check=False)
    for role in setup.roles:
        board.systemctl("enable", role.unit)
        board.systemctl("restart", role.unit)
    write(board.path("/etc/motcua/appliance.yaml"), yaml.safe_dump(
        {"roles": [str(r) for r in setup.roles], "screen_rotation": setup.screen_rotation}, sort_keys=False))
    wanted = {"mosquitto.service": setup.is_hub,
              "gammu-smsd.service": "followup" in setup.kinds() and _sms_by_gammu(cfg)}
    for unit, on in wanted.items():
        if on:
            board.systemctl("enable", unit)
            board.systemctl("restart", unit)      # mosquitto reads the ACL and passwords install.sh made
        else:
            board.systemctl("disable", "--now", unit)
    board.systemctl("restart", "chrony.service")


def site_file(board: Board, boot: Path, setup: Setup) -> None:
    """The hub's board keeps the site file as written; another board points it at the hub."""
    text = (boot / setup.site_file).read_text(encoding="utf-8")
    if setup.hub_address and not setup.is_hub:
        data = yaml.safe_load(text)
        data["mqtt"]["host"] = setup.hub_address
        text = (f"# copied by motcua-firstboot from {setup.site_file} on the boot partition, mqtt.host set to "
                f"hub_address\n" + yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    write(board.path("/etc/motcua/motcua.yaml"), text, 0o640)


def secrets(board: Board, setup: Setup, cfg: SiteConfig) -> None:
    """Readable by root only until install.sh gives each to its own process's user (the site's key to the
    group of the processes that hash with it)."""
    for user, password in setup.passwords.items():
        write(board.path(password_file(user)), str(password), 0o400)
    if setup.site_key and cfg.site.secret_file:
        write(board.path(cfg.site.secret_file), str(setup.site_key) + "\n", 0o400)


def tls(board: Board, boot: Path, setup: Setup) -> None:
    """Copy the CA (every board) and, on the hub, the broker's certificate and key from the boot partition, and open
    mosquitto's TLS listener on 8883; nothing when the setup names no TLS."""
    if not setup.tls:
        return
    copy(boot / setup.tls["ca_file"], board.path("/etc/motcua/tls/ca.crt"), 0o644)
    if setup.is_hub and setup.tls.get("cert_file"):
        certs = board.path("/etc/mosquitto/certs")
        copy(boot / setup.tls["cert_file"], certs / "motcua.crt", 0o644)
        copy(boot / setup.tls["key_file"], certs / "motcua.key", 0o640)
        if board.live:       # mosquitto reads its key after dropping root
            shutil.chown(certs / "motcua.key", group="mosquitto")
        write(board.path("/etc/mosquitto/conf.d/motcua-tls.conf"),
              "# written by motcua-firstboot from motcua-setup.yaml's tls\nlistener 8883\n"
              "cafile /etc/motcua/tls/ca.crt\ncertfile /etc/mosquitto/certs/motcua.crt\n"
              "keyfile /etc/mosquitto/certs/motcua.key\n")


def host_name(board: Board, setup: Setup) -> None:
    """Set the board's name in /etc/hostname and its 127.0.1.1 line in /etc/hosts (the old line replaced), and now when
    on a live board; nothing when the setup names none."""
    if not setup.hostname:
        return
    write(board.path("/etc/hostname"), setup.hostname + "\n")
    hosts = board.path("/etc/hosts")
    kept = [ln for ln in (hosts.read_text().splitlines() if hosts.is_file() else []) if not ln.startswith("127.0.1.1")]
    write(hosts, "\n".join([*kept, f"127.0.1.1\t{setup.hostname}"]) + "\n")
    if board.live:
        subprocess.run(["hostname", setup.hostname], check=False)


def network(board: Board, setup: Setup) -> None:
    """A fixed address when the file gives one, else the router's DHCP (image/files/80-motcua-dhcp.network)."""
    static = board.path("/etc/systemd/network/50-motcua-static.network")
    if not setup.address:
        static.unlink(missing_ok=True)
    else:
        gateway = f"Gateway={setup.gateway}\nDNS={setup.gateway}\n" if setup.gateway else ""
        write(static, "# written by motcua-firstboot from motcua-setup.yaml\n[Match]\nName=en* eth*\n\n"
                      f"[Network]\nAddress={setup.address}\n{gateway}", 0o644)
    if board.live:
        subprocess.run(["networkctl", "reload"], check=False)


def clock(board: Board, setup: Setup, cfg: SiteConfig) -> None:
    """SPEC 10.1: install.sh writes chrony's settings by role (config/chrony/: the hub's board serves time to the
    hall, every other board takes it from the hub's address, stepping whenever it is off: a board without a
    real-time clock starts in 1970 or at its last shutdown). What an earlier setup left goes first, so a board
    that was the hub's and is no longer follows the hub. The time zone is the site's."""
    for old in ("conf.d/motcua-hub.conf", "conf.d/motcua-board.conf", "conf.d/motcua.conf", "sources.d/motcua.sources"):
        board.path(f"/etc/chrony/{old}").unlink(missing_ok=True)
    zone = board.path("/etc/localtime")
    zone.unlink(missing_ok=True)
    zone.symlink_to(f"/usr/share/zoneinfo/{cfg.site.timezone}")
    write(board.path("/etc/timezone"), cfg.site.timezone + "\n", 0o644)


SCREEN_IS_THE_KIOSKS = """\
# written by motcua-firstboot: this board's one screen is the kiosk's (a console shows one session at a
# time); the wall screen runs without a picture of its own, for its voice calls and its status; with no cage
# session around it, it says READY and feeds the watchdog itself
[Service]
Type=notify
WatchdogSec=30
ExecStart=
ExecStart=/opt/motcua/.venv/bin/python -m display_board --config /etc/motcua/motcua.yaml --id %i
Environment=SDL_VIDEODRIVER=offscreen
PAMName=
TTYPath=
StandardInput=null
"""


def one_screen(board: Board, setup: Setup) -> None:
    """A board with a kiosk and a wall screen gives its screen to the kiosk (the wall screen's cage would
    wait for a console that is never shown, and be restarted for ever)."""
    both = {"kiosk", "display"} <= setup.kinds()
    for role in setup.roles:
        if role.kind == "display":
            dropin = board.path(f"/etc/systemd/system/motcua-display@{role.ident}.service.d/zz-motcua-screen.conf")
            if both:
                write(dropin, SCREEN_IS_THE_KIOSKS)
            else:
                dropin.unlink(missing_ok=True)


def install(board: Board, role: Role) -> None:
    """``systemd/install.sh ROLE [ID]``, with the packages already in the image (no apt), and the unit not
    started there: it is ordered after this one, so a start waited for would wait for ever (``configure``
    queues it instead)."""
    env = {**os.environ, "MOTCUA_NO_APT": "1", "MOTCUA_NO_START": "1"}
    if not board.live:
        env.update(MOTCUA_ROOT=str(board.root), MOTCUA_PYTHON=board.python)
    args = ["bash", str(board.install_sh), role.kind, *([role.ident] if role.ident else [])]
    out = subprocess.run(args, env=env, capture_output=True, text=True)
    for line in (out.stdout + out.stderr).splitlines():
        board.say(line)
    out.check_returncode()


def _enabled_units(board: Board) -> list[str]:
    wants = board.path("/etc/systemd/system/multi-user.target.wants")
    return sorted(p.name for p in wants.glob("motcua-*.service") if p.name != "motcua-firstboot.service") \
        if wants.is_dir() else []


def _sms_by_gammu(cfg: SiteConfig) -> bool:
    return cfg.followup is not None and cfg.followup.sms.transport == "gammu"


def _port(cfg: SiteConfig) -> str:
    return cfg.console.listen.rsplit(":", 1)[-1] if cfg.console else "8080"


def _stamp(text: str) -> str:
    return f"{datetime.now().isoformat(timespec='seconds')}\n{text}\n"


def write(path: Path, text: str, mode: int | None = 0o644) -> None:
    """Whole or not at all (a power cut mid-write leaves the old file). ``mode`` None for the boot
    partition, whose FAT keeps no modes (its mount's umask decides)."""
    atomic_write(path, text, mode)


def copy(src: Path, dst: Path, mode: int) -> None:
    """Copy a text file from the boot partition with the given mode; the destination's folders are made as needed (see
    ``write``)."""
    write(dst, src.read_text(encoding="utf-8"), mode)
