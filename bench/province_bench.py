"""Province benchmark against SPEC section 9's last row (measured, never asserted).

    python bench/province_bench.py [--outage-s 600]

100 simulated halls — light publishers of the hall topics of section 13 (status, province link,
counter and service state, calls, figures), each as a bridge behaves: retained state said again
whenever its link is back — straight into one province mosquitto (with persistence), and the real
province console subscribed to it, with one browser's stream open:
- a call in a hall -> shown in the province console's stream, p50/p99 over 60 calls, with every
  hall changing a counter every 5 s meanwhile (budget p99 <= 1 s);
- the province broker stopped for ``--outage-s`` seconds (default 600) while every hall keeps
  changing, then back: the time until the province page shows every hall's latest state
  (budget <= 30 s);
- the console's resident memory with 100 halls.
"""
from __future__ import annotations

import asyncio
import json
import random
import re
import sys
import threading
import time
from pathlib import Path

import paho.mqtt.client as paho

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import count, pct, rss_mb, workspace  # noqa: E402
from bench.console_bench import streams  # noqa: E402
from devtools.testbed import site_data, wait_for, write_site  # noqa: E402
from devtools.web import ConsoleProcess, WebClient, console_section, users  # noqa: E402
from motcua import config  # noqa: E402

HALLS = 100


class SimHall:
    """One hall's side of the link: its retained state, said again on every reconnect."""

    def __init__(self, site: str, port: int):
        self.site, self.root = site, f"motcua/{site}"
        self.state: dict[str, bytes] = {}
        self.lock = threading.Lock()
        self.c = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=f"sim-{site}", protocol=paho.MQTTv311,
                             clean_session=False)
        self.c.reconnect_delay_set(1, 2)
        self.c.on_connect = lambda *a: self._again()
        self.c.connect_async("127.0.0.1", port, keepalive=10)
        self.c.loop_start()
        self.n = 0
        for svc in ("LAND", "JUST"):
            self.retain(f"service/{svc}/state", {"service": svc, "waiting": 3, "issued": 10, "served": 7,
                                                 "no_show": 0, "oldest_waiting_at": None})
        for part in ("hub", "province-link"):
            self.retain(f"status/{part}", "online" if part == "hub" else "1")
        self.call("1")

    def retain(self, suffix: str, body) -> None:
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        with self.lock:
            self.state[f"{self.root}/{suffix}"] = data
        self.c.publish(f"{self.root}/{suffix}", data, qos=1, retain=True)

    def call(self, counter: str) -> str:
        self.n += 1
        label = f"Z{self.n:03d}"
        self.retain(f"counter/{counter}/state", {"counter": counter, "status": "serving", "ticket": label,
                                                 "service": "LAND", "called_at": None, "calls": 1})
        self.c.publish(f"{self.root}/call", json.dumps({"counter": counter, "ticket": label}), qos=1)
        return label

    def _again(self) -> None:
        with self.lock:
            again = list(self.state.items())
        for topic, data in again:
            self.c.publish(topic, data, qos=1, retain=True)

    def stop(self) -> None:
        self.c.loop_stop()
        self.c.disconnect()


def serving(web: WebClient) -> dict[str, str]:
    """Counter 1's ticket of every hall, as the province page shows it."""
    _, _, body = web.get("/province")
    out = {}
    for site, block in re.findall(r'data-site="([\w-]+)">(.*?)</section>', body.decode(), re.S):
        m = re.search(r'data-counter="1">(\w+)<', block)
        out[site] = m.group(1) if m else ""
    return out


def main(outage_s: int) -> None:
    tmp, broker = workspace("provincebench")
    broker.stop()
    broker.conf.write_text(broker.conf.read_text() + f"persistence true\npersistence_location {tmp}/\n"
                                                     "autosave_interval 5\n")
    broker.start()
    sites = [f"xa-{i:03d}" for i in range(HALLS)]
    section = console_section(tmp, province={"broker": {"host": "127.0.0.1", "port": broker.port},
                                             "sites": sites})
    cfg = config.load(write_site(tmp, site_data(tmp, broker.port, console=section, users=users())))
    console = ConsoleProcess(cfg.path, tmp / "console.log", section["public_url"]).start()
    halls = {s: SimHall(s, broker.port) for s in sites}
    web = WebClient(section["public_url"])
    web.login("giamsat")
    wait_for(lambda: all(v == "Z001" for v in serving(web).values()) and len(serving(web)) == HALLS, 60,
             "every hall at the province")
    busy = {"on": True}
    threading.Thread(target=keep_changing, args=(halls, busy), daemon=True).start()
    cookie = "; ".join(f"{k}={v}" for k, v in web.cookies.items())
    measure_calls(section["public_url"], cookie, sites, halls)
    print(f"province console resident memory: {rss_mb(console.proc.pid):.1f} MB")
    measure_outage(broker, web, halls, outage_s)
    busy["on"] = False
    for h in halls.values():
        h.stop()
    console.stop(), broker.stop()


def keep_changing(halls: dict[str, SimHall], busy: dict[str, bool]) -> None:
    """Every hall changes a counter every 5 s, while ``busy["on"]``."""
    while busy["on"]:
        for h in halls.values():
            h.retain("service/JUST/state", {"service": "JUST", "waiting": random.randint(0, 9), "issued": 10,
                                            "served": 7, "no_show": 0})
            time.sleep(5 / HALLS)


def measure_calls(url: str, cookie: str, sites: list[str], halls: dict[str, SimHall]) -> None:
    """60 calls, each in a hall, timed until the province console's stream shows it."""
    called: list[tuple[str, str]] = []

    def call(i: int):
        def go():
            site = sites[(i * 37) % HALLS]
            called.append((site, halls[site].call("2")))
        return go

    def shows(i: int, key: str, text: str) -> bool:
        if len(called) <= i:
            return False
        site, label = called[i]
        return json.dumps(f'data-counter="2">{label}<')[1:-1] in text and site in text
    lat, missing = asyncio.run(streams(url, cookie, ["/events/province"], [call(i) for i in range(60)], shows))
    print(f"call in a hall -> the province console's stream, 100 halls (budget p99 <= 1 s):\n"
          f"  p50 {pct(lat, 50):.0f} ms, p99 {pct(lat, 99):.0f} ms ({len(lat)} calls, {missing} missed)")


def measure_outage(broker, web: WebClient, halls: dict[str, SimHall], outage_s: int) -> None:
    """The province broker stopped for ``outage_s`` while every hall keeps calling, then back: the time
    until the province page shows every hall's latest state."""
    broker.proc.terminate()
    broker.proc.wait(10)
    print(f"\nprovince broker stopped for {outage_s} s; every hall keeps calling", flush=True)
    end = time.time() + outage_s
    while time.time() < end:
        for h in halls.values():
            h.call("1")
        time.sleep(min(30, max(0, end - time.time())))
    latest = {s: json.loads(h.state[f"{h.root}/counter/1/state"])["ticket"] for s, h in halls.items()}
    back = time.time()
    broker.start()
    converged = None
    while time.time() - back < 120:
        if serving(web) == latest:
            converged = time.time() - back
            break
        time.sleep(0.25)
    print(f"back after {outage_s} s -> every hall's latest state at the province (budget <= 30 s): "
          + (f"{converged:.1f} s" if converged is not None else "not within 120 s"))


if __name__ == "__main__":
    main(count("--outage-s", 600))
