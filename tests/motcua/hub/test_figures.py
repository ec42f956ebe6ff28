"""A day's figures with known answers (a fake clock; the ticket times chosen so that medians, the
90th percentile and maxima are known), and the hub publishing them retained (SPEC sections 12, 13)."""
import json

from motcua import config
from motcua.hub.figures import percentile
from motcua.hub.ledger import Ledger
from motcua.testbed import Spy, site_data, wait_for, write_site
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
