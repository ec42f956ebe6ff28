"""Filling a template's placeholders: the one renderer of the site file's SMS and letter templates.

The site file's check tries every template with sample values when the file is read (motcua.config), and the
follow-up fills them for real; both use this, so a template the check accepts is one the follow-up can send,
and the configuration never imports a process's package.
"""
from __future__ import annotations

import string
from datetime import date


class _Formatter(string.Formatter):
    """``{due:dd/mm/yyyy}`` (the spec's way of writing a date) and plain ``{due}`` both give 03/12/2026."""

    def format_field(self, value, format_spec):
        if isinstance(value, date):
            return value.strftime("%d/%m/%Y")
        return super().format_field(value, format_spec)


FORMATTER = _Formatter()


def render(template: str, fields: dict) -> str:
    """Fill an SMS or letter template, dates written dd/mm/yyyy; a placeholder not in ``fields`` is a KeyError,
    which cannot come from the site file: its templates are tried with sample values when it is read."""
    return FORMATTER.format(template, **fields)


def placeholders(template: str) -> set[str]:
    """The field names a template uses: ``compose`` shortens only the free fields that appear in it."""
    return {name for _, name, _, _ in FORMATTER.parse(template) if name}
