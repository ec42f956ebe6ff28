"""The one MQTT link of every process: an exception in a callback is logged and survived (paho 2
would end its network thread with it), ``alive()`` and ``vouches()`` say what a watchdog may vouch
for, and what a process holds retained is said again after the broker forgot it."""
import logging

import pytest

from devtools.testbed import Broker, Spy, site_data, wait_for, write_site
from motcua import config
from motcua import link as link_module
from motcua.link import Link


def test_a_callback_that_raises_never_ends_the_network_thread(tmp_path, broker, caplog):
    cfg = config.load(write_site(tmp_path, site_data(tmp_path, broker.port)))
    seen = []

    def on_message(msg):
        if msg.payload == b"poison":
            raise ValueError("a bug in a handler")
        seen.append(msg.payload)

    link = Link(cfg, "display-x", subscriptions=("t/#",), on_message=on_message)
    assert not link.alive(), "not started: nothing to vouch for"
    link.start()
    assert link.connected.wait(5) and link.alive()
    spy = Spy(broker.port, "nothing")
    with caplog.at_level(logging.ERROR, logger="motcua.link"):
        spy.publish("t/a", b"poison")
        spy.publish("t/a", b"after")
        wait_for(lambda: seen == [b"after"], 5, "the message after the poison")
    assert link.alive() and link.connected.is_set()
    assert "a bug in a handler" in caplog.text
    link.stop()
    spy.close()
    assert not link.alive(), "stopped: the watchdog must not be fed"


def test_what_a_process_holds_retained_is_said_again_on_reconnect(tmp_path):
    broker = Broker(tmp_path / "b").start()        # no persistence: a restart forgets every retained message
    cfg = config.load(write_site(tmp_path, site_data(tmp_path, broker.port)))
    link = Link(cfg, "kiosk-x")
    link.start()
    assert link.connected.wait(5)
    link.publish("m/printer", {"state": "ok"}, retain=True).wait_for_publish(5)
    link.publish("m/printer", {"state": "paper_low"}, retain=True).wait_for_publish(5)
    broker.stop()
    broker.start()
    wait_for(lambda: link.connected.is_set(), 10, "the link back")
    spy = Spy(broker.port, "m/#")
    wait_for(lambda: spy.on("m/printer"), 5, "the printer state, retained again")
    assert spy.on("m/printer") == [{"state": "paper_low"}], "the latest, once"
    link.stop()
    spy.close()
    broker.stop()


def test_a_link_vouches_while_up_and_for_the_limit_after_it_went_down(tmp_path, monkeypatch):
    monkeypatch.setattr(link_module, "DOWN_LIMIT_S", 1.0)
    broker = Broker(tmp_path / "b").start()
    cfg = config.load(write_site(tmp_path, site_data(tmp_path, broker.port)))
    link = Link(cfg, "display-x")
    link.start()
    assert link.connected.wait(5) and link.vouches(), "a new connection is vouched for within the limit"
    wait_for(lambda: link.down_for() == 0, 5, "the connection proven by lasting")
    broker.stop()
    wait_for(lambda: not link.connected.is_set(), 5, "the link down")
    assert link.alive(), "its thread still tries"
    wait_for(lambda: not link.vouches(), 5, "no longer vouched for once down past the limit")
    assert link.down_for() >= 1.0
    link.stop()


@pytest.mark.parametrize("value, limit", [("", 60.0), ("3", 3.0), ("0.5", 0.5), ("abc", 60.0), ("-1", 60.0),
                                          ("0", 60.0), ("inf", 60.0), ("nan", 60.0)])
def test_the_down_limit_is_shortened_only_by_a_sane_number(value, limit):
    assert link_module._down_limit({"MOTCUA_DOWN_LIMIT_S": value}) == limit
