"""Hub benchmarks against SPEC section 9 (measured, never asserted; figures go into the README).

    python bench/hub_bench.py [--quick]

1. the broker's own publish->receive round trip (QoS 1), and a round trip through a trivial echo
   process paced like the kiosks: the floor any request/reply over mosquitto pays here;
2. durable ticket issue round trip at 50 req/s, p50/p99 (budget p99 <= 5 ms);
3. durable tickets/s from 8 concurrent clients (budget >= 1,000/s);
4. counter command p99 with 200 counters and 100,000 tickets in the database (budget <= 20 ms);
5. the hub's resident memory (budget <= 60 MB).
"""
from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import socket
import sqlite3
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import pct, rss_mb, workspace  # noqa: E402
from devtools.testbed import HubProcess, Spy, counter, service, site_data, write_site  # noqa: E402
from motcua import config  # noqa: E402
from motcua.hub import store  # noqa: E402
from motcua.hubclient import HubClient  # noqa: E402


def round_trips(spy: Spy, topic: str, n: int, gap: float = 0.0) -> list[float]:
    """Publish to ``topic`` and wait for the spy to receive the next message, n times."""
    out = []
    for _ in range(n):
        before = len(spy.msgs)
        t0 = time.perf_counter()
        spy.c.publish(topic, b"x", qos=1)
        while len(spy.msgs) == before:
            time.sleep(0.00002)
        out.append(time.perf_counter() - t0)
        time.sleep(gap)
    spy.close()
    return out


def broker_rtt(port: int, n: int) -> list[float]:
    return round_trips(Spy(port, "bench/echo"), "bench/echo", n)


def echo_main(port: int) -> None:
    """A trivial responder in its own process: the floor of any request/reply over mosquitto."""
    import paho.mqtt.client as paho
    c = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id="bench-echo", protocol=paho.MQTTv5)
    c.on_socket_open = lambda cl, u, sock: sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    c.on_connect = lambda cl, u, f, rc, p=None: cl.subscribe("bench/ping", 1)
    c.on_message = lambda cl, u, m: cl.publish("bench/pong", m.payload, qos=1)
    c.connect("127.0.0.1", port)
    c.loop_forever()


def echo_rtt(port: int, n: int, rate: float = 50) -> list[float]:
    proc = mp.Process(target=echo_main, args=(port,), daemon=True)
    proc.start()
    spy = Spy(port, "bench/pong")
    time.sleep(1.0)
    out = round_trips(spy, "bench/ping", n, 1 / rate)
    proc.terminate()
    return out


def paced_issues(c: HubClient, n: int, rate: float) -> list[float]:
    out, period = [], 1 / rate
    start = time.perf_counter()
    for i in range(n):
        target = start + i * period
        while time.perf_counter() < target:
            time.sleep(0.0005)
        t0 = time.perf_counter()
        r = c.issue("LAND" if i % 2 else "JUST")
        out.append(time.perf_counter() - t0)
        assert r["ok"], r
    return out


def _client(path: str, i: int, seconds: float, out) -> None:
    c = HubClient(config.load(path), f"bench-{i}").start()
    n, stop = 0, time.perf_counter() + seconds
    while time.perf_counter() < stop:
        assert c.issue("LAND" if i % 2 else "JUST")["ok"]
        n += 1
    c.stop()
    out.put(n)


def throughput(cfg, clients: int, seconds: float) -> float:
    """Eight kiosks: eight processes, each waiting for its reply before the next request."""
    out = mp.Queue()
    procs = [mp.Process(target=_client, args=(cfg.path, i, seconds, out)) for i in range(clients)]
    for p in procs:
        p.start()
    total = sum(out.get() for _ in procs)
    for p in procs:
        p.join()
    return total / seconds


def big_site(tmp: Path, port: int) -> Path:
    services = [service(f"S{i:02d}", chr(65 + i % 26) + ("" if i < 26 else "Z"), 1, 9999) for i in range(40)]
    counters = [counter(i, [f"S{i % 40:02d}", f"S{(i + 1) % 40:02d}"]) for i in range(1, 201)]
    return write_site(tmp, site_data(tmp, port, services=services, counters=counters), "big.yaml")


def fill(db_path: str, services: int, tickets: int) -> None:
    """100,000 tickets of past days, as a centre has after a year."""
    db = store.connect(db_path)
    rows = []
    for i in range(tickets):
        day = f"2025-{1 + (i // 8000) % 12:02d}-{1 + (i // 400) % 28:02d}"
        s = f"S{i % services:02d}"
        rows.append((f"x{i}", day, s, s, i, f"L{i}", 0, "done", "bench", 1.7e9 + i, 1.7e9 + i, 1.7e9 + i + 300))
    db.executemany("INSERT INTO tickets (id, day, origin_service, service, number, label, priority, status, "
                   "source, issued_at, first_called_at, finished_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", rows)
    db.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    n = 200 if args.quick else 1000
    tmp, broker = workspace("bench")
    results = []
    try:
        rtt = broker_rtt(broker.port, n)
        results.append(("mosquitto publish->receive, same process (QoS 1)",
                        f"p50 {pct(rtt, 50):.2f} ms, p99 {pct(rtt, 99):.2f} ms", "(floor)"))
        echo = echo_rtt(broker.port, n)
        results.append(("request->reply through a trivial echo process at 50 req/s",
                        f"p50 {pct(echo, 50):.2f} ms, p99 {pct(echo, 99):.2f} ms", "(floor with a 2nd process)"))
        cfg = config.load(write_site(tmp, site_data(tmp, broker.port, services=[
            service("LAND", "A", 1, 9999), service("JUST", "B", 1, 9999)])))
        hub = HubProcess(cfg.path, tmp / "hub.log").start()
        c = HubClient(cfg, "bench").start()
        c.issue("?", timeout=0.2, tries=100)
        lat = paced_issues(c, n, 50)
        results.append(("ticket issue round trip at 50 req/s, durable",
                        f"p50 {pct(lat, 50):.2f} ms, p99 {pct(lat, 99):.2f} ms", "p99 <= 5 ms"))
        tps = throughput(cfg, 8, 3 if args.quick else 10)
        results.append(("durable tickets/s from 8 clients", f"{tps:,.0f} /s", ">= 1,000 /s"))
        results.append(("hub resident memory (after the above)", f"{rss_mb(hub.proc.pid):.1f} MB", "<= 60 MB"))
        c.stop()
        hub.stop()

        (tmp / "big").mkdir()
        big = big_site(tmp / "big", broker.port)
        bcfg = config.load(big)
        fill(bcfg.hub.database, 40, 100_000)
        hub = HubProcess(big, tmp / "hub-big.log").start()
        c = HubClient(bcfg, "bench-big").start()
        c.issue("?", timeout=0.2, tries=100)
        for i in range(2000):
            c.issue(f"S{i % 40:02d}")
        cmd = []
        for i in range(n):
            t0 = time.perf_counter()
            r = c.command(str(1 + i % 200), ("next", "next", "recall", "skip")[i % 4])
            cmd.append(time.perf_counter() - t0)
            assert r["ok"] or r["error"]["code"] in ("nothing_to_recall", "not_serving"), r
        results.append(("counter command, 200 counters, 100,000 tickets",
                        f"p50 {pct(cmd, 50):.2f} ms, p99 {pct(cmd, 99):.2f} ms", "p99 <= 20 ms"))
        results.append(("hub resident memory, big site", f"{rss_mb(hub.proc.pid):.1f} MB", "<= 60 MB"))
        rows = sqlite3.connect(bcfg.hub.database).execute("SELECT COUNT(*) FROM tickets").fetchone()[0]
        c.stop()
        hub.stop()
    finally:
        broker.stop()
    print(f"\nmotcua hub benchmark — {os.cpu_count()} CPUs, {n} samples per latency ({rows:,} tickets in the big db)\n")
    print("| what | measured | budget |\n|---|---|---|")
    for what, got, budget in results:
        print(f"| {what} | {got} | {budget} |")


if __name__ == "__main__":
    main()
