"""The systemd units, the staged install, the broker's ACL from the site file, the watchdog."""
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid

import paho.mqtt.client as paho
import pytest
import yaml

from devtools.testbed import ROOT, Broker, HubProcess, counter, env, site_data, tls_certificates, wait_for, write_site
from motcua import config
from motcua.exits import EX_MAINTENANCE
from motcua.hubclient import HubClient, HubUnavailable

UNITS = sorted((ROOT / "systemd").glob("*.service"))


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
@pytest.mark.parametrize("unit", UNITS, ids=lambda p: p.name)
def test_units_verify_with_no_output(tmp_path, unit):
    """`systemd-analyze verify` only warns on unknown keys, so any output is a failure. The install
    path is pointed at this checkout (whose venv exists), the one thing a build machine lacks."""
    copy = tmp_path / unit.name
    copy.write_text(unit.read_text().replace("/opt/motcua", str(ROOT)))
    r = subprocess.run(["systemd-analyze", "verify", "--man=no", str(copy)], capture_output=True, text=True,
                       env={**os.environ, "SYSTEMD_LOG_LEVEL": "notice"}, timeout=60)
    assert r.returncode == 0 and not (r.stdout + r.stderr).strip(), r.stdout + r.stderr


def test_units_keep_the_rules():
    for unit in UNITS:
        text = unit.read_text()
        for line in ("Restart=always", "RestartPreventExitStatus=78", "Type=notify", "NoNewPrivileges=true",
                     "ProtectSystem=strict", "ProtectHome=true", "PrivateTmp=true",
                     "MOTCUA_MQTT_PASSWORD_FILE=/etc/motcua/secrets/", "--config /etc/motcua/motcua.yaml",
                     "After=network-online.target mosquitto.service"):
            assert line in text, f"{unit.name} lacks {line}"
        assert "WatchdogSec=" in text
    kiosk = (ROOT / "systemd" / "motcua-kiosk@.service").read_text()
    assert f"RestartPreventExitStatus=78 {EX_MAINTENANCE}\n" in kiosk, "the technician's exit is not restarted"


def test_each_unit_runs_as_its_own_user_in_the_shared_group():
    """One system user per process, named after its broker user, so one process taken over reads no other's
    password; the shared /var/lib/motcua is no unit's StateDirectory (systemd would chown it to each unit's
    user in turn), and nothing may write in /etc/motcua but the hub in its own folder of it (never the secrets);
    every process that takes the hub's document has a state folder of its own to keep it in."""
    states = []
    for unit in UNITS:
        text = unit.read_text()
        broker_user = re.search(r"MOTCUA_MQTT_USERNAME=(\S+)", text).group(1)
        for line in (f"User=motcua-{broker_user}", "Group=motcua", "UMask=0007"):
            assert re.search(f"^{re.escape(line)}$", text, re.M), f"{unit.name} lacks {line}"
        writable = [p for line in re.findall(r"^ReadWritePaths=(.*)$", text, re.M) for p in line.split()]
        etc = [p for p in writable if "/etc/" in p]
        assert etc == (["-/etc/motcua/site"] if unit.name == "motcua-hub.service" else []), unit.name
        states += re.findall(r"^StateDirectory=(.+)$", text, re.M)
        if unit.name not in ("motcua-hub.service", "motcua-replica.service", "motcua-standby.service"):
            assert "StateDirectory=" in text, f"{unit.name}: where it keeps the hub's document"
    assert "motcua" not in states and len(states) == len(set(states)), states
    shared = {u.name for u in UNITS if re.search(r"^ReadWritePaths=/var/lib/motcua\b", u.read_text(), re.M)}
    assert shared == {"motcua-hub.service", "motcua-followup.service", "motcua-console.service",
                      "motcua-replica.service", "motcua-standby.service"}
    groups = {u.name: set(re.search(r"^SupplementaryGroups=(.*)$", u.read_text(), re.M).group(1).split())
              for u in UNITS if "SupplementaryGroups=" in u.read_text()}
    assert groups["motcua-followup.service"] == {"gammu"} and groups["motcua-bridge@.service"] == {"dialout"}
    for screen in ("motcua-kiosk@.service", "motcua-display@.service"):
        assert groups[screen] >= {"video", "render", "input", "audio"}, screen


@pytest.fixture
def secured(tmp_path):
    """A broker with the generated ACL and a password per process, and the hub logged in as `hub`."""
    printer = {"connection": "directory", "path": str(tmp_path)}
    data = site_data(tmp_path, 1883, counters=[counter(1, ["LAND"]), counter(2, ["LAND"])],
                     kiosks=[{"id": k, "printer": printer} for k in ("k1", "k2")],
                     displays=[{"id": "hall", "counters": ["1", "2"]}],
                     bridges=[{"id": "b1", "ports": [{"device": "/dev/null", "keypads": {5: "1"}}]}],
                     followup={"database": str(tmp_path / "fu.sqlite3"), "letters_dir": str(tmp_path / "letters"),
                               "letter": {"agency": "Trung tâm", "place": "Quảng Ngãi"},
                               "sms": {"transport": "directory", "directory": {"path": str(tmp_path / "sms")}}},
                     console={"secret_file": str(tmp_path / "console.key")})
    cfg = config.load(write_site(tmp_path, data))
    acl = subprocess.run([sys.executable, "-m", "motcua.hub", "--config", str(cfg.path), "--mosquitto-acl"],
                         capture_output=True, text=True, cwd=ROOT, env=env(), check=True).stdout
    (tmp_path / "acl").write_text(acl)
    pw = tmp_path / "passwd"
    for i, user in enumerate(["hub", "kiosk-k1", "kiosk-k2", "display-hall", "bridge-b1", "followup", "console"]):
        subprocess.run(["mosquitto_passwd", *(["-c"] if i == 0 else []), "-b", str(pw), user, f"{user}-pw"], check=True)
        (tmp_path / f"{user}.pw").write_text(f"{user}-pw\n")
    broker = Broker(tmp_path / "b", extra=f"allow_anonymous false\npassword_file {pw}\nacl_file {tmp_path / 'acl'}\n")
    broker.start()
    data["mqtt"]["port"] = broker.port
    cfg = config.load(write_site(tmp_path, data))
    hub = HubProcess(cfg.path, tmp_path / "hub.log")
    hub.proc = subprocess.Popen([sys.executable, "-m", "motcua.hub", "--config", str(cfg.path)], cwd=ROOT,
                                stdout=open(tmp_path / "hub.log", "ab"), stderr=subprocess.STDOUT,
                                env={**env(), "MOTCUA_MQTT_USERNAME": "hub",
                                     "MOTCUA_MQTT_PASSWORD_FILE": str(tmp_path / "hub.pw")})
    yield cfg, broker, tmp_path
    hub.stop(), broker.stop()


def as_user(cfg, user, tmp_path, monkeypatch) -> HubClient:
    monkeypatch.setenv("MOTCUA_MQTT_USERNAME", user)
    monkeypatch.setenv("MOTCUA_MQTT_PASSWORD_FILE", str(tmp_path / f"{user}.pw"))
    return HubClient(config.load(cfg.path), user).start()


def test_acl_holds_against_a_real_broker(secured, monkeypatch):
    cfg, broker, tmp = secured
    k1 = as_user(cfg, "kiosk-k1", tmp, monkeypatch)
    t = k1.issue("LAND", timeout=0.3, tries=50)
    assert t["ok"], "a kiosk may take a ticket and read its own reply"
    with pytest.raises(HubUnavailable):
        k1.command("1", "next", timeout=1, tries=1)          # a kiosk cannot call a counter
    display = as_user(cfg, "display-hall", tmp, monkeypatch)
    display.link.publish(display.t.counter_command("1"), {"action": "next", "command_id": "evil",
                                                          "reply_to": f"{display.reply_topic}/x"})
    bridge = as_user(cfg, "bridge-b1", tmp, monkeypatch)
    with pytest.raises(HubUnavailable):
        bridge.command("2", "next", timeout=1, tries=1)      # not its counter
    assert bridge.command("1", "next", timeout=2)["state"]["ticket"] == t["ticket"]["label"], \
        "its own counter; and nothing before it called the ticket"
    # kiosk k1 listens on k2's replies: it hears nothing when k2 takes a ticket
    heard = []
    spy = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=f"k1spy-{uuid.uuid4().hex[:6]}",
                      protocol=paho.MQTTv5)
    spy.username_pw_set("kiosk-k1", "kiosk-k1-pw")
    spy.on_message = lambda c, u, m: heard.append(m.topic)
    spy.on_connect = lambda c, u, f, rc, p=None: c.subscribe(f"{k1.t.root}/reply/kiosk-k2/#", 1)
    spy.connect("127.0.0.1", broker.port)
    spy.loop_start()
    k2 = as_user(cfg, "kiosk-k2", tmp, monkeypatch)
    assert k2.issue("LAND", timeout=2)["ok"]
    time.sleep(0.5)
    assert heard == [], "another kiosk's replies are not readable"
    spy.loop_stop()
    for c in (k1, k2, display, bridge):
        c.stop()


def test_the_console_reads_the_hall_acts_as_a_keypad_and_takes_no_ticket(secured, monkeypatch):
    cfg, broker, tmp = secured
    console = as_user(cfg, "console", tmp, monkeypatch)
    kiosk = as_user(cfg, "kiosk-k1", tmp, monkeypatch)
    t = kiosk.issue("LAND", timeout=0.3, tries=50)["ticket"]
    assert console.command("2", "next", timeout=2)["state"]["ticket"] == t["label"], "any counter, as its panel"
    assert console.request(console.t.extend, {"code": "000.00.53.H48-261201-0001", "due_at": "2027-01-01",
                                              "reason": "x", "command_id": "c1"}, timeout=2)["error"]["code"] \
        == "not_found", "it may ask for an extension"
    with pytest.raises(HubUnavailable):
        console.issue("LAND", timeout=1, tries=1)              # it takes no ticket
    console.stop(), kiosk.stop()


def test_the_followup_says_how_it_is_and_may_do_nothing_else(secured, monkeypatch):
    cfg, broker, tmp = secured
    seen = []
    monkeypatch.setenv("MOTCUA_MQTT_USERNAME", "hub")
    monkeypatch.setenv("MOTCUA_MQTT_PASSWORD_FILE", str(tmp / "hub.pw"))
    statuses = f"{cfg.mqtt.topic_root}/{cfg.site.id}/status/#"
    watcher = HubClient(config.load(cfg.path), "watcher", subscriptions=(statuses,),
                        on_message=lambda m: seen.append((m.topic.rsplit("/", 1)[1], m.payload.decode()))).start()
    fu = subprocess.Popen([sys.executable, "-m", "motcua.followup", "--config", str(cfg.path)], cwd=ROOT,
                          stdout=open(tmp / "fu.log", "ab"), stderr=subprocess.STDOUT,
                          env={**env(), "MOTCUA_MQTT_USERNAME": "followup",
                               "MOTCUA_MQTT_PASSWORD_FILE": str(tmp / "followup.pw")})
    wait_for(lambda: ("followup", "online") in seen, 15, "status/followup online through the ACL")
    monkeypatch.setenv("MOTCUA_MQTT_USERNAME", "followup")    # its login, from another client
    monkeypatch.setenv("MOTCUA_MQTT_PASSWORD_FILE", str(tmp / "followup.pw"))
    intruder = HubClient(config.load(cfg.path), "followup-2").start()
    with pytest.raises(HubUnavailable):
        intruder.command("1", "next", timeout=1, tries=1)     # the follow-up commands nothing
    fu.terminate()
    assert fu.wait(10) == 0
    wait_for(lambda: seen[-1] == ("followup", "offline"), 5, "offline when it stops")
    intruder.stop(), watcher.stop()


@pytest.mark.parametrize("module,user,png", [("kiosk --id k1", "kiosk-k1", "kiosk.png"),
                                             ("display_board --id hall", "display-hall", "board.png")])
def test_a_screenshot_process_may_say_it_is_online(secured, module, user, png):
    """--screenshot runs beside a live screen under its own status topic (so it never marks the
    real one offline); the ACL must let that status through, or the broker drops it silently."""
    cfg, broker, tmp = secured
    seen = []
    spy = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=f"hubspy-{uuid.uuid4().hex[:6]}",
                      protocol=paho.MQTTv5)
    spy.username_pw_set("hub", "hub-pw")
    spy.on_message = lambda c, u, m: seen.append((m.topic, m.payload.decode()))
    spy.on_connect = lambda c, u, f, rc, p=None: c.subscribe(f"motcua/{cfg.site.id}/status/#", 1)
    spy.connect("127.0.0.1", broker.port)
    spy.loop_start()
    name, *rest = module.split()
    r = subprocess.run([sys.executable, "-m", name, "--config", str(cfg.path), *rest, "--screenshot", str(tmp / png)],
                       cwd=ROOT, capture_output=True, text=True, timeout=60,
                       env={**env(), "MOTCUA_MQTT_USERNAME": user, "MOTCUA_MQTT_PASSWORD_FILE": str(tmp / f"{user}.pw"),
                            "SDL_VIDEODRIVER": "offscreen", "KIVY_HOME": str(tmp / "kivy")})
    spy.loop_stop()
    assert r.returncode == 0 and (tmp / png).exists(), r.stderr[-1500:]
    assert (f"motcua/{cfg.site.id}/status/{user}-screenshot", "online") in seen, seen


@pytest.mark.parametrize("module,user", [("motcua.hub", "hub"), ("firmware_bridge --id b1", "bridge-b1"),
                                         ("display_board --id hall", "display-hall"), ("kiosk --id k1", "kiosk-k1")])
def test_a_wrong_password_is_refused_with_exit_78(secured, module, user):
    cfg, broker, tmp = secured
    (tmp / "wrong.pw").write_text("nope\n")
    name, *rest = module.split()
    r = subprocess.run([sys.executable, "-m", name, "--config", str(cfg.path), *rest], cwd=ROOT,
                       capture_output=True, text=True, timeout=60,
                       env={**env(), "MOTCUA_MQTT_USERNAME": user, "MOTCUA_MQTT_PASSWORD_FILE": str(tmp / "wrong.pw"),
                            "SDL_VIDEODRIVER": "offscreen", "KIVY_HOME": str(tmp / "kivy")})
    assert r.returncode == 78 and "refused" in r.stderr, r.stderr[-1500:]


def test_watchdog_is_fed_by_the_main_loop_and_stops_when_it_stalls(tmp_path, broker):
    sock_path = tmp_path / "notify"
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(str(sock_path))
    s.settimeout(0.1)
    cfg = config.load(write_site(tmp_path, site_data(tmp_path, broker.port)))
    p = subprocess.Popen([sys.executable, "-m", "motcua.hub", "--config", str(cfg.path)], cwd=ROOT,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         env={**env(), "NOTIFY_SOCKET": str(sock_path), "WATCHDOG_USEC": "1000000"})
    got: list[tuple[float, str]] = []

    def collect(seconds):
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            try:
                got.append((time.monotonic(), s.recv(256).decode()))
            except TimeoutError:
                pass

    collect(4)
    assert any("READY=1" in m for _, m in got), got
    assert sum("WATCHDOG=1" in m for _, m in got) >= 4, "fed at least every half period"
    p.send_signal(signal.SIGSTOP)            # the main loop stops turning
    stalled_from = time.monotonic()
    collect(2.5)
    assert not [m for t, m in got if t > stalled_from + 0.2 and "WATCHDOG" in m], "a stalled loop feeds nothing"
    p.send_signal(signal.SIGCONT)
    resumed = time.monotonic()
    collect(2)
    assert [m for t, m in got if t > resumed and "WATCHDOG" in m], "fed again once it turns"
    p.terminate()
    p.wait(10)
    s.close()


def test_install_is_idempotent_and_keeps_site_file_and_passwords(tmp_path):
    stage = tmp_path / "stage"

    def run(*args):
        stage_install(stage, *args)
    run("hub")
    run("bridge", "b1")
    site = stage / "etc/motcua/motcua.yaml"
    site.write_text(site.read_text().replace("demo-hcc", "my-centre"))
    secrets = {p.name: p.read_text() for p in (stage / "etc/motcua/secrets").iterdir()}
    assert set(secrets) >= {"hub.password", "bridge-b1.password", "kiosk-k1.password", "display-hall.password"}
    run("hub")
    assert "my-centre" in site.read_text(), "an edited site file is never overwritten"
    assert {p.name: p.read_text() for p in (stage / "etc/motcua/secrets").iterdir()} == secrets
    assert "motcua/my-centre/#" in (stage / "etc/mosquitto/motcua.acl").read_text(), "the ACL follows the site"
    users = {line.split(":")[0] for line in (stage / "etc/mosquitto/motcua.passwd").read_text().splitlines()}
    assert users == {"hub", "kiosk-k1", "display-hall", "bridge-b1", "followup", "console"}
    assert (stage / "etc/systemd/system/motcua-bridge@.service").exists()
    assert site.is_symlink() and site.resolve() == stage / "etc/motcua/site/motcua.yaml", "the hub's own folder"
    bad = subprocess.run(["bash", str(ROOT / "systemd" / "install.sh"), "kiosk"], capture_output=True, text=True,
                         env={**env(), "MOTCUA_ROOT": str(stage)})
    assert bad.returncode == 2 and "needs ID" in bad.stderr


def stage_install(stage, *args: str) -> None:
    staged = {**env(), "MOTCUA_ROOT": str(stage), "MOTCUA_PYTHON": sys.executable}
    subprocess.run(["bash", str(ROOT / "systemd" / "install.sh"), *args], capture_output=True, text=True,
                   timeout=120, check=True, env=staged)


def test_chrony_by_role_the_hubs_board_serves_the_others_follow(tmp_path):
    """SPEC 10.1: one time in the hall. The hub's board serves it (to the LAN only), a kiosk's board takes it from
    the site file's broker address; a board that runs both stays the hall's clock."""
    hub_board, kiosk_board = tmp_path / "hub", tmp_path / "kiosk"
    stage_install(hub_board, "hub")
    stage_install(hub_board, "kiosk", "k1")
    conf = hub_board / "etc/chrony/conf.d"
    assert sorted(p.name for p in conf.iterdir()) == ["motcua-hub.conf"], "one board: it serves, follows nobody"
    hub_conf = (conf / "motcua-hub.conf").read_text()
    assert "local stratum" in hub_conf and "allow 192.168.0.0/16" in hub_conf and "\nserver " not in hub_conf
    (kiosk_board / "etc/motcua").mkdir(parents=True)
    small = {"site": {"id": "demo-hcc"}, "mqtt": {"host": "192.168.1.10", "port": 1883}}
    (kiosk_board / "etc/motcua/motcua.yaml").write_text(yaml.safe_dump(small))
    stage_install(kiosk_board, "kiosk", "k1")
    stage_install(kiosk_board, "display", "hall")
    board_conf = (kiosk_board / "etc/chrony/conf.d/motcua-board.conf").read_text()
    assert "server 192.168.1.10 iburst prefer" in board_conf and "allow" not in board_conf
    assert not (kiosk_board / "etc/motcua/motcua.yaml").is_symlink(), "no hub here: the site file stays put"


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")
def test_tls_with_a_self_signed_ca(tmp_path):
    """docs/deployment.md's recipe: a CA, a broker certificate, the hub connecting over TLS."""
    ca, cert, key = tls_certificates(tmp_path)
    tls = f"allow_anonymous true\ncafile {ca}\ncertfile {cert}\nkeyfile {key}\n"
    broker = Broker(tmp_path / "b", extra=tls).start()
    data = site_data(tmp_path, broker.port)
    data["mqtt"]["tls"] = {"ca_file": str(ca)}
    cfg = config.load(write_site(tmp_path, data))
    hub = HubProcess(cfg.path, tmp_path / "hub.log").start()
    c = HubClient(cfg, "t").start()
    assert c.issue("LAND", timeout=0.3, tries=40)["ticket"]["label"] == "A001", "requests over TLS"
    c.stop(), hub.stop(), broker.stop()
