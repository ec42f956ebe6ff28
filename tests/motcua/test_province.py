"""SPEC section 13 against real brokers: the hall's mosquitto bridged to a province mosquitto over
TLS with the generated section; only state and events go out; the province's ACL keeps each
hall's user under its own site."""
import json
import subprocess
import sys
import time

import paho.mqtt.client as paho

from devtools.testbed import ROOT, Broker, Spy, env, free_port, site_data, tls_certificates, wait_for, write_site
from motcua import config


def client(port: int, user: str, password: str, tls_ca=None) -> paho.Client:
    c = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=f"{user}-{time.monotonic_ns()}")
    c.username_pw_set(user, password)
    if tls_ca:
        c.tls_set(ca_certs=tls_ca)
    c.connect("127.0.0.1", port)
    c.loop_start()
    return c


def test_a_hall_bridged_to_the_province_sends_state_and_events_only(tmp_path):
    ca, cert, key = tls_certificates(tmp_path)
    pw = tmp_path / "province.passwd"
    subprocess.run(["mosquitto_passwd", "-c", "-b", str(pw), "hall-quang-ngai", "hall-pw"], check=True)
    subprocess.run(["mosquitto_passwd", "-b", str(pw), "province", "province-pw"], check=True)
    (tmp_path / "province.acl").write_text("user hall-quang-ngai\ntopic write motcua/quang-ngai/#\n\n"
                                           "user province\ntopic read motcua/#\n")
    tls_port = free_port()
    province = Broker(tmp_path / "province", extra=(
        f"allow_anonymous false\npassword_file {pw}\nacl_file {tmp_path / 'province.acl'}\n"
        f"listener {tls_port} 127.0.0.1\ncafile {ca}\ncertfile {cert}\nkeyfile {key}\n")).start()
    (tmp_path / "bridge.pw").write_text("hall-pw\n")
    data = site_data(tmp_path)
    data["site"]["id"] = "quang-ngai"
    data["mqtt"]["bridge"] = {"host": "127.0.0.1", "port": tls_port, "ca_file": str(ca),
                              "username": "hall-quang-ngai", "password_file": str(tmp_path / "bridge.pw")}
    cfg = config.load(write_site(tmp_path, data))
    r = subprocess.run([sys.executable, "-m", "motcua.hub", "--config", str(cfg.path), "--mosquitto-bridge"],
                       capture_output=True, text=True, cwd=ROOT, env=env(), timeout=30)
    assert r.returncode == 0, r.stderr
    section = r.stdout
    assert "cleansession false" in section and "notification_topic motcua/quang-ngai/status/province-link" in section
    assert "topic motcua/quang-ngai/ticket" not in section and "reply" not in section.split("do not edit")[1]
    hall = Broker(tmp_path / "hall", extra="allow_anonymous true\n" + section).start()
    watcher = client(tls_port, "province", "province-pw", str(ca))
    seen = []
    watcher.on_message = lambda c, u, m: seen.append((m.topic, m.payload.decode()))
    watcher.subscribe("motcua/#", 1)
    local = Spy(hall.port, "nothing")
    root = "motcua/quang-ngai"
    wait_for(lambda: (local.publish(f"{root}/status/hub", b"online"), seen)[1], 15, "the bridge up")
    for topic, body in [(f"{root}/counter/1/state", {"counter": "1", "status": "serving", "ticket": "A001"}),
                        (f"{root}/service/LAND/state", {"service": "LAND", "waiting": 3}),
                        (f"{root}/call", {"counter": "1", "ticket": "A001"}),
                        (f"{root}/figures/2026-12-03", {"day": "2026-12-03"}),
                        (f"{root}/ticket/issue", {"service": "LAND"}),
                        (f"{root}/reply/kiosk-k1/1", {"ok": True}),
                        (f"{root}/counter/1/command", {"action": "next"})]:
        local.publish(topic, json.dumps(body).encode())
    wait_for(lambda: any(t.endswith("/figures/2026-12-03") for t, _ in seen), 10, "the events at the province")
    time.sleep(0.5)
    topics = {t for t, _ in seen}
    assert {f"{root}/counter/1/state", f"{root}/service/LAND/state", f"{root}/call", f"{root}/status/hub",
            f"{root}/figures/2026-12-03"} <= topics
    assert not [t for t in topics if "/ticket/" in t or "/reply/" in t or t.endswith("/command")], topics
    intruder = client(tls_port, "hall-quang-ngai", "hall-pw", str(ca))
    intruder.publish("motcua/kon-tum/counter/1/state", b'{"forged": true}', qos=1).wait_for_publish(5)
    time.sleep(0.5)
    assert not [t for t, _ in seen if "kon-tum" in t], "a hall's user publishes under its own site only"
    for c in (intruder, watcher):
        c.loop_stop()
        c.disconnect()
    local.close(), hall.stop(), province.stop()


def test_no_province_named_is_a_clear_error(tmp_path):
    cfg = config.load(write_site(tmp_path, site_data(tmp_path)))
    r = subprocess.run([sys.executable, "-m", "motcua.hub", "--config", str(cfg.path), "--mosquitto-bridge"],
                       capture_output=True, text=True, cwd=ROOT, env=env(), timeout=30)
    assert r.returncode == 2 and "mqtt.bridge is not in the site file" in r.stderr
