"""python -m motcua.appliance.screen kiosk|display ID: the kiosk or the wall screen full screen under
cage, the Wayland kiosk compositor (systemd/motcua-<role>@.service.d/cage.conf).

cage turns the screen (``-r``, 90 degrees clockwise each, touch input turned with it) as many times as
``screen_rotation`` in motcua-setup.yaml says, or once for a kiosk whose site file says ``screen:
{orientation: portrait}``, and the program's window takes the screen's size (``MOTCUA_SCREEN_SIZE``: under
Xwayland, Kivy would make its own 1920x1080 window whatever the screen). This process stays the unit's main
process and relays the program's watchdog pings (``relay``); cage runs the program and ends with it, and this
process with cage, so the unit restarts them all after a crash.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import yaml

from ..config import ConfigError, load
from ..sdnotify import Notifier
from .relay import Relay

SITE = Path("/etc/motcua/motcua.yaml")
DRM = Path("/sys/class/drm")      # the kernel's connectors: status, and modes with the preferred one first
APPLIANCE = Path("/etc/motcua/appliance.yaml")     # written by motcua-firstboot
PROGRAMS = {"kiosk": "kiosk", "display": "display_board"}


def rotation(role: str, ident: str, site: Path = SITE, appliance: Path = APPLIANCE) -> int:
    """Degrees clockwise: the setup file's choice, else the kiosk's orientation, else none."""
    try:
        chosen = (yaml.safe_load(appliance.read_text(encoding="utf-8")) or {}).get("screen_rotation")
    except (OSError, yaml.YAMLError, AttributeError):
        chosen = None
    if isinstance(chosen, int) and chosen in (0, 90, 180, 270):
        return chosen
    if role != "kiosk":
        return 0
    try:
        kiosk = next(k for k in load(site).kiosks if k.id == ident)
    except (ConfigError, StopIteration):
        return 0     # the kiosk itself says what is wrong with its site file, on the screen and in the journal
    return 90 if kiosk.screen.orientation == "portrait" else 0


def command(role: str, ident: str, degrees: int, python: str = sys.executable, site: Path = SITE) -> list[str]:
    """cage without decorations, turned, running the program on the site file."""
    return ["cage", "-d", *["-r"] * (degrees // 90), "--",
            python, "-m", PROGRAMS[role], "--config", str(site), "--id", ident]


def screen_size(degrees: int, drm: Path = DRM) -> str | None:
    """``WxH`` of the first connected screen's preferred mode (the one cage takes), as seen once turned; None when no
    screen says so (the program then keeps its own size)."""
    for connector in sorted(drm.glob("card*-*")):
        try:
            connected = (connector / "status").read_text().strip() == "connected"
            modes = (connector / "modes").read_text().split() if connected else []
        except OSError:
            continue
        if modes and "x" in modes[0]:
            width, height = modes[0].split("x", 1)
            return f"{height}x{width}" if degrees in (90, 270) else f"{width}x{height}"
    return None


def main(argv: list[str] | None = None) -> int:
    """Run the Kivy kiosk or wall screen for ``kiosk|display ID`` under cage, turned as the setup chose, until it
    ends: cage's exit status, or 2 on a bad command line."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2 or args[0] not in PROGRAMS:
        print("usage: python -m motcua.appliance.screen kiosk|display ID", file=sys.stderr)
        return 2
    role, ident = args
    degrees = rotation(role, ident)
    size = screen_size(degrees)
    if size:
        os.environ["MOTCUA_SCREEN_SIZE"] = size
    # the unit's own folder (cage.conf): its ProtectHome= hides the session's /run/user/<uid> from cage
    runtime = Path(os.environ.get("RUNTIME_DIRECTORY") or os.environ.get("XDG_RUNTIME_DIR") or "/tmp")
    os.environ["XDG_RUNTIME_DIR"] = str(runtime)
    return Relay(runtime / "notify", Notifier()).run(command(role, ident, degrees))


if __name__ == "__main__":
    sys.exit(main())
