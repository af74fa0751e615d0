"""Workspaces are isolated: another workspace's resources are 404 not_found (never 403, never the data) and
never listed."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from conduit_server.domain.ids import new_id
from conduit_server.store.tables import matchings, reports
from fixtures.api_helpers import (
    assert_error,
    headers_of,
    insert_entity,
    new_workspace_key,
    report_body,
    sse_frames,
    uploaded_id,
)
from fixtures.speech import tone


@pytest.fixture(scope="module")
async def owner(runtime):
    return await new_workspace_key(runtime, "owner")


@pytest.fixture(scope="module")
async def intruder(runtime) -> dict[str, str]:
    return headers_of(await new_workspace_key(runtime, "intruder"))


@pytest.fixture(scope="module")
async def owned(client: httpx.AsyncClient, runtime, owner) -> dict[str, str]:
    auth = headers_of(owner)
    media_id = await uploaded_id(client, auth, tone(2.0), label="secret-call")
    job_id = (await client.post("/v1/reports/jobs", headers=auth,
                                json=report_body(media_id, webhook={"url": "http://127.0.0.1:9/h"}))).json()["jobId"]
    await client.post(f"/v1/jobs/{job_id}/cancel", headers=auth)
    events = (await client.get("/v1/webhooks/events", headers=auth, params={"jobId": job_id})).json()["events"]
    event_id = events[0]["id"]
    entity_id = await insert_entity(runtime, owner.workspace_id, label="Dana")
    report_id, matching_id = new_id("rep_"), new_id("mat_")
    now = datetime.now(UTC)
    async with runtime.engine.begin() as conn:
        await conn.execute(reports.insert().values(
            id=report_id, workspace_id=owner.workspace_id, job_id=None, media_id=media_id, template="general_report",
            markdown="# secret", json={"schemaVersion": 2}, evidence={"secret": True}, created_at=now))
        await conn.execute(matchings.insert().values(
            id=matching_id, workspace_id=owner.workspace_id, job_id=None, context="behavioral_compatibility",
            target={}, group=[], markdown="# secret", json={"schemaVersion": 1}, created_at=now))
    return {"media": media_id, "job": job_id, "event": event_id, "entity": entity_id, "report": report_id,
            "matching": matching_id}


async def test_owner_can_read_everything(client: httpx.AsyncClient, owner, owned) -> None:
    auth = headers_of(owner)
    for path in (f"/v1/files/{owned['media']}", f"/v1/jobs/{owned['job']}", f"/v1/entities/{owned['entity']}",
                 f"/v1/reports/{owned['report']}", f"/v1/reports/{owned['report']}/evidence",
                 f"/v1/matching/{owned['matching']}", f"/v1/webhooks/events/{owned['event']}/attempts",
                 f"/v1/reports/by-job/{owned['job']}"):
        assert (await client.get(path, headers=auth)).status_code == 200, path


@pytest.mark.parametrize(
    ("method", "template"),
    [
        ("GET", "/v1/files/{media}"),
        ("GET", "/v1/files/{media}/speakers"),
        ("DELETE", "/v1/files/{media}"),
        ("GET", "/v1/jobs/{job}"),
        ("POST", "/v1/jobs/{job}/cancel"),
        ("GET", "/v1/reports/by-job/{job}"),
        ("GET", "/v1/reports/{report}"),
        ("GET", "/v1/reports/{report}/evidence"),
        ("GET", "/v1/matching/{matching}"),
        ("GET", "/v1/entities/{entity}"),
        ("GET", "/v1/entities/{entity}/behavior-map"),
        ("GET", "/v1/webhooks/events/{event}/attempts"),
        ("POST", "/v1/webhooks/events/{event}/redeliver"),
    ],
)
async def test_foreign_resources_are_404(client: httpx.AsyncClient, intruder, owned, method, template) -> None:
    r = await client.request(method, template.format(**owned), headers=intruder)
    assert_error(r, 404, "not_found")
    assert "secret" not in r.text


async def test_foreign_writes_are_404_and_change_nothing(client: httpx.AsyncClient, intruder, owner, owned) -> None:
    r = await client.patch(f"/v1/entities/{owned['entity']}", headers=intruder, json={"label": "pwned"})
    assert_error(r, 404, "not_found")
    r = await client.patch(f"/v1/files/{owned['media']}/retention", headers=intruder, json={"lock": True})
    assert_error(r, 404, "not_found")
    auth = headers_of(owner)
    assert (await client.get(f"/v1/entities/{owned['entity']}", headers=auth)).json()["label"] == "Dana"
    detail = (await client.get(f"/v1/files/{owned['media']}", headers=auth)).json()
    assert detail["deletedAt"] is None and detail["retention"]["locked"] is False


async def test_foreign_ids_in_bodies_are_unknown(client: httpx.AsyncClient, intruder, owned) -> None:
    r = await client.post("/v1/reports/jobs", headers=intruder, json=report_body(owned["media"]))
    assert_error(r, 422, "unknown_media")
    r = await client.post("/v1/matching/jobs", headers=intruder, json={
        "context": "behavioral_compatibility", "target": {"type": "entity_id", "entityId": owned["entity"]},
        "group": [{"type": "media_target", "mediaId": owned["media"], "selector": {"strategy": "dominant"}}]})
    assert_error(r, 422, "unknown_entity")


async def test_foreign_stream_is_an_error_event(client: httpx.AsyncClient, intruder, owned) -> None:
    r, frames = await sse_frames(client, intruder, owned["job"])
    assert r.status_code == 200
    assert frames == [{"event": "error", "data": {"code": "not_found", "message": "Job not found"}}]


async def test_lists_show_only_own_workspace(client: httpx.AsyncClient, intruder, owned) -> None:
    for path, key in (("/v1/files?includeDeleted=true", "files"), ("/v1/entities", "entities"),
                      ("/v1/webhooks/events", "events"), (f"/v1/webhooks/events?jobId={owned['job']}", "events")):
        r = await client.get(path, headers=intruder)
        assert r.status_code == 200 and r.json()[key] == [], path
    r = await client.get("/v1/files", headers=intruder, params={"search": "secret"})
    assert r.json()["files"] == []
