"""python -m motcua.hub --config FILE [--check-config | --import-dossiers PATH]"""
from __future__ import annotations

import logging
import sys

from ..acl import acl
from ..config import SiteConfig
from ..exits import EX_CONFIG, EX_USAGE_CONFIG
from ..province import bridge_section
from ..startup import begin, on_stop, parser
from . import dossiers
from .calendar import system_clock
from .dossier_import import import_file
from .dossier_pull import DossierPuller
from .ledger import Ledger
from .lookup import LookupDesk
from .server import HubServer

log = logging.getLogger("motcua.hub")


def main(argv: list[str] | None = None) -> int:
    p = parser("python -m motcua.hub", "motcua hub: the queue ledger and dossier store, over MQTT", with_id=False)
    p.add_argument("--import-dossiers", metavar="PATH",
                   help="import dossiers from a CSV or JSON export (columns: code, procedure, agency, received_at, "
                        "due_at, finished_at, status, applicant, phone, note); all or nothing; exit 0 or 2")
    p.add_argument("--mosquitto-acl", action="store_true",
                   help="print the broker's ACL for this site (one user per process) and exit")
    p.add_argument("--mosquitto-bridge", action="store_true",
                   help="print the section that bridges this hall's mosquitto to the province's broker and exit")
    args, cfg, _ = begin(p, argv)
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
    return serve(cfg)


def import_dossiers(cfg: SiteConfig, path: str) -> int:
    report = import_file(path, dossiers.store_path(cfg), cfg.site.tz, system_clock())
    if report.problems:
        for line in report.problems:
            print(line, file=sys.stderr)
        print(f"không nhập gì: {len(report.problems)} lỗi / nothing imported: {len(report.problems)} problem(s)",
              file=sys.stderr)
        return EX_USAGE_CONFIG
    print(f"đã nhập {report.count} hồ sơ / imported {report.count} dossiers")
    return 0


def serve(cfg: SiteConfig) -> int:
    ledger = Ledger(cfg)
    desk = LookupDesk(cfg, dossiers.connect(dossiers.store_path(cfg)))
    try:
        server = HubServer(cfg, ledger, lookup=desk)
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
