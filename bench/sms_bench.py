"""Numbers and turns by SMS against SPEC 9 and 11.1 (measured, never asserted).

    python bench/sms_bench.py [--phones N]

The real hub, the session's own mosquitto, the real follow-up process and the real gammu-smsd on
Gammu's dummy phone; each citizen's text is written into the dummy phone, as a modem receives it.
(b) an ``LS`` text received -> its answer handed to the daemon, one at a time, p50/p99 (budget p99
<= 5 s); then numbers taken by SMS until 300 tickets are followed, and (a) a counter's call ->
its ``turn_called`` SMS handed, one call at a time, p50/p99 (budget p99 <= 5 s). (c) N texts
(default 1,000) from N phones within a minute, 60 % asking a service whose ``remote_daily_limit``
is 40 % of N and 40 % another: every one answered once, the limit exact, no label twice; then 5 %
of the served phones ask again (one number a phone per service).
"""
from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import count, pct, rss_mb, workspace  # noqa: E402
from devtools.demo.followup import section  # noqa: E402
from devtools.testbed import GammuSmsd, HubProcess, counter, env, service, site_data, write_site  # noqa: E402
from motcua import config  # noqa: E402
from motcua.hubclient import HubClient  # noqa: E402

SAMPLES, FOLLOWED, CALLS = 100, 300, 100
LABEL = re.compile(r"so cua ong/ba la ([A-Z]\d{3}) ")


def sizes(n: int) -> tuple[int, int, int]:
    """(LS samples, tickets followed, calls): 100, 300, 100, smaller for a quick try with under 100 phones."""
    return min(SAMPLES, n), min(FOLLOWED, 3 * n), min(CALLS, n)


def phone(i: int) -> str:
    return f"+8491{i:07d}"


def rows(db: Path, sql: str, *args) -> list[tuple]:
    """The follow-up's database, read-only; nothing while it is not made yet."""
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    except sqlite3.Error:
        return []
    try:
        return conn.execute(sql, args).fetchall()
    except sqlite3.Error:
        return []
    finally:
        conn.close()


def answers(db: Path) -> dict[str, list[tuple[str, float]]]:
    """Every answer handed to the daemon, by phone: (the text as sent, when handed)."""
    out: dict[str, list[tuple[str, float]]] = {}
    for p, text, handed in rows(db, "SELECT phone, text, handed FROM messages WHERE event='answer' "
                                    "AND handed IS NOT NULL ORDER BY id"):
        out.setdefault(p, []).append((text, handed))
    return out


def handed_count(db: Path) -> int:
    return rows(db, "SELECT COUNT(*) FROM messages WHERE handed IS NOT NULL")[0][0]


def called_handed(db: Path, label: str) -> float | None:
    """When the notice "Mời số <label> đến ..." was handed to the daemon."""
    got = rows(db, "SELECT handed FROM messages WHERE event='turn' AND text LIKE ? AND handed IS NOT NULL",
               f"Moi so {label} den %")
    return got[0][0] if got else None


def wait(what, timeout: float, poll: float = 0.02):
    """``what()`` once it is truthy, or None after ``timeout`` seconds."""
    end = time.time() + timeout
    while time.time() < end:
        if got := what():
            return got
        time.sleep(poll)
    return None


class Hall:
    """The hall of the benchmark: hub, follow-up and gammu-smsd, and a desk to press next at."""

    def __init__(self, n: int):
        self.tmp, self.broker = workspace("smsbench")
        self.smsd = GammuSmsd(self.tmp / "gammu").start()
        self.limit = n * 2 // 5
        self.samples, self.followed, self.calls = sizes(n)
        services = [{**service("LAND", "A"), "name": {"vi": "Đất đai", "en": "Land"}, "remote": True,
                     "remote_daily_limit": 999},
                    {**service("CERT", "C"), "name": {"vi": "Chứng thực", "en": "Certification"}, "remote": True,
                     "remote_daily_limit": self.limit},
                    {**service("BUSI", "D"), "name": {"vi": "Đăng ký kinh doanh", "en": "Business"}, "remote": True,
                     "remote_daily_limit": 9999}]
        follow = section(self.tmp, self.smsd)
        follow["sms"]["answers_daily"] = 5
        data = site_data(self.tmp, self.broker.port, services=services, followup=follow,
                         counters=[counter(1, ["LAND"]), counter(2, ["CERT", "BUSI"])])
        (self.tmp / "site.key").write_text("s" * 40)
        data["site"]["secret_file"] = str(self.tmp / "site.key")
        self.cfg = config.load(write_site(self.tmp, data))
        self.db = Path(self.cfg.followup.database)
        self.hub = HubProcess(self.cfg.path, self.tmp / "hub.log").start()
        self.desk = HubClient(self.cfg, "desk").start()
        self.desk.request(self.desk.t.issue, {"service": "NOPE"}, timeout=0.2, tries=100)   # the hub is up
        self.fu = subprocess.Popen([sys.executable, "-m", "motcua.followup", "--config", str(self.cfg.path),
                                    "--log-level", "WARNING"], cwd=ROOT, env=env(),
                                   stderr=open(self.tmp / "followup.log", "ab"))

    def stop(self) -> None:
        self.fu.terminate()
        self.fu.wait(10)
        self.desk.stop()
        self.hub.stop()
        self.smsd.stop()
        self.broker.stop()


def one_at_a_time(h: Hall) -> list[float]:
    """(b): an LS text written into the modem -> its answer handed to gammu-smsd."""
    lat = []
    for i in range(h.samples):
        who = phone(i)
        h.smsd.receive(who, "LS dat dai")
        t0 = time.time()
        got = wait(lambda p=who: answers(h.db).get(p), 60)
        if got:
            lat.append(got[0][1] - t0)
        time.sleep(0.1)
    return lat


def calls(h: Hall) -> list[float]:
    """(a): with ``h.followed`` tickets followed, a counter's call -> its ``turn_called`` SMS handed."""
    for i in range(h.samples, h.followed):
        h.smsd.receive(phone(i), "LS A")
    wait(lambda: len(answers(h.db)) >= h.followed, 300, 0.5)
    lat = []
    for _ in range(h.calls):
        t0 = time.time()
        label = (h.desk.command("1", "next").get("state") or {}).get("ticket")
        handed = wait(lambda lb=label: called_handed(h.db, lb), 60)
        if handed:
            lat.append(handed - t0)
        time.sleep(0.1)
    return lat


def burst(h: Hall, n: int) -> dict:
    """(c): n phones text within a minute; 60 % ask CERT (limit 40 % of n), the rest BUSI."""
    first, asks = 10_000, {}
    t0 = time.time()
    for k in range(n):
        asks[phone(first + k)] = "C" if k < n * 3 // 5 else "D"
        h.smsd.receive(phone(first + k), f"LS {asks[phone(first + k)]}")
        time.sleep(max(0.0, t0 + 60 * (k + 1) / n - time.time()))
    sent_in = time.time() - t0
    wait(lambda: sum(p in asks for p in answers(h.db)) >= n, 900, 0.5)
    got = {p: a for p, a in answers(h.db).items() if p in asks}
    last = max((a[-1][1] for a in got.values()), default=t0)
    labels = {p: LABEL.search(a[0][0]) for p, a in got.items()}
    labels = {p: m.group(1) for p, m in labels.items() if m}
    again = [p for p in sorted(labels) if asks[p] == "D"][: max(1, n // 20)]
    for p in again:
        h.smsd.receive(p, "LS D")
    wait(lambda: all(len(answers(h.db).get(p, [])) >= 2 for p in again), 300, 0.5)
    final = answers(h.db)
    return {"n": n, "sent_in": sent_in, "all_in": last - t0, "answered_once": sum(len(a) == 1 for a in got.values()),
            "cert": sum(lb.startswith("C") for lb in labels.values()),
            "busi": sum(lb.startswith("D") for lb in labels.values()),
            "full": sum("het so" in a[0][0] for p, a in got.items() if asks[p] == "C"),
            "distinct": len(set(labels.values())) == len(labels), "again": len(again),
            "mine": sum(len(final.get(p, [])) == 2 and "da lay du so" in final[p][1][0] for p in again)}


def main(n: int) -> None:
    h = Hall(n)
    try:
        ls = one_at_a_time(h)
        call = calls(h)
        b = burst(h, n)
        mem = rss_mb(h.fu.pid)
        total = handed_count(h.db)
        sent = wait(lambda: len(list(h.smsd.sent.iterdir())) >= total, 300, 1) and total or \
            len(list(h.smsd.sent.iterdir()))
    finally:
        h.stop()
    print(f"\nmotcua numbers by SMS benchmark — gammu-smsd on the dummy phone, {n:,} phones in the burst\n")
    print("| what | measured | budget |\n|---|---|---|")
    print(f"| `LS` text received by the modem -> its answer handed to gammu-smsd ({len(ls)} of {h.samples}, one at a "
          f"time) | p50 {pct(ls, 50):.0f} ms, p99 {pct(ls, 99):.0f} ms | p99 <= 5 s |")
    print(f"| a call -> its SMS handed to gammu-smsd, {h.followed} tickets followed ({len(call)} of {h.calls} calls, "
          f"one at a time) | p50 {pct(call, 50):.0f} ms, p99 {pct(call, 99):.0f} ms | p99 <= 5 s |")
    print(f"| {b['n']:,} `LS` texts from {b['n']:,} phones in {b['sent_in']:.0f} s -> answered once | "
          f"{b['answered_once']:,} of {b['n']:,}, the last handed {b['all_in']:.0f} s after the first text | "
          "all answered |")
    print(f"| ... `remote_daily_limit` {h.limit} (CERT, {b['n'] * 3 // 5} asked) | {b['cert']} numbers, "
          f"{b['full']} told \"full\"; BUSI {b['busi']} numbers; no label twice: {'yes' if b['distinct'] else 'NO'} | "
          "exact |")
    print(f"| ... one a phone per service: {b['again']} served phones ask again | {b['mine']} told \"already "
          "taken\" | all |")
    print(f"| SMS moved to gammu-smsd's sent folder by the end | {sent:,} of the {total:,} SMS handed (answers and "
          "notices) | |")
    print(f"| follow-up resident memory (after the burst) | {mem:.1f} MB | <= 50 MB |")


if __name__ == "__main__":
    main(count("--phones", 1000))
