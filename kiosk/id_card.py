"""The QR code of the chip-based citizen ID card (căn cước / CCCD), as the kiosk's scanner types it
(SPEC 3.1), in plain Python so it tests without a window.

The card's QR holds ``|``-separated fields: the 12-digit number, the old 9-digit number (may be
empty), the name, the date of birth ``DDMMYYYY``, sex, address, date of issue; some cards leave the
old number out (6 fields). The kiosk keeps only a keyed hash of the number and the birth year, for
the next ticket: the number, the name and the address are never kept, shown, printed, logged or sent.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from motcua.personal import keyed_hash

NUMBER = re.compile(r"[0-9]{12}")
BIRTH = re.compile(r"([0-9]{2})([0-9]{2})([0-9]{4})")
BIRTH_FIELD = {7: 3, 6: 2}            # where the date of birth is, by the number of fields


@dataclass(frozen=True)
class IdCard:
    """What a scan of the card leaves in the kiosk: never the number itself."""
    id_hash: str
    birth_year: int

    def __repr__(self) -> str:            # a log line or a traceback never shows even the hash
        return "IdCard(***)"

    def person(self) -> dict:
        """The issue request's ``person`` field."""
        return {"id_hash": self.id_hash, "birth_year": self.birth_year}


def looks_like_card(text: str) -> bool:
    """A scan with the card's separator is never a dossier code: it is not looked up, and so never
    shown on the lookup screen, card or not."""
    return "|" in text


def birth_year(text: str) -> int | None:
    """The card's number and birth year from a scan, or None for anything that is not an ID card
    (never raises). A date of birth must be a real day, not in the future."""
    fields = text.strip().split("|")
    where = BIRTH_FIELD.get(len(fields))
    if where is None or NUMBER.fullmatch(fields[0]) is None:
        return None
    m = BIRTH.fullmatch(fields[where])
    if m is None:
        return None
    try:
        born = date(int(m[3]), int(m[2]), int(m[1]))
    except ValueError:
        return None
    return born.year if date(1900, 1, 1) <= born <= date.today() else None


def read(text: str, secret: bytes) -> IdCard | None:
    """The card as the kiosk keeps it, or None when ``text`` is not an ID card."""
    year = birth_year(text)
    if year is None:
        return None
    return IdCard(keyed_hash(secret, text.strip().split("|", 1)[0]), year)


def elderly(card: IdCard | None, age: int, this_year: int) -> bool:
    """What the hub will decide from the same birth year (``priority.age``), to say so on the screen."""
    return card is not None and this_year - card.birth_year >= age
