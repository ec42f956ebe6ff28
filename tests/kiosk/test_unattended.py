"""The kiosk's unattended rules: the idle reset, the technician's corner gesture, the PIN and its
lockout, and sizes kept the same in millimetres on any screen."""
import pytest

from kiosk.unattended import CORNER_TAPS, PIN_LOCKOUT_S, PIN_TRIES, CornerTaps, IdleTimer, PinGate, ui_scale
from motcua.config.schema import SecretText


class Tick:
    """A monotonic clock the test moves."""

    def __init__(self):
        self.t = 1000.0

    def __call__(self):
        return self.t


def test_idle_after_the_configured_seconds():
    clock = Tick()
    idle = IdleTimer(60, clock)
    clock.t += 59.9
    assert not idle.due()
    idle.touched()
    clock.t += 59.9
    assert not idle.due()
    clock.t += 0.1
    assert idle.due()


def test_five_quick_taps_in_the_corner_and_nothing_else():
    clock = Tick()
    g = CornerTaps(clock)
    h = 1080
    assert [g.tap(10, h - 10, h) for _ in range(CORNER_TAPS)] == [False] * 4 + [True]
    for _ in range(4):
        g.tap(10, h - 10, h)
    g.tap(900, 500, h)                             # a tap elsewhere starts again
    assert not g.tap(10, h - 10, h)
    slow = CornerTaps(clock)
    results = []
    for _ in range(6):
        results.append(slow.tap(10, h - 10, h))
        clock.t += 1.5                             # too slow: never five within 4 s
    assert not any(results)
    assert not CornerTaps(clock).tap(10, 10, h), "the bottom-left corner is not the one"
    big = CornerTaps(clock)                        # on a 4K screen the corner is twice as many pixels
    assert [big.tap(200, 2160 - 200, 2160, 2.0) for _ in range(CORNER_TAPS)][-1]
    assert not CornerTaps(clock).tap(200, h - 200, h, 1.0), "on 1080p that tap is outside the corner"


def test_pin_tries_then_lockout():
    clock = Tick()
    gate = PinGate(SecretText("2468"), clock)
    assert [gate.check("0000") for _ in range(PIN_TRIES)] == ["wrong"] * (PIN_TRIES - 1) + ["locked"]
    assert gate.check("2468") == "locked", "even the right PIN waits out the lockout"
    clock.t += PIN_LOCKOUT_S
    assert gate.check("2468") == "ok"
    assert PinGate(None, clock).check("") == "locked" and not PinGate(None, clock).configured


@pytest.mark.parametrize(("w", "h", "inches", "scale"), [
    (1920, 1080, 21.5, 1.0), (1080, 1920, 21.5, 1.0), (3840, 2160, 21.5, 2.0), (1920, 1080, 32, 21.5 / 32),
    (1366, 768, 21.5, 0.7115),
])
def test_sizes_stay_the_same_in_millimetres(w, h, inches, scale):
    assert ui_scale(w, h, inches) == pytest.approx(scale, rel=1e-3)

