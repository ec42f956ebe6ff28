"""Voice calls, offline: a chime, then the phrase spoken by espeak-ng (SPEC section 8).

Announcements queue: one worker speaks them one after another, so two never overlap, none is
lost, and a recall is simply announced again. A missing sound device is reported and the queue
goes on (the screen does not depend on it).
"""
from __future__ import annotations

import logging
import queue
import subprocess
import threading
from collections.abc import Callable

from motcua.speech import SoundState, VoiceConfig, announcement, play_with_aplay

log = logging.getLogger(__name__)


class Announcer:
    """The announcement queue and its one worker."""

    def __init__(self, cfg: VoiceConfig, player: Callable[[bytes, str | None], None] = play_with_aplay,
                 on_problem: Callable[[str | None], None] = lambda problem: None):
        self.cfg, self.player = cfg, player
        self.queue: queue.Queue = queue.Queue()
        self.spoken: list[str] = []          # what was said, in order (for the tests and the log)
        self.sound = SoundState(cfg.save_dir, on_problem, log)
        self.thread = threading.Thread(target=self._run, name="announcer", daemon=True)
        self.thread.start()

    def announce(self, ticket: str, counter: str) -> None:
        if self.cfg.enabled:
            self.queue.put((ticket, counter))

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """True once every queued announcement has been spoken (for tests and --announce-test)."""
        done = threading.Event()
        self.queue.put(done)
        return done.wait(timeout)

    def _run(self) -> None:
        while True:
            item = self.queue.get()
            if isinstance(item, threading.Event):
                item.set()
                continue
            ticket, counter = item
            try:
                text, wav = announcement(ticket, counter, self.cfg)
                self.sound.keep(f"{ticket}-quay-{counter}", wav)
                self.player(wav, self.cfg.device)
                self.spoken.append(text)
                self.sound.report(None)
            except (RuntimeError, OSError, subprocess.TimeoutExpired, ValueError) as e:
                self.sound.report(str(e))
