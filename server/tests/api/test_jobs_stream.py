"""GET /v1/jobs/{jobId}/stream (docs/api.md §5): headers, frame format, Last-Event-ID replay, timeouts, errors."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from conduit_server.jobs import lifecycle
from conduit_server.runtime import Runtime
from conduit_server.store import jobs as job_store
from fixtures.api_helpers import assert_error, report_body, sse_frames, uploaded_id
from fixtures.speech import tone
from sqlalchemy.ext.asyncio import AsyncConnection


@pytest.fixture(scope="module")
async def media_id(client: httpx.AsyncClient, auth) -> str:
    return await uploaded_id(client, auth, tone(2.0))


async def new_job(client: httpx.AsyncClient, auth, media_id: str) -> str:
    r = await client.post("/v1/reports/jobs", headers=auth, json=report_body(media_id))
    assert r.status_code == 200
    return str(r.json()["jobId"])


async def canceled_job(client: httpx.AsyncClient, auth, media_id: str) -> str:
    job_id = await new_job(client, auth, media_id)
    assert (await client.post(f"/v1/jobs/{job_id}/cancel", headers=auth)).status_code == 200
    return job_id


async def test_headers_and_frames_of_a_queued_job(client: httpx.AsyncClient, auth, media_id) -> None:
    job_id = await new_job(client, auth, media_id)
    started = time.monotonic()
    r, frames = await sse_frames(client, auth, job_id, timeout_ms=1000)
    elapsed = time.monotonic() - started
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/event-stream; charset=utf-8"
    assert r.headers["cache-control"] == "no-cache"
    assert r.headers["x-accel-buffering"] == "no"
    assert r.headers["x-request-id"]
    assert int(r.headers["x-ratelimit-limit"]) > 0
    assert 0.9 <= elapsed < 3.0  # the stream ends when the timeout elapses
    assert len(frames) == 1
    frame = frames[0]
    assert frame["event"] == "status" and isinstance(frame["id"], int)
    job = (await client.get(f"/v1/jobs/{job_id}", headers=auth)).json()
    assert frame["data"]["status"] == "queued" and frame["data"]["stage"] == "queued"
    assert frame["data"]["job"] == job
    # exact wire form: id, event, one-line compact JSON data, blank line
    assert r.text.startswith(f"id: {frame['id']}\nevent: status\ndata: {{")
    assert r.text.count("\n") == 4


async def test_canceled_job_replays_and_closes(client: httpx.AsyncClient, auth, media_id) -> None:
    job_id = await canceled_job(client, auth, media_id)
    started = time.monotonic()
    r, frames = await sse_frames(client, auth, job_id, timeout_ms=300_000)
    assert time.monotonic() - started < 2.0  # a finished job never waits for the timeout
    assert [f["event"] for f in frames] == ["status", "terminal"]
    first, terminal = frames
    assert first["id"] < terminal["id"]
    assert terminal["data"]["status"] == "canceled"
    assert "error" not in terminal["data"] and "reportId" not in terminal["data"]
    assert terminal["data"]["job"] == (await client.get(f"/v1/jobs/{job_id}", headers=auth)).json()

    # Last-Event-ID: only later events, same ids
    _, later = await sse_frames(client, auth, job_id, last_event_id=str(first["id"]))
    assert later == [terminal]
    _, after_end = await sse_frames(client, auth, job_id, last_event_id=str(terminal["id"]))
    assert after_end == []
    _, replay = await sse_frames(client, auth, job_id, last_event_id="garbage")
    assert replay == frames
    _, replay = await sse_frames(client, auth, job_id, last_event_id="0")
    assert replay == frames


async def test_a_job_ending_between_the_streams_reads_still_sends_its_terminal_event(
        client: httpx.AsyncClient, auth, key, runtime: Runtime, media_id, monkeypatch: pytest.MonkeyPatch) -> None:
    """The job ends (here: canceled) right after the stream has read the job's events and before it looks at the
    job again: the stream must still send the terminal event rather than close without it."""
    job_id = await new_job(client, auth, media_id)
    read_events = job_store.events_after
    ended = False

    async def events_then_end(conn: AsyncConnection, jid: str, after: int) -> list[Any]:
        nonlocal ended
        rows = await read_events(conn, jid, after)
        if jid == job_id and not ended:
            ended = True
            async with runtime.engine.begin() as other:
                assert await lifecycle.cancel(other, job_id, key.workspace_id, runtime.clock(), runtime.settings)
        return rows

    monkeypatch.setattr(job_store, "events_after", events_then_end)
    _, frames = await sse_frames(client, auth, job_id, timeout_ms=10_000)
    assert ended
    assert [f["event"] for f in frames] == ["status", "terminal"]
    assert frames[-1]["data"]["status"] == "canceled"


async def test_unknown_job_is_an_error_event_without_id(client: httpx.AsyncClient, auth) -> None:
    r, frames = await sse_frames(client, auth, "job_nope00000000000000000000")
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/event-stream; charset=utf-8"
    assert r.text == 'event: error\ndata: {"code":"not_found","message":"Job not found"}\n\n'
    assert frames == [{"event": "error", "data": {"code": "not_found", "message": "Job not found"}}]


@pytest.mark.parametrize("raw", ["10", "0", "-5", "999"])
async def test_small_timeouts_are_clamped_to_one_second(client: httpx.AsyncClient, auth, media_id, raw) -> None:
    job_id = await new_job(client, auth, media_id)
    started = time.monotonic()
    r = await client.get(f"/v1/jobs/{job_id}/stream", headers=auth, params={"timeout": raw})
    elapsed = time.monotonic() - started
    assert r.status_code == 200
    assert 0.9 <= elapsed < 2.5


@pytest.mark.parametrize("raw", ["abc", "1.5", "", "1e3"])
async def test_non_integer_timeout_is_422(client: httpx.AsyncClient, auth, media_id, raw) -> None:
    job_id = await new_job(client, auth, media_id)
    r = await client.get(f"/v1/jobs/{job_id}/stream", headers=auth, params={"timeout": raw})
    error = assert_error(r, 422, "validation_error")
    assert error["details"]["issues"][0]["path"] == "timeout"


async def test_auth_failure_is_json_before_the_stream(client: httpx.AsyncClient) -> None:
    r = await client.get("/v1/jobs/job_x/stream", headers={"Mappa-Api-Key": "sk_nope"})
    assert_error(r, 401, "unauthorized")
    assert r.headers["x-request-id"]
