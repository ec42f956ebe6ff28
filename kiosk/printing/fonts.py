"""A font that draws Vietnamese, found reliably: DejaVu Sans (Debian's fonts-dejavu-core, which
``make`` installs), else the Roboto that ships inside Kivy's wheel. Never a code page: Vietnamese
through printer code pages loses its tone marks."""
from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path

from PIL import ImageFont

DEJAVU = Path("/usr/share/fonts/truetype/dejavu")


def _kivy_fonts() -> Path | None:
    spec = importlib.util.find_spec("kivy")          # find it without importing Kivy
    return Path(spec.origin).parent / "data" / "fonts" if spec and spec.origin else None


def font_path(bold: bool = False) -> Path:
    """A TrueType font with every Vietnamese letter: DejaVu Sans, else the Roboto shipped with Kivy; FileNotFoundError
    naming the package to install when neither is there."""
    candidates = [DEJAVU / ("DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf")]
    kivy = _kivy_fonts()
    if kivy is not None:
        candidates.append(kivy / ("Roboto-Bold.ttf" if bold else "Roboto-Regular.ttf"))
    for p in candidates:
        if p.is_file():
            return p
    raise FileNotFoundError("không tìm thấy phông chữ tiếng Việt (cài fonts-dejavu-core) / "
                            "no font with Vietnamese glyphs found (install fonts-dejavu-core)")


@lru_cache(maxsize=64)
def font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    """The ticket's font at ``size`` pixels (PIL), from ``font_path``."""
    return ImageFont.truetype(str(font_path(bold)), size)
