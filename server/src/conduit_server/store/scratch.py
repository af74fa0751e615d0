"""Per-process scratch folders under data_dir/tmp for temp files: upload bodies while they arrive, media fetched
for analysis.

A process killed mid-request (kill -9, OOM) never runs its cleanup, and its partial files would stay forever. So
each process works in its own folder and holds an flock on a file in it for its whole life; the kernel drops the
lock when the process dies, however it dies. At start-up a process removes every folder whose lock it can take,
which are exactly the folders of dead processes: never the files of a live process sharing the data dir.
"""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
import time
import uuid
from pathlib import Path

from conduit_server.store.fsmodes import private_dir

log = logging.getLogger(__name__)

LOCK_NAME = ".owner.lock"
FRESH_SECONDS = 60.0  # a folder without its lock file this young may be one a process is creating right now


def _try_lock(path: Path) -> int | None:
    """An fd holding an exclusive flock on `path`, or None when another process holds it."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


class Scratch:
    """This process's folder under `root`, created (and locked) on first use."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._dir: Path | None = None
        self._lock_fd: int | None = None

    def dir(self) -> Path:
        if self._dir is None:
            path = self.root / f"p{os.getpid()}-{uuid.uuid4().hex[:8]}"
            private_dir(path)  # upload bodies and fetched media: readable by this service's user only
            fd = _try_lock(path / LOCK_NAME)
            assert fd is not None, "a brand-new folder is locked by nobody"
            self._dir, self._lock_fd = path, fd
        return self._dir

    def close(self) -> None:
        """Remove the folder (a clean shutdown); in-flight files of this process go with it."""
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None


def sweep(root: Path) -> int:
    """Remove what dead processes left under `root`: their folders, and loose files (earlier versions wrote
    upload bodies straight into `root`). Returns how many entries were removed."""
    if not root.is_dir():
        return 0
    removed = 0
    for entry in root.iterdir():
        if entry.is_dir() and not entry.is_symlink():
            lock = entry / LOCK_NAME
            fd = _try_lock(lock) if lock.exists() else None
            if fd is None and (lock.exists() or time.time() - entry.stat().st_mtime < FRESH_SECONDS):
                continue  # a live process owns it
            try:
                shutil.rmtree(entry, ignore_errors=True)
            finally:
                if fd is not None:
                    os.close(fd)
        else:
            entry.unlink(missing_ok=True)
        removed += 1
    if removed:
        log.info("removed %d temp entries left by stopped processes under %s", removed, root)
    return removed
