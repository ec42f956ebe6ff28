"""SPEC 10.1 and 11.1 against the real gammu-smsd on Gammu's dummy phone: what a phone texts can
neither stop the follow-up nor make the centre's number say the sender's words."""
import logging

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devtools.testbed import GammuSmsd, wait_for
from motcua.config.followup import DEFAULT_TEMPLATES, SAMPLE
from motcua.contract import DOSSIER_CODE_RE
from motcua.followup.inbound import OwnVoice, read
from motcua.followup.texts import compose
from tests.motcua.followup.test_followup import CODE, gammu_hall, pass_until_sent

CENTRE = {"centre": "TT PVHCC Quang Ngai", "centre_phone": "0255 3822 000"}
HELP = ("TT PVHCC Quang Ngai: nhan LS <dich vu> de lay so, STT <so> de duoc bao luot, HS <ma ho so> de tra ho so, "
        "STOP de ngung nhan tin. Ho tro: 0255 3822 000.")


UNICODE_INBOX = True         # the inbox as UTF-16: Vietnamese texts, and a broken one as it came


def receive(smsd: GammuSmsd, texts: list[tuple[str, str]]) -> None:
    """Texts arriving at the modem, each as its own SMS, until the daemon has put them all in its inbox."""
    expected = len(list(smsd.inbox.iterdir())) + len(texts)
    for phone, text in texts:
        smsd.receive(phone, text)
    wait_for(lambda: len(list(smsd.inbox.iterdir())) >= expected, 20, f"{len(texts)} texts in Gammu's inbox")


def answers(h) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for m in h.messages():
        if m["event"] == "answer":
            out.setdefault(m["phone"], []).append(m["text"])
    return out


def test_a_text_that_cannot_be_decoded_is_moved_aside_and_every_sms_still_goes(tmp_path, smsd, caplog):
    h = gammu_hall(tmp_path, smsd)
    # a lone surrogate, written by gammu-smsd itself into its UTF-16 inbox, as a phone may send it
    (smsd.phone / "sms" / "1" / "1").write_text('[SMSBackup000]\nNumber = "+84912000001"\nText00 = D8000041\n'
                                                "Coding = Unicode\nFolder = 1\nSent = 20261203T090000\n"
                                                "State = UnRead\n", encoding="utf-8")
    wait_for(lambda: list(smsd.inbox.iterdir()), 10, "the broken text in Gammu's inbox")
    [surrogate] = list(smsd.inbox.iterdir())
    (smsd.inbox / "IN20261203_090001_00_+84912000002_00.txt").write_bytes(b"\xff\xfeH\x00S\x00 ")    # odd bytes
    receive(smsd, [("+84912000003", "STOP")])
    h.put(status=2)
    with caplog.at_level(logging.WARNING, "motcua.followup"):
        msgs = pass_until_sent(h, 2)
    assert {m["event"] for m in msgs if m["state"] == "sent"} == {"received", "answer"}, \
        "the dossier's SMS and the answer to a good text both went"
    bad = smsd.dir / "inbox-bad"
    assert sorted(p.name for p in bad.iterdir()) == sorted([surrogate.name,
                                                            "IN20261203_090001_00_+84912000002_00.txt"])
    assert (bad / surrogate.name).read_bytes() == b"\xfe\xff\xd8\x00\x00A", "kept as it came, never lost"
    assert [p.name for p in smsd.inbox.iterdir()] == ["IN20261203_090000_00_+84912000003_00.txt"]
    assert caplog.text.count("inbox-bad") == 2, "each logged once"


def test_hostile_texts_get_one_help_text_a_day_and_never_their_own_words(tmp_path, smsd):
    h = gammu_hall(tmp_path, smsd)
    receive(smsd, [("+84912000001", "HS click http://evil.example/win"),
                   ("+84912000002", "<script>alert('x')</script>{centre}"),
                   ("+84912000003", "\x1b[2J\x07\x08HS 000.00.53.H48-261201-0042"),
                   ("+84912000004", "Ư" * 1000),
                   ("+84912000001", "Goi lai ngay CLICK HTTP://EVIL.EXAMPLE/WIN"),
                   ("+84912000002", "ban la ai?")])
    pass_until_sent(h, 4)
    said = answers(h)
    assert said == {f"+8491200000{i}": [HELP] for i in range(1, 5)}, \
        "one fixed help text a day per phone, nothing the sender wrote"
    h.clock.advance(days=1)
    receive(smsd, [("+84912000001", "HS click http://evil.example/win")])
    pass_until_sent(h, 5)
    assert answers(h)["+84912000001"] == [HELP, HELP], "and again the next day"


def test_an_answering_machine_gets_at_most_answers_daily_and_no_echo_is_answered(tmp_path, smsd):
    h = gammu_hall(tmp_path, smsd)
    h.put(status=4)
    echo = f"Ho so {CODE}: Dang xu ly, hen tra 10/12/2026."          # the centre's own answer, sent back
    receive(smsd, [("+84912000009", f"HS {CODE}")] * 10)
    receive(smsd, [("+84912000008", echo), ("+84912000008", f"Tra loi tu dong: {echo}"), ("+84912000008", HELP),
                   ("+84912000007", "HS 000.00.53.H48-261231-0001")])
    pass_until_sent(h, 7)
    said = answers(h)
    assert said["+84912000009"] == [echo] * 5, "answers_daily (5) a day to one phone, whatever it sends"
    assert "+84912000008" not in said, "a text that reads like the centre's own is never answered"
    assert said["+84912000007"] == ["Khong tim thay ho so 000.00.53.H48-261231-0001. Lien he 0255 3822 000."], \
        "a well-formed code is named back, nothing else"
    assert [m["event"] for m in h.messages()].count("received") == 1, "answers count apart from per_phone_daily"


def test_answers_daily_is_a_setting(tmp_path, smsd):
    h = gammu_hall(tmp_path, smsd, answers_daily=2)
    receive(smsd, [("+84912000009", "HS 000.00.53.H48-261231-0001")] * 3)
    pass_until_sent(h, 2)
    h.fu.run_once()
    assert len(answers(h)["+84912000009"]) == 2


@given(st.text(max_size=1200))
def test_what_a_text_asks_never_carries_its_words(text):
    """The only thing read from a text that may go back is a well-formed dossier code."""
    ask = read(text)
    assert ask.kind in ("stop", "lookup", "take", "follow", "help")
    assert (ask.code is None) == (ask.kind != "lookup")
    assert ask.code is None or DOSSIER_CODE_RE.match(ask.code)


@given(st.sampled_from(sorted(DEFAULT_TEMPLATES)), st.text(max_size=300), st.booleans())
def test_every_text_the_centre_sends_reads_as_its_own(name, note, unicode):
    voice = OwnVoice(DEFAULT_TEMPLATES.values(), CENTRE)
    _, sent = compose(DEFAULT_TEMPLATES[name], {**SAMPLE, **CENTRE, "note": note, "procedure": note}, unicode)
    assert voice.heard(sent) and voice.heard(f"Re: {sent}")


@pytest.mark.parametrize("text", ["HS 000.00.53.H48-261201-0042", "000.00.53.H48-261201-0042", "STOP",
                                  "ho so cua toi: da xong chua, hen tra ngay nao.", "Xin chao trung tam", ""])
def test_a_citizen_is_not_taken_for_the_centre(text):
    assert not OwnVoice(DEFAULT_TEMPLATES.values(), CENTRE).heard(text)
