"""What both Kivy processes (the kiosk and the wall screen) do around their App: the window, the
watchdog (fed by frames actually drawn while the MQTT link was proven up within a minute),
exit 78 on refused credentials, ``--screenshot``, READY, a clean stop.

Kivy is imported inside the functions: importing this module loads nothing.
"""
from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from .exits import EX_CONFIG
from .link import Link
from .sdnotify import Notifier
from .startup import on_stop

SCREENSHOT_AFTER_S = 1.5     # long enough for the retained state to arrive


def configure_window(portrait: bool, screenshot: bool) -> None:
    """1080p either way up, or the screen's own size under cage (``MOTCUA_SCREEN_SIZE``, motcua.appliance.screen);
    full screen on a board (not for a screenshot or offscreen), with no mouse pointer, and nothing that a key or a
    right click does to the window: nobody in the hall may close it, and a right click must not leave Kivy's red
    multitouch dots."""
    from kivy.config import Config
    width, height = ("1080", "1920") if portrait else ("1920", "1080")
    size = os.environ.get("MOTCUA_SCREEN_SIZE", "").split("x")
    if len(size) == 2 and all(n.isdigit() and 0 < int(n) < 10000 for n in size) and not screenshot:
        width, height = size
    Config.set("graphics", "width", width)
    Config.set("graphics", "height", height)
    Config.set("kivy", "exit_on_escape", "0")
    Config.set("kivy", "keyboard_mode", "system")
    Config.set("input", "mouse", "mouse,disable_multitouch")
    if not screenshot and os.environ.get("SDL_VIDEODRIVER") != "offscreen":
        Config.set("graphics", "fullscreen", "auto")
        Config.set("graphics", "show_cursor", "0")


def run_app(app, link: Link, start: Callable[[], None], stop: Callable[[], None], screenshot: str | None,
            what: str, log) -> int:
    """Run the App until it stops; its exit code (0, or 78 when the broker refused us)."""
    from kivy.clock import Clock
    notifier = Notifier()
    app.exit_code = 0

    def heartbeat(dt: float) -> None:
        """Once a second: stop on refused credentials, and ask for a frame even on a still screen
        (Kivy draws only when something changed), so that a turning UI always feeds the watchdog."""
        from kivy.core.window import Window
        if link.fatal_event.is_set():
            log.error("%s", link.fatal)
            app.exit_code = EX_CONFIG
            app.stop()
        Window.canvas.ask_update()

    flips = [0]                 # frames put on the screen so far

    def drawn(window) -> None:
        """SPEC 10.1: a frame on the screen is the proof, while the link was proven up within a
        minute (``Link.vouches()``; the screen says MẤT KẾT NỐI meanwhile); cut off longer, systemd restarts us."""
        flips[0] += 1
        if link.vouches():
            notifier.watchdog()

    def watch_frames(dt: float) -> None:
        """Once the App has made the window (made before it, a kiosk's first frames stay black)."""
        from kivy.core.window import Window
        Window.bind(on_flip=drawn)

    def take_screenshot(dt: float, after: int | None = None, tries: int = 100) -> None:
        """Once two frames were drawn after the state arrived: on a loaded machine the first frame comes late, and a
        screenshot of a window not yet drawn is black."""
        from kivy.core.window import Window
        after = flips[0] if after is None else after
        if flips[0] < after + 2 and tries:
            Window.canvas.ask_update()
            Clock.schedule_once(lambda dt: take_screenshot(dt, after, tries - 1), 0.1)
            return
        made = Window.screenshot(name=str(Path(screenshot).with_suffix("")) + "-.png")
        os.replace(made, screenshot)
        app.stop()

    Clock.schedule_once(watch_frames, 0)
    Clock.schedule_interval(heartbeat, 1.0)
    if screenshot:
        Clock.schedule_once(take_screenshot, SCREENSHOT_AFTER_S)
    else:
        Clock.schedule_once(lambda dt: notifier.ready(what), 0)
    on_stop(app.stop)
    start()
    try:
        app.run()
    finally:
        notifier.stopping()
        stop()
    return app.exit_code
