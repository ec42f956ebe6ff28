"""sd_notify without a dependency: READY, WATCHDOG and STOPPING over ``$NOTIFY_SOCKET``.

A process calls ``Notifier.watchdog()`` only on proof of health (SPEC 10.1): the hub when its own
request came back answered through the broker, the bridge after a completed pass of its loop, the
screens when a frame was drawn; each only while its broker link is up or not down for a minute. A
process that stops working stops feeding systemd's watchdog and gets restarted.
"""
from __future__ import annotations

import os
import socket
import time


class Notifier:
    """systemd's notify protocol (READY, STOPPING, WATCHDOG) without a library; every call is False and harmless when
    not run by systemd."""

    def __init__(self, environ: dict | None = None):
        env = os.environ if environ is None else environ
        self.address = env.get("NOTIFY_SOCKET") or None
        usec = env.get("WATCHDOG_USEC", "")
        self.watchdog_interval = int(usec) / 2e6 if usec.isdigit() and int(usec) > 0 else None
        self._last_ping = 0.0
        # opened once: a process out of file descriptors can still say why it stops feeding the watchdog
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) if self.address else None

    def send(self, state: str) -> bool:
        if not self.address or self._sock is None:
            return False
        addr = "\0" + self.address[1:] if self.address.startswith("@") else self.address
        try:
            self._sock.sendto(state.encode(), addr)
            return True
        except OSError:
            return False

    def ready(self, status: str = "") -> bool:
        return self.send("READY=1" + (f"\nSTATUS={status}" if status else ""))

    def stopping(self) -> bool:
        return self.send("STOPPING=1")

    def watchdog(self) -> bool:
        """Ping at half the watchdog period at most; cheap to call on every loop turn."""
        if self.watchdog_interval is None:
            return False
        now = time.monotonic()
        if now - self._last_ping < self.watchdog_interval:
            return False
        self._last_ping = now
        return self.send("WATCHDOG=1")
