"""What a citizen types on the kiosk's keyboard, and what a barcode scanner types, in plain Python
so both test without a window.

A dossier code has 25 characters (``000.00.53.H48-220921-0099``); an elderly citizen should not have
to find the dots and dashes: they are put in as the digits come, and the rest of the format stays
visible as a guide.
"""
from __future__ import annotations

import re

from motcua.contract import DOSSIER_CODE_EXAMPLE, MAX_CODE_INPUT

# the code's shape from the contract's example: 'd' a digit, 'L' a letter, '.' and '-' themselves
TEMPLATE = re.sub(r"[A-Z]", "L", re.sub(r"\d", "d", DOSSIER_CODE_EXAMPLE))
SEPARATORS = ".-"
KEYS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ" + SEPARATORS
MAX_TYPED = len(TEMPLATE) + 5       # room to type a little past the format, then no more
ENTER_KEYS = (13, 271, 9)           # Enter, keypad Enter, Tab: what scanners send after a code
SCAN_GAP_S = 1.0                    # a scanner types a whole code far faster than this


class CodeEntry:
    """The code typed so far on the on-screen keyboard."""

    def __init__(self) -> None:
        self.text = ""

    def press(self, key: str) -> None:
        key = key.upper()
        if len(key) != 1 or key not in KEYS or len(self.text) >= MAX_TYPED:
            return
        expected = TEMPLATE[len(self.text)] if len(self.text) < len(TEMPLATE) else ""
        if expected in SEPARATORS and key not in SEPARATORS:
            self.text += expected                  # the citizen typed on; the dot or dash is implied
        self.text += key

    def backspace(self) -> None:
        self.text = self.text[:-1]

    def clear(self) -> None:
        self.text = ""

    def set(self, text: str) -> None:
        self.text = text[:MAX_TYPED]

    @property
    def complete(self) -> bool:
        return len(self.text) == len(TEMPLATE)

    def guide(self) -> str:
        """The rest of the format after what is typed: '_' where a digit or letter goes."""
        rest = TEMPLATE[len(self.text):]
        return "".join("_" if c in "dL" else c for c in rest)


class ScanBuffer:
    """Keystrokes from a barcode/QR scanner (a USB keyboard to the system), up to its Enter.

    Characters older than ``SCAN_GAP_S`` belong to a scan that never finished and are dropped. At
    most one character past ``MAX_CODE_INPUT`` is kept: enough for the lookup to say "not a code".
    """

    def __init__(self) -> None:
        self.text, self.last = "", float("-inf")

    def feed(self, text: str, now: float) -> None:
        if now - self.last > SCAN_GAP_S:
            self.text = ""
        self.last = now
        self.text = (self.text + text)[:MAX_CODE_INPUT + 1]

    def enter(self, now: float) -> str | None:
        """What was scanned, when Enter ends a fresh scan; None otherwise."""
        text, fresh = self.text, now - self.last <= SCAN_GAP_S
        self.text = ""
        return text if fresh and text.strip() else None

    def clear(self) -> None:
        self.text = ""


def shown(typed: str, guide: str, per_line: int, guide_colour: str) -> str:
    """The field's markup: what is typed, then the guide in ``guide_colour``, broken after a '.' or
    '-' so that no line holds more than ``per_line`` characters (large text on an upright screen).
    The code holds only letters, digits, '.' and '-', so nothing in it reads as markup."""
    full, breaks, start = typed + guide, set(), 0
    while len(full) - start > per_line:
        cut = max((i + 1 for i in range(start, start + per_line) if full[i] in SEPARATORS), default=0)
        start = cut if cut > start else start + max(1, per_line)
        breaks.add(start)
    out = []
    for i, ch in enumerate(full):
        if i in breaks:
            out.append("\n")
        if i == len(typed):
            out.append(f"[color={guide_colour}]")
        out.append(ch)
    return "".join(out) + ("[/color]" if guide else "")
