"""What a process saw of today's queue (motcua.seen): the highest label per service and the last calls, said
retained only when it grows, the day taken from the hub's own payloads, and anything unreadable passed over."""
import json
from datetime import date, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from motcua.contract import ANY, Topics
from motcua.seen import Seen, follows_hall

T = Topics("motcua", "hcc")
TODAY = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()    # the test site's zone; its day starts at 00:00


class FakeLink:
    """What Seen needs of a Link: its topics, its name, the site's day, and retain (recorded)."""

    def __init__(self, make_cfg):
        self.topics, self.component, self.cfg = T, "display-d1", make_cfg()
        self.said: list[tuple[str, dict]] = []

    def retain(self, topic, payload):
        self.said.append((topic, json.loads(json.dumps(payload))))


def msg(topic, body):
    return SimpleNamespace(topic=topic, payload=body if isinstance(body, bytes) else json.dumps(body).encode())


def call(label, counter="1", calls=1, minute=0, day: date = TODAY):
    at = f"{day.isoformat()}T09:{minute:02d}:00+07:00"
    return {"counter": counter, "ticket": label, "ticket_id": f"{day:%Y%m%d}-{label}", "service": "LAND",
            "recall": calls > 1, "calls": calls, "at": at}


def test_it_keeps_the_highest_label_and_the_calls_of_the_day(make_cfg):
    link = FakeLink(make_cfg)
    seen = Seen(link)
    seen.note(msg(T.calls_recent, {"day": TODAY.isoformat(), "calls": [call("A002", minute=5), call("A001")]}))
    seen.note(msg(T.service_state("LAND"), {"last_issued": "A009"}))
    seen.note(msg(T.service_state("LAND"), {"last_issued": "A004"}))       # an older state: nothing lower kept
    seen.note(msg(T.call, call("A003", counter="2", minute=6)))
    seen.note(msg(T.call, call("A003", counter="2", minute=6)))   # the same call twice
    assert link.said[-1] == (T.seen("display-d1"), {"day": TODAY.isoformat(), "labels": {"LAND": "A009"},
                                                    "calls": [call("A003", "2", minute=6), call("A002", minute=5),
                                                              call("A001")]})
    assert len(link.said) == 3, "said again only when it grew"


def test_a_new_day_forgets_the_old_and_an_old_day_is_ignored(make_cfg):
    link = FakeLink(make_cfg)
    seen = Seen(link)
    seen.note(msg(T.call, call("A007")))
    seen.note(msg(T.service_state("LAND"), {"last_issued": "A007"}))
    tomorrow = TODAY + timedelta(days=1)
    seen.note(msg(T.calls_recent, {"day": tomorrow.isoformat(), "calls": []}))
    seen.note(msg(T.call, call("A099")))
    seen.note(msg(T.service_state("LAND"), {"last_issued": "A001"}))
    assert seen.said() == {"day": tomorrow.isoformat(), "labels": {"LAND": "A001"}, "calls": []}


def test_unreadable_messages_are_passed_over(make_cfg):
    link = FakeLink(make_cfg)
    seen = Seen(link)
    for topic, body in [(T.service_state("LAND"), b"\xff not json"), (T.service_state("LAND"), [1, 2]),
                        (T.service_state("LAND"), {"last_issued": 12}), (T.call, {"ticket": "A001"}),
                        (T.calls_recent, {"day": 7, "calls": "x"}), (T.counter_state("1"), {"ticket": "A001"}),
                        ("elsewhere/service/LAND/state", {"last_issued": "A001"})]:
        seen.note(msg(topic, body))
    assert link.said == []


def test_only_processes_that_follow_the_hall_say_what_they_saw():
    assert follows_hall(T, (T.service_state(ANY), T.status("hub")))          # a kiosk
    assert follows_hall(T, (T.counter_state(ANY), T.call, T.calls_recent))    # a wall screen
    assert follows_hall(T, (T.everything,))                                   # the console
    assert not follows_hall(T, (T.counter_state("1"), T.replies("bridge-b1")))   # a keypad bridge
    assert not follows_hall(T, ())
