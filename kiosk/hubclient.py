"""Request/response to the hub (SPEC section 4), for the kiosk, the bridge, the tests and the bench.

A request carries a Response Topic under ``<R>/reply/<username or client id>``, Correlation Data and
a 10 s Message Expiry. When no reply comes in time it is sent again with the same body, so the same
``command_id`` — never a new one — and a slow hub never makes two tickets.
"""
from __future__ import annotations

import itertools
import json
import threading
import uuid

from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from .config import SiteConfig
from .contract import REQUEST_EXPIRY_S
from .mqttlink import Link


class HubUnavailable(TimeoutError):
    """No reply from the hub after every try."""


def new_command_id(source: str) -> str:
    return f"{source}-{uuid.uuid4().hex}"


class HubClient:
    def __init__(self, cfg: SiteConfig, component: str, *, subscriptions: tuple[str, ...] = (),
                 on_message=None, on_connect=None):
        self._other = on_message
        self._slots: dict[bytes, dict] = {}
        self._lock = threading.Lock()
        self._seq = itertools.count()
        self.link = Link(cfg, component, on_message=self._message, on_connect=on_connect,
                         subscriptions=subscriptions)
        who = cfg.mqtt.username or self.link.client_id
        self.reply_topic = self.link.topics.reply(who)
        self.link.subscriptions = (*subscriptions, f"{self.reply_topic}/#")
        self.t = self.link.topics

    def start(self, wait: float | None = 10.0) -> HubClient:
        self.link.start()
        if wait is not None and not self.link.connected.wait(wait):
            raise HubUnavailable(f"no MQTT connection within {wait}s")
        return self

    def stop(self) -> None:
        self.link.stop()

    def request(self, topic: str, body: dict, timeout: float = 5.0, tries: int = 3) -> dict:
        """Send and wait for the reply; resend the very same body up to ``tries`` times."""
        corr = f"{uuid.uuid4().hex[:16]}-{next(self._seq)}".encode()
        slot = {"ev": threading.Event(), "reply": None}
        with self._lock:
            self._slots[corr] = slot
        props = Properties(PacketTypes.PUBLISH)
        props.ResponseTopic = f"{self.reply_topic}/r"
        props.CorrelationData = corr
        props.MessageExpiryInterval = REQUEST_EXPIRY_S
        try:
            for _ in range(max(1, tries)):
                self.link.publish(topic, body, properties=props)
                if slot["ev"].wait(timeout):
                    return slot["reply"]
            raise HubUnavailable(f"no reply on {topic} after {tries} tries of {timeout}s")
        finally:
            with self._lock:
                self._slots.pop(corr, None)

    # --- convenience for the requests of SPEC section 4 ----------------------------------
    def issue(self, service: str, *, priority: bool = False, confirm: bool = False, source: str = "",
              command_id: str | None = None, **kw) -> dict:
        body = {"service": service, "priority": priority, "confirm": confirm, "source": source or
                self.link.component, "command_id": command_id or new_command_id(self.link.component)}
        return self.request(self.t.issue, body, **kw)

    def command(self, counter: str, action: str, *, command_id: str | None = None, **fields) -> dict:
        kw = {k: fields.pop(k) for k in ("timeout", "tries") if k in fields}
        body = {"action": action, "command_id": command_id or new_command_id(self.link.component), **fields}
        return self.request(self.t.counter_command(counter), body, **kw)

    def _message(self, msg) -> None:
        if msg.topic.startswith(self.reply_topic + "/"):
            corr = getattr(msg.properties, "CorrelationData", None)
            with self._lock:
                slot = self._slots.get(bytes(corr)) if corr is not None else None
            if slot is not None and not slot["ev"].is_set():
                try:
                    slot["reply"] = json.loads(msg.payload)
                except ValueError:
                    slot["reply"] = {"ok": False, "error": {"code": "bad_reply", "message": "not JSON"}}
                slot["ev"].set()
            return
        if self._other is not None:
            self._other(msg)
