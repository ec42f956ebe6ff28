"""A scripted tour of the real kiosk app with touches: ``make demo`` on a machine without a screen,
tests/kiosk/ui/test_tour.py, and the README's screenshots.

    python -m kiosk.ui.tour SITE.yaml KIOSK_ID OUT_DIR [--portrait] [--parts take,lookup,large,limit,unattended,card]
        [--cards CARDS.json]

Each part (``tour_steps.py``) is a list of steps that wait on the screen, not on the clock. Every
screen is saved as OUT_DIR/<name>.png and measured: touch targets of at least 60 px and text of at
least 28 px (scaled to the configured screen), no text that spills out of its box, and the contrast
of every text read off the saved frame (at least 7:1). In the large mode every text is at least 1.5
times what the same text was in the normal mode. A JSON summary goes to stdout.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
import weakref
from pathlib import Path

from .contrast import text_contrast

os.environ.setdefault("KIVY_NO_ARGS", "1")
os.environ.setdefault("KIVY_NO_FILELOG", "1")

STEP_TIMEOUT_S = 20.0


class Tour:
    """Drives the real kiosk app by touches, saving and measuring each screen (target sizes, text sizes, overflow,
    contrast) into ``summary``; the steps live in ``tour_steps``."""

    def __init__(self, app, client, desk, out: Path):
        self.app, self.client, self.desk, self.out = app, client, desk, out
        self.summary: dict = {"screens": [], "taps_accepted": 0, "size_problems": {}, "contrast": {},
                              "contrast_problems": {}, "large_compared": 0}
        self.steps: list = []
        self.cards: list[str] = []                          # ID cards' QR texts, for the card part
        self.normal_size = weakref.WeakKeyDictionary()      # a text's size in the normal mode, by widget

    # --- hands and eyes -------------------------------------------------------------------
    def tap(self, widget) -> None:
        self.tap_at(*widget.to_window(*widget.center))

    def tap_at(self, x: float, y: float) -> None:
        from kivy.tests.common import UnitTestTouch
        t = UnitTestTouch(x, y)
        t.touch_down()
        t.touch_up()

    def screen(self, name: str | None = None):
        return self.app.root.get_screen(name or self.app.root.current)

    def popup(self):
        from kivy.uix.modalview import ModalView
        return next((w for w in self.app.root_window.children if isinstance(w, ModalView)), None)

    def button(self, text: str, where=None):
        """The visible button showing ``text`` on the popup, else on the current screen."""
        where = where or self.popup() or self.screen()
        return next(w for w in where.walk() if getattr(w, "text", None) == text and hasattr(w, "trigger_action"))

    def showing(self, name: str):
        """A step's condition: the screen ``name`` is on, and no lookup is under way."""
        return lambda: self.app.root.current == name and not self.app.looking

    def tiles(self) -> list:
        """The services a citizen can tap now, as shown."""
        return [w for w in reversed(self.screen("services").ids.grid.children) if not w.disabled]

    def buttons_shown(self) -> list[str]:
        """What a citizen can press on the current screen, from the top."""
        shown = [w for w in self.screen().walk() if hasattr(w, "trigger_action") and _shown(w) and not w.disabled]
        return [w.text for w in sorted(shown, key=lambda w: -w.to_window(*w.pos)[1])]

    def type_keys(self, keys: str) -> None:
        pads = [self.screen("lookup").ids.letters, self.screen("lookup").ids.digits]
        for k in keys:
            self.tap(next(b for pad in pads for b in pad.children if b.text == k))

    def shot(self, name: str) -> None:
        from kivy.core.window import Window
        from PIL import Image
        made = Window.screenshot(name=str(self.out / f"{name}-.png"))
        os.replace(made, self.out / f"{name}.png")
        with Image.open(self.out / f"{name}.png") as frame:
            self.measure(name, frame.convert("RGB"))          # once per screen; each text crops it
        self.summary["screens"].append(name)

    def measure(self, name: str, frame) -> None:
        """What a person would check with a ruler and their eyes, on every widget that shows."""
        from kivy.uix.behaviors import ButtonBehavior
        from kivy.uix.label import Label

        from ..unattended import MIN_TARGET_PX
        problems, ratios, dim = [], [], []
        for w in (self.popup() or self.screen()).walk():
            if not _shown(w):
                continue
            what = f"{type(w).__name__} {getattr(w, 'text', '')[:30]!r}"
            if isinstance(w, ButtonBehavior) and min(w.size) < MIN_TARGET_PX * self.app.u - 0.5:
                problems.append(f"{what}: touch target {w.width:.0f}x{w.height:.0f}")
            if isinstance(w, Label) and w.text.strip():
                problems += [f"{what}: {problem}" for problem in self._text_problems(w)]
                self._read_contrast(w, what, frame, ratios, dim)
        if problems:
            self.summary["size_problems"][name] = problems
        if dim:
            self.summary["contrast_problems"][name] = dim
        self.summary["contrast"][name] = {"texts": len(ratios), "lowest": min(ratios, default=None)}

    def _text_problems(self, w) -> list[str]:
        """A label's text: big enough for this screen, not squeezed to a letter or two a line, not
        spilling out of its box."""
        from ..theme import LARGE_TEXT
        from ..unattended import MIN_TEXT_PX
        problems = []
        if w.font_size < MIN_TEXT_PX * self.app.u * (LARGE_TEXT if self.app.large else 1) - 0.5:
            problems.append(f"text {w.font_size:.0f} px")
        problems += self._compared_with_normal(w)
        tw, th = w.texture_size
        if w.text_size[0] is not None and w.text_size[0] < w.font_size * 3:
            problems.append(f"squeezed to {w.text_size[0]:.0f} px, a letter or two a line")
        if not w.shorten and (tw > w.width + 2 or th > w.height + 2):
            problems.append(f"text {tw}x{th} spills out of {w.width:.0f}x{w.height:.0f}")
        return problems

    def _compared_with_normal(self, w) -> list[str]:
        """In the normal mode a label's size is noted; in the large mode the same label is at least
        LARGE_TEXT times that size."""
        from ..theme import LARGE_TEXT
        if not self.app.large:
            self.normal_size[w] = w.font_size
            return []
        if w not in self.normal_size:
            return []
        self.summary["large_compared"] += 1
        normal = self.normal_size[w]
        if w.font_size < normal * LARGE_TEXT - 0.5:
            return [f"text {w.font_size:.0f} px, {normal:.0f} px normally"]
        return []

    @staticmethod
    def _read_contrast(w, what: str, frame, ratios: list[float], dim: list[str]) -> None:
        """The contrast of a label's text as drawn on the saved frame: noted, and named in ``dim``
        when under AAA."""
        from ..theme import AAA
        seen = text_contrast(frame, _texture_box(w, frame.size))
        if seen is None:
            return
        ratios.append(seen.ratio)
        if seen.ratio < AAA:
            dim.append(f"{what}: {seen.ratio}:1, {seen.ink} on {seen.background}")

    # --- the script -------------------------------------------------------------------------
    def add(self, *steps) -> None:
        """Each step: (least wait in s, what must be true first, what to do)."""
        self.steps.extend(steps)

    def run_steps(self, i: int = 0, since: float | None = None, seen: bool = False) -> None:
        """A step acts once it has been ready on two looks 50 ms apart: by then the screen has been
        drawn as it now is, so a screenshot shows what was measured."""
        from kivy.clock import Clock
        if i == len(self.steps):
            self.app.stop()
            return
        wait, ready, action = self.steps[i]
        now = time.monotonic()
        since = now if since is None else since
        if now - since >= wait and ready():
            if not seen:
                Clock.schedule_once(lambda dt: self.run_steps(i, since, seen=True), 0.05)
                return
            action()
            Clock.schedule_once(lambda dt: self.run_steps(i + 1), 0)
        elif now - since > STEP_TIMEOUT_S:
            self.summary["stuck_at_step"] = i
            self.app.stop()
        else:
            Clock.schedule_once(lambda dt: self.run_steps(i, since), 0.05)


def _texture_box(w, frame_size: tuple[int, int]) -> tuple[int, int, int, int]:
    """Where a label's text is drawn (Kivy centres its texture), in the frame's pixels, cut to what
    the window and any scrolling box around it let show."""
    from kivy.uix.stencilview import StencilView
    tw, th = w.texture_size
    x0, y0 = w.to_window(int(w.center_x - tw / 2), int(w.center_y - th / 2))
    left, bottom, right, top = x0, y0, x0 + tw, y0 + th
    node = w.parent
    while node is not None and node is not node.parent:
        if isinstance(node, StencilView):
            sx, sy = node.to_window(*node.pos)
            left, bottom = max(left, sx), max(bottom, sy)
            right, top = min(right, sx + node.width), min(top, sy + node.height)
        node = node.parent
    width, height = frame_size
    left, right = max(0, left), min(width, right)
    bottom, top = max(0, bottom), min(height, top)
    return int(left), int(height - top), int(right), int(height - bottom)


def _shown(w) -> bool:
    """On screen and visible: opacity above zero up the tree, and not squeezed to nothing."""
    node = w
    while node is not None and node is not node.parent:
        if getattr(node, "opacity", 1) == 0:
            return False
        node = node.parent
    return w.width > 1 and w.height > 1


def main(argv: list[str] | None = None) -> int:
    """``python -m kiosk.ui.tour SITE KIOSK OUT``: run the named parts of the tour against the site's broker and hub and
    write the screens and a summary to ``OUT``."""
    p = argparse.ArgumentParser(prog="python -m kiosk.ui.tour")
    p.add_argument("site"), p.add_argument("kiosk_id"), p.add_argument("out", type=Path)
    p.add_argument("--portrait", action="store_true")
    p.add_argument("--cards", type=Path, help="a JSON list of ID cards' QR texts, for the card part")
    p.add_argument("--parts", default="take,lookup,large,limit",
                   help="take, lookup, large, limit, unattended, card (comma-separated, in this order)")
    args = p.parse_args(argv)
    from kivy.config import Config
    Config.set("graphics", "width", "1080" if args.portrait else "1920")
    Config.set("graphics", "height", "1920" if args.portrait else "1080")
    Config.set("kivy", "exit_on_escape", "0")

    from kivy.clock import Clock

    from motcua import config
    from motcua.contract import component_name

    from ..__main__ import assemble
    from . import tour_steps
    cfg = config.load(args.site)
    kiosk = next(k for k in cfg.kiosks if k.id == args.kiosk_id)
    app, client, desk = assemble(cfg, kiosk, component_name("kiosk", args.kiosk_id))
    args.out.mkdir(parents=True, exist_ok=True)
    tour = Tour(app, client, desk, args.out)
    tour.cards = json.loads(args.cards.read_text(encoding="utf-8")) if args.cards else []
    for part in args.parts.split(","):
        getattr(tour_steps, part)(tour)
    Clock.schedule_once(lambda dt: tour.run_steps(), 0)
    client.start(wait=None)
    app.run()
    client.stop()
    tour.summary["exit_code"] = getattr(app, "exit_code", None)
    print(json.dumps(tour.summary, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
