"""The screens' watchdog under cage (SPEC 10.1: fed only by proof of health).

logind moves a console session's processes (cage, Xwayland, the kiosk or wall screen) into a scope of their own, and
systemd takes notifications from outside a unit's cgroup from its main process only. So the unit's main process is
this relay: it starts cage with ``NOTIFY_SOCKET`` pointing at a socket of its own, and passes on what the program
says there (READY after its start, WATCHDOG after each frame drawn while linked: ``motcua.kivyrun``) as the main
process. A program that stops drawing stops the pings, and systemd's watchdog stops the unit; this relay then ends
cage and everything it started, and ``Restart=always`` starts them again. When cage ends, the relay ends with its
exit status.
"""
from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

from ..sdnotify import Notifier

log = logging.getLogger(__name__)
PASSED_ON = (b"READY=1", b"WATCHDOG=1", b"STOPPING=1", b"STATUS=")   # lines a program may say through the relay
GRACE_S = 5.0                 # for cage and its program to end on SIGTERM before SIGKILL


def passed_on(datagram: bytes) -> bytes:
    """The lines of a notification the relay says to systemd as its own; MAINPID= and the like never."""
    return b"\n".join(line for line in datagram.splitlines() if line.startswith(PASSED_ON))


class Relay:
    """cage's program's notifications, said to systemd by this process."""

    def __init__(self, listen: Path, notifier: Notifier):
        self.listen, self.notifier = listen, notifier
        listen.unlink(missing_ok=True)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(listen))
        self.sock.settimeout(1.0)
        self.stopping = False

    def pump(self) -> None:
        """Pass on what arrives within a second."""
        try:
            data = self.sock.recv(4096)
        except (TimeoutError, InterruptedError):
            return
        said = passed_on(data)
        if said:
            self.notifier.send(said.decode(errors="replace"))

    def run(self, command: Sequence[str]) -> int:
        """cage, until it ends or this process is told to stop; its exit status."""
        child = subprocess.Popen(command, env={**os.environ, "NOTIFY_SOCKET": str(self.listen)},
                                 start_new_session=True)
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, lambda *_: setattr(self, "stopping", True))
        try:
            while not self.stopping and child.poll() is None:
                self.pump()
        finally:
            end(child)
            self.sock.close()
            self.listen.unlink(missing_ok=True)
        return child.returncode


def end(child: subprocess.Popen) -> None:
    """cage's whole process group (cage, Xwayland, the program), even when cage itself has ended: asked, then made to
    stop, so a wedged program ends too and the next cage finds the screen free."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(child.pid, sig)
        except ProcessLookupError:
            break
        if gone(child, GRACE_S):
            break
        log.warning("cage's programs did not end on %s", sig.name)
    child.wait()


def gone(child: subprocess.Popen, within_s: float) -> bool:
    """Whether every process of cage's group ended within the time (cage itself reaped meanwhile)."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        child.poll()
        try:
            os.killpg(child.pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False
