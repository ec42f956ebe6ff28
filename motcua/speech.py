"""Speech, offline: espeak-ng's Vietnamese voice, a chime, WAV files and ALSA playback (SPEC section
8) — the wall screen's voice calls and the kiosk's spoken guidance say things the same way."""
from __future__ import annotations

import io
import math
import shutil
import struct
import subprocess
import tempfile
import wave
from dataclasses import asdict, dataclass
from pathlib import Path

from .config import Display, Voice
from .spoken import phrase

RATE = 22050


def chime(rate: int = RATE) -> bytes:
    """Ding-dong: two bell-like tones (E6, C6) with a decay; 16-bit mono PCM."""
    out = bytearray()
    for freq, length in ((1318.5, 0.45), (1046.5, 0.7)):
        n = int(rate * length)
        for i in range(n):
            t = i / rate
            v = 0.5 * math.exp(-4 * t) * (math.sin(2 * math.pi * freq * t) + 0.3 * math.sin(4 * math.pi * freq * t))
            out += struct.pack("<h", int(max(-1, min(1, v)) * 32767))
    return bytes(out)


def silence(seconds: float, rate: int = RATE) -> bytes:
    """``seconds`` of 16-bit mono silence at ``rate``: the pauses between the chime and the calls."""
    return bytes(2 * int(rate * seconds))


def speak(text: str, voice: str = "vi", speed: int = 135) -> bytes:
    """espeak-ng's PCM for the text at RATE (raises RuntimeError when espeak-ng is missing or fails)."""
    exe = shutil.which("espeak-ng")
    if exe is None:
        raise RuntimeError("espeak-ng chưa được cài / espeak-ng is not installed")
    r = subprocess.run([exe, "-v", voice, "-s", str(speed), "--stdout", text], capture_output=True,
                       timeout=30)
    if r.returncode != 0 or not r.stdout:
        raise RuntimeError(f"espeak-ng failed: {r.stderr.decode(errors='replace')[:200]}")
    with wave.open(io.BytesIO(r.stdout)) as w:
        if (w.getframerate(), w.getsampwidth(), w.getnchannels()) != (RATE, 2, 1):
            raise RuntimeError(f"espeak-ng gave {w.getframerate()} Hz, {w.getsampwidth() * 8} bit, "
                               f"{w.getnchannels()} channel(s)")
        return w.readframes(w.getnframes())


def wav(pcm: bytes) -> bytes:
    """16-bit mono PCM at RATE as a WAV file."""
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(pcm)
    return buf.getvalue()


def play_with_aplay(wav_bytes: bytes, device: str | None) -> None:
    """Play through ALSA to the end; raises RuntimeError with the reason (no aplay, no sound card...)."""
    Playback(wav_bytes, device).wait()


class Playback:
    """One sound through aplay that can be stopped halfway (the kiosk's second press of "Listen")."""

    def __init__(self, wav_bytes: bytes, device: str | None = None):
        exe = shutil.which("aplay")
        if exe is None:
            raise RuntimeError("không có aplay (cài alsa-utils) / aplay missing (install alsa-utils)")
        self.file = tempfile.NamedTemporaryFile(suffix=".wav")
        self.file.write(wav_bytes)
        self.file.flush()
        self.stopped = False
        self.proc = subprocess.Popen([exe, "-q", *(["-D", device] if device else []), self.file.name],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def wait(self) -> None:
        """Until it ends; RuntimeError with the reason if it could not play (not when stopped)."""
        try:
            _, err = self.proc.communicate(timeout=300)
        finally:
            self.file.close()
        if self.proc.returncode != 0 and not self.stopped:
            raise RuntimeError(f"không phát được âm thanh / cannot play sound: {err.decode(errors='replace')[:200]}")

    def stop(self) -> None:
        self.stopped = True
        if self.proc.poll() is None:
            self.proc.terminate()


class SoundState:
    """What every speaking part does around its sound: keep each WAV, numbered, in a folder when
    one is configured (demos, support, machines without sound), and say a sound problem once when
    it starts and once when it ends."""

    def __init__(self, save_dir: str | None, on_problem, log):
        self.save_dir, self.on_problem, self.log = save_dir, on_problem, log
        self.problem: str | None = None
        self.saved = 0

    def keep(self, name: str, sound: bytes) -> None:
        if self.save_dir:
            folder = Path(self.save_dir)
            folder.mkdir(parents=True, exist_ok=True)
            self.saved += 1
            (folder / f"{self.saved:04d}-{name}.wav").write_bytes(sound)

    def report(self, problem: str | None) -> None:
        if problem != self.problem:
            self.problem = problem
            if problem:
                self.log.error("loa / sound: %s", problem)
            else:
                self.log.info("âm thanh hoạt động / sound works")
            self.on_problem(problem)


@dataclass(frozen=True)
class VoiceConfig(Voice):
    """A wall screen's voice as its site file sets it, with how it says each counter."""
    spoken_counters: tuple[tuple[str, str], ...] = ()

    def words(self, ticket: str, counter: str) -> str:
        return phrase(ticket, counter, self.phrase, self.label_mode, dict(self.spoken_counters))


def voice_config(entry: Display) -> VoiceConfig:
    """The announcer's settings from the site file's display entry: its voice, plus how each counter is said as pairs,
    since ``VoiceConfig`` is frozen. The console's "nghe thử" (a sample call) uses it too."""
    return VoiceConfig(**asdict(entry.voice), spoken_counters=tuple(entry.spoken_counters.items()))


def announcement(ticket: str, counter: str, cfg: VoiceConfig) -> tuple[str, bytes]:
    """(the phrase as spoken, a WAV file: chime, pause, the phrase ``repeat`` times)."""
    text = cfg.words(ticket, counter)
    speech = speak(text, cfg.voice, cfg.speed)
    pcm = (chime() + silence(0.3) if cfg.chime else b"") + (speech + silence(0.7)) * cfg.repeat
    return text, wav(pcm)
