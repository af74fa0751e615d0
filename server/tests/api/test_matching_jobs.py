"""POST /v1/matching/jobs (docs/api.md §3.5) without workers: receipt, validation, unknown refs, by-job."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fixtures.api_helpers import assert_error, headers_of, insert_entity, issue_paths, new_workspace_key, uploaded_id
from fixtures.speech import tone


@pytest.fixture(scope="module")
async def ws(runtime):
    return await new_workspace_key(runtime, "matching")


@pytest.fixture(scope="module")
async def refs(client: httpx.AsyncClient, runtime, ws) -> dict[str, str]:
    return {"a": await insert_entity(runtime, ws.workspace_id, label="A"),
            "b": await insert_entity(runtime, ws.workspace_id),
            "media": await uploaded_id(client, headers_of(ws), tone(2.0))}


def body(refs: dict[str, str], **overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "context": "behavioral_compatibility",
        "target": {"type": "entity_id", "entityId": refs["a"]},
        "group": [{"type": "entity_id", "entityId": refs["b"]},
                  {"type": "media_target", "mediaId": refs["media"], "selector": {"strategy": "dominant"}}],
    }
    base.update(overrides)
    return base


async def test_receipt_job_and_by_job(client: httpx.AsyncClient, ws, refs) -> None:
    auth = headers_of(ws)
    r = await client.post("/v1/matching/jobs", headers={**auth, "X-Request-Id": "req_m1"},
                          json=body(refs, label="panel fit"))
    assert r.status_code == 200, r.text
    receipt = r.json()
    assert receipt["status"] == "queued" and receipt["stage"] == "queued" and receipt["jobId"].startswith("job_")
    job = (await client.get(f"/v1/jobs/{receipt['jobId']}", headers=auth)).json()
    assert job["type"] == "matching.generate" and job["status"] == "queued" and job["requestId"] == "req_m1"
    assert all(v is not None for v in job.values())
    r = await client.get(f"/v1/matching/by-job/{receipt['jobId']}", headers=auth)
    assert r.status_code == 200 and r.content == b"null" and r.headers["content-type"] == "application/json"
    assert_error(await client.get(f"/v1/reports/by-job/{receipt['jobId']}", headers=auth), 404, "not_found")
    assert_error(await client.get("/v1/matching/mat_nope00000000000000000000", headers=auth), 404, "not_found")
    canceled = (await client.post(f"/v1/jobs/{receipt['jobId']}/cancel", headers=auth)).json()
    assert canceled["status"] == "canceled"
    assert (await client.get(f"/v1/matching/by-job/{receipt['jobId']}", headers=auth)).json() is None


@pytest.mark.parametrize(
    ("change", "paths"),
    [
        ({"context": "friendship"}, ["context"]),
        ({"context": None}, ["context"]),
        ({"group": []}, ["group"]),
        ({"group": "ent_x"}, ["group"]),
        ({"target": {"type": "person", "entityId": "ent_x"}}, ["target.type"]),
        ({"target": {"type": "entity_id"}}, ["target.entityId"]),
        ({"target": {"type": "entity_id", "entityId": "e" * 257}}, ["target.entityId"]),
        ({"group": [{"type": "media_target", "mediaId": "med_x"}]}, ["group.0.selector"]),
        ({"group": [{"type": "media_target", "mediaId": "med_x", "selector": {"strategy": "magic_hint"}}]},
         ["group.0.selector.hint"]),
        ({"label": " "}, ["label"]),
        ({"webhook": {"url": "https://e.com/h", "headers": {"conduit-event-id": "x"}}},
         ["webhook.headers.conduit-event-id"]),
    ],
)
async def test_invalid_bodies(client: httpx.AsyncClient, ws, refs, change, paths) -> None:
    r = await client.post("/v1/matching/jobs", headers=headers_of(ws), json=body(refs, **change))
    assert issue_paths(r) == paths


async def test_duplicate_direct_entity_and_unknown_refs(client: httpx.AsyncClient, ws, refs) -> None:
    auth = headers_of(ws)
    r = await client.post("/v1/matching/jobs", headers=auth,
                          json=body(refs, group=[{"type": "entity_id", "entityId": refs["a"]}]))
    error = assert_error(r, 422, "validation_error")
    assert error["message"] == "target and group must reference different direct entity IDs"
    r = await client.post("/v1/matching/jobs", headers=auth,
                          json=body(refs, group=[{"type": "entity_id", "entityId": "ent_nope0000000000000000"}]))
    assert_error(r, 422, "unknown_entity")
    r = await client.post("/v1/matching/jobs", headers=auth, json=body(refs, group=[
        {"type": "media_target", "mediaId": "med_nope000000000000000000", "selector": {"strategy": "dominant"}}]))
    assert_error(r, 422, "unknown_media")
