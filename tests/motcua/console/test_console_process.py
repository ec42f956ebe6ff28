"""The console as systemd runs it (SPEC 10.1, 12.1): its own key and state folders, a watchdog fed
only while it answers its own page with its broker link up, and a restart that shows the day's
last calls at once."""
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from devtools.testbed import ROOT, Broker, Spy, env, site_data, wait_for, write_site
from devtools.web import ConsoleProcess, WebClient, console_section, users
from motcua import config


def test_a_key_it_can_neither_read_nor_make_is_said_with_exit_78(tmp_path):
    (tmp_path / "secrets").write_text("a file where the key's folder should be")
    section = console_section(tmp_path, secret_file=str(tmp_path / "secrets" / "console.key"))
    path = write_site(tmp_path, site_data(tmp_path, console=section, users=users()))
    r = subprocess.run([sys.executable, "-m", "motcua.console", "--config", str(path)], capture_output=True,
                       text=True, env=env(), cwd=ROOT, timeout=60)
    assert r.returncode == 78, r.stderr
    assert "không đọc hoặc tạo được khóa phiên" in r.stderr and "cannot read or make the session key" in r.stderr
    assert str(tmp_path / "secrets" / "console.key") in r.stderr and "Traceback" not in r.stderr


class Notify:
    """systemd's side of NOTIFY_SOCKET: a datagram socket the console writes to."""

    def __init__(self):
        self.path = Path(tempfile.mkdtemp(prefix="sd-")) / "notify"
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(self.path))

    def wait(self, predicate, timeout: float, what: str) -> str:
        """The first message for which ``predicate`` holds, reading for at most ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        try:
            while True:
                self.sock.settimeout(max(0.001, deadline - time.monotonic()))
                got = self.sock.recv(4096).decode()
                if predicate(got):
                    return got
                if time.monotonic() > deadline:
                    raise TimeoutError
        except TimeoutError:
            raise AssertionError(f"no {what} in {timeout} s") from None

    def close(self):
        self.sock.close()


@pytest.fixture
def lone_console(tmp_path):
    """A console on a broker of its own (to take away), with systemd's environment."""
    broker = Broker(tmp_path / "broker").start()
    notify = Notify()
    (tmp_path / "state").mkdir()
    section = console_section(tmp_path, secret_file=str(tmp_path / "secrets" / "console.key"))
    cfg = config.load(write_site(tmp_path, site_data(tmp_path, broker.port, console=section, users=users())))
    console = ConsoleProcess(cfg.path, tmp_path / "console.log", section["public_url"], environ={
        "NOTIFY_SOCKET": str(notify.path), "WATCHDOG_USEC": "1000000", "MOTCUA_DOWN_LIMIT_S": "2",
        "STATE_DIRECTORY": str(tmp_path / "state")}).start()
    yield console, broker, notify
    console.stop()
    notify.close()
    broker.stop()


def test_the_watchdog_is_fed_only_while_the_console_answers_with_its_broker(lone_console):
    console, broker, notify = lone_console
    notify.wait(lambda m: "WATCHDOG=1" in m, 10, "feeding while it answers its own page")
    broker.stop()
    notify.wait(lambda m: "broker link down over 2 s" in m, 15, "the STATUS saying why it stops")
    with pytest.raises(AssertionError):
        notify.wait(lambda m: "WATCHDOG=1" in m, 2.0, "feeding")          # four of its half-periods
    assert WebClient(console.base).get("/login")[0] == 200, "hungry, not dead: systemd restarts it"
    broker.start()
    notify.wait(lambda m: "WATCHDOG=1" in m, 15, "feeding again once the broker is back")


def test_the_watchdog_stops_while_the_console_cannot_answer_its_own_page(lone_console):
    """Wedged with its broker link up: the console may open only a few more files (prlimit on the
    running process) and idle connections take them all, so its own ``/healthz`` gets no answer:
    the watchdog goes hungry and STATUS says why; the connections gone, it is fed again."""
    console, _, notify = lone_console
    notify.wait(lambda m: "WATCHDOG=1" in m, 10, "feeding while it answers its own page")
    pid = console.proc.pid
    room = len(list(Path(f"/proc/{pid}/fd").iterdir())) + 8
    subprocess.run(["prlimit", f"--pid={pid}", f"--nofile={room}:{room}"], check=True)
    host, port = console.base.split("://", 1)[1].split(":")
    idle = [socket.create_connection((host, int(port)), timeout=5) for _ in range(20)]   # the backlog takes the rest
    try:
        notify.wait(lambda m: "does not answer its own page" in m, 15, "the STATUS saying why it stops")
        with pytest.raises(AssertionError):
            notify.wait(lambda m: "WATCHDOG=1" in m, 2.0, "feeding")          # four of its half-periods
        assert console.proc.poll() is None, "hungry, not dead: systemd restarts it"
    finally:
        for c in idle:
            c.close()
    notify.wait(lambda m: "WATCHDOG=1" in m, 15, "feeding again once it answers")
    assert WebClient(console.base).get("/login")[0] == 200
    said = console.log.read_text(encoding="utf-8")
    assert said.count("cannot accept connections") == 1, "said once, not a traceback per try (CPython gh-151615)"
    assert "socket.accept() out of system resource" not in said


def test_logouts_are_kept_in_systemds_state_folder(lone_console, tmp_path):
    console, _, _ = lone_console
    web = WebClient(console.base)
    assert web.login("giamsat") == 303
    assert web.post("/logout", {"csrf": web.csrf("/hall")})[0] == 303
    assert (tmp_path / "state" / "console-logouts").read_text().count(" ") == 1
    assert (tmp_path / "secrets" / "console.key").exists(), "the key made where none was"
    assert not (tmp_path / "secrets" / "console-logouts").exists(), "nothing written among the secrets"


def test_a_restarted_console_shows_the_days_last_calls(hall):
    spy = Spy(hall.cfg.mqtt.port, hall.client.t.calls_recent)
    a, b = (hall.client.issue("LAND")["ticket"] for _ in range(2))
    hall.client.command("1", "next")
    hall.client.command("1", "done")            # counter 1 idle again: only the hub's list remembers A
    wait_for(lambda: any(c["ticket"] == a["label"] for m in spy.on(hall.client.t.calls_recent) for c in m["calls"]),
             5, "the hub's retained calls/recent")
    spy.close()
    hall.console.stop()
    hall.console.start()
    boss = WebClient(hall.base)
    assert boss.login("giamsat") == 303

    def last_calls() -> str:
        page = boss.get("/hall")[2].decode()
        return re.search(r'<ol class="calls">(.*?)</ol>', page, re.S).group(1)
    wait_for(lambda: a["label"] in last_calls(), 10, "the last call on the live hall")
    assert "Quầy 1" in last_calls()
    _, _, phone = WebClient(hall.base).get(f"/t/{b['id'].split('-')[0]}/{b['label']}")
    serving = re.search(r'<section class="serving">(.*?)</section>', phone.decode(), re.S).group(1)
    assert f"<b>{a['label']}</b> → Quầy 1" in serving, "the phone page's numbers now serving"
