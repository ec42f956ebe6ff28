"""The kiosk's voice for "Nghe hướng dẫn" / "Listen", without Kivy: one text at a time,
a second press stops it, a new screen's text replaces the old one, never two at once. A missing
sound device is reported (``on_problem``) and the kiosk goes on; each text can also be written as
a WAV, as the wall screen does, for support and the tests."""
from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable

from motcua.speech import Playback, SoundState, speak, wav

log = logging.getLogger(__name__)


class Speaker:
    """Reads a kiosk screen aloud for "Listen" in the configured voices: a second press or a later screen stops it;
    sound problems are reported (``on_problem``), never raised into the UI."""

    def __init__(self, voices: dict[str, str], speed: int = 135, device: str | None = None,
                 save_dir: str | None = None, on_problem: Callable[[str | None], None] = lambda p: None,
                 on_speaking: Callable[[bool], None] = lambda on: None, player=Playback):
        self.voices, self.speed, self.device = voices, speed, device
        self.on_speaking, self.player = on_speaking, player
        self.lock = threading.Lock()
        self.current: Playback | None = None
        self.turn = 0                      # which press the worker speaks for; a later one wins
        self._starting = False             # a press's speech is being made, not yet playing
        self.spoken: list[str] = []
        self.sound = SoundState(save_dir, on_problem, log)

    def toggle(self, text: str, lang: str, name: str = "screen") -> bool:
        """Start reading ``text``, or stop if it is reading: True when it starts."""
        with self.lock:
            if self.current is not None or self._starting:
                self._stop()
                return False
            self.turn += 1
            turn = self.turn
            self._starting = True
        threading.Thread(target=self._say, args=(text, lang, name, turn), daemon=True).start()
        return True

    def stop(self) -> None:
        """Silence, now (the idle reset, another screen)."""
        with self.lock:
            self._stop()

    def _stop(self) -> None:
        self.turn += 1
        self._starting = False
        if self.current is not None:
            self.current.stop()
            self.current = None
        self.on_speaking(False)

    def _say(self, text: str, lang: str, name: str, turn: int) -> None:
        try:
            sound = wav(speak(text, self.voices.get(lang, "vi"), self.speed))
            self.sound.keep(re.sub(r'[^a-z0-9-]', '', name), sound)
            with self.lock:
                if turn != self.turn:
                    return                 # stopped while it was being made
                self._starting = False
                self.current = self.player(sound, self.device)
                playing = self.current
            self.on_speaking(True)
            playing.wait()
            self.spoken.append(text)
            self.sound.report(None)
        except (RuntimeError, OSError, ValueError) as e:
            self.sound.report(str(e))
        finally:
            with self.lock:
                if turn == self.turn:
                    self._starting = False
                    self.current = None
                    self.on_speaking(False)
