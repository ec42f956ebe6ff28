"""The payload types of motcua.contract are what the hub really publishes (SPEC section 4): every
key the type names is in the payload, and nothing more."""
import json
from typing import get_type_hints

from devtools.testbed import Spy, wait_for
from motcua.contract import CallEvent, CounterState, RecentCalls, ServiceState, TicketPayload
from motcua.hub.ledger import Ledger
from tests.helpers import FakeClock

KIND = {"counter_state": CounterState, "service_state": ServiceState, "call": CallEvent, "calls_recent": RecentCalls}


def keys(shape) -> set[str]:
    return set(get_type_hints(shape))


def test_the_ledger_builds_each_payload_with_exactly_its_types_keys(make_cfg):
    ledger = Ledger(make_cfg(), clock=FakeClock("2026-11-30 09:00"))
    issued = ledger.issue("LAND").reply
    ledger.issue("LAND")
    called = ledger.command("1", "next")
    assert set(issued["ticket"]) == keys(TicketPayload)
    assert set(called.reply["state"]) == set(ledger.counter_state("1")) == keys(CounterState)
    assert [set(c) for c in called.changes.calls] == [keys(CallEvent)]
    recent = ledger.recent_calls()
    assert set(recent) == keys(RecentCalls) and [set(c) for c in recent["calls"]] == [keys(CallEvent)]
    assert set(ledger.service_state("LAND")) == keys(ServiceState)


def test_what_crosses_the_broker_has_exactly_its_types_keys(hub, broker):
    _, c, _ = hub
    spy = Spy(broker.port, c.t.everything)
    ticket = c.issue("LAND")["ticket"]
    c.command("1", "next")
    wait_for(lambda: spy.on(c.t.call) and spy.on(c.t.calls_recent) and spy.on(c.t.counter_state("1"))
             and spy.on(c.t.service_state("LAND")), 5, "the call and the state it changed")
    assert set(ticket) == keys(TicketPayload)
    seen = set()
    with spy.lock:
        msgs = list(spy.msgs)
    for topic, payload, _, _ in msgs:
        parsed = c.t.parse(topic)
        if parsed is not None and parsed.kind in KIND:
            assert set(json.loads(payload)) == keys(KIND[parsed.kind]), topic
            seen.add(parsed.kind)
    assert seen == set(KIND)
    assert all(set(call) == keys(CallEvent) for call in spy.on(c.t.calls_recent)[-1]["calls"])
    spy.close()
