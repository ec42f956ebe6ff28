"""A network ESC/POS printer (port 9100) for tests and the demo: it records what it receives,
decodes the raster images back to PNG, answers DLE EOT status queries, and can be switched to
paper_low, paper_out, offline, slow, or cut (the connection drops mid-ticket).

    python -m kiosk.printing.emulator --port 9100 --out demo-out/printer [--mode paper_out]
"""
from __future__ import annotations

import argparse
import socket
import threading
import time
from pathlib import Path

from PIL import Image, ImageOps

# DLE EOT n replies (n = 1 printer, 2 offline cause, 3 error cause, 4 paper sensor)
STATUS = {
    "ok": {1: 0x12, 2: 0x12, 3: 0x12, 4: 0x12},
    "paper_low": {1: 0x12, 2: 0x12, 3: 0x12, 4: 0x1E},
    "paper_out": {1: 0x1A, 2: 0x32, 3: 0x12, 4: 0x72},
}
MODES = ("ok", "paper_low", "paper_out", "offline", "slow", "cut")
GS_V0, CUT = b"\x1dv0", b"\x1dV"


def rasters(data: bytes) -> list[Image.Image]:
    """Every ``GS v 0`` image in the bytes, as black-on-white pictures."""
    out, i = [], 0
    while (j := data.find(GS_V0, i)) >= 0 and j + 8 <= len(data):
        wb, h = data[j + 4] + 256 * data[j + 5], data[j + 6] + 256 * data[j + 7]
        body = data[j + 8:j + 8 + wb * h]
        body += bytes(wb * h - len(body))
        out.append(ImageOps.invert(Image.frombytes("1", (wb * 8, h), body).convert("L")))
        i = j + 8 + wb * h
    return out


def stack(images: list[Image.Image]) -> Image.Image | None:
    """One picture of several raster images one under another, as they come out of the printer before a cut; None for
    none."""
    if not images:
        return None
    out = Image.new("L", (max(i.width for i in images), sum(i.height for i in images)), 255)
    y = 0
    for im in images:
        out.paste(im, (0, y))
        y += im.height
    return out


class PrinterEmulator:
    """A network ESC/POS printer on localhost for tests and the demo; ``mode`` can be changed while it runs to make the
    paper run out or the link drop, and ``tickets`` holds one picture per cut."""

    def __init__(self, port: int = 0, out: Path | None = None, mode: str = "ok", cut_after: int = 2000):
        self.mode, self.out, self.cut_after = mode, out, cut_after
        self.received = bytearray()
        self.tickets: list[Image.Image] = []        # one picture per cut
        self.lock = threading.Lock()
        self.sock = socket.create_server(("127.0.0.1", port))
        self.port = self.sock.getsockname()[1]
        self.sock.settimeout(0.2)
        self.running = True
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        self.running = False
        self.sock.close()

    def _accept(self) -> None:
        while self.running:
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        mine = bytearray()
        with conn:
            conn.settimeout(0.5)
            while self.running:
                try:
                    chunk = conn.recv(512 if self.mode == "slow" else 65536)
                except TimeoutError:
                    continue
                except OSError:
                    break
                if not chunk:
                    break
                if self.mode == "slow":
                    time.sleep(0.05)
                mine += chunk
                with self.lock:
                    self.received += chunk
                if self.mode == "cut" and len(mine) > self.cut_after:
                    conn.shutdown(socket.SHUT_RDWR)          # the cable is pulled mid-ticket
                    break
                self._answer(conn, chunk)
        self._collect(bytes(mine))

    def _answer(self, conn: socket.socket, chunk: bytes) -> None:
        if self.mode == "offline":
            return                                         # a printer that says nothing
        table = STATUS.get(self.mode, STATUS["ok"])
        i = 0
        while (j := chunk.find(b"\x10\x04", i)) >= 0 and j + 2 < len(chunk):
            conn.sendall(bytes([table.get(chunk[j + 2], 0x12)]))
            i = j + 3

    def _collect(self, data: bytes) -> None:
        """Split the connection's bytes at each cut; keep (and save) one picture per ticket."""
        start = 0
        while (c := data.find(CUT, start)) >= 0:
            picture = stack(rasters(data[start:c]))
            if picture is not None:
                with self.lock:
                    self.tickets.append(picture)
                if self.out is not None:
                    self.out.mkdir(parents=True, exist_ok=True)
                    picture.save(self.out / f"ticket-{len(self.tickets):04d}.png")
            start = c + 2


def main(argv: list[str] | None = None) -> int:
    """``python -m kiosk.printing.emulator``: serve as the printer on ``--port`` until interrupted, writing each ticket
    as a PNG under ``--out``."""
    ap = argparse.ArgumentParser(prog="python -m kiosk.printing.emulator", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--port", type=int, default=9100)
    ap.add_argument("--out", type=Path, default=Path("printer-out"))
    ap.add_argument("--mode", choices=MODES, default="ok")
    a = ap.parse_args(argv)
    emu = PrinterEmulator(a.port, a.out, a.mode)
    print(f"máy in giả lập trên cổng {emu.port} / printer emulator on port {emu.port}, mode {a.mode}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        emu.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
