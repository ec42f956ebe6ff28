"""Bar charts as geometry for the templates' inline SVG: drawn by the browser, no script, no
internet, and every label goes through the template's escaping."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Bar:
    """One bar of a chart in the SVG's own units: its label, its value and how the value is written, and its rectangle.
    """
    label: str
    value: float
    shown: str
    x: float
    y: float
    w: float
    h: float


def columns(items: list[tuple[str, float]], width: int = 640, height: int = 200, base: int = 24) -> list[Bar]:
    """Vertical bars, one per item, scaled to the largest (arrivals by hour)."""
    if not items:
        return []
    top = max(v for _, v in items) or 1
    step = width / len(items)
    plot = height - base - 16
    return [Bar(label, v, _shown(v), i * step + step * 0.15, height - base - plot * v / top, step * 0.7,
                plot * v / top) for i, (label, v) in enumerate(items)]


def rows(items: list[tuple[str, float]], width: int = 640, row: int = 28, label_w: int = 250) -> list[Bar]:
    """Horizontal bars, one per item (waits by service); a long name is shortened to fit."""
    top = max((v for _, v in items), default=0) or 1
    plot = width - label_w - 60
    return [Bar(label if len(label) <= 34 else label[:33] + "…", v, _shown(v), label_w, i * row + 4,
                plot * v / top, row - 8) for i, (label, v) in enumerate(items)]


def _shown(v: float) -> str:
    return f"{v:g}"
