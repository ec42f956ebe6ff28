"""The kiosk's plain-Python rules for part 2: typing a code, a scanner's keystrokes, the idle
reset, the maintenance gesture and PIN, sizes in millimetres, what a dossier looks like on screen,
and the kiosk's configuration keys."""
import string
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devtools.testbed import write_site
from kiosk.code_entry import MAX_TYPED, TEMPLATE, CodeEntry, ScanBuffer, shown
from kiosk.dossier_lookup import Answer, dossier_rows, problem_text, status_line
from kiosk.unattended import CORNER_TAPS, PIN_LOCKOUT_S, PIN_TRIES, CornerTaps, IdleTimer, PinGate, ui_scale
from motcua import config
from motcua.config.kiosk import Screen
from motcua.config.schema import SecretText
from motcua.contract import DOSSIER_CODE_EXAMPLE, MAX_CODE_INPUT, normalise_dossier_code

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


class Tick:
    """A monotonic clock the test moves."""

    def __init__(self):
        self.t = 1000.0

    def __call__(self):
        return self.t


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


def test_idle_after_the_configured_seconds():
    clock = Tick()
    idle = IdleTimer(60, clock)
    clock.t += 59.9
    assert not idle.due()
    idle.touched()
    clock.t += 59.9
    assert not idle.due()
    clock.t += 0.1
    assert idle.due()


def test_five_quick_taps_in_the_corner_and_nothing_else():
    clock = Tick()
    g = CornerTaps(clock)
    h = 1080
    assert [g.tap(10, h - 10, h) for _ in range(CORNER_TAPS)] == [False] * 4 + [True]
    for _ in range(4):
        g.tap(10, h - 10, h)
    g.tap(900, 500, h)                             # a tap elsewhere starts again
    assert not g.tap(10, h - 10, h)
    slow = CornerTaps(clock)
    results = []
    for _ in range(6):
        results.append(slow.tap(10, h - 10, h))
        clock.t += 1.5                             # too slow: never five within 4 s
    assert not any(results)
    assert not CornerTaps(clock).tap(10, 10, h), "the bottom-left corner is not the one"
    big = CornerTaps(clock)                        # on a 4K screen the corner is twice as many pixels
    assert [big.tap(200, 2160 - 200, 2160, 2.0) for _ in range(CORNER_TAPS)][-1]
    assert not CornerTaps(clock).tap(200, h - 200, h, 1.0), "on 1080p that tap is outside the corner"


def test_pin_tries_then_lockout():
    clock = Tick()
    gate = PinGate(SecretText("2468"), clock)
    assert [gate.check("0000") for _ in range(PIN_TRIES)] == ["wrong"] * (PIN_TRIES - 1) + ["locked"]
    assert gate.check("2468") == "locked", "even the right PIN waits out the lockout"
    clock.t += PIN_LOCKOUT_S
    assert gate.check("2468") == "ok"
    assert PinGate(None, clock).check("") == "locked" and not PinGate(None, clock).configured


@pytest.mark.parametrize(("w", "h", "inches", "scale"), [
    (1920, 1080, 21.5, 1.0), (1080, 1920, 21.5, 1.0), (3840, 2160, 21.5, 2.0), (1920, 1080, 32, 21.5 / 32),
    (1366, 768, 21.5, 0.7115),
])
def test_sizes_stay_the_same_in_millimetres(w, h, inches, scale):
    assert ui_scale(w, h, inches) == pytest.approx(scale, rel=1e-3)


DOSSIER = {"code": DOSSIER_CODE_EXAMPLE, "procedure": "Đăng ký khai sinh", "agency": "UBND xã",
           "received_at": "2022-09-21T01:20:00+00:00", "due_at": "2022-09-23T17:00:00+07:00", "finished_at": None,
           "status": 4, "status_text": {"vi": "Đang xử lý", "en": "Being processed"}, "timeliness": "overdue",
           "applicant": "Nguyễn V** A*", "note": ""}


def test_a_dossier_as_the_citizen_reads_it():
    assert status_line(DOSSIER, "vi") == ("Đang xử lý", "Đã quá hạn trả kết quả", False)
    assert status_line(DOSSIER, "en") == ("Being processed", "Past the due date", False)
    rows = dict(dossier_rows(DOSSIER, "vi", TZ))
    assert rows["Ngày tiếp nhận"] == "21/09/2022 08:20", "shown in the site's zone"
    assert rows["Ngày hẹn trả"] == "23/09/2022"
    assert "Ngày hoàn thành" not in rows and "Ghi chú" not in rows, "empty fields are left out"
    odd = dict(dossier_rows({**DOSSIER, "due_at": "soon", "timeliness": None}, "en", TZ))
    assert odd["Due"] == "soon"
    assert status_line({**DOSSIER, "timeliness": None}, "vi")[1:] == ("", True)


def test_every_problem_says_what_to_do_in_both_languages():
    for kind in ("invalid_code", "not_found", "rate_limited", "unavailable"):
        vi_title, vi_body = problem_text(Answer(kind, "X"), "vi")
        en_title, en_body = problem_text(Answer(kind, "X"), "en")
        assert vi_title != en_title and vi_body and en_body
    assert DOSSIER_CODE_EXAMPLE in problem_text(Answer("invalid_code", "12"), "vi")[1]
    assert "000.00.53.H48-250101-0001" in problem_text(Answer("not_found", "000.00.53.H48-250101-0001"), "en")[1]


def test_kiosk_keys_in_the_config(tmp_path, make_cfg):
    printer = {"connection": "directory", "path": str(tmp_path)}
    cfg = make_cfg(kiosks=[{"id": "k1", "printer": printer}])
    k = cfg.kiosks[0]
    assert (k.screen, k.idle_reset_s, k.dossier_lookup, k.maintenance_pin) == (
        Screen("landscape", 21.5), 60, True, None)
    cfg = make_cfg(kiosks=[{"id": "k1", "printer": printer, "maintenance_pin": "024680",
                            "screen": {"orientation": "portrait", "diagonal_in": 32}}])
    assert cfg.kiosks[0].maintenance_pin == "024680" and "024680" not in repr(cfg.kiosks)
    assert cfg.kiosks[0].screen == Screen("portrait", 32.0)


def test_kiosk_key_mistakes_are_reported_and_the_pin_never_shown(tmp_path):
    from devtools.testbed import site_data
    printer = {"connection": "directory", "path": str(tmp_path)}
    bad = {"id": "k1", "printer": printer, "maintenance_pin": "12ab34", "idle_reset_s": 2,
           "screen": {"orientation": "upright", "diagonal": 20}}
    with pytest.raises(config.ConfigError) as e:
        config.load(write_site(tmp_path, site_data(tmp_path, kiosks=[bad])))
    text = str(e.value)
    assert "kiosks[0].maintenance_pin: '***' does not match" in text and "12ab34" not in text
    assert "kiosks[0].idle_reset_s: 2 is out of range 5..3600" in text
    assert "kiosks[0].screen.orientation: must be one of landscape, portrait" in text
    assert "kiosks[0].screen.diagonal: unknown key (did you mean 'diagonal_in'?)" in text
