"""Dossiers in: rows from a CSV or JSON export (or the HTTP pull) checked into ``Dossier`` records.

``python -m motcua.hub --config FILE --import-dossiers PATH``: every bad row is reported by its line
(CSV) or 1-based item (JSON), and then nothing is written (exit 2); otherwise every row is upserted
by code in one transaction. Safe while the hub runs: dossiers have their own database file.
"""
from __future__ import annotations

import csv
import itertools
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from ..contract import DOSSIER_CHANNELS, DOSSIER_CODE_EXAMPLE, DOSSIER_FIELDS, DOSSIER_STATUSES, normalise_dossier_code
from ..db import transaction
from . import dossiers

FIELDS = DOSSIER_FIELDS
REQUIRED = ("code", "procedure", "received_at", "status")
MAX_TEXT = 1000          # longer free text is shortened, a longer key refused; csv's own limit (128 KiB) guards memory
KEYS = ("code", "phone")  # what a dossier is found or reached by: never shortened (SPEC 10.1)


@dataclass
class Report:
    """What an import found: the rows read, and every problem; the rows are written only when there is no problem."""
    count: int = 0
    problems: list[str] = field(default_factory=list)


def to_dossier(raw: Mapping, tz: ZoneInfo) -> tuple[dossiers.Dossier | None, list[str]]:
    """One row -> a Dossier, or the list of ``field: message`` problems with it."""
    problems: list[str] = []
    values: dict = {}
    for name in FIELDS:
        value = raw.get(name)
        value = value.strip() if isinstance(value, str) else value
        if value in (None, ""):
            if name in REQUIRED:
                problems.append(f"{name}: required")
            values[name] = None
            continue
        try:
            values[name] = _convert(name, value, tz)
        except ValueError as e:
            problems.append(f"{name}: {e}")
    if problems:
        return None, problems
    values["agency"] = values["agency"] or ""
    values["applicant"] = values["applicant"] or ""
    values["note"] = values["note"] or ""
    values["channel"] = values["channel"] or 1
    return dossiers.Dossier(**values), []


def _convert(name: str, value, tz: ZoneInfo):
    if name == "status":
        if isinstance(value, bool) or not (isinstance(value, int) or (isinstance(value, str) and value.isdigit())):
            raise ValueError(f"must be a status code 1-10, got {str(value)[:20]!r}")
        if int(value) not in DOSSIER_STATUSES:
            raise ValueError(f"must be a status code 1-10, got {value}")
        return int(value)
    if name == "channel":
        if str(value) not in {str(c) for c in DOSSIER_CHANNELS} or isinstance(value, bool):
            raise ValueError(f"must be 1 (in person), 2 (online) or 3 (postal), got {str(value)[:20]!r}")
        return int(value)
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        raise ValueError(f"expected text, got {type(value).__name__}")
    text = str(value)
    if len(text) > MAX_TEXT and (name in KEYS or name.endswith("_at")):
        raise ValueError(f"longer than {MAX_TEXT} characters")
    if name == "code":
        code = normalise_dossier_code(text)
        if code is None:
            raise ValueError(f"not a dossier code like {DOSSIER_CODE_EXAMPLE}: {text[:40]!r}")
        return code
    if name.endswith("_at"):
        return dossiers.parse_time(text, tz)
    return shorten(text)


def shorten(text: str, limit: int = MAX_TEXT) -> str:
    """Free text (a note, a procedure, a name, a reason) at most ``limit`` characters, ending with
    "…" when it was longer: one long note never drops a dossier from the kiosk's lookup."""
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def read_rows(path: Path) -> Iterator[tuple[str, Mapping]]:
    """(where, row) pairs: ``line N`` for CSV (the header is line 1), ``item N`` for JSON."""
    if path.suffix.lower() == ".json":
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, list):
            raise ValueError("a JSON export must be a list of objects")
        for i, item in enumerate(data, 1):
            yield f"item {i}", item if isinstance(item, dict) else {"__not_an_object__": True}
        return
    with open(path, newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        if not reader.fieldnames or "code" not in reader.fieldnames:
            raise ValueError(f"the CSV header must name the columns ({', '.join(FIELDS)})")
        line = reader.line_num
        for row in reader:
            yield f"line {line + 1}", row
            line = reader.line_num


def dossiers_in(path: Path, tz: ZoneInfo, report: Report) -> Iterator[dossiers.Dossier]:
    """The good rows of a file, one at a time; problems go into the report."""
    try:
        for where, raw in read_rows(path):
            if "__not_an_object__" in raw:
                report.problems.append(f"{path}: {where}: not a JSON object")
                continue
            dossier, problems = to_dossier(raw, tz)
            report.problems += [f"{path}: {where}: {p}" for p in problems]
            if dossier is not None:
                yield dossier
    except (OSError, UnicodeDecodeError, ValueError, csv.Error) as e:
        report.problems.append(f"{path}: {e}")


def import_file(path: str | Path, database: str, tz: ZoneInfo, now: datetime, chunk: int = 5000) -> Report:
    """Check every row first (streaming, so a million rows fit a small board); then write them all
    in one transaction, or nothing if any row is bad."""
    path = Path(path)
    report = Report()
    report.count = sum(1 for _ in dossiers_in(path, tz, report))
    if report.problems:
        return report
    db = dossiers.connect(database)
    try:
        with transaction(db):
            rows = dossiers_in(path, tz, Report())
            while batch := list(itertools.islice(rows, chunk)):
                dossiers.upsert(db, batch, now)
    finally:
        db.close()
    return report
