"""The ticket as drawn: the golden images at both widths, wrapping as a property, a long service name."""
import os
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageChops

from kiosk.printing.fonts import font
from kiosk.printing.ticket import SAMPLE, render, wrap
from motcua.config.kiosk import WIDTH_DOTS

GOLDEN = Path(__file__).parent / "golden"


@pytest.mark.parametrize("mm", [80, 58])
def test_golden_images(mm):
    """A person looked at these; a change to the layout shows up here. MOTCUA_UPDATE_GOLDEN=1 rewrites."""
    image = render(SAMPLE, WIDTH_DOTS[mm]).convert("L")
    golden = GOLDEN / f"ticket-{mm}mm.png"
    if os.environ.get("MOTCUA_UPDATE_GOLDEN"):
        image.save(golden)
    assert golden.exists(), f"no golden image {golden.name}: make one with MOTCUA_UPDATE_GOLDEN=1 and look at it"
    assert ImageChops.difference(Image.open(golden).convert("L"), image).getbbox() is None, \
        f"the {mm} mm ticket changed; look at it, then MOTCUA_UPDATE_GOLDEN=1"


words = st.text(alphabet="aăâbcdđeêghiklmnoôơpqrstuưvxyàảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọ", min_size=1,
                max_size=40)


@settings(max_examples=60, deadline=None)
@given(st.lists(words, min_size=1, max_size=30), st.sampled_from([384, 576]))
def test_wrapping_never_cuts_text_off(ws, width):
    """Property: the lines hold every word, in order, and each fits the paper."""
    f = font(34, True)
    text = " ".join(ws)
    lines = wrap(text, f, width - 24)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    assert all(f.getlength(line) <= width - 24 for line in lines)


def test_a_very_long_service_name_wraps_onto_the_ticket():
    long = replace(SAMPLE, service_vi="Cấp giấy chứng nhận quyền sử dụng đất, quyền sở hữu nhà ở và tài sản "
                                      "khác gắn liền với đất lần đầu")
    assert render(long).height > render(SAMPLE).height + 60



def test_the_sms_line_is_printed_under_the_qr_where_the_site_enables_it(tmp_path, make_cfg):
    """``kiosks[].ticket_sms_line`` with ``followup.sms.modem_number``: the follow-up's STT command
    under the QR, Vietnamese then English, the rest of the ticket as before; off, nothing changes."""
    from kiosk.printing.flow import ticket_content
    from tests.motcua.followup.test_followup import followup_section

    kiosks = [{"id": "k1", "printer": {"connection": "directory", "path": str(tmp_path)}, "ticket_sms_line": True},
              {"id": "k2", "printer": {"connection": "directory", "path": str(tmp_path)}}]
    cfg = make_cfg(kiosks=kiosks, followup=followup_section(
        tmp_path, {"transport": "directory", "directory": {"path": "x"}}, modem_number="0912 000 111"))
    t = {"id": "20261130-LAND-12", "label": "A012", "service": "LAND", "priority": False,
         "issued_at": "2026-11-30T09:05:00+07:00", "waiting_ahead": 3, "estimated_wait_min": 15}
    with_line, without = ticket_content(cfg, cfg.kiosks[0], t), ticket_content(cfg, cfg.kiosks[1], t)
    assert with_line.sms_line == ("Nhắn STT A012 gửi 0912 000 111 để được báo khi gần đến lượt",
                                  "Text STT A012 to 0912 000 111 to be told when your turn is near")
    assert without.sms_line is None
    for width in WIDTH_DOTS.values():
        a, b = render(with_line, width).convert("L"), render(without, width).convert("L")
        a.save(tmp_path / f"ticket-sms-{width}.png")
        above = (0, 0, width, b.height - 20)          # everything down to the QR's last rows
        assert ImageChops.difference(a.crop(above), b.crop(above)).getbbox() is None, "the QR and all above unchanged"
        assert a.height > b.height + 40 and a.crop((0, b.height, width, a.height)).getextrema()[0] == 0, \
            "the line is drawn below the QR"
