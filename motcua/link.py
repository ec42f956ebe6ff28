"""The one MQTT connection of a motcua process (hub, kiosk, display, bridge).

What every process needs, in one place: MQTT 5 with per-process credentials (environment over the
site file), TLS, ``status/<component>`` online with an ``offline`` last will, resubscribing on every
(re)connect, saying again on every (re)connect what it holds retained (a broker restarted without
persistence has forgotten it; among it what the process saw of today's queue, ``motcua.seen``),
reconnecting within seconds, TCP_NODELAY, an exception in a callback logged and survived, and
stopping for good when the broker refuses the credentials (the process then exits 78 so systemd
does not loop).
"""
from __future__ import annotations

import json
import logging
import math
import os
import socket
import threading
import time
from collections.abc import Callable

import paho.mqtt.client as paho
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from .config import SiteConfig
from .contract import OFFLINE, ONLINE, Topics
from .seen import Seen, follows_hall

log = logging.getLogger(__name__)
REFUSED_CREDENTIALS = {134, 135, 140}   # bad user name or password, not authorised, bad auth method


def _down_limit(environ) -> float:
    """SPEC 10.1's minute; ``MOTCUA_DOWN_LIMIT_S`` shortens it for the tests that watch a watchdog stop."""
    try:
        value = float(environ.get("MOTCUA_DOWN_LIMIT_S", ""))
    except ValueError:
        return 60.0
    return value if 0 < value < math.inf else 60.0


DOWN_LIMIT_S = _down_limit(os.environ)   # a process whose link stays down this long stops feeding its watchdog
STABLE_S = 5.0                           # how long a connection lasts before it counts as a working link


def _stable_s() -> float:
    """``STABLE_S``, or half the limit when a test shortened it below that: a new connection proves itself in time."""
    return min(STABLE_S, DOWN_LIMIT_S / 2)


class Link:
    """A process's one MQTT connection: its status with a last will, reconnects, resubscribes and republishes what it
    keeps retained; ``fatal`` is set when the broker refuses it for good (wrong password), which no retry can fix."""

    def __init__(self, cfg: SiteConfig, component: str, *, subscriptions: tuple[str, ...] = (),
                 on_message: Callable[[paho.MQTTMessage], None] | None = None,
                 on_connect: Callable[[], None] | None = None, on_disconnect: Callable[[], None] | None = None,
                 session_expiry: int = 0, announce: bool = True):
        self.cfg, self.component = cfg, component
        self.topics = Topics(cfg.mqtt.topic_root, cfg.site.id)
        self.subscriptions, self._on_message_cb, self._on_connect_cb = subscriptions, on_message, on_connect
        self._on_disconnect_cb = on_disconnect
        self.session_expiry = session_expiry
        self.announce = announce            # False: a short-lived tool, no status/<component> of its own
        self.connected = threading.Event()
        self._good_at = time.monotonic()     # the last moment the link was proven working (or the process started)
        self._up_since: float | None = None  # when the present connection was made; None while down
        self.fatal: str | None = None       # set when the broker refuses us for good
        self.fatal_event = threading.Event()
        self.retained: dict[str, bytes] = {}   # topic -> what this process last published retained
        self.routes: dict[str, Callable[[paho.MQTTMessage], None]] = {}   # topic -> its own handler (route)
        self._retained_lock = threading.Lock()
        self._stopping = False
        self._threaded = False
        self._thread: threading.Thread | None = None
        self.client_id = f"motcua-{cfg.site.id}-{component}"
        self.client = self._make_client()
        # a process that follows the hall says what it saw of today's queue, for a restored hub (SPEC 14)
        self.seen = Seen(self) if announce and follows_hall(self.topics, subscriptions) else None

    def _make_client(self) -> paho.Client:
        m = self.cfg.mqtt
        c = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=self.client_id, protocol=paho.MQTTv5)
        if m.username:
            c.username_pw_set(m.username, read_password(m.password_file))
        if m.tls is not None:
            c.tls_set(ca_certs=m.tls.ca_file, certfile=m.tls.cert_file, keyfile=m.tls.key_file)
        if self.announce:
            c.will_set(self.topics.status(self.component), OFFLINE, qos=1, retain=True)
        c.reconnect_delay_set(min_delay=1, max_delay=2)
        c.max_inflight_messages_set(1000)
        c.max_queued_messages_set(0)
        c.suppress_exceptions = True           # ours are caught in _guarded; this is for paho's own
        c.on_connect, c.on_disconnect = _guarded(self._connected), _guarded(self._disconnected)
        c.on_message = _guarded(self._message)
        c.on_socket_open = _nodelay
        return c

    def _connect_async(self) -> None:
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = self.session_expiry
        self.client.connect_async(self.cfg.mqtt.host, self.cfg.mqtt.port, keepalive=self.cfg.mqtt.keepalive,
                                  clean_start=self.session_expiry == 0, properties=props)

    def start(self) -> None:
        """Run the network in a thread of its own (for processes whose main thread is busy: Kivy)."""
        self._connect_async()
        self._threaded = True
        self._thread = threading.Thread(target=self.client.loop_forever, kwargs={"retry_first_connection": True},
                                        name=f"mqtt-{self.component}", daemon=True)
        self._thread.start()

    def alive(self) -> bool:
        """Connected, or its network thread still trying: what a watchdog may vouch for."""
        if self.fatal_event.is_set():
            return False
        if self._threaded:
            return self._thread is not None and self._thread.is_alive()
        return self.connected.is_set()

    def down_for(self) -> float:
        """Seconds since the link was last proven working; 0 while a connection that has lasted
        ``STABLE_S`` holds. A connection dropped sooner proves nothing: a process thrown off the
        broker in a loop (its client id taken by another, an ACL kick) is down all along."""
        now = time.monotonic()
        return now - self._working_until(now)

    def vouches(self) -> bool:
        """Alive, and its link proven working within ``DOWN_LIMIT_S`` (SPEC 10.1). The rule: a
        connection counts once it has lasted ``STABLE_S`` (5 s) without a drop, up to the moment it
        drops; reconnecting alone counts for nothing. So a broker restarting restarts nobody, while
        a process cut off, or kicked off again and again, for a minute is restarted by systemd.
        (A silent broker that keeps the connection is caught by MQTT's keepalive, which drops it.)"""
        return self.alive() and self.down_for() < DOWN_LIMIT_S

    def _working_until(self, now: float) -> float:
        """``now`` while the present connection has lasted ``STABLE_S``; else the last moment proven working."""
        up = self._up_since
        return now if up is not None and now - up >= _stable_s() else self._good_at

    def serve(self, stopping: Callable[[], bool], after_io: Callable[[], None], on_tick: Callable[[], None],
              tick_s: float = 1.0) -> bool:
        """Run the network in the calling thread until ``stopping()``; False if the broker refused us.

        One thread then owns the network and the caller's state: a publish goes straight to the
        socket (no hand-off between threads, which costs more than the broker's round trip), and
        ``after_io`` sees every message that one read delivered, so it can commit them together.
        """
        c, self._threaded = self.client, False
        self._connect_async()
        retry_at, delay, next_tick = 0.0, 0.5, 0.0
        while not stopping():
            if self.fatal_event.is_set():
                return False
            now = time.monotonic()
            if now >= next_tick:
                on_tick()
                next_tick = now + tick_s
            if c.socket() is None:
                if now < retry_at:
                    time.sleep(max(0.0, min(retry_at, next_tick) - now))
                    continue
                try:
                    c.reconnect()
                    delay = 0.5
                except OSError as e:
                    log.warning("chưa kết nối được MQTT / cannot reach the broker: %s; retry in %.1fs", e, delay)
                    retry_at, delay = now + delay, min(delay * 2, 2.0)
                    continue
            c.loop(timeout=max(0.0, min(next_tick - time.monotonic(), 1.0)))
            after_io()
        return True

    def stop(self) -> None:
        self._stopping = True
        if self.connected.is_set() and self.announce:
            info = self.publish(self.topics.status(self.component), OFFLINE, retain=True)
            deadline = time.monotonic() + 2
            while not _sent(info) and time.monotonic() < deadline:
                if self._threaded:
                    time.sleep(0.01)
                else:
                    self.client.loop(0.05)
        self.client.disconnect()
        if self._thread is not None:
            self._thread.join(5)

    def publish(self, topic: str, payload, *, retain: bool = False, qos: int = 1,
                properties: Properties | None = None) -> paho.MQTTMessageInfo:
        data = _encode(payload)
        if retain:
            with self._retained_lock:
                self.retained[topic] = data
        return self.client.publish(topic, data, qos=qos, retain=retain, properties=properties)

    def retain(self, topic: str, payload) -> bool:
        """Publish retained only when it differs from what this process holds there; True if sent."""
        with self._retained_lock:
            if self.retained.get(topic) == _encode(payload):
                return False
        self.publish(topic, payload, retain=True)
        return True

    def route(self, topic: str, handler: Callable[[paho.MQTTMessage], None]) -> None:
        """Subscribe to ``topic`` (now and on every reconnect) and hand its messages to ``handler`` rather than to
        ``on_message`` (which still gets it when one of ``subscriptions`` covers it): a concern every process shares
        (the site document, SPEC 2.1) plugs in without each process's own dispatch knowing it."""
        self.routes[topic] = handler
        if self.connected.is_set():
            self.client.subscribe(topic, qos=1)

    # --- paho callbacks (network thread) -----------------------------------------------
    def _connected(self, client, userdata, flags, reason_code, properties=None) -> None:
        if reason_code.is_failure:
            if reason_code.value in REFUSED_CREDENTIALS:
                self.fatal = f"máy chủ MQTT từ chối đăng nhập / broker refused the credentials: {reason_code}"
                log.error(self.fatal)
                self.fatal_event.set()
                client.disconnect()
            else:
                log.warning("MQTT connect failed: %s", reason_code)
            return
        log.info("đã kết nối MQTT / connected to %s:%s", self.cfg.mqtt.host, self.cfg.mqtt.port)
        for topic in (*self.subscriptions, *self.routes):
            client.subscribe(topic, qos=1)
        if self._on_connect_cb is not None:
            self._on_connect_cb()
        mine = self.topics.status(self.component)
        with self._retained_lock:
            again = [(t, d) for t, d in self.retained.items() if t != mine]   # said just below
        for topic, data in again:
            client.publish(topic, data, qos=1, retain=True)
        if self.announce:
            self.publish(self.topics.status(self.component), ONLINE, retain=True)
        self._up_since = time.monotonic()
        self.connected.set()

    def _disconnected(self, client, userdata, flags, reason_code, properties=None) -> None:
        if self.connected.is_set() and not self._stopping:
            log.warning("mất kết nối MQTT / disconnected: %s; reconnecting", reason_code)
        self._good_at = self._working_until(time.monotonic())    # the drop, if the connection had proven itself
        self._up_since = None
        self.connected.clear()
        if self._on_disconnect_cb is not None:
            self._on_disconnect_cb()

    def _message(self, client, userdata, msg) -> None:
        if msg.topic in self.routes:
            self.routes[msg.topic](msg)
            if not any(paho.topic_matches_sub(f, msg.topic) for f in self.subscriptions):
                return                      # the process's own dispatch asked for it too: it gets it as well
        if self._on_message_cb is not None:
            self._on_message_cb(msg)
        if self.seen is not None:
            self.seen.note(msg)


def _sent(info: paho.MQTTMessageInfo) -> bool:
    """Published, or never to be (the connection went while stopping: the last will says offline)."""
    try:
        return info.is_published()
    except (RuntimeError, ValueError):
        return True


def _encode(payload) -> bytes:
    if isinstance(payload, bytes):
        return payload
    if isinstance(payload, str):
        return payload.encode()
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def _guarded(callback: Callable) -> Callable:
    """A callback whose exception is logged, never raised into paho: paho 2 re-raises it, and that
    would end the network thread while the process looks alive."""
    def guarded(*args, **kwargs):
        try:
            return callback(*args, **kwargs)
        except Exception:
            log.exception("lỗi trong xử lý MQTT / error in an MQTT callback (%s); going on", callback.__name__)
    return guarded


def read_password(path: str | None) -> str | None:
    """A secret from its file, without the trailing newline; None for no file. OSError when it cannot be read, which
    callers report as a configuration problem."""
    if not path:
        return None
    with open(path, encoding="utf-8") as f:
        return f.read().strip()


def _nodelay(client, userdata, sock) -> None:
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except (OSError, AttributeError):
        pass
