"""Helpers for the server tests (importable as `server_testkit`; fixtures live in conftest.py): databases made
from a migrated template, test runtimes, in-process workers, the app over an ASGI transport."""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
from conduit_server.app import build_api
from conduit_server.limits.ratelimit import RateLimiter
from conduit_server.runtime import Runtime
from conduit_server.settings import Settings
from conduit_server.store.blobs import BlobStore
from conduit_server.store.db import create_engine as create_async_engine
from conduit_server.store.db import sync_url
from sqlalchemy import create_engine, text

TEMPLATE_DB = "conduit_test_template"


def _with_database(url: str, name: str) -> str:
    base, _, query = url.partition("?")
    base = base.rsplit("/", 1)[0] + "/" + name
    return base + ("?" + query if query else "")


def _admin(url: str, sql: str) -> None:
    engine = create_engine(sync_url(_with_database(url, "postgres")), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(sql))
    finally:
        engine.dispose()


def fresh_database(server_url: str, template_url: str) -> str:
    name = "conduit_t_" + uuid.uuid4().hex[:12]
    _admin(server_url, f"CREATE DATABASE {name} TEMPLATE {TEMPLATE_DB}")
    return _with_database(server_url, name)


def make_settings(tmp: Path, **overrides: object) -> Settings:
    base: dict[str, object] = {"data_dir": tmp, "models_dir": models_dir(), "webhook_allow_loopback": True}
    base.update(overrides)
    return Settings(**base)  # type: ignore[arg-type]


def models_dir() -> Path:
    """Models (the joined Whisper weights) are built once per machine, outside git."""
    path = Path(os.environ.get("CONDUIT_TEST_MODELS_DIR", Path(__file__).resolve().parents[2] / ".cache" / "models"))
    path.mkdir(parents=True, exist_ok=True)
    return path


@contextlib.asynccontextmanager
async def open_test_runtime(database_url: str, tmp: Path, **overrides: object) -> AsyncIterator[Runtime]:
    settings = make_settings(tmp, database_url=database_url, **overrides)
    engine = create_async_engine(database_url, pool_size=5)
    try:
        yield Runtime(settings=settings, engine=engine, database_url=database_url,
                      blobs=BlobStore.from_settings(None, tmp),
                      rate_limiter=RateLimiter(settings.rate_limit_per_minute))
    finally:
        await engine.dispose()


@contextlib.asynccontextmanager
async def workers_for(rt: Runtime) -> AsyncIterator[None]:
    """Run the real job workers (procrastinate) in this event loop."""
    from conduit_server.jobs.worker import build_app, run_workers

    app = build_app(rt)
    async with app.open_async():
        task = asyncio.create_task(run_workers(rt, app))
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


def asgi_client(rt: Runtime) -> httpx.AsyncClient:
    app = build_api()
    app.state.runtime = rt
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://conduit.test")




def postgres_pids(pgdata: Path) -> list[int]:
    """postgres processes working in `pgdata` (the postmaster and its children chdir into their data dir): what a
    test that started an embedded server may kill after a failure, and never anything else's."""
    import psutil

    found = []
    for proc in psutil.process_iter(["name"]):
        with contextlib.suppress(psutil.Error, OSError):
            if proc.info["name"] == "postgres" and Path(proc.cwd()).resolve() == pgdata.resolve():
                found.append(proc.pid)
    return found
