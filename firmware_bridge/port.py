"""One serial line: a thread that reads lines into the bridge's inbox, and reopens the port every
2 s when it is missing or vanishes (a USB adapter pulled out)."""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import serial

from .protocol import LineSplitter

log = logging.getLogger(__name__)
REOPEN_S = 2.0


class SerialLine:
    """One serial port read by its own thread, each line passed to ``on_line`` as it arrives; a port that fails or
    vanishes is reopened until ``stop``, so unplugging a keypad's bus never stops the bridge."""

    def __init__(self, device: str, baudrate: int, on_line: Callable[[str, bytes | None], None],
                 opener: Callable[..., serial.Serial] = serial.Serial):
        self.device, self.baudrate, self.on_line, self.opener = device, baudrate, on_line, opener
        self.ser: serial.Serial | None = None
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, name=f"serial {device}", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.stopping.set()
        self._close()

    @property
    def is_open(self) -> bool:
        return self.ser is not None

    def write(self, data: bytes) -> bool:
        """False when the port is not open now (the frame's retransmission will try again)."""
        with self.lock:
            if self.ser is None:
                return False
            try:
                self.ser.write(data)
                return True
            except (OSError, serial.SerialException) as e:
                log.warning("ghi cổng %s lỗi / write to %s failed: %s", self.device, self.device, e)
                return False

    def _run(self) -> None:
        missing_since = None
        while not self.stopping.is_set():
            try:
                ser = self.opener(self.device, self.baudrate, timeout=0.2)
            except (OSError, serial.SerialException) as e:
                if missing_since is None:
                    missing_since = time.monotonic()
                    log.error("không mở được cổng %s / serial port %s is missing: %s; retrying every %ss",
                              self.device, self.device, e, REOPEN_S)
                self.stopping.wait(REOPEN_S)
                continue
            if missing_since is not None:
                log.info("cổng %s đã trở lại / serial port %s is back", self.device, self.device)
                missing_since = None
            with self.lock:
                self.ser = ser
            self._read(ser)
            self._close()
            if not self.stopping.is_set():
                missing_since = time.monotonic()
                log.error("mất cổng %s / serial port %s vanished; reopening every %ss", self.device, self.device,
                          REOPEN_S)
                self.stopping.wait(REOPEN_S)

    def _read(self, ser: serial.Serial) -> None:
        lines = LineSplitter()
        while not self.stopping.is_set():
            try:
                first = ser.read(1)          # blocks up to the timeout; then take all that waits
                data = first + ser.read(ser.in_waiting) if first else b""
            except (OSError, serial.SerialException, TypeError):
                return
            for line in lines.feed(data):
                self.on_line(self.device, line)

    def _close(self) -> None:
        with self.lock:
            ser, self.ser = self.ser, None
        if ser is not None:
            try:
                ser.close()
            except (OSError, serial.SerialException):
                pass
