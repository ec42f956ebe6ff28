"""The real parts a hall is tried with, shared by the tests, the benchmarks and the demo: a mosquitto
of its own on a free port, socat's pseudo-terminal pairs, site files, the hub and the bridge as
real processes, and a spy that records what the broker carries. Nothing here is a fake."""
from __future__ import annotations

import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A port to listen on later, below the kernel's ephemeral range: a port the kernel hands out
    (bind to 0) can be taken meanwhile as the source port of any outgoing connection — the hub's,
    a client's — and the server started a moment later finds it in use."""
    rng = random.Random()
    for _ in range(200):
        port = rng.randint(20000, 32000)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise OSError("no free port in 20000-32000")


def wait_for(pred, timeout: float = 5.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.02)


class Broker:
    """mosquitto in the foreground with our own config, killed by PID."""

    def __init__(self, workdir: Path, extra: str = ""):
        self.workdir, self.port = Path(workdir), free_port()
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.conf = self.workdir / "mosquitto.conf"
        self.conf.write_text(f"listener {self.port} 127.0.0.1\npersistence false\nmax_queued_messages 0\n"
                             f"set_tcp_nodelay true\nlog_dest stdout\nuser root\n"
                             + (extra or "allow_anonymous true\n"))
        self.proc = None

    def start(self) -> Broker:
        exe = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        self.proc = subprocess.Popen([exe, "-c", str(self.conf)], stdout=open(self.workdir / "broker.log", "ab"),
                                     stderr=subprocess.STDOUT)
        wait_for(lambda: _listening(self.port), 5, "mosquitto to listen")
        return self

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)


def _listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        return True
    except OSError:
        return False


def service(id, prefix="", first=1, last=999, **kw) -> dict:
    return {"id": id, "name": {"vi": f"Dịch vụ {id}", "en": f"Service {id}"}, "prefix": prefix,
            "first": first, "last": last, **kw}


def counter(id, services) -> dict:
    return {"id": str(id), "name": {"vi": f"Quầy {id}", "en": f"Counter {id}"}, "services": list(services)}


def site_data(tmp: Path, port: int = 1883, **sections) -> dict:
    data = {
        "site": {"id": f"t-{uuid.uuid4().hex[:8]}", "name": "Trung tâm Phục vụ hành chính công thử nghiệm",
                 "timezone": "Asia/Ho_Chi_Minh", "day_starts_at": "00:00"},
        "mqtt": {"host": "127.0.0.1", "port": port, "topic_root": "motcua"},
        "hub": {"database": str(tmp / "hub.sqlite3"), "default_service_minutes": 5},
        "priority": {"mode": "first"},
        "services": [service("LAND", "A"), service("JUST", "B")],
        "counters": [counter(1, ["LAND"]), counter(2, ["JUST"]), counter(3, ["LAND", "JUST"])],
    }
    data.update(sections)
    return data


def write_site(tmp: Path, data: dict, name: str = "site.yaml") -> Path:
    p = Path(tmp) / name
    p.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return p


def env() -> dict:
    e = dict(os.environ)
    e.update({"PYTHONUNBUFFERED": "1", "KIVY_NO_ARGS": "1"})
    return e


class HubProcess:
    """``python -m motcua.hub`` as a real process."""

    def __init__(self, config: Path, log: Path):
        self.config, self.log, self.proc = config, log, None

    def start(self) -> HubProcess:
        self.proc = subprocess.Popen([sys.executable, "-m", "motcua.hub", "--config", str(self.config)],
                                     stdout=open(self.log, "ab"), stderr=subprocess.STDOUT, env=env(), cwd=ROOT)
        return self

    def kill(self, sig=signal.SIGKILL) -> int:
        self.proc.send_signal(sig)
        return self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.kill(signal.SIGTERM)


class Spy:
    """A plain paho client that records everything under a filter, and can publish anything."""

    def __init__(self, port: int, flt: str = "#", protocol=None):
        import threading

        import paho.mqtt.client as paho
        self.msgs, self.arrivals, self.lock = [], [], threading.Lock()
        self.c = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=f"spy-{uuid.uuid4().hex[:8]}",
                             protocol=protocol or paho.MQTTv5)
        subscribed = threading.Event()
        self.c.on_message = lambda c, u, m: self._add(m)
        self.c.on_subscribe = lambda *a: subscribed.set()
        self.c.on_connect = lambda c, u, f, rc, p=None: c.subscribe(flt, qos=1)
        self.c.on_socket_open = lambda c, u, sock: sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.c.connect("127.0.0.1", port)
        self.c.loop_start()
        assert subscribed.wait(5), "spy could not subscribe"

    def _add(self, m):
        with self.lock:
            self.msgs.append((m.topic, bytes(m.payload), bool(m.retain), m.properties))
            self.arrivals.append(time.perf_counter())

    def arrival(self, topic: str, nth: int, timeout: float = 5.0) -> float:
        """perf_counter() when the nth (0-based) message on topic arrived, waiting for it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                times = [a for (t, *_), a in zip(self.msgs, self.arrivals, strict=True) if t == topic]
            if len(times) > nth:
                return times[nth]
            time.sleep(0.002)
        raise AssertionError(f"no message #{nth} on {topic} within {timeout}s")

    def on(self, topic: str) -> list[dict | str]:
        import json
        with self.lock:
            out = []
            for t, p, _, _ in self.msgs:
                if t == topic:
                    try:
                        out.append(json.loads(p))
                    except ValueError:
                        out.append(p.decode("utf-8", "replace"))
            return out

    def publish(self, topic, payload: bytes, properties=None):
        self.c.publish(topic, payload, qos=1, properties=properties).wait_for_publish(5)

    def close(self):
        self.c.loop_stop()
        self.c.disconnect()


class PtyPair:
    """socat's two linked pseudo-terminals: the bridge opens ``a``, the keypad ``b``."""

    def __init__(self, workdir: Path, name: str = "tty"):
        self.a, self.b = Path(workdir) / f"{name}A", Path(workdir) / f"{name}B"
        self.proc = None

    def start(self) -> PtyPair:
        self.proc = subprocess.Popen(["socat", f"pty,raw,echo=0,link={self.a}", f"pty,raw,echo=0,link={self.b}"],
                                     stderr=subprocess.DEVNULL)
        wait_for(lambda: self.a.exists() and self.b.exists(), 5, "socat's pty pair")
        time.sleep(0.05)
        return self

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(5)


class BridgeProcess(HubProcess):
    """``python -m firmware_bridge`` as a real process."""

    def __init__(self, config: Path, log: Path, ident: str = "b1"):
        super().__init__(config, log)
        self.ident = ident

    def start(self) -> BridgeProcess:
        self.proc = subprocess.Popen([sys.executable, "-m", "firmware_bridge", "--config", str(self.config),
                                      "--id", self.ident], stdout=open(self.log, "ab"), stderr=subprocess.STDOUT,
                                     env=env(), cwd=ROOT)
        return self


class GammuSmsd:
    """Debian's gammu-smsd on Gammu's dummy phone: the real daemon and its files backend, with a
    folder for a modem. ``unplug()`` takes the phone's folder away, as a pulled USB modem would."""

    def __init__(self, workdir: Path):
        self.dir = Path(workdir)
        self.phone = self.dir / "phone"
        self.inbox, self.outbox = self.dir / "inbox", self.dir / "outbox"
        self.sent, self.error = self.dir / "sent", self.dir / "error"
        for d in (self.inbox, self.outbox, self.sent, self.error, *(self.phone / "sms" / str(i) for i in range(1, 6))):
            d.mkdir(parents=True, exist_ok=True)
        self.config = self.dir / "smsdrc"
        self.config.write_text(
            f"[gammu]\nmodel = dummy\nconnection = none\ndevice = {self.phone}/\n\n"
            f"[smsd]\nservice = files\ninboxpath = {self.inbox}/\noutboxpath = {self.outbox}/\n"
            f"sentsmspath = {self.sent}/\nerrorsmspath = {self.error}/\nlogfile = {self.dir}/smsd.log\n"
            "debuglevel = 1\nCheckSecurity = 0\nReceiveFrequency = 1\nLoopSleep = 1\nCommTimeout = 1\n"
            "MaxRetries = 1\n")
        self.proc = None

    def start(self) -> GammuSmsd:
        exe = shutil.which("gammu-smsd") or "/usr/bin/gammu-smsd"
        self.proc = subprocess.Popen([exe, "-c", str(self.config)], stdout=subprocess.DEVNULL,
                                     stderr=open(self.dir / "smsd.stderr", "ab"))
        wait_for(lambda: subprocess.run(["gammu-smsd-monitor", "-c", str(self.config), "-n", "1", "-d", "0"],
                                        capture_output=True).returncode == 0, 10, "gammu-smsd to run")
        return self

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)

    def receive(self, phone: str, text: str) -> None:
        """A citizen's SMS arriving at the modem (the dummy phone's inbox, as Gammu's own tests do)."""
        folder = self.phone / "sms" / "1"       # past the highest left: the daemon deletes as it reads, any order
        n = max((int(p.name) for p in folder.iterdir() if p.name.isdigit()), default=0) + 1
        hex_text = text.encode("utf-16-be").hex().upper()
        tmp = folder / f".{n}.tmp"               # whole when the daemon sees it
        tmp.write_text(f"[SMSBackup000]\nNumber = \"{phone}\"\nText00 = {hex_text}\nCoding = Default\n"
                       "Folder = 1\nSent = 20261203T090000\nState = UnRead\n", encoding="utf-8")
        tmp.rename(folder / str(n))


def tls_certificates(workdir: Path) -> tuple[Path, Path, Path]:
    """docs/deployment.md's recipe with openssl: a CA, and a broker certificate for localhost and
    127.0.0.1 signed by it. (ca.crt, broker.crt, broker.key) in ``workdir``."""
    def ssl(*args):
        subprocess.run(["openssl", *args], cwd=workdir, check=True, capture_output=True)
    ssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30", "-subj", "/CN=motcua CA",
        "-keyout", "ca.key", "-out", "ca.crt")
    ssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-keyout", "broker.key", "-out", "broker.csr")
    (Path(workdir) / "san.ext").write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    ssl("x509", "-req", "-in", "broker.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-days", "30",
        "-extfile", "san.ext", "-out", "broker.crt")
    return tuple(Path(workdir) / n for n in ("ca.crt", "broker.crt", "broker.key"))
