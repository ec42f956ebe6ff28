"""docs/mqtt-api.md is what other vendors build their devices from: every JSON example on it must have exactly the
keys the hub's payload types (motcua.contract) give that topic, and every error code it names must be one the hub
sends, and the other way round. No process is started: tests/motcua/hub/test_payloads.py checks those types against
what the real hub publishes, and this file checks the page against the types.

How an example is found (the page's convention, said under "Trying it" there):
- a line ``<R>/<topic> {json}`` (``motcua/demo-hcc/...``, as ``mosquitto_sub -v`` prints it) is a payload on that
  topic, in a fenced block or indented;
- in a fenced block, ``-t $R/<request>`` (of ``mosquitto_rr`` or ``mosquitto_pub``, not ``mosquitto_sub``) names
  the request, and a line that starts with ``{`` (or ``corr=<data> {``) is the hub's reply to it; a block without
  such a line names its request in its info string: ```` ```sh request=ticket/issue ````;
- ``…`` abridges: ``{…}`` and ``[…]`` are left unchecked, ``,…`` stands for more of the same.
"""
import json
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import get_type_hints
from zoneinfo import ZoneInfo

import pytest

from devtools.testbed import site_data, write_site
from kiosk.printing.printer import PrinterState
from motcua import config, contract
from motcua.contract import ERRORS, ContractError, Topics, TwoLanguages
from motcua.hub.dossiers import Dossier, public_view
from motcua.hub.ledger import Ledger
from motcua.hub.site_file import Refused
from motcua.seen import Seen
from tests.helpers import FakeClock

DOC = Path(__file__).resolve().parents[2] / "docs" / "mqtt-api.md"
T = Topics("motcua", "demo-hcc")
TOPIC_LINE = re.compile(r"^\s*(" + re.escape(T.root) + r"/\S+) (\{.*)$")
REPLY_LINE = re.compile(r"^(?:corr=\S+ )?(\{.*)$")
REQUEST = re.compile(r"""^(?!.*mosquitto_sub).*(?:^|\s)-t "?\$R/([^"\s]+)""")     # not a subscription
FENCE = re.compile(r"^```(.*)$")
UNTYPED = {"status_detail"}          # its payloads are built where they are published, with no type to check against


@dataclass
class Example:
    line: int
    topic: str              # where the payload is said: a topic, or the request a reply answers
    reply: bool
    body: dict


def keys(shape) -> set[str]:
    return set(get_type_hints(shape))


def unabridged(text: str) -> str:
    return text.replace(",…", "").replace("{…}", "{}").replace("[…]", "[]")


def loads(text: str, where: int) -> dict:
    try:
        body, _ = json.JSONDecoder().raw_decode(unabridged(text))
    except ValueError as e:
        raise AssertionError(f"mqtt-api.md:{where}: not JSON: {e}") from e
    assert isinstance(body, dict), f"mqtt-api.md:{where}: not a JSON object"
    return body


def examples(text: str) -> list[Example]:
    out: list[Example] = []
    fenced, request = False, None
    for n, line in enumerate(text.splitlines(), 1):
        fence = FENCE.match(line)
        if fence:
            fenced = not fenced
            named = re.search(r"\brequest=(\S+)", fence.group(1))
            request = f"{T.root}/{named.group(1)}" if fenced and named else None
            continue
        if m := TOPIC_LINE.match(line):
            kind = T.parse(m.group(1))
            is_reply = kind is not None and kind.kind == "reply"
            assert not is_reply or request, f"mqtt-api.md:{n}: a reply, but the block names no request"
            out.append(Example(n, (request or "") if is_reply else m.group(1), is_reply, loads(m.group(2), n)))
        elif fenced and (m := REQUEST.search(line)):
            request = f"{T.root}/{m.group(1)}"
        elif fenced and (m := REPLY_LINE.match(line)):
            assert request, f"mqtt-api.md:{n}: a reply, but the block names no request (```sh request=...)"
            out.append(Example(n, request, True, loads(m.group(1), n)))
    return out


EXAMPLES = examples(DOC.read_text(encoding="utf-8"))


def dossier_keys() -> set[str]:
    found = Dossier(code="000.00.53.H48-250915-0012", procedure="p", agency="a", received_at="2025-09-15T08:20+07:00",
                    due_at=None, finished_at=None, status=4, applicant="Nguyễn Văn An", phone=None, note="")
    return set(public_view(found, date(2026, 12, 7), ZoneInfo("Asia/Ho_Chi_Minh")))


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Payloads that have no type in the contract, built by the code that builds them."""
    tmp = tmp_path_factory.mktemp("site")
    ledger = Ledger(config.load(write_site(tmp, site_data(tmp, 1883))), clock=FakeClock("2026-12-07 09:00"))
    seen = Seen(SimpleNamespace(topics=T, component="display-hall"))   # type: ignore[arg-type]
    return {"figures": ledger.figures(), "seen": seen.said(), "printer": PrinterState.of("ok").payload()}


def check(shape: set[str], body: dict, where: str, optional: frozenset[str] = frozenset()) -> None:
    """Every key the type names, and nothing else (an object abridged to ``{…}`` is not checked)."""
    if not body:
        return
    assert shape <= set(body) <= shape | optional, (
        f"{where}: missing {sorted(shape - set(body))}, unknown {sorted(set(body) - shape - optional)}")


def check_published(kind: str, body: dict, where: str, built: dict) -> None:
    typed = {"counter_state": contract.CounterState, "service_state": contract.ServiceState, "call": contract.CallEvent,
             "calls_recent": contract.RecentCalls, "hub_clock": contract.HubClock, "config": contract.ConfigPayload,
             "config_status": contract.ConfigStatus}
    if kind in typed:
        check(keys(typed[kind]), body, where)
    else:
        check(set(built[kind]), body, where)
    for call in body.get("calls", []) if kind in ("calls_recent", "seen") else []:
        check(keys(contract.CallEvent), call, where + " (a call)")
    if kind == "service_state" and body.get("closed_text"):
        check(keys(TwoLanguages), body["closed_text"], where + " (closed_text)")
    if kind == "figures":
        for name, measures in [("total", body.get("total", {})), *body.get("services", {}).items()]:
            check(set(built["figures"]["total"]), measures, f"{where} ({name})")


REPLIES = {   # request -> (the field of an ok reply, the keys of what it holds)
    "ticket/issue": lambda: ("ticket", keys(contract.TicketPayload)),
    "ticket/confirm": lambda: ("ticket", keys(contract.TicketPayload)),
    "ticket/void": lambda: ("ticket", keys(contract.TicketPayload)),
    "counter/command": lambda: ("state", keys(contract.CounterState)),
    "dossier/lookup": lambda: ("dossier", dossier_keys()),
    "dossier/extend": lambda: ("dossier", dossier_keys()),
    "config/set": lambda: ("config", keys(contract.ConfigEntry)),
    "config/history": lambda: ("versions", keys(contract.ConfigEntry)),
}


def check_ok_reply(request: str, body: dict, where: str) -> None:
    kind = T.parse(request)
    assert kind is not None, f"{where}: {request} is no request of the contract"
    name = "counter/command" if kind.kind == "counter_command" else kind.request
    field, shape = REPLIES[name or ""]()
    with_version = frozenset({"document"}) if name == "config/history" else frozenset()   # {"version": N} asked
    check({"ok", field}, body, where, frozenset({"correlation_id"}) | with_version)
    for item in body[field] if isinstance(body[field], list) else [body[field]]:
        check(shape, item, f"{where} ({field})")


def check_error_reply(body: dict, where: str) -> None:
    check({"ok", "error"}, body, where, frozenset({"correlation_id"}))
    error = body["error"]
    assert error.get("code") in ERRORS, f"{where}: unknown error code {error.get('code')!r}"
    check(set(ContractError("bad_request").reply()["error"]), error, where,
          frozenset(Refused("config_invalid", []).reply()["error"]))
    check(keys(TwoLanguages), error.get("text", {}), where + " (text)")


def test_the_page_has_examples_of_every_topic_a_device_reads():
    kinds = {T.parse(e.topic).kind for e in EXAMPLES if not e.reply}      # type: ignore[union-attr]
    assert {"counter_state", "service_state", "call", "calls_recent", "seen", "hub_clock", "config",
            "config_status", "printer", "figures"} <= kinds
    replied = {e.topic.split("/", 2)[2] for e in EXAMPLES if e.reply}
    assert {"ticket/issue", "ticket/confirm", "ticket/void", "dossier/lookup", "dossier/extend", "config/set",
            "config/history"} <= replied


@pytest.mark.parametrize("example", [e for e in EXAMPLES if not e.reply], ids=lambda e: f"line{e.line}")
def test_every_published_payload_has_exactly_its_types_keys(example, built):
    kind = T.parse(example.topic)
    assert kind is not None, f"mqtt-api.md:{example.line}: {example.topic} is no topic of the contract"
    if kind.kind not in UNTYPED:
        check_published(kind.kind, example.body, f"mqtt-api.md:{example.line} {kind.kind}", built)


@pytest.mark.parametrize("example", [e for e in EXAMPLES if e.reply], ids=lambda e: f"line{e.line}")
def test_every_reply_has_exactly_its_types_keys(example):
    where = f"mqtt-api.md:{example.line} reply to {T.suffix(example.topic)}"
    assert example.body.get("ok") in (True, False), f"{where}: no ok"
    if example.body["ok"]:
        check_ok_reply(example.topic, example.body, where)
    else:
        check_error_reply(example.body, where)


def test_every_error_code_is_on_the_page_and_none_is_unknown():
    text = DOC.read_text(encoding="utf-8")
    table = text.split("## Error codes", 1)[1].split("\n## ", 1)[0]
    listed = re.findall(r"^\| `([a-z_]+)` \|", table, re.M)
    assert sorted(listed) == sorted(ERRORS), "the error table lists every code of contract.ERRORS, once"
    said = {e.body["error"]["code"] for e in EXAMPLES if e.reply and e.body.get("ok") is False}
    assert said <= set(ERRORS)


def test_a_drifted_example_is_caught():
    """The checks above can fail: an example with a key taken away, or one added, is refused."""
    issue = next(e for e in EXAMPLES if e.reply and e.body.get("ok") and e.topic.endswith("ticket/issue"))
    for drifted in ({k: v for k, v in issue.body["ticket"].items() if k != "source"},
                    {**issue.body["ticket"], "queue": 3}):
        with pytest.raises(AssertionError):
            check_ok_reply(issue.topic, {**issue.body, "ticket": drifted}, "drifted")
