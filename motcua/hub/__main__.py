"""python -m motcua.hub --config FILE [--check-config | --import-dossiers PATH | --replicate | --restore [--force] |
--standby --from PATH | --take-over --from PATH]"""
from __future__ import annotations

import logging
import sys

from ..acl import acl
from ..config import SiteConfig
from ..exits import EX_CONFIG, EX_USAGE_CONFIG
from ..mosquitto_bridge import bridge_section
from ..service_day import system_clock
from ..startup import begin, on_stop, parser
from . import dossiers, replica, standby
from .dossier_import import import_file
from .dossier_pull import DossierPuller
from .ledger import Ledger
from .lookup import LookupDesk
from .server import HubServer
from .site_file import SiteFile

log = logging.getLogger(__package__)


def main(argv: list[str] | None = None) -> int:
    """``python -m motcua.hub``: serve the queue over MQTT until stopped, or one of the tools (print the ACL, the bridge
    section or a Litestream config, import dossiers, replicate, restore) and exit with its code; 2 for a wrong site
    file."""
    p = parser("python -m motcua.hub", "motcua hub: the queue ledger and dossier store, over MQTT", with_id=False)
    p.add_argument("--import-dossiers", metavar="PATH",
                   help="import dossiers from a CSV or JSON export (columns: code, procedure, agency, received_at, "
                        "due_at, finished_at, status, applicant, phone, note); all or nothing; exit 0 or 2")
    p.add_argument("--mosquitto-acl", action="store_true",
                   help="print the broker's ACL for this site (one user per process) and exit")
    p.add_argument("--mosquitto-bridge", action="store_true",
                   help="print the section that bridges this hall's mosquitto to the province's broker and exit")
    p.add_argument("--litestream-config", metavar="N", type=int, nargs="?", const=0,
                   help="print the Litestream config that copies the hub's databases to hub.replicas[N] (default 0) "
                        "and exit")
    p.add_argument("--replicate", action="store_true",
                   help="copy the hub's databases to every one of hub.replicas with Litestream, and say on "
                        "status/replica how the copies are (motcua-replica.service)")
    p.add_argument("--restore", action="store_true",
                   help="with the hub stopped: restore the ledger, the dossier store and the follow-up's outbox from "
                        "the newest copy; exit 0 restored, 1 no copy, 2 config, 4 a database exists, 5 failed")
    p.add_argument("--force", action="store_true", help="with --restore: replace databases that exist")
    p.add_argument("--standby", action="store_true",
                   help="on another board: keep the hub's databases restored from the copy in --from, and say how "
                        "it is on status/standby (motcua-standby.service)")
    p.add_argument("--take-over", action="store_true",
                   help="make this board the hub (keepalived's notify script, this board MASTER): the newest copy in "
                        "--from restored when newer than the local databases, the hub then hears the hall before it "
                        "answers; exit 0 to start the hub, 1 no ledger nor copy")
    p.add_argument("--from", dest="source", metavar="PATH",
                   help="with --standby and --take-over: the folder the hub's Litestream copies into on this board")
    args, cfg, _ = begin(p, argv, from_hub=False)   # the hub is the site file's writer (SPEC 2.1)
    if isinstance(cfg, int):
        return cfg
    if args.mosquitto_acl:
        print(acl(cfg))
        return 0
    if args.mosquitto_bridge:
        try:
            print(bridge_section(cfg))
        except ValueError as e:
            print(f"{cfg.path}: {e}", file=sys.stderr)
            return EX_USAGE_CONFIG
        return 0
    if args.import_dossiers:
        return import_dossiers(cfg, args.import_dossiers)
    if args.litestream_config is not None:
        return litestream_config(cfg, args.litestream_config)
    if args.restore:
        return replica.restore(cfg, args.force)
    if (args.standby or args.take_over) and not args.source:
        print("--standby và --take-over cần --from PATH / --standby and --take-over need --from PATH", file=sys.stderr)
        return EX_USAGE_CONFIG
    if args.take_over:
        return standby.take_over(cfg, args.source)
    if args.standby:
        halt = {"now": False}
        on_stop(lambda: halt.update(now=True))
        return standby.standby(cfg, args.source, lambda: halt["now"])
    if args.replicate:
        stop = {"now": False}
        on_stop(lambda: stop.update(now=True))
        return replica.replicate(cfg, lambda: stop["now"])
    return serve(cfg)


def litestream_config(cfg: SiteConfig, index: int) -> int:
    """``--litestream-config N``: print the Litestream config that copies the hub's databases to ``hub.replicas[N]``; 2
    when there is no such replica."""
    if not 0 <= index < len(cfg.hub.replicas):
        print(f"{cfg.path}: hub.replicas: no replica {index} ({len(cfg.hub.replicas)} configured)", file=sys.stderr)
        return EX_USAGE_CONFIG
    print(replica.litestream_config(cfg, index), end="")
    return 0


def import_dossiers(cfg: SiteConfig, path: str) -> int:
    """``--import-dossiers PATH``: all rows or none; every problem printed with its line, then exit 2 with nothing
    written."""
    report = import_file(path, dossiers.store_path(cfg), cfg.site.tz, system_clock())
    if report.problems:
        for line in report.problems:
            print(line, file=sys.stderr)
        print(f"không nhập gì: {len(report.problems)} lỗi / nothing imported: {len(report.problems)} problem(s)",
              file=sys.stderr)
        return EX_USAGE_CONFIG
    print(f"đã nhập {report.count} hồ sơ / imported {report.count} dossiers")
    return 0


def site_file(cfg: SiteConfig) -> SiteFile | None:
    """The site file the hub keeps and publishes (SPEC 2.1), or None when it cannot be written: the hub then
    serves as before, on the file it read at start."""
    try:
        return SiteFile(cfg.path)
    except (OSError, ValueError) as e:
        log.warning("không giữ được tệp cấu hình, không nhận thay đổi qua MQTT / cannot keep the site file, no "
                    "changes over MQTT: %s", e)
        return None


def serve(cfg: SiteConfig) -> int:
    """Run the hub: the ledger, dossier lookups and, when configured, the dossier pull beside it, until stopped; 78
    (``EX_CONFIG``, no restart loop) when the broker credentials cannot be read or are refused."""
    ledger = Ledger(cfg)
    desk = LookupDesk(cfg, dossiers.connect(dossiers.store_path(cfg)))
    try:
        server = HubServer(cfg, ledger, lookup=desk, site_file=site_file(cfg))
    except OSError as e:   # e.g. the broker password file cannot be read
        log.error("không đọc được thông tin đăng nhập / cannot read broker credentials: %s", e)
        return EX_CONFIG
    puller = DossierPuller(cfg, dossiers.store_path(cfg)) if cfg.hub.dossier_pull else None
    if puller:
        puller.start()
    on_stop(lambda: setattr(server, "stopping", True))
    try:
        return server.run()
    finally:
        if puller:
            puller.stop()
        ledger.close()


if __name__ == "__main__":
    sys.exit(main())
