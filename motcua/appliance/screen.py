"""python -m motcua.appliance.screen kiosk|display ID: the kiosk or the wall screen full screen under
cage, the Wayland kiosk compositor (systemd/motcua-<role>@.service.d/cage.conf).

cage turns the screen (``-r``, 90 degrees clockwise each, touch input turned with it) as many times as
``screen_rotation`` in motcua-setup.yaml says, or once for a kiosk whose site file says ``screen:
{orientation: portrait}``. This process becomes cage (exec: the unit's main process), which runs the
program and ends with it, so the unit restarts both after a crash.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import yaml

from ..config import ConfigError, load

SITE = Path("/etc/motcua/motcua.yaml")
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


def main(argv: list[str] | None = None) -> int:
    """Start the Kivy kiosk or wall screen for ``kiosk|display ID`` under the screen rotation the setup chose; it execs
    the program, so it returns only with 2 on a bad command line."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2 or args[0] not in PROGRAMS:
        print("usage: python -m motcua.appliance.screen kiosk|display ID", file=sys.stderr)
        return 2
    role, ident = args
    cmd = command(role, ident, rotation(role, ident))
    runtime = os.environ.get("RUNTIME_DIRECTORY")
    if runtime:      # the unit's own (cage.conf): its ProtectHome= hides the session's /run/user/<uid> from cage
        os.environ["XDG_RUNTIME_DIR"] = runtime
    os.execvp(cmd[0], cmd)     # replaces this process: nothing returns from here


if __name__ == "__main__":
    sys.exit(main())
