"""The door of the site file (SPEC 2.1, 12.1): only the console's broker user may publish
``<R>/config/set``. The hub tells who asks by the reply topic, which a client names freely (it only
cannot read there), so the broker's generated ACL is what keeps every other user out: tried here
with each of them forging the console's reply topic, against a real mosquitto with that ACL."""
import json
import threading
import time
import uuid

import paho.mqtt.client as paho
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from tests.motcua.test_deployment import secured  # noqa: F401  (the broker with the generated ACL)

OTHERS = ("kiosk-k1", "display-hall", "bridge-b1", "followup")


def _client(broker, user: str, received: list | None = None, flt: str | None = None) -> paho.Client:
    c = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=f"{user}-door-{uuid.uuid4().hex[:6]}",
                    protocol=paho.MQTTv5)
    c.username_pw_set(user, f"{user}-pw")
    ready = threading.Event()
    if flt is not None:
        c.on_message = lambda cl, u, m: received.append(json.loads(m.payload))
        c.on_subscribe = lambda *a: ready.set()
        c.on_connect = lambda cl, u, f, rc, p=None: cl.subscribe(flt, qos=1)
    else:
        c.on_connect = lambda *a: ready.set()
    c.connect("127.0.0.1", broker.port)
    c.loop_start()
    assert ready.wait(5), f"{user} connects"
    return c


def _forge(c: paho.Client, topic: str, root: str, who: str) -> None:
    props = Properties(PacketTypes.PUBLISH)
    props.ResponseTopic = f"{root}/reply/console/r"               # the console's, named by someone else
    props.CorrelationData = b"x"
    body = {"base_version": 1, "changes": [{"path": "services[0].daily_limit", "value": 1}], "by": who,
            "command_id": f"forged-{who}"}
    c.publish(topic, json.dumps(body), qos=1, properties=props).wait_for_publish(5)


def test_no_broker_user_but_the_consoles_can_publish_config_set(secured):  # noqa: F811
    cfg, broker, tmp = secured
    from motcua.contract import Topics
    t = Topics(cfg.mqtt.topic_root, cfg.site.id)
    seen: list = []
    spy = _client(broker, "hub", seen, t.config_set)                 # what the hub would be handed
    for user in OTHERS:
        c = _client(broker, user)
        _forge(c, t.config_set, t.root, user)
        c.loop_stop(), c.disconnect()
    console = _client(broker, "console")
    _forge(console, t.config_set, t.root, "console")
    deadline = time.monotonic() + 5
    while not seen and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)
    assert [m["by"] for m in seen] == ["console"], "the broker passed on the console's request only"
    console.loop_stop(), console.disconnect(), spy.loop_stop(), spy.disconnect()
