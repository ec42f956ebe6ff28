"""Writing a file whole or not at all, for the files a power cut must never leave half written (the site
file and its versions, the copy a process keeps of it, what first boot writes)."""
from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path


def atomic_write(path: str | Path, text: str, mode: int | None = None) -> None:
    """Temporary file, fsync, rename, fsync of the folder: after a power cut the file is the old one or the
    new. ``mode`` sets the file's mode (None: as ``open`` makes it, the umask deciding; a FAT boot
    partition keeps no modes anyway)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666 if mode is None else mode)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    if mode is not None:
        os.chmod(tmp, mode)
    os.replace(tmp, path)
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def state_directory(environ: Mapping[str, str] | None = None) -> Path | None:
    """The process's own folder from systemd's ``StateDirectory=`` (``$STATE_DIRECTORY``, the first if several), or
    None outside such a unit: an installed process writes there, since /etc/motcua is not its to write."""
    state = ((os.environ if environ is None else environ).get("STATE_DIRECTORY") or "").split(":")[0]
    return Path(state) if state else None
