"""The wall screen's real frames, drawn offscreen and read back with tesseract: every counter and
ticket at 12 counters landscape and 30 portrait, and the day's last calls shown by a board started
mid-day."""
import io
import re
import shutil
import subprocess
import sys

import pytest
from PIL import Image

from devtools.testbed import ROOT, HubProcess, counter, env, service, site_data, write_site
from motcua import config
from motcua.hubclient import HubClient


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

