"""What lets a kiosk stand in a public hall all day with nobody watching it, in plain Python so it
tests without a window: sizes kept in millimetres, the idle reset, and the way out for a technician
(a gesture, then a PIN) that a curious citizen does not stumble on.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from math import hypot

from motcua.config.schema import SecretText

REF_SCREEN_PX, REF_DIAGONAL_IN = (1920, 1080), 21.5      # the reference: 21.5-inch 1080p
MIN_TARGET_PX, MIN_TEXT_PX = 60, 28                      # on the reference screen: ~15 mm, ~7 mm
CORNER_PX, CORNER_TAPS, CORNER_WINDOW_S = 120, 5, 4.0    # five taps in the top-left corner
PIN_TRIES, PIN_LOCKOUT_S = 3, 300.0


def ui_scale(width: int, height: int, diagonal_in: float) -> float:
    """1.0 on the reference screen; on another, what keeps every size the same in millimetres."""
    ref_px_per_in = hypot(*REF_SCREEN_PX) / REF_DIAGONAL_IN
    return hypot(width, height) / diagonal_in / ref_px_per_in


class IdleTimer:
    """No touch (or scan) for ``seconds``: time to clear the screen for the next citizen."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic):
        self.seconds, self.clock = seconds, clock
        self.last = clock()

    def touched(self) -> None:
        self.last = self.clock()

    def due(self) -> bool:
        return self.clock() - self.last >= self.seconds


class CornerTaps:
    """``CORNER_TAPS`` taps in the window's top-left corner within ``CORNER_WINDOW_S``; a tap
    anywhere else starts the count again."""

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self.clock = clock
        self.taps: list[float] = []

    def tap(self, x: float, y: float, window_height: float, scale: float = 1.0) -> bool:
        """True when this tap completes the gesture. Kivy's y grows upwards; ``scale`` is ``ui_scale``."""
        size = CORNER_PX * scale
        if x > size or y < window_height - size:
            self.taps.clear()
            return False
        now = self.clock()
        self.taps = [t for t in self.taps if now - t <= CORNER_WINDOW_S] + [now]
        if len(self.taps) >= CORNER_TAPS:
            self.taps.clear()
            return True
        return False


class PinGate:
    """The maintenance PIN: ``PIN_TRIES`` wrong ones lock it for ``PIN_LOCKOUT_S``."""

    def __init__(self, pin: SecretText | None, clock: Callable[[], float] = time.monotonic):
        self.pin, self.clock = pin, clock
        self.wrong, self.locked_until = 0, float("-inf")

    @property
    def configured(self) -> bool:
        return self.pin is not None

    def locked(self) -> bool:
        return self.clock() < self.locked_until

    def check(self, attempt: str) -> str:
        """'ok', 'wrong' or 'locked'."""
        if self.pin is None or self.locked():
            return "locked"
        if self.pin.matches(attempt):
            self.wrong = 0
            return "ok"
        self.wrong += 1
        if self.wrong >= PIN_TRIES:
            self.wrong, self.locked_until = 0, self.clock() + PIN_LOCKOUT_S
            return "locked"
        return "wrong"
