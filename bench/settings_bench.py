"""A settings change reaching a whole hall, against SPEC 2.1 and 9 (measured, never asserted).

    python bench/settings_bench.py [--changes N]

The demo's hall, every process real: mosquitto, the hub, a kiosk and a wall screen (Kivy drawing
offscreen), the keypad bridge on a pseudo-terminal, the follow-up, the console. N changes (default
50) are saved as the console saves them (``config/set`` with the console's reply topic), one at a time,
alternating a wall screen's notice and a service's daily limit; for each, the time from the request
to every process reporting the new version on ``<R>/status/<component>/config`` with ``applied``
(budget p99 <= 5 s), per process and for the slowest one. Then the hub's resident memory (budget
<= 60 MB) and, when the console serves settings pages, those pages fetched by 20 logged-in
clients at once (budget p99 <= 100 ms).
"""
from __future__ import annotations

import dataclasses
import json
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import count, pct, rss_mb, start_hall  # noqa: E402
from devtools.demo import console as demo_console  # noqa: E402
from devtools.demo.__main__ import Hall  # noqa: E402
from devtools.testbed import wait_for  # noqa: E402
from devtools.web import WebClient  # noqa: E402
from motcua import config  # noqa: E402
from motcua.console.settings_form import SECTIONS  # noqa: E402
from motcua.contract import Topics  # noqa: E402
from motcua.hubclient import HubClient, new_command_id  # noqa: E402

PAGES = (*(f"/settings/{slug}" for slug in SECTIONS), "/settings/versions", "/accounts")
PARTS = ("hub", "console", "kiosk", "display", "bridge", "followup")      # who must take every change
CLIENTS, FETCHES = 20, 10


class Reports:
    """The versions each process says it runs on, with when each was first said."""

    def __init__(self) -> None:
        self.seen: dict[str, tuple[int, float]] = {}
        self.lock = threading.Lock()

    def message(self, msg) -> None:
        if not msg.topic.endswith("/config") or "/status/" not in msg.topic:
            return
        try:
            body = json.loads(msg.payload)
        except ValueError:
            return
        if body.get("applied"):
            with self.lock:
                part = msg.topic.split("/status/", 1)[1].removesuffix("/config")
                self.seen[part] = (body["version"], time.monotonic())

    def all_at(self, version: int, parts: set[str]) -> bool:
        with self.lock:
            return all(self.seen.get(p, (0, 0))[0] >= version for p in parts)

    def times(self, parts: set[str]) -> dict[str, float]:
        with self.lock:
            return {p: self.seen[p][1] for p in parts}


def change(i: int) -> list[dict]:
    """The i-th change: a wall screen's notice, or a service's daily limit."""
    if i % 2:
        return [{"path": "displays[0].notice", "value": f"Thông báo số {i} / notice {i}"}]
    return [{"path": "services[0].daily_limit", "value": 100 + i}]


def measure_changes(c: HubClient, t: Topics, reports: Reports, parts: set[str], n: int) -> dict[str, list[float]]:
    took: dict[str, list[float]] = {p: [] for p in parts} | {"every process": []}
    for i in range(n):
        current = c.request(t.config_history, {}, timeout=5)["versions"][0]["version"]
        sent = time.monotonic()
        reply = c.request(t.config_set, {"base_version": current, "changes": change(i), "by": "bench",
                                         "command_id": new_command_id("bench")}, timeout=5)
        assert reply.get("ok"), reply
        version = reply["config"]["version"]
        wait_for(lambda v=version: reports.all_at(v, parts), 30, f"version {version} everywhere")
        at = reports.times(parts)
        for p in parts:
            took[p].append(at[p] - sent)
        took["every process"].append(max(at.values()) - sent)
    return took


def pages_p99(base: str, user: str, password: str) -> tuple[float, float, str, float]:
    """The settings pages under 20 logged-in clients at once: p50 and p99 over all, and the slowest page with its
    p99 (each page fetched once first, as a supervisor opening it)."""
    clients = [WebClient(base) for _ in range(CLIENTS)]
    for w in clients:
        w.login(user, password)
    for page in PAGES:
        assert clients[0].get(page)[0] == 200, page
    times: dict[str, list[float]] = {page: [] for page in PAGES}

    def run(w: WebClient, first: int) -> None:
        for k in range(FETCHES):
            page = PAGES[(first + k) % len(PAGES)]
            t0 = time.monotonic()
            w.get(page)
            times[page].append(time.monotonic() - t0)
    threads = [threading.Thread(target=run, args=(w, i)) for i, w in enumerate(clients)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    every = [x for xs in times.values() for x in xs]
    slowest = max(PAGES, key=lambda page: pct(times[page], 99))
    return pct(every, 50), pct(every, 99), slowest, pct(times[slowest], 99)


def main() -> int:
    n = count("--changes", 50)
    out = Path("/tmp") / f"motcua-settings-bench-{int(time.time())}"
    out.mkdir(parents=True)
    hall = Hall(out)
    try:
        hall.start_broker()
        hall.start_serial_line()
        site = hall.site_file()
        cfg = config.load(site)
        start_hall(hall, site, cfg)
        t = Topics(cfg.mqtt.topic_root, cfg.site.id)
        reports = Reports()
        as_console = dataclasses.replace(cfg, mqtt=dataclasses.replace(cfg.mqtt, username="console"))
        c = HubClient(as_console, "settings-bench", subscriptions=(f"{t.root}/status/#",), on_message=reports.message,
                      announce=False).start()
        wait_for(lambda: len(reports.seen) >= len(PARTS), 120, "every process's first report")
        parts = set(reports.seen)
        took = measure_changes(c, t, reports, parts, n)
        print(f"settings change -> applied by every process, {n} changes (budget p99 <= 5000 ms)")
        for name, xs in sorted(took.items()):
            print(f"  {name:<16} p50 {pct(xs, 50):7.0f} ms   p99 {pct(xs, 99):7.0f} ms")
        hub_pid = next(p.pid for p in hall.procs if "motcua.hub" in p.args)
        print(f"hub resident memory: {rss_mb(hub_pid):.1f} MB (budget <= 60 MB)")
        pages = pages_p99(cfg.console.public_url, "giamsat", demo_console.LOGINS["giamsat"][0])
        print(f"settings pages, {CLIENTS} clients: p50 {pages[0]:.0f} ms  p99 {pages[1]:.0f} ms (budget p99 <= "
              f"100 ms); slowest {pages[2]} p99 {pages[3]:.0f} ms")
        c.stop()
    finally:
        hall.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
