"""SPEC section 3, rule by rule, on the ledger with a fake clock (no network)."""
import pytest

from devtools.testbed import counter, service
from motcua.hub.ledger import Ledger
from tests.helpers import FakeClock


@pytest.fixture
def clock():
    return FakeClock("2026-11-30 09:00")


@pytest.fixture
def ledger(make_cfg, clock):
    def make(**sections):
        cfg = make_cfg(**sections)
        return Ledger(cfg, clock=clock)
    return make


def ok(outcome):
    assert outcome.reply["ok"] is True, outcome.reply
    return outcome.reply


def err(outcome, code):
    assert outcome.reply["ok"] is False and outcome.reply["error"]["code"] == code, outcome.reply
    return outcome.reply["error"]["message"]


def label(o):
    return ok(o)["ticket"]["label"]


def serving(o):
    return ok(o)["state"]["ticket"]


def test_labels_are_prefixed_padded_and_rise_by_one(ledger):
    L = ledger(services=[service("LAND", "A", 1, 999), service("TAX", "", 1001, 1999),
                         service("CIV", "C", 1, 1000)], counters=[counter(1, ["LAND"])])
    assert [label(L.issue("LAND")) for _ in range(3)] == ["A001", "A002", "A003"]
    assert label(L.issue("TAX")) == "1001"
    assert label(L.issue("CIV")) == "C0001"


def test_voided_number_is_never_reused(ledger):
    L = ledger()
    t = ok(L.issue("LAND", confirm=True))["ticket"]
    assert t["status"] == "pending"
    assert ok(L.void(t["id"], "paper_out"))["ticket"]["status"] == "void"
    assert label(L.issue("LAND")) == "A002"


def test_unknown_service_is_refused(ledger):
    err(ledger().issue("NOPE"), "unknown_service")


def test_outside_hours_names_the_next_opening(ledger, clock):
    L = ledger(services=[service("LAND", "A", hours=["07:00-11:30", "13:30-17:00"])],
               counters=[counter(1, ["LAND"])])
    clock.set("2026-11-30 11:30")
    assert "13:30" in err(L.issue("LAND"), "outside_hours")
    state = L.service_state("LAND")
    assert (state["open"], state["closed_reason"], state["opens_at"]) == (False, "outside_hours", "13:30")
    clock.set("2026-11-30 13:30")
    assert label(L.issue("LAND")) == "A001"
    clock.set("2026-11-30 17:05")
    assert "07:00" in err(L.issue("LAND"), "outside_hours")


def test_daily_limit_and_used_up_range(ledger):
    L = ledger(services=[service("LAND", "A", daily_limit=2), service("JUST", "B", 1, 3)],
               counters=[counter(1, ["LAND", "JUST"])])
    L.issue("LAND"), L.issue("LAND")
    err(L.issue("LAND"), "daily_limit_reached")
    assert L.service_state("LAND")["closed_reason"] == "daily_limit_reached"
    for _ in range(3):
        L.issue("JUST")
    err(L.issue("JUST"), "daily_limit_reached")


def test_void_frees_a_place_under_the_daily_limit_but_not_the_number(ledger):
    L = ledger(services=[service("LAND", "A", daily_limit=1)], counters=[counter(1, ["LAND"])])
    t = ok(L.issue("LAND", confirm=True))["ticket"]
    ok(L.void(t["id"]))
    assert label(L.issue("LAND")) == "A002"


def test_next_calls_oldest_and_finishes_the_served_one(ledger):
    L = ledger()
    a, b = ok(L.issue("LAND"))["ticket"], ok(L.issue("LAND"))["ticket"]
    o = L.command("1", "next")
    assert serving(o) == "A001" and o.changes.calls[0]["ticket_id"] == a["id"]
    assert serving(L.command("1", "next")) == "A002"
    assert L.service_state("LAND")["served"] == 1
    st = ok(L.command("1", "next"))["state"]
    assert st["status"] == "idle" and st["ticket"] is None
    assert L.service_state("LAND")["served"] == 2 and b["id"]


def test_pending_ticket_is_never_called_until_confirmed_or_60s(ledger, clock):
    L = ledger()
    t = ok(L.issue("LAND", confirm=True))["ticket"]
    assert serving(L.command("1", "next")) is None
    ok(L.confirm(t["id"]))
    assert serving(L.command("1", "next")) == "A001"
    ok(L.issue("LAND", confirm=True))
    clock.advance(seconds=59)
    assert serving(L.command("1", "next")) is None
    clock.advance(seconds=1)
    assert serving(L.command("1", "next")) == "A002", "a printed ticket is never lost"


def test_void_after_confirm_timeout_and_confirm_of_void(ledger):
    L = ledger()
    t = ok(L.issue("LAND", confirm=True))["ticket"]
    ok(L.void(t["id"]))
    err(L.confirm(t["id"]), "unknown_ticket")
    err(L.void(t["id"]), "unknown_ticket")
    err(L.void("20261130-Z999"), "unknown_ticket")
    L.issue("LAND")
    L.command("1", "next")
    err(L.void("20261130-A002"), "unknown_ticket")  # serving: too late to void


def test_priority_first(ledger):
    L = ledger()
    L.issue("LAND"), L.issue("LAND", priority=True)
    assert serving(L.command("1", "next")) == "A002"
    assert serving(L.command("1", "next")) == "A001"


def test_priority_alternate_ratio_two(ledger):
    L = ledger(priority={"mode": "alternate", "ratio": 2})
    for _ in range(4):
        L.issue("LAND")
    for _ in range(2):
        L.issue("LAND", priority=True)
    got = [serving(L.command("1", "next")) for _ in range(6)]
    assert got == ["A001", "A002", "A005", "A003", "A004", "A006"]


def test_alternate_count_is_per_counter_and_resets_each_day(ledger, clock):
    L = ledger(priority={"mode": "alternate", "ratio": 1})
    L.issue("LAND"), L.issue("LAND")
    L.command("1", "next")                   # normal: run 1 at counter 1
    clock.set("2026-12-01 08:00")
    L.issue("LAND"), L.issue("LAND", priority=True)
    assert serving(L.command("1", "next")) == "A001", "the run restarted with the day: normal first"


def test_counter_service_order_only_breaks_ties(ledger, clock):
    L = ledger(counters=[counter(3, ["JUST", "LAND"])])
    L.issue("LAND")
    clock.advance(seconds=1)
    L.issue("JUST")
    assert serving(L.command("3", "next")) == "A001", "older first, whatever the preference"
    clock.advance(seconds=1)
    L.issue("LAND"), L.issue("JUST")   # equally old
    assert serving(L.command("3", "next")) == "B001"
    assert serving(L.command("3", "next")) == "B002"


def test_recall_skip_done_and_their_errors(ledger):
    L = ledger()
    err(L.command("1", "recall"), "nothing_to_recall")
    for action in ("skip", "done", "transfer"):
        err(L.command("1", action, service="JUST"), "not_serving")
    L.issue("LAND"), L.issue("LAND")
    L.command("1", "next")
    o = L.command("1", "recall")
    assert o.changes.calls[0]["recall"] is True and o.changes.calls[0]["calls"] == 2
    assert ok(o)["state"]["calls"] == 2
    assert serving(L.command("1", "skip")) == "A002"
    assert L.service_state("LAND")["no_show"] == 1
    assert ok(L.command("1", "done"))["state"]["status"] == "idle"


def test_transfer_keeps_label_and_original_issue_time(ledger, clock):
    L = ledger()
    L.issue("LAND")
    clock.advance(minutes=1)
    L.issue("JUST")
    L.command("1", "next")
    st = ok(L.command("1", "transfer", service="JUST"))["state"]
    assert st["status"] == "idle"
    assert serving(L.command("2", "next")) == "A001", "it keeps its original (older) issue time"
    err(L.command("2", "transfer", service="NOPE"), "unknown_service")


def test_call_by_label_waiting_or_no_show(ledger):
    L = ledger()
    for _ in range(3):
        L.issue("LAND")
    assert serving(L.command("1", "call", ticket="A003")) == "A003"
    L.command("1", "skip")                        # A003 no_show, calls A001
    assert serving(L.command("3", "call", ticket="A003")) == "A003"
    err(L.command("3", "call", ticket="A001"), "unknown_ticket")  # serving at counter 1
    err(L.command("3", "call", ticket="Z9"), "unknown_ticket")


def test_pause_finishes_serving_and_next_resumes(ledger):
    L = ledger()
    L.issue("LAND"), L.issue("LAND")
    L.command("1", "next")
    st = ok(L.command("1", "pause"))["state"]
    assert st["status"] == "paused" and st["ticket"] is None
    assert L.service_state("LAND")["served"] == 1
    assert ok(L.command("1", "resume"))["state"]["status"] == "idle"
    L.command("1", "pause")
    assert serving(L.command("1", "next")) == "A002"


def test_paused_counter_is_called_nothing(ledger):
    L = ledger()
    L.command("1", "pause")
    L.issue("LAND")
    assert L.counter_state("1")["status"] == "paused"
    assert serving(L.command("3", "next")) == "A001"


def test_unknown_counter_and_action(ledger):
    L = ledger()
    err(L.command("99", "next"), "unknown_counter")
    err(L.command("1", "dance"), "bad_request")


def test_exactly_once_by_command_id_errors_included(ledger, clock):
    L = ledger(services=[service("LAND", "A", hours=["09:00-10:00"])], counters=[counter(1, ["LAND"])])
    first = ok(L.issue("LAND", command_id="k1-1"))
    assert ok(L.issue("LAND", command_id="k1-1")) == first
    L.issue("LAND")
    assert ok(L.command("1", "next", command_id="c-1"))["state"]["ticket"] == "A001"
    assert ok(L.command("1", "next", command_id="c-1"))["state"]["ticket"] == "A001", "not applied twice"
    assert L.counter_state("1")["ticket"] == "A001"
    clock.set("2026-11-30 10:00")
    closed = L.issue("LAND", command_id="late")
    err(closed, "outside_hours")
    clock.set("2026-11-30 09:30")
    err(L.issue("LAND", command_id="late"), "outside_hours")


def test_day_change_expires_waiting_finishes_serving_and_restarts_numbers(ledger, clock):
    L = ledger(site={"id": "day-test", "name": "Trung tâm", "timezone": "Asia/Ho_Chi_Minh",
                     "day_starts_at": "05:00"})
    L.issue("LAND"), L.issue("LAND"), L.issue("LAND", confirm=True)
    L.command("1", "next")
    L.command("2", "pause")
    clock.set("2026-12-01 04:59")                 # still 30 November's service day
    assert label(L.issue("LAND")) == "A004"
    clock.set("2026-12-01 05:00")
    ch = L.tick()
    assert ch.everything
    assert L.counter_state("1")["status"] == "idle" and L.counter_state("2")["status"] == "idle"
    rows = dict(L.db.execute("SELECT label, status FROM tickets WHERE day='2026-11-30'").fetchall())
    assert rows == {"A001": "done", "A002": "expired", "A003": "expired", "A004": "expired"}
    t = ok(L.issue("LAND"))["ticket"]
    assert t["label"] == "A001" and t["id"] == "20261201-A001"


def test_day_change_over_midnight_in_the_site_zone_not_utc(ledger, clock):
    L = ledger()
    clock.set("2026-11-30 23:59")
    L.issue("LAND")
    clock.set("2026-12-01 00:00")                 # 17:00 UTC: a UTC-day system would not reset
    assert label(L.issue("LAND")) == "A001"


def test_waiting_ahead_and_estimated_wait(ledger, clock):
    L = ledger(hub={"database": ":memory:", "default_service_minutes": 5})
    for _ in range(3):
        L.issue("LAND")
    t = ok(L.issue("LAND"))["ticket"]
    assert (t["waiting_ahead"], t["estimated_wait_min"]) == (3, 15), "default minutes, one counter at least"
    p = ok(L.issue("LAND", priority=True))["ticket"]
    assert p["waiting_ahead"] == 0
    L.command("1", "next")                        # calls the priority one (mode first)
    clock.advance(minutes=2)
    L.command("1", "next")                        # done after 2 min; calls A001
    L.command("3", "next")                        # a second counter acts today
    t = ok(L.issue("LAND"))["ticket"]
    assert t["waiting_ahead"] == 2
    assert t["estimated_wait_min"] == 2, "2 ahead x 2 min / 2 active counters"
    clock.advance(minutes=2)
    L.command("3", "pause")                       # A002 done after 2 min too
    assert ok(L.issue("LAND"))["ticket"]["estimated_wait_min"] == 6, "3 ahead x 2 min / 1 counter"


def test_rating_goes_to_serving_or_last_finished_ticket(ledger):
    L = ledger()
    L.issue("LAND"), L.issue("LAND")
    assert L.rate("1", 3, "r1")[0] is None, "nothing served yet"
    L.command("1", "next")
    assert L.rate("1", 3, "r1")[0] == "20261130-A001"
    L.command("1", "done")
    assert L.rate("1", 1, "r2")[0] == "20261130-A001"
    L.rate("1", 2, "r2")
    scores = L.db.execute("SELECT command_id, score FROM ratings ORDER BY command_id").fetchall()
    assert [tuple(r) for r in scores] == [("r1", 3), ("r2", 1)], "once per command_id"


def test_service_state_counts(ledger):
    L = ledger()
    for _ in range(4):
        L.issue("LAND")
    L.command("1", "next"), L.command("1", "skip"), L.command("1", "next")
    s = L.service_state("LAND")
    assert {k: s[k] for k in ("waiting", "issued", "served", "no_show", "last_issued", "last_called", "open")} == \
        {"waiting": 1, "issued": 4, "served": 1, "no_show": 1, "last_issued": "A004", "last_called": "A003",
         "open": True}


def test_state_survives_a_restart(make_cfg, clock, tmp_path):
    cfg = make_cfg()
    L = Ledger(cfg, clock=clock)
    L.issue("LAND"), L.issue("LAND")
    L.command("1", "next", command_id="n1")
    L.close()
    L2 = Ledger(cfg, clock=clock)
    assert L2.counter_state("1")["ticket"] == "A001"
    assert ok(L2.command("1", "next", command_id="n1"))["state"]["ticket"] == "A001"
    assert label(L2.issue("LAND")) == "A003"


def test_many_tickets_at_once_count_ahead_as_one_at_a_time(tmp_path):
    """The console's phone pages ask for hundreds of tickets in one go: the same answers."""
    import random

    from devtools.testbed import site_data, write_site
    from motcua import config
    from motcua.hub.ledger import Ledger
    from tests.helpers import FakeClock
    clock = FakeClock("2026-11-30 08:00")
    led = Ledger(config.load(write_site(tmp_path, site_data(tmp_path))), clock=clock)
    rng = random.Random(7)
    for _ in range(60):
        led.issue(rng.choice(["LAND", "JUST"]), priority=rng.random() < 0.2, confirm=rng.random() < 0.1)
        clock.advance(seconds=rng.choice([0, 0, 30]))
        if rng.random() < 0.3:
            led.command(rng.choice(["1", "2", "3"]), rng.choice(["next", "next", "done", "skip"]))
    day = led.day
    labels = [r["label"] for r in led.db.execute("SELECT label FROM tickets WHERE day=?", (day,))]
    many = led.views.tickets(day, labels + ["Z999"])
    assert set(many) == set(labels), "a made-up label is simply absent"
    for label in labels:
        row = led.db.execute("SELECT * FROM tickets WHERE day=? AND label=?", (day, label)).fetchone()
        assert many[label] == {**led.views.ticket(row, day), "counter": row["counter"]}, label
    led.close()
