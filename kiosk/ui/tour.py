"""A scripted tour of the real kiosk app with touches: ``make demo`` on a machine without a screen,
tests/test_kiosk.py, and the README's screenshots.

    python -m kiosk.ui.tour SITE.yaml KIOSK_ID OUT_DIR [portrait]

Home -> Lấy số thứ tự -> the priority toggle -> "Đúng" -> a service tapped three times quickly;
a screenshot of every screen; prints a JSON summary.
"""
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("KIVY_NO_ARGS", "1")
os.environ.setdefault("KIVY_NO_FILELOG", "1")

from kivy.config import Config  # noqa: E402

site, kiosk_id, out = sys.argv[1], sys.argv[2], Path(sys.argv[3])
portrait = len(sys.argv) > 4
Config.set("graphics", "width", "1080" if portrait else "1920")
Config.set("graphics", "height", "1920" if portrait else "1080")

from kivy.clock import Clock  # noqa: E402
from kivy.tests.common import UnitTestTouch  # noqa: E402

from kiosk import config  # noqa: E402
from kiosk.__main__ import assemble  # noqa: E402

cfg = config.load(site)
kiosk = next(k for k in cfg.kiosks if k["id"] == kiosk_id)
app, client, desk = assemble(cfg, kiosk, f"kiosk-{kiosk_id}")
summary: dict = {"screens": [], "taps_accepted": 0}
out.mkdir(parents=True, exist_ok=True)


def tap(widget) -> None:
    x, y = widget.to_window(*widget.center)
    t = UnitTestTouch(x, y)
    t.touch_down()
    t.touch_up()


def shot(name: str) -> None:
    from kivy.core.window import Window
    made = Window.screenshot(name=str(out / f"{name}-.png"))
    os.replace(made, out / f"{name}.png")
    summary["screens"].append(name)


def enabled_tiles():
    grid = app.root.get_screen("services").ids.grid
    return [t for t in reversed(grid.children) if not t.disabled]


def popup_open() -> bool:
    return len(app.root_window.children) > 1          # a ModalView sits on top of the screens


def result_shows(label_before: str):
    return lambda: app.root.current == "result" and app.root.get_screen("result").label not in ("", label_before)


def tap_yes() -> None:
    tap(next(w for w in app.root_window.children[0].walk() if getattr(w, "text", "") == "Đúng"))


# each step: (least wait, what must be true first, what to do) — waiting on the screen, not the clock
steps = [
    (0.5, lambda: app.model.hub_ok and enabled_tiles(), lambda: (desk.check_printer(), shot("home"))),
    (0.0, lambda: True, lambda: tap(app.root.get_screen("home").ids.take)),
    (0.3, lambda: app.root.current == "services",
     lambda: (shot("services"), summary.update(enabled=len(enabled_tiles())))),
    (0.0, lambda: True, lambda: tap(enabled_tiles()[0])),           # a triple tap, 80 ms apart, as a hand does
    (0.08, lambda: True, lambda: tap(enabled_tiles()[0])),
    (0.08, lambda: True, lambda: tap(enabled_tiles()[0])),
    (0.0, result_shows(""), lambda: (shot("result"), summary.update(
        label=app.root.get_screen("result").label, headline=app.root.get_screen("result").headline))),
    (0.0, lambda: True, lambda: app.go("services")),
    (0.0, lambda: app.root.current == "services", lambda: tap(app.root.get_screen("services").ids.priority)),
    (0.3, popup_open, lambda: shot("priority")),
    (0.0, lambda: True, tap_yes),
    (0.0, lambda: not popup_open(),
     lambda: summary.update(priority=app.root.get_screen("services").ids.priority.state)),
    (1.6, lambda: True, lambda: tap(enabled_tiles()[1])),          # past the one-tap guard: a priority ticket
    (0.0, lambda: result_shows(summary.get("label", ""))(),
     lambda: (shot("result-priority"), summary.update(priority_label=app.root.get_screen("result").label))),
]
STEP_TIMEOUT_S = 20.0


def run_steps(i: int = 0, since: float | None = None) -> None:
    """Do step i once its least wait has passed and its condition holds; then the next one."""
    if i == len(steps):
        app.stop()
        return
    wait, ready, action = steps[i]
    now = time.monotonic()
    since = now if since is None else since
    if now - since >= wait and ready():
        action()
        Clock.schedule_once(lambda dt: run_steps(i + 1), 0)
    elif now - since > STEP_TIMEOUT_S:
        summary["stuck_at_step"] = i
        app.stop()
    else:
        Clock.schedule_once(lambda dt: run_steps(i, since), 0.05)


Clock.schedule_once(lambda dt: run_steps(), 0)

original_take = app.model.take
app.model.take = lambda *a, **k: summary.__setitem__("taps_accepted", summary["taps_accepted"] + (
    1 if original_take(*a, **k) else 0)) or True
client.start(wait=None)
app.run()
client.stop()
print(json.dumps(summary, ensure_ascii=False))
