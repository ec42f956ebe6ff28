"""The hub's databases copied by Litestream over SFTP to "another board" (a real OpenSSH sshd of the test's own on
127.0.0.1, its own host key pinned in the site file), brought back on a new card with ``--restore``, and a board that
goes away and comes back told on ``status/replica``: the real litestream binary, sshd, hub and broker."""
import getpass
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from devtools.testbed import HubProcess, Spy, free_port, site_data, wait_for, write_site
from motcua import config
from motcua.followup.outbox import Outbox
from motcua.hubclient import HubClient
from tests.motcua.hub.test_replica import (
    FOLLOWUP,
    a_busy_minute,
    copy_caught_up,
    details,
    numbering_goes_on,
    restore_onto_a_new_card,
)

SSHD = "/usr/sbin/sshd"
pytestmark = pytest.mark.skipif(shutil.which("ssh-keygen") is None or not Path(SSHD).is_file(),
                                reason="OpenSSH's sshd is not installed (apt-get install openssh-server)")


def keygen(path: Path) -> Path:
    """A fresh ed25519 key pair without a passphrase: ``path`` and ``path.pub``."""
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True)
    return path


class Sshd:
    """``sshd -D`` on a free port of 127.0.0.1 with a config, a host key and an authorized key of its own: the other
    board, reached as the user running the tests with the key ``key_file``."""

    def __init__(self, home: Path):
        home.mkdir()
        self.home, self.port, self.proc = home, free_port(), None
        for name in ("host_key", "client_key"):
            keygen(home / name)
        self.key_file = str(home / "client_key")
        self.host_key = (home / "host_key.pub").read_text().strip()
        shutil.copy(home / "client_key.pub", home / "authorized_keys")
        (home / "sshd_config").write_text(
            f"ListenAddress 127.0.0.1\nPort {self.port}\nHostKey {home / 'host_key'}\n"
            f"AuthorizedKeysFile {home / 'authorized_keys'}\nPidFile {home / 'sshd.pid'}\nUsePAM no\n"
            "PasswordAuthentication no\nKbdInteractiveAuthentication no\nPermitRootLogin prohibit-password\n"
            "StrictModes no\nSubsystem sftp internal-sftp\n")
        Path("/run/sshd").mkdir(exist_ok=True)          # its privilege separation folder

    def start(self) -> "Sshd":
        self.proc = subprocess.Popen([SSHD, "-D", "-e", "-f", str(self.home / "sshd_config")],
                                     stdout=open(self.home / "sshd.log", "ab"), stderr=subprocess.STDOUT)
        wait_for(lambda: self.proc.poll() is not None or "Server listening" in self.log(), 10, "sshd to listen")
        if self.proc.poll() is not None:
            pytest.skip(f"sshd cannot be started here: {self.log()[-300:]}")
        return self

    def log(self) -> str:
        return (self.home / "sshd.log").read_text(errors="replace")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


@pytest.fixture
def sshd(tmp_path):
    board = Sshd(tmp_path / "other-board").start()
    yield board
    board.stop()


def sftp_site(tmp_path: Path, port: int, sshd: Sshd, host_key: str | None = None):
    """A site whose one replica is the sshd's folder ``replica`` over SFTP, with the follow-up beside the hub; the
    sshd's own host key pinned unless another is given."""
    data = site_data(tmp_path, port, followup={**FOLLOWUP, "database": str(tmp_path / "followup.sqlite3")})
    data["hub"]["replicas"] = [{"sftp": {"host": "127.0.0.1", "port": sshd.port, "user": getpass.getuser(),
                                         "key_file": sshd.key_file, "host_key": host_key or sshd.host_key,
                                         "path": str(sshd.home / "replica")}, "max_lag_s": 5}]
    return config.load(write_site(tmp_path, data))


def test_the_card_died_and_a_new_card_restored_over_sftp_goes_on_numbering(tmp_path, broker, sshd, replicator):
    cfg = sftp_site(tmp_path, broker.port, sshd)
    target = cfg.hub.replicas[0].target
    spy = Spy(broker.port, f"motcua/{cfg.site.id}/status/#")
    hub = HubProcess(cfg.path, tmp_path / "hub.log").start()
    board = replicator(cfg.path)
    kiosk = HubClient(cfg, "kiosk-k1").start()
    Outbox(cfg.followup.database).set_meta("last_pass", "2026-12-07T10:00:00+07:00")
    told = a_busy_minute(kiosk)
    hub.kill()
    copy_caught_up(spy, cfg)
    board.die()
    assert list((sshd.home / "replica" / "ledger").rglob("*.ltx")), "the copy is on the other board"
    restore_onto_a_new_card(cfg, tmp_path, told, target)
    hub = HubProcess(cfg.path, tmp_path / "hub2.log").start()
    numbering_goes_on(kiosk, told)
    kiosk.stop()
    hub.stop()
    spy.close()


@contextmanager
def copying(tmp_path: Path, cfg, replicator) -> Iterator[tuple[Spy, HubClient]]:
    """The hub, its replica unit and a kiosk that has issued a first ticket; (a spy on the status topics, the kiosk)."""
    spy = Spy(cfg.mqtt.port, f"motcua/{cfg.site.id}/status/#")
    hub = HubProcess(cfg.path, tmp_path / "hub.log").start()
    replicator(cfg.path)
    kiosk = HubClient(cfg, "kiosk-k1").start()
    try:
        kiosk.issue("LAND", timeout=0.5, tries=40)
        yield spy, kiosk
    finally:
        kiosk.stop()
        hub.stop()
        spy.close()


def test_the_other_board_away_is_told_on_status_replica_and_back_when_it_returns(tmp_path, broker, sshd, replicator):
    cfg = sftp_site(tmp_path, broker.port, sshd)
    status = f"motcua/{cfg.site.id}/status/replica"
    with copying(tmp_path, cfg, replicator) as (spy, kiosk):
        wait_for(lambda: details(spy, cfg) and details(spy, cfg)[-1]["problem"] is None
                 and details(spy, cfg)[-1]["last_copy_at"], 60, "a first copy")
        wait_for(lambda: (spy.on(status) or [None])[-1] == "online", 10, "status/replica online")
        sshd.stop()                                       # the other board switched off
        kiosk.issue("LAND", timeout=0.5, tries=40)
        wait_for(lambda: details(spy, cfg)[-1]["problem"] in ("unreachable", "behind"), 60, "the board away told")
        wait_for(lambda: (spy.on(status) or [None])[-1] == "offline", 10, "status/replica offline")
        sshd.start()                                      # back, on the same port with the same keys
        kiosk.issue("LAND", timeout=0.5, tries=40)
        wait_for(lambda: details(spy, cfg)[-1]["problem"] is None and details(spy, cfg)[-1]["lag_s"] == 0, 90,
                 "the copies current again")
        wait_for(lambda: (spy.on(status) or [None])[-1] == "online", 10, "status/replica online again")


def test_a_board_that_is_not_the_pinned_one_gets_no_copy_and_is_told(tmp_path, broker, sshd, replicator):
    other = keygen(tmp_path / "other_host_key")
    cfg = sftp_site(tmp_path, broker.port, sshd, host_key=Path(f"{other}.pub").read_text().strip())
    with copying(tmp_path, cfg, replicator) as (spy, kiosk):
        # Litestream refuses the handshake and exits; the unit starts it again every check and says so
        wait_for(lambda: details(spy, cfg) and details(spy, cfg)[-1]["problem"] in ("stopped", "unreachable"), 60,
                 "a board with another host key told")
        wait_for(lambda: (spy.on(f"motcua/{cfg.site.id}/status/replica") or [None])[-1] == "offline", 10,
                 "status/replica offline")
        assert "host key mismatch" in (tmp_path / "replica.log").read_text(), "the log says why"
        assert not [p for p in (sshd.home / "replica").rglob("*") if p.is_file()], \
            "not one byte of the databases went to a board that could not prove it is the pinned one"
        assert "Accepted publickey" not in sshd.log()
