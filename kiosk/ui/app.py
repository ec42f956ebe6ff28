"""The kiosk's Kivy App: thin on purpose; the logic is ``kiosk.taking.KioskModel``."""
from __future__ import annotations

import logging
import time
from datetime import datetime
from pathlib import Path

from kivy.app import App
from kivy.clock import Clock, mainthread
from kivy.lang import Builder
from kivy.properties import BooleanProperty, NumericProperty, StringProperty
from kivy.uix.popup import Popup
from kivy.uix.screenmanager import NoTransition, Screen, ScreenManager

from ..printing.flow import Taken
from ..taking import KioskModel

HERE = Path(__file__).parent
for kv in ("common", "home", "services", "result"):      # one .kv per screen
    Builder.load_file(str(HERE / f"{kv}.kv"))
RESULT_SHOWN_S = 8.0
log = logging.getLogger("motcua.kiosk")


class HomeScreen(Screen):
    pass


class ServicesScreen(Screen):
    pass


class ResultScreen(Screen):
    ok = BooleanProperty(True)
    headline = StringProperty("")
    label = StringProperty("")
    details = StringProperty("")


class PriorityPopup(Popup):
    def __init__(self, on_answer, **kw):
        super().__init__(**kw)
        self.on_answer = on_answer

    def answer(self, yes: bool) -> None:
        self.dismiss()
        self.on_answer(yes)


class KioskApp(App):
    lang = StringProperty("vi")
    centre = StringProperty("")
    clock = StringProperty("")
    banner = StringProperty("")
    u = NumericProperty(1.0)          # 1 on a 1080p screen, either way up

    def __init__(self, model: KioskModel, tz, **kw):
        super().__init__(**kw)
        self.model, self.tz = model, tz
        self.centre = model.cfg.site.name
        self.title = "motcua — lấy số thứ tự"
        self._back_home = None

    def build(self) -> ScreenManager:
        from kivy.core.window import Window
        Window.bind(on_flip=self._first_frame)
        self.u = min(Window.width, Window.height) / 1080
        Window.bind(size=lambda w, size: setattr(self, "u", min(size) / 1080))
        sm = ScreenManager(transition=NoTransition())
        for screen in (HomeScreen(), ServicesScreen(), ResultScreen()):
            sm.add_widget(screen)
        Clock.schedule_interval(self.refresh, 0.5)
        Clock.schedule_once(self.refresh, 0)      # once root is set
        return sm

    def _first_frame(self, window) -> None:
        log.info("first frame at %.6f", time.monotonic())      # start-up time, measured by the bench
        window.unbind(on_flip=self._first_frame)

    # --- what the screens show ----------------------------------------------------------
    def refresh(self, dt: float = 0) -> None:
        self.clock = datetime.now(self.tz).strftime("%H:%M  %d/%m/%Y")
        self.banner = self.model.banner()
        grid = self.root.get_screen("services").ids.grid
        buttons = self.model.buttons()
        if len(grid.children) != len(buttons):
            from kivy.factory import Factory
            grid.clear_widgets()
            for _ in buttons:
                tile = Factory.ServiceTile()
                tile.bind(on_release=self.tapped)
                grid.add_widget(tile)
        for tile, b in zip(reversed(grid.children), buttons, strict=True):
            tile.service_id = b.id
            tile.text = f"{b.title}\n[size={int(self.u * 26)}]{b.detail}[/size]"
            tile.disabled = not b.enabled

    def set_lang(self, lang: str) -> None:
        self.model.lang = self.lang = lang
        self.refresh()

    def go(self, name: str) -> None:
        if self._back_home is not None:
            self._back_home.cancel()
            self._back_home = None
        if name == "home":
            self.root.get_screen("services").ids.priority.state = "normal"
        self.root.current = name

    # --- taps ---------------------------------------------------------------------------
    def ask_priority(self, toggle) -> None:
        if toggle.state == "down":
            toggle.state = "normal"
            PriorityPopup(on_answer=lambda yes: setattr(toggle, "state", "down" if yes else "normal")).open()

    def tapped(self, tile) -> None:
        priority = self.root.get_screen("services").ids.priority.state == "down"
        self.model.take(tile.service_id, priority, self.taken)

    @mainthread
    def taken(self, t: Taken) -> None:
        r = self.root.get_screen("result")
        vi = self.lang == "vi"
        if t.ok:
            tk = t.ticket
            r.ok, r.label = True, tk["label"]
            r.headline = "Mời nhận phiếu. Số thứ tự của bạn:" if vi else "Please take your ticket. Your number:"
            r.details = (f"{tk['waiting_ahead']} người chờ trước · khoảng {tk['estimated_wait_min']} phút" if vi else
                         f"{tk['waiting_ahead']} ahead of you · about {tk['estimated_wait_min']} min")
        else:
            r.ok, r.label = False, ""
            r.headline, r.details = (t.vi, "") if vi else (t.en, "")
        self.go("result")
        self._back_home = Clock.schedule_once(lambda dt: self.go("home"), RESULT_SHOWN_S)
        self.refresh()
