"""The Accounts pages (SPEC 12.1): the supervisor adds clerks and supervisors, resets passwords,
disables and enables accounts; every logged-in user changes their own password.

Each change is written to the console's users file before it counts (``users_file.Book``) and
ends that user's open sessions and event streams at once. A new password the console makes is
shown once, on the answer to the post, never stored or logged in plain text; the answer is not
cached. The forgery token, the same-origin rule and the roles are the middleware's (``web.guard``).
"""
from __future__ import annotations

import asyncio
import logging
import re
import secrets
from dataclasses import replace

from aiohttp import web

from ..config.console import NAME_PATTERN, ROLES, User
from . import i18n
from .auth import MAX_PASSWORD, check_password, hash_password
from .users_file import AccountRefused, Book
from .web import LANG_KEY, SESSION, Console, brake_keys, role, set_session

log = logging.getLogger(__name__)
MIN_PASSWORD = 8
ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"      # no 0/o, 1/l/i: read aloud or copied by hand
NO_STORE = {"Cache-Control": "no-store"}


def made_password() -> str:
    """A password the console makes: three groups of four (about 59 bits), easy to copy from a screen."""
    return "-".join("".join(secrets.choice(ALPHABET) for _ in range(4)) for _ in range(3))


def _parts(request: web.Request) -> tuple[Console, Book]:
    return request.app["console"], request.app["accounts"]


def _text(form, key: str, limit: int = 64) -> str:
    return str(form.get(key, ""))[:limit]


def _password_check(password: str, field: str = "password") -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountRefused("err_short", field, n=MIN_PASSWORD)
    if len(password) > MAX_PASSWORD:
        raise AccountRefused("err_long", field, n=MAX_PASSWORD)


async def _hash(console: Console, password: str) -> str:
    return await asyncio.get_running_loop().run_in_executor(console.hashing, hash_password, password)


async def accounts_page(request: web.Request, status: int = 200, **shown) -> web.StreamResponse:
    """Every account with its role, counters and state, a form to add one, and the result of the change just made
    (``message``, ``made`` password, ``errors`` by field, the add form's ``values``)."""
    console, book = _parts(request)
    users = sorted(console.users.values(), key=lambda u: (u.role != "supervisor", u.name))
    response = console.render(request, "accounts.html", status=status, users=users, counters=console.cfg.counters,
                              roles=ROLES, file=str(book.path), from_file=book.in_use(),
                              me=request[SESSION].user.name, min_len=MIN_PASSWORD,
                              errors=shown.pop("errors", {}), values=shown.pop("values", {}), **shown)
    response.headers.update(NO_STORE)
    return response


async def _refused(request: web.Request, e: AccountRefused, **shown) -> web.StreamResponse:
    text = i18n.t(e.key, request[LANG_KEY], **e.values)
    return await accounts_page(request, status=400, errors={e.field or "row": text}, **shown)


async def _unwritten(request: web.Request, book: Book, e: OSError) -> web.StreamResponse:
    log.error("không ghi được tệp tài khoản / cannot write the users file %s: %s", book.path, e)
    text = i18n.t("err_write", request[LANG_KEY], path=str(book.path), why=e.strerror or str(e))
    return await accounts_page(request, status=500, errors={"row": text})


def _ended(console: Console, name: str) -> None:
    """The account changed: its sessions end, and its open streams wake to find out."""
    console.sessions.end_user(name)
    console.notify()


def _new_user(form, console: Console, password_hash: str) -> User:
    name = _text(form, "name").strip().lower()
    if not re.fullmatch(NAME_PATTERN, name):
        raise AccountRefused("err_name", "name")
    if name in console.users:
        raise AccountRefused("err_name_taken", "name")
    kind = _text(form, "role")
    if kind not in ROLES:
        raise AccountRefused("err_role", "role")
    counters = tuple(dict.fromkeys(str(c)[:16] for c in form.getall("counters", [])[:200]))
    unknown = [c for c in counters if c not in console.cfg.by_counter]
    if unknown:
        raise AccountRefused("err_unknown_counter", "counters", c=unknown[0])
    if kind == "clerk" and not counters:
        raise AccountRefused("err_counters", "counters")
    return User(name, kind, counters if kind == "clerk" else (), password_hash)


async def add(request: web.Request) -> web.StreamResponse:
    """A new clerk for the counters ticked (or a supervisor), with the typed password or one the console makes."""
    console, book = _parts(request)
    form = await request.post()
    values = {"name": _text(form, "name"), "role": _text(form, "role"), "counters": form.getall("counters", [])[:200]}
    typed = _text(form, "password", MAX_PASSWORD + 1)
    password = typed or made_password()
    try:
        _password_check(password)
        password_hash = await _hash(console, password)
        user = await book.put(_text(form, "name").strip().lower(), lambda old: _new_user(form, console, password_hash))
    except AccountRefused as e:
        return await _refused(request, e, values=values)
    except OSError as e:
        return await _unwritten(request, book, e)
    log.info("tài khoản mới / account added: %s (%s) by %s", user.name, user.role, request[SESSION].user.name)
    return await accounts_page(request, message=("acc_added", {"name": user.name}),
                               made=None if typed else (user.name, password))


def _existing(old: User | None) -> User:
    if old is None:
        raise AccountRefused("err_no_user")
    return old


async def reset(request: web.Request) -> web.StreamResponse:
    """A new password for an account, typed by the supervisor or made by the console (shown once); the account's
    sessions end. Resetting one's own keeps this browser logged in, as changing it does."""
    console, book = _parts(request)
    form = await request.post()
    name, typed = _text(form, "name"), _text(form, "password", MAX_PASSWORD + 1)
    password = typed or made_password()
    try:
        _password_check(password, f"reset:{name}")
        password_hash = await _hash(console, password)
        user = await book.put(name, lambda old: replace(_existing(old), password_hash=password_hash))
    except AccountRefused as e:
        return await _refused(request, e)
    except OSError as e:
        return await _unwritten(request, book, e)
    me = request[SESSION].user.name
    _ended(console, name)
    log.info("đặt lại mật khẩu / password reset: %s by %s", name, me)
    cookie = _stay(request, console, user) if name == me else None
    response = await accounts_page(request, message=("acc_reset", {"name": name}),
                                   made=None if typed else (name, password))
    if cookie:
        set_session(response, console, cookie)
    return response


def _stay(request: web.Request, console: Console, user: User) -> str:
    """This browser stays logged in after its own user's password changed: a session for the new password, which the
    page about to be drawn uses (its forms' tokens), and whose cookie the answer carries."""
    cookie = console.sessions.issue(user)
    request[SESSION] = console.sessions.read(cookie)
    return cookie


async def disable(request: web.Request) -> web.StreamResponse:
    """Disable an account: it stays in the list, its sessions and streams end, it logs in to nothing. Never one's own:
    so the last enabled supervisor is never disabled either."""
    return await _switch(request, True)


async def enable(request: web.Request) -> web.StreamResponse:
    """Enable an account again: its old sessions stay ended, its password is the one it had."""
    return await _switch(request, False)


async def _switch(request: web.Request, off: bool) -> web.StreamResponse:
    console, book = _parts(request)
    name, me = _text(await request.post(), "name"), request[SESSION].user.name

    def make(old: User | None) -> User:
        user = _existing(old)
        if name == me:           # so the supervisor acting, at least, stays enabled
            raise AccountRefused("err_self")
        return replace(user, disabled=off)
    try:
        await book.put(name, make)
    except AccountRefused as e:
        return await _refused(request, e)
    except OSError as e:
        return await _unwritten(request, book, e)
    _ended(console, name)
    log.info("%s: %s by %s", "khóa / disabled" if off else "mở khóa / enabled", name, me)
    return await accounts_page(request, message=("acc_disabled" if off else "acc_enabled", {"name": name}))


@role("user")
async def password_form(request: web.Request, status: int = 200, error: tuple[str, str] | None = None,
                        done: bool = False) -> web.StreamResponse:
    """The logged-in user's own password: the current one, the new one twice; ``error`` is (field, text)."""
    console: Console = request.app["console"]
    response = console.render(request, "account_password.html", status=status, error=error, done=done,
                              min_len=MIN_PASSWORD)
    response.headers.update(NO_STORE)
    return response


@role("user")
async def change_password(request: web.Request) -> web.StreamResponse:
    """Change one's own password: the current one checked through the login's brake (429 while braked), the new one
    twice and long enough. The user's other sessions end; this browser gets a new cookie."""
    console, book = _parts(request)
    form, me = await request.post(), request[SESSION].user
    old, new = _text(form, "old_password", MAX_PASSWORD + 1), _text(form, "new_password", MAX_PASSWORD + 1)
    lang = request[LANG_KEY]
    keys = brake_keys(request, me.name)
    wait = console.brake.begin(*keys)
    if wait > 0:
        return await password_form(request, 429, ("old_password", i18n.t("slow_down", lang, s=int(wait) + 1)))
    if not await asyncio.get_running_loop().run_in_executor(console.hashing, check_password, old,
                                                            console.users[me.name].password_hash):
        return await password_form(request, 400, ("old_password", i18n.t("err_old", lang)))
    console.brake.succeeded(*keys)
    try:
        _password_check(new, "new_password")
        if new != _text(form, "new_password2", MAX_PASSWORD + 1):
            raise AccountRefused("err_mismatch", "new_password2")
        password_hash = await _hash(console, new)
        user = await book.put(me.name, lambda u: replace(_existing(u), password_hash=password_hash))
    except AccountRefused as e:
        return await password_form(request, 400, (e.field, i18n.t(e.key, lang, **e.values)))
    except OSError as e:
        log.error("không ghi được tệp tài khoản / cannot write the users file %s: %s", book.path, e)
        return await password_form(request, 500, ("new_password", i18n.t(
            "err_write", lang, path=str(book.path), why=e.strerror or str(e))))
    _ended(console, me.name)
    log.info("đổi mật khẩu / password changed: %s", me.name)
    cookie = _stay(request, console, user)
    response = await password_form(request, done=True)
    set_session(response, console, cookie)
    return response


ROUTES = [
    ("GET", "/accounts", accounts_page), ("POST", "/accounts/add", add), ("POST", "/accounts/reset", reset),
    ("POST", "/accounts/disable", disable), ("POST", "/accounts/enable", enable),
    ("GET", "/account/password", password_form), ("POST", "/account/password", change_password),
]
