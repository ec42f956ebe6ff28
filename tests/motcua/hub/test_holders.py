"""A citizen's own limits, priority by age and numbers by SMS (SPEC 3.1), asked of a real hub over
MQTT with hand-made requests, as a kiosk that read an ID card and the SMS follow-up send them."""
import json
import sqlite3
import time
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devtools.testbed import HubProcess, service, site_data, write_site
from motcua import config
from motcua.contract import ContractError
from motcua.hub.holders import PURGE_WAIT_MS
from motcua.hub.ledger import Ledger
from motcua.hub.wire import holders
from motcua.hubclient import HubClient, new_command_id
from motcua.personal import keyed_hash
from tests.helpers import FakeClock

SECRET = b"s" * 40
CARD_A, CARD_B, PHONE = "001090000001", "001090000002", "+84912345678"
YEAR = datetime.now().year


def person(number: str, age: int) -> dict:
    return {"id_hash": keyed_hash(SECRET, number), "birth_year": YEAR - age}


@pytest.fixture
def hall(tmp_path, broker):
    services = [service("LAND", "A", per_person_daily=1, remote=True, daily_limit=8),
                service("JUST", "B", remote=True, remote_daily_limit=3),
                service("TAX", "C", per_person_daily=3)]
    data = site_data(tmp_path, broker.port, services=services, priority={"mode": "first", "age": 60})
    data["site"]["per_person_daily"] = 2
    cfg = config.load(write_site(tmp_path, data))
    hub = HubProcess(cfg.path, tmp_path / "hub.log").start()
    client = HubClient(cfg, "kiosk-k1").start()
    client.request(client.t.issue, {"service": "NOPE"}, timeout=0.2, tries=100)     # the hub answers
    yield cfg, client, tmp_path
    client.stop()
    hub.stop()


def issue(client: HubClient, svc: str, **fields) -> dict:
    body = {"service": svc, "source": "kiosk-k1", "command_id": new_command_id("t"), **fields}
    return client.request(client.t.issue, body)


def code(reply: dict) -> str:
    return "ok" if reply["ok"] else reply["error"]["code"]


def test_one_card_meets_its_limits_per_service_and_in_all(hall):
    cfg, c, _ = hall
    a = person(CARD_A, 30)
    assert code(issue(c, "LAND", person=a)) == "ok"
    refused = issue(c, "LAND", person=a)
    assert code(refused) == "person_limit_reached"
    assert refused["error"]["text"]["vi"].startswith("Ông bà đã lấy đủ số hôm nay")
    assert code(issue(c, "TAX", person=a)) == "ok"
    assert code(issue(c, "TAX", person=a)) == "person_limit_reached", "two a day in all (site.per_person_daily)"
    assert code(issue(c, "LAND", person=person(CARD_B, 30))) == "ok", "another card has its own limits"
    assert code(issue(c, "LAND")) == "ok", "a citizen without a card is still served"


def test_a_voided_ticket_does_not_count_against_its_holder(hall):
    _, c, _ = hall
    first = issue(c, "LAND", person=person(CARD_A, 30), confirm=True)
    assert c.request(c.t.void, {"ticket_id": first["ticket"]["id"], "reason": "paper_out"})["ok"]
    assert code(issue(c, "LAND", person=person(CARD_A, 30))) == "ok", "the printer failed: the citizen tries again"


def test_priority_by_age_from_the_birth_year(hall):
    _, c, _ = hall
    young = issue(c, "LAND", person=person(CARD_B, 59))["ticket"]
    old = issue(c, "LAND", person=person(CARD_A, 60))["ticket"]
    asked = issue(c, "LAND", priority=True)["ticket"]
    assert (old["priority"], old["priority_reason"]) == (True, "age")
    assert (young["priority"], young["priority_reason"]) == (False, None)
    assert (asked["priority"], asked["priority_reason"]) == (True, "asked")
    assert old["source"] == "kiosk-k1"
    called = [c.command("1", "next")["state"]["ticket"] for _ in range(3)]
    assert called == [old["label"], asked["label"], young["label"]], "the elderly citizen is called first"


def test_numbers_by_sms(hall):
    _, c, _ = hall
    phone = keyed_hash(SECRET, PHONE)
    sms = {"source": "sms", "phone_hash": phone}
    first = issue(c, "LAND", **sms)
    assert first["ok"] and first["ticket"]["source"] == "sms"
    assert code(issue(c, "LAND", **sms)) == "person_limit_reached", "one remote number per phone per service"
    assert code(issue(c, "JUST", **sms)) == "ok"
    assert code(issue(c, "JUST", source="sms", phone_hash=keyed_hash(SECRET, "+84912345679"))) == "ok"
    assert code(issue(c, "TAX", source="sms", phone_hash=keyed_hash(SECRET, "+84900000001"))) == "not_allowed"
    others = [keyed_hash(SECRET, f"+8490000010{i}") for i in range(3)]
    assert code(issue(c, "JUST", source="sms", phone_hash=others[0])) == "ok"       # the third of JUST's 3
    assert code(issue(c, "JUST", source="sms", phone_hash=others[1])) == "remote_limit_reached"
    assert code(issue(c, "JUST")) == "ok", "the kiosk still gives JUST numbers"
    assert code(issue(c, "LAND", source="sms", phone_hash=others[1])) == "ok"       # LAND: 8 // 4 = 2 remote
    assert code(issue(c, "LAND", source="sms", phone_hash=others[2])) == "remote_limit_reached"
    third = keyed_hash(SECRET, "+84912345679")
    assert code(issue(c, "LAND", source="sms", phone_hash=third)) == "remote_limit_reached"


def test_two_sms_numbers_a_day_in_all(tmp_path, broker):
    services = [service(s, p, remote=True) for s, p in (("LAND", "A"), ("JUST", "B"), ("TAX", "C"))]
    cfg = config.load(write_site(tmp_path, site_data(tmp_path, broker.port, services=services)))
    hub = HubProcess(cfg.path, tmp_path / "hub.log").start()
    c = HubClient(cfg, "followup").start()
    try:
        c.request(c.t.issue, {"service": "NOPE"}, timeout=0.2, tries=100)
        sms = {"source": "sms", "phone_hash": keyed_hash(SECRET, PHONE)}
        assert [code(issue(c, s, **sms)) for s in ("LAND", "JUST", "TAX")] == ["ok", "ok", "person_limit_reached"]
    finally:
        c.stop()
        hub.stop()


@pytest.mark.parametrize("fields", [
    {"person": {"id_hash": "ABC", "birth_year": 1950}},
    {"person": {"id_hash": "0" * 64, "birth_year": "1950"}},
    {"person": {"id_hash": "0" * 64}},
    {"person": "001090000001"},
    {"source": "sms"},
    {"source": "sms", "phone_hash": "+84912345678"},
    {"phone_hash": "0" * 64},
])
def test_malformed_holders_are_bad_requests_that_never_echo_the_value(hall, fields):
    _, c, tmp = hall
    reply = issue(c, "LAND", **fields)
    assert code(reply) == "bad_request"
    assert "001090000001" not in json.dumps(reply) and "+84912345678" not in json.dumps(reply)


def test_nothing_of_the_holder_is_logged_and_the_day_change_forgets_it(hall):
    cfg, c, tmp = hall
    a = person(CARD_A, 70)
    assert code(issue(c, "LAND", person=a)) == "ok"
    assert code(issue(c, "LAND", person=a)) == "person_limit_reached"
    log = (tmp / "hub.log").read_text(encoding="utf-8")
    assert a["id_hash"] not in log and CARD_A not in log
    db = sqlite3.connect(cfg.hub.database)
    assert db.execute("SELECT COUNT(*) FROM holders").fetchone()[0] == 1
    assert a["id_hash"] not in json.dumps(db.execute("SELECT * FROM commands").fetchall())


def test_the_day_change_deletes_every_hash(tmp_path):
    clock = FakeClock("2026-11-30 09:00")
    services = [service("LAND", "A", per_person_daily=1), service("JUST", "B")]
    cfg = config.load(write_site(tmp_path, site_data(tmp_path, services=services)))
    led = Ledger(cfg, clock=clock)
    h = holders({"person": person(CARD_A, 30)})
    assert led.issue("LAND", holders=h).reply["ok"]
    assert led.issue("LAND", holders=h).reply["error"]["code"] == "person_limit_reached"
    clock.advance(hours=16)                                     # 01:00 the next day
    led.tick()
    assert led.db.execute("SELECT COUNT(*) FROM holders").fetchone()[0] == 0
    assert led.issue("LAND", holders=h).reply["ok"], "a new day, a new allowance"
    led.close()


def test_after_the_day_change_no_hash_is_left_in_the_database_nor_its_wal(tmp_path):
    """secure_delete overwrites the database's pages; the -wal kept the pages as they were until the day change's
    checkpoint. Read as bytes, as someone who took the SD card would."""
    clock = FakeClock("2026-11-30 09:00")
    cfg = config.load(write_site(tmp_path, site_data(tmp_path, services=[service("LAND", "A"), service("JUST", "B")])))
    led = Ledger(cfg, clock=clock)
    hashes = [keyed_hash(SECRET, f"0010900{i:05d}").encode() for i in range(40)]
    for h in hashes:
        assert led.issue("JUST", holders=holders({"person": {"id_hash": h.decode(), "birth_year": 1980}})).reply["ok"]
    files = [Path(cfg.hub.database), Path(f"{cfg.hub.database}-wal")]

    def found() -> int:
        raw = b"".join(f.read_bytes() for f in files if f.exists())
        return sum(h in raw for h in hashes)
    assert found() == len(hashes), "the day's hashes are on the disk during the day"
    clock.advance(hours=16)                                     # 01:00 the next day
    led.tick()
    assert found() == 0, "not one of yesterday's hashes, in the database or its -wal"
    assert led.issue("JUST").reply["ok"], "the hub goes on"
    led.close()


def test_a_reader_in_the_way_of_the_purge_holds_the_hub_up_two_seconds_once(tmp_path):
    """Litestream keeps a read transaction open on the hub's database: the day change's checkpoint gives up after
    PURGE_WAIT_MS and is not tried again on every tick."""
    clock = FakeClock("2026-11-30 09:00")
    cfg = config.load(write_site(tmp_path, site_data(tmp_path, services=[service("LAND", "A"), service("JUST", "B")])))
    led = Ledger(cfg, clock=clock)
    assert led.issue("JUST", holders=holders({"person": person(CARD_A, 30)})).reply["ok"]
    reader = sqlite3.connect(cfg.hub.database, isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT COUNT(*) FROM tickets").fetchone()
    clock.advance(hours=16)
    started = time.monotonic()
    led.tick()
    assert time.monotonic() - started < PURGE_WAIT_MS / 1000 + 1.5
    started = time.monotonic()
    led.tick()
    assert time.monotonic() - started < 0.5, "tried once a day change, not at every tick"
    assert led.db.execute("SELECT COUNT(*) FROM holders").fetchone()[0] == 0 and led.issue("JUST").reply["ok"]
    reader.rollback()
    led.close()


def test_the_figures_count_walk_in_and_sms_numbers_apart(tmp_path):
    from motcua.console.tables import figures_tables, to_csv
    from motcua.hub.figures import range_figures
    services = [service("LAND", "A", remote=True), service("JUST", "B")]
    cfg = config.load(write_site(tmp_path, site_data(tmp_path, services=services)))
    led = Ledger(cfg, clock=FakeClock("2026-11-30 09:00"))
    for n in range(3):
        led.issue("LAND", source="sms", holders=holders({"source": "sms",
                                                           "phone_hash": keyed_hash(SECRET, f"+8491234567{n}")}))
    led.issue("LAND", source="kiosk-k1")
    led.issue("JUST")
    voided = led.issue("LAND", source="sms", confirm=True,
                       holders=holders({"source": "sms", "phone_hash": keyed_hash(SECRET, "+84900000000")}))
    led.void(voided.reply["ticket"]["id"])
    f = range_figures(led.db, "2026-11-30", "2026-11-30", ["LAND", "JUST"], [], cfg.site.tz)
    assert (f["services"]["LAND"]["issued_walk_in"], f["services"]["LAND"]["issued_sms"]) == (1, 3)
    assert (f["services"]["JUST"]["issued_walk_in"], f["services"]["JUST"]["issued_sms"]) == (1, 0)
    table = next(t for t in figures_tables(f, cfg) if t.name == "services")
    heads = [c.key for c in table.columns]
    land = dict(zip(heads, table.rows[0], strict=True))
    assert (land["issued"], land["issued_walk_in"], land["issued_sms"]) == (4, 1, 3)
    csv = to_csv([table]).decode("utf-8-sig")
    assert "Phát tại sảnh / Issued walk-in" in csv and "Phát qua SMS / Issued by SMS" in csv
    led.close()


JSONISH = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=70),
                       lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=12), inner,
                                                                                   max_size=3), max_leaves=8)


@given(st.fixed_dictionaries({}, optional={"person": JSONISH | st.fixed_dictionaries(
    {}, optional={"id_hash": JSONISH | st.from_regex(r"[0-9a-f]{64}", fullmatch=True),
                  "birth_year": JSONISH | st.integers(1850, 2150)}),
    "source": st.sampled_from(["sms", "kiosk-k1"]) | JSONISH,
    "phone_hash": JSONISH | st.from_regex(r"[0-9a-f]{64}", fullmatch=True)}))
def test_reading_holders_never_fails_but_as_a_bad_request(body):
    try:
        got = holders(body)
    except ContractError as e:
        assert e.code == "bad_request"
        return
    for h in got:
        assert len(h.hash) == 64 and set(h.hash) <= set("0123456789abcdef")
        assert h.kind == "phone" or 1900 <= h.birth_year <= 2099
