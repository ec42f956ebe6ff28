"""What stands for a citizen on the wire (SPEC 3.1): an HMAC-SHA256 of the ID number or the phone
under the site's secret, never the number itself. The secret lives in ``site.secret_file`` (made by
install.sh on the hub's board, copied to kiosks and the follow-up's board like the broker
passwords), so a hash means nothing outside the hall and cannot be reversed by trying every number.
"""
from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

MIN_SECRET_CHARS = 32


class SecretProblem(Exception):
    """The site's secret cannot be used: the message says why, never what it holds."""


def read_secret(path: str | Path) -> bytes:
    """The secret, stripped of surrounding blanks; at least 32 characters of it."""
    try:
        text = Path(path).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as e:
        raise SecretProblem(f"không đọc được site.secret_file / cannot read site.secret_file {path}: "
                            f"{type(e).__name__}") from None
    if len(text) < MIN_SECRET_CHARS:
        raise SecretProblem(f"site.secret_file quá ngắn / too short: {path} needs at least "
                            f"{MIN_SECRET_CHARS} characters")
    return text.encode("utf-8")


def keyed_hash(secret: bytes, value: str) -> str:
    """HMAC-SHA256(key=secret, msg=value) as 64 lowercase hex digits."""
    return hmac.new(secret, value.encode("utf-8"), hashlib.sha256).hexdigest()
