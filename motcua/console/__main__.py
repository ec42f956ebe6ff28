"""python -m motcua.console --config FILE [--check-config | --hash-password]"""
from __future__ import annotations

import asyncio
import logging
import os
import secrets
import ssl
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from aiohttp import web

from .. import memory
from ..config import EX_CONFIG, EX_USAGE_CONFIG, SiteConfig, load
from ..config_console import USERS, User
from ..config_console import cross_check as users_checks
from ..hubclient import HubClient
from ..link import Link
from ..schema import Ctx, line_of, load_yaml_with_lines
from ..sdnotify import Notifier
from ..startup import begin, on_stop, parser
from .auth import MAX_PASSWORD, hash_password
from .counter_panel import ROUTES as PANEL_ROUTES
from .data import LedgerReader, Recent
from .hall import Hall
from .pages import ROUTES
from .phone import ROUTES as PHONE_ROUTES
from .phone import PhoneDesk
from .province import ROUTES as PROVINCE_ROUTES
from .province import Province, broker_config
from .web import Console, make_app

log = logging.getLogger("motcua.console")
MIN_SECRET = 32


def main(argv: list[str] | None = None) -> int:
    p = parser("python -m motcua.console", "motcua web console: the live hall, figures, reports, follow-up, "
               "counter panels and the citizens' phone page", with_id=False)
    p.add_argument("--hash-password", action="store_true",
                   help="read a password on standard input, print its hash for the users list, exit")
    args, cfg, _ = begin(p, argv)
    if isinstance(cfg, int):
        return users_file_check(args.config) if args.check_config and cfg == 0 else cfg
    if args.hash_password:
        return print_hash()
    if cfg.console is None:
        print(f"{cfg.path}: console: the section is missing (SPEC section 12)", file=sys.stderr)
        return EX_USAGE_CONFIG
    try:
        users = load_users(cfg)
        secret = load_secret(cfg.console.secret_file)
    except ValueError as e:
        print(str(e), file=sys.stderr)
        return EX_USAGE_CONFIG
    if not users:
        log.warning("chưa có người dùng nào / no users: nobody can log in (make hashes with --hash-password)")
    return serve(cfg, users, secret)


def users_file_check(path: str) -> int:
    """``--check-config`` looks at ``console.users_file`` too: it is the console's part of the site."""
    cfg = load(path)
    if cfg.console is None or not cfg.console.users_file:
        return 0
    try:
        n = len(load_users(cfg))
    except ValueError as e:
        print(str(e), file=sys.stderr)
        return EX_USAGE_CONFIG
    print(f"{cfg.console.users_file}: {n} người dùng / users OK")
    return 0


def print_hash() -> int:
    password = sys.stdin.readline().rstrip("\r\n")
    if not password or len(password) > MAX_PASSWORD:
        print(f"mật khẩu rỗng hoặc quá dài / empty or longer than {MAX_PASSWORD}", file=sys.stderr)
        return EX_USAGE_CONFIG
    print(hash_password(password))
    return 0


def load_users(cfg: SiteConfig) -> dict[str, User]:
    """The site file's users and those of ``console.users_file``, checked the same way."""
    users = list(cfg.users)
    path = cfg.console.users_file
    if path:
        try:
            data, lines = load_yaml_with_lines(Path(path).read_text(encoding="utf-8"))
        except Exception as e:          # unreadable, or not YAML: said with the file's name
            raise ValueError(f"{path}:1: cannot read the users file: {e}") from None
        ctx = Ctx()
        root = ("users",) if isinstance(data, dict) else ()      # `users: [...]`, or the list alone
        listed = USERS.validate(data.get("users") if root else data, root, ctx) or []
        users_checks(users + listed, set(cfg.by_counter), ctx, where=root)
        if ctx.problems:
            raise ValueError("\n".join(f"{path}:{line_of(p.path, lines)}: {p.dotted}: {p.message}"
                                       for p in ctx.problems))
        users += listed
    return {u.name: u for u in users}


def load_secret(path: str) -> bytes:
    """The key that signs session cookies; made (readable by its owner only) the first time."""
    p = Path(path)
    if not p.exists():
        p.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(48))
        log.info("đã tạo khóa phiên / made the session key %s", p)
    secret = p.read_bytes().strip()
    if len(secret) < MIN_SECRET:
        raise ValueError(f"{path}: the console's secret must be at least {MIN_SECRET} characters")
    return secret


def tls_context(cfg: SiteConfig) -> ssl.SSLContext | None:
    tls = cfg.console.tls
    if tls is None:
        return None
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(tls.cert_file, tls.key_file)
    return ctx


def serve(cfg: SiteConfig, users: dict[str, User], secret: bytes) -> int:
    memory.settle()
    try:
        return asyncio.run(_serve(cfg, users, secret))
    except OSError as e:
        log.error("không mở được cổng / cannot listen on %s: %s", cfg.console.listen, e)
        return 1


def _build(cfg: SiteConfig, users: dict[str, User], secret: bytes, loop) -> tuple[web.Application, Link]:
    """The hall's console (a client of its hub), or with ``console.province`` the province's view,
    which only reads the province's broker."""
    if cfg.console.province is not None:
        view = Province(cfg)
        link = Link(broker_config(cfg), "console", subscriptions=view.subscriptions, announce=False,
                    on_message=lambda m: view.message(m.topic, m.payload, bool(m.retain)),
                    on_connect=lambda: view.connected(True), on_disconnect=lambda: view.connected(False))
        console = Console(cfg, users, secret, view, None, None, None)
        app = make_app(console, PROVINCE_ROUTES)
    else:
        view = Hall(cfg)
        hub = HubClient(cfg, "console", subscriptions=view.subscriptions,
                        on_message=lambda m: view.message(m.topic, m.payload, bool(m.retain)),
                        on_connect=lambda: view.connected(True), on_disconnect=lambda: view.connected(False))
        link = hub.link
        console = Console(cfg, users, secret, view, hub, LedgerReader(cfg), Recent(cfg))
        app = make_app(console, ROUTES + PANEL_ROUTES + PHONE_ROUTES)
        app["phone"] = PhoneDesk(console)
    view.on_change = lambda: loop.call_soon_threadsafe(console.notify)
    return app, link


async def _serve(cfg: SiteConfig, users: dict[str, User], secret: bytes) -> int:
    loop = asyncio.get_running_loop()
    loop.set_default_executor(ThreadPoolExecutor(max_workers=3, thread_name_prefix="console-db"))  # 2 cores
    app, link = _build(cfg, users, secret, loop)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    host, port = cfg.console.host_port
    await web.TCPSite(runner, host, port, ssl_context=tls_context(cfg)).start()
    link.start()
    log.info("bảng điều khiển / console on %s://%s:%d", "https" if cfg.console.tls else "http", host, port)
    notifier, stop = Notifier(), asyncio.Event()
    on_stop(lambda: loop.call_soon_threadsafe(stop.set))
    notifier.ready("console running")
    code, ticks = 0, 0
    try:
        while not stop.is_set():
            ticks += 1
            if ticks % 10 == 0:
                memory.trim()
            if link.fatal_event.is_set():
                log.error("%s", link.fatal)
                code = EX_CONFIG
                break
            if link.alive():
                notifier.watchdog()
            try:
                await asyncio.wait_for(stop.wait(), 1.0)
            except TimeoutError:
                pass
    finally:
        notifier.stopping()
        await asyncio.to_thread(link.stop)
        await runner.cleanup()
    return code


if __name__ == "__main__":
    sys.exit(main())
