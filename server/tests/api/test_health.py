"""Operator health endpoints: /livez (the process is up) and /readyz (it can do its work). Both need no key; /readyz
answers 503 in the error envelope, naming what is wrong, within its time bound when a dependency is down."""

from __future__ import annotations

import dataclasses
import socket
import time
from pathlib import Path

import httpx
import pytest
from conduit_server.runtime import Runtime
from server_testkit import _admin, _with_database, asgi_client, open_test_runtime
from sqlalchemy.ext.asyncio import create_async_engine


async def test_livez_needs_no_key(client: httpx.AsyncClient) -> None:
    r = await client.get("/livez")
    assert (r.status_code, r.json()) == (200, {"ok": True})


async def test_readyz_reports_every_check_ok(client: httpx.AsyncClient, runtime: Runtime) -> None:
    r = await client.get("/readyz")
    assert r.status_code == 200, r.text
    checks = r.json()["checks"]
    expected = {"database", "migrations", "storage"} | ({"models"} if runtime.settings.run_workers else set())
    assert set(checks) == expected and set(checks.values()) == {"ok"}, checks
    # the storage probe cleans up after itself
    media_root = Path(runtime.settings.data_dir) / "media"
    assert not list(media_root.rglob("readyz/*"))


async def test_readyz_is_503_when_the_database_is_down(runtime: Runtime) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    dead = create_async_engine(f"postgresql+psycopg://conduit@127.0.0.1:{port}/conduit", pool_pre_ping=False)
    try:
        async with asgi_client(dataclasses.replace(runtime, engine=dead)) as c:
            started = time.monotonic()
            r = await c.get("/readyz")
            took = time.monotonic() - started
    finally:
        await dead.dispose()
    assert r.status_code == 503 and r.headers["retry-after"] == "5"
    body = r.json()
    assert body["error"]["code"] == "unavailable" and "database" in body["error"]["message"]
    assert body["checks"]["database"] != "ok" and body["checks"]["migrations"].startswith("unknown")
    assert body["checks"]["storage"] == "ok"
    assert took < 10


async def test_readyz_is_503_before_migrations_have_run(server_url: str, tmp_path: Path) -> None:
    name = "conduit_unmigrated_" + str(int(time.time() * 1000))
    _admin(server_url, f"CREATE DATABASE {name}")
    url = _with_database(server_url, name)
    async with open_test_runtime(url, tmp_path) as rt, asgi_client(rt) as c:
        r = await c.get("/readyz")
    assert r.status_code == 503
    checks = r.json()["checks"]
    assert checks["database"] == "ok" and checks["migrations"].startswith("schema at no migration"), checks


@pytest.mark.parametrize("path", ["/livez", "/readyz"])
async def test_health_routes_are_in_the_openapi_document(client: httpx.AsyncClient, path: str) -> None:
    spec = (await client.get("/openapi.json")).json()
    assert "get" in spec["paths"][path]
