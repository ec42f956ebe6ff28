"""python -m kiosk.hub --config FILE [--check-config]"""
from __future__ import annotations

import logging
import sys

from ..cli import load_or_exit, on_stop, parser, setup_logging
from ..config import EX_CONFIG
from .ledger import Ledger
from .server import HubServer

log = logging.getLogger("motcua.hub")


def main(argv: list[str] | None = None) -> int:
    p = parser("python -m kiosk.hub", "motcua hub: the queue ledger and dossier store, over MQTT", with_id=False)
    args = p.parse_args(argv)
    setup_logging(args.log_level)
    cfg = load_or_exit(args)
    if isinstance(cfg, int):
        return cfg
    ledger = Ledger(cfg)
    try:
        server = HubServer(cfg, ledger)
    except OSError as e:   # e.g. the broker password file cannot be read
        log.error("không đọc được thông tin đăng nhập / cannot read broker credentials: %s", e)
        return EX_CONFIG
    on_stop(lambda: setattr(server, "stopping", True))
    try:
        return server.run()
    finally:
        ledger.close()


if __name__ == "__main__":
    sys.exit(main())
