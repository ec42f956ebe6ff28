"""Typing a dossier code at the kiosk and a scanner's keystrokes: digits alone or with the separators
give the same code (a property), the guide shows what is left, the field wraps for large text without
losing a character, a stale half-scan is dropped and a scan never grows past the limit."""
import string

from hypothesis import given
from hypothesis import strategies as st

from kiosk.code_entry import MAX_TYPED, TEMPLATE, CodeEntry, ScanBuffer, shown
from motcua.contract import DOSSIER_CODE_EXAMPLE, MAX_CODE_INPUT, normalise_dossier_code


def press(entry: CodeEntry, keys: str) -> CodeEntry:
    for k in keys:
        entry.press(k)
    return entry


codes = st.builds(lambda a, b, c, letter, d, date, n: f"{a:03}.{b:02}.{c:02}.{letter}{d:02}-{date}-{n:04}",
                  st.integers(0, 999), st.integers(0, 99), st.integers(0, 99), st.sampled_from(string.ascii_uppercase),
                  st.integers(0, 99), st.dates().map(lambda d: d.strftime("%y%m%d")), st.integers(0, 9999))


@given(codes)
def test_typing_only_digits_and_letters_gives_the_whole_code(code):
    assert press(CodeEntry(), code.replace(".", "").replace("-", "")).text == code


@given(codes)
def test_typing_the_dots_and_dashes_too_gives_the_same(code):
    e = press(CodeEntry(), code.lower())
    assert e.text == code and e.complete and e.guide() == ""


def test_the_guide_shows_what_is_left():
    e = press(CodeEntry(), "0000053")
    assert e.text == "000.00.53" and e.guide() == ".___-______-____"
    assert press(CodeEntry(), "").guide() == "___.__.__.___-______-____"
    e.backspace()
    assert e.text == "000.00.5"
    e.clear()
    assert e.text == "" and TEMPLATE == "ddd.dd.dd.Ldd-dddddd-dddd"


def test_the_field_breaks_a_long_code_after_a_dash_for_large_text():
    assert shown("000.00.53.H48-250915-0012", "", 16, "#777") == "000.00.53.H48-\n250915-0012"
    assert shown("000.00.5", ".__.___-______-____", 30, "#777") == "000.00.5[color=#777].__.___-______-____[/color]"
    assert shown("", "___.__.__.___-______-____", 16, "#777") == "[color=#777]___.__.__.___-\n______-____[/color]"


@given(st.text(string.digits + string.ascii_uppercase + ".-", max_size=MAX_TYPED), st.integers(1, 40))
def test_the_field_never_holds_a_line_too_long_nor_loses_a_character(keys, per_line):
    e = press(CodeEntry(), keys)
    lines = shown(e.text, e.guide(), per_line, "#777").replace("[color=#777]", "").replace("[/color]", "")
    assert lines.replace("\n", "") == e.text + e.guide()
    assert all(0 < len(line) <= per_line for line in lines.split("\n"))


@given(st.text(max_size=80))
def test_nothing_typed_breaks_the_entry(keys):
    e = press(CodeEntry(), keys)
    assert len(e.text) <= MAX_TYPED and set(e.text) <= set(string.digits + string.ascii_uppercase + ".-")


def test_a_scan_is_what_came_before_enter():
    s, now = ScanBuffer(), 5.0
    for ch in "https://x.gov.vn/?ma=" + DOSSIER_CODE_EXAMPLE:
        s.feed(ch, now)
        now += 0.005
    text = s.enter(now)
    assert normalise_dossier_code(text) == DOSSIER_CODE_EXAMPLE
    assert s.enter(now) is None, "a second Enter has nothing to look up"


def test_a_stale_half_scan_is_dropped():
    s = ScanBuffer()
    s.feed("000.00.5", 1.0)
    s.feed(DOSSIER_CODE_EXAMPLE, 3.0)               # a new scan, two seconds later
    assert s.enter(3.01) == DOSSIER_CODE_EXAMPLE
    s.feed("123", 10.0)
    assert s.enter(12.0) is None, "Enter long after the keys is not a scan"


@given(st.lists(st.text(max_size=300), max_size=10))
def test_a_scan_never_grows_past_the_limit(chunks):
    s = ScanBuffer()
    for c in chunks:
        s.feed(c, 1.0)
    text = s.enter(1.0) or ""
    assert len(text) <= MAX_CODE_INPUT + 1
    if len("".join(chunks)) > MAX_CODE_INPUT:
        assert normalise_dossier_code(text) is None, "too long is never a code"

