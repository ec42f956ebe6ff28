"""SPEC section 11's SMS rules as properties: phones, folding, the three-part limit."""
import re
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from motcua.config.followup import DEFAULT_TEMPLATES, SAMPLE
from motcua.followup.texts import GSM_BASIC, GSM_EXTENDED, compose, fold, normalise_phone, parts

DIGITS9 = st.text("0123456789", min_size=8, max_size=8)


@given(st.sampled_from("35789"), DIGITS9, st.sampled_from(["0{}", "84{}", "+84{}", "+84 {}", "(+84) {}"]),
       st.sampled_from(["", " ", ".", "-"]))
def test_every_way_of_writing_a_mobile_number_is_one_number(first, rest, form, sep):
    digits = first + rest
    spaced = sep.join([digits[:2], digits[2:5], digits[5:]])
    assert normalise_phone(form.format(spaced)) == f"+84{digits}"


@pytest.mark.parametrize("bad", ["0255 3822 000", "02553822000", "12345", "", None, "0912 345 67", "+1 202 555 0101",
                                 "09123456789", "abc", "0912-345-678x"])
def test_anything_else_is_no_phone(bad):
    assert normalise_phone(bad) is None


def test_vietnamese_folds_properly():
    assert fold("Đã tiếp nhận hồ sơ của ông Nguyễn Văn Đức") == "Da tiep nhan ho so cua ong Nguyen Van Duc"
    assert fold("Ư ư Ơ ơ Ă ă Â â Ê ê Ô ô — “trả” …") == 'U u O o A a A a E e O o - "tra" ...'


@given(st.text(max_size=300))
def test_folded_text_is_all_gsm(text):
    assert all(c in GSM_BASIC or c in GSM_EXTENDED for c in fold(text))


CODE = "000.00.53.H48-220921-0099"


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(sorted(k for k in DEFAULT_TEMPLATES if k not in ("stop",))), st.text(max_size=12000),
       st.text(max_size=3000), st.booleans())
def test_any_note_fits_three_parts_and_never_cuts_the_code_or_date(event, note, procedure, unicode):
    fields = {**SAMPLE, "code": CODE, "note": note, "procedure": procedure, "reason": note, "due": date(2026, 12, 3)}
    written, sent = compose(DEFAULT_TEMPLATES[event], fields, unicode)
    assert parts(sent, unicode) <= 3
    if "{code}" in DEFAULT_TEMPLATES[event]:
        assert CODE in sent
    if "{due" in DEFAULT_TEMPLATES[event]:
        assert "03/12/2026" in sent
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", sent), "no control characters reach a phone"


@pytest.mark.parametrize("template, commands", [("help", ("LS <dich vu>", "STT <so>", "HS <ma ho so>", "STOP")),
                                                  ("stop", ("LS", "STT"))])
def test_the_help_and_stop_texts_name_the_commands_in_one_folded_part(template, commands):
    """A citizen reads every command, numbers and turns included, in one SMS, with a centre's name of 28 letters."""
    fields = {**SAMPLE, "centre": "Trung tâm PVHCC tỉnh Q. Ngãi", "centre_phone": "0255 3822 000"}
    written, sent = compose(DEFAULT_TEMPLATES[template], fields, False)
    assert parts(sent, False) == 1, sent
    assert all(c in sent for c in commands) and sent == fold(written)


def test_lengths_follow_the_encoding():
    assert parts("a" * 160, False) == 1 and parts("a" * 161, False) == 2 and parts("a" * 459, False) == 3
    assert parts("ệ" * 70, True) == 1 and parts("ệ" * 71, True) == 2 and parts("ệ" * 201, True) == 3
    assert parts("{" * 80, False) == 1 and parts("{" * 81, False) == 2, "the extension table counts twice"


def test_a_long_note_is_shortened_at_a_word_and_marked():
    fields = {**SAMPLE, "code": CODE, "note": "Bổ sung bản sao giấy chứng nhận quyền sử dụng đất " * 40}
    written, sent = compose(DEFAULT_TEMPLATES["supplement"], fields, False)
    assert "…" in written and "..." in sent and parts(sent, False) == 3
    assert sent.startswith(f"Ho so {CODE} can bo sung: Bo sung ban sao")
    assert sent.endswith("Lien he TT PVHCC, 0255 3822 000."), "the end of the template is kept whole"
