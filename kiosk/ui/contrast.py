"""The contrast of a text as a person sees it: read off a rendered frame, not off the palette.

The text's background is the colour most common on the rim of the box its texture is drawn in (a
texture keeps a little padding, so glyphs rarely touch it). Its inks are the colours of the inside
of its strokes: pixels that are the corner of a 2×2 square of one colour. The anti-aliased edge of
a stroke is one pixel wide, so its blends never count, however straight the edge (an "L", a "1").
Every ink counts (a guide in grey beside a typed code): the text's contrast is its weakest. A text
drawn in its background's colour has no ink at all: contrast 1.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from PIL import Image, ImageChops

from ..theme import contrast

INK_SHARE = 0.05          # an ink covers at least this share of what the main ink covers
INK_LEAST = 4             # and at least this many 2×2 squares


@dataclass(frozen=True)
class Measured:
    """A text's contrast as read off a frame: the weakest ratio, its ink and the background, both 0-255 RGB."""
    ratio: float
    ink: tuple[int, int, int]
    background: tuple[int, int, int]


def text_contrast(frame: Image.Image, box: tuple[int, int, int, int]) -> Measured | None:
    """``box`` is (left, top, right, bottom) in the frame's pixels; None when too small to judge."""
    left, top, right, bottom = box
    if right - left < 4 or bottom - top < 4:
        return None
    crop = frame.crop(box).convert("RGB")
    w, h = crop.size
    px = crop.load()
    rim = Counter(px[x, y] for x in range(w) for y in (0, h - 1))
    rim.update(px[x, y] for y in range(h) for x in (0, w - 1))
    background = rim.most_common(1)[0][0]
    common = sorted(((n, c) for n, c in _solid(crop, background).getcolors(w * h) if c != background),
                    reverse=True)
    if not common:
        return Measured(1.0, background, background)
    inks = [c for n, c in common if n >= max(INK_LEAST, common[0][0] * INK_SHARE)] or [common[0][1]]
    ratios = {ink: contrast([v / 255 for v in ink], [v / 255 for v in background]) for ink in inks}
    worst = min(ratios, key=ratios.get)
    return Measured(round(ratios[worst], 2), worst, background)


def _solid(crop: Image.Image, background: tuple[int, int, int]) -> Image.Image:
    """The crop with every pixel that is not the corner of a one-colour 2×2 square painted over
    with the background."""
    w, h = crop.size
    corner = crop.crop((0, 0, w - 1, h - 1))
    mask = Image.new("L", corner.size, 255)
    for dx, dy in ((1, 0), (0, 1), (1, 1)):
        r, g, b = ImageChops.difference(corner, crop.crop((dx, dy, w - 1 + dx, h - 1 + dy))).split()
        same = ImageChops.lighter(ImageChops.lighter(r, g), b).point(lambda v: 255 if v == 0 else 0)
        mask = ImageChops.multiply(mask, same)
    solid = Image.new("RGB", corner.size, background)
    solid.paste(corner, (0, 0), mask)
    return solid
