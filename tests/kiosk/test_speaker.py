"""The kiosk's voice: one text at a time, a second press stops it, a dead sound device is reported and
the kiosk goes on, the speech kept as a WAV that is not silence."""
import array
import threading
import time
import wave

from devtools.testbed import site_data, wait_for, write_site
from kiosk import guidance
from kiosk.speaker import Speaker
from motcua import config

TICKET = {"label": "A012", "service": "LAND", "waiting_ahead": 3, "estimated_wait_min": 15}


def cfg(tmp_path):
    return config.load(write_site(tmp_path, site_data(tmp_path)))


class FakePlayback:
    """A sound device that plays for ``seconds`` unless stopped."""
    playing: list = []

    def __init__(self, sound: bytes, device):
        self.stopped = threading.Event()
        FakePlayback.playing.append(self)

    def wait(self):
        self.stopped.wait(1.0)

    def stop(self):
        self.stopped.set()


def test_a_second_press_stops_it_and_it_never_overlaps_itself(tmp_path):
    FakePlayback.playing = []
    states = []
    s = Speaker({"vi": "vi", "en": "en"}, player=FakePlayback, on_speaking=states.append)
    assert s.toggle("Xin chào", "vi") is True
    wait_for(lambda: len(FakePlayback.playing) == 1, 10, "speaking")
    assert s.toggle("Xin chào", "vi") is False, "the second press stops"
    assert FakePlayback.playing[0].stopped.is_set() and states[-1] is False
    for _ in range(5):                      # a child hammering the button
        s.toggle("Số của ông bà là a, không, một", "vi")
    time.sleep(1.5)
    live = [p for p in FakePlayback.playing if not p.stopped.is_set()]
    assert len(live) <= 1, "never two at once"


def test_a_dead_sound_device_is_reported_and_the_speech_kept_as_a_wav(tmp_path):
    problems = []

    def broken(sound, device):
        raise RuntimeError("không phát được âm thanh / cannot play sound: no card")
    s = Speaker({"vi": "vi"}, save_dir=str(tmp_path / "speech"), player=broken, on_problem=problems.append)
    s.toggle(guidance.result(cfg(tmp_path), TICKET, "vi"), "vi", "result")
    wait_for(lambda: problems, 20, "the problem reported")
    assert "cannot play sound" in problems[0]
    files = list((tmp_path / "speech").glob("*-result.wav"))
    assert len(files) == 1
    with wave.open(str(files[0])) as w:
        samples = array.array("h", w.readframes(w.getnframes()))
        assert w.getnframes() / w.getframerate() > 2.0, "a whole sentence"
    assert max(abs(x) for x in samples) > 3000, "not silence"
    assert s.toggle("x", "vi") is True, "the kiosk goes on: the next press tries again"

