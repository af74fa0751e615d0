"""The embedded PostgreSQL after crashes, with real processes: a server killed with kill -9 leaves PostgreSQL
running, and the next server's clean shutdown must still stop it; a stale postmaster.pid (its pid now another
process's) must not stop the next start."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import psycopg
import pytest
from conduit_server.store.embedded import EmbeddedPostgres
from server_testkit import postgres_pids

_SERVER = """
import sys
from pathlib import Path
from conduit_server.store.embedded import EmbeddedPostgres
print(EmbeddedPostgres(Path(sys.argv[1])).start(), flush=True)
sys.stdin.read()  # runs until killed
"""


@pytest.fixture()
def pgdata() -> Iterator[Path]:
    """Outside pytest's temp root (0700), which the embedded server's own system user must be able to enter."""
    root = Path(tempfile.mkdtemp(prefix="conduit-test-pgcrash-"))
    root.chmod(0o755)
    try:
        yield root / "pg"
    finally:
        for pid in postgres_pids(root / "pg"):  # only a failed test leaves one; never anything else's
            with contextlib.suppress(psutil.Error):
                psutil.Process(pid).kill()
        shutil.rmtree(root, ignore_errors=True)




def wait_gone(pgdata: Path, timeout: float = 30) -> list[int]:
    deadline = time.monotonic() + timeout
    while (left := postgres_pids(pgdata)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


def select_one(url: str) -> int:
    with psycopg.connect(url, connect_timeout=10) as conn:
        row = conn.execute("SELECT 1").fetchone()
        assert row is not None
        return int(row[0])


def test_clean_stop_after_a_killed_server_stops_postgres(pgdata: Path) -> None:
    crashed = subprocess.Popen([sys.executable, "-c", _SERVER, str(pgdata)], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True)
    assert crashed.stdout is not None
    assert select_one(crashed.stdout.readline().strip()) == 1
    crashed.kill()  # kill -9: no shutdown handler runs
    crashed.communicate(timeout=30)
    assert postgres_pids(pgdata), "PostgreSQL outlives the killed server (it is its own daemon)"

    pg = EmbeddedPostgres(pgdata)
    assert select_one(pg.start()) == 1
    pg.stop()
    assert wait_gone(pgdata) == [], "the clean shutdown stopped the PostgreSQL it adopted"


def test_stale_postmaster_pid_of_another_process_is_recovered(pgdata: Path) -> None:
    first = EmbeddedPostgres(pgdata)
    first.start()
    postmaster = first.postmaster_pid()
    assert postmaster is not None
    os.kill(postmaster, signal.SIGKILL)  # PostgreSQL dies without removing postmaster.pid
    assert wait_gone(pgdata) == []
    with subprocess.Popen(["sleep", "300"]) as other:  # after a reboot, its pid belongs to something else
        try:
            lines = (pgdata / "postmaster.pid").read_text().splitlines()
            (pgdata / "postmaster.pid").write_text("\n".join([str(other.pid), *lines[1:]]) + "\n")

            pg = EmbeddedPostgres(pgdata)
            assert select_one(pg.start()) == 1
            pg.stop()
            assert wait_gone(pgdata) == []
            assert other.poll() is None, "the unrelated process was left alone"
        finally:
            other.kill()
