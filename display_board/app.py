"""The wall screen's Kivy App: thin on purpose; what to show comes from ``BoardModel``."""
from __future__ import annotations

import logging
import math
import time
from datetime import datetime
from pathlib import Path

from kivy.app import App
from kivy.clock import Clock, mainthread
from kivy.lang import Builder
from kivy.properties import BooleanProperty, NumericProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.label import Label

from .model import BoardModel, Snapshot, plain, waiting_text

# loaded by hand: a file named after the App (board.kv) would be loaded a second time by Kivy
Builder.load_file(str(Path(__file__).with_name("screen.kv")))
REFRESH_S = 0.1
NOTICE_SPEED = 120       # dots per second when the notice is longer than the screen


class FreshLabel(Label):
    """A label that draws each new text into a new texture. Uploading into the texture that the
    frame being drawn still samples makes the GL driver wait for that frame: with Mesa's software
    renderer it was ~24 ms of a 419×383 label's update, 0.06 ms into a new texture (measured;
    docs/display.md). The price: the driver holds ~110 MB more (a plateau, not a leak)."""

    def texture_update(self, *largs) -> None:
        self._label.texture = None
        super().texture_update(*largs)


class CounterTile(BoxLayout):
    """One counter's tile: its name and the ticket it serves; ``lit`` while it blinks for the newest call."""
    name = StringProperty("")
    ticket = StringProperty("----")
    lit = BooleanProperty(False)


class BoardScreen(BoxLayout):
    """The wall screen's one layout (see its kv rules): counter tiles in as many columns as fit, the last calls, the
    waiting counts and the scrolling notice, sized in units of ``u``."""
    centre = StringProperty("")
    clock = StringProperty("")
    offline_text = StringProperty("")
    last_calls = StringProperty("")
    waiting = StringProperty("")
    notice = StringProperty("")
    notice_x = NumericProperty(0)
    columns = NumericProperty(3)
    u = NumericProperty(1.0)        # 1 at 1080p, either way up: every size is a multiple of it

    def show(self, snap: Snapshot, now: datetime, tz) -> None:
        tiles = self.ids.tiles
        if len(tiles.children) != len(snap.tiles):
            tiles.clear_widgets()
            for _ in snap.tiles:
                tiles.add_widget(CounterTile())
        body = self.ids.body   # the grid's share of the body, before the grid has laid itself out
        share = (0.7, 1.0) if self.width >= self.height else (1.0, 0.68)
        self.columns = best_columns(len(snap.tiles), body.width * share[0], body.height * share[1])
        for widget, tile in zip(reversed(tiles.children), snap.tiles, strict=True):
            widget.name = tile.name_vi
            widget.ticket = "TẠM NGHỈ" if tile.paused else (tile.ticket or "----")
            widget.lit = tile.counter == snap.newest and snap.blink_on
        self.clock = now.astimezone(tz).strftime("%H:%M:%S   %d/%m/%Y")
        self.offline_text = "" if snap.connected else "MẤT KẾT NỐI / OFFLINE"
        self.last_calls = "\n".join(f"[b]{plain(t)}[/b]  —  {plain(c)}" for t, c in snap.last_calls) or "—"
        self.waiting = waiting_text(snap.waiting)

    def scroll_notice(self, dt: float) -> None:
        bar, label = self.ids.notice_bar, self.ids.notice
        if label.texture_size[0] <= bar.width:
            self.notice_x = bar.x + (bar.width - label.texture_size[0]) / 2
            return
        self.notice_x -= NOTICE_SPEED * dt
        if self.notice_x + label.width < bar.x:
            self.notice_x = bar.right


def best_columns(n: int, width: float, height: float) -> int:
    """Columns for n tiles that keep them closest to 2:1 (wide) in the space."""
    best, best_score = 1, math.inf
    for cols in range(1, max(1, n) + 1):
        rows = math.ceil(n / cols)
        ratio = (width / cols) / max(1.0, height / rows)
        score = abs(math.log(ratio / 2.0))
        if score < best_score:
            best, best_score = cols, score
    return best


log = logging.getLogger(__name__)


class BoardApp(App):
    """The Kivy app of the wall screen: redraws from ``BoardModel`` every tick, and at once on a call; logs when the
    frame showing a new call reaches the screen, to measure the delay from the hub."""

    def __init__(self, model: BoardModel, centre: str, notice: str, tz, **kw):
        super().__init__(**kw)
        self.model, self.centre, self.notice, self.tz = model, centre, notice, tz
        self.title = "motcua — bảng gọi số"
        self._shown_call = None
        self._flip_note: str | None = None

    def build(self) -> BoardScreen:
        from kivy.core.window import Window
        Window.bind(on_flip=self._flipped)
        screen = BoardScreen(centre=self.centre, notice=self.notice)
        Clock.schedule_interval(self._refresh, REFRESH_S)
        Clock.schedule_interval(screen.scroll_notice, 1 / 30)
        return screen

    def _refresh(self, dt: float = 0) -> None:
        snap = self.model.snapshot()
        self.root.show(snap, datetime.now(self.tz), self.tz)
        if snap.last_calls and snap.last_calls[0] != self._shown_call:
            self._shown_call = snap.last_calls[0]     # this frame draws it: say when it is on screen
            self._flip_note = snap.last_calls[0][0]

    def _flipped(self, window) -> None:
        if self._flip_note is not None:
            log.debug("frame shows %s at %.6f", self._flip_note, time.monotonic())
            self._flip_note = None

    def retitle(self, centre: str, notice: str) -> None:
        """A new centre name or notice line from a new site document (SPEC 2.1), on Kivy's thread."""
        self.centre, self.notice = centre, notice
        if self.root is not None:
            self.root.centre, self.root.notice = centre, notice

    @mainthread
    def changed(self) -> None:
        """Called from the MQTT thread on a call: draw it on the next frame, not at the next tick."""
        if self.root is not None:
            self._refresh()
