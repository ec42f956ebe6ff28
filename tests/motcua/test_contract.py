"""The shared contract's parsers: labels and dossier codes (property tests)."""
from datetime import date

from hypothesis import assume, given
from hypothesis import strategies as st

from motcua.contract import format_label, normalise_dossier_code, parse_label

prefixes = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", max_size=2)


@given(prefixes, st.integers(0, 9999), st.integers(0, 9999))
def test_label_round_trip_and_width(prefix, number, last):
    assume(number <= last)
    label = format_label(prefix, number, last)
    assert len(label) == len(prefix) + len(str(last))
    assert parse_label(label) == (prefix, number)


def test_label_examples():
    assert format_label("A", 7, 999) == "A007"
    assert format_label("", 1001, 1999) == "1001"
    assert parse_label("a007") is None and parse_label("A-7") is None


def test_dossier_code_examples():
    code = "000.00.53.H48-220921-0099"
    assert normalise_dossier_code(code) == code
    assert normalise_dossier_code("  000.00.53.h48 - 220921 - 0099\n") == code
    assert normalise_dossier_code(f"https://dichvucong.quangngai.gov.vn/tra-cuu?ma={code}") == code
    assert normalise_dossier_code("000.00.53.H48-220231-0099") is None, "31 February is not a date"
    assert normalise_dossier_code("000.00.53.H48-220921-00999") is None
    assert normalise_dossier_code("1000.00.53.H48-220921-0099") is None
    assert normalise_dossier_code("' OR 1=1 --") is None
    assert normalise_dossier_code("x" * 10_000) is None


codes = st.builds(lambda a, b, c, m, x, d, n: f"{a:03d}.{b:02d}.{c:02d}.{m}{x:02d}-{d:%y%m%d}-{n:04d}",
                  st.integers(0, 999), st.integers(0, 99), st.integers(0, 99),
                  st.sampled_from("ABCDGHKTX"), st.integers(0, 99),
                  st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)),
                  st.integers(0, 9999))


@given(codes, st.sampled_from(["", " ", "\t"]), st.booleans())
def test_every_valid_code_survives_normalisation(code, pad, lower):
    typed = pad + (code.lower() if lower else code) + pad
    assert normalise_dossier_code(typed) == code


@given(st.text(max_size=60))
def test_normalisation_never_raises_and_returns_a_valid_code_or_none(text):
    out = normalise_dossier_code(text)
    assert out is None or normalise_dossier_code(out) == out
