"""SPEC 10.1: each watchdog is fed only by proof of health. The real process runs with a socket in
systemd's place (NOTIFY_SOCKET, a short WATCHDOG_USEC, the one-minute limit shortened through
MOTCUA_DOWN_LIMIT_S): WATCHDOG=1 arrives while it works, goes on while the broker is away for less
than the limit, and stops once the process has been cut off longer, or is alive but not answering."""
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

import paho.mqtt.client as paho
import pytest

from devtools.testbed import ROOT, Broker, PtyPair, counter, env, site_data, wait_for, write_site
from motcua import config
from motcua.acl import acl
from motcua.hubclient import HubClient

LIMIT_S = 5.0        # MOTCUA_DOWN_LIMIT_S for these processes
HUSH_S = 5.0         # longer than the hub's 2 s between answers to itself: the watchdog has stopped


class NotifySocket:
    """systemd's end of sd_notify: a unix datagram socket that records what arrives, and when."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="notify-")       # a short path: unix sockets allow 107 bytes
        self.path = os.path.join(self.dir, "sock")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.sock.settimeout(0.2)
        self.got: list[tuple[float, str]] = []
        self.running = True
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        while self.running:
            try:
                data = self.sock.recv(4096)
            except OSError:
                continue
            self.got += [(time.monotonic(), line) for line in data.decode().splitlines()]

    def env(self) -> dict:
        return {**env(), "NOTIFY_SOCKET": self.path, "WATCHDOG_USEC": "200000", "MOTCUA_DOWN_LIMIT_S": str(LIMIT_S)}

    def times(self, what: str, after: float = 0.0) -> list[float]:
        return [t for t, line in list(self.got) if line == what and t > after]

    def starved(self) -> bool:
        """No WATCHDOG=1 for HUSH_S, where it came every few seconds at most before."""
        pings = self.times("WATCHDOG=1")
        return bool(pings) and time.monotonic() - pings[-1] > HUSH_S

    def close(self) -> None:
        self.running = False
        self.thread.join(2)
        self.sock.close()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def notify():
    n = NotifySocket()
    yield n
    n.close()


def launch(args: list[str], env_: dict, log) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", *args], stdout=open(log, "ab"), stderr=subprocess.STDOUT,
                            env=env_, cwd=ROOT)


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        proc.wait(15)


def fed_then_starved_when_cut_off(notify: NotifySocket, broker: Broker, proc: subprocess.Popen) -> None:
    """Fed while up; still fed a while after the broker goes; silent once cut off past the limit."""
    up = time.monotonic()
    wait_for(lambda: len(notify.times("WATCHDOG=1", after=up)) >= 2, 20, "the watchdog fed")
    broker.stop()
    cut = time.monotonic()
    wait_for(lambda: notify.times("WATCHDOG=1", after=cut + 0.5), LIMIT_S, "the watchdog fed while the broker is away")
    wait_for(notify.starved, LIMIT_S + HUSH_S + 5, "the watchdog to stop")
    assert proc.poll() is None, "alive, but cut off: systemd's watchdog restarts it"


def test_the_hub_is_fed_by_answering_itself_through_the_broker_and_starves_cut_off(tmp_path, notify):
    """Under the broker's generated ACL, logged in as `hub`: its own request goes through."""
    data = site_data(tmp_path, 1883)
    cfg = config.load(write_site(tmp_path, data))
    (tmp_path / "acl").write_text(acl(cfg))
    subprocess.run(["mosquitto_passwd", "-c", "-b", str(tmp_path / "passwd"), "hub", "hub-pw"], check=True)
    (tmp_path / "hub.pw").write_text("hub-pw\n")
    broker = Broker(tmp_path / "b", extra=f"allow_anonymous false\npassword_file {tmp_path / 'passwd'}\n"
                                          f"acl_file {tmp_path / 'acl'}\n").start()
    data["mqtt"].update(port=broker.port, username="hub", password_file=str(tmp_path / "hub.pw"))
    cfg = config.load(write_site(tmp_path, data))
    hub = launch(["motcua.hub", "--config", str(cfg.path)], notify.env(), tmp_path / "hub.log")
    try:
        wait_for(lambda: notify.times("READY=1"), 15, "READY")
        fed_then_starved_when_cut_off(notify, broker, hub)
        broker.start()
        back = time.monotonic()
        wait_for(lambda: notify.times("WATCHDOG=1", after=back), 10, "fed again once it answers itself again")
    finally:
        stop(hub), broker.stop()


def test_a_hub_connected_but_not_hearing_itself_is_not_fed(tmp_path, notify):
    """The broker lets the hub serve every request but never carries its own question: it answers
    kiosks, and still gets no WATCHDOG=1 — no timer vouches for it."""
    data = site_data(tmp_path, 1883)
    (tmp_path / "acl").write_text(f"topic deny motcua/{data['site']['id']}/hub/health\ntopic readwrite #\n")
    broker = Broker(tmp_path / "b", extra=f"allow_anonymous true\nacl_file {tmp_path / 'acl'}\n").start()
    data["mqtt"]["port"] = broker.port
    cfg = config.load(write_site(tmp_path, data))
    hub = launch(["motcua.hub", "--config", str(cfg.path)], notify.env(), tmp_path / "hub.log")
    c = HubClient(cfg, "kiosk-k1").start()
    try:
        assert c.issue("LAND", timeout=0.3, tries=50)["ok"], "it answers others"
        ready = wait_for(lambda: notify.times("READY=1"), 5, "READY")[0]
        time.sleep(HUSH_S)
        assert c.issue("LAND", timeout=3)["ok"]
        assert notify.times("WATCHDOG=1", after=ready) == [], "never fed while connected without proof"
    finally:
        c.stop(), stop(hub), broker.stop()


@contextlib.contextmanager
def a_bridge(tmp_path, notify: NotifySocket):
    """A keypad bridge (one keypad on a pseudo-terminal) on a broker of its own, run as systemd runs it, once READY."""
    line = PtyPair(tmp_path, "l1").start()
    broker = Broker(tmp_path / "b").start()
    data = site_data(tmp_path, broker.port, bridges=[{"id": "b1", "ports": [{"device": str(line.a),
                                                                             "keypads": {5: "1"}}]}])
    cfg = config.load(write_site(tmp_path, data))
    bridge = launch(["firmware_bridge", "--config", str(cfg.path), "--id", "b1"], notify.env(),
                    tmp_path / "bridge.log")
    try:
        wait_for(lambda: notify.times("READY=1"), 15, "READY")
        yield broker, bridge, cfg
    finally:
        stop(bridge), broker.stop(), line.stop()


def test_the_keypad_bridge_is_fed_by_its_loop_while_its_link_is_not_long_down(tmp_path, notify):
    with a_bridge(tmp_path, notify) as (broker, bridge, _):
        fed_then_starved_when_cut_off(notify, broker, bridge)


class Kicker:
    """Another client taking a process's MQTT client id every ``every`` seconds, so the broker throws
    the process off each time (a clash of ids, as a copied board would make)."""

    def __init__(self, port: int, client_id: str, every: float = 0.8):
        self.port, self.client_id, self.every, self.running = port, client_id, every, True
        self.kicks = 0
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while self.running:
            c = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=self.client_id, protocol=paho.MQTTv5)
            try:
                c.connect("127.0.0.1", self.port)
                c.loop(0.2)
                self.kicks += 1
                c.disconnect()
            except OSError:
                pass
            time.sleep(self.every)

    def stop(self) -> None:
        self.running = False
        self.thread.join(5)


def test_a_bridge_thrown_off_the_broker_in_a_loop_is_not_fed(tmp_path, notify):
    """Reconnecting is no proof of a working link: a bridge whose every connection is cut within a
    second starves its watchdog past the limit, and is fed again once its connections hold."""
    with a_bridge(tmp_path, notify) as (broker, bridge, cfg):
        wait_for(lambda: len(notify.times("WATCHDOG=1")) >= 2, 20, "the watchdog fed")
        kicker = Kicker(broker.port, f"motcua-{cfg.site.id}-bridge-b1")
        try:
            wait_for(notify.starved, LIMIT_S + HUSH_S + 5, "the watchdog to stop, thrown off again and again")
            assert kicker.kicks >= 5 and bridge.poll() is None, "alive, reconnecting, and restarted by systemd"
        finally:
            kicker.stop()
        calm = time.monotonic()
        wait_for(lambda: notify.times("WATCHDOG=1", after=calm), 15, "fed again once its connection holds")


@pytest.mark.parametrize("process", ["display_board", "kiosk"])
def test_a_screen_is_fed_by_frames_drawn_while_its_link_is_not_long_down(tmp_path, notify, process):
    broker = Broker(tmp_path / "b").start()
    data = site_data(tmp_path, broker.port, counters=[counter(1, ["LAND"])],
                     displays=[{"id": "hall", "counters": ["1"]}],
                     kiosks=[{"id": "hall", "printer": {"connection": "directory", "path": str(tmp_path)}}])
    cfg = config.load(write_site(tmp_path, data))
    screen = launch([process, "--config", str(cfg.path), "--id", "hall"],
                    {**notify.env(), "SDL_VIDEODRIVER": "offscreen", "KIVY_HOME": str(tmp_path / "kivy")},
                    tmp_path / "screen.log")
    try:
        wait_for(lambda: notify.times("READY=1"), 60, "READY")
        fed_then_starved_when_cut_off(notify, broker, screen)
    finally:
        stop(screen), broker.stop()
