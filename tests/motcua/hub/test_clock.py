"""SPEC 10.1, the clock of a board without a real-time clock: the hub never issues a ticket dated
before the last one. The ledger's rule with the fake clock; then the real hub process moved in time
by Debian's libfaketime, behind a real mosquitto."""
import html
import sqlite3
from pathlib import Path

import pytest

from devtools.testbed import HubProcess, Spy, site_data, wait_for, write_site
from devtools.web import ConsoleProcess, WebClient, console_section, users
from motcua import config
from motcua.hub.ledger import Ledger
from motcua.hubclient import HubClient
from tests.helpers import FakeClock

FAKETIME = next(iter(sorted(Path("/usr/lib").glob("*/faketime/libfaketime.so.1"))), None)
RED_LINE = {"vi": "Đồng hồ của máy chủ sai — không phát số", "en": "The hub's clock is wrong — no tickets issued"}


@pytest.fixture
def clock():
    return FakeClock("2026-11-30 09:00")


@pytest.fixture
def steady():
    """The board's monotonic clock: it moves when time passes, never when the wall clock is set."""
    return FakeClock("2026-11-30 09:00")


@pytest.fixture
def hall(make_cfg, clock, steady):
    """open() -> the ledger of one hall, as a hub (re)started on the same database would have it."""
    cfg = make_cfg()
    return lambda: Ledger(cfg, clock=clock, steady=lambda: steady().timestamp())


def passes(clock, steady, **kw):
    """Time passing: both clocks move."""
    clock.advance(**kw)
    steady.advance(**kw)


def label(outcome) -> str:
    assert outcome.reply["ok"] is True, outcome.reply
    return outcome.reply["ticket"]["label"]


def refused_for_the_clock(outcome) -> dict:
    assert outcome.reply["ok"] is False and outcome.reply["error"]["code"] == "clock_wrong", outcome.reply
    return outcome.reply["error"]


def test_a_hub_restarted_two_days_behind_issues_nothing_and_goes_on_when_the_time_is_set(hall, clock):
    first = hall()
    assert [label(first.issue("LAND")) for _ in range(2)] == ["A001", "A002"]
    first.close()
    clock.set("2026-11-28 09:00")                 # the board came up with a stale date
    led = hall()
    error = refused_for_the_clock(led.issue("LAND"))
    assert error["text"]["vi"].startswith("Đồng hồ của máy chủ sai") and "kỹ thuật viên" in error["text"]["vi"]
    assert error["text"]["en"].startswith("The hub's clock is wrong") and "set the time" in error["text"]["en"]
    assert "2026-11-30T09:00:00+07:00" in error["text"]["en"], "the last ticket's time is named"
    state = led.clock_state()
    assert (state["ok"], state["reason"], state["last_ticket_at"]) == (False, "behind", "2026-11-30T09:00:00+07:00")
    assert (led.service_state("LAND")["open"], led.service_state("LAND")["closed_reason"]) == (False, "clock_wrong")
    assert led.command("1", "next").reply["state"]["ticket"] == "A001", "the counters serve who holds a ticket"
    led.tick()
    assert led.day == "2026-11-30", "the service day does not go back with the clock"
    waiting = led.db.execute("SELECT label FROM tickets WHERE status='waiting'").fetchall()
    assert [r[0] for r in waiting] == ["A002"], "nothing expired because the clock says two days ago"
    clock.set("2026-11-30 09:10")                 # the time is set: no restart
    led.tick()
    assert led.clock_state()["ok"] is True and led.service_state("LAND")["open"] is True
    assert label(led.issue("LAND")) == "A003", "numbering goes on"


def test_a_clock_set_back_while_running_refuses_until_it_passes_the_last_ticket(hall, clock):
    led = hall()
    label(led.issue("LAND"))
    clock.set("2026-11-30 08:30")
    refused_for_the_clock(led.issue("JUST"))
    clock.set("2026-11-30 09:00")                 # not before the last ticket: a ticket may share its second
    assert label(led.issue("JUST")) == "B001"


def test_yesterday_on_the_clock_changes_no_day(hall, clock):
    led = hall()
    label(led.issue("LAND"))
    clock.set("2026-11-29 23:00")
    changes = led.tick()
    assert not changes.everything and led.day == "2026-11-30"
    assert led.db.execute("SELECT status FROM tickets").fetchone()[0] == "waiting"
    refused_for_the_clock(led.issue("LAND"))


def test_an_unexplained_step_of_days_ahead_refuses_and_expires_nothing(hall, clock, steady):
    led = hall()
    label(led.issue("LAND"))
    passes(clock, steady, minutes=5)
    clock.advance(days=3)                         # stepped while running, with this run's tickets behind it
    error = refused_for_the_clock(led.issue("LAND"))
    assert "2026-12-03T09:05:00+07:00" in error["text"]["en"]
    assert led.clock_state()["reason"] == "ahead"
    assert not led.tick().everything and led.day == "2026-11-30", "today's tickets are not expired"
    assert led.db.execute("SELECT status FROM tickets").fetchone()[0] == "waiting"
    clock.advance(days=-3)                        # set right again
    assert label(led.issue("LAND")) == "A002"


def test_explained_moves_of_the_clock_are_trusted(hall, clock, steady):
    label(hall().issue("LAND"))
    clock.set("2026-12-02 08:00")                 # the hub was off for two days
    led = hall()
    assert label(led.issue("LAND")) == "A001" and led.day == "2026-12-02"
    booted = hall()
    clock.advance(days=3)                         # a board setting its time at boot, before any ticket
    assert label(booted.issue("LAND")) == "A001" and booted.day == "2026-12-05"
    passes(clock, steady, days=2)                 # a hub running over a weekend
    assert label(booted.issue("LAND")) == "A001" and booted.clock_state()["ok"] is True


def test_a_small_step_ahead_is_no_fault(hall, clock):
    led = hall()
    label(led.issue("LAND"))
    clock.advance(hours=3)                        # NTP's correction of a clock a little slow
    assert label(led.issue("LAND")) == "A002"


# --- the real hub process -----------------------------------------------------------------------

@pytest.mark.skipif(FAKETIME is None, reason="Debian's libfaketime is not installed (make apt)")
def test_the_real_hub_two_days_behind_issues_nothing_until_its_clock_is_right(tmp_path, broker, monkeypatch):
    section = console_section(tmp_path)
    cfg = config.load(write_site(tmp_path, site_data(tmp_path, broker.port, console=section, users=users())))
    client = HubClient(cfg, "test").start()
    hub = HubProcess(cfg.path, tmp_path / "hub.log").start()
    console = ConsoleProcess(cfg.path, tmp_path / "console.log", section["public_url"]).start()
    supervisor = WebClient(console.base)
    assert supervisor.login("giamsat") == 303

    def live_hall(lang: str) -> str:
        status, _, body = supervisor.get(f"/hall?lang={lang}")
        assert status == 200
        return html.unescape(body.decode())
    client.request(client.t.issue, {"service": "NOPE"}, timeout=0.2, tries=100)   # it answers: it is up
    assert [client.issue("LAND")["ticket"]["label"] for _ in range(2)] == ["A001", "A002"]
    hub.stop()
    shift = tmp_path / "faketime"
    shift.write_text("-2d\n")
    with monkeypatch.context() as env:            # only the hub's process lives in the past
        env.setenv("LD_PRELOAD", str(FAKETIME))
        env.setenv("FAKETIME_TIMESTAMP_FILE", str(shift))
        env.setenv("FAKETIME_NO_CACHE", "1")      # the file is read again at every reading of the clock
        env.setenv("DONT_FAKE_MONOTONIC", "1")    # a board's monotonic clock is never set
        hub = HubProcess(cfg.path, tmp_path / "hub.log").start()
    try:
        refused = client.request(client.t.issue, {"service": "LAND", "command_id": "late-1"}, timeout=0.2, tries=100)
        assert refused["ok"] is False and refused["error"]["code"] == "clock_wrong", refused
        assert "Đồng hồ của máy chủ sai" in refused["error"]["text"]["vi"]
        assert "The hub's clock is wrong" in refused["error"]["text"]["en"]
        watcher = Spy(broker.port, client.t.hub_clock)    # a console arriving now reads the retained verdict
        wait_for(lambda: watcher.on(client.t.hub_clock), 5, "the retained clock status")
        said = watcher.on(client.t.hub_clock)[-1]
        assert (said["ok"], said["reason"]) == (False, "behind"), said
        assert said["hub_time"] < said["last_ticket_at"], said
        assert client.command("1", "next")["state"]["ticket"] == "A001", "the counters go on"
        for lang in ("vi", "en"):
            wait_for(lambda lang=lang: RED_LINE[lang] in live_hall(lang), 10, f"the red line in the live hall ({lang})")
        shift.write_text("+0\n")                  # the time is set while the hub runs
        wait_for(lambda: watcher.on(client.t.hub_clock)[-1]["ok"] is True, 10, "the clock found right again")
        wait_for(lambda: RED_LINE["vi"] not in live_hall("vi"), 10, "the red line gone")
        assert client.issue("LAND")["ticket"]["label"] == "A003", "numbering goes on, no restart"
        watcher.close()
    finally:
        console.stop()
        client.stop()
        hub.stop()
    labels = [r[0] for r in sqlite3.connect(cfg.hub.database).execute("SELECT label FROM tickets ORDER BY seq")]
    assert labels == ["A001", "A002", "A003"], "no label issued twice"
