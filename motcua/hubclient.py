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
from collections.abc import Callable

from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from .config import SiteConfig
from .contract import REQUEST_EXPIRY_S
from .link import Link


class HubUnavailable(TimeoutError):
    """No reply from the hub after every try."""


def new_command_id(source: str) -> str:
    """A fresh ``command_id`` under ``source``'s name: the hub answers a repeat of the same id with its first answer, so
    a retry never acts twice."""
    return f"{source}-{uuid.uuid4().hex}"


class HubClient:
    """A process's requests to the hub over MQTT 5 (response topic and correlation data), for kiosks, bridges, the
    follow-up and the console; ``HubUnavailable`` when the hub does not answer in time."""

    def __init__(self, cfg: SiteConfig, component: str, *, subscriptions: tuple[str, ...] = (),
                 on_message=None, on_connect=None, on_disconnect=None, announce: bool = True):
        self._other = on_message
        self._slots: dict[bytes, Callable[[dict], None]] = {}
        self._lock = threading.Lock()
        self._seq = itertools.count()
        self.link = Link(cfg, component, on_message=self._message, on_connect=on_connect,
                         on_disconnect=on_disconnect, subscriptions=subscriptions, announce=announce)
        self.who = cfg.mqtt.username or self.link.client_id
        self.reply_topic = self.link.topics.reply(self.who)
        self.link.subscriptions = (*subscriptions, self.link.topics.replies(self.who))
        self.t = self.link.topics

    def start(self, wait: float | None = 10.0) -> HubClient:
        self.link.start()
        if wait is not None and not self.link.connected.wait(wait):
            raise HubUnavailable(f"no MQTT connection within {wait}s")
        return self

    def stop(self) -> None:
        self.link.stop()

    def submit(self, topic: str, body: dict, on_reply: Callable[[dict], None], corr: bytes | None = None) -> bytes:
        """Publish a request without waiting; ``on_reply`` runs in the network thread when the reply
        comes. Sending again with the same ``corr`` (and body) is a retry of the same request."""
        corr = corr or f"{uuid.uuid4().hex[:16]}-{next(self._seq)}".encode()
        with self._lock:
            self._slots[corr] = on_reply
        props = Properties(PacketTypes.PUBLISH)
        props.ResponseTopic = f"{self.reply_topic}/r"
        props.CorrelationData = corr
        props.MessageExpiryInterval = REQUEST_EXPIRY_S
        self.link.publish(topic, body, properties=props)
        return corr

    def forget(self, corr: bytes) -> None:
        with self._lock:
            self._slots.pop(corr, None)

    def request(self, topic: str, body: dict, timeout: float = 5.0, tries: int = 3) -> dict:
        """Send and wait for the reply; resend the very same body up to ``tries`` times."""
        got: dict = {}
        ev = threading.Event()

        def on_reply(reply: dict) -> None:
            got.setdefault("reply", reply)
            ev.set()

        corr = None
        try:
            for _ in range(max(1, tries)):
                corr = self.submit(topic, body, on_reply, corr)
                if ev.wait(timeout):
                    return got["reply"]
            raise HubUnavailable(f"no reply on {topic} after {tries} tries of {timeout}s")
        finally:
            if corr is not None:
                self.forget(corr)

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
        topic = self.t.parse(msg.topic)
        if topic is not None and topic.kind == "reply" and topic.client == self.who:
            corr = getattr(msg.properties, "CorrelationData", None)
            with self._lock:
                on_reply = self._slots.pop(bytes(corr), None) if corr is not None else None
            if on_reply is not None:
                try:
                    reply = json.loads(msg.payload)
                except ValueError:
                    reply = {"ok": False, "error": {"code": "unavailable", "message": "reply is not JSON"}}
                on_reply(reply if isinstance(reply, dict) else {"ok": False, "error": {
                    "code": "unavailable", "message": "reply is not an object"}})
            return
        if self._other is not None:
            self._other(msg)
