"""python -m motcua.console --config FILE [--check-config | --hash-password]

systemd's watchdog is fed only by proof of health (SPEC 10.1): every few seconds the console asks
its own ``/healthz`` over its own listening socket, through the same server and middleware as
every page, and feeds the watchdog only when the answer came back and its broker link vouches for
it (proven up within ``DOWN_LIMIT_S``: ``Link.vouches()``).
"""
from __future__ import annotations

import asyncio
import logging
import os
import pwd
import secrets
import ssl
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import aiohttp
from aiohttp import web

from .. import memory
from ..config import SiteConfig, load
from ..config.console import User
from ..exits import EX_CONFIG, EX_USAGE_CONFIG
from ..hubclient import HubClient
from ..link import DOWN_LIMIT_S, Link
from ..sdnotify import Notifier
from ..site_sync import SiteSync
from ..startup import begin, on_stop, parser
from . import users_file
from .accounts import ROUTES as ACCOUNT_ROUTES
from .auth import MAX_PASSWORD, hash_password
from .counter_panel import ROUTES as PANEL_ROUTES
from .data import LedgerReader, Recent
from .hall import Hall
from .pages import ROUTES
from .phone import ROUTES as PHONE_ROUTES
from .phone import PhoneDesk
from .previews import ROUTES as PREVIEW_ROUTES
from .province_view import ROUTES as PROVINCE_ROUTES
from .province_view import Province, broker_config
from .settings import ROUTES as SETTINGS_ROUTES
from .settings import SiteDocs
from .web import Console, make_app

log = logging.getLogger(__package__)
MIN_SECRET = 32
PROBE_S = 5.0            # how often the console asks itself, at most
RESOURCE_LOG_S = 60.0    # "cannot accept connections" said at most once in this many seconds


class SecretUnavailable(Exception):
    """The session key can be neither read nor made: said once, exit 78 (systemd does not loop)."""


def main(argv: list[str] | None = None) -> int:
    """``python -m motcua.console``: check the site and users files, then serve until stopped. Exit 2 for a problem in
    the site or users file, 78 when the secret file cannot be read (``EX_CONFIG``: systemd does not restart in a
    loop), 1 when the port cannot be opened."""
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
        users = users_file.read(cfg)
        secret = load_secret(cfg.console.secret_file)
    except ValueError as e:
        print(str(e), file=sys.stderr)
        return EX_USAGE_CONFIG
    except SecretUnavailable as e:
        print(str(e), file=sys.stderr)
        return EX_CONFIG
    if not users:
        log.warning("chưa có người dùng nào / no users: nobody can log in (make hashes with --hash-password)")
    return serve(cfg, users, secret)


def users_file_check(path: str) -> int:
    """``--check-config`` looks at the console's users file too (``console.users_file``, or the one the Accounts page
    wrote): it is the console's part of the site."""
    cfg = load(path)
    if cfg.console is None or not users_file.in_use(cfg):
        return 0
    try:
        n = len(users_file.read(cfg))
    except ValueError as e:
        print(str(e), file=sys.stderr)
        return EX_USAGE_CONFIG
    print(f"{users_file.path_of(cfg)}: {n} người dùng / users OK")
    return 0


def print_hash() -> int:
    """``--hash-password``: the scrypt hash of the password on one line of standard input, for the users file, so a
    password is never typed on a command line; 2 for an empty or too long one."""
    password = sys.stdin.readline().rstrip("\r\n")
    if not password or len(password) > MAX_PASSWORD:
        print(f"mật khẩu rỗng hoặc quá dài / empty or longer than {MAX_PASSWORD}", file=sys.stderr)
        return EX_USAGE_CONFIG
    print(hash_password(password))
    return 0


def load_secret(path: str) -> bytes:
    """The key that signs session cookies. install.sh makes it for the console's own user; when it
    is missing and its folder is writable (development, tests) the console makes it, readable by
    its owner only. Neither readable nor makeable: ``SecretUnavailable`` says why."""
    p = Path(path)
    try:
        if not p.exists():
            _make_secret(p)
        secret = p.read_bytes().strip()
    except OSError as e:
        raise SecretUnavailable(
            f"{path}: không đọc hoặc tạo được khóa phiên với người dùng {_me()} / cannot read or make the "
            f"session key as user {_me()}: {e.strerror or e}. Chạy lại install.sh, hoặc cho người dùng này "
            f"quyền đọc tệp / run install.sh again, or let this user read the file") from None
    if len(secret) < MIN_SECRET:
        raise ValueError(f"{path}: the console's secret must be at least {MIN_SECRET} characters")
    return secret


def _make_secret(p: Path) -> None:
    p.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:          # made meanwhile by another start: read that one
        return
    with os.fdopen(fd, "w") as f:
        f.write(secrets.token_urlsafe(48))
    log.info("đã tạo khóa phiên / made the session key %s", p)


def _me() -> str:
    try:
        return pwd.getpwuid(os.geteuid()).pw_name
    except KeyError:
        return str(os.geteuid())


def tls_context(cfg: SiteConfig) -> ssl.SSLContext | None:
    """The server's TLS context from ``console.tls``; None to serve plain HTTP (behind a reverse proxy)."""
    tls = cfg.console.tls
    if tls is None:
        return None
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(tls.cert_file, tls.key_file)
    return ctx


def serve(cfg: SiteConfig, users: dict[str, User], secret: bytes) -> int:
    """Run the console until stopped, with the memory settings of a long-running service; 1 when the listening address
    cannot be opened."""
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
        app = make_app(console, ROUTES + PANEL_ROUTES + PHONE_ROUTES + ACCOUNT_ROUTES + SETTINGS_ROUTES
                       + PREVIEW_ROUTES)
        app["phone"] = PhoneDesk(console)
        sync = SiteSync(cfg, link, lambda new: take(new, console, view), schedule=loop.call_soon_threadsafe)
        app["settings"] = SiteDocs(hub, lambda: sync.version)
        app["accounts"] = users_file.Book(console)
    view.on_change = lambda: loop.call_soon_threadsafe(console.notify)
    return app, link


def take(new: SiteConfig, console: Console, view: Hall) -> list[str]:
    """A new site document, live (SPEC 2.1), on the server's loop: the services' and counters' names, the figures'
    labels, the centre. The address, the secret and the databases were opened with the old one (kept until the next
    start by ``SiteSync``)."""
    console.cfg = view.cfg = new
    return []


def quiet_accept_errors(loop: asyncio.AbstractEventLoop) -> None:
    """While the console has no file descriptor left, Python 3.11's asyncio reports "socket.accept() out of system
    resource", with its traceback, up to a backlog's worth of times a second (CPython gh-151615): said here once a
    minute instead, so it cannot fill the journal; the watchdog, starved by the failing own-page probe, restarts it."""
    said = {"at": -RESOURCE_LOG_S}

    def handler(loop: asyncio.AbstractEventLoop, context: dict) -> None:
        if context.get("message") != "socket.accept() out of system resource":
            loop.default_exception_handler(context)
        elif time.monotonic() - said["at"] >= RESOURCE_LOG_S:
            said["at"] = time.monotonic()
            log.error("không nhận thêm được kết nối / cannot accept connections: %s", context.get("exception"))
    loop.set_exception_handler(handler)


async def _serve(cfg: SiteConfig, users: dict[str, User], secret: bytes) -> int:
    loop = asyncio.get_running_loop()
    quiet_accept_errors(loop)
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
    watch = Watch(notifier, link, own_url(cfg))
    code, ticks, tick_s = 0, 0, min(1.0, watch.every or 1.0)
    try:
        while not stop.is_set():
            ticks += 1
            if ticks % 10 == 0:
                memory.trim()
            if link.fatal_event.is_set():
                log.error("%s", link.fatal)
                code = EX_CONFIG
                break
            await watch.tick()
            try:
                await asyncio.wait_for(stop.wait(), tick_s)
            except TimeoutError:
                pass
    finally:
        notifier.stopping()
        app["console"].hashing.shutdown(wait=False, cancel_futures=True)
        await asyncio.to_thread(link.stop)
        await runner.cleanup()
    return code


def own_url(cfg: SiteConfig) -> str:
    """The console's own ``/healthz`` on the address it listens on (loopback for a wildcard)."""
    host, port = cfg.console.host_port
    host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
    return f"{'https' if cfg.console.tls else 'http'}://{f'[{host}]' if ':' in host else host}:{port}/healthz"


class Watch:
    """Feeds systemd's watchdog only on proof of health; says in STATUS when and why it stops."""

    def __init__(self, notifier: Notifier, link: Link, url: str):
        self.notifier, self.link, self.url = notifier, link, url
        interval = notifier.watchdog_interval
        self.every = None if interval is None else min(PROBE_S, interval)
        self.next_at, self.trouble = 0.0, ""

    async def tick(self) -> None:
        if self.every is None or time.monotonic() < self.next_at:
            return
        self.next_at = time.monotonic() + self.every
        trouble = await self.trouble_now()
        if trouble != self.trouble:
            self.notifier.send(f"STATUS={trouble or 'console running'}")
            if trouble:
                log.warning("%s: không báo sống cho systemd / not feeding the watchdog", trouble)
            self.trouble = trouble
        if not trouble:          # each proof feeds once: probes already come at half the watchdog's period
            self.notifier.send("WATCHDOG=1")

    async def trouble_now(self) -> str:
        """Empty when healthy, else why not, in both languages."""
        if not self.link.vouches():
            return f"mất kết nối MQTT quá {DOWN_LIMIT_S:g} giây / broker link down over {DOWN_LIMIT_S:g} s"
        if not await answers(self.url):
            return "không trả lời được trang của chính mình / does not answer its own page"
        return ""


async def answers(url: str) -> bool:
    """One GET through a new connection to the console's own listening socket."""
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as s, \
                s.get(url, ssl=False, allow_redirects=False) as r:
            return r.status == 200
    except (aiohttp.ClientError, OSError, TimeoutError):
        return False


if __name__ == "__main__":
    sys.exit(main())
