"""Console benchmarks against SPEC section 9 (measured, never asserted).

    python bench/console_bench.py [--dossiers N]

The real hub and console processes on a ledger of 100,000 tickets (a year of ~275 a day) and a
dossier store of N dossiers (default 1,000,000; a year of 250 a day is the last 91,250):
- every page (live hall, figures, dossier report of this month, follow-up, counter panel, phone
  page) fetched by 20 logged-in clients at once, p50/p99 (budget p99 <= 100 ms);
- a call -> the change arriving in every open stream: 20 live halls, one counter panel and 300
  phone pages of waiting tickets, p50/p99 over all of them (budget p99 <= 100 ms);
- a counter press from the panel (its POST) -> the panel's stream showing the new ticket;
- a year's dossier report, page and XLSX (budget <= 2 s);
- the console's resident memory with them all open (budget <= 80 MB).
"""
from __future__ import annotations

import asyncio
import random
import sqlite3
import statistics
import sys
import threading
import time
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import count, pct, rss_mb, shows, streams, workspace  # noqa: E402
from devtools.testbed import HubProcess, site_data, write_site  # noqa: E402
from devtools.web import ConsoleProcess, WebClient, console_section, users  # noqa: E402
from motcua import config  # noqa: E402
from motcua.db import transaction  # noqa: E402
from motcua.hub import dossiers, store  # noqa: E402
from motcua.hubclient import HubClient  # noqa: E402

TICKETS_A_DAY, DAYS = 275, 364


def fill_ledger(path: str, cfg, today: date) -> None:
    """A year of past days (100,100 tickets), served, as the hub would have left them."""
    db = store.connect(path)
    rng = random.Random(1)
    rows = []
    for d in range(1, DAYS + 1):
        day = today - timedelta(days=d)
        start = datetime.combine(day, datetime.min.time(), cfg.site.tz).timestamp() + 7 * 3600
        for n in range(TICKETS_A_DAY):
            issued = start + n * 100
            called = issued + rng.randint(60, 1800)
            svc = cfg.services[n % len(cfg.services)]
            rows.append((f"{day:%Y%m%d}-{svc.label(svc.first + n // len(cfg.services))}", day.isoformat(), svc.id,
                         svc.id, svc.first + n // len(cfg.services), svc.label(svc.first + n // len(cfg.services)),
                         0, "done", "bench", issued, str(1 + n % 3), called, called, called + rng.randint(120, 900), 1))
    with transaction(db):
        db.executemany("INSERT INTO tickets (id, day, origin_service, service, number, label, priority, status, "
                       "source, issued_at, counter, first_called_at, called_at, finished_at, calls) "
                       "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
    db.close()


def fill_dossiers(path: str, n: int, today: date) -> None:
    """N dossiers, 250 a day back from today, nearly all finished, one in fifty late."""
    db = dossiers.connect(path)
    now = datetime.now().astimezone()
    batch = []
    for i in range(n):
        day = today - timedelta(days=i // 250)
        rec = f"{day.isoformat()}T08:00:00+07:00"
        due = f"{(day + timedelta(days=10)).isoformat()}T17:00:00+07:00"
        done = None if i < 2000 else f"{(day + timedelta(days=3 if i % 50 else 12)).isoformat()}T10:00:00+07:00"
        batch.append(dossiers.Dossier(f"000.00.53.H48-{day:%y%m%d}-{i % 250:04d}-{i}", "Cấp giấy chứng nhận",
                                      "Sở Tài nguyên và Môi trường", rec, due, done, 4 if done is None else 10,
                                      "Nguyễn Văn An", None, "", ("Đất đai", "Hộ tịch", "Xây dựng")[i % 3], 1 + i % 3))
        if len(batch) == 50_000:
            with transaction(db):
                dossiers.upsert(db, batch, now)
            batch = []
    if batch:
        with transaction(db):
            dossiers.upsert(db, batch, now)
    db.execute("ANALYZE")
    db.close()


def timed_pages(base: str, paths: list[str], clients: int = 20, rounds: int = 10) -> dict[str, list[float]]:
    """Each of ``clients`` logged-in clients fetches every path ``rounds`` times, all at once."""
    out: dict[str, list[float]] = {p: [] for p in paths}
    lock, webs = threading.Lock(), []
    for _ in range(clients):
        w = WebClient(base)
        w.login("giamsat")
        webs.append(w)

    def run(w: WebClient) -> None:
        for _ in range(rounds):
            for p in paths:
                t0 = time.perf_counter()
                status, _, _ = w.get(p)
                dt = time.perf_counter() - t0
                assert status == 200, (p, status)
                with lock:
                    out[p].append(dt)
    threads = [threading.Thread(target=run, args=(w,)) for w in webs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def main(n_dossiers: int) -> None:
    tmp, broker = workspace("consolebench")
    section = console_section(tmp, phone_requests_per_minute=6000)
    cfg = config.load(write_site(tmp, site_data(tmp, broker.port, console=section, users=users())))
    today = datetime.now(cfg.site.tz).date()
    t0 = time.time()
    fill_ledger(cfg.hub.database, cfg, today)
    fill_dossiers(dossiers.store_path(cfg), n_dossiers, today)
    print(f"filled: {100_100:,} tickets, {n_dossiers:,} dossiers in {time.time() - t0:.0f} s", flush=True)
    hub = HubProcess(cfg.path, tmp / "hub.log").start()
    c = HubClient(cfg, "bench", announce=False).start()
    c.issue("?", timeout=0.5, tries=200)
    console = ConsoleProcess(cfg.path, tmp / "console.log", section["public_url"]).start()
    base = section["public_url"]
    waiting = [c.issue(("LAND", "JUST")[i % 2])["ticket"] for i in range(320)]
    day = waiting[0]["id"].split("-")[0]
    month = f"?from={today.replace(day=1)}&to={today}"
    pages = ["/hall", "/figures", f"/dossiers{month}", "/followup", "/counter/1",
             f"/t/{day}/{waiting[-1]['label']}"]
    got = timed_pages(base, pages)
    print("\npage, 20 clients at once (budget p99 <= 100 ms):")
    for p, xs in got.items():
        print(f"  {p:<40} p50 {pct(xs, 50):6.1f} ms  p99 {pct(xs, 99):6.1f} ms  ({len(xs)})")
    allp = [x for xs in got.values() for x in xs]
    print(f"  {'all pages':<40} p50 {pct(allp, 50):6.1f} ms  p99 {pct(allp, 99):6.1f} ms")

    year = f"?from={today.year - 1}-01-01&to={today.year - 1}-12-31"
    web = WebClient(base)
    web.login("giamsat")
    print("\na year's dossier report (budget <= 2 s), computed (the first) and then as kept:")
    for p in (f"/dossiers{year}", f"/dossiers.xlsx{year}", f"/dossiers.csv{year}"):
        xs = []
        for _ in range(3):
            t1 = time.perf_counter()
            assert web.get(p)[0] == 200
            xs.append(time.perf_counter() - t1)
        print(f"  {p.split('?')[0]:<16} {xs[0] * 1000:7.0f} ms, then {statistics.median(xs[1:]) * 1000:5.0f} ms")

    cookie = "; ".join(f"{k}={v}" for k, v in web.cookies.items())
    phones = [f"/events/t/{day}/{t['label']}" for t in waiting[:300]]
    paths = ["/events/hall"] * 20 + ["/events/counter/3"] + phones
    labels: list[str] = []

    def call(i: int):
        def go():
            reply = c.command("3", "next")
            labels.append(reply["state"]["ticket"])
        return go

    def expect(i: int, key: str, buf: str) -> bool:
        return len(labels) > i and shows(key, labels[i], buf)
    lat, missing = asyncio.run(streams(base, cookie, paths, [call(i) for i in range(20)], expect))
    print(f"\ncall -> every open stream (20 halls, 1 panel, 300 phone pages; budget p99 <= 100 ms):\n"
          f"  p50 {pct(lat, 50):6.1f} ms  p99 {pct(lat, 99):6.1f} ms  max {max(lat) * 1000:6.1f} ms  "
          f"({len(lat)} arrivals, {missing} missed)")
    print(f"\nresident memory, console (budget <= 80 MB): {rss_mb(console.proc.pid):.1f} MB after the streams; "
          f"hub {rss_mb(hub.proc.pid):.1f} MB")
    panel = WebClient(base)
    panel.login("giamsat")
    token, ledger = panel.csrf("/counter/2"), sqlite3.connect(f"file:{cfg.hub.database}?mode=ro", uri=True,
                                                                   check_same_thread=False)
    coming: list[str] = []

    def press(i: int):
        def go():
            coming.append(ledger.execute("SELECT label FROM tickets WHERE status='waiting' AND service='JUST' "
                                         "ORDER BY issued_at, seq LIMIT 1").fetchone()[0])   # whom NEXT calls
            status, _, _ = panel.post("/counter/2/command", {"csrf": token, "action": "next", "command_id":
                                      f"bench-{random.getrandbits(64):x}"}, headers={"X-Motcua": "fetch"})
            assert status == 200
        return go

    def on_panel(i: int, key: str, text: str) -> bool:
        return len(coming) > i and shows(key, coming[i], text)
    lat, missing = asyncio.run(streams(base, cookie, ["/events/counter/2"], [press(i) for i in range(30)], on_panel))
    print(f"\npanel press (its POST) -> the panel's stream showing the ticket (budget p99 <= 100 ms):\n"
          f"  p50 {pct(lat, 50):.1f} ms, p99 {pct(lat, 99):.1f} ms ({len(lat)} presses, {missing} missed)")
    console.stop(), c.stop(), hub.stop(), broker.stop()


if __name__ == "__main__":
    main(count("--dossiers", 1_000_000))
