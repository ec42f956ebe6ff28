"""Every topic of the contract is built and read in one place (motcua.contract.Topics): what it
builds parses back to the same kind and ids, and anything else parses to None."""
import pytest
from hypothesis import given
from hypothesis import strategies as st

from motcua.contract import ALL, ANY, DEVICE_KINDS, REQUESTS, ParsedTopic, Topics, component_name

LEVEL = st.text(st.characters(blacklist_characters="/+#\x00", blacklist_categories=("Cs",)), min_size=1, max_size=12)
ROOTS = st.tuples(LEVEL, LEVEL)


def built(t: Topics, ident: str) -> list[tuple[str, ParsedTopic]]:
    """Each builder of Topics with what parse must say of its topic."""
    return [
        (t.counter_state(ident), ParsedTopic("counter_state", counter=ident)),
        (t.counter_command(ident), ParsedTopic("counter_command", counter=ident)),
        (t.counter_rating(ident), ParsedTopic("counter_rating", counter=ident)),
        (t.service_state(ident), ParsedTopic("service_state", service=ident)),
        (t.status(ident), ParsedTopic("status", component=ident)),
        (t.printer(ident), ParsedTopic("printer", kiosk=ident)),
        (t.figures(ident), ParsedTopic("figures", day=ident)),
        (t.seen(ident), ParsedTopic("seen", component=ident)),
        (t.reply(ident), ParsedTopic("reply", client=ident)),
        (f"{t.reply(ident)}/r", ParsedTopic("reply", client=ident)),
        (t.call, ParsedTopic("call")),
        (t.calls_recent, ParsedTopic("calls_recent")),
        (t.hub_clock, ParsedTopic("hub_clock")),
        (t.hub_health_reply, ParsedTopic("reply", client="hub")),
        *((t.request(name), ParsedTopic("request", request=name)) for name in REQUESTS),
        (t.issue, ParsedTopic("request", request="ticket/issue")),
        (t.confirm, ParsedTopic("request", request="ticket/confirm")),
        (t.void, ParsedTopic("request", request="ticket/void")),
        (t.lookup, ParsedTopic("request", request="dossier/lookup")),
        (t.extend, ParsedTopic("request", request="dossier/extend")),
        (t.hub_health, ParsedTopic("request", request="hub/health")),
    ]


@given(ROOTS, LEVEL)
def test_every_topic_built_parses_back_to_its_kind_and_ids(root, ident):
    t = Topics(*root)
    for topic, expected in built(t, ident):
        assert t.parse(topic) == expected, topic


@given(ROOTS, ROOTS, LEVEL)
def test_another_halls_topics_are_not_this_halls(mine, other, ident):
    t, o = Topics(*mine), Topics(*other)
    for topic, _ in built(o, ident):
        if not topic.startswith(t.root + "/"):
            assert t.parse(topic) is None, topic


FIRST_LEVELS = {"counter", "service", "status", "kiosk", "call", "calls", "figures", "reply", "ticket", "dossier",
                "hub"}


@given(ROOTS, st.text(max_size=60))
def test_garbage_parses_to_none_and_never_raises(root, tail):
    t = Topics(*root)
    if tail.split("/")[0] not in FIRST_LEVELS:
        assert t.parse(f"{t.root}/{tail}") is None
    if not tail.startswith(t.root + "/"):
        assert t.parse(tail) is None


def test_filters_and_unknown_requests_are_not_topics():
    t = Topics("motcua", "hn")
    for topic in (t.counter_state(ANY), t.status(ALL), t.everything, t.ticket(ANY), t.ticket("nope"),
                  f"{t.root}/counter//state", f"{t.root}/counter/1/state/more", f"{t.root}/reply", t.root,
                  "", f"{t.root}/", "motcua/hn2/call", f"{t.root}/status/hub/clock/x"):
        assert t.parse(topic) is None, topic


def test_the_acl_and_the_bridge_use_the_same_filters():
    t = Topics("motcua", "hn")
    assert t.to_province == ("motcua/hn/counter/+/state", "motcua/hn/service/+/state", "motcua/hn/status/#",
                             "motcua/hn/call", "motcua/hn/figures/#")
    assert t.replies("kiosk-k1") == "motcua/hn/reply/kiosk-k1/#"


def test_a_reply_topic_names_its_client_whatever_the_client_puts_below():
    t = Topics("motcua", "hn")
    assert t.parse(f"{t.reply('kiosk-k1')}//r") == ParsedTopic("reply", client="kiosk-k1")
    assert t.parse(t.replies("kiosk-k1")) is None, "a filter is not a topic"
    assert t.parse(f"{t.root}/reply//r") is None, "no client"


def test_every_device_is_named_kind_dash_id_and_the_names_parse_back():
    t = Topics("motcua", "hn")
    names = [component_name(kind, "k1") for kind in DEVICE_KINDS]
    assert names == ["kiosk-k1", "display-k1", "bridge-k1", "keypad-k1", "printer-k1"]
    assert [t.parse(t.status(n)).component for n in names] == names
    with pytest.raises(ValueError):
        component_name("kisok", "k1")
