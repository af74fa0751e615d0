from __future__ import annotations

import json

import httpx
import pytest
from conduit import JobFailedError
from sdk_testkit import JOB, REPORT, UPLOAD, FakeClock, Recorder, json_response, make_async_client, sse, sse_response

DONE = {**JOB, "status": "succeeded", "reportId": "rep_1"}


async def test_async_happy_path_upload_create_stream_wait() -> None:
    def route(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/v1/files":
            return json_response(200, UPLOAD)
        if path == "/v1/reports/jobs":
            return json_response(200, {"jobId": "job_1", "status": "queued"})
        if path.endswith("/stream"):
            if "Last-Event-ID" not in request.headers:
                return sse_response(sse(("1", "status", {"status": "queued", "job": JOB})))
            return sse_response(sse(("9", "terminal", {"status": "succeeded", "job": DONE})))
        return json_response(200, REPORT)

    rec = Recorder(route)
    clock = FakeClock()
    async with make_async_client(rec, clock) as client:
        receipt = await client.reports.create(
            source={"file": b"RIFF", "label": "call-a"},
            output={"template": "general_report"},
            target={"strategy": "magic_hint", "hint": "the candidate"},
            idempotency_key="k",
        )
        events = []
        report = await receipt.handle.wait(on_event=lambda e: events.append(e.type))
    assert report.id == "rep_1" and events == ["status", "terminal"]
    paths = [r.url.path for r in rec.requests]
    assert paths == [
        "/v1/files",
        "/v1/reports/jobs",
        "/v1/jobs/job_1/stream",
        "/v1/jobs/job_1/stream",
        "/v1/reports/rep_1",
    ]
    assert rec.requests[3].headers["Last-Event-ID"] == "1"
    assert json.loads(rec.requests[1].content)["target"] == {"strategy": "magic_hint", "hint": "the candidate"}


async def test_async_retries_and_failed_wait() -> None:
    clock = FakeClock()
    failed = {**JOB, "status": "failed", "error": {"code": "target_not_found", "message": "Could not identify"}}
    rec = Recorder(
        json_response(500, {"error": {"code": "internal", "message": "x"}}),
        json_response(200, JOB),
        sse_response(sse(("9", "terminal", {"status": "failed", "job": failed}))),
    )
    client = make_async_client(rec, clock)
    job = await client.primitives.jobs.get("job_1")
    assert job.id == "job_1" and clock.sleeps == [1.0]
    assert rec.requests[0].headers["X-Request-Id"] == rec.requests[1].headers["X-Request-Id"]
    with pytest.raises(JobFailedError) as info:
        await client.primitives.jobs.wait("job_1")
    assert info.value.code == "target_not_found"
    await client.aclose()


async def test_async_webhooks_helpers_are_sync() -> None:
    client = make_async_client(Recorder(json_response(200, {})))
    from conduit import sign_webhook_payload

    header = sign_webhook_payload(b"{}", "whsec_x", timestamp=int(FakeClock().time()))
    assert client.webhooks.verify_signature(b"{}", {"conduit-signature": header}, "whsec_x") is True
