"""Texts from citizens (SPEC 11.1), as plain data: what a text asks, and whether it reads like one
of the centre's own texts coming back.

The modem's number is the centre's, and a sender's number can be forged: an answer never repeats
what was sent — only a well-formed dossier code (digits, dots, one letter, a real date) may come
back, since it cannot carry a word or an address. A phone that answers every text by itself (an
auto-reply, an echo) would talk with the centre for ever: a text holding, in order, every fixed
part of one of the centre's templates is never answered.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from ..contract import DOSSIER_STATUSES, normalise_dossier_code, parse_label
from ..fill import FORMATTER
from .texts import clean, fold

MIN_FIXED = 12       # what a template's fixed parts weigh to be recognised by (not a bare "{note}")
PUNCT = ".,;:!?()[]\"'"
CODE = r"\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}-\d{6}-\d{4}"
DATE = r"\d{2}/\d{2}/\d{4}"
MAX_READ = 4000      # characters of a text looked at (a 10-part SMS is 1,530)
SHAPED = 10          # a field of known shape (a code, a date, a status) weighs as much as ten letters
LABEL = r"[A-Z]{0,2}\d{1,4}"
MAX_WORDS = 8        # words of a service asked for by LS: a name is never longer


@dataclass(frozen=True)
class Ask:
    """What a citizen's SMS asks for, once parsed: only well-formed codes and labels are kept, and anything that is not
    a command is ``help``."""
    kind: str                 # "stop" | "lookup" | "take" | "follow" | "help" (anything that is not a command)
    code: str | None = None   # for "lookup": the well-formed dossier code asked about
    words: tuple[str, ...] = ()   # for "take": the service asked for, folded words (never sent back)
    label: str | None = None  # for "follow": a well-formed ticket label (it cannot carry a word)


def read(text: str) -> Ask:
    """``STOP``; ``HS <code>`` or the code alone; ``LS <service>``; ``STT <label>``; anything else is
    a request for help. The first word in any case, with or without diacritics, punctuation around
    it ignored."""
    words = flat(text).split()
    first = words[0].strip(PUNCT) if words else ""
    if first == "STOP":
        return Ask("stop")
    if first == "LS":
        asked = tuple(w for w in (w.strip(PUNCT + "-") for w in words[1:MAX_WORDS + 2]) if w)
        return Ask("take", words=asked) if 0 < len(asked) <= MAX_WORDS else Ask("help")
    if first == "STT":
        label = "".join(words[1:3]).strip(PUNCT) if len(words) in (2, 3) else ""
        return Ask("follow", label=label) if parse_label(label) else Ask("help")
    code = normalise_dossier_code(" ".join(words[1:] if first == "HS" else words))
    return Ask("lookup", code) if code else Ask("help")


def flat(text: str) -> str:
    """Upper case, without diacritics (GSM 7-bit), spaces folded: the form texts are compared in.
    Only the first MAX_READ characters: a file in the inbox may be far longer than any SMS."""
    return " ".join(fold(clean(text[:MAX_READ])).upper().split())


class OwnVoice:
    """Recognises the centre's own texts: a text holding, in order, every fixed part of one of its
    templates — the words, the centre's name and phone, a code, a date or a status where the
    template has them (a free field such as a note may be anything) — even quoted in a longer reply."""

    def __init__(self, templates: Iterable[str], known: dict[str, str]):
        statuses = "|".join(re.escape(flat(vi)) for vi, _ in DOSSIER_STATUSES.values())
        self.fields = {**{k: re.escape(flat(v)) for k, v in known.items() if flat(v)}, "code": CODE, "status": statuses,
                       **dict.fromkeys(("due", "first_due", "received"), DATE), "label": LABEL}
        shapes = (self._shape(t) for t in templates)
        self.shapes = [pieces for pieces, weight in shapes if weight >= MIN_FIXED]

    def _shape(self, template: str) -> tuple[list[re.Pattern], int]:
        pieces, weight = [], 0
        for literal, name, _, _ in FORMATTER.parse(template):
            if part := flat(literal):
                pieces.append(re.compile(re.escape(part)))
                weight += sum(c.isalnum() for c in part)
            if name in self.fields:
                pieces.append(re.compile(self.fields[name]))
                weight += SHAPED
        return pieces, weight

    def heard(self, text: str) -> bool:
        said = flat(text)
        return any(_in_order(said, pieces) for pieces in self.shapes)


def _in_order(text: str, pieces: list[re.Pattern]) -> bool:
    """Each piece found after the one before it (the earliest match of each is the best choice)."""
    at = 0
    for piece in pieces:
        found = piece.search(text, at)
        if found is None:
            return False
        at = found.end()
    return True
