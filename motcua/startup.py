"""What every motcua process does at start: its options, logging, config, signals."""
from __future__ import annotations

import argparse
import logging
import signal
import sys
from collections.abc import Callable

from .config import ConfigError, SiteConfig, check_config_main, load
from .exits import EX_USAGE_CONFIG
from .site_sync import check_config, load_local


def parser(prog: str, description: str, with_id: bool) -> argparse.ArgumentParser:
    """The command line every motcua program shares: ``--config``, ``--id`` for those that run one entry of the site
    file, ``--check-config`` and ``--log-level``."""
    p = argparse.ArgumentParser(prog=prog, description=description)
    p.add_argument("--config", required=True, help="the site YAML file (e.g. /etc/motcua/motcua.yaml)")
    if with_id:
        p.add_argument("--id", required=True, help="this process's entry in the site file")
    p.add_argument("--check-config", action="store_true",
                   help="validate the site file, print every problem, exit 0 (ok) or 2 (problems)")
    p.add_argument("--log-level", default="INFO", choices=("DEBUG", "INFO", "WARNING", "ERROR"))
    return p


def setup_logging(level: str) -> None:
    """Log lines to standard error, which systemd's journal keeps with their time."""
    logging.basicConfig(level=level, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def load_or_exit(args, section: str | None = None, from_hub: bool = True) -> SiteConfig | int:
    """The config, or the exit code after printing the problems (so callers ``return`` it). ``from_hub``: start on
    the hub's latest document when one was kept beside the file (SPEC 2.1); the hub itself reads its own file."""
    ident = getattr(args, "id", None)
    if args.check_config:
        return check_config(args.config, section, ident) if from_hub else check_config_main(args.config, section, ident)
    try:
        return load_local(args.config, section, ident) if from_hub else load(args.config, section, ident)
    except ConfigError as e:
        for line in e.lines():
            print(line, file=sys.stderr)
        return EX_USAGE_CONFIG


def begin(p: argparse.ArgumentParser, argv: list[str] | None, section: str | None = None, from_hub: bool = True):
    """Parse, set up logging, load the site file: (args, config, this process's entry), or
    (args, exit code, None) when it is only a --check-config or the file is wrong."""
    args = p.parse_args(argv)
    setup_logging(args.log_level)
    cfg = load_or_exit(args, section, from_hub)
    if isinstance(cfg, int) or section is None:
        return args, cfg, None
    return args, cfg, cfg.entry(section, args.id)


def on_stop(stop: Callable[[], None]) -> None:
    """SIGTERM and SIGINT end the main loop cleanly (status offline, broker disconnected)."""
    def handler(signum, frame):
        stop()
    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
