"""Who may do what in the console (SPEC section 12): password hashes, signed session cookies,
forgery tokens and the brake on password guessing.

Everything here is the standard library: ``hashlib.scrypt`` is a memory-hard password hash made
for this, and an HMAC-signed cookie needs no server-side session table, so a restarted console
keeps everyone logged in. A session names a fingerprint of the user's hash: changing a password
(or removing the user) ends their sessions everywhere.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..config import User

log = logging.getLogger(__name__)
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2 ** 14, 8, 1     # 16 MiB, ~50 ms on a Raspberry Pi 4
MAX_PASSWORD = 1024
CUT = "~"                # an ``ended`` key ending all of a user's sessions begun before it (no nonce holds it)


def hash_password(password: str) -> str:
    """Hash a console password for the users file: ``scrypt$N$r$p$salt$digest`` with a fresh salt, so the cost can be
    raised later without making old hashes unreadable."""
    salt = secrets.token_bytes(16)
    digest = _scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def check_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches a stored hash, in constant time; a malformed stored hash is simply False. Costly on
    purpose (scrypt): the console runs it off the event loop."""
    try:
        _, n, r, p, salt, digest = stored.split("$")
        expected = base64.b64decode(digest)
        got = _scrypt(password[:MAX_PASSWORD], base64.b64decode(salt), int(n), int(r), int(p))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, expected)


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, maxmem=64 * 1024 * 1024, dklen=32)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _fingerprint(user: User) -> str:
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Session:
    """A logged-in user as read from a valid session cookie: ``nonce`` makes its forms' anti-forgery tokens, ``expires``
    is epoch seconds."""
    user: User
    nonce: str
    expires: float


class Sessions:
    """``name|fingerprint|expiry|nonce`` signed with the console's secret; the nonce is also what
    a form's forgery token is made from, so a token from one session is worth nothing in another."""

    def __init__(self, secret: bytes, users: dict[str, User], hours: int, clock: Callable[[], float] = time.time,
                 ended_file: Path | None = None):
        self.secret, self.users, self.lifetime, self.clock = secret, users, hours * 3600, clock
        self.ended_file = ended_file          # logouts outlive a restart: "nonce expiry" or "~name until" per line
        self.ended: dict[str, float] = self._read_ended()

    def issue(self, user: User) -> str:
        expires = int(self.clock() + self.lifetime)
        cut = self.ended.get(CUT + user.name)
        if cut is not None and expires <= cut:      # begun in the second of an ``end_user``: after it all the same
            expires = int(cut) + 1
        body = json.dumps([user.name, _fingerprint(user), expires,
                           secrets.token_urlsafe(12)], separators=(",", ":")).encode()
        payload = base64.urlsafe_b64encode(body).decode().rstrip("=")
        return f"{payload}.{self._sign(payload)}"

    def read(self, cookie: str | None) -> Session | None:
        if not cookie or len(cookie) > 512 or "." not in cookie:
            return None
        payload, _, signature = cookie.rpartition(".")
        if not cookie.isascii() or not hmac.compare_digest(signature, self._sign(payload)):
            return None
        try:
            body = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
            name, fingerprint, expires, nonce = json.loads(body)
        except (ValueError, TypeError):
            return None
        user = self.users.get(name)
        if user is None or fingerprint != _fingerprint(user):
            return None
        session = Session(user, nonce, expires)
        return session if self.valid(session) else None

    def valid(self, session: Session) -> bool:
        """Still open: not logged out, not expired, its user enabled, with the password unchanged and
        no ``end_user`` since it began (an open stream asks this on every wake, so a stream ends with
        its session)."""
        user = self.users.get(session.user.name)
        cut = self.ended.get(CUT + session.user.name)
        return (user is not None and not user.disabled and _fingerprint(user) == _fingerprint(session.user)
                and session.expires >= self.clock() and session.nonce not in self.ended
                and (cut is None or session.expires > cut))

    def end_user(self, name: str) -> None:
        """End every session ``name`` has now (an account disabled or changed), kept like a logout
        for as long as a session begun before it could last, so enabling the account again later
        revives none of them."""
        self._remember(CUT + name, int(self.clock() + self.lifetime))

    def end(self, session: Session) -> None:
        self._remember(session.nonce, session.expires)

    def _remember(self, key: str, until: float) -> None:
        now = self.clock()
        self.ended = {n: e for n, e in self.ended.items() if e >= now}
        self.ended[key] = until
        if self.ended_file is not None:
            tmp = self.ended_file.with_suffix(".tmp")
            try:
                tmp.write_text("".join(f"{n} {int(e)}\n" for n, e in self.ended.items()))
                tmp.replace(self.ended_file)
            except OSError as e:        # ended all the same, until a restart
                log.warning("không ghi được danh sách đăng xuất / cannot write the logouts %s: %s", self.ended_file, e)

    def _read_ended(self) -> dict[str, float]:
        try:
            lines = self.ended_file.read_text(encoding="ascii").split("\n") if self.ended_file else []
        except (OSError, ValueError):     # missing, or not ours: forget it rather than fail to start
            return {}
        pairs = (line.split(" ") for line in lines if line.count(" ") == 1)
        return {n: float(e) for n, e in pairs if e.isdigit()}

    def csrf(self, nonce: str) -> str:
        return self._sign("csrf:" + nonce)

    def csrf_ok(self, nonce: str, token: str | None) -> bool:
        return bool(token) and str(token).isascii() and hmac.compare_digest(str(token), self.csrf(nonce))

    def _sign(self, text: str) -> str:
        return hmac.new(self.secret, text.encode(), hashlib.sha256).hexdigest()


class Brake:
    """Password tries slow down whoever makes them: after ``free`` tries each further one waits
    twice as long as the last (1 s, 2 s, … ``cap``). The console brakes a name per address (so no
    one elsewhere can lock a user out) and each address for all its names.

    A try counts the moment it starts, before its hash is checked: forty tries sent at once are
    braked like forty in a row, and never reach the hash. A right password clears its name's
    count and gives its address back the try. Kept in memory: a restart forgives, which is fine
    at a hall's scale, and bounded so a flood of made-up names cannot fill it."""

    def __init__(self, free: int = 3, cap: float = 300.0, clock: Callable[[], float] = time.monotonic):
        self.free, self.cap, self.clock = free, cap, clock
        self.tries: dict[str, tuple[int, float]] = {}

    def begin(self, *keys: str) -> float:
        """0 with the try counted against every key, or the seconds to wait (nothing counted)."""
        now = self.clock()
        wait = max((max(0.0, self._until(k) - now) for k in keys), default=0.0)
        if wait > 0:
            return wait
        if len(self.tries) > 10_000:
            self.tries = {k: v for k, v in self.tries.items() if self._until(k) > now}
        for k in keys:
            count, _ = self.tries.get(k, (0, now))
            self.tries[k] = (count + 1, now)
        return 0.0

    def succeeded(self, clear: str, *refund: str) -> None:
        """The right password: ``clear`` starts again, each of ``refund`` gets this try back."""
        self.tries.pop(clear, None)
        for k in refund:
            count, at = self.tries.get(k, (0, 0.0))
            if count <= 1:
                self.tries.pop(k, None)
            else:
                self.tries[k] = (count - 1, at)

    def _until(self, key: str) -> float:
        count, at = self.tries.get(key, (0, 0.0))
        if count < self.free:
            return 0.0
        return at + min(self.cap, 2.0 ** (count - self.free))
