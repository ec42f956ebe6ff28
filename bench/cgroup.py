"""One cgroup for every process of a board, limited like the board (SPEC 9's commune centre: 1 GB
and one core, about a Raspberry Pi 4), for a benchmark to run a whole hall inside and read back
its peak memory and how often the core's quota held it back.

cgroup v1 (this build machine: hybrid, the controllers on v1) or v2 (a unified hierarchy),
detected. The cgroup is made next to the one this process is in (v1: inside it, v2: beside it, as
v2 puts processes only in leaves), so a session's own limits still hold over it. Needs root."""
from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")
PERIOD_US = 100_000


class CgroupError(RuntimeError):
    """The board's cgroup cannot be made here (not root, no such controller): said in words."""


@dataclass
class Layout:
    """Where a cgroup's files are: its folders (one per v1 hierarchy, one in v2), the limits written
    when it is made, its counters, and the ``cgroup.procs`` this process came from."""
    dirs: list[Path]
    settings: list[tuple[Path, str]]
    peak: Path
    current: Path
    cpu_stat: Path
    events: Path
    cpus: str
    home: list[Path] = field(default_factory=list)


def own_paths() -> dict[str, str]:
    """This process's cgroup in each hierarchy: controller (``""`` for v2) -> path."""
    out: dict[str, str] = {}
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        for c in controllers.split(",") if controllers else [""]:
            out[c] = path
    return out


def first_cpu(cpus: str) -> str:
    """The first CPU of a list such as ``0-1,4``."""
    return cpus.strip().split(",")[0].split("-")[0]


def v1_layout(name: str, memory: int, cores: int) -> Layout:
    own = own_paths()
    missing = [c for c in ("memory", "cpu", "cpuset") if c not in own or not (ROOT / c).is_dir()]
    if missing:
        raise CgroupError(f"không có bộ điều khiển cgroup {', '.join(missing)} / no cgroup controller {missing}")
    d = {c: ROOT / c / own[c].lstrip("/") / name for c in ("memory", "cpu", "cpuset")}
    parent_cpus = (d["cpuset"].parent / "cpuset.effective_cpus").read_text()
    cpus = ",".join(str(int(first_cpu(parent_cpus)) + i) for i in range(cores))
    return Layout(list(d.values()), [
        (d["memory"] / "memory.limit_in_bytes", str(memory)),
        (d["cpu"] / "cpu.cfs_period_us", str(PERIOD_US)), (d["cpu"] / "cpu.cfs_quota_us", str(PERIOD_US * cores)),
        (d["cpuset"] / "cpuset.cpus", cpus),
        (d["cpuset"] / "cpuset.mems", (d["cpuset"].parent / "cpuset.effective_mems").read_text().strip())],
        d["memory"] / "memory.max_usage_in_bytes", d["memory"] / "memory.usage_in_bytes", d["cpu"] / "cpu.stat",
        d["memory"] / "memory.oom_control", cpus, [p.parent / "cgroup.procs" for p in d.values()])


def v2_layout(name: str, memory: int, cores: int) -> Layout:
    here = ROOT / own_paths()[""].lstrip("/")
    d = (here.parent if here != ROOT else here) / name
    for controller in ("memory", "cpu", "cpuset"):           # each on its own: one missing spoils none
        with contextlib.suppress(OSError):
            (d.parent / "cgroup.subtree_control").write_text(f"+{controller}")
    effective = d.parent / "cpuset.cpus.effective"
    first = int(first_cpu(effective.read_text() if effective.exists() else "0"))
    cpus = ",".join(str(first + i) for i in range(cores))
    return Layout([d], [(d / "memory.max", str(memory)), (d / "cpu.max", f"{PERIOD_US * cores} {PERIOD_US}"),
                        (d / "cpuset.cpus", cpus)],
                  d / "memory.peak", d / "memory.current", d / "cpu.stat", d / "memory.events", cpus,
                  [here / "cgroup.procs"])


class BoardCgroup:
    """``memory`` bytes and ``cores`` whole cores (pinned, and capped by the CPU quota)."""

    def __init__(self, memory: int, cores: int = 1, name: str | None = None):
        self.name = name or f"motcua-board-{os.getpid()}"
        unified = (ROOT / "cgroup.controllers").exists()
        self.layout = (v2_layout if unified else v1_layout)(self.name, memory, cores)
        self.peak_seen = 0

    def create(self) -> BoardCgroup:
        try:
            for d in self.layout.dirs:
                d.mkdir(exist_ok=True)
            for path, value in self.layout.settings:
                if path.exists():
                    path.write_text(value)
                elif not path.name.startswith("cpuset."):       # without cpuset: the CPU quota alone
                    raise CgroupError(f"cgroup {self.name}: không có {path.name} / no {path.name} (controller off)")
        except OSError as e:
            raise CgroupError(f"không tạo được cgroup {self.name} (cần quyền root) / cannot make the cgroup: {e}") \
                from e
        return self

    @contextlib.contextmanager
    def joined(self) -> Iterator[None]:
        """This process inside while the block runs, so every process it starts there is born inside
        (and stays); then back where it was, so the measuring clients are not on the board."""
        self._move([d / "cgroup.procs" for d in self.layout.dirs])
        try:
            yield
        finally:
            self._move(self.layout.home)

    @staticmethod
    def _move(procs: list[Path]) -> None:
        for p in procs:
            p.write_text(str(os.getpid()))

    def cpus(self) -> set[int]:
        """The CPUs the board's processes may run on."""
        return {int(x) for x in self.layout.cpus.split(",")}

    def pids(self) -> list[int]:
        return [int(x) for x in (self.layout.dirs[0] / "cgroup.procs").read_text().split()]

    def peak_mb(self) -> float:
        """The most memory the board's processes held at once (v2 before 5.19 has no ``memory.peak``:
        the largest ``memory.current`` seen by ``sample()``)."""
        if self.layout.peak.exists():
            return int(self.layout.peak.read_text()) / 2**20
        return self.peak_seen / 2**20

    def sample(self) -> None:
        self.peak_seen = max(self.peak_seen, int(self.layout.current.read_text()))

    def counters(self) -> dict[str, int]:
        """``cpu.stat`` (periods, throttled) and the OOM kills, as the kernel counts them."""
        out = {}
        for path in (self.layout.cpu_stat, self.layout.events):
            for line in path.read_text().splitlines():
                k, _, v = line.partition(" ")
                if v.strip().isdigit():
                    out[k] = int(v)
        return out

    def remove(self) -> None:
        """Gone once its processes are (a process still inside keeps it, said by the error)."""
        for d in self.layout.dirs:
            with contextlib.suppress(FileNotFoundError):
                d.rmdir()
