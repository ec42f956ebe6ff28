"""Cells of the spreadsheets the appliance writes (the console's CSV and XLSX, the follow-up's overdue
watch CSV; SPEC 12.1).

Text reaches them from outside (a dossier's field or agency from an import): a cell that starts with
``=``, ``+``, ``-``, ``@``, a tab or CR would be read by a spreadsheet as a formula, so every writer
passes each cell through ``cell()``, which makes such text plain text. Numbers stay numbers, negative
ones included. One module that both the console and the follow-up import, so the rule is written once
and the follow-up never loads console code.
"""
from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(v):
    """A value as an export cell: text that a spreadsheet would run gets a leading ``'``."""
    if isinstance(v, str) and v.startswith(FORMULA_STARTS):
        return "'" + v
    return v


def cells(values: list) -> list:
    """Each value of a row through ``cell()``."""
    return [cell(v) for v in values]
