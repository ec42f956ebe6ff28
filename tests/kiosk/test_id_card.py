"""The citizen ID card's QR text (căn cước, SPEC 3.1): what the kiosk makes of it, from real QR
images made with ``qrcode`` and read back with zxing-cpp, as a scanner reads the card."""
from datetime import date

import qrcode
import zxingcpp
from hypothesis import given
from hypothesis import strategies as st

from kiosk.id_card import birth_year, elderly, looks_like_card, read
from motcua.personal import keyed_hash

SECRET = b"k" * 40
SEVEN = "001090001234|123456789|Nguyễn Văn An|15041950|Nam|Số 12, phường Trần Phú, Quảng Ngãi|20042021"
SIX = "079201009876|Trần Thị Bình|29022000|Nữ|Thôn 3, xã Tịnh Hà, Sơn Tịnh, Quảng Ngãi|10102022"


def scanned(text: str) -> str:
    """The card's text as a QR scanner reads it off a real QR picture."""
    image = qrcode.make(text).get_image().convert("L")
    found = zxingcpp.read_barcodes(image)
    assert len(found) == 1
    return found[0].text


def test_seven_and_six_field_cards_from_real_qr_images():
    seven, six = read(scanned(SEVEN), SECRET), read(scanned(SIX), SECRET)
    assert (seven.birth_year, seven.id_hash) == (1950, keyed_hash(SECRET, "001090001234"))
    assert (six.birth_year, six.id_hash) == (2000, keyed_hash(SECRET, "079201009876")), "29 Feb 2000 is a day"
    assert seven.person() == {"id_hash": keyed_hash(SECRET, "001090001234"), "birth_year": 1950}
    assert "001090001234" not in repr(seven) and seven.id_hash not in repr(seven)


def test_what_is_not_an_id_card():
    assert read(SEVEN.replace("15041950", "31021950"), SECRET) is None, "no 31 February"
    assert read(SEVEN.replace("001090001234", "00109000123"), SECRET) is None, "11 digits"
    assert read(SEVEN + "|extra", SECRET) is None, "8 fields"
    assert read(SEVEN.replace("001090001234", "٠٠١٠٩٠٠٠١٢٣٤"), SECRET) is None, "Arabic-Indic digits"
    tomorrow = date.fromordinal(date.today().toordinal() + 1).strftime("%d%m%Y")
    assert read(SEVEN.replace("15041950", tomorrow), SECRET) is None, "born tomorrow"
    assert read("000.00.53.H48-220921-0099", SECRET) is None and not looks_like_card("000.00.53.H48-220921-0099")
    assert looks_like_card(SEVEN)


def test_elderly_by_the_year_of_birth():
    card = read(SEVEN, SECRET)
    assert elderly(card, 60, 2010) and not elderly(card, 60, 2009) and not elderly(None, 60, 2026)


@given(st.text(max_size=300))
def test_never_raises_on_any_text(text):
    year = birth_year(text)
    assert year is None or 1900 <= year <= date.today().year


DIGITS = st.text("0123456789", min_size=0, max_size=14)
FIELD = st.text(st.characters(blacklist_characters="|"), max_size=40)


@given(st.lists(FIELD, min_size=1, max_size=9), DIGITS, st.integers(1, 40), st.integers(1, 14),
       st.integers(1800, 2200))
def test_only_six_or_seven_fields_with_twelve_digits_and_a_real_date(fields, number, day, month, year):
    fields = [number, *fields]
    where = {7: 3, 6: 2}.get(len(fields))
    if where is not None:
        fields[where] = f"{day:02d}{month:02d}{year:04d}"
    got = birth_year("|".join(fields))
    try:
        real = date(year, month, day) if where is not None else None
    except ValueError:
        real = None
    card = len(number) == 12 and real is not None and date(1900, 1, 1) <= real <= date.today()
    assert got == (year if card else None)


def test_the_kiosk_keeps_a_card_for_one_ticket_and_only_with_the_sites_secret(make_cfg):
    from kiosk.taking import KioskModel
    cfg = make_cfg()
    without = KioskModel(cfg, desk=None)
    assert not without.read_card(SEVEN) and without.card_note() == "", "no site.secret_file: no card is read"
    m = KioskModel(cfg, desk=None, secret=SECRET)
    assert not m.read_card("001090001234|not a card") and m.card is None
    assert m.read_card(SEVEN) and m.card_note() == "Đã đọc căn cước — ưu tiên người cao tuổi"
    m.lang = "en"
    assert m.card_note() == "ID card read — priority (elderly)"
    m.forget_card()
    assert m.card_note() == "" and m.card is None
    assert m.read_card(SIX) and m.card_kind() == "card"
