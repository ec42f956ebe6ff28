"""Fixtures of the hub's tests shared by more than one module: the replica unit as a real process."""
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from devtools.testbed import ROOT, env


class Replicator:
    """``python -m motcua.hub --replicate`` in a session of its own, so that "the board died" kills its
    Litestream children with it, as the power going off would."""

    def __init__(self, cfg_path: Path, log: Path):
        self.proc = subprocess.Popen([sys.executable, "-m", "motcua.hub", "--config", str(cfg_path), "--replicate"],
                                     stdout=open(log, "ab"), stderr=subprocess.STDOUT, env=env(), cwd=ROOT,
                                     start_new_session=True)

    def die(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait(10)


@pytest.fixture
def replicator(tmp_path):
    """start(config) -> a Replicator; whatever is left of it dies at the end of the test."""
    started: list[Replicator] = []

    def start(cfg_path: Path) -> Replicator:
        started.append(Replicator(cfg_path, tmp_path / "replica.log"))
        return started[-1]
    yield start
    for r in started:
        r.die()
