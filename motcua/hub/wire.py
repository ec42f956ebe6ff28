"""Reading requests off the wire (SPEC section 4): size, UTF-8, JSON, field types, reply route.

Everything here turns bad input into ``ContractError('bad_request')`` with a message a
technician can act on; nothing here raises anything else.
"""
from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from datetime import datetime

from ..contract import MAX_PAYLOAD_BYTES, ContractError, Topics

MAX_ID = 128


@dataclass
class Route:
    """Where and how to answer: MQTT 5 response topic + correlation data, or the 3.1.1 payload form."""
    topic: str | None
    correlation: bytes | None = None      # MQTT 5 Correlation Data
    correlation_id: object = None         # MQTT 3.1.1 clients: echoed in the payload


def decode(payload: bytes) -> dict:
    """A request's payload as a JSON object, or ``ContractError("bad_request")`` saying why not (too large, not UTF-8,
    not JSON, too deep, not an object, an unpaired surrogate): a bad request is answered, never fatal."""
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise ContractError("bad_request", f"nội dung quá lớn ({len(payload)} byte)",
                            f"payload too large ({len(payload)} bytes, at most {MAX_PAYLOAD_BYTES})")
    try:
        body = json.loads(payload.decode("utf-8"))
    except UnicodeDecodeError:
        raise ContractError("bad_request", "không phải UTF-8", "payload is not UTF-8") from None
    except ValueError as e:
        raise ContractError("bad_request", "không phải JSON", f"payload is not JSON ({e})") from None
    except RecursionError:
        raise ContractError("bad_request", "JSON lồng nhau quá sâu", "JSON nested too deeply") from None
    if not isinstance(body, dict):
        raise ContractError("bad_request", "cần một đối tượng JSON", "payload must be a JSON object")
    try:       # "\ud800" is valid JSON but no text: it could be neither stored nor answered
        json.dumps(body, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise ContractError("bad_request", "có ký tự không hợp lệ", "payload holds an invalid character") from None
    return body


def client_of(route: Route, topics: Topics) -> str:
    """Who asks, as the broker vouches for it: the ``<user>`` of ``<R>/reply/<user>/…``, the one
    part of a request a client cannot choose freely (the ACL lets only that user read there)."""
    parsed = topics.parse(route.topic) if route.topic is not None else None
    if parsed is None or parsed.kind != "reply" or parsed.client is None:
        return "(no reply topic)"
    return parsed.client[:128]


REPLY_TAIL = re.compile(r"[A-Za-z0-9_./-]{1,200}")
MAX_CORRELATION_ID = 200
INT64 = 2 ** 63


def valid_reply_topic(topic: object, reply_prefix: str) -> bool:
    """SPEC 4.1: ``<R>/reply/`` then 1-200 of ``[A-Za-z0-9_./-]``. Nothing else is ever published
    as a reply: a control character, a wildcard or 70,000 characters would make the broker drop the
    hub, or paho raise, and paho would send the same reply again on every reconnect."""
    return (isinstance(topic, str) and topic.startswith(reply_prefix)
            and REPLY_TAIL.fullmatch(topic, len(reply_prefix)) is not None)


def valid_correlation_id(value: object) -> bool:
    """A 3.1.1 ``correlation_id`` is echoed into the reply: text of at most 200 characters or a
    whole number of 64 bits (or none), so that it cannot make the reply unpublishable or huge."""
    if value is None or isinstance(value, bool):
        return value is None
    if isinstance(value, int):
        return -INT64 <= value < INT64
    return isinstance(value, str) and len(value) <= MAX_CORRELATION_ID


def route(props, body: dict | None, reply_prefix: str) -> Route | None:
    """Where to answer: ``Route(None)`` when the request names no reply topic (it is applied, not
    answered); None when it names one that SPEC 4.1 forbids (then it gets no reply at all and is
    not applied)."""
    topic = getattr(props, "ResponseTopic", None) if props is not None else None
    if topic:
        return Route(topic, getattr(props, "CorrelationData", None)) if valid_reply_topic(topic, reply_prefix) \
            else None
    if not isinstance(body, dict) or body.get("reply_to") is None:
        return Route(None)
    topic, cid = body["reply_to"], body.get("correlation_id")
    if not valid_reply_topic(topic, reply_prefix) or not valid_correlation_id(cid):
        return None
    return Route(topic, None, cid)


def expired(props, body: dict | None, received: float) -> bool:
    """MQTT 5: the Message Expiry Interval left when it reached us; 3.1.1: ``expires_at`` in the body."""
    interval = getattr(props, "MessageExpiryInterval", None) if props is not None else None
    if interval is not None and time.monotonic() - received > interval:
        return True
    at = body.get("expires_at") if isinstance(body, dict) else None
    if isinstance(at, (int, float)) and not isinstance(at, bool):
        return time.time() > at
    if isinstance(at, str):
        try:
            return datetime.now().astimezone() > datetime.fromisoformat(at.replace("Z", "+00:00"))
        except (ValueError, TypeError):
            return False
    return False


def field(body: dict, name: str, kind: type, *, required: bool = False, default=None, max_len: int = MAX_ID):
    """One typed field of a request; a wrong type or a missing required field is a bad_request."""
    value = body.get(name, default)
    if value is None:
        if required:
            raise ContractError("bad_request", f"thiếu trường '{name}'", f"field '{name}' is required")
        return default
    ok = isinstance(value, kind) and not (kind is not bool and isinstance(value, bool))
    if not ok:
        kind_name = {str: "text", bool: "true/false", int: "a whole number"}[kind]
        raise ContractError("bad_request", f"trường '{name}' sai kiểu", f"field '{name}' must be {kind_name}")
    if kind is str and len(value) > max_len:
        raise ContractError("bad_request", f"trường '{name}' quá dài", f"field '{name}' is too long")
    return value


HASH = re.compile(r"[0-9a-f]{64}")
BIRTH_YEARS = range(1900, 2100)
SMS = "sms"


@dataclass(frozen=True)
class Holder:
    """Who takes a number, as much as the hub may know of them (SPEC 3.1): a keyed hash of the ID
    number (``card``, with the birth year) or of the phone (``phone``), never the number itself."""
    kind: str
    hash: str
    birth_year: int | None = None


def _hash(value: object, name: str) -> str:
    if not isinstance(value, str) or HASH.fullmatch(value) is None:
        raise ContractError("bad_request", f"trường '{name}' phải là 64 chữ số hex thường",
                            f"field '{name}' must be 64 lowercase hex digits")
    return value


def holders(body: dict) -> tuple[Holder, ...]:
    """The issue request's ``person`` (from a kiosk that read an ID card) and, with ``source: "sms"``,
    its ``phone_hash``; anything malformed is a bad_request, and the error never repeats the value."""
    out = []
    person = body.get("person")
    if person is not None:
        if not isinstance(person, dict):
            raise ContractError("bad_request", "trường 'person' phải là đối tượng", "field 'person' must be an object")
        year = person.get("birth_year")
        if not isinstance(year, int) or isinstance(year, bool) or year not in BIRTH_YEARS:
            raise ContractError("bad_request", "năm sinh không hợp lệ",
                                f"person.birth_year must be a year from {BIRTH_YEARS.start} to {BIRTH_YEARS.stop - 1}")
        out.append(Holder("card", _hash(person.get("id_hash"), "person.id_hash"), year))
    if body.get("source") == SMS:
        out.append(Holder("phone", _hash(body.get("phone_hash"), "phone_hash")))
    elif body.get("phone_hash") is not None:
        raise ContractError("bad_request", "'phone_hash' chỉ đi với source: sms",
                            "'phone_hash' goes only with source: sms")
    return tuple(out)
