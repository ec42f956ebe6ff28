"""What the follow-up's papers say, as plain data: they are drawn by ``letters`` in a short-lived
child process (``motcua.child``), because the PDF library costs ~26 MB to load and the follow-up
must stay within 50 MB all day (SPEC section 9)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Apology:
    """What the letter of an extended dossier says; the applicant's full name is for that letter only."""
    code: str
    applicant: str
    procedure: str
    agency: str
    received: date
    first_due: date | None
    due: date
    reason: str

