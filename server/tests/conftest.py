"""Shared server test fixtures: one embedded PostgreSQL per session (or CONDUIT_TEST_DATABASE_URL), a migrated
template database, a fresh database per test module, the app over an in-process ASGI transport, API keys.
Plain helpers live in server_testkit.py."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from conduit_server.runtime import Runtime
from conduit_server.store import accounts
from conduit_server.store.embedded import EmbeddedPostgres
from conduit_server.store.migrate import upgrade
from server_testkit import TEMPLATE_DB, _admin, _with_database, asgi_client, fresh_database, open_test_runtime


@pytest.fixture(scope="session")
def server_url() -> Iterator[str]:
    """A PostgreSQL server: CONDUIT_TEST_DATABASE_URL, else an embedded one for this session. Its data lives
    outside pytest's temp root, which pytest re-locks (0700) at every session start and which the embedded
    server's own system user must be able to enter."""
    external = os.environ.get("CONDUIT_TEST_DATABASE_URL")
    if external:
        yield external
        return
    root = Path(tempfile.mkdtemp(prefix="conduit-test-pg-"))
    pg = EmbeddedPostgres(root / "data")
    url = pg.start()
    try:
        yield url
    finally:
        pg.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def template_url(server_url: str) -> str:
    _admin(server_url, f"DROP DATABASE IF EXISTS {TEMPLATE_DB}")
    _admin(server_url, f"CREATE DATABASE {TEMPLATE_DB}")
    url = _with_database(server_url, TEMPLATE_DB)
    upgrade(url)
    return url


@pytest.fixture(scope="module")
def database_url(server_url: str, template_url: str) -> str:
    return fresh_database(server_url, template_url)


@pytest.fixture(scope="module")
async def runtime(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Runtime]:
    async with open_test_runtime(database_url, tmp_path_factory.mktemp("data")) as rt:
        yield rt


@pytest.fixture(scope="module")
async def client(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(runtime) as c:
        yield c


@pytest.fixture(scope="module")
async def key(runtime: Runtime) -> accounts.CreatedKey:
    return await accounts.create_key(runtime.engine, runtime.clock())


@pytest.fixture(scope="module")
def auth(key: accounts.CreatedKey) -> dict[str, str]:
    return {"Mappa-Api-Key": key.api_key}
