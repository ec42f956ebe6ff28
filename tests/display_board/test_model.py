"""The wall screen's model, without a window: its counters, calls and waiting from the topics, the
blink of the newest call, the day's last calls for its own counters, and the broker away and back."""
import json

from devtools.testbed import Broker, counter, site_data, wait_for, write_site
from display_board.model import BLINK_S, BoardModel, plain, waiting_text
from motcua import config
from motcua.link import Link


def board(tmp_path, n=3, port=1883):
    data = site_data(tmp_path, port, counters=[counter(i, ["LAND", "JUST"]) for i in range(1, n + 1)],
                     displays=[{"id": "hall", "counters": ["1", "2"]}, {"id": "annex", "counters": ["3"]}])
    return config.load(write_site(tmp_path, data))


def test_model_shows_its_counters_calls_and_waiting(tmp_path):
    cfg = board(tmp_path)
    t = [0.0]
    m = BoardModel(cfg, cfg.displays[0], clock=lambda: t[0])
    r = f"motcua/{cfg.site.id}/"
    m.set_link(True)
    assert m.on_message(r + "counter/1/state", b'{"status": "serving", "ticket": "A001"}') is None
    assert m.on_message(r + "call", b'{"counter": "2", "ticket": "B001"}') == ("B001", "2")
    assert m.on_message(r + "call", b'{"counter": "3", "ticket": "A002"}') is None, "the annex announces it"
    m.on_message(r + "service/LAND/state", b'{"waiting": 7}')
    m.on_message(r + "counter/2/state", b"not json at all")
    s = m.snapshot()
    assert [(x.counter, x.ticket) for x in s.tiles] == [("1", "A001"), ("2", "B001")]
    assert s.newest == "2" and s.last_calls == (("B001", "Quầy 2"),) and s.connected
    assert ("Dịch vụ LAND", "Service LAND", 7, False) in s.waiting
    t[0] = 0.6
    assert not m.snapshot().blink_on
    t[0] = BLINK_S + 0.6
    assert m.snapshot().blink_on, "after blinking, the newest call stays highlighted"
    m.on_message(r + "status/hub", b"offline")
    assert not m.snapshot().connected, "the hub away: mất kết nối"


def test_a_service_closed_today_is_said_in_the_waiting_panel_until_it_opens_again(tmp_path):
    cfg = board(tmp_path)
    m = BoardModel(cfg, cfg.displays[0])
    r = f"motcua/{cfg.site.id}/"
    closed = {"waiting": 2, "open": False, "closed_reason": "service_closed",
              "closed_text": {"vi": "mất điện", "en": "power cut"}}
    m.on_message(r + "service/JUST/state", json.dumps(closed).encode())
    m.on_message(r + "service/LAND/state", b'{"waiting": 4, "open": true}')
    assert waiting_text(m.snapshot().waiting).splitlines() == [
        "Dịch vụ LAND: [b]4[/b]", "Dịch vụ JUST: [b]tạm ngừng hôm nay[/b]"]
    m.on_message(r + "service/JUST/state", b'{"waiting": 0, "open": true}')      # the next service day
    assert "Dịch vụ JUST: [b]0[/b]" in waiting_text(m.snapshot().waiting)
    m.on_message(r + "service/LAND/state", b'{"waiting": 1, "open": false, "closed_reason": "outside_hours"}')
    assert "Dịch vụ LAND: [b]1[/b]" in waiting_text(m.snapshot().waiting), "after hours is not 'closed today'"


def test_a_name_with_markup_characters_is_shown_as_typed():
    from kivy.utils import escape_markup
    assert waiting_text((("Hộ tịch [b]&[/b]", "Civil", 3, False),)) == "Hộ tịch &bl;b&br;&amp;&bl;/b&br;: [b]3[/b]"
    assert plain("[color=ff0000]x[/color] & y") == escape_markup("[color=ff0000]x[/color] & y")


def test_model_takes_the_days_last_calls_for_its_own_counters(tmp_path):
    cfg = board(tmp_path)
    m = BoardModel(cfg, cfg.displays[0])
    r = f"motcua/{cfg.site.id}/"
    events = [{"counter": "3", "ticket": "A009"}, {"counter": "2", "ticket": "B002"}, {"counter": ["1"]},
              "junk", {"counter": "1", "ticket": 5}, {"counter": "1", "ticket": "A001"}]
    assert m.on_message(r + "calls/recent", json.dumps({"day": "2026-12-01", "calls": events}).encode()) is None, \
        "nothing is announced again"
    assert m.snapshot().last_calls == (("B002", "Quầy 2"), ("A001", "Quầy 1")), "the annex's call is not ours"
    m.on_message(r + "calls/recent", b'{"day": "2026-12-02", "calls": []}')
    assert m.snapshot().last_calls == (), "a new day, an empty panel"


def test_model_follows_the_broker_away_and_back(tmp_path):
    b = Broker(tmp_path / "b").start()
    cfg = board(tmp_path, port=b.port)
    m = BoardModel(cfg, cfg.displays[0])
    link = Link(cfg, "display-hall", on_message=lambda msg: m.on_message(msg.topic, bytes(msg.payload)),
                on_connect=lambda: m.set_link(True), on_disconnect=lambda: m.set_link(False))
    link.start()
    wait_for(lambda: m.snapshot().connected, 5, "connected")
    b.stop()
    wait_for(lambda: not m.snapshot().connected, 5, "mất kết nối")
    b.start()
    wait_for(lambda: m.snapshot().connected, 6, "back by itself")
    link.stop(), b.stop()

