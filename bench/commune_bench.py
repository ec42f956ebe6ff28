"""A commune centre on one board, against SPEC 9 (measured, never asserted).

    .venv/bin/python bench/commune_bench.py [--tickets N]        (as root: it makes a cgroup)

Every process of the demo's hall — mosquitto, the hub, the kiosk and the wall screen (Kivy drawing
offscreen, the wall screen speaking each call with espeak-ng), the keypad bridge, the follow-up with
gammu-smsd on Gammu's dummy phone, the console — runs in ONE cgroup of 1 GB, pinned to one of this
machine's cores with a CPU quota of one core (about a Raspberry Pi 4, SPEC 9). The bench stays
outside, on the other cores where there are any: it plays what is outside a real board — citizens
at the kiosk (tickets issued over MQTT as the kiosk asks for them), the clerks' keypads on the
serial line (a pseudo-terminal, as the socat wire is outside too), browsers with the console's
pages open, phones texting the modem.

A busy morning of N tickets (default 300):
1. the rush: N - K - P tickets issued kiosk-like, in bursts of 10 at 50 a second; a dossier lookup
   every 1.5 s; two numbers taken by SMS (``LS``); and meanwhile the clerks at the 11 keypads call,
   recall, skip, transfer, call a number, pause, resume, take ratings and finish, until every ticket
   is served, with a live hall and a counter panel open in the console all along;
2. the console: K + P more tickets, then K calls from keypad 1, each timed into every open stream
   (3 live halls, the counter panel, P phone pages of waiting tickets);
3. the follow-up: the morning's dossier changes committed by the hub's import code (run by the bench,
   so that the moment of the commit is known) -> their SMS handed to gammu-smsd.
Reported: each budget of SPEC 9 this run can measure (p50/p99 beside it), the cgroup's peak memory
beside 900 MB, each process's resident memory beside its own budget, and — to say why where a
budget is not met — the CPU time each process of the board took and how often the quota held the
board back. ``--tickets 30`` is a quick try.
"""
from __future__ import annotations

import asyncio
import contextlib
import csv
import json
import os
import random
import re
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.cgroup import BoardCgroup, CgroupError  # noqa: E402
from bench.common import bare_kivy_mb, count, pct, rss_mb, shows, start_hall, streams  # noqa: E402
from bench.settings_bench import Reports  # noqa: E402
from bench.sms_bench import LABEL, answers, called_handed, rows, wait  # noqa: E402
from devtools.demo import console as demo_console  # noqa: E402
from devtools.demo.__main__ import Hall  # noqa: E402
from devtools.demo.followup import todays_changes  # noqa: E402
from devtools.testbed import wait_for  # noqa: E402
from devtools.web import WebClient  # noqa: E402
from firmware_bridge.simulator import Bus, KeypadSim  # noqa: E402
from motcua import config  # noqa: E402
from motcua.config import SiteConfig  # noqa: E402
from motcua.contract import ANY, Topics  # noqa: E402
from motcua.hub import dossiers  # noqa: E402
from motcua.hub.dossier_import import import_file  # noqa: E402
from motcua.hubclient import HubClient, HubUnavailable  # noqa: E402

GB = 2**30
PARTS = ("hub", "console", "kiosk", "display", "bridge", "followup")       # each reports its settings
MIX = [("LAND", 35), ("JUSTICE", 20), ("BUSINESS", 15), ("TAX", 10), ("CONSTRUCTION", 8), ("TRANSPORT", 6),
       ("LABOUR", 6)]                                                       # within each service's daily limit
CALLING = {"NEXT", "RECALL", "SKIP", "CALL"}
SERVING = [(0.08, "RECALL"), (0.13, "SKIP"), (0.17, "TRANSFER"), (0.22, "RATE"), (0.24, "PAUSE")]   # else DONE
TEXTS = [("+84905123456", "LS đất đai"), ("+84905123457", "LS A")]
RSS_BUDGET = {"motcua.hub": 60, "firmware_bridge": 40, "motcua.followup": 50, "motcua.console": 80}
KIVY = ("kiosk", "display_board")
IDLE_S = 10.0


class Watch:
    """What the hall publishes, with when it arrived here: calls, counter and service states, and
    each process's settings report (to know the hall is up)."""

    def __init__(self, t: Topics):
        self.t, self.reports = t, Reports()
        self.calls: list[tuple[float, float, dict]] = []        # (monotonic, epoch, event)
        self.states: dict[str, list[tuple[float, dict]]] = {}
        self.waiting: dict[str, int] = {}
        self.cond = threading.Condition()

    def message(self, msg) -> None:
        self.reports.message(msg)
        p = self.t.parse(msg.topic)
        if p is None or p.kind not in ("call", "counter_state", "service_state"):
            return
        try:
            body = json.loads(msg.payload)
        except ValueError:
            return
        with self.cond:
            if p.kind == "call":
                self.calls.append((time.monotonic(), time.time(), body))
            elif p.kind == "counter_state":
                self.states.setdefault(str(p.counter), []).append((time.monotonic(), body))
            else:
                self.waiting[str(p.service)] = int(body.get("waiting") or 0)
            self.cond.notify_all()

    def after(self, kind: str, counter: str, t0: float, timeout: float) -> tuple[float, dict] | None:
        """The first call at ``counter`` (or its first state, ``kind="state"``) that arrived after ``t0``."""
        def first():
            items = self.states.get(counter, []) if kind == "state" else \
                [(m, e) for m, _, e in self.calls if str(e.get("counter")) == counter]
            return next(((m, e) for m, e in items if m >= t0), None)
        with self.cond:
            return self.cond.wait_for(first, timeout)

    def status(self, counter: str) -> dict:
        with self.cond:
            return (self.states.get(counter) or [(0.0, {})])[-1][1]

    def waits(self, services) -> bool:
        with self.cond:
            return any(self.waiting.get(s, 0) for s in services)


@dataclass
class Pressed:
    """One key pressed: how long until its counter's state and its call (if any) were published."""
    counter: str
    key: str
    state_s: float | None
    call_s: float | None
    label: str | None


class Keypads:
    """The clerks' keypads on one serial line, each press timed to the hub's news of it on MQTT."""

    def __init__(self, line: Path, cfg, watch: Watch):
        self.bus, self.watch, self.kp, self.log = Bus(str(line)), watch, {}, []
        for _, addr, counter in cfg.bridges[0].keypads:
            self.kp[counter] = KeypadSim(self.bus, addr)
            self.kp[counter].hello()

    def press(self, counter: str, key: str, arg: str | None = None) -> Pressed:
        t0 = time.monotonic()                   # the frame goes on the line first thing
        if key == "RATE":
            self.kp[counter].rate(int(arg or 3))
        else:
            self.kp[counter].press(key, arg)
        state = self.watch.after("state", counter, t0, 0.0 if key == "RATE" else 2.0)
        call = self.watch.after("call", counter, t0, 2.0 if key in CALLING else 0.0)
        p = Pressed(counter, key, state and state[0] - t0, call and call[0] - t0, call and call[1].get("ticket"))
        self.log.append(p)
        return p

    def close(self) -> None:
        self.bus.close()


@dataclass
class Morning:
    """What the bench sent and how long each answer took."""
    issued: list[tuple[str, str]] = field(default_factory=list)     # (service, label)
    issue_s: list[float] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    lookup_s: list[float] = field(default_factory=list)
    kiosks_done: threading.Event = field(default_factory=threading.Event)
    stop: threading.Event = field(default_factory=threading.Event)


def sizes(n: int) -> tuple[int, int]:
    """(K calls timed into the console's streams, P phone pages open), for N tickets."""
    return min(20, max(3, n // 15)), min(30, max(3, n // 10))


def services_for(n: int, rng: random.Random) -> list[str]:
    return rng.choices([s for s, _ in MIX], weights=[w for _, w in MIX], k=n)


def issue(c: HubClient, m: Morning, service: str, priority: bool = False) -> dict:
    """A ticket asked for as the kiosk asks, timed; a refusal or no answer is counted, not raised."""
    t0 = time.perf_counter()
    try:
        r = c.issue(service, priority=priority, source="kiosk-k1")
    except HubUnavailable:
        r = {"ok": False, "error": {"code": "no answer from the hub"}}
    m.issue_s.append(time.perf_counter() - t0)
    if r.get("ok"):
        m.issued.append((service, r["ticket"]["label"]))
    else:
        m.refused.append(r["error"]["code"])
    return r


def kiosks(c: HubClient, m: Morning, wanted: list[str], rng: random.Random) -> None:
    """Citizens at the kiosks: bursts of ten at 50 a second, a breath between bursts."""
    try:
        for i, service in enumerate(wanted):
            issue(c, m, service, priority=rng.random() < 0.05)
            time.sleep(0.02 if (i + 1) % 10 else 1.0)
    finally:
        m.kiosks_done.set()


def lookups(clients: list[HubClient], m: Morning, codes: list[str]) -> None:
    """A dossier looked up every 1.5 s, by kiosks taking turns (the hub allows each 10 a minute)."""
    i = 0
    while not m.stop.wait(1.5):
        c = clients[i % len(clients)]
        t0 = time.perf_counter()
        try:
            c.request(c.t.lookup, {"code": codes[i % len(codes)], "source": "kiosk-k1"})
            m.lookup_s.append(time.perf_counter() - t0)
        except HubUnavailable:
            m.refused.append("lookup: no answer from the hub")
        i += 1


def action(rng: random.Random, state: dict, waiting: bool, services: list[str], m: Morning,
           called: set[str]) -> tuple[str, str | None] | None:
    """What a clerk does next at a counter in that state; None: nothing to do there now."""
    status = state.get("status")
    if status == "paused":
        return "RESUME", None
    if status == "serving":
        r = rng.random()
        key = next((k for p, k in SERVING if r < p), "DONE")
        if key == "TRANSFER":
            return key, rng.choice([s for s, _ in MIX if s != state.get("service")])
        return key, str(rng.randint(1, 3)) if key == "RATE" else None
    if not waiting:
        return None
    mine = [label for s, label in m.issued if s in services and label not in called]
    return ("CALL", mine[-1]) if mine and rng.random() < 0.04 else ("NEXT", None)


def serve(keypads: Keypads, watch: Watch, cfg, m: Morning, rng: random.Random, until: float) -> None:
    """The clerks at every keypad, round and round, until every ticket is served."""
    while time.monotonic() < until:
        called = {e.get("ticket") for _, _, e in watch.calls}
        busy = False
        for counter in keypads.kp:
            services = list(cfg.by_counter[counter].services)
            act = action(rng, watch.status(counter), watch.waits(services), services, m, called)
            if act is not None:
                keypads.press(counter, *act)
                busy = True
                time.sleep(0.05)
        if not busy:
            if m.kiosks_done.is_set() and not watch.waits(list(cfg.by_service)):
                return
            time.sleep(0.2)


def audience(base: str, cookie: str, paths: list[str], stop: threading.Event) -> threading.Thread:
    """Browsers with console pages open all morning (read and dropped): the console's load."""
    import aiohttp

    async def follow(session, path: str) -> None:
        async with session.get(base + path, headers={"Cookie": cookie}) as r:
            async for _ in r.content.iter_any():
                pass

    async def run() -> None:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None)) as session:
            tasks = [asyncio.create_task(follow(session, p)) for p in paths]
            while not stop.is_set():
                await asyncio.sleep(0.2)
            for t in tasks:
                t.cancel()
    th = threading.Thread(target=asyncio.run, args=(run(),), daemon=True)
    th.start()
    return th


def console_calls(keypads: Keypads, c: HubClient, m: Morning, base: str, cookie: str, k: int,
                  p: int) -> tuple[list[float], int]:
    """K calls from keypad 1 into every open stream: 3 live halls, the counter panel, P phone pages."""
    mine = [r["ticket"] for r in (issue(c, m, "LAND") for _ in range(k + p)) if r.get("ok")]
    paths = ["/events/hall"] * 3 + ["/events/counter/1"] + \
        ["/events" + demo_console.phone_path(ticket) for ticket in mine[k:]]
    labels: list[str] = []

    def call(i: int):
        def go():
            labels.append(keypads.press("1", "NEXT").label or "?")
        return go
    return asyncio.run(streams(base, cookie, paths, [call(i) for i in range(k)],
                               lambda i, key, buf: len(labels) > i and shows(key, labels[i], buf)))


def texts(hall: Hall, db: Path) -> tuple[list[float], list[str]]:
    """Numbers taken by SMS: each text received -> its answer handed; the labels they got."""
    took, labels = [], []
    for phone, text in TEXTS:
        hall.smsd.receive(phone, text)
        t0 = time.time()
        got = wait(lambda p=phone: answers(db).get(p), 60, 0.05)
        if got:
            took.append(got[0][1] - t0)
            if found := LABEL.search(got[0][0]):
                labels.append(found.group(1))
    return took, labels


def turn_notices(watch: Watch, db: Path, labels: list[str]) -> list[float]:
    """Each number taken by SMS: its first call -> "Mời số … đến …" handed to the SMS daemon."""
    out = []
    for label in labels:
        at = next((wall for _, wall, e in watch.calls if e.get("ticket") == label), None)
        handed = at and wait(lambda lb=label: called_handed(db, lb), 30, 0.2)
        if at and handed:
            out.append(handed - at)
    return out


def dossier_changes(hall: Hall, cfg, db: Path) -> list[float]:
    """The morning's dossier changes imported by the hub's own import code, here (a write of four
    rows) so that the moment of the commit is known -> each of their SMS handed to gammu-smsd."""
    csv_path = todays_changes(hall.out / "dossiers-today.csv", cfg.site.tz)
    codes = [r["code"] for r in csv.DictReader(open(csv_path, encoding="utf-8"))]
    report = import_file(csv_path, dossiers.store_path(cfg), cfg.site.tz, datetime.now(cfg.site.tz))
    committed = time.time()
    assert not report.problems, report.problems
    sql = (f"SELECT handed FROM messages WHERE code IN ({','.join('?' * len(codes))}) AND phone IS NOT NULL "
           "AND created >= ?")

    def all_handed():
        got = rows(db, sql, *codes, committed - 1)
        return got if len(got) >= 3 and all(h for (h,) in got) else None
    got = wait(all_handed, 30, 0.1) or rows(db, sql, *codes, committed - 1)
    return [h - committed for (h,) in got if h]


def frames(log: Path, calls: list[tuple[float, float, dict]]) -> tuple[list[float], int]:
    """Each call event's arrival here -> the wall screen's first frame showing its label after it
    (CLOCK_MONOTONIC is one clock for every process of a machine)."""
    shown: dict[str, list[float]] = {}
    for label, at in re.findall(r"frame shows (\S+) at ([\d.]+)", log.read_text(errors="replace")):
        shown.setdefault(label, []).append(float(at))
    lat = []
    for mono, _, e in calls:
        later = [t for t in shown.get(str(e.get("ticket")), []) if t >= mono - 0.002]
        if later:
            lat.append(max(0.0, later[0] - mono))
    return lat, len(calls)


def name_of(pid: int) -> str:
    """``motcua.hub``, ``kiosk``, ``mosquitto``…: the module a Python runs, else the program."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return f"pid {pid}"
    if "-m" in argv[:-1]:
        return argv[argv.index("-m") + 1]
    return Path(argv[0]).name


def cpu_s(pid: int, children: bool = False) -> float:
    """CPU seconds a process has used (``children``: those its children used and it waited for —
    the wall screen's espeak-ng, the follow-up's gammu-smsd-monitor…)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return sum(int(x) for x in (fields[13:15] if children else fields[11:13])) / os.sysconf("SC_CLK_TCK")


def waited_s(pid: int) -> float:
    """Seconds its threads spent ready to run but waiting for a core (``/proc/<pid>/task/*/schedstat``)."""
    total = 0
    for task in Path(f"/proc/{pid}/task").glob("*/schedstat"):
        try:
            total += int(task.read_text().split()[1])
        except (OSError, IndexError, ValueError):
            continue
    return total / 1e9


def first_frame_s(pid: int, log: Path) -> float | None:
    """A Kivy process's start (from /proc, on the monotonic clock) -> the first frame it logged."""
    found = re.search(r"first frame at ([\d.]+)", log.read_text(errors="replace"))
    if not found:
        return None
    ticks = int(Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[19])
    boot_to_mono = time.clock_gettime(time.CLOCK_BOOTTIME) - time.monotonic()
    return float(found.group(1)) - (ticks / os.sysconf("SC_CLK_TCK") - boot_to_mono)


def ms(xs: list[float]) -> str:
    return f"p50 {pct(xs, 50):,.1f} ms, p99 {pct(xs, 99):,.1f} ms ({len(xs)})" if xs else "—"


def row(what: str, got: str, budget: str, met: bool | None = None) -> None:
    print(f"| {what} | {got} | {budget}{' — **not met**' if met is False else ''} |")


def p99_met(xs: list[float], budget_s: float) -> bool | None:
    return None if not xs else pct(xs, 99) <= budget_s * 1000


@dataclass
class Usage:
    """What the board's processes have used, by name: CPU seconds, seconds waiting for the core; the
    clock; the bench's own CPU seconds."""
    cpu: dict[str, float]
    waited: dict[str, float]
    at: float
    bench: float

    @classmethod
    def now(cls, cg: BoardCgroup) -> Usage:
        pids = cg.pids()
        children = {f"{name}: its children": s for name, s in by_name(pids, lambda pid: cpu_s(pid, True)).items()
                    if s}
        return cls(by_name(pids, cpu_s) | children, by_name(pids, waited_s), time.monotonic(), sum(os.times()[:2]))

    def since(self, before: Usage) -> Usage:
        return Usage({k: v - before.cpu.get(k, 0.0) for k, v in self.cpu.items()},
                     {k: v - before.waited.get(k, 0.0) for k, v in self.waited.items()},
                     self.at - before.at, self.bench - before.bench)


@dataclass
class Run:
    """Everything measured, for the report."""
    n: int
    morning: Morning
    keypads: list[Pressed]
    frames: tuple[list[float], int]
    browsers: tuple[list[float], int]
    sms: dict[str, list[float]]
    kiosk_start: float | None
    peak_mb: float
    cg: dict[str, int]
    rss: dict[str, tuple[float, float]]
    usage: Usage
    idle: Usage
    bare_mb: float = 0.0


def report(r: Run, k: int, p: int) -> None:
    print(f"\nmotcua commune centre on one board — {r.n} tickets, one cgroup of 1 GB on one core, "
          f"{os.cpu_count()} CPUs here\n")
    print("| what | measured | budget |\n|---|---|---|")
    row("ticket issue round trip, kiosk-like, bursts at 50/s", ms(r.morning.issue_s), "p99 <= 5 ms",
        p99_met(r.morning.issue_s, 0.005))
    state = [x.state_s for x in r.keypads if x.state_s is not None]
    call = [x.call_s for x in r.keypads if x.call_s is not None]
    row(f"keypad frame -> counter state published ({len(r.keypads)} presses)", ms(state), "p99 <= 30 ms",
        p99_met(state, 0.03))
    row("keypad frame -> call event published", ms(call), "p99 <= 30 ms", p99_met(call, 0.03))
    row(f"call event -> wall screen frame showing it ({len(r.frames[0])} of {r.frames[1]} calls were the newest "
        "on a frame; the board logs only the newest)",
        ms(r.frames[0]), "p99 <= 50 ms", p99_met(r.frames[0], 0.05))
    row(f"keypad press -> shown in every open stream (3 halls, 1 panel, {p} phones; {k} calls, "
        f"{r.browsers[1]} missed)", ms(r.browsers[0]), "p99 <= 100 ms", p99_met(r.browsers[0], 0.1))
    row("dossier lookup round trip (kiosk-like)", ms(r.morning.lookup_s), "")
    for what, xs in r.sms.items():
        row(what, ms(xs), "p99 <= 5 s", p99_met(xs, 5))
    if r.kiosk_start is not None:
        row("kiosk UI start to first frame (started with the whole hall)", f"{r.kiosk_start:.2f} s", "<= 3 s",
            r.kiosk_start <= 3)
    if r.morning.refused:
        row("requests refused or unanswered", ", ".join(f"{why} ×{n}" for why, n in Counter(r.morning.refused).items()),
            "")
    memory(r)
    cpu(r)


def memory(r: Run) -> None:
    kills = f", {r.cg['oom_kill']} processes killed for memory" if r.cg.get("oom_kill") else ""
    row("memory of the whole board (the cgroup's peak, limit 1 GB)", f"{r.peak_mb:,.0f} MB{kills}", "<= 900 MB",
        r.peak_mb <= 900)
    for name, (now, peak) in sorted(r.rss.items()):
        budget = RSS_BUDGET.get(name)
        if name in KIVY and r.bare_mb:
            row(f"{name} resident memory, beside a bare Kivy app (one label, 1920×1080)",
                f"{now:.0f} MB (peak {peak:.0f}), bare {r.bare_mb:.0f} MB: +{now - r.bare_mb:.0f} MB", "<= +40 MB",
                now - r.bare_mb <= 40)
        else:
            row(f"{name} resident memory", f"{now:.1f} MB (peak {peak:.1f})", f"<= {budget} MB" if budget else "",
                None if budget is None else peak <= budget)


def cpu(r: Run) -> None:
    u = r.usage
    print(f"\nCPU time over the morning ({u.at:.0f} s): who was on the board's one core\n")
    idle = r.idle
    print(f"| process | CPU s | share of one core | waited for the core, s | share when idle ({idle.at:.0f} s before) |"
          "\n|---|---|---|---|---|")
    for name, s in sorted(u.cpu.items(), key=lambda kv: -kv[1]):
        print(f"| {name} | {s:.1f} | {100 * s / u.at:.0f} % | {u.waited.get(name, 0.0):.1f} | "
              f"{100 * idle.cpu.get(name, 0.0) / idle.at:.0f} % |")
    print(f"| **the board** | {sum(u.cpu.values()):.1f} | {100 * sum(u.cpu.values()) / u.at:.0f} % | "
          f"{sum(u.waited.values()):.1f} | {100 * sum(idle.cpu.values()) / idle.at:.0f} % |")
    periods, throttled = r.cg.get("nr_periods", 0), r.cg.get("nr_throttled", 0)
    print(f"\nthe quota held the board back in {throttled:,} of {periods:,} periods of 100 ms; its processes "
          f"waited {sum(u.waited.values()):.1f} s for the core (held by another of the board's threads, or by "
          f"this machine's other load: load average {os.getloadavg()[0]:.1f}); the bench itself (outside) used "
          f"{u.bench:.1f} CPU s")


def by_name(pids: list[int], value) -> dict[str, float]:
    out: dict[str, float] = {}
    for pid in pids:
        name = name_of(pid)
        out[name] = out.get(name, 0.0) + value(pid)
    return out


def start(cg: BoardCgroup, hall: Hall) -> SiteConfig:
    """The hall in the cgroup: the wire (socat) first, outside; everything of the board inside."""
    hall.start_serial_line()
    with cg.joined():
        hall.start_broker()
    site = hall.site_file()
    cfg = config.load(site)
    subprocess.run([sys.executable, "-m", "motcua.hub", "--config", str(site), "--import-dossiers",
                    str(ROOT / "config" / "sample-dossiers.csv")], check=True, cwd=ROOT, capture_output=True)
    hall.spawn("printer", [sys.executable, "-m", "kiosk.printing.emulator", "--port", str(hall.printer_port),
                           "--out", str(hall.out / "printer")])          # a printer is not the board
    with cg.joined():
        hall.smsd.start()
        start_hall(hall, site, cfg, display_args=("--log-level", "DEBUG"))
    outside = os.sched_getaffinity(0) - cg.cpus()
    if outside:
        os.sched_setaffinity(0, outside)        # before any thread: the bench's threads stay off the board's core
    return cfg


def morning(hall: Hall, cg: BoardCgroup, cfg: SiteConfig, n: int) -> Run:
    rng = random.Random(7)
    t = Topics(cfg.mqtt.topic_root, cfg.site.id)
    watch = Watch(t)
    spy = HubClient(cfg, "bench-watch", subscriptions=(t.call, t.counter_state(ANY), t.service_state(ANY),
                                                        f"{t.root}/status/#"), on_message=watch.message,
                    announce=False).start()
    wait_for(lambda: len(watch.reports.seen) >= len(PARTS), 180, "every process of the hall to report")
    kiosk = HubClient(cfg, "bench-kiosks", announce=False).start()
    askers = [HubClient(cfg, f"bench-lookup-{i}", announce=False).start() for i in range(5)]
    keypads = Keypads(hall.keypad_side, cfg, watch)
    k, p = sizes(n)
    base = f"http://127.0.0.1:{cfg.console.host_port[1]}"
    cookie = supervisor(base)
    m, db = Morning(), Path(cfg.followup.database)
    codes = [r["code"] for r in csv.DictReader(open(ROOT / "config" / "sample-dossiers.csv", encoding="utf-8"))]
    quiet = Usage.now(cg)
    time.sleep(IDLE_S)                          # the hall up and nobody in it: what it costs doing nothing
    before = Usage.now(cg)
    threads = [audience(base, cookie, ["/events/hall", "/events/counter/1"], m.stop),
               threading.Thread(target=kiosks, args=(kiosk, m, services_for(max(0, n - k - p), rng), rng)),
               threading.Thread(target=lookups, args=(askers, m, codes))]
    for th in threads[1:]:
        th.start()
    ls, ls_labels = texts(hall, db)
    serve(keypads, watch, cfg, m, rng, time.monotonic() + 60 + 3 * n)
    browsers = console_calls(keypads, kiosk, m, base, cookie, k, p)
    sms = {"`LS` text received by the modem -> its answer handed to gammu-smsd": ls,
           "a call -> its turn SMS handed to gammu-smsd (the numbers taken by SMS)": turn_notices(watch, db, ls_labels),
           "dossier change committed (import) -> its SMS handed to gammu-smsd":
               dossier_changes(hall, cfg, db)}
    m.stop.set()
    run = Run(n, m, keypads.log, frames(hall.out / "display.log", list(watch.calls)), browsers, sms,
              first_frame(hall), cg.peak_mb(), cg.counters(),
              {name_of(pid): (rss_mb(pid), rss_mb(pid, "VmHWM")) for pid in cg.pids()}, Usage.now(cg).since(before),
              before.since(quiet))
    for th in threads:
        th.join(10)
    keypads.close()
    for c in (spy, kiosk, *askers):
        c.stop()
    return run


def supervisor(base: str) -> str:
    """The cookie of the demo's supervisor, logged in: what the open pages send."""
    web = WebClient(base)
    web.login("giamsat", demo_console.LOGINS["giamsat"][0])
    return "; ".join(f"{a}={b}" for a, b in web.cookies.items())


def first_frame(hall: Hall) -> float | None:
    kiosk = next((p for p in hall.procs if "kiosk" in p.args and "-m" in p.args), None)
    return kiosk and first_frame_s(kiosk.pid, hall.out / "kiosk.log")


def sampler(cg: BoardCgroup, stop: threading.Event) -> None:
    """The cgroup's memory now and then, for a v2 kernel without ``memory.peak``."""
    while not stop.wait(0.5):
        cg.sample()


def board_cgroup() -> BoardCgroup | None:
    """The board's cgroup, made; None (and why, said) where it cannot be, nothing left behind."""
    cg = None
    try:
        cg = BoardCgroup(GB)
        return cg.create()
    except (CgroupError, OSError) as e:
        print(f"{e}\nChạy với quyền root / run as root (it makes a cgroup).", file=sys.stderr)
        if cg is not None:
            with contextlib.suppress(OSError):
                cg.remove()
        return None


def main() -> int:
    n = count("--tickets", 300)
    cg = board_cgroup()
    if cg is None:
        return 2
    out = Path("/tmp") / f"motcua-commune-bench-{int(time.time())}"
    out.mkdir(parents=True)
    hall, stop = Hall(out), threading.Event()
    try:
        cfg = start(cg, hall)
        threading.Thread(target=sampler, args=(cg, stop), daemon=True).start()
        run = morning(hall, cg, cfg, n)
    finally:
        stop.set()
        hall.stop()
        time.sleep(1.0)
        try:
            cg.remove()
        except OSError as e:
            print(f"cgroup {cg.name} left behind (a process still in it?): {e}", file=sys.stderr)
    run.bare_mb = bare_kivy_mb(out, 1920, 1080)
    report(run, *sizes(n))
    print(f"\nlogs: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
