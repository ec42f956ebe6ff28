"""The reader of contrast the tour uses on the real frames, checked on pictures whose answer is known:
it finds the ink and its background, a second ink nearly as common, no contrast where the text is in
its background's colour, and never takes a straight edge's blend for a pale ink."""
from importlib.util import find_spec
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from kiosk import theme
from kiosk.ui.contrast import text_contrast

FONT = Path(find_spec("kivy").origin).parent / "data" / "fonts" / "Roboto-Bold.ttf"     # the kiosk's own font


def drawn(ink, background, text="A001 Xóa hết", size=60):
    im = Image.new("RGB", (520, 120), background)
    ImageDraw.Draw(im).text((12, 20), text, font=ImageFont.truetype(str(FONT), size), fill=ink)
    return im


def test_the_reader_finds_the_ink_and_its_background():
    seen = text_contrast(drawn((13, 51, 102), (240, 245, 250)), (0, 0, 520, 120))
    assert seen.ink == (13, 51, 102) and seen.background == (240, 245, 250)
    assert seen.ratio == round(theme.contrast((13 / 255, 51 / 255, 102 / 255), (240 / 255, 245 / 255, 250 / 255)), 2)
    grey = text_contrast(drawn((150, 150, 150), (255, 255, 255)), (0, 0, 520, 120))
    assert grey.ratio < 3.5, "pale grey on white is caught"


def test_text_in_its_background_colour_has_no_contrast():
    assert text_contrast(drawn((0, 0, 0), (0, 0, 0)), (0, 0, 520, 120)).ratio == 1.0
    assert text_contrast(drawn((0, 0, 0), (0, 0, 0)), (0, 0, 2, 120)) is None, "too small to judge"


def test_a_second_ink_nearly_as_common_counts_too():
    """A typed code in dark blue with its guide in grey: the grey is what must be read too."""
    im = drawn((13, 51, 102), (255, 255, 255), text="000.00")
    ImageDraw.Draw(im).text((260, 20), "__.___", font=ImageFont.truetype(str(FONT), 60), fill=(170, 170, 170))
    seen = text_contrast(im, (0, 0, 520, 120))
    assert seen.ink == (170, 170, 170) and seen.ratio < 3


def test_straight_edges_are_not_mistaken_for_a_pale_ink():
    """An "L" or a "1" drawn at a fraction of a pixel leaves a whole column of one blend beside its
    stem: that column is not the text's colour."""
    for dx in (0, 0.3, 0.5, 0.7):
        im = Image.new("RGB", (520, 120), (219, 229, 242))
        ImageDraw.Draw(im).text((12 + dx, 20.4), "IL1-", font=ImageFont.truetype(str(FONT), 48), fill=(13, 51, 102))
        assert text_contrast(im, (0, 0, 520, 120)).ink == (13, 51, 102)

