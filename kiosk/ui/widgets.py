"""The kiosk's screens and the few widgets with behaviour; how they look is in the .kv files."""
from __future__ import annotations

from kivy.factory import Factory
from kivy.properties import BooleanProperty, NumericProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.popup import Popup
from kivy.uix.screenmanager import Screen


class HomeScreen(Screen):
    """The first screen: take a number, look up a dossier, the language and the large look (laid out in home.kv)."""
    pass


class ServicesScreen(Screen):
    """The services to take a number in, as tiles in a grid that scrolls when there are many (services.kv)."""

    @staticmethod
    def row_height(room: float, tiles: int, cols: int, spacing: float) -> float:
        """Few tiles share the room; many keep this much and scroll."""
        rows = max(1, -(-tiles // max(1, cols)))
        return max(0.0, (room - spacing * (rows - 1)) / rows)


class ResultScreen(Screen):
    """The outcome of a tap: the number printed, or why not (result.kv)."""
    ok = BooleanProperty(True)
    headline = StringProperty("")
    label = StringProperty("")
    details = StringProperty("")


class LookupScreen(Screen):
    """Typing or scanning a dossier code (lookup.kv)."""
    pass


class DossierScreen(Screen):
    """A dossier found: its rows of facts (dossier.kv)."""
    pass


class ProblemScreen(Screen):
    """Why a number could not be taken or a dossier not found, in words for a citizen (problem.kv)."""
    pass


class DossierRow(BoxLayout):
    """One fact of a dossier on the dossier screen: its name and value."""
    name = StringProperty("")
    value = StringProperty("")


class ButtonRow(BoxLayout):
    """A row of buttons at a screen's foot, as tall as the tallest text in it needs (large text
    wraps on an upright screen)."""
    least = NumericProperty(0)
    pad = NumericProperty(0)

    def __init__(self, **kw):
        super().__init__(**kw)
        self.bind(least=self._fit, pad=self._fit)

    def add_widget(self, widget, *args, **kw):
        super().add_widget(widget, *args, **kw)
        widget.bind(texture_size=self._fit)
        self._fit()

    def _fit(self, *args) -> None:
        self.height = max([self.least] + [c.texture_size[1] + self.pad for c in self.children])


class Keypad(GridLayout):
    """A grid of ``KeyButton``s, one per character of ``keys``; a press dispatches ``on_key``."""
    keys = StringProperty("")
    __events__ = ("on_key",)

    def on_keys(self, instance, keys: str) -> None:
        self.clear_widgets()
        for k in keys:
            button = Factory.KeyButton(text=k)
            button.bind(on_release=lambda b: self.dispatch("on_key", b.text))
            self.add_widget(button)

    def on_key(self, key: str) -> None:
        pass


class PriorityPopup(Popup):
    """Asks before a ticket whether the citizen is elderly, disabled or pregnant (a priority ticket); ``on_answer`` gets
    the answer."""

    def __init__(self, on_answer, **kw):
        super().__init__(**kw)
        self.on_answer = on_answer

    def answer(self, yes: bool) -> None:
        self.dismiss()
        self.on_answer(yes)
