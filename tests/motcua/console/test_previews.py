"""The settings pages' two previews (SPEC 12.1) against a real hub and console: a wall screen's sample call as a WAV
made by the wall screen's own voice, and an SMS template as the follow-up will send it; a supervisor's only."""
import array
import io
import json
import wave
from urllib.parse import quote

import pytest

from devtools.testbed import HubProcess, site_data, write_site
from devtools.web import ConsoleProcess, WebClient, console_section, users
from motcua import config
from motcua.config.followup import DEFAULT_TEMPLATES, SAMPLE
from motcua.console.previews import preview
from motcua.followup.texts import fold
from tests.motcua.console.conftest import followup_section

FIELDS = {**SAMPLE, "centre": "TT PVHCC Quảng Ngãi"}


@pytest.fixture
def hall(tmp_path, broker):
    section = console_section(tmp_path)
    followup = followup_section(tmp_path)
    followup["sms"].update(centre="TT PVHCC Quảng Ngãi", centre_phone="0255 3822 000")
    data = site_data(tmp_path, broker.port, console=section, users=users(), followup=followup,
                     displays=[{"id": "hall", "counters": ["3"], "voice": {"repeat": 1}}])
    cfg = config.load(write_site(tmp_path, data))
    hub = HubProcess(cfg.path, tmp_path / "hub.log").start()
    console = ConsoleProcess(cfg.path, tmp_path / "console.log", section["public_url"]).start()
    boss, clerk = WebClient(console.base), WebClient(console.base)
    assert boss.login("giamsat") == 303 and clerk.login("quay1") == 303
    yield boss, clerk
    console.stop()
    hub.stop()


def samples(body: bytes) -> array.array:
    assert body[:4] == b"RIFF" and body[8:12] == b"WAVE"
    with wave.open(io.BytesIO(body)) as w:
        assert (w.getnchannels(), w.getsampwidth()) == (1, 2) and w.getnframes() > w.getframerate(), "over a second"
        return array.array("h", w.readframes(w.getnframes()))


def test_the_sample_call_is_the_wall_screens_voice_and_follows_the_phrase(hall):
    boss, clerk = hall
    status, headers, first = boss.get("/settings/voice-sample/hall")
    assert status == 200 and headers["content-type"] == "audio/wav", first[:200]
    pcm = samples(first)
    assert max(abs(s) for s in pcm) > 3000, "audible, not silence"
    status, _, other = boss.get("/settings/voice-sample/hall?phrase=" + quote("Mời số {ticket} đến bàn {counter}"))
    assert status == 200 and samples(other) != pcm, "an unsaved phrase is heard"
    assert boss.get("/settings/voice-sample/nowhere")[0] == 404
    status, _, body = boss.get("/settings/voice-sample/hall?phrase=" + quote("Mời số {ticket} {quay}"))
    assert status == 400 and "phrase" in json.loads(body)["problems"][0]
    assert boss.get("/settings/voice-sample/hall?phrase=" + "x" * 201)[0] == 400, "bounded"
    assert boss.get("/settings/voice-sample/hall?phrase=" + quote("{ticket.x}"))[0] == 400, "a clear error, not a 500"
    assert clerk.get("/settings/voice-sample/hall")[0] == 403
    assert WebClient(boss.base).get("/settings/voice-sample/hall")[0] == 303, "anonymous: to the login page"


def test_the_sms_preview_is_the_folded_text_and_its_parts(hall):
    boss, clerk = hall
    token = boss.csrf("/hall")
    status, _, body = boss.post("/settings/sms-preview", {"csrf": token, "template": DEFAULT_TEMPLATES["received"]})
    said = json.loads(body)
    assert status == 200, said
    assert said["text"] == ("TT PVHCC Quang Ngai: da tiep nhan ho so 000.00.53.H48-220921-0099 (Cap giay phep xay "
                            "dung), hen tra 03/12/2026.")
    assert (said["parts"], said["chars"], said["problems"]) == (1, len(said["text"]), [])
    long = "Hồ sơ {code}: " + "rất dài " * 30
    said = json.loads(boss.post("/settings/sms-preview", {"csrf": token, "template": long})[2])
    assert (said["chars"], said["parts"]) == (273, 2), "153 characters a part after the first 160"
    short = "Hồ sơ {code}: " + "rất dài " * 8
    said = json.loads(boss.post("/settings/sms-preview", {"csrf": token, "template": short})[2])
    assert (said["chars"], said["parts"]) == (97, 1)
    said = json.loads(boss.post("/settings/sms-preview", {"csrf": token, "template": short, "unicode": "true"})[2])
    assert said["text"].endswith("rất dài ") and (said["chars"], said["parts"]) == (97, 2), "Unicode: 70, parts of 67"
    status, _, body = boss.post("/settings/sms-preview", {"csrf": token, "template": long, "unicode": "true"})
    assert status == 400 and "3 SMS" in json.loads(body)["problems"][0], "more than three parts cannot be sent"
    status, _, body = boss.post("/settings/sms-preview", {"csrf": token, "template": "{code} {ma} {so}"})
    problems = json.loads(body)["problems"]
    assert status == 400 and len(problems) == 2 and "{ma}" in problems[0] and "{so}" in problems[1]
    bad_forms = ({"template": "{code"}, {"template": ""}, {"template": "x" * 601}, {},
                 {"template": "a", "unicode": "?"})
    for bad in bad_forms:
        status, _, body = boss.post("/settings/sms-preview", {"csrf": token, **bad})
        assert status == 400 and json.loads(body)["problems"], bad
    assert boss.post("/settings/sms-preview", {"template": "x"})[0] == 403, "no token: forged"
    assert clerk.post("/settings/sms-preview", {"csrf": clerk.csrf("/counter/1"), "template": "x"})[0] == 403


def test_the_preview_is_the_follow_ups_own_text():
    said = preview(DEFAULT_TEMPLATES["supplement"], {**FIELDS, "note": "bổ sung " * 200}, False)
    assert said["text"].startswith("Ho so 000.00.53.H48-220921-0099 can bo sung: bo sung") and said["parts"] == 3
    assert said["text"].endswith(fold("…. Liên hệ TT PVHCC Quảng Ngãi, 0255 3822 000.")), "shortened in the note only"
    assert preview("{code.x}", FIELDS, False)["problems"], "an attribute of a field is refused, not a crash"
