"""The site file's ``displays`` section: each wall screen's counters, notice and voice (SPEC section 8)."""
from __future__ import annotations

from dataclasses import dataclass, field

from ..contract import VOICE_PHRASE
from .common import ID_COUNTER, VOICE_NAME
from .schema import Bool, Dict, Int, List, Map, Str, Text


@dataclass(frozen=True)
class Voice:
    """A wall screen's voice; these defaults are what halls heard best: the phrase twice, slightly slow."""
    enabled: bool = True
    phrase: str = VOICE_PHRASE
    label_mode: str = "digits"        # "a, không, một, hai" or "a, mười hai"
    repeat: int = 2
    voice: str = "vi"
    speed: int = 135
    chime: bool = True
    device: str | None = None
    save_dir: str | None = None


DISPLAY_LAST_CALLS = 6     # the last calls a wall screen lists beside the current one


@dataclass(frozen=True)
class Display:
    """A ``displays`` entry: which counters one wall screen shows and calls aloud, how many last calls it lists, and how
    its voice says each counter."""
    id: str
    counters: tuple[str, ...]
    notice: str = ""
    last_calls: int = DISPLAY_LAST_CALLS
    spoken_counters: dict = field(default_factory=dict)    # counter id -> how the voice says it
    voice: Voice = Voice()


def _phrase_check(template: str) -> Text | None:
    try:
        template.format(ticket="a, một", counter="năm")
    except (KeyError, IndexError, ValueError, AttributeError) as e:     # {ticket.x}: no such attribute
        return (f"câu gọi sai ({e}); chỗ điền: {{ticket}} {{counter}}",
                f"bad phrase ({e}); placeholders: {{ticket}} {{counter}}")
    return None


V = Voice()
VOICE = Map({
    "enabled": Bool(default=V.enabled),
    "phrase": Str(min_len=1, max_len=200, default=V.phrase, check=_phrase_check),
    "label_mode": Str(choices=("digits", "number"), default=V.label_mode),
    "repeat": Int(min=1, max=3, default=V.repeat),
    "voice": Str(pattern=VOICE_NAME, default=V.voice),
    "speed": Int(min=80, max=300, default=V.speed),
    "chime": Bool(default=V.chime),
    "device": Str(max_len=100, optional=True),
    "save_dir": Str(max_len=300, optional=True),
}, build=Voice, default=V)
DISPLAYS = List(Map({
    "id": Str(pattern=ID_COUNTER),
    "counters": List(Str(pattern=ID_COUNTER), max_len=60),
    "notice": Str(max_len=500, default=""),
    "last_calls": Int(min=0, max=12, default=DISPLAY_LAST_CALLS),
    "spoken_counters": Dict(Str(pattern=ID_COUNTER), Str(min_len=1, max_len=60), default={}),
    "voice": VOICE,
}, build=lambda **kw: Display(**{**kw, "counters": tuple(kw["counters"])})), optional=True)
