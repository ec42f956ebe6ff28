"""The screens' watchdog relay under cage: a real relay process between a stand-in for systemd's notify socket and a
stand-in for cage (a shell that starts a program which pings, then wedges), as the kiosk's unit runs them."""
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time

import pytest

from devtools.testbed import ROOT, wait_for
from motcua.appliance.relay import passed_on

# cage's stand-in: the "program" (its child, in cage's process group) says READY, pings the watchdog twice, then
# stops pinging and ignores SIGTERM, as a wedged kiosk would
PROGRAM = textwrap.dedent("""
    import os, signal, socket, sys, time
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    for said in ("READY=1\\nSTATUS=kiosk k1", "WATCHDOG=1", "MAINPID=1\\nWATCHDOG=1"):
        s.sendto(said.encode(), os.environ["NOTIFY_SOCKET"])
        time.sleep(0.2)
    open(sys.argv[1], "w").write(str(os.getpid()))
    time.sleep(3600)
""")
RELAY = "import sys; from pathlib import Path; from motcua.appliance.relay import Relay; " \
        "from motcua.sdnotify import Notifier; sys.exit(Relay(Path(sys.argv[1]), Notifier()).run(sys.argv[2:]))"


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as f:
        return f.read().split(") ")[1][0] != "Z"


@pytest.fixture
def systemd(tmp_path):
    """The notify socket systemd would give the unit: what the relay says there, as a list of datagrams."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(str(tmp_path / "systemd-notify"))
    s.settimeout(0.2)
    got: list[str] = []

    def said() -> list[str]:
        try:
            while True:
                got.append(s.recv(4096).decode())
        except TimeoutError:
            return got
    yield tmp_path / "systemd-notify", said
    s.close()


def start_relay(tmp_path, notify, cage: list[str]) -> subprocess.Popen:
    env = {**os.environ, "NOTIFY_SOCKET": str(notify), "WATCHDOG_USEC": "2000000", "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-c", RELAY, str(tmp_path / "notify"), *cage], env=env, cwd=ROOT)


def test_the_programs_pings_are_said_as_the_relays_and_a_wedged_program_is_ended(tmp_path, systemd):
    notify, said = systemd
    program = tmp_path / "program.py"
    program.write_text(PROGRAM)
    pid_file = tmp_path / "program.pid"
    cage = ["sh", "-c", f'"{sys.executable}" "{program}" "{pid_file}"; exit 7']
    relay = start_relay(tmp_path, notify, cage)
    try:
        wait_for(lambda: len(said()) >= 3 and pid_file.exists() and pid_file.read_text(), 20, "the program's pings")
        assert said()[:3] == ["READY=1\nSTATUS=kiosk k1", "WATCHDOG=1", "WATCHDOG=1"], "MAINPID= is never passed on"
        time.sleep(1.5)
        assert len(said()) == 3, "a wedged program: no more pings, so systemd's watchdog fires"
        program_pid = int(pid_file.read_text())
        relay.send_signal(signal.SIGTERM)          # WatchdogSignal=SIGTERM (cage.conf)
        relay.wait(20)
        assert not alive(program_pid), "the wedged program, which ignores SIGTERM, is gone too"
        assert not (tmp_path / "notify").exists()
    finally:
        relay.kill()


def test_the_relay_ends_with_cage_and_its_exit_status(tmp_path, systemd):
    notify, said = systemd
    relay = start_relay(tmp_path, notify, ["sh", "-c", "exit 3"])
    assert relay.wait(20) == 3, "the technician's exit (RestartPreventExitStatus=3) reaches systemd"
    assert said() == [], "nothing said for it"


def test_only_the_notify_lines_pass():
    assert passed_on(b"READY=1\nMAINPID=42\nSTATUS=ok\nFDSTORE=1") == b"READY=1\nSTATUS=ok"
    assert passed_on(b"MAINPID=42") == b""
