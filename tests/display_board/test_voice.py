"""The wall screen's voice (SPEC section 8): the announcement's WAV, the chime then the phrase
repeated; calls arriving together queued, none lost, none overlapping, a recall said again; a
missing sound device reported and the queue going on."""
import io
import threading
import time
import wave

from display_board.voice import Announcer
from motcua.speech import RATE, VoiceConfig, announcement


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

