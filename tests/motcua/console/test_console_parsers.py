"""Every parser of the console, with hypothesis: cookies, query ranges, file names, the broker's
payloads, the logouts file — any input gets an answer or a clear refusal, never a crash and never a
way in. And every text the templates ask for exists in both languages."""
import re
from datetime import datetime
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from devtools.testbed import site_data, write_site
from motcua import config
from motcua.config import User
from motcua.console import data, i18n
from motcua.console.auth import Sessions, hash_password
from motcua.console.hall import Hall

HASH = hash_password("x")
USER = User("giamsat", "supervisor", (), HASH)
SESSIONS = Sessions(b"k" * 40, {"giamsat": USER}, 10)


@given(st.text(max_size=700))
def test_a_made_up_cookie_is_no_session(text):
    assert SESSIONS.read(text) is None


@given(st.binary(max_size=64))
def test_a_tampered_cookie_is_no_session(junk):
    good = SESSIONS.issue(USER)
    payload, _, sig = good.rpartition(".")
    flipped = payload[:-1] + ("A" if payload[-1] != "A" else "B")
    assert SESSIONS.read(f"{flipped}.{sig}") is None
    assert SESSIONS.read(f"{payload}{junk.hex()}.{sig}") is None or junk == b""


@given(st.text(max_size=30), st.text(max_size=30))
def test_any_range_in_the_query_is_a_range_or_a_clear_refusal(tmp_path_factory, first, last):
    cfg = _cfg(tmp_path_factory)
    try:
        a, b = data.day_range(cfg, first or None, last or None, datetime.now(cfg.site.tz))
    except data.RangeError as e:
        assert str(e)
    else:
        assert a <= b and (b - a).days < data.MAX_RANGE_DAYS


@settings(max_examples=200)
@given(st.text(max_size=80))
def test_no_letter_name_reaches_outside_the_letters_folder(tmp_path_factory, name):
    cfg = _cfg(tmp_path_factory)
    found = data.letter_file(cfg, name)
    assert found is None or found.parent == Path(cfg.followup.letters_dir).resolve()


@settings(max_examples=300)
@given(st.lists(st.sampled_from(["status/hub", "counter/1/state", "service/LAND/state", "call", "kiosk/k1/printer",
                                 "figures/2026-12-04", "status/province-link", "x/y/z", "counter/1",
                                 "calls/recent"]), max_size=4),
       st.binary(max_size=300), st.booleans())
def test_whatever_the_broker_carries_the_hall_goes_on(tmp_path_factory, suffixes, payload, retained):
    hall = Hall(_cfg(tmp_path_factory))
    for s in suffixes:
        hall.message(f"{hall.t.root}/{s}", payload, retained)
        hall.message(f"{hall.t.root}/{s}", b'{"status": 5, "ticket": [1], "counter": {}}', retained)
    snap = hall.snapshot()
    assert isinstance(snap["version"], int) and isinstance(snap["calls"], list)


@given(st.binary(max_size=400))
def test_a_damaged_logouts_file_is_read_as_far_as_it_makes_sense(tmp_path_factory, junk):
    path = tmp_path_factory.mktemp("logouts") / "console-logouts"
    path.write_bytes(junk)
    s = Sessions(b"k" * 40, {"giamsat": USER}, 10, ended_file=path)
    assert s.read(s.issue(USER)) is not None


def test_every_text_the_templates_ask_for_is_in_both_languages():
    root = Path(i18n.__file__).parent
    asked = set()
    for f in [*(root / "templates").glob("*.html"), *root.glob("*.py")]:
        asked |= set(re.findall(r"""\bt\(\s*['"]([a-z_]+)['"]""", f.read_text(encoding="utf-8")))
        if f.name == "pages.py":      # the messages a page is drawn with: ("extended_ok", {...})
            found = set(re.findall(r"""request, \("([a-z_]+)", \{""", f.read_text(encoding="utf-8")))
            assert found >= {"hub_failed", "extended_ok"}
            asked |= found
    missing = sorted(k for k in asked if k not in i18n.WORDS and not k.endswith("_"))   # "state_" ~ s
    assert not missing
    for key, (vi, en) in i18n.WORDS.items():
        assert vi and en, key


_CFG = {}


def _cfg(factory):
    if "cfg" not in _CFG:
        tmp = factory.mktemp("site")
        (tmp / "letters").mkdir()
        (tmp / "letters" / "a.pdf").write_bytes(b"%PDF")
        (tmp / "secret.pdf").write_bytes(b"%PDF")
        followup = {"database": str(tmp / "f.sqlite3"), "letters_dir": str(tmp / "letters"),
                    "letter": {"agency": "A", "place": "P"},
                    "sms": {"transport": "directory", "directory": {"path": str(tmp / "sms")}}}
        _CFG["cfg"] = config.load(write_site(tmp, site_data(tmp, followup=followup)))
    return _CFG["cfg"]


@given(st.lists(st.one_of(st.dictionaries(st.sampled_from(["counter", "ticket", "at", "service", "recall"]),
                                          st.one_of(st.text(max_size=8), st.integers(), st.none())),
                          st.integers(), st.text(max_size=5)), max_size=30))
def test_the_hubs_recent_calls_of_today_fill_the_last_calls_and_nothing_else(tmp_path_factory, calls):
    import json
    hall = Hall(_cfg(tmp_path_factory))
    today = data.today(hall.cfg).isoformat()
    hall.message(f"{hall.t.root}/calls/recent", json.dumps({"day": today, "calls": calls}).encode(), True)
    got = hall.snapshot()["calls"]
    assert len(got) <= 10 and all(isinstance(c["counter"], str) and isinstance(c["ticket"], str) for c in got)
    hall.message(f"{hall.t.root}/calls/recent", json.dumps({"day": "2001-01-01", "calls": [
        {"counter": "1", "ticket": "A999"}]}).encode(), True)
    assert hall.snapshot()["calls"] == got, "another day's list is not today's last calls"
