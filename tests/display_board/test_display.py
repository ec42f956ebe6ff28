"""SPEC section 8: the words, the voice queue, the board's model, and real frames of the screen."""
import io
import json
import re
import shutil
import subprocess
import sys
import threading
import time
import wave

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from devtools.testbed import ROOT, Broker, HubProcess, counter, env, service, site_data, wait_for, write_site
from display_board.model import BLINK_S, BoardModel
from display_board.voice import Announcer, VoiceConfig, announcement
from motcua import config
from motcua.hubclient import HubClient
from motcua.link import Link
from motcua.speech import RATE
from motcua.words import counter_words, label_words, number_words, phrase


@pytest.mark.parametrize("n,words", [
    (0, "không"), (4, "bốn"), (10, "mười"), (11, "mười một"), (14, "mười bốn"), (15, "mười lăm"), (20, "hai mươi"),
    (21, "hai mươi mốt"), (24, "hai mươi tư"), (25, "hai mươi lăm"), (101, "một trăm linh một"),
    (110, "một trăm mười"), (999, "chín trăm chín mươi chín"), (1000, "một nghìn"),
    (1005, "một nghìn không trăm linh năm"), (1025, "một nghìn không trăm hai mươi lăm"),
    (2024, "hai nghìn không trăm hai mươi tư"),
])
def test_numbers_in_vietnamese(n, words):
    assert number_words(n) == words


@given(st.integers(0, 9999))
def test_number_words_follow_the_rules(n):
    w = number_words(n)
    assert "mười năm" not in w and "mươi năm" not in w, "5 after tens is lăm"
    assert "mươi một" not in w, "1 after twenty and up is mốt"
    assert "không mươi" not in w and "linh không" not in w
    assert w.split()[0] != "không" or n == 0


@given(st.text(alphabet="ABCDEGHK", max_size=2), st.integers(0, 9999), st.sampled_from([3, 4]))
def test_labels_are_spelled_never_left_to_the_engine(prefix, n, width):
    label = f"{prefix}{n:0{width}d}"
    spoken = label_words(label, "digits")
    assert spoken.count(",") == len(label) - 1, "every letter and digit its own word"
    assert not any(ch.isdigit() for ch in spoken) and not any(ch.isupper() for ch in spoken)


def test_the_spec_examples():
    assert label_words("A012") == "a, không, một, hai"
    assert label_words("A012", "number") == "a, mười hai"
    assert counter_words("5") == "năm"
    assert counter_words("5", {"5": "tiếp nhận hồ sơ đất đai"}) == "tiếp nhận hồ sơ đất đai"
    assert counter_words("tn-2") == "tê en-nờ hai", "an id that is not a number: spelled"
    assert phrase("A012", "5") == "Xin mời công dân có số thứ tự a, không, một, hai đến quầy số năm"


def test_announcement_wav_has_the_chime_then_the_phrase_repeated():
    text, wav = announcement("B105", "12", VoiceConfig(repeat=2))
    assert text.endswith("bê, một, không, năm đến quầy số mười hai")
    with wave.open(io.BytesIO(wav)) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (RATE, 1, 2)
        seconds = w.getnframes() / RATE
    _, once = announcement("B105", "12", VoiceConfig(repeat=1, chime=False))
    with wave.open(io.BytesIO(once)) as w:
        single = w.getnframes() / RATE
    assert seconds > 2 * single, "chime + twice the phrase"


class Speakers:
    """A fake sound device that takes its time and remembers when each announcement played."""

    def __init__(self, broken=0):
        self.played, self.broken, self.lock = [], broken, threading.Lock()

    def __call__(self, wav, device):
        with self.lock:
            if self.broken:
                self.broken -= 1
                raise RuntimeError("no sound card")
        start = time.monotonic()
        time.sleep(0.05)
        self.played.append((start, time.monotonic()))


def test_calls_arriving_together_are_queued_none_lost_none_overlapping():
    speakers = Speakers()
    a = Announcer(VoiceConfig(repeat=1, chime=False, speed=300), speakers)
    for ticket, c in [("A001", "1"), ("B002", "2"), ("A001", "1"), ("C003", "3")]:   # the third is a recall
        a.announce(ticket, c)
    assert a.wait_idle(60)
    assert [s.split("thứ tự ")[1] for s in a.spoken] == ["a, không, không, một đến quầy số một",
                                                         "bê, không, không, hai đến quầy số hai",
                                                         "a, không, không, một đến quầy số một",
                                                         "xê, không, không, ba đến quầy số ba"]
    spans = speakers.played
    assert all(spans[i][1] <= spans[i + 1][0] for i in range(len(spans) - 1)), "never two at once"


def test_a_missing_sound_device_is_reported_and_the_queue_goes_on():
    problems = []
    a = Announcer(VoiceConfig(repeat=1, chime=False, speed=300), Speakers(broken=1), problems.append)
    a.announce("A001", "1")
    a.announce("A002", "1")
    assert a.wait_idle(60)
    assert problems == ["no sound card", None] and len(a.spoken) == 1


def board(tmp_path, n=3, port=1883):
    data = site_data(tmp_path, port, counters=[counter(i, ["LAND", "JUST"]) for i in range(1, n + 1)],
                     displays=[{"id": "hall", "counters": ["1", "2"]}, {"id": "annex", "counters": ["3"]}])
    return config.load(write_site(tmp_path, data))


def test_model_shows_its_counters_calls_and_waiting(tmp_path):
    cfg = board(tmp_path)
    t = [0.0]
    m = BoardModel(cfg, cfg.displays[0], clock=lambda: t[0])
    r = f"motcua/{cfg.site.id}/"
    m.set_link(True)
    assert m.on_message(r + "counter/1/state", b'{"status": "serving", "ticket": "A001"}') is None
    assert m.on_message(r + "call", b'{"counter": "2", "ticket": "B001"}') == ("B001", "2")
    assert m.on_message(r + "call", b'{"counter": "3", "ticket": "A002"}') is None, "the annex announces it"
    m.on_message(r + "service/LAND/state", b'{"waiting": 7}')
    m.on_message(r + "counter/2/state", b"not json at all")
    s = m.snapshot()
    assert [(x.counter, x.ticket) for x in s.tiles] == [("1", "A001"), ("2", "B001")]
    assert s.newest == "2" and s.last_calls == (("B001", "Quầy 2"),) and s.connected
    assert ("Dịch vụ LAND", "Service LAND", 7) in s.waiting
    t[0] = 0.6
    assert not m.snapshot().blink_on
    t[0] = BLINK_S + 0.6
    assert m.snapshot().blink_on, "after blinking, the newest call stays highlighted"
    m.on_message(r + "status/hub", b"offline")
    assert not m.snapshot().connected, "the hub away: mất kết nối"


def test_model_takes_the_days_last_calls_for_its_own_counters(tmp_path):
    cfg = board(tmp_path)
    m = BoardModel(cfg, cfg.displays[0])
    r = f"motcua/{cfg.site.id}/"
    events = [{"counter": "3", "ticket": "A009"}, {"counter": "2", "ticket": "B002"}, {"counter": ["1"]},
              "junk", {"counter": "1", "ticket": 5}, {"counter": "1", "ticket": "A001"}]
    assert m.on_message(r + "calls/recent", json.dumps({"day": "2026-12-01", "calls": events}).encode()) is None, \
        "nothing is announced again"
    assert m.snapshot().last_calls == (("B002", "Quầy 2"), ("A001", "Quầy 1")), "the annex's call is not ours"
    m.on_message(r + "calls/recent", b'{"day": "2026-12-02", "calls": []}')
    assert m.snapshot().last_calls == (), "a new day, an empty panel"


def test_a_board_started_after_calls_shows_them(tmp_path, broker):
    """The wall screen (re)started mid-day: its last-calls panel shows the day's calls at once, though
    its counter is idle again (the tile shows ----): the labels read off the frame are the panel's."""
    data = site_data(tmp_path, broker.port, counters=[counter(1, ["LAND"])],
                     displays=[{"id": "hall", "counters": ["1"]}])
    cfg = config.load(write_site(tmp_path, data))
    hub = HubProcess(cfg.path, tmp_path / "hub.log").start()
    c = HubClient(cfg, "t").start()
    c.issue("?", timeout=0.2, tries=100)
    for _ in range(3):
        c.issue("LAND")
    for action in ("next", "next", "next", "done"):
        c.command("1", action)
    png = tmp_path / "board.png"
    r = subprocess.run([sys.executable, "-m", "display_board", "--config", str(cfg.path), "--id", "hall",
                        "--screenshot", str(png)], capture_output=True, text=True, cwd=ROOT, timeout=60,
                       env={**env(), "SDL_VIDEODRIVER": "offscreen", "KIVY_HOME": str(tmp_path / "kivy")})
    c.stop(), hub.stop()
    assert r.returncode == 0, r.stderr[-2000:]
    assert {("A", 1), ("A", 2), ("A", 3)} <= labels_in(read_text(Image.open(png)))


def test_model_follows_the_broker_away_and_back(tmp_path):
    b = Broker(tmp_path / "b").start()
    cfg = board(tmp_path, port=b.port)
    m = BoardModel(cfg, cfg.displays[0])
    link = Link(cfg, "display-hall", on_message=lambda msg: m.on_message(msg.topic, bytes(msg.payload)),
                on_connect=lambda: m.set_link(True), on_disconnect=lambda: m.set_link(False))
    link.start()
    wait_for(lambda: m.snapshot().connected, 5, "connected")
    b.stop()
    wait_for(lambda: not m.snapshot().connected, 5, "mất kết nối")
    b.start()
    wait_for(lambda: m.snapshot().connected, 6, "back by itself")
    link.stop(), b.stop()


def screenshot(tmp_path, broker, n, portrait=False):
    svcs = [service("LAND", "A"), service("JUST", "B")]
    counters = [counter(i, ["LAND", "JUST"]) for i in range(1, n + 1)]
    data = site_data(tmp_path, broker.port, services=svcs, counters=counters,
                     displays=[{"id": "hall", "counters": [str(i) for i in range(1, n + 1)],
                                "notice": "Vui lòng giữ trật tự"}])
    cfg = config.load(write_site(tmp_path, data))
    hub = HubProcess(cfg.path, tmp_path / "hub.log").start()
    c = HubClient(cfg, "t").start()
    c.issue("?", timeout=0.2, tries=100)
    for i in range(n):
        c.issue("LAND" if i % 2 else "JUST")
    for i in range(1, n + 1):
        c.command(str(i), "next")
    png = tmp_path / "board.png"
    r = subprocess.run([sys.executable, "-m", "display_board", "--config", str(cfg.path), "--id", "hall",
                        "--screenshot", str(png), *(["--portrait"] if portrait else [])], capture_output=True,
                       text=True, cwd=ROOT, timeout=60,
                       env={**env(), "SDL_VIDEODRIVER": "offscreen", "KIVY_HOME": str(tmp_path / "kivy")})
    c.stop(), hub.stop()
    assert r.returncode == 0, r.stderr[-2000:]
    return Image.open(png)


def labels_in(text: str) -> set[tuple[str, int]]:
    """(letter, number) of every label-like token OCR read, forgiving its bold-digit slips:
    8 for B, O for 0, an extra O ("BO002")."""
    out = set()
    for letter, digits in re.findall(r"\b([AB8])([O0-9]{3,5})\b", text.upper()):
        out.add(("B" if letter == "8" else letter, int(digits.replace("O", "0"))))
    return out


def read_text(image: Image.Image) -> str:
    """What tesseract reads, at the frame's size and at twice it (each misses different glyphs)."""
    if shutil.which("tesseract") is None:
        pytest.skip("tesseract is not installed")
    texts = []
    for scale in (1, 2):
        buf = io.BytesIO()   # light text on dark tiles -> dark text on white, as tesseract likes it
        grey = image.convert("L").resize((image.width * scale, image.height * scale), Image.LANCZOS)
        grey.point(lambda p: 0 if p > 160 else 255).save(buf, "PNG")
        r = subprocess.run(["tesseract", "-", "-", "--psm", "11"], input=buf.getvalue(), capture_output=True,
                           timeout=60)
        texts.append(r.stdout.decode())
    return "\n".join(texts)


@pytest.mark.parametrize("n,portrait", [(12, False), (30, True)])
def test_real_frames_show_every_counter_and_ticket(tmp_path, broker, n, portrait):
    image = screenshot(tmp_path, broker, n, portrait)
    assert image.size == ((1080, 1920) if portrait else (1920, 1080))
    text = read_text(image)
    labels = [f"A{i:03d}" for i in range(1, n // 2 + 1)] + [f"B{i:03d}" for i in range(1, (n + 1) // 2 + 1)]
    seen = labels_in(text)
    found = [label for label in labels if (label[0], int(label[1:])) in seen]
    assert len(found) >= 0.9 * n, f"labels read off the screen: {found}\n{text}"
