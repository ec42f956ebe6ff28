"""The kiosk's window, locked down for a public hall: no way out by Esc, the back key, F1 (Kivy's
settings) or the window manager; the idle reset; the scanner's keystrokes; and the technician's way
out — five taps in the top-left corner, then the PIN from the config.

The rules themselves are plain Python in ``kiosk.unattended`` and ``kiosk.code_entry``.
"""
from __future__ import annotations

import logging
import time

from kivy.clock import Clock
from kivy.properties import StringProperty
from kivy.uix.modalview import ModalView
from kivy.uix.popup import Popup

from motcua.config import Kiosk
from motcua.exits import EX_MAINTENANCE

from ..code_entry import ENTER_KEYS, ScanBuffer
from ..unattended import PIN_LOCKOUT_S, PIN_TRIES, CornerTaps, IdleTimer, PinGate

log = logging.getLogger(__name__)
BLOCKED_KEYS = {27: "Esc / back", 1001: "back", 282: "F1 (settings)"}


class PinPopup(Popup):
    """The maintenance PIN pad a technician opens with the corner taps to leave the kiosk program; wrong tries are
    counted and lock it for a while."""
    typed = StringProperty("")
    message = StringProperty("")

    def __init__(self, gate: PinGate, on_ok, **kw):
        super().__init__(**kw)
        self.gate, self.on_ok = gate, on_ok
        self.message = self._ask() if gate.configured else \
            "Máy này chưa có mã bảo trì (kiosks[].maintenance_pin)\nNo maintenance PIN is configured"

    def _ask(self) -> str:
        if self.gate.locked():
            return f"Tạm khóa {PIN_LOCKOUT_S / 60:.0f} phút\nLocked for {PIN_LOCKOUT_S / 60:.0f} minutes"
        return "Nhập mã PIN để thoát chương trình\nEnter the PIN to leave the kiosk program"

    def submit(self) -> None:
        if not self.gate.configured:
            return                    # the message already says there is no PIN
        result, self.typed = self.gate.check(self.typed), ""
        if result == "ok":
            self.dismiss()
            self.on_ok()
        elif result == "wrong":
            left = PIN_TRIES - self.gate.wrong
            self.message = f"Sai mã PIN — còn {left} lần thử\nWrong PIN — {left} tries left"
        else:
            self.message = self._ask()


class Guard:
    """Keeps the kiosk a kiosk: blocks the keys that would leave or switch programs, resets to the home screen when
    idle, takes a scanner's keystrokes as one scanned code, and leaves only with the maintenance PIN."""

    def __init__(self, app, kiosk: Kiosk, clock=time.monotonic):
        self.app, self.clock = app, clock
        self.idle = IdleTimer(kiosk.idle_reset_s, clock)
        self.corner = CornerTaps(clock)
        self.pin = PinGate(kiosk.maintenance_pin, clock)
        self.scan = ScanBuffer()
        self.leaving = False
        from kivy.core.window import Window  # here, not at import: the window's size is set first
        self.window = Window
        Window.bind(on_keyboard=self.on_keyboard, on_request_close=self.on_request_close,
                    on_touch_down=self.on_touch_down, on_textinput=self.on_textinput)
        # asking for the system keyboard turns on SDL's text input: a scanner's keystrokes arrive
        self.keyboard = Window.request_keyboard(lambda: None, None, "text")
        Clock.schedule_interval(self.check_idle, 1.0)

    # --- the window -----------------------------------------------------------------------
    def on_keyboard(self, window, key, *args) -> bool:
        self.idle.touched()
        if key in BLOCKED_KEYS:
            log.info("phím %s bị chặn / key blocked", BLOCKED_KEYS[key])
            return True
        if key in ENTER_KEYS:
            text = self.scan.enter(self.clock())
            if text is not None and not self.popup_open():
                self.app.scanned(text)
            return True
        return False

    def on_textinput(self, window, text: str) -> None:
        self.idle.touched()
        self.scan.feed(text, self.clock())

    def on_request_close(self, window, *args, **kw) -> bool:
        """True keeps the window open: Alt+F4 and the window manager's close do nothing."""
        if not self.leaving:
            log.info("yêu cầu đóng cửa sổ bị chặn / window close refused")
        return not self.leaving

    def on_touch_down(self, window, touch) -> bool:
        self.idle.touched()
        if self.corner.tap(touch.x, touch.y, window.height, self.app.u) and not self.popup_open():
            PinPopup(self.pin, self.leave).open()
            return True
        return False

    # --- time -----------------------------------------------------------------------------
    def check_idle(self, dt: float) -> None:
        if self.idle.due() and (self.app.needs_reset() or self.popup_open()):
            log.info("không ai chạm %ss: về trang chủ / idle: back home", self.idle.seconds)
            self.reset()

    def reset(self) -> None:
        for w in list(self.window.children):
            if isinstance(w, ModalView):
                w.dismiss(animation=False)
        self.scan.clear()
        self.app.reset()
        self.idle.touched()

    def popup_open(self) -> bool:
        return any(isinstance(w, ModalView) for w in self.window.children)

    def leave(self) -> None:
        log.warning("thoát chương trình để bảo trì / maintenance exit (PIN accepted)")
        self.leaving = True
        self.app.exit_code = EX_MAINTENANCE
        self.app.stop()
