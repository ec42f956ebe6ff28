"""The kiosk's two looks: the normal one and the large, high-contrast one a citizen who sees badly
turns on from the home screen. Every text the screens draw names a role here, so a colour is chosen
once, and both looks keep every text at WCAG AAA (7:1) against what it is drawn on; the tour
measures that on the rendered frames (``kiosk.ui.tour``), ``PAIRS`` lets a unit test check the
palettes themselves.
"""
from __future__ import annotations

from collections.abc import Sequence

LARGE_TEXT = 1.5            # the large mode's text, times the normal one
AAA = 7.0                   # WCAG 2 contrast for text, level AAA

Rgba = tuple[float, float, float, float]


def _hex(code: str) -> Rgba:
    return (*(int(code[i:i + 2], 16) / 255 for i in (1, 3, 5)), 1.0)


NORMAL: dict[str, Rgba] = {k: _hex(v) for k, v in {
    "bg": "#f0f5fa",            # the screens
    "ink": "#0d3366",           # titles, the number
    "body": "#1a1a1a",          # sentences
    "muted": "#333d47",         # a dossier row's name
    "error": "#990d0d",         # a problem's title, a refused ticket
    "primary": "#0a4d8c", "primary_down": "#073a6b", "primary_ink": "#ffffff",
    "second": "#474d57", "second_down": "#2e333b", "second_ink": "#ffffff",
    "key": "#dbe5f2", "key_down": "#c2d2e6", "key_ink": "#0d3366",
    "off": "#d4d8de", "off_ink": "#333333",              # a closed service, a button not yet usable
    "alert": "#990d0d", "alert_ink": "#ffffff",         # the banner: why no number can be taken
    "good": "#0d5926", "late": "#8c2e00", "status_ink": "#ffffff",
    "field": "#ffffff", "field_ink": "#0d3366", "field_guide": "#45505c", "field_line": "#0a4d8c",
    "listen": "#1a5c2e", "listen_on": "#8c3f00", "listen_ink": "#ffffff",
    "panel": "#1f2329", "panel_ink": "#ffffff",          # the popups
    "switch": "#000000", "switch_ink": "#ffe033",        # the large mode's button shows what it gives
}.items()}

LARGE: dict[str, Rgba] = {k: _hex(v) for k, v in {
    "bg": "#000000",
    "ink": "#ffe033",
    "body": "#ffffff",
    "muted": "#d9d9d9",
    "error": "#ff8c8c",
    "primary": "#ffd500", "primary_down": "#ccaa00", "primary_ink": "#000000",
    "second": "#ffffff", "second_down": "#bfbfbf", "second_ink": "#000000",
    "key": "#ffffff", "key_down": "#ffd500", "key_ink": "#000000",
    "off": "#404040", "off_ink": "#e6e6e6",
    "alert": "#990000", "alert_ink": "#ffffff",
    "good": "#005920", "late": "#8c2e00", "status_ink": "#ffffff",
    "field": "#000000", "field_ink": "#ffffff", "field_guide": "#b3b3b3", "field_line": "#ffd500",
    "listen": "#005920", "listen_on": "#8c3f00", "listen_ink": "#ffffff",
    "panel": "#000000", "panel_ink": "#ffffff",
    "switch": "#ffffff", "switch_ink": "#000000",
}.items()}

# (text, what it is drawn on): every pair the screens use
PAIRS = [("ink", "bg"), ("body", "bg"), ("muted", "bg"), ("error", "bg"),
         ("primary_ink", "primary"), ("primary_ink", "primary_down"),
         ("second_ink", "second"), ("second_ink", "second_down"),
         ("key_ink", "key"), ("key_ink", "key_down"), ("off_ink", "off"), ("alert_ink", "alert"),
         ("status_ink", "good"), ("status_ink", "late"),
         ("field_ink", "field"), ("field_guide", "field"),
         ("listen_ink", "listen"), ("listen_ink", "listen_on"), ("panel_ink", "panel"),
         ("switch_ink", "switch")]


def palette(large: bool) -> dict[str, Rgba]:
    """The colours by role for the normal or the large, high-contrast look."""
    return LARGE if large else NORMAL


def luminance(rgb: Sequence[float]) -> float:
    """WCAG 2's relative luminance of an sRGB colour given in 0..1."""
    def lin(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (lin(c) for c in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: Sequence[float], b: Sequence[float]) -> float:
    """WCAG 2's contrast ratio of two sRGB colours in 0..1, from 1 to 21 whichever is lighter; both looks need 7 for
    every text."""
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def markup_hex(rgba: Rgba) -> str:
    """For a ``[color=…]`` span inside a label."""
    return "#" + "".join(f"{round(c * 255):02x}" for c in rgba[:3])
