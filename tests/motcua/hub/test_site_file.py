"""SPEC 2.1: the hub keeps the site file, publishes it on `config` and takes changes on `config/set` —
against the real hub process and a real mosquitto."""
import copy
import dataclasses

import pytest
import yaml

from devtools.testbed import HubProcess, Spy, counter, service, site_data, wait_for, write_site
from motcua import config
from motcua.hubclient import HubClient, HubUnavailable
from tests.motcua.test_deployment import as_user, secured  # noqa: F401  (the broker with the generated ACL)

HASH = "scrypt$16384$8$1$6ZbuiJkkpcDKG8YP1MgYXQ==$rUEmxr4J5wbgxjt7iEQ7EHaxMrEXQyQkXjbzq1jK+TA="
COMMENT = "# Trung tâm thử nghiệm: do not lose this line\n"


def hall(tmp_path, port) -> dict:
    """Two lettered services, and two of bare numbers whose labels are 3 and 4 digits wide, so never alike."""
    return site_data(
        tmp_path, port,
        services=[service("LAND", "A"), service("JUST", "B"), service("TAX", "", 1001, 1999),
                  service("SMALL", "", 1, 999)],
        counters=[counter(1, ["LAND"]), counter(2, ["JUST"]), counter(3, ["TAX", "SMALL"])],
        console={"secret_file": str(tmp_path / "console.key"), "users_file": str(tmp_path / "users.yaml")},
        users=[{"name": "giamsat", "role": "supervisor", "password_hash": HASH}])


@pytest.fixture
def kept(tmp_path, broker):
    """A hub keeping a commented site file; a spy on the hall; the console's client and a plain one."""
    path = write_site(tmp_path, hall(tmp_path, broker.port))
    text = path.read_text(encoding="utf-8")
    text = COMMENT + text.replace("\nservices:\n", "\n# the services of the hall\nservices:\n")
    path.write_text(text, encoding="utf-8")
    cfg = config.load(path)
    spy = Spy(broker.port, f"{cfg.mqtt.topic_root}/{cfg.site.id}/#")
    proc = HubProcess(cfg.path, tmp_path / "hub.log").start()
    console, other = login(cfg, "console"), login(cfg, "kiosk-k1")
    other.request(other.t.issue, {"service": "NOPE"}, timeout=0.2, tries=100)   # the hub answers: it is up
    yield cfg, spy, console, other, proc
    console.stop(), other.stop(), proc.stop(), spy.close()


def login(cfg, user: str) -> HubClient:
    """A client of the open broker logged in as ``user``: its replies come under ``<R>/reply/<user>/``."""
    return HubClient(dataclasses.replace(cfg, mqtt=dataclasses.replace(cfg.mqtt, username=user)), user).start()


def published(spy, t, version: int = 1) -> dict:
    """What the hub published on `config` for ``version``, the latest such."""
    return wait_for(lambda: next((c for c in reversed(spy.on(t.config)) if c["version"] == version), None), 5,
                    f"config version {version}")


def change(client, base: int, document=None, changes=None, command_id="c1") -> dict:
    body = {"base_version": base, "by": "giamsat", "command_id": command_id}
    body.update({"document": document} if changes is None else {"changes": changes})
    return client.request(client.t.config_set, body, timeout=5)


def test_the_hub_publishes_its_site_file_at_start_without_the_accounts(kept):
    cfg, spy, console, *_ = kept
    t = console.t
    first = published(spy, t)
    assert first["version"] == 1 and len(first["sha256"]) == 64 and first["by"] == "file"
    assert [s["id"] for s in first["document"]["services"]] == ["LAND", "JUST", "TAX", "SMALL"]
    assert "users" not in first["document"] and "users_file" not in first["document"]["console"]
    later = Spy(spy.c._port, t.config)
    wait_for(lambda: later.on(t.config), 5, "the retained document")
    assert later.on(t.config) == [first] and later.msgs[0][2] is True, "retained"
    later.close()
    status = wait_for(lambda: spy.on(t.config_status("hub")), 5, "status/hub/config")[-1]
    assert status == {"version": 1, "applied": True, "restart_needed": False, "problems": []}
    assert t.parse(t.config).kind == "config" and t.parse(t.config_status("hub")).component == "hub"


def test_a_change_is_written_kept_published_and_issuable_at_once(kept):
    cfg, spy, console, other, _ = kept
    t = console.t
    doc = published(spy, t)["document"]
    doc["services"].append({"id": "HEALTH", "name": {"vi": "Y tế", "en": "Health"}, "prefix": "H", "first": 1,
                            "last": 99, "hours": ["00:00-23:59"]})
    doc["counters"][0]["services"].append("HEALTH")
    reply = change(console, 1, doc)
    assert reply["ok"] and reply["config"]["version"] == 2 and reply["config"]["by"] == "giamsat", reply
    assert published(spy, t, 2)["version"] == 2
    assert other.issue("HEALTH")["ticket"]["label"] == "H01", "the new service takes tickets at once"
    wait_for(lambda: spy.on(t.service_state("HEALTH")), 5, "the new service's state")
    text = open(cfg.path, encoding="utf-8").read()
    assert text.startswith(COMMENT) and "# the services of the hall\nservices:\n" in text, "comments kept"
    on_disk = yaml.safe_load(text)
    assert on_disk["services"][-1]["id"] == "HEALTH" and on_disk["users"][0]["name"] == "giamsat", "accounts kept"
    assert on_disk["console"]["users_file"].endswith("users.yaml")
    assert config.load(cfg.path).by_service["HEALTH"].last == 99, "the file still passes --check-config"
    assert change(console, 1, doc)["config"]["version"] == 2, "the same command again: the same answer"


def test_two_changes_on_one_version_the_second_conflicts_and_nothing_is_lost(kept):
    cfg, spy, console, *_ = kept
    first = change(console, 1, changes=[{"path": "services[0].daily_limit", "value": 40}], command_id="a")
    second = change(console, 1, changes=[{"path": "services[1].daily_limit", "value": 50}], command_id="b")
    assert first["ok"] and second["error"]["code"] == "conflict", second
    again = change(console, 2, changes=[{"path": "services[1].daily_limit", "value": 50}], command_id="b2")
    assert again["config"]["version"] == 3
    on_disk = yaml.safe_load(open(cfg.path, encoding="utf-8"))
    assert [s.get("daily_limit") for s in on_disk["services"][:2]] == [40, 50]


def test_an_invalid_hour_is_refused_by_key_path_and_nothing_written(kept):
    cfg, spy, console, *_ = kept
    before = open(cfg.path, encoding="utf-8").read()
    reply = change(console, 1, changes=[{"path": "services[0].hours", "value": ["25:00-26:00"]},
                                        {"path": "priority.mode", "value": "fastest"}])
    assert reply["error"]["code"] == "config_invalid"
    problems = reply["error"]["problems"]
    assert any(p.startswith("services[0].hours[0]: ") for p in problems), problems
    assert any(p.startswith("priority.mode: ") for p in problems), "every problem at once"
    assert "services[0].hours[0]: '25:00-26:00': phải có dạng HH:MM-HH:MM, ví dụ 07:30-11:30 / " \
           "'25:00-26:00' does not match HH:MM-HH:MM, e.g. 07:30-11:30" in problems, "Vietnamese, then English"
    said = reply["error"]["problems_text"]            # each language alone, for the console's pages
    assert any(p.startswith("priority.mode: phải là một trong: first, alternate") for p in said["vi"]), said
    assert any(p.startswith("priority.mode: must be one of first, alternate") for p in said["en"]), said
    assert not any("must be" in p for p in said["vi"]) and not any("phải" in p for p in said["en"]), said
    assert "services[0].hours[0]: '25:00-26:00': phải có dạng" in reply["error"]["text"]["vi"], reply
    assert open(cfg.path, encoding="utf-8").read() == before


def test_a_prefix_or_range_that_would_issue_a_label_again_is_refused(kept):
    cfg, spy, console, other, _ = kept
    assert other.issue("LAND")["ticket"]["label"] == "A001"
    swap = [{"path": "services[0].prefix", "value": "C"}, {"path": "services[1].prefix", "value": "A"}]
    reply = change(console, 1, changes=swap)                   # JUST would start again at A001
    assert reply["error"]["code"] == "not_allowed" and "A001" in reply["error"]["problems"][0], reply
    assert other.issue("TAX")["ticket"]["label"] == "1001"
    other.command("3", "next"), other.command("3", "done")
    doc = published(spy, console.t)["document"]
    del doc["services"][2]                                     # TAX gone, its one ticket done
    doc["services"][2]["last"] = 1999                          # SMALL now 0001..1999: "1001" again
    doc["counters"][2]["services"] = ["SMALL"]
    reply = change(console, 1, doc)
    assert reply["error"]["code"] == "not_allowed" and "1001" in reply["error"]["text"]["en"], reply
    doc["services"][2]["last"] = 999
    assert change(console, 1, doc, command_id="c2")["ok"], "the same removal without the range change"


def test_removing_a_service_with_a_waiting_ticket_is_refused(kept):
    cfg, spy, console, other, _ = kept
    other.issue("JUST")
    doc = published(spy, console.t)["document"]
    del doc["services"][1]
    del doc["counters"][1]
    reply = change(console, 1, doc)
    assert reply["error"]["code"] == "not_allowed" and reply["error"]["problems"][0].startswith("services: JUST")
    other.command("2", "next")
    assert change(console, 1, doc, command_id="c2")["error"]["code"] == "not_allowed", "nor while it is served"
    other.command("2", "done")
    assert change(console, 1, doc, command_id="c3")["ok"]
    wait_for(lambda: spy.on(console.t.service_state("JUST"))[-1] == "", 5, "its state cleared")
    assert other.issue("JUST")["error"]["code"] == "unknown_service"


def test_a_rollback_is_a_set_of_an_old_document(kept):
    cfg, spy, console, *_ = kept
    v1 = published(spy, console.t)["document"]
    assert change(console, 1, changes=[{"path": "site.name", "value": "Trung tâm mới"}])["ok"]
    history = console.request(console.t.config_history, {}, timeout=5)["versions"]
    assert [(v["version"], v["by"]) for v in history] == [(2, "giamsat"), (1, "file")]
    old = console.request(console.t.config_history, {"version": 1}, timeout=5)["document"]
    assert old == v1
    assert change(console, 2, old, command_id="back")["config"]["version"] == 3
    assert published(spy, console.t, 3)["document"] == v1
    assert config.load(cfg.path).site.name == v1["site"]["name"]


def test_only_the_console_may_ask(kept):
    cfg, spy, console, other, _ = kept
    doc = published(spy, console.t)["document"]
    assert change(other, 1, doc)["error"]["code"] == "not_allowed"
    assert other.request(other.t.config_history, {}, timeout=5)["error"]["code"] == "not_allowed"


def test_accounts_cannot_be_set_this_way(kept):
    _, spy, console, *_ = kept
    doc = published(spy, console.t)["document"]
    doc["users"] = [{"name": "ke-gian", "role": "supervisor", "password_hash": HASH}]
    assert change(console, 1, doc)["error"]["code"] == "not_allowed"


def test_a_change_the_hub_cannot_take_live_waits_for_a_restart_and_the_version_survives_it(kept, tmp_path):
    cfg, spy, console, other, proc = kept
    reply = change(console, 1, changes=[{"path": "hub.database", "value": str(tmp_path / "other.sqlite3")}])
    assert reply["ok"]
    status = wait_for(lambda: spy.on(console.t.config_status("hub"))[-1]["version"] == 2
                      and spy.on(console.t.config_status("hub"))[-1], 5, "the status of version 2")
    assert status["restart_needed"] and status["problems"][0].startswith("hub: "), status
    assert other.issue("LAND")["ok"], "the hub goes on with its ledger"
    seen = len(spy.on(console.t.config))
    proc.stop()
    proc.start()
    again = wait_for(lambda: spy.on(console.t.config)[seen:], 15, "config published again at start")
    assert again[-1]["version"] == 2, "the version survives a restart"
    assert change(console, 2, changes=[{"path": "priority.mode", "value": "first"}], command_id="c2")["ok"]


def test_a_hub_that_cannot_keep_its_site_file_serves_as_before(tmp_path, broker):
    """Where the history cannot be written (a file in its place here; a read-only /etc on a board), the hub
    serves the queue, publishes no `config` and takes no `config/set`."""
    path = write_site(tmp_path, hall(tmp_path, broker.port))
    (tmp_path / "site.yaml.history").write_text("in the way")
    cfg = config.load(path)
    spy = Spy(broker.port, f"{cfg.mqtt.topic_root}/{cfg.site.id}/#")
    proc = HubProcess(cfg.path, tmp_path / "hub.log").start()
    console = login(cfg, "console")
    try:
        assert console.issue("NOPE", timeout=0.2, tries=100)["error"]["code"] == "unknown_service"
        with pytest.raises(HubUnavailable):
            console.request(console.t.config_set, {"base_version": 1, "changes": []}, timeout=1, tries=1)
        assert spy.on(console.t.config) == [] and spy.on(console.t.service_state("LAND"))
    finally:
        console.stop(), proc.stop(), spy.close()


def test_the_broker_lets_only_the_console_change_the_site_file(secured, monkeypatch):  # noqa: F811
    cfg, broker, tmp = secured
    kiosk = as_user(cfg, "kiosk-k1", tmp, monkeypatch)
    console = as_user(cfg, "console", tmp, monkeypatch)
    kiosk.issue("LAND", timeout=0.3, tries=50)
    doc = console.request(console.t.config_history, {"version": 1}, timeout=5)["document"]
    forged = copy.deepcopy(doc)
    forged["services"][0]["daily_limit"] = 1
    body = {"base_version": 1, "document": forged, "by": "kiosk", "command_id": "k"}
    with pytest.raises(HubUnavailable):
        kiosk.request(kiosk.t.config_set, body, timeout=1, tries=1)
    assert "daily_limit" not in yaml.safe_load(open(cfg.path, encoding="utf-8"))["services"][0], "nothing written"
    assert change(console, 1, changes=[{"path": "services[0].daily_limit", "value": 9}])["config"]["version"] == 2
    kiosk.stop(), console.stop()

