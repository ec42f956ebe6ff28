"""Labels and counters in Vietnamese words, by our own code (SPEC section 8).

A speech engine reads "A012" as "a không mười hai" or worse; so a label is spelled here: its letters
by their Vietnamese names, then its number digit by digit ("a, không, một, hai") or as a whole
number ("a, mười hai"), as the site configures.
"""
from __future__ import annotations

import re

from motcua.contract import VOICE_PHRASE

DIGITS = ["không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín"]
LETTERS = {
    "A": "a", "B": "bê", "C": "xê", "D": "dê", "E": "e", "F": "ép", "G": "giê", "H": "hát", "I": "i",
    "J": "gi", "K": "ca", "L": "e-lờ", "M": "em-mờ", "N": "en-nờ", "O": "o", "P": "pê", "Q": "quy",
    "R": "e-rờ", "S": "ét-xì", "T": "tê", "U": "u", "V": "vê", "W": "vê kép", "X": "ích-xì", "Y": "i dài",
    "Z": "dét",
}


def number_words(n: int) -> str:
    """0..9999 as spoken in Vietnamese: 15 "mười lăm", 21 "hai mươi mốt", 105 "một trăm linh năm",
    1025 "một nghìn không trăm hai mươi lăm"."""
    if not 0 <= n <= 9999:
        raise ValueError(f"{n} is outside 0..9999")
    if n < 10:
        return DIGITS[n]
    thousands, rest = divmod(n, 1000)
    parts = [f"{DIGITS[thousands]} nghìn"] if thousands else []
    hundreds, tens_units = divmod(rest, 100)
    if thousands and rest == 0:
        return parts[0]
    if hundreds or thousands:
        parts.append(f"{DIGITS[hundreds]} trăm")
        if tens_units == 0:
            return " ".join(parts)
        if tens_units < 10:
            return " ".join([*parts, "linh", DIGITS[tens_units]])
    parts.append(_tens(tens_units))
    return " ".join(parts)


def _tens(n: int) -> str:
    """10..99."""
    tens, unit = divmod(n, 10)
    head = "mười" if tens == 1 else f"{DIGITS[tens]} mươi"
    if unit == 0:
        return head
    if unit == 5:
        return f"{head} lăm"
    if unit == 1 and tens > 1:
        return f"{head} mốt"
    if unit == 4 and tens > 1:
        return f"{head} tư"
    return f"{head} {DIGITS[unit]}"


def label_words(label: str, mode: str = "digits", letters: dict[str, str] | None = None) -> str:
    """ "A012" -> "a, không, một, hai" (digits) or "a, mười hai" (number)."""
    names = {**LETTERS, **(letters or {})}
    m = re.fullmatch(r"([A-Z]*)(\d*)", label.upper())
    if m is None:
        raise ValueError(f"not a ticket label: {label!r}")
    spoken = [names[ch] for ch in m.group(1)]
    digits = m.group(2)
    if digits:
        spoken += [DIGITS[int(d)] for d in digits] if mode == "digits" else [number_words(int(digits))]
    return ", ".join(spoken)


def counter_words(counter_id: str, spoken: dict[str, str] | None = None) -> str:
    """The counter's spoken name from the config, by default its number in words ("5" -> "năm")."""
    if spoken and counter_id in spoken:
        return spoken[counter_id]
    if counter_id.isdigit():
        return number_words(int(counter_id))
    return " ".join(LETTERS.get(ch.upper(), DIGITS[int(ch)] if ch.isdigit() else ch)
                    for ch in counter_id if ch.isalnum())


def phrase(ticket: str, counter: str, template: str = VOICE_PHRASE, mode: str = "digits",
           spoken_counters: dict[str, str] | None = None) -> str:
    """The sentence the wall screen speaks for a call, the contract's phrase by default: the ticket's label read out
    digit by digit (or as a number) and the counter's spoken name."""
    return template.format(ticket=label_words(ticket, mode), counter=counter_words(counter, spoken_counters))
