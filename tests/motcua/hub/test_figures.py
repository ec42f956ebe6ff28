"""A day's figures with known answers (a fake clock; the ticket times chosen so that medians, the
90th percentile and maxima are known), and the hub publishing them retained (SPEC sections 12, 13)."""
import json

from devtools.testbed import Spy, site_data, wait_for, write_site
from motcua import config
from motcua.hub.figures import percentile
from motcua.hub.ledger import Ledger
from tests.helpers import FakeClock


def test_percentile_is_the_nearest_rank():
    assert percentile([], 90) is None
    assert percentile([5], 90) == 5
    assert percentile(list(range(1, 11)), 90) == 9 and percentile(list(range(1, 11)), 100) == 10


def test_a_made_up_day_has_the_figures_a_person_would_count(tmp_path):
    clock = FakeClock("2026-11-30 08:00")
    cfg = config.load(write_site(tmp_path, site_data(tmp_path)))
    led = Ledger(cfg, clock=clock)
    ids = [led.issue("LAND").reply["ticket"]["id"] for _ in range(5)]        # A001..A005 at 08:00
    led.issue("JUST")                                                       # B001 at 08:00
    void = led.issue("LAND", confirm=True).reply["ticket"]["id"]            # A006, not printed
    led.void(void)
    waits = [60, 120, 180, 240]                                             # called 1, 2, 3, 4 min after issue
    for minutes, service in zip(waits, (300, 600, 900, 1200), strict=True):
        clock.set("2026-11-30 08:00")
        clock.advance(seconds=minutes)
        led.command("1", "next")
        clock.advance(seconds=service)                                      # 5, 10, 15, 20 min at the counter
        led.command("1", "skip" if minutes == 240 else "done")
    led.rate("1", 3, "r1")
    led.rate("1", 1, "r2")
    f = led.figures()
    land = f["services"]["LAND"]
    # the skip made A004 a no-show and called A005, 60 + 240 + 1200 s after the issue
    assert (land["issued"], land["served"], land["no_show"], land["void"], land["waiting"]) == (5, 3, 1, 1, 0)
    assert (land["wait_median_s"], land["wait_p90_s"], land["wait_max_s"]) == (180.0, 1440.0, 1440.0)
    assert (land["service_median_s"], land["service_p90_s"], land["service_max_s"]) == (600.0, 900.0, 900.0)
    assert land["ratings"] == {"1": 1, "2": 0, "3": 1}, "both ratings of the ticket served"
    just = f["services"]["JUST"]
    assert (just["issued"], just["waiting"], just["wait_median_s"], just["service_max_s"]) == (1, 1, None, None)
    assert f["total"]["issued"] == 6 and f["total"]["waiting"] == 1 and f["day"] == "2026-11-30"
    assert ids[0].endswith("A001")
    clock.set("2026-12-01 08:00")
    led.tick()
    old = led.figures("2026-11-30")
    assert old["services"]["JUST"]["expired"] == 1 and old["services"]["LAND"]["served"] == 4, "the day's end"
    led.close()


def test_the_hub_publishes_the_days_figures_retained(hub, broker):
    proc, c, cfg = hub
    spy = Spy(broker.port, f"{c.t.root}/figures/#")
    got = wait_for(lambda: [(t, json.loads(p)) for t, p, retained, _ in spy.msgs if retained], 5,
                   "the figures, retained, to a newcomer")
    topic, day = got[0]
    assert topic == c.t.figures(day["day"])
    assert set(day) == {"day", "at", "total", "services"} and set(day["services"]) == {"LAND", "JUST"}
    assert set(day["total"]) == {"issued", "served", "no_show", "void", "expired", "waiting", "wait_median_s",
                                 "wait_p90_s", "wait_max_s", "service_median_s", "service_p90_s", "service_max_s",
                                 "ratings"}
    spy.close()


def made_up_range(tmp_path):
    """Two days with known answers. Day 1: A001..A003 issued at 08:00, 08:10, 09:00, called by
    counter 1 after 2, 4 and 6 min, each served 10 min; counter 1 paused 15 min. Day 2: A001 at
    10:00 called by counter 3 after 8 min, served 20 min, rated 2; B001 never called (expires)."""
    clock = FakeClock("2026-11-30 08:00")
    cfg = config.load(write_site(tmp_path, site_data(tmp_path)))
    led = Ledger(cfg, clock=clock)
    for at in ("08:00", "08:10", "09:00"):
        clock.set(f"2026-11-30 {at}")
        led.issue("LAND")
    for at, done in (("08:02", "08:12"), ("08:14", "08:24"), ("09:06", "09:16")):
        clock.set(f"2026-11-30 {at}")
        led.command("1", "next")
        clock.set(f"2026-11-30 {done}")
        led.command("1", "done")
    led.rate("1", 3, "d1-r1")
    led.rate("1", 1, "d1-r2")
    clock.set("2026-11-30 10:00")
    led.command("1", "pause")
    clock.set("2026-11-30 10:15")
    led.command("1", "resume")
    clock.set("2026-12-01 10:00")
    led.issue("LAND")
    led.issue("JUST")
    clock.set("2026-12-01 10:08")
    led.command("3", "next")
    clock.set("2026-12-01 10:28")
    led.command("3", "done")
    led.rate("3", 2, "d2-r1")
    clock.set("2026-12-02 08:00")
    led.tick()
    return cfg, led


def test_figures_for_a_range_per_service_hour_counter_and_day(tmp_path):
    from motcua.hub.figures import range_figures
    cfg, led = made_up_range(tmp_path)
    f = range_figures(led.db, "2026-11-30", "2026-12-01", ["LAND", "JUST"], ["1", "2", "3"], cfg.site.tz)
    total = f["total"]
    assert (total["issued"], total["served"], total["expired"], total["waiting"]) == (5, 4, 1, 0)
    assert (total["wait_median_s"], total["wait_p90_s"], total["wait_max_s"]) == (300.0, 480.0, 480.0)
    assert (total["service_median_s"], total["service_max_s"]) == (600.0, 1200.0)
    assert total["ratings"] == {"1": 1, "2": 1, "3": 1}
    assert f["services"]["JUST"]["expired"] == 1 and f["services"]["LAND"]["served"] == 4
    assert sorted(f["hours"]) == [8, 9, 10] and f["hours"][8]["issued"] == 2 and f["hours"][10]["issued"] == 2
    assert f["hours"][8]["wait_max_s"] == 240.0
    c1, c3 = f["counters"]["1"], f["counters"]["3"]
    assert (c1["served"], c1["service_median_s"], c1["paused_s"], c1["ratings"]) == (3, 600.0, 900.0,
                                                                                      {"1": 1, "2": 0, "3": 1})
    assert c1["satisfied_pct"] == 50.0 and c3["satisfied_pct"] == 100.0 and c3["service_max_s"] == 1200.0
    assert f["counters"]["2"] == {"served": 0, "service_median_s": None, "service_p90_s": None,
                                  "service_max_s": None, "paused_s": 0.0, "ratings": {"1": 0, "2": 0, "3": 0},
                                  "satisfied_pct": None}
    assert f["days"]["2026-11-30"]["issued"] == 3 and f["days"]["2026-12-01"]["issued"] == 2
    one = range_figures(led.db, "2026-12-01", "2026-12-01", ["LAND", "JUST"], ["1"], cfg.site.tz)
    assert one["total"]["issued"] == 2 and one["counters"]["1"]["paused_s"] == 0.0
    assert one["total"] == {k: v for k, v in led.figures("2026-12-01")["total"].items()}, \
        "the console's day equals the hub's retained figures"
    led.close()


def test_a_pause_still_open_counts_until_now_and_ends_with_the_day(tmp_path):
    from motcua.hub.figures import range_figures
    clock = FakeClock("2026-11-30 16:00")
    cfg = config.load(write_site(tmp_path, site_data(tmp_path)))
    led = Ledger(cfg, clock=clock)
    led.command("2", "pause")
    led.command("2", "pause")                       # a second PAUSE is the same pause
    now = clock().timestamp() + 600
    f = range_figures(led.db, "2026-11-30", "2026-11-30", [], ["2"], cfg.site.tz, now=now)
    assert f["counters"]["2"]["paused_s"] == 600.0
    clock.set("2026-12-01 07:00")
    led.tick()
    f = range_figures(led.db, "2026-11-30", "2026-11-30", [], ["2"], cfg.site.tz, now=now + 10 ** 6)
    assert f["counters"]["2"]["paused_s"] == 8 * 3600.0, "ended at midnight, when every counter is idle"
    led.close()
