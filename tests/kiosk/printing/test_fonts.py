"""The ticket's fonts: every character a ticket can carry has a glyph, in the regular and the bold face."""
from fontTools.ttLib import TTFont

from devtools.testbed import ROOT
from kiosk.printing.flow import ticket_content
from kiosk.printing.fonts import font_path
from kiosk.printing.ticket import texts
from motcua import config


def test_every_string_a_ticket_can_carry_has_glyphs():
    """No tofu boxes: every character of every service, counter, centre and footer is in the font."""
    cfg = config.load(ROOT / "config" / "example.yaml")
    kiosk = cfg.kiosks[0]
    strings = []
    for svc in cfg.services:
        t = {"id": "x", "label": svc.label(svc.last), "service": svc.id, "priority": True,
             "issued_at": "2026-11-30T09:05:00+07:00", "waiting_ahead": 999, "estimated_wait_min": 999}
        strings += texts(ticket_content(cfg, kiosk, t))
    strings += ["ÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬĐÈÉẺẼẸÊỀẾỂỄỆÌÍỈĨỊÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢÙÚỦŨỤƯỪỨỬỮỰỲÝỶỸỴ",
                "àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ—~/"]
    for bold in (False, True):
        cmap = TTFont(font_path(bold)).getBestCmap()
        missing = {ch for s in strings for ch in s if not ch.isspace() and ord(ch) not in cmap}
        assert not missing, f"{font_path(bold).name} lacks {sorted(missing)}"

