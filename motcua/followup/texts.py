"""What an SMS says and how long it is (SPEC section 11): phones, templates, folding, parts.

A citizen's phone is a Vietnamese mobile number or nothing. A text goes without diacritics by
default (GSM 7-bit: 160 characters, parts of 153), or as Unicode (70, parts of 67); at most three
parts. A text that does not fit is shortened in its free-text fields (the note, the procedure,
the reason), never in the code or a date.
"""
from __future__ import annotations

import re
import unicodedata

from ..fill import placeholders, render

MAX_PARTS = 3
# GSM 03.38: the basic set (one septet each) and the extension table (two: escape + char)
GSM_BASIC = set("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
GSM_EXTENDED = set("^{}\\[~]|€")
PUNCTUATION = {"–": "-", "—": "-", "‘": "'", "’": "'", "“": '"', "”": '"', "…": "...", "·": "-", "\t": " "}
FREE_FIELDS = ("note", "procedure", "reason", "agency", "services", "service")   # may lose letters
_MOBILE = re.compile(r"(?:\+?84|0)([35789]\d{8})")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\ufeff]")


def normalise_phone(text: str | None) -> str | None:
    """``0912 345 678``, ``84912345678``, ``+84 912.345.678`` -> ``+84912345678``; anything else None."""
    if not text:
        return None
    m = _MOBILE.fullmatch(re.sub(r"[\s.\-()]", "", str(text)))
    return f"+84{m.group(1)}" if m else None


def clean(text: str) -> str:
    """A field from a dossier as it may appear in a text: no control characters, no markup's line
    breaks, spaces folded (a note can hold anything an export held)."""
    return " ".join(_CONTROL.sub(" ", unicodedata.normalize("NFC", str(text))).split())


def fold(text: str) -> str:
    """Vietnamese without diacritics, in GSM 7-bit: "Đã tiếp nhận hồ sơ" -> "Da tiep nhan ho so"."""
    out = []
    for ch in unicodedata.normalize("NFD", text.replace("Đ", "D").replace("đ", "d")):
        if unicodedata.combining(ch):
            continue
        ch = PUNCTUATION.get(ch, ch)
        out.append(ch if all(c in GSM_BASIC or c in GSM_EXTENDED for c in ch) else "?")
    return unicodedata.normalize("NFC", "".join(out))


def parts(text: str, unicode: bool) -> int:
    """How many SMS parts the text takes."""
    n = length(text, unicode)
    single, part = (70, 67) if unicode else (160, 153)
    return 1 if n <= single else -(-n // part)


def capacity(unicode: bool) -> int:
    """Characters (septets or UTF-16 units) that MAX_PARTS parts hold."""
    return MAX_PARTS * (67 if unicode else 153)


def length(text: str, unicode: bool) -> int:
    """The SMS length of ``text`` in characters as the network counts them: UTF-16 units in Unicode mode, else GSM 03.38
    where the extended characters (``€``, ``[``…) cost two."""
    return len(text.encode("utf-16-le")) // 2 if unicode else sum(2 if c in GSM_EXTENDED else 1 for c in text)


def compose(template: str, fields: dict, unicode: bool) -> tuple[str, str]:
    """(the text as written, with diacritics; the text as sent) fitting in MAX_PARTS parts.
    The free fields are shortened, longest first, at a word and marked with "…"; raises
    ValueError when the template does not fit even with them empty."""
    fields = {k: clean(v) if isinstance(v, str) else v for k, v in fields.items()}
    used = [f for f in FREE_FIELDS if f in placeholders(template) and fields.get(f)]
    while True:
        written = render(template, fields)
        sent = written if unicode else fold(written)
        over = length(sent, unicode) - capacity(unicode)
        if over <= 0:
            return written, sent
        longest = max(used, key=lambda f: len(fields[f]), default=None)
        if longest is None or not fields[longest]:
            raise ValueError(f"the text does not fit in {MAX_PARTS} SMS even without its free fields")
        fields[longest] = _cut(fields[longest], len(fields[longest]) - over - 1)


def _cut(text: str, keep: int) -> str:
    """At most ``keep`` characters of it, ending at a word, then "…"; "" when no word fits."""
    base = text.removesuffix("…")
    head = base[:max(0, keep - 1)]
    words = head.split()
    if len(head) < len(base) and words and not base[len(head)].isspace():
        words = words[:-1]                 # the last word was cut in the middle
    return " ".join(words) + "…" if words else ""
