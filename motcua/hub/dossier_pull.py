"""Keeping the dossier store current from the province's one-stop system over HTTP.

A thread of the hub asks ``url?<since_param>=<cursor>`` every ``interval_s``, maps the remote's
field names to ours, upserts the good rows and logs the bad ones. The remote being down, slow or
answering garbage costs a log line and a retry at the next interval; the cursor only moves after
a pull that was written, so nothing is skipped.
"""
from __future__ import annotations

import json
import logging
import threading
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import timedelta

from ..config import DossierPull, SiteConfig
from ..db import transaction
from ..link import read_password
from ..service_day import Clock, system_clock
from . import dossiers
from .dossier_import import FIELDS, to_dossier

log = logging.getLogger(__name__)
MAX_RESPONSE = 64 * 1024 * 1024
OVERLAP = timedelta(minutes=5)   # ask again a little before the last pull: clocks differ
CURSOR_KEY = "pull_cursor"


@dataclass
class PullResult:
    """One pull's outcome: dossiers written, items skipped as malformed (each logged), or why the whole pull failed
    (then the cursor did not move and the next pull asks again)."""
    written: int = 0
    skipped: int = 0
    error: str | None = None


class DossierPuller:
    """The hub's thread that pulls changed dossiers from the province's system every ``interval_s``, since the cursor it
    keeps in the store; a failing pull is logged and tried again next time, never stopping the hub."""

    def __init__(self, cfg: SiteConfig, database: str, clock: Clock = system_clock):
        self.pull_cfg: DossierPull = cfg.hub.dossier_pull
        self.tz, self.clock, self.database = cfg.site.tz, clock, database
        self.stop_event = threading.Event()
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        self.thread = threading.Thread(target=self._run, name="dossier-pull", daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.stop_event.set()

    def _run(self) -> None:
        db = dossiers.connect(self.database)
        while not self.stop_event.is_set():
            try:
                r = self.pull_once(db)
            except Exception as e:   # e.g. the store locked too long: try again next time
                log.exception("lỗi khi ghi hồ sơ / error writing pulled dossiers")
                r = PullResult(error=str(e)[:300])
            if r.error:
                log.warning("lấy hồ sơ thất bại / dossier pull failed: %s; retry in %ss", r.error,
                            self.pull_cfg.interval_s)
            self.stop_event.wait(self.pull_cfg.interval_s)
        db.close()

    def pull_once(self, db) -> PullResult:
        started = self.clock()
        cursor = db.execute("SELECT value FROM dossier_meta WHERE key=?", (CURSOR_KEY,)).fetchone()
        try:
            items = self._fetch(cursor[0] if cursor else None)
        except (OSError, ValueError) as e:   # URLError, timeouts, HTTP errors, bad JSON are all here
            return PullResult(error=str(e)[:300])
        good, skipped = [], 0
        names = {f: self.pull_cfg.fields.get(f, f) for f in FIELDS}    # ours -> the remote's
        for i, item in enumerate(items, 1):
            mapped = {ours: item.get(theirs) for ours, theirs in names.items()} if isinstance(item, dict) else {}
            dossier, problems = to_dossier(mapped, self.tz)
            if dossier is None:
                skipped += 1
                log.warning("bỏ hồ sơ %d từ nguồn / skipped remote item %d: %s", i, i, "; ".join(problems)[:300])
            else:
                good.append(dossier)
        with transaction(db):
            dossiers.upsert(db, good, started)
            db.execute("INSERT OR REPLACE INTO dossier_meta VALUES (?, ?)",
                       (CURSOR_KEY, (started - OVERLAP).isoformat(timespec="seconds")))
        log.info("đã lấy %d hồ sơ / pulled %d dossiers (%d skipped)", len(good), len(good), skipped)
        return PullResult(written=len(good), skipped=skipped)

    def _fetch(self, since: str | None) -> list:
        url = self.pull_cfg.url
        if since is not None:
            sep = "&" if urllib.parse.urlsplit(url).query else "?"
            url += sep + urllib.parse.urlencode({self.pull_cfg.since_param: since})
        req = urllib.request.Request(url, headers={"Accept": "application/json"})
        token = read_password(self.pull_cfg.token_file)
        if token:
            req.add_header("Authorization", f"Bearer {token}")
        with urllib.request.urlopen(req, timeout=self.pull_cfg.timeout_s) as resp:
            body = resp.read(MAX_RESPONSE + 1)
        if len(body) > MAX_RESPONSE:
            raise ValueError("answer larger than 64 MB")
        data = json.loads(body.decode("utf-8"))
        if self.pull_cfg.items_key:
            data = data.get(self.pull_cfg.items_key) if isinstance(data, dict) else None
        if not isinstance(data, list):
            raise ValueError("the answer holds no list of dossiers")
        return data
