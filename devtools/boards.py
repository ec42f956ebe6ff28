"""Boards of a hall as network namespaces on one machine (SPEC 14): the takeover test's and bench's rig.

A namespace ``<tag>lan`` holds the hall's switch (a bridge); each board is a namespace with a veth
``eth0`` to it. Boards ``a`` (the hub's) and ``b`` (the standby) each run mosquitto, keepalived
with the shipped config (config/keepalived/keepalived.conf, its CHANGE lines set) and the shipped
notify script, which starts the hub and its replica, or the standby, as the board's processes.
Each board's Litestream copies into a folder of the other (a small filesystem of its own, standing
for the SFTP target). Namespace ``c`` holds the hall's clients (devtools/hall_sim.py). ``cut``
is a board dying: its link down and every process in its namespace SIGKILLed.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import yaml

from .testbed import ROOT, site_data, wait_for

SUBNET = "10.77.{}.{}"
VIP_HOST = 10
PORT = 1883


def run(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(list(args), capture_output=True, text=True, check=check, timeout=30)


def netns_allowed() -> str | None:
    """None when this machine lets us make network namespaces and run keepalived in them, else why not."""
    if os.geteuid() != 0:
        return "network namespaces need root"
    for tool in ("ip", "keepalived", "mosquitto"):
        if run("sh", "-c", f"command -v {tool} || test -x /usr/sbin/{tool}", check=False).returncode != 0:
            return f"{tool} is not installed"
    probe = f"motcua-probe-{os.getpid()}"
    if run("ip", "netns", "add", probe, check=False).returncode != 0:
        return "ip netns add is not allowed here"
    run("ip", "netns", "del", probe, check=False)
    return None


class Board:
    """One board: its namespace, files, and the processes it starts (all of them die with it in ``cut``)."""

    def __init__(self, hall: Hall, name: str, host: int, priority: int):
        self.hall, self.name, self.priority = hall, name, priority
        self.ns = f"{hall.tag}{name}"
        self.ip = hall.address(host)
        self.dir = hall.workdir / name
        self.inbox = self.dir / "replica"          # where the OTHER board's Litestream copies into
        self.procs: list[subprocess.Popen] = []

    def sh(self, *args: str, **kw) -> subprocess.Popen:
        """A process in this board's namespace, in a session of its own, logging to the board's folder."""
        log = open(self.dir / f"{Path(args[0]).name}.log", "ab")
        p = subprocess.Popen(["ip", "netns", "exec", self.ns, *args], stdout=log, stderr=subprocess.STDOUT,
                             cwd=ROOT, start_new_session=True, **kw)
        self.procs.append(p)
        return p

    def files(self, site: dict, other: Board) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        self.inbox.mkdir(exist_ok=True)
        run("mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(self.inbox))
        hub = {"database": str(self.dir / "db" / "hub.sqlite3"), "default_service_minutes": 5,
               "replicas": [{"path": str(other.inbox), "max_lag_s": 10}]}
        self.site = self.dir / "site.yaml"
        self.site.write_text(yaml.safe_dump({**site, "hub": hub}, allow_unicode=True, sort_keys=False))
        (self.dir / "mosquitto.conf").write_text(f"listener {PORT} 0.0.0.0\npersistence false\nallow_anonymous true\n"
                                                 "max_queued_messages 0\nlog_dest stdout\nuser root\n")
        self._scripts()
        self._keepalived()

    def _scripts(self) -> None:
        py, d = sys.executable, self.dir
        spawn = ('cd {root}\nsetsid {py} -m motcua.hub --config {site} {args} >> {d}/{what}.log 2>&1 < /dev/null &\n'
                 'echo $! > {d}/{what}.pid')
        kill = ('for w in {whats}; do [ -f {d}/$w.pid ] && kill -9 -$(cat {d}/$w.pid) 2>/dev/null; '   # its group
                'rm -f {d}/$w.pid; done; true')
        fmt = {"root": ROOT, "py": py, "site": self.site, "d": d}
        # as systemctl start and stop: starting what runs already starts nothing more
        stop, stop_standby = kill.format(whats="hub replicate", d=d), kill.format(whats="standby", d=d)
        (d / "start.sh").write_text("\n".join([
            stop, spawn.format(**fmt, args="", what="hub"), spawn.format(**fmt, args="--replicate", what="replicate"),
            ""]))
        (d / "stop.sh").write_text(stop + "\n")
        (d / "standby-start.sh").write_text(stop_standby + "\n" + spawn.format(
            **fmt, args=f"--standby --from {self.inbox}", what="standby") + "\n")
        (d / "standby-stop.sh").write_text(stop_standby + "\n")
        notify = d / "notify.sh"
        notify.write_text(f"""#!/bin/sh
echo "$3 $(date +%s.%N)" >> {d}/states.log
export MOTCUA_PYTHON={py} MOTCUA_CONFIG={self.site} MOTCUA_REPLICA_FROM={self.inbox} MOTCUA_AS=
export MOTCUA_START="sh {d}/start.sh" MOTCUA_STOP="sh {d}/stop.sh"
export MOTCUA_STANDBY_START="sh {d}/standby-start.sh" MOTCUA_STANDBY_STOP="sh {d}/standby-stop.sh"
cd {ROOT} && exec sh {ROOT}/config/keepalived/motcua-notify.sh "$@" >> {d}/notify.log 2>&1
""")
        notify.chmod(0o755)

    def _keepalived(self) -> None:
        text = (ROOT / "config" / "keepalived" / "keepalived.conf").read_text()
        for old, new in (("router_id motcua-hub", f"router_id motcua-hub-{self.name}"),
                         ("interface eth0", "interface eth0"),
                         ("virtual_router_id 51", f"virtual_router_id {self.hall.vrid}"),
                         ("priority 100", f"priority {self.priority}"),
                         ("192.168.1.10/24", f"{self.hall.vip}/24"),
                         ("/etc/keepalived/motcua-notify.sh", str(self.dir / "notify.sh"))):
            assert old in text, old
            text = text.replace(old, new)
        (self.dir / "keepalived.conf").write_text(text)

    def boot(self) -> None:
        """Power on: the broker and keepalived (which starts the hub or the standby through its notify script)."""
        run("ip", "-n", self.ns, "link", "set", "eth0", "up")
        self.sh("mosquitto", "-c", str(self.dir / "mosquitto.conf"))
        d = self.dir
        self.sh("keepalived", "-n", "-l", "-D", "-f", str(d / "keepalived.conf"), "-p", str(d / "keepalived.pid"),
                "-r", str(d / "vrrp.pid"), "-c", str(d / "checkers.pid"))

    def cut(self) -> None:
        """The board dies: its link down, then every process in its namespace killed at once."""
        self.unplug()
        self.kill_all()

    def unplug(self) -> None:
        """Its cable pulled: the board and its processes live on, cut off from the hall."""
        run("ip", "-n", self.ns, "link", "set", "eth0", "down")

    def plug(self) -> None:
        run("ip", "-n", self.ns, "link", "set", "eth0", "up")

    def kill_all(self) -> None:
        pids = run("ip", "netns", "pids", self.ns, check=False).stdout.split()
        for pid in pids:
            try:
                os.kill(int(pid), signal.SIGKILL)
            except (ProcessLookupError, ValueError):
                pass
        for p in self.procs:
            p.wait(10)
        self.procs = []

    def states(self) -> list[tuple[str, float]]:
        """keepalived's states as the notify script saw them: (state, when)."""
        path = self.dir / "states.log"
        lines = path.read_text().split("\n") if path.exists() else []
        return [(s, float(t)) for s, t in (line.split() for line in lines if line.strip())]

    def running(self, what: str) -> bool:
        """Whether a ``hub``, ``replicate`` or ``standby`` process lives in the board's namespace (read from the
        processes themselves, not from what the scripts noted)."""
        for pid in run("ip", "netns", "pids", self.ns, check=False).stdout.split():
            try:
                args = Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")
            except OSError:
                continue
            if "motcua.hub" in args and "--take-over" not in args:
                role = "replicate" if "--replicate" in args else "standby" if "--standby" in args else "hub"
                if role == what:
                    return True
        return False

    def holds_vip(self) -> bool:
        return self.hall.vip in run("ip", "-n", self.ns, "-4", "addr", "show", "dev", "eth0", check=False).stdout


class Hall:
    """The hall's LAN and its boards; ``close`` kills every process in them and removes them."""

    def __init__(self, workdir: Path, tag: str, net: int = 77):
        self.workdir, self.tag, self.net = Path(workdir), tag, net
        self.vrid = 10 + net % 200
        self.vip = self.address(VIP_HOST)
        self.lan = f"{tag}lan"
        self.a, self.b = Board(self, "a", 1, 100), Board(self, "b", 2, 90)
        self.c = Board(self, "c", 3, 0)
        self.namespaces: list[str] = []

    def address(self, host: int) -> str:
        return SUBNET.format(self.net, host)

    def up(self) -> Hall:
        self._ns(self.lan)
        run("ip", "-n", self.lan, "link", "add", "br0", "type", "bridge", "mcast_snooping", "0")
        run("ip", "-n", self.lan, "link", "set", "br0", "up")
        for board in (self.a, self.b, self.c):
            self._ns(board.ns)
            inside, outside = f"{board.ns}i", f"{board.ns}o"
            run("ip", "link", "add", inside, "type", "veth", "peer", "name", outside)
            run("ip", "link", "set", inside, "netns", board.ns, "name", "eth0")
            run("ip", "link", "set", outside, "netns", self.lan)
            run("ip", "-n", self.lan, "link", "set", outside, "master", "br0", "up")
            run("ip", "-n", board.ns, "addr", "add", f"{board.ip}/24", "dev", "eth0")
            run("ip", "-n", board.ns, "link", "set", "eth0", "up")
        site = {k: v for k, v in site_data(self.workdir, PORT).items() if k != "hub"}
        # a client notices a hub's board gone when it next sends: within the keepalive (docs/deployment.md)
        site["mqtt"] = {"host": self.vip, "port": PORT, "topic_root": "motcua", "keepalive": 5}
        site["kiosks"] = [{"id": "k1", "printer": {"connection": "directory", "path": str(self.workdir)}}]
        site["displays"] = [{"id": "d1", "counters": ["1", "2", "3"]}]
        self.a.files(site, self.b)
        self.b.files(site, self.a)
        self.c.dir.mkdir(parents=True, exist_ok=True)
        self.c.site = self.c.dir / "site.yaml"
        self.c.site.write_text(yaml.safe_dump({**site, "hub": {"database": str(self.c.dir / "unused.sqlite3")}},
                                              allow_unicode=True, sort_keys=False))
        return self

    def _ns(self, name: str) -> None:
        run("ip", "netns", "add", name)
        self.namespaces.append(name)
        run("ip", "-n", name, "link", "set", "lo", "up")

    def hub_board(self) -> Board | None:
        holders = [b for b in (self.a, self.b) if b.holds_vip()]
        assert len(holders) <= 1, "two boards hold the hub's address"
        return holders[0] if holders else None

    def wait_hub(self, board: Board, timeout: float = 30) -> None:
        wait_for(lambda: board.holds_vip() and board.running("hub"), timeout, f"board {board.name} to be the hub")

    def clients(self, seconds: float, seed: int, out: Path) -> subprocess.Popen:
        return self.c.sh(sys.executable, "-m", "devtools.hall_sim", str(self.c.site), str(seconds), str(seed),
                         str(out), env={**os.environ, "PYTHONUNBUFFERED": "1"})

    def close(self) -> None:
        for board in (self.a, self.b, self.c):
            if board.ns in self.namespaces:
                board.kill_all()
        for board in (self.a, self.b):
            run("umount", "-l", str(board.inbox), check=False)
        for name in reversed(self.namespaces):
            run("ip", "netns", "del", name, check=False)
        self.namespaces = []
