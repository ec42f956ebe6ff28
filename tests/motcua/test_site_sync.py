"""SPEC 2.1, the processes' side: a change made through the hub's `config/set` reaches the keypad bridge and the
follow-up as real processes on a real mosquitto, each says on `status/<component>/config` which version it runs,
and a process restarted while the broker is away starts on the latest version it saw."""
import dataclasses
import subprocess
import sys
from types import SimpleNamespace

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from devtools.testbed import ROOT, BridgeProcess, Broker, HubProcess, PtyPair, Spy, env, site_data, wait_for, write_site
from firmware_bridge.simulator import Bus, KeypadSim, NoAck
from motcua import config
from motcua.hubclient import HubClient
from motcua.site_sync import LOCAL, SiteSync, copy_path, keep, load_local, read_copy, small_problems, with_keys
from tests.display_board.test_app import read_text
from tests.motcua.followup.test_followup import followup_section


def start_followup(path, log):
    return subprocess.Popen([sys.executable, "-m", "motcua.followup", "--config", str(path)], cwd=ROOT, env=env(),
                            stdout=subprocess.DEVNULL, stderr=open(log, "ab"))


@pytest.fixture
def hall(tmp_path):
    """A broker of its own (to stop it), the hub with its site file, and a bridge and a follow-up each with a copy
    of that file of its own; the console's client makes changes."""
    broker = Broker(tmp_path / "broker").start()
    line = PtyPair(tmp_path, "l1").start()
    data = site_data(tmp_path, broker.port, bridges=[{"id": "b1", "ports": [
        {"device": str(line.a), "keypads": {5: "1"}}]}],
        followup=followup_section(tmp_path, {"transport": "directory", "directory": {"path": str(tmp_path / "sms")}}))
    data["followup"]["interval_s"] = 1
    cfg = config.load(write_site(tmp_path, data))
    local = {name: write_site(tmp_path, data, f"{name}.yaml") for name in ("bridge", "followup")}
    hub = HubProcess(cfg.path, tmp_path / "hub.log").start()
    console = HubClient(dataclasses.replace(cfg, mqtt=dataclasses.replace(cfg.mqtt, username="console")),
                        "console").start()
    console.issue("?", timeout=0.2, tries=100)
    spy = Spy(broker.port, f"{console.t.root}/#")
    bridge = BridgeProcess(local["bridge"], tmp_path / "bridge.log").start()
    procs = {"followup": start_followup(local["followup"], tmp_path / "followup.log")}
    wait_for(lambda: "online" in spy.on(console.t.status("bridge-b1")), 20, "the bridge online")
    bus = Bus(str(line.b))
    yield SimpleNamespace(broker=broker, hub=hub, console=console, spy=spy, t=console.t, bus=bus, local=local,
                          procs=procs, tmp=tmp_path, bridge=bridge)
    bus.close(), spy.close(), console.stop(), bridge.stop()
    for p in procs.values():
        p.terminate(), p.wait(10)
    hub.stop(), line.stop(), broker.stop()


def status(h, component: str, version: int) -> dict:
    """What ``component`` says on its ``status/<component>/config`` once it runs ``version``."""
    return wait_for(lambda: next((s for s in reversed(h.spy.on(h.t.config_status(component)))
                                  if isinstance(s, dict) and s["version"] == version), None), 15,
                    f"status/{component}/config at version {version}")


def change(h, base: int, changes: list, command_id: str) -> dict:
    reply = h.console.request(h.t.config_set, {"base_version": base, "by": "giamsat", "command_id": command_id,
                                               "changes": changes}, timeout=5)
    assert reply["ok"], reply
    return reply


def test_a_change_reaches_the_bridge_and_the_follow_up_live_and_survives_a_restart_without_broker(hall):
    h = hall
    keypad6 = KeypadSim(h.bus, 6)
    with pytest.raises(NoAck):
        keypad6.hello()                  # address 6 is no keypad of this bridge yet
    change(h, 1, [{"path": "bridges[0].ports[0].keypads", "value": {"5": "1", "6": "2"}},
                  {"path": "followup.sms.turn_near", "value": 5}], "c1")
    assert status(h, "bridge-b1", 2) == {"version": 2, "applied": True, "restart_needed": False, "problems": []}
    assert status(h, "followup", 2) == {"version": 2, "applied": True, "restart_needed": False, "problems": []}
    keypad6.hello()
    wait_for(lambda: "online" in h.spy.on(h.t.status("keypad-2")), 10, "the new keypad of counter 2 online")
    h.console.issue("JUST")
    keypad6.press("NEXT")
    assert keypad6.wait_display("B001"), "counter 2 called by its new keypad"

    change(h, 2, [{"path": "followup.database", "value": str(h.tmp / "elsewhere.sqlite3")}], "c2")
    later = status(h, "followup", 3)
    assert later["applied"] and later["restart_needed"], later
    assert any(p.startswith("followup.database: ") for p in later["problems"]), later
    assert status(h, "bridge-b1", 3)["restart_needed"] is False, "the bridge opens no database"
    kept = yaml.safe_load(copy_path(h.local["followup"]).read_text(encoding="utf-8"))
    assert kept["version"] == 3 and kept["document"]["followup"]["database"].endswith("elsewhere.sqlite3")

    h.hub.stop()
    h.broker.stop()
    h.procs["followup"].terminate(), h.procs["followup"].wait(10)
    h.procs["followup"] = start_followup(h.local["followup"], h.tmp / "followup2.log")
    wait_for(lambda: "version 3" in (h.tmp / "followup2.log").read_text(encoding="utf-8"), 15,
             "the follow-up started on version 3 with no broker")
    h.broker.start()
    again = Spy(h.broker.port, h.t.config_status("followup"))
    wait_for(lambda: any(s["version"] == 3 and s["applied"] for s in again.on(h.t.config_status("followup"))), 15,
             "the follow-up says version 3 to a broker that never saw the hub")
    again.close()
    started = load_local(h.local["bridge"], "bridges", "b1")
    assert started.entry("bridges", "b1").ports[0].keypads == {5: "1", 6: "2"}, "the bridge would start on it too"


def test_no_document_from_the_hub_changes_nothing(tmp_path):
    """A hall whose hub publishes nothing: no copy written, the local file used as it is."""
    path = write_site(tmp_path, site_data(tmp_path))
    assert load_local(path) == config.load(path)
    assert not copy_path(path).exists()


def test_a_kept_copy_takes_the_boards_own_broker_and_a_broken_one_is_ignored(tmp_path):
    data = site_data(tmp_path, 1999)
    path = write_site(tmp_path, data)
    hub_doc = with_keys(data, {"mqtt": {"host": "10.0.0.2", "port": 1883, "topic_root": "motcua"}}, (("mqtt",),))
    hub_doc["services"][0]["name"]["vi"] = "Đất đai"
    copy_path(path).write_text(yaml.safe_dump({"version": 7, "document": hub_doc}, allow_unicode=True),
                               encoding="utf-8")
    cfg = load_local(path)
    assert cfg.services[0].name.vi == "Đất đai" and (cfg.mqtt.host, cfg.mqtt.port) == ("127.0.0.1", 1999)
    copy_path(path).write_text("version: 8\ndocument: {services: nope}\n", encoding="utf-8")
    assert load_local(path) == config.load(path), "a copy that does not validate: the local file"


def test_an_installed_process_keeps_its_copy_in_its_own_state_folder(tmp_path, monkeypatch):
    """Installed, several processes share /etc/motcua/motcua.yaml and none may write there: each keeps the hub's
    document in its unit's StateDirectory, and starts on its own copy only."""
    path = write_site(tmp_path, site_data(tmp_path, 1999))
    kiosk, display = tmp_path / "motcua-kiosk-k1", tmp_path / "motcua-display-hall"
    assert copy_path(path, {}) == path.with_name(path.name + ".from-hub.yaml"), "a checkout: beside the file"
    several = {"STATE_DIRECTORY": f"{kiosk}:{tmp_path / 'other'}"}
    assert copy_path(path, several) == kiosk / (path.name + ".from-hub.yaml"), "the first of its folders"
    hub_doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    hub_doc["services"][0]["name"]["vi"] = "Đất đai"
    monkeypatch.setenv("STATE_DIRECTORY", str(kiosk))
    keep(path, 4, hub_doc, None)
    assert read_copy(path)[0] == 4 and load_local(path).services[0].name.vi == "Đất đai"
    assert not path.with_name(path.name + ".from-hub.yaml").exists(), "nothing written beside the shared file"
    monkeypatch.setenv("STATE_DIRECTORY", str(display))
    assert read_copy(path) is None and load_local(path) == config.load(path), "another process: its own copy only"


def test_the_wall_screen_shows_the_notice_of_the_newest_document(tmp_path, broker):
    """A board started on its own file with the old notice: the frame it draws reads the notice set through the
    hub after that file was written."""
    data = site_data(tmp_path, broker.port, displays=[{"id": "hall", "counters": ["1"], "notice": "GIU TRAT TU"}])
    cfg = config.load(write_site(tmp_path, data))
    local = write_site(tmp_path, data, "display.yaml")
    hub = HubProcess(cfg.path, tmp_path / "hub.log").start()
    console = HubClient(dataclasses.replace(cfg, mqtt=dataclasses.replace(cfg.mqtt, username="console")),
                        "console").start()
    console.issue("?", timeout=0.2, tries=100)
    h = SimpleNamespace(console=console, t=console.t)
    try:
        change(h, 1, [{"path": "displays[0].notice", "value": "KHAI TRUONG QUAY MOI"}], "n1")
        png = tmp_path / "board.png"
        r = subprocess.run([sys.executable, "-m", "display_board", "--config", str(local), "--id", "hall",
                            "--screenshot", str(png)], capture_output=True, text=True, cwd=ROOT, timeout=60,
                           env={**env(), "SDL_VIDEODRIVER": "offscreen", "KIVY_HOME": str(tmp_path / "kivy")})
    finally:
        console.stop(), hub.stop()
    assert r.returncode == 0, r.stderr[-2000:]
    text = read_text(Image.open(png)).upper()
    assert "TRUONG" in text and "TRAT" not in text, text
    assert read_copy(local)[0] == 2, "kept beside its file for a start without the broker"


def kiosk_hall(tmp_path, broker):
    kiosk = {"id": "k1", "printer": {"connection": "network", "host": "127.0.0.1", "port": 9, "timeout_s": 2}}
    data = site_data(tmp_path, broker.port, kiosks=[kiosk])
    cfg = config.load(write_site(tmp_path, data))
    hub = HubProcess(cfg.path, tmp_path / "hub.log").start()
    console = HubClient(dataclasses.replace(cfg, mqtt=dataclasses.replace(cfg.mqtt, username="console")),
                        "console").start()
    console.issue("?", timeout=0.2, tries=100)
    return data, hub, SimpleNamespace(console=console, t=console.t)


HEALTH = {"id": "HEALTH", "name": {"vi": "Y tế", "en": "Health"}, "prefix": "H", "first": 1, "last": 99}


def test_the_kiosk_offers_a_new_service_and_shows_the_new_centre_name(tmp_path, broker):
    """The kiosk's model offers a service added through the hub while it runs; a kiosk started on its old file
    draws the centre's new name."""
    from kiosk.__main__ import wire
    data, hub, h = kiosk_hall(tmp_path, broker)
    local = write_site(tmp_path, data, "kiosk.yaml")
    cfg = load_local(local, "kiosks", "k1")
    model, _, client, _ = wire(cfg, cfg.entry("kiosks", "k1"), "kiosk-k1")
    SiteSync(cfg, client.link, lambda new: model.reconfigure(new) or [], section="kiosks", ident="k1")
    client.start()
    try:
        wait_for(lambda: any(b.id == "LAND" and b.enabled for b in model.buttons()), 10, "the kiosk ready")
        change(h, 1, [{"path": "services[2]", "value": HEALTH},
                      {"path": "site.name", "value": "TRUNG TAM KHAI TRUONG"}], "k1")
        wait_for(lambda: any(b.id == "HEALTH" and b.title == "Y tế" for b in model.buttons()), 10,
                 "the new service offered")
        copy_path(local).unlink()       # started on its old file: the retained document comes while it runs
        png = tmp_path / "kiosk.png"
        r = subprocess.run([sys.executable, "-m", "kiosk", "--config", str(local), "--id", "k1",
                            "--screenshot", str(png)], capture_output=True, text=True, cwd=ROOT, timeout=60,
                           env={**env(), "SDL_VIDEODRIVER": "offscreen", "KIVY_HOME": str(tmp_path / "kivy")})
    finally:
        client.stop(), h.console.stop(), hub.stop()
    assert r.returncode == 0, r.stderr[-2000:]
    assert "KHAI TRUONG" in read_text(Image.open(png)).upper()
    assert read_copy(local)[0] == 2, "the kiosk kept it beside its file"


def test_a_wall_screen_with_only_its_own_small_file_takes_the_rest_from_the_hub(tmp_path, broker):
    """A board's file with `site.id`, `mqtt` and its display: `--check-config` accepts it, and the board waits for
    the hub's document, then draws its notice."""
    data = site_data(tmp_path, broker.port, displays=[{"id": "hall", "counters": ["1"], "notice": "MOI KHAI TRUONG"}])
    cfg = config.load(write_site(tmp_path, data))
    small = write_site(tmp_path, {"site": {"id": data["site"]["id"]}, "mqtt": data["mqtt"],
                                  "displays": [{"id": "hall", "counters": ["1"]}]}, "display.yaml")
    run = [sys.executable, "-m", "display_board", "--config", str(small), "--id", "hall"]
    kivy = {**env(), "SDL_VIDEODRIVER": "offscreen", "KIVY_HOME": str(tmp_path / "kivy")}
    checked = subprocess.run([*run, "--check-config"], capture_output=True, text=True, cwd=ROOT, timeout=30)
    assert checked.returncode == 0, checked.stderr
    wrong = subprocess.run([*run[:-1], "nope", "--check-config"], capture_output=True, text=True, cwd=ROOT, timeout=30)
    assert wrong.returncode == 2 and "displays: không có mục nào có mã 'nope'" in wrong.stderr
    assert "no entry with id 'nope'" in wrong.stderr
    hub = HubProcess(cfg.path, tmp_path / "hub.log").start()
    try:
        png = tmp_path / "board.png"
        r = subprocess.run([*run, "--screenshot", str(png)], capture_output=True, text=True, cwd=ROOT, timeout=60,
                           env=kivy)
    finally:
        hub.stop()
    assert r.returncode == 0, r.stderr[-2000:]
    assert "KHAI TRUONG" in read_text(Image.open(png)).upper()
    assert read_copy(small)[0] == 1


@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=8),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                    max_leaves=20))
@settings(max_examples=200, deadline=None)
def test_any_board_file_gets_problems_never_an_exception(data):
    if isinstance(data, dict):
        assert isinstance(small_problems(data, "displays", "hall"), list)
        assert with_keys({"mqtt": 1}, data, LOCAL).keys() <= {"mqtt", "users", "console"}


def test_the_console_names_a_renamed_service_on_the_phone_page(tmp_path, broker):
    """The console keeps its accounts from its own file and shows a service's new name, set through the hub while it
    runs, on a ticket's phone page."""
    from devtools.web import WebClient
    from tests.motcua.console.conftest import start_hall, stop_hall
    h, extra = start_hall(tmp_path, broker)
    console = HubClient(dataclasses.replace(h.cfg, mqtt=dataclasses.replace(h.cfg.mqtt, username="console")),
                        "console-test", announce=False).start()
    spy = Spy(broker.port, console.t.config_status("console"))
    try:
        change(SimpleNamespace(console=console, t=console.t), 1, [
            {"path": "services[0].name", "value": {"vi": "Đất đai và nhà ở", "en": "Land and housing"}}], "r1")
        wait_for(lambda: any(s["version"] == 2 and s["applied"] for s in spy.on(console.t.config_status("console"))),
                 15, "the console on version 2")
        ticket = h.client.issue("LAND")["ticket"]
        _, _, phone = WebClient(h.base).get(f"/t/{ticket['id'].split('-')[0]}/{ticket['label']}")
        assert "Đất đai và nhà ở" in phone.decode()
        assert WebClient(h.base).login("giamsat") == 303, "the accounts are the board's own"
    finally:
        spy.close(), console.stop()
        stop_hall(h, extra)
