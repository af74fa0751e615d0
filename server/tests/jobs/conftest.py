"""A module-scoped runtime with real workers running in the test's event loop, a webhook receiver, and one
processed two-speaker conversation shared by the tests of a module (media processing is cached per file)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from conduit_server.runtime import Runtime
from conduit_server.store import accounts
from fixtures.speech import two_speaker_short
from server_testkit import asgi_client, open_test_runtime, workers_for
from webhooks.webhook_receiver import Receiver, respond


@pytest.fixture(scope="module")
async def engine_rt(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Runtime]:
    async with open_test_runtime(database_url, tmp_path_factory.mktemp("data"), min_speech_seconds=5.0) as rt:
        async with workers_for(rt):
            yield rt


@pytest.fixture(scope="module")
async def api(engine_rt: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    created = await accounts.create_key(engine_rt.engine, engine_rt.clock())
    async with asgi_client(engine_rt) as c:
        c.headers["Mappa-Api-Key"] = created.api_key
        c.webhook_secret = created.webhook_secret  # type: ignore[attr-defined]
        yield c


@pytest.fixture(scope="module")
async def hooks() -> AsyncIterator[Receiver]:
    rec = Receiver(routes={"/hook": respond(204), "/gone": respond(410), "/fail": respond(500)})
    await rec.start()
    yield rec
    await rec.close()


async def upload(api: httpx.AsyncClient, path: Any, label: str = "call") -> dict[str, Any]:
    with open(path, "rb") as fh:
        r = await api.post("/v1/files", files={"file": (path.name, fh.read())}, data={"label": label})
    assert r.status_code == 200, r.text
    return r.json()


@pytest.fixture(scope="module")
async def conversation_media(api: httpx.AsyncClient) -> dict[str, Any]:
    conv = two_speaker_short()
    media = await upload(api, conv.path, "two-speaker")
    media["conversation"] = conv
    return media


async def wait_job(api: httpx.AsyncClient, job_id: str, timeout: float = 240.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = (await api.get(f"/v1/jobs/{job_id}")).json()
        if job["status"] in ("succeeded", "failed", "canceled"):
            return job
        await asyncio.sleep(0.3)
    raise AssertionError(f"job {job_id} did not finish in {timeout} s")


async def wait_for(predicate: Any, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await predicate():
            return
        await asyncio.sleep(0.2)
    raise AssertionError("condition not reached in time")
