"""A keypad that speaks protocol v1 on a serial port, with faults to inject (drop, repeat,
corrupt, delay, silent). Tests and ``make demo`` use it; a person can press keys with
``--interactive``:

    python -m firmware_bridge.simulator --device /tmp/ttyB --addr 5 --interactive
    python -m firmware_bridge.simulator --device /tmp/ttyB --addr 5 --drop 0.1 --press NEXT --press DONE
"""
from __future__ import annotations

import argparse
import random
import sys
import threading
import time
from dataclasses import dataclass

import serial

from .protocol import MAX_SENDS, NEEDS_ACK, RETRY_S, BadFrame, Frame, LineSplitter, decode


@dataclass
class Faults:
    """What goes wrong on a simulated keypad's line, as probabilities per frame (``delay`` in seconds); ``seed`` makes a
    run repeatable."""
    drop: float = 0.0      # a frame (either way) is lost
    repeat: float = 0.0    # a frame the keypad sends goes out twice
    corrupt: float = 0.0   # one byte of a frame (either way) is flipped
    delay: float = 0.0     # seconds before each frame the keypad sends
    silent: bool = False   # the keypad answers nothing: a dead or unplugged keypad
    seed: int | None = None


class NoAck(TimeoutError):
    """The bridge never acknowledged a frame after every repeat."""


class Bus:
    """One serial line shared by several keypads, as on RS-485: one reader hands each frame to the
    keypad it is addressed to (a pseudo-terminal has only one reader, so keypads cannot each read)."""

    def __init__(self, device: str):
        self.ser = serial.Serial(device, 115200, timeout=0.05)
        self.keypads: dict[int, KeypadSim] = {}
        self.wlock = threading.Lock()
        self.running = True
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def write(self, data: bytes) -> None:
        with self.wlock:
            self.ser.write(data)

    def close(self) -> None:
        self.running = False
        self.reader.join(1)
        self.ser.close()

    def _read(self) -> None:
        lines = LineSplitter()
        while self.running:
            try:
                first = self.ser.read(1)           # wait for a byte, then take all that is there
                data = first + self.ser.read(self.ser.in_waiting) if first else b""
            except (OSError, serial.SerialException, TypeError):
                return
            for line in lines.feed(data):
                try:
                    f = decode(line) if line is not None else None
                except BadFrame:
                    continue
                kp = self.keypads.get(f.addr) if f is not None else None
                if kp is not None:
                    kp.arrived(f)


class KeypadSim:
    """A keypad in software on a real serial line (or a shared ``Bus``), speaking the real protocol: for tests, the demo
    and trying the bridge by hand. Its methods press keys and wait for the LED."""

    def __init__(self, line: str | Bus, addr: int, faults: Faults | None = None, firmware: str = "sim-1.0"):
        self.own_bus = not isinstance(line, Bus)
        self.bus = Bus(line) if self.own_bus else line
        self.bus.keypads[addr] = self
        self.addr, self.firmware = addr, firmware
        self.faults = faults or Faults()
        self.rng = random.Random(self.faults.seed)
        self.seq = 0
        self.display = ""
        self.beeps: list[int] = []
        self.received: list[Frame] = []
        self.cond = threading.Condition()

    # --- what a person does -----------------------------------------------------------------
    def hello(self) -> int:
        return self.send_reliably("HELLO", self.firmware, "1")

    def press(self, key: str, arg: str | None = None) -> int:
        return self.send_reliably("KEY", key, *([arg] if arg else []))

    def rate(self, score: int) -> int:
        return self.send_reliably("RATE", str(score))

    def wait_display(self, text: str, timeout: float = 5.0) -> bool:
        with self.cond:
            return self.cond.wait_for(lambda: self.display == text, timeout)

    @property
    def ser(self) -> serial.Serial:
        """The raw line, for tests that write bytes no keypad would."""
        return self.bus.ser

    def close(self) -> None:
        self.bus.keypads.pop(self.addr, None)
        if self.own_bus:
            self.bus.close()

    # --- the protocol -----------------------------------------------------------------------
    def send_reliably(self, verb: str, *args: str) -> int:
        """Send, then repeat the same seq every 250 ms until ACKed (10 sends at most)."""
        frame = self._next(verb, *args)
        for _ in range(MAX_SENDS):
            self._send(frame)
            if self._acked(frame.seq, RETRY_S):
                return frame.seq
        raise NoAck(f"keypad {self.addr}: no ACK for {frame}")

    def _next(self, verb: str, *args: str) -> Frame:
        self.seq = (self.seq + 1) % 256
        return Frame(self.addr, self.seq, verb, tuple(args))

    def _acked(self, seq: int, timeout: float) -> bool:
        with self.cond:
            return self.cond.wait_for(lambda: any(f.verb == "ACK" and f.args[:1] == (str(seq),)
                                                  for f in self.received[-40:]), timeout)

    def _send(self, frame: Frame) -> None:
        if self.faults.silent:
            return
        data = frame.encode()
        if self.faults.delay:
            time.sleep(self.faults.delay)
        if self.rng.random() < self.faults.drop:
            return
        if self.rng.random() < self.faults.corrupt:
            i = self.rng.randrange(1, len(data) - 2)
            data = data[:i] + bytes([data[i] ^ 0x01]) + data[i + 1:]
        copies = 2 if self.rng.random() < self.faults.repeat else 1
        self.bus.write(data * copies)

    def arrived(self, f: Frame) -> None:
        """A frame from the bridge for this keypad (from the bus's reader thread)."""
        if self.faults.silent or self.rng.random() < self.faults.drop + self.faults.corrupt:
            return                               # lost or garbled on the way in
        with self.cond:
            self.received.append(f)
            if len(self.received) > 1000:
                del self.received[:500]
            if f.verb == "SHOW":
                self.display = f.args[0] if f.args else ""
            elif f.verb == "BEEP" and f.args and f.args[0].isdigit():
                self.beeps.append(int(f.args[0]))
            self.cond.notify_all()
        if f.verb in NEEDS_ACK:
            self._send(self._next("ACK", str(f.seq)))
        elif f.verb == "PING":
            self._send(self._next("PONG"))


KEYMAP = {"n": "NEXT", "r": "RECALL", "s": "SKIP", "d": "DONE", "p": "PAUSE", "u": "RESUME"}
HELP = ("n=GỌI TIẾP/NEXT r=GỌI LẠI/RECALL s=VẮNG/SKIP d=XONG/DONE p=NGHỈ/PAUSE u=TIẾP TỤC/RESUME "
        "t <dịch vụ>=CHUYỂN/TRANSFER c <số>=GỌI SỐ/CALL 1-3=ĐÁNH GIÁ/RATE q=thoát/quit")


def interactive(kp: KeypadSim) -> None:
    """A keypad on the terminal: one letter per key from standard input, the LED printed when it changes; ``q`` ends it.
    """
    print(HELP, flush=True)
    shown = None
    for line in sys.stdin:
        word = line.strip().split()
        if not word:
            continue
        try:
            if word[0] == "q":
                return
            if word[0] in KEYMAP:
                kp.press(KEYMAP[word[0]])
            elif word[0] in ("t", "c") and len(word) == 2:
                kp.press("TRANSFER" if word[0] == "t" else "CALL", word[1])
            elif word[0] in ("1", "2", "3"):
                kp.rate(int(word[0]))
            else:
                print(HELP)
                continue
        except NoAck as e:
            print(f"không có phản hồi / {e}", flush=True)
        time.sleep(0.3)
        if kp.display != shown:
            shown = kp.display
            print(f"[LED] {shown}", flush=True)


def main(argv: list[str] | None = None) -> int:
    """``python -m firmware_bridge.simulator``: greet the bridge, press the ``--press`` keys in order printing the LED
    after each, then optionally go interactive; 1 when the bridge does not answer."""
    ap = argparse.ArgumentParser(prog="python -m firmware_bridge.simulator", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--device", required=True)
    ap.add_argument("--addr", type=int, default=5)
    for name in ("drop", "repeat", "corrupt", "delay"):
        ap.add_argument(f"--{name}", type=float, default=0.0)
    ap.add_argument("--silent", action="store_true")
    ap.add_argument("--press", action="append", default=[], help="KEY[:ARG], e.g. NEXT or TRANSFER:LAND")
    ap.add_argument("--interactive", action="store_true")
    a = ap.parse_args(argv)
    kp = KeypadSim(a.device, a.addr, Faults(a.drop, a.repeat, a.corrupt, a.delay, a.silent))
    try:
        kp.hello()
        for p in a.press:
            key, _, arg = p.partition(":")
            kp.press(key, arg or None)
            time.sleep(0.3)
            print(f"{p} -> [LED] {kp.display}", flush=True)
        if a.interactive:
            interactive(kp)
    except NoAck as e:
        print(f"không có phản hồi từ cầu nối / {e}", file=sys.stderr)
        return 1
    finally:
        kp.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
