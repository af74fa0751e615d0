"""/v1/webhooks/events (ext, docs/api.md §6.4): records by job, attempts, redelivery, over rows written directly."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from conduit_server.domain.ids import new_id
from conduit_server.store.tables import webhook_attempts, webhook_events
from fixtures.api_helpers import assert_error, headers_of, is_iso, new_workspace_key

RECORD_KEYS = {"id", "type", "jobId", "url", "status", "attemptCount", "createdAt", "lastAttemptAt",
               "nextAttemptAt", "payload"}


async def insert_event(rt, workspace_id: str, job_id: str, *, created_at: datetime, attempts: int = 0) -> str:
    event_id = new_id("evt_")
    payload = {"id": event_id, "type": "report.completed", "createdAt": "2026-11-01T00:00:00.000Z",
               "timestamp": "2026-11-01T00:00:00.000Z",
               "data": {"jobId": job_id, "reportId": "rep_x", "status": "succeeded"}}
    async with rt.engine.begin() as conn:
        await conn.execute(webhook_events.insert().values(
            id=event_id, workspace_id=workspace_id, job_id=job_id, type="report.completed",
            url="https://example.com/hook", headers={}, body=json.dumps(payload).encode(),
            status="failed" if attempts else "pending", attempt_count=attempts, created_at=created_at,
            last_attempt_at=created_at if attempts else None, next_attempt_at=None if attempts else created_at))
        for n in range(1, attempts + 1):
            await conn.execute(webhook_attempts.insert().values(
                event_id=event_id, attempt=n, started_at=created_at + timedelta(seconds=n), duration_ms=12 * n,
                status_code=None if n == 1 else 500, error="timeout" if n == 1 else "http_status",
                redelivery=n == attempts))
    return event_id


@pytest.fixture(scope="module")
async def ws(runtime):
    return await new_workspace_key(runtime, "hooks")


async def test_list_by_job_and_paging(client: httpx.AsyncClient, runtime, ws) -> None:
    auth = headers_of(ws)
    base = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    job_a, job_b = new_id("job_"), new_id("job_")
    a_events = [await insert_event(runtime, ws.workspace_id, job_a, created_at=base + timedelta(microseconds=i * 10))
                for i in range(3)]
    b_event = await insert_event(runtime, ws.workspace_id, job_b, created_at=base + timedelta(hours=1), attempts=2)

    r = await client.get("/v1/webhooks/events", headers=auth, params={"jobId": job_b})
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"events", "hasMore", "nextCursor"} and body["hasMore"] is False
    (record,) = body["events"]
    assert set(record) == RECORD_KEYS
    assert record["id"] == b_event and record["jobId"] == job_b and record["status"] == "failed"
    assert record["attemptCount"] == 2 and is_iso(record["lastAttemptAt"]) and record["nextAttemptAt"] is None
    assert record["payload"]["id"] == b_event and record["payload"]["data"]["jobId"] == job_b

    seen, cursor = [], None
    for _ in range(5):
        params = {"jobId": job_a, "limit": "1", **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/v1/webhooks/events", headers=auth, params=params)).json()
        seen += [e["id"] for e in page["events"]]
        if not page["hasMore"]:
            assert page["nextCursor"] is None
            break
        cursor = page["nextCursor"]
    assert seen == list(reversed(a_events))
    all_events = (await client.get("/v1/webhooks/events", headers=auth)).json()["events"]
    assert [e["id"] for e in all_events] == [b_event, *reversed(a_events)]
    assert (await client.get("/v1/webhooks/events", headers=auth, params={"jobId": "job_none"})).json()["events"] == []


async def test_attempts_shape(client: httpx.AsyncClient, runtime, ws) -> None:
    auth = headers_of(ws)
    event_id = await insert_event(runtime, ws.workspace_id, new_id("job_"), created_at=datetime.now(UTC), attempts=2)
    r = await client.get(f"/v1/webhooks/events/{event_id}/attempts", headers=auth)
    assert r.status_code == 200
    attempts = r.json()["attempts"]
    assert [a["attempt"] for a in attempts] == [1, 2]
    for a in attempts:
        assert set(a) == {"attempt", "startedAt", "durationMs", "statusCode", "error", "redelivery"}
        assert is_iso(a["startedAt"]) and isinstance(a["durationMs"], int)
    assert attempts[0]["statusCode"] is None and attempts[0]["error"] == "timeout"
    assert attempts[1]["statusCode"] == 500 and attempts[1]["error"] == "http_status"
    assert [a["redelivery"] for a in attempts] == [False, True]
    assert_error(await client.get("/v1/webhooks/events/evt_nope000000000000000000/attempts", headers=auth),
                 404, "not_found")


async def test_redeliver(client: httpx.AsyncClient, runtime, ws) -> None:
    auth = headers_of(ws)
    event_id = await insert_event(runtime, ws.workspace_id, new_id("job_"), created_at=datetime.now(UTC), attempts=1)
    r = await client.post(f"/v1/webhooks/events/{event_id}/redeliver", headers=auth)
    assert r.status_code == 200
    record = r.json()
    assert set(record) == RECORD_KEYS and record["id"] == event_id and record["status"] == "pending"
    assert record["attemptCount"] == 1
    assert_error(await client.post("/v1/webhooks/events/evt_nope000000000000000000/redeliver", headers=auth),
                 404, "not_found")
    assert_error(await client.get(f"/v1/webhooks/events/{event_id}/redeliver", headers=auth), 405,
                 "method_not_allowed")
    assert_error(await client.get("/v1/webhooks/events", headers=auth, params={"limit": "500"}), 422,
                 "validation_error")


async def test_url_credentials_are_never_echoed(client: httpx.AsyncClient, runtime, ws) -> None:
    auth = headers_of(ws)
    job_id = new_id("job_")
    event_id = await insert_event(runtime, ws.workspace_id, job_id, created_at=datetime(2026, 11, 3, tzinfo=UTC))
    async with runtime.engine.begin() as conn:
        await conn.execute(webhook_events.update().where(webhook_events.c.id == event_id)
                           .values(url="https://hook-user:s3cr3t-pw@hooks.example.com:8443/in?src=conduit"))
    r = await client.get("/v1/webhooks/events", headers=auth, params={"jobId": job_id})
    assert r.status_code == 200
    assert r.json()["events"][0]["url"] == "https://***@hooks.example.com:8443/in?src=conduit"
    redelivered = await client.post(f"/v1/webhooks/events/{event_id}/redeliver", headers=auth)
    assert redelivered.status_code == 200
    for text in (r.text, redelivered.text):
        assert "s3cr3t-pw" not in text and "hook-user" not in text
