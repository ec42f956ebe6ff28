"""What the follow-up's papers say, as plain data, and where they are drawn: in a short-lived
child process, because the PDF library (fpdf2, with fontTools and Pillow) costs ~26 MB to load and
the follow-up must stay within 50 MB all day (SPEC section 9). A letter is rare; the child's start
(~0.3 s) is within the budget of 1 s a letter."""
from __future__ import annotations

import pickle
import subprocess
import sys
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


@dataclass(frozen=True)
class WatchRow:
    agency: str
    code: str
    procedure: str
    applicant: str
    due: date
    state: str                     # "Quá hạn 3 ngày", "Đến hạn hôm nay", "Đến hạn ngày 04/12/2026"
    apology_due: bool              # "xin lỗi trước hạn": due within a working day, not yet extended


def in_a_child(name: str, *args):
    """``letters.<name>(*args)`` in a fresh interpreter (``python -m motcua.followup.papers``, the
    arguments pickled on its standard input: our own data between our own processes)."""
    r = subprocess.run([sys.executable, "-m", "motcua.followup.papers"], input=pickle.dumps((name, args)),
                       capture_output=True, timeout=60)
    if r.returncode != 0:
        raise RuntimeError(f"drawing {name} failed: {r.stderr.decode('utf-8', 'replace')[-800:]}")
    return pickle.loads(r.stdout)


if __name__ == "__main__":
    from . import letters
    what, arguments = pickle.loads(sys.stdin.buffer.read())
    sys.stdout.buffer.write(pickle.dumps(getattr(letters, what)(*arguments)))
