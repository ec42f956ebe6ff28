"""python -m motcua.followup --config FILE [--check-config | --once | --letter CODE | --watch]"""
from __future__ import annotations

import logging
import queue
import sys
import time
from datetime import datetime
from pathlib import Path

from ..config import SiteConfig
from ..contract import OFFLINE, ONLINE, Topics, normalise_dossier_code
from ..exits import EX_CONFIG, EX_USAGE_CONFIG
from ..hub import dossiers
from ..hubclient import HubClient
from ..link import Link
from ..sdnotify import Notifier
from ..site_sync import RESTART, SiteSync
from ..startup import begin, on_stop, parser
from .service import FollowUp
from .transports import TransportError, transport_for
from .turns import Hall

log = logging.getLogger(__package__)
HELD = (("site", "id"), ("site", "timezone"), ("site", "day_starts_at"), ("hub", "database"),
        *(p for p in RESTART if p[0] == "followup"))    # what the outbox, store and transport were opened with


def main(argv: list[str] | None = None) -> int:
    """``python -m motcua.followup``: serve until stopped, or one pass (``--once``), one dossier's letter (``--letter``)
    or today's watch (``--watch``). Exit 2 when the site file has no followup section or its SMS transport cannot be
    used."""
    p = parser("python -m motcua.followup", "motcua follow-up: SMS to citizens, letters of apology, the "
               "daily overdue watch", with_id=False)
    p.add_argument("--once", action="store_true", help="one pass (changes, the daily watch if due, SMS), then exit")
    p.add_argument("--letter", metavar="CODE", help="write that dossier's letter of apology now and print its path")
    p.add_argument("--watch", action="store_true", help="write today's overdue watch (PDF and CSV) now, whatever "
                                                        "the day, and print its path")
    args, cfg, _ = begin(p, argv)
    if isinstance(cfg, int):
        return cfg
    if cfg.followup is None:
        print(f"{cfg.path}: followup: the section is missing (SPEC section 11)", file=sys.stderr)
        return EX_USAGE_CONFIG
    try:
        spool = str(Path(cfg.followup.database).parent / "followup-spool")
        fu = FollowUp(cfg, dossiers.store_path(cfg), transport_for(cfg.followup.sms, spool),
                      lambda: datetime.now(cfg.site.tz))
    except TransportError as e:
        print(f"không dùng được đường gửi tin / the SMS transport cannot be used: {e}", file=sys.stderr)
        return EX_USAGE_CONFIG
    if args.letter:
        return letter(fu, args.letter)
    if args.watch:
        path = fu.daily(force=True)
        print(path if path else "chưa có kho hồ sơ / no dossier store yet")
        return 0 if path else 1
    if args.once:
        failed = fu.run_once()
        log.info("một lượt xong / one pass done: %s%s", fu.outbox.counts(),
                 f"; bước lỗi / failed steps: {', '.join(failed)}" if failed else "")
        return 0
    return serve(cfg, fu)


def letter(fu: FollowUp, text: str) -> int:
    """``--letter CODE``: write that dossier's letter of apology now, even if one was written, and print its path; 1
    when the dossier is not in the store."""
    code = normalise_dossier_code(text)
    db = fu.store()
    d = dossiers.find(db, code) if code and db is not None else None
    if d is None:
        print(f"không tìm thấy hồ sơ / no such dossier: {text}", file=sys.stderr)
        return 1
    with fu.outbox.transaction():
        path = fu.letter(d, fu.clock(), force=True)
    print(path)
    return 0


def serve(cfg: SiteConfig, fu: FollowUp) -> int:
    """Passes every ``interval_s``. systemd's watchdog is fed only after a completed pass (a failing
    step, logged, counts as run; a pass that hangs feeds nothing) and while the broker link was proven
    working less than ``DOWN_LIMIT_S`` ago (``Link.vouches``, SPEC 10.1): a follow-up stuck or cut off is restarted."""
    hall = Hall(Topics(cfg.mqtt.topic_root, cfg.site.id), fu.clock)
    hub = HubClient(cfg, "followup", subscriptions=hall.subscriptions(), on_message=hall.on_message)
    fu.turns.attach(hub, hall)       # LS and STT by SMS (SPEC 11.1), through the broker
    link = hub.link
    work: queue.SimpleQueue = queue.SimpleQueue()     # a new site document, taken between passes (SPEC 2.1)
    SiteSync(cfg, link, fu.take, schedule=work.put, restart=HELD)
    notifier, stop = Notifier(), {"now": False}
    on_stop(lambda: stop.update(now=True))
    hub.start(wait=None)
    notifier.ready("follow-up running")
    smsd = SmsdStatus(fu, link)
    try:
        while not stop["now"]:
            if link.fatal_event.is_set():
                log.error("%s", link.fatal)
                return EX_CONFIG
            fu.run_once(("smsd", smsd.check))
            for _ in range(int(cfg.followup.interval_s * 10)):
                if stop["now"]:
                    break
                while not work.empty():
                    work.get()()
                if link.vouches():        # proven working within DOWN_LIMIT_S
                    notifier.watchdog()
                time.sleep(0.1)
    finally:
        notifier.stopping()
        link.stop()
    return 0


class SmsdStatus:
    """``status/smsd``: gammu-smsd-monitor's answer (~10 ms), once a pass, published when it changes."""

    def __init__(self, fu: FollowUp, link: Link):
        self.fu, self.link, self.last = fu, link, None

    def check(self) -> None:
        alive = self.fu.transport.alive()
        if alive is None or alive == self.last:
            return
        self.last = alive
        self.link.publish(self.link.topics.status("smsd"), ONLINE if alive else OFFLINE, retain=True)
        log.log(logging.INFO if alive else logging.WARNING, "gammu-smsd: %s", "online" if alive else
                "không chạy / not running")


if __name__ == "__main__":
    sys.exit(main())
