"""The kiosk's two palettes, normal and large high-contrast: every text colour meets WCAG's AAA on
what it is drawn on, and the contrast formula gives WCAG's own figures."""
from kiosk import theme


def test_every_text_colour_meets_aaa_on_what_it_is_drawn_on_in_both_modes():
    for palette in (theme.NORMAL, theme.LARGE):
        assert set(palette) == set(theme.NORMAL), "both modes name the same roles"
        low = [(a, b, round(theme.contrast(palette[a], palette[b]), 2)) for a, b in theme.PAIRS
               if theme.contrast(palette[a], palette[b]) < theme.AAA]
        assert low == []
    assert round(theme.contrast((1, 1, 1), (0, 0, 0)), 1) == 21.0
    assert round(theme.contrast((0.5, 0.5, 0.5), (1, 1, 1)), 2) == 3.98      # WCAG's own example grey

