"""The kiosk's Kivy App: thin on purpose. The logic is plain Python: taking a number in
``kiosk.taking``, the dossier lookup in ``kiosk.dossier_lookup``, typing in ``kiosk.code_entry``,
the unattended rules in ``kiosk.unattended`` (wired to the window by ``guard.py``), the two looks
(normal, and large with high contrast) in ``kiosk.theme``."""
from __future__ import annotations

import logging
import time
from datetime import datetime
from pathlib import Path

from kivy.app import App
from kivy.clock import Clock, mainthread
from kivy.factory import Factory
from kivy.lang import Builder
from kivy.properties import AliasProperty, BooleanProperty, NumericProperty, StringProperty
from kivy.uix.screenmanager import NoTransition, ScreenManager
from kivy.utils import escape_markup

from motcua.config import Kiosk
from motcua.contract import ERRORS, normalise_dossier_code

from .. import guidance
from ..code_entry import CodeEntry
from ..dossier_lookup import Answer, DossierLookup, dossier_rows, problem_text, status_line
from ..id_card import looks_like_card
from ..printing.flow import Taken
from ..taking import KioskModel
from ..theme import LARGE_TEXT, palette
from ..unattended import ui_scale
from .guard import Guard
from .widgets import (
    DossierRow,
    DossierScreen,
    HomeScreen,
    LookupScreen,
    PriorityPopup,
    ProblemScreen,
    ResultScreen,
    ServicesScreen,
)

HERE = Path(__file__).parent
for kv in ("common", "home", "services", "result", "lookup", "dossier", "problem", "pin"):   # one per screen
    Builder.load_file(str(HERE / f"{kv}.kv"))
RESULT_SHOWN_S = 8.0
log = logging.getLogger(__name__)


class KioskApp(App):
    """The kiosk's Kivy app: its screens (take a number, look a dossier up, results, problems), the normal and large
    looks, "Listen", and the guard that keeps a citizen inside the program."""
    lang = StringProperty("vi")
    centre = StringProperty("")
    clock = StringProperty("")
    banner = StringProperty("")      # why no number can be taken
    lookup_banner = StringProperty("")   # why no dossier can be looked up (the printer does not matter)
    card_note = StringProperty("")    # an ID card was read for the next ticket (never what it holds)
    u = NumericProperty(1.0)          # 1 on the reference 21.5-inch 1080p screen, either way up
    large = BooleanProperty(False)    # the large, high-contrast mode
    large_enabled = BooleanProperty(True)
    # the text's unit (u, times 1.5 in the large mode) and the mode's colours (kiosk.theme)
    f = AliasProperty(lambda self: self.u * (LARGE_TEXT if self.large else 1), bind=("u", "large"), cache=True)
    c = AliasProperty(lambda self: palette(self.large), bind=("large",), cache=True)
    typed = StringProperty("")        # the dossier code typed so far
    guide = StringProperty("")        # the rest of the code's format
    looking = BooleanProperty(False)  # a lookup is under way
    lookup_enabled = BooleanProperty(True)
    speaking = BooleanProperty(False)     # "Listen" is reading the screen aloud
    speech_enabled = BooleanProperty(True)
    use_kivy_settings = False

    def __init__(self, model: KioskModel, lookup: DossierLookup, kiosk: Kiosk, tz, speaker=None, **kw):
        super().__init__(**kw)
        self.model, self.lookup, self.kiosk, self.tz, self.speaker = model, lookup, kiosk, tz, speaker
        self.speech_enabled = speaker is not None
        self.last_ticket: dict | None = None
        self.centre = model.cfg.site.name
        self.lookup_enabled = kiosk.dossier_lookup
        self.large_enabled = kiosk.large_mode
        self.title = "motcua — lấy số thứ tự, tra cứu hồ sơ"
        self.entry = CodeEntry()
        self.guide = self.entry.guide()
        self._back_home = None
        self.last_dossier: dict = {}
        self._asked = 0                # which lookup the screen waits for; a reset forgets the rest

    def build(self) -> ScreenManager:
        from kivy.core.window import Window
        Window.bind(on_flip=self._first_frame, size=self._scale)
        Window.allow_screensaver = False
        self._scale(Window, Window.size)
        sm = ScreenManager(transition=NoTransition())
        for screen in (HomeScreen(), ServicesScreen(), ResultScreen(), LookupScreen(), DossierScreen(),
                       ProblemScreen()):
            sm.add_widget(screen)
        self.guard = Guard(self, self.kiosk)
        Clock.schedule_interval(self.refresh, 0.5)
        Clock.schedule_once(self.refresh, 0)      # once root is set
        return sm

    def _scale(self, window, size) -> None:
        self.u = ui_scale(*size, self.kiosk.screen.diagonal_in)

    def set_large(self, on: bool) -> None:
        """The large, high-contrast mode: every screen at once, kept until the idle reset."""
        self.large = on and self.large_enabled
        self.refresh()

    def open_settings(self, *args) -> bool:
        return False                  # F1 must not open Kivy's settings panel in a public hall

    def _first_frame(self, window) -> None:
        log.info("first frame at %.6f", time.monotonic())      # start-up time, measured by the bench
        window.unbind(on_flip=self._first_frame)

    # --- what the screens show ----------------------------------------------------------
    def refresh(self, dt: float = 0) -> None:
        self.clock = datetime.now(self.tz).strftime("%H:%M  %d/%m/%Y")
        self.banner = self.model.banner()
        self.lookup_banner = "" if self.model.hub_ok else self.model.t("busy")
        self.card_note = self.model.card_note()
        grid = self.root.get_screen("services").ids.grid
        buttons = self.model.buttons()
        if len(grid.children) != len(buttons):
            grid.clear_widgets()
            for _ in buttons:
                tile = Factory.ServiceTile()
                tile.bind(on_release=self.tapped)
                grid.add_widget(tile)
        for tile, b in zip(reversed(grid.children), buttons, strict=True):
            tile.service_id = b.id
            # the tile reads markup for its size: a name or a supervisor's reason is shown as typed, [b] and all
            tile.text = f"{escape_markup(b.title)}\n[size={int(self.f * 30)}]{escape_markup(b.detail)}[/size]"
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
            self.model.forget_card()
            self.card_note = ""
        if self.speaker is not None and name != self.root.current:
            self.speaker.stop()               # what was read was another screen's
        self.root.current = name

    def needs_reset(self) -> bool:
        """Anything the last citizen left behind: another screen, typed text, English, large text."""
        return self.root.current != "home" or bool(self.entry.text) or self.lang != "vi" or self.large

    def reset(self) -> None:
        if self.speaker is not None:
            self.speaker.stop()
        self._asked += 1
        self.looking = False
        self.key("CLEAR")
        self.set_lang("vi")
        self.set_large(False)
        self.go("home")

    # --- taking a number ------------------------------------------------------------------
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
        self.last_ticket = t.ticket if t.ok else None
        if t.ok:
            tk = t.ticket
            r.ok, r.label = True, tk["label"]
            r.headline = "Mời nhận phiếu. Số thứ tự của bạn:" if vi else "Please take your ticket. Your number:"
            r.details = (("ƯU TIÊN · " if vi else "PRIORITY · ") if tk.get("priority") else "") + (
                f"{tk['waiting_ahead']} người chờ trước · khoảng {tk['estimated_wait_min']} phút" if vi else
                f"{tk['waiting_ahead']} ahead of you · about {tk['estimated_wait_min']} min")
        elif t.code == "person_limit_reached":
            detail = (t.vi if vi else t.en).partition(": ")[2]       # the hub's "at most … a day"
            self.show_problem("take", ERRORS[t.code][0 if vi else 1],
                              self.model.t("person_limit_body", detail=detail[:1].upper() + detail[1:]))
            return
        else:
            r.ok, r.label = False, ""
            r.headline, r.details = (t.vi, "") if vi else (t.en, "")
        self.go("result")
        self._back_home = Clock.schedule_once(lambda dt: self.go("home"), RESULT_SHOWN_S)
        self.refresh()

    # --- reading the screen aloud ------------------------------------------------------------
    def listen(self) -> None:
        if self.speaker is not None:
            self.speaker.toggle(guidance.for_screen(self, self.root.current), self.lang, self.root.current)

    @mainthread
    def set_speaking(self, on: bool) -> None:
        self.speaking = on

    # --- looking up a dossier ---------------------------------------------------------------
    def open_lookup(self, keep: bool = False) -> None:
        if not keep:
            self.key("CLEAR")
        self.go("lookup")

    def key(self, key: str) -> None:
        """A key of the on-screen keyboard: a character, BACKSPACE or CLEAR."""
        if key == "BACKSPACE":
            self.entry.backspace()
        elif key == "CLEAR":
            self.entry.clear()
        else:
            self.entry.press(key)
        self._show_typed()

    def _show_typed(self) -> None:
        self.typed, self.guide = self.entry.text, self.entry.guide()

    def look_up(self, text: str | None = None) -> None:
        self._asked += 1
        asked = self._asked
        if self.lookup.start(self.entry.text if text is None else text, lambda o: self.looked_up(o, asked)):
            self.looking = True

    def show_problem(self, kind: str, title: str, body: str) -> None:
        """The problem screen, for a lookup (``lookup``) or for taking a number (``take``)."""
        p = self.root.get_screen("problem")
        p.kind, p.title, p.body = kind, title, body
        self.go("problem")
        self.refresh()

    def scanned(self, text: str) -> None:
        """A scanner typed a code (or a URL holding one) and Enter, on whatever screen was showing.
        An ID card's QR is for the next ticket: read on any screen, it opens the services; never
        looked up, so nothing of it is shown."""
        if looks_like_card(text):
            if self.model.read_card(text):
                self.go("services")
                self.refresh()
            return
        if not self.lookup_enabled or self.looking:
            return
        self.entry.set(normalise_dossier_code(text) or text.strip().upper())
        self._show_typed()
        self.go("lookup")
        self.look_up(text)

    @mainthread
    def looked_up(self, outcome: Answer, asked: int) -> None:
        if asked != self._asked:
            return                    # the citizen went away (idle reset) or asked again
        self.looking = False
        if outcome.kind == "found":
            self.show_dossier(outcome.dossier)
        else:
            self.show_problem("lookup", *problem_text(outcome, self.lang))
        self.guard.idle.touched()     # a full idle period to read the answer

    def show_dossier(self, d: dict) -> None:
        self.last_dossier = d
        screen = self.root.get_screen("dossier")
        screen.status, screen.timeliness, screen.good = status_line(d, self.lang)
        rows = screen.ids.rows
        rows.clear_widgets()
        for name, value in dossier_rows(d, self.lang, self.tz):
            rows.add_widget(DossierRow(name=name, value=value))
        self.go("dossier")
