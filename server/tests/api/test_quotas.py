"""Abuse limits (issue 10): per-key quotas on uploads in flight, open event streams and queued jobs (429
`rate_limited` with Retry-After), the free-disk floor for uploads (507 `insufficient_storage`), and failed
authentication limited per client address."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
from conduit_server.app import build_api
from conduit_server.limits.quotas import STREAMS
from conduit_server.runtime import Runtime
from conduit_server.store import accounts
from fixtures.api_helpers import (
    assert_error,
    file_count,
    headers_of,
    new_workspace_key,
    report_body,
    upload,
    uploaded_id,
)
from fixtures.speech import tone
from server_testkit import asgi_client, open_test_runtime
from sqlalchemy import event

BOUNDARY = "quota-test-boundary"


@contextlib.asynccontextmanager
async def serving(database_url: str, tmp: Path, **settings: object) -> AsyncIterator[tuple[Runtime, httpx.AsyncClient]]:
    async with open_test_runtime(database_url, tmp, **settings) as rt, asgi_client(rt) as client:
        yield rt, client


def from_address(rt: Runtime, host: str) -> httpx.AsyncClient:
    app = build_api()
    app.state.runtime = rt
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(host, 40000)),
                             base_url="http://conduit.test")


async def until(condition: Callable[[], bool]) -> None:
    async with asyncio.timeout(10):
        while not condition():
            await asyncio.sleep(0.01)


def assert_quota_429(r: httpx.Response) -> None:
    error = assert_error(r, 429, "rate_limited")
    assert r.headers["retry-after"].isdigit() and int(r.headers["retry-after"]) >= 1
    assert error["retryAfter"] == int(r.headers["retry-after"])


async def test_an_upload_over_the_concurrent_upload_quota_gets_429(database_url: str, tmp_path: Path) -> None:
    async with serving(database_url, tmp_path, max_concurrent_uploads=1) as (rt, client):
        auth = headers_of(await new_workspace_key(rt, "uploads"))
        reading, release = asyncio.Event(), asyncio.Event()

        async def slow_body() -> AsyncIterator[bytes]:
            yield (f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\n'
                   "Content-Type: audio/wav\r\n\r\n").encode()
            reading.set()  # the server asked for more: this upload is in flight
            await release.wait()
            yield f"\r\n--{BOUNDARY}--\r\n".encode()

        first = asyncio.create_task(client.post(
            "/v1/files", content=slow_body(),
            headers={**auth, "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}))
        await reading.wait()
        assert_quota_429(await upload(client, auth, tone(1.0)))
        release.set()
        assert (await first).status_code == 200
        assert (await upload(client, auth, tone(1.0))).status_code == 200  # the slot came back
        assert await file_count(client, auth) == 2


async def test_a_stream_over_the_open_stream_quota_gets_429(database_url: str, tmp_path: Path) -> None:
    async with serving(database_url, tmp_path, max_open_streams=1) as (rt, client):
        key = await accounts.create_key(rt.engine, rt.clock())
        auth = headers_of(key)
        media_id = await uploaded_id(client, auth, tone(2.0))
        job_id = (await client.post("/v1/reports/jobs", headers=auth, json=report_body(media_id))).json()["jobId"]
        path = f"/v1/jobs/{job_id}/stream"

        first = asyncio.create_task(client.get(path, headers=auth, params={"timeout": "300000"}))
        await until(lambda: rt.slots.in_use(STREAMS, key.api_key_id) == 1)
        assert_quota_429(await client.get(path, headers=auth, params={"timeout": "1000"}))
        other = headers_of(await accounts.create_key(rt.engine, rt.clock()))  # quotas are per key
        assert (await client.get(path, headers=other, params={"timeout": "1000"})).status_code == 200

        first.cancel()  # the client goes away: its slot is released
        with contextlib.suppress(asyncio.CancelledError):
            await first
        await until(lambda: rt.slots.in_use(STREAMS, key.api_key_id) == 0)
        assert (await client.get(path, headers=auth, params={"timeout": "1000"})).status_code == 200
        assert rt.slots.in_use(STREAMS, key.api_key_id) == 0  # a stream that ended released its slot too


async def test_a_job_over_the_queued_job_quota_gets_429(database_url: str, tmp_path: Path) -> None:
    async with serving(database_url, tmp_path, max_queued_jobs=2) as (rt, client):
        auth = headers_of(await new_workspace_key(rt, "busy"))
        media_id = await uploaded_id(client, auth, tone(2.0))
        jobs = []
        for _ in range(2):
            r = await client.post("/v1/reports/jobs", headers=auth, json=report_body(media_id))
            assert r.status_code == 200
            jobs.append(r.json()["jobId"])
        r = await client.post("/v1/reports/jobs", headers=auth, json=report_body(media_id))
        assert_quota_429(r)
        assert "2 jobs queued" in r.json()["error"]["message"]

        other = headers_of(await new_workspace_key(rt, "other"))
        other_media = await uploaded_id(client, other, tone(2.0))
        assert (await client.post("/v1/reports/jobs", headers=other, json=report_body(other_media))).status_code == 200

        assert (await client.post(f"/v1/jobs/{jobs[0]}/cancel", headers=auth)).status_code == 200
        assert (await client.post("/v1/reports/jobs", headers=auth, json=report_body(media_id))).status_code == 200


async def test_an_upload_is_refused_when_the_disk_is_nearly_full(database_url: str, tmp_path: Path) -> None:
    async with serving(database_url, tmp_path, min_free_disk_bytes=2**62) as (rt, client):
        auth = headers_of(await new_workspace_key(rt, "full disk"))
        r = await upload(client, auth, tone(1.0))
        error = assert_error(r, 507, "insufficient_storage")
        assert "disk space" in error["message"]
        assert int(r.headers["retry-after"]) >= 1
        assert await file_count(client, auth) == 0
        assert not (tmp_path / "tmp").exists() or not list((tmp_path / "tmp").iterdir())  # no body was read


async def test_failed_authentication_is_limited_per_address(database_url: str, tmp_path: Path) -> None:
    async with open_test_runtime(database_url, tmp_path) as rt:
        good = headers_of(await accounts.create_key(rt.engine, rt.clock()))
        limit = rt.settings.auth_failures_per_minute
        assert limit == 20
        queries = 0

        def count(*_: object) -> None:
            nonlocal queries
            queries += 1

        event.listen(rt.engine.sync_engine, "before_cursor_execute", count)
        async with from_address(rt, "203.0.113.7") as attacker, from_address(rt, "198.51.100.9") as neighbour:
            for i in range(limit):
                r = await attacker.get("/v1/files", headers={"Mappa-Api-Key": f"sk_guess_{i}"})
                assert_error(r, 401, "unauthorized")
            before = queries
            for i in range(5):
                r = await attacker.get("/v1/files", headers={"Mappa-Api-Key": f"sk_more_{i}"})
                assert_quota_429(r)
                assert "failed authentication" in r.json()["error"]["message"]
            assert queries == before  # refused before any database lookup
            assert (await neighbour.get("/v1/files", headers=good)).status_code == 200
            assert (await neighbour.get("/v1/files", headers={"Mappa-Api-Key": "sk_typo"})).status_code == 401
        event.remove(rt.engine.sync_engine, "before_cursor_execute", count)
