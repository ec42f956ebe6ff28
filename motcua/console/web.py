"""The console's web server (SPEC section 12): aiohttp, Jinja2 templates, server-sent events.

Every handler says who may call it (``@role``); the middleware refuses the rest before the handler
runs: no session -> a redirect to ``/login``, another role -> 403, a form post without its
session's token (or from another origin) -> 403. Pages are rendered on the server with
autoescaping, so a service name or a dossier note full of markup is shown as text; the browser
gets no script but ours (a strict Content-Security-Policy), and every answer carries the security
headers, redirects and errors included (``app.on_response_prepare`` sees them all).
"""
from __future__ import annotations

import asyncio
import logging
import re
import secrets
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote, urlsplit

import jinja2
from aiohttp import web

from ..config import SiteConfig
from ..files import state_directory
from . import i18n
from .auth import Brake, Session, Sessions, check_password

log = logging.getLogger(__name__)
HERE = Path(__file__).parent
SESSION_COOKIE, PRE_COOKIE, LANG_COOKIE = "motcua_session", "motcua_pre", "motcua_lang"
HEADERS = {"Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; "
                                      "script-src 'self'; frame-ancestors 'none'; form-action 'self'",
           "X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "same-origin"}
HSTS = {"Strict-Transport-Security": "max-age=31536000"}       # under TLS only: plain http cannot promise it
BURST_S = 0.005          # what arrives within it is pushed together
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
SESSION, LANG_KEY = "session", "lang"          # keys on the request


def role(name: str) -> Callable[[Handler], Handler]:
    """``public`` (anyone), ``user`` (any logged-in user), ``clerk`` (a clerk or a supervisor; the
    handler checks the counter) or ``supervisor``. A handler without it is the supervisor's."""
    def mark(handler: Handler) -> Handler:
        handler.role = name          # type: ignore[attr-defined]
        return handler
    return mark


class Console:
    """What the handlers share: the config, sessions, the brake, templates and the live hall."""

    def __init__(self, cfg: SiteConfig, users: dict, secret: bytes, hall, hub, ledger, recent):
        self.cfg, self.users, self.hall, self.hub, self.ledger, self.recent = cfg, users, hall, hub, ledger, recent
        self.sessions = Sessions(secret, users, cfg.console.session_hours,
                                 ended_file=logouts_file(cfg.console.secret_file))
        self.brake = Brake()
        # scrypt's own small pool (16 MiB a hash): guesses never queue ahead of panel presses and reads
        self.hashing = ThreadPoolExecutor(max_workers=1, thread_name_prefix="console-scrypt")
        self.tls = cfg.console.tls is not None
        self.env = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"),
                                      autoescape=True, trim_blocks=True, lstrip_blocks=True)
        self.env.filters["dur"] = i18n.duration
        self.env.filters["part"] = i18n.part_name
        self.env.filters["author"] = i18n.author
        self.env.filters["when"] = i18n.when
        self.changed = asyncio.Event()
        self._waking: asyncio.TimerHandle | None = None
        self.fragments: dict[tuple, tuple[int, str]] = {}     # (page, lang) -> (hall version, html)

    def render(self, request: web.Request, template: str, status: int = 200, **context) -> web.Response:
        lang = request[LANG_KEY]
        session: Session | None = request.get(SESSION)
        html = self.env.get_template(template).render(
            t=lambda key, **v: i18n.t(key, lang, **v), lang=lang, cfg=self.cfg, user=session.user if session else None,
            csrf=self.sessions.csrf(session.nonce) if session else "", path=request.path_qs, **context)
        return web.Response(text=html, status=status, content_type="text/html", charset="utf-8")

    def notify(self) -> None:
        """Wake every open event stream (on the server's loop), once for a burst: the hub publishes
        a commit's call, counter and service states back to back, and one render shows them all."""
        if self._waking is None:
            self._waking = asyncio.get_running_loop().call_later(BURST_S, self._wake)

    def end_session(self, session: Session) -> None:
        """Log out: the cookie opens nothing more, and the session's open streams end at once."""
        self.sessions.end(session)
        self.notify()

    def _wake(self) -> None:
        self._waking = None
        self.changed.set()
        self.changed = asyncio.Event()


def logouts_file(secret_file: str, environ: dict | None = None) -> Path:
    """Where logouts are kept across restarts: systemd's ``StateDirectory`` (``$STATE_DIRECTORY``,
    the first if several) when set, since the secrets folder belongs to install.sh and is not the
    console's to write; else beside the session key (development, tests)."""
    state = state_directory(environ)
    return state / "console-logouts" if state else Path(secret_file).with_name("console-logouts")


def language(request: web.Request) -> str:
    """The page's language: the cookie set by ``/lang/…``, else ``?lang=``, else Vietnamese."""
    lang = request.cookies.get(LANG_COOKIE) or request.query.get("lang")
    return lang if lang in i18n.LANGS else "vi"


def same_origin(request: web.Request) -> bool:
    """A browser names the page a post comes from; a post from another site is a forgery."""
    origin = request.headers.get("Origin") or request.headers.get("Referer")
    if not origin or origin == "null":
        return origin is None
    return urlsplit(origin).netloc == request.host


@web.middleware
async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The middleware every request passes: login and role checks (``_guarded``), and a 500 page for an unexpected
    failure, logged, so one bad row never stops the console."""
    try:
        return await _guarded(request, handler)
    except web.HTTPException:
        raise
    except Exception:          # a file or row that cannot be read costs this answer only, and is said
        log.exception("lỗi khi trả lời / failed to answer %s %s", request.method, request.path)
        return request.app["console"].render(request, "error.html", status=500, message="failed")


async def _guarded(request: web.Request, handler: Handler) -> web.StreamResponse:
    console: Console = request.app["console"]
    request[LANG_KEY] = language(request)
    session = console.sessions.read(request.cookies.get(SESSION_COOKIE))
    if session is not None:
        request[SESSION] = session
    need = getattr(handler, "role", "supervisor")
    try:
        if need != "public":
            if session is None:
                if request.method == "GET" and not request.path.startswith("/events/"):
                    raise web.HTTPSeeOther(f"/login?next={quote(request.path_qs)}")
                raise web.HTTPUnauthorized(text="login required / cần đăng nhập")
            if need == "supervisor" and session.user.role != "supervisor":
                return console.render(request, "error.html", status=403, message="forbidden")
        if request.method == "POST" and need != "public" and not await _post_ok(request, console, session):
            return console.render(request, "error.html", status=403, message="forged")
        response = await handler(request)
    except web.HTTPNotFound:
        response = console.render(request, "error.html", status=404, message="not_found")
    except web.HTTPForbidden:
        response = console.render(request, "error.html", status=403, message="forbidden")
    return response


async def security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """On every answer before it leaves: pages, streams, files, redirects and errors."""
    for k, v in {**HEADERS, **(HSTS if request.app["console"].tls else {})}.items():
        response.headers.setdefault(k, v)


async def _post_ok(request: web.Request, console: Console, session: Session) -> bool:
    form = await request.post()
    return same_origin(request) and console.sessions.csrf_ok(session.nonce, form.get("csrf"))


def local_next(target: str | None) -> str:
    """Where to go after logging in or switching language: a path of this console only, else ``/``.

    Browsers drop tabs and line breaks from a URL and read ``\\`` as ``/``, so ``/\t/evil.example``
    or ``/\\evil.example`` would leave the site: those are removed first, then the path must be one
    ``/`` followed by neither ``/`` nor ``\\``; anything still holding a control character, a
    backslash or a non-ASCII character (browsers send paths percent-encoded) is refused."""
    path = re.sub(r"[\t\r\n]", "", target or "")
    if (not path.startswith("/") or path[1:2] in ("/", "\\") or "\\" in path or len(path) > 2000
            or not path.isascii() or not path.isprintable()):
        return "/"
    return path


@role("public")
async def login_form(request: web.Request) -> web.StreamResponse:
    """The login page, with a fresh anti-forgery cookie."""
    return _login_page(request, "")


def _login_page(request: web.Request, error: str, status: int = 200, **values) -> web.Response:
    console: Console = request.app["console"]
    pre = request.cookies.get(PRE_COOKIE) or secrets.token_urlsafe(16)
    response = console.render(request, "login.html", status=status, error=error, values=values, pre=pre,
                              next=local_next(request.query.get("next")))
    response.set_cookie(PRE_COOKIE, pre, httponly=True, samesite="Strict", secure=console.tls)
    return response


@role("public")
async def login(request: web.Request) -> web.StreamResponse:
    """Check a login form: same origin and anti-forgery token (403), a brake per name and per address against guessing
    (429), the password (401, the same time spent for an unknown name). A clerk goes straight to its counter."""
    console: Console = request.app["console"]
    form = await request.post()
    pre = request.cookies.get(PRE_COOKIE)
    if not same_origin(request) or not pre or form.get("csrf") != pre:
        return _login_page(request, "forged", status=403)
    name = str(form.get("username", ""))[:64].strip().lower()
    name_key, address_key = brake_keys(request, name)
    address = request.remote or "?"
    wait = console.brake.begin(name_key, address_key)
    if wait > 0:
        return _login_page(request, "slow_down", status=429, s=int(wait) + 1)
    user = console.users.get(name)
    password = str(form.get("password", ""))
    ok = await asyncio.get_running_loop().run_in_executor(console.hashing, check_password, password,
                                                          user.password_hash if user else _DUMMY)
    if user is None or not ok:
        log.warning("đăng nhập sai / failed login for %r from %s", name, address)
        return _login_page(request, "wrong_login", status=401)
    if user.disabled:                 # said only to whoever knows the password
        log.warning("đăng nhập tài khoản đã khóa / login to disabled account %r from %s", name, address)
        return _login_page(request, "account_disabled", status=403)
    console.brake.succeeded(name_key, address_key)
    target = local_next(str(form.get("next", "")))
    if target == "/" and user.role == "clerk" and not console.cfg.console.province:
        target = f"/counter/{user.counters[0]}"
    response = web.HTTPSeeOther(target)
    set_session(response, console, console.sessions.issue(user))
    log.info("đăng nhập / login: %s (%s) from %s", user.name, user.role, address)
    return response


def set_session(response: web.StreamResponse, console: Console, cookie: str) -> None:
    """The session cookie as every login gives it: script cannot read it, other sites' posts do not carry it."""
    response.set_cookie(SESSION_COOKIE, cookie, httponly=True, samesite="Lax", secure=console.tls,
                        max_age=console.cfg.console.session_hours * 3600)


def brake_keys(request: web.Request, name: str) -> tuple[str, str]:
    """What a password try is braked by: the name from this address, and this address for all names (SPEC 12.1)."""
    address = request.remote or "?"
    return f"name:{name}|{address}", f"addr:{address}"


_DUMMY = "scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="   # same cost


@role("user")
async def logout(request: web.Request) -> web.StreamResponse:
    """End the session for good (its cookie opens nothing more, even if kept, and its open streams stop) and go back to
    the login page."""
    console: Console = request.app["console"]
    console.end_session(request[SESSION])
    response = web.HTTPSeeOther("/login")
    response.del_cookie(SESSION_COOKIE, secure=console.tls, httponly=True, samesite="Lax")
    return response


@role("public")
async def switch_language(request: web.Request) -> web.StreamResponse:
    """Remember the chosen language for a year and go back to the page it was chosen on (only a path of this console);
    an unknown language changes nothing."""
    lang = request.match_info["lang"]
    response = web.HTTPSeeOther(local_next(request.query.get("next")))
    if lang in i18n.LANGS:
        response.set_cookie(LANG_COOKIE, lang, samesite="Lax", max_age=365 * 86400,
                            secure=request.app["console"].tls)
    return response


@role("public")
async def healthz(request: web.Request) -> web.StreamResponse:
    """What the console asks itself before feeding systemd's watchdog: an answer through the same
    server, middleware and loop as every page (SPEC 10.1)."""
    return web.Response(text="ok", headers={"Cache-Control": "no-store"})


@role("user")
async def home(request: web.Request) -> web.StreamResponse:
    """Where ``/`` leads: a supervisor to the hall or province page, a clerk to its first counter (403 at the province,
    which has no counters)."""
    user, province = request[SESSION].user, request.app["console"].cfg.console.province
    if user.role == "supervisor":
        raise web.HTTPSeeOther("/province" if province else "/hall")
    if province:                         # a province has no counters
        return request.app["console"].render(request, "error.html", status=403, message="forbidden")
    raise web.HTTPSeeOther(f"/counter/{user.counters[0]}")


def make_app(console: Console, routes: list[tuple[str, str, Handler]]) -> web.Application:
    """The console's aiohttp application: the routes every console has (login, language, health, static files) plus
    ``routes``, all behind ``guard`` and the security headers."""
    app = web.Application(middlewares=[guard], client_max_size=64 * 1024)
    app["console"] = console
    app.on_response_prepare.append(security_headers)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/login", login_form)
    app.router.add_post("/login", login)
    app.router.add_post("/logout", logout)
    app.router.add_get("/lang/{lang}", switch_language)
    app.router.add_get("/", home)
    for method, path, handler in routes:
        app.router.add_route(method, path, handler)
    app.router.add_get("/static/{name}", static)
    app.router.add_get("/favicon.ico", no_icon)
    return app


@role("public")
async def no_icon(request: web.Request) -> web.StreamResponse:
    """No favicon: 204 instead of a 404 in every log for each page a browser opens."""
    return web.Response(status=204)


STATIC = {p.name: p for p in (HERE / "static").iterdir()} if (HERE / "static").is_dir() else {}
TYPES = {".css": "text/css", ".js": "text/javascript", ".svg": "image/svg+xml", ".png": "image/png"}


@role("public")
async def static(request: web.Request) -> web.StreamResponse:
    """Only the files that ship in the package, by exact name: no path ever reaches the disk."""
    path = STATIC.get(request.match_info["name"])
    if path is None:
        raise web.HTTPNotFound()
    return web.Response(body=path.read_bytes(), content_type=TYPES.get(path.suffix, "application/octet-stream"),
                        headers={"Cache-Control": "max-age=3600"})
