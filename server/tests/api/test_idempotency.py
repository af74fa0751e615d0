"""Idempotency-Key (docs/api.md §1, §8, §16(d)): replay, reuse with another request, body keys, scoping per route."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import httpx
import pytest
from conduit_server.api import idempotency
from conduit_server.api.idempotency import LEASE, KeyScope, claim, fingerprint
from conduit_server.domain.clock import utcnow
from conduit_server.runtime import Runtime
from conduit_server.store.tables import idempotency_keys
from fixtures.api_helpers import assert_error, file_count, headers_of, new_workspace_key, report_body, upload
from fixtures.speech import tone
from sqlalchemy import select


@pytest.fixture()
async def ws(runtime) -> dict[str, str]:
    return headers_of(await new_workspace_key(runtime, "idem"))


@pytest.fixture()
async def media_id(client: httpx.AsyncClient, ws) -> str:
    return (await upload(client, ws, tone(2.0))).json()["mediaId"]


async def test_same_key_same_body_replays_with_current_request_id(client: httpx.AsyncClient, ws, media_id) -> None:
    body = report_body(media_id)
    first = await client.post("/v1/reports/jobs", headers={**ws, "Idempotency-Key": "k1", "X-Request-Id": "r-1"},
                              json=body)
    assert first.status_code == 200 and "idempotent-replayed" not in first.headers
    second = await client.post("/v1/reports/jobs", headers={**ws, "Idempotency-Key": "k1", "X-Request-Id": "r-2"},
                               json=body)
    assert second.status_code == 200
    assert second.json() == first.json()
    assert second.headers["idempotent-replayed"] == "true"
    assert second.headers["x-request-id"] == "r-2"
    assert second.headers["content-type"].startswith("application/json")
    # only one job exists, and it keeps the first request's id
    job = (await client.get(f"/v1/jobs/{first.json()['jobId']}", headers=ws)).json()
    assert job["requestId"] == "r-1"


async def test_same_key_other_body_is_reused(client: httpx.AsyncClient, ws, media_id) -> None:
    headers = {**ws, "Idempotency-Key": "k2"}
    assert (await client.post("/v1/reports/jobs", headers=headers, json=report_body(media_id))).status_code == 200
    r = await client.post("/v1/reports/jobs", headers=headers, json=report_body(media_id, label="other"))
    assert_error(r, 422, "idempotency_key_reused")


async def test_errors_are_replayed_too(client: httpx.AsyncClient, ws) -> None:
    headers = {**ws, "Idempotency-Key": "k-err"}
    first = await client.post("/v1/reports/jobs", headers=headers, json=report_body("med_nope0000000000000000000"))
    assert_error(first, 422, "unknown_media")
    second = await client.post("/v1/reports/jobs", headers=headers, json=report_body("med_nope0000000000000000000"))
    assert second.status_code == 422 and second.json() == first.json()
    assert second.headers["idempotent-replayed"] == "true"


async def test_body_only_key_works_and_header_must_agree(client: httpx.AsyncClient, ws, media_id) -> None:
    body = report_body(media_id, idempotencyKey="body-key")
    first = await client.post("/v1/reports/jobs", headers=ws, json=body)
    second = await client.post("/v1/reports/jobs", headers=ws, json=body)
    assert first.status_code == second.status_code == 200
    assert second.json() == first.json() and second.headers["idempotent-replayed"] == "true"
    # the header carrying the same key is the same request (the TS SDK sends both)
    third = await client.post("/v1/reports/jobs", headers={**ws, "Idempotency-Key": "body-key"}, json=body)
    assert third.json() == first.json()
    r = await client.post("/v1/reports/jobs", headers={**ws, "Idempotency-Key": "header-key"}, json=body)
    assert_error(r, 422, "validation_error")


@pytest.mark.parametrize("bad", ["k" * 256, "caf\u00e9", "tab\there"])
async def test_invalid_keys_are_422(client: httpx.AsyncClient, ws, media_id, bad) -> None:
    r = await client.post("/v1/reports/jobs", headers=ws, json=report_body(media_id, idempotencyKey=bad))
    assert_error(r, 422, "validation_error")
    if bad.isascii():
        r = await client.post("/v1/reports/jobs", headers={**ws, "Idempotency-Key": bad}, json=report_body(media_id))
        assert_error(r, 422, "validation_error")


async def test_key_of_255_chars_is_fine(client: httpx.AsyncClient, ws, media_id) -> None:
    r = await client.post("/v1/reports/jobs", headers={**ws, "Idempotency-Key": "k" * 255}, json=report_body(media_id))
    assert r.status_code == 200


async def test_keys_are_scoped_per_route(client: httpx.AsyncClient, ws) -> None:
    """The SDKs forward one caller key to the upload and to the job create of one reports.create()."""
    headers = {**ws, "Idempotency-Key": "shared"}
    up = await upload(client, headers, tone(2.0))
    assert up.status_code == 200
    job = await client.post("/v1/reports/jobs", headers=headers, json=report_body(up.json()["mediaId"]))
    assert job.status_code == 200 and "idempotent-replayed" not in job.headers
    cancel = await client.post(f"/v1/jobs/{job.json()['jobId']}/cancel", headers=headers)
    assert cancel.status_code == 200 and cancel.json()["status"] == "canceled"


async def test_upload_replay_creates_no_second_file(client: httpx.AsyncClient, ws) -> None:
    headers = {**ws, "Idempotency-Key": "upload-1"}
    first = await upload(client, headers, tone(2.0), label="once")
    second = await upload(client, headers, tone(2.0), label="once")
    assert second.status_code == 200 and second.json() == first.json()
    assert second.headers["idempotent-replayed"] == "true"
    assert await file_count(client, ws) == 1
    other = await upload(client, headers, tone(2.0), label="twice")  # another label = another request
    assert_error(other, 422, "idempotency_key_reused")
    other = await upload(client, headers, tone(1.0), label="once")  # other bytes = another request
    assert_error(other, 422, "idempotency_key_reused")
    assert await file_count(client, ws) == 1


async def test_keys_are_scoped_per_workspace(client: httpx.AsyncClient, runtime, ws) -> None:
    other = headers_of(await new_workspace_key(runtime, "idem-2"))
    a = await upload(client, {**ws, "Idempotency-Key": "same"}, tone(2.0))
    b = await upload(client, {**other, "Idempotency-Key": "same"}, tone(2.0))
    assert a.status_code == b.status_code == 200
    assert a.json()["mediaId"] != b.json()["mediaId"] and "idempotent-replayed" not in b.headers


async def test_delete_and_cancel_replay(client: httpx.AsyncClient, ws, media_id) -> None:
    headers = {**ws, "Idempotency-Key": "del"}
    first = await client.delete(f"/v1/files/{media_id}", headers=headers)
    second = await client.delete(f"/v1/files/{media_id}", headers=headers)
    assert first.json() == second.json() == {"mediaId": media_id, "deleted": True}
    assert second.headers["idempotent-replayed"] == "true"


async def _claim_at(runtime: Runtime, monkeypatch: pytest.MonkeyPatch, at_seconds_ago: float, scope: KeyScope,
                    fp: str) -> None:
    """The in-progress claim a request writes, then never finishes: what a process killed mid-request leaves."""
    with monkeypatch.context() as m:
        m.setattr(runtime, "clock", lambda: utcnow() - timedelta(seconds=at_seconds_ago))
        assert isinstance(await claim(runtime, scope, fp), idempotency.Claim)


async def test_claim_of_a_killed_process_is_taken_over_once_its_lease_ran_out(
        client: httpx.AsyncClient, runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    created = await new_workspace_key(runtime, "idem-crash")
    headers = headers_of(created)
    media = (await upload(client, headers, tone(2.0))).json()["mediaId"]
    job_id = (await client.post("/v1/reports/jobs", headers=headers, json=report_body(media))).json()["jobId"]
    path = f"/v1/jobs/{job_id}/cancel"
    fp = fingerprint(path, "", "")

    fresh = KeyScope(created.workspace_id, "POST", "POST /v1/jobs/{jobId}/cancel", "crashed-just-now")
    await _claim_at(runtime, monkeypatch, 5, fresh, fp)
    r = await client.post(path, headers={**headers, "Idempotency-Key": fresh.key})
    assert_error(r, 409, "idempotency_key_in_progress")  # inside the lease the holder may still be running

    stale = KeyScope(created.workspace_id, "POST", "POST /v1/jobs/{jobId}/cancel", "crashed-a-while-ago")
    await _claim_at(runtime, monkeypatch, LEASE.total_seconds() + 1, stale, fp)
    r = await client.post(path, headers={**headers, "Idempotency-Key": stale.key})
    assert r.status_code == 200 and r.json()["status"] == "canceled", r.text
    assert "idempotent-replayed" not in r.headers
    again = await client.post(path, headers={**headers, "Idempotency-Key": stale.key})
    assert again.json() == r.json() and again.headers["idempotent-replayed"] == "true"


async def test_a_long_request_keeps_its_claim_past_the_lease(
        client: httpx.AsyncClient, runtime: Runtime, ws, monkeypatch: pytest.MonkeyPatch) -> None:
    """/v2/psychometrics waits for a worker (none runs here), so the request stays in flight."""
    monkeypatch.setattr(idempotency, "RENEW_EVERY", timedelta(seconds=0.05))
    audio = tone(2.0).read_bytes()
    headers = {**ws, "Idempotency-Key": "psy-long"}

    def send() -> asyncio.Task[httpx.Response]:
        return asyncio.create_task(client.post("/v2/psychometrics", headers=headers,
                                               files={"file": ("a.wav", audio)}, data={"strategy": "dominant"}))

    async def lease_end() -> object:
        async with runtime.engine.connect() as conn:
            return (await conn.execute(select(idempotency_keys.c.expires_at).where(
                idempotency_keys.c.key == "psy-long", idempotency_keys.c.state == "in_progress"))).scalar()

    first = send()
    try:
        deadline = time.monotonic() + 30
        while await lease_end() is None:
            assert not first.done() and time.monotonic() < deadline, "the request never claimed its key"
            await asyncio.sleep(0.05)
        later = utcnow() + 3 * LEASE  # the clock runs past the lease the request took
        monkeypatch.setattr(runtime, "clock", lambda: later)
        while (end := await lease_end()) is None or end <= later:  # type: ignore[operator]
            assert not first.done() and time.monotonic() < deadline, "the lease was never renewed"
            await asyncio.sleep(0.05)
        retry = send()
        r = await asyncio.wait_for(retry, 30)
        assert_error(r, 409, "idempotency_key_in_progress")
    finally:
        first.cancel()
        await asyncio.gather(first, return_exceptions=True)
    assert await lease_end() is None  # the canceled request released its key
