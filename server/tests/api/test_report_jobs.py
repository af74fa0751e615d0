"""POST /v1/reports/jobs and the job it creates: receipt, Job shape, by-job, validation, cancel, media deletion.
No workers run here: jobs stay queued unless canceled or their media is deleted."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from fixtures.api_helpers import (
    assert_error,
    assert_no_nulls_in_optional,
    has_id,
    headers_of,
    is_iso,
    issue_paths,
    new_workspace_key,
    report_body,
    sse_frames,
    uploaded_id,
)
from fixtures.speech import tone


@pytest.fixture(scope="module")
async def media_id(client: httpx.AsyncClient, auth) -> str:
    return await uploaded_id(client, auth, tone(2.0), label="for-jobs")


async def create(client: httpx.AsyncClient, auth, body: Any, **headers: str) -> httpx.Response:
    return await client.post("/v1/reports/jobs", headers={**auth, **headers}, json=body)


async def test_receipt_job_shape_and_request_id(client: httpx.AsyncClient, auth, media_id) -> None:
    before = (await client.get(f"/v1/files/{media_id}", headers=auth)).json()["lastUsedAt"]
    r = await create(client, auth, report_body(media_id, label="call-a"), **{"X-Request-Id": "req_create.1"})
    assert r.status_code == 200, r.text
    assert r.headers["x-request-id"] == "req_create.1"
    receipt = r.json()
    assert set(receipt) <= {"jobId", "status", "stage", "estimatedWaitSec"}
    assert receipt["status"] == "queued" and receipt["stage"] == "queued"
    assert has_id(receipt["jobId"], "job_")

    r = await client.get(f"/v1/jobs/{receipt['jobId']}", headers=auth)
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    job = r.json()
    assert_no_nulls_in_optional(job)
    assert job["id"] == receipt["jobId"]
    assert job["type"] == "report.generate"
    assert job["status"] == "queued" and job["stage"] == "queued"
    assert job.get("progress", 0) == 0
    assert is_iso(job["createdAt"]) and is_iso(job["updatedAt"])
    assert job["requestId"] == "req_create.1"
    for absent in ("reportId", "matchingId", "error", "usage", "credits", "releasedCredits"):
        assert absent not in job
    after = (await client.get(f"/v1/files/{media_id}", headers=auth)).json()["lastUsedAt"]
    assert after >= before  # creating a job refreshes lastUsedAt

    # a generated request id is recorded too
    r = await create(client, auth, report_body(media_id))
    job = (await client.get(f"/v1/jobs/{r.json()['jobId']}", headers=auth)).json()
    assert job["requestId"] == r.headers["x-request-id"]


async def test_by_job_is_json_null_while_queued(client: httpx.AsyncClient, auth, media_id) -> None:
    job_id = (await create(client, auth, report_body(media_id))).json()["jobId"]
    r = await client.get(f"/v1/reports/by-job/{job_id}", headers=auth)
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    assert r.content == b"null"
    assert_error(await client.get(f"/v1/matching/by-job/{job_id}", headers=auth), 404, "not_found")
    assert_error(await client.get("/v1/reports/by-job/job_nope00000000000000000000", headers=auth), 404, "not_found")
    assert_error(await client.get("/v1/reports/rep_nope00000000000000000000", headers=auth), 404, "not_found")
    assert_error(await client.get("/v1/jobs/job_nope00000000000000000000", headers=auth), 404, "not_found")


@pytest.mark.parametrize(
    ("change", "paths"),
    [
        ({"output": {"template": "novel"}}, ["output.template"]),
        ({"output": {"template": "general_report", "format": "pdf"}}, ["output.format"]),
        ({"output": {"template": "sales_playbook", "templateParams": {"roleTitle": 7}}},
         ["output.templateParams.roleTitle"]),
        ({"output": {"template": "general_report", "templateParams": {"roleDescription": "x" * 2001}}},
         ["output.templateParams.roleDescription"]),
        ({"output": None}, ["output"]),
        ({"target": {"strategy": "loudest"}}, ["target.strategy"]),
        ({"target": {"strategy": "magic_hint"}}, ["target.hint"]),
        ({"target": {"strategy": "magic_hint", "hint": "   "}}, ["target.hint"]),
        ({"target": {"strategy": "timerange"}}, ["target.timerange"]),
        ({"target": {"strategy": "timerange", "timerange": {"start_seconds": None, "end_seconds": None}}},
         ["target.timerange"]),
        ({"target": {"strategy": "timerange", "timerange": {"start_seconds": 9, "end_seconds": 3}}},
         ["target.timerange"]),
        ({"target": {"strategy": "timerange", "timerange": {"start_seconds": -1}}},
         ["target.timerange.start_seconds"]),
        ({"target": {"strategy": "entity_id"}}, ["target.entity_id"]),
        ({"target": {"strategy": "speaker_index", "speaker_index": -1}}, ["target.speaker_index"]),
        ({"target": {"strategy": "speaker_index", "speaker_index": 1.5}}, ["target.speaker_index"]),
        ({"target": {"strategy": "speaker_index", "speaker_index": True}}, ["target.speaker_index"]),
        ({"target": {"strategy": "dominant", "on_miss": "shrug"}}, ["target.on_miss"]),
        ({"target": None}, ["target"]),
        ({"media": {}}, ["media.mediaId"]),
        ({"media": "med_x"}, ["media"]),
        ({"language": "fr"}, ["language"]),
        ({"label": "   "}, ["label"]),
        ({"label": "x" * 65}, ["label"]),
        ({"entityLabel": ""}, ["entityLabel"]),
        ({"webhook": {"url": "ftp://example.com/hook"}}, ["webhook.url"]),
        ({"webhook": {"url": "/relative"}}, ["webhook.url"]),
        ({"webhook": {"url": "https://example.com/" + "a" * 2048}}, ["webhook.url"]),
        ({"webhook": {"url": "https://example.com/h", "headers": {"Conduit-Signature": "x"}}},
         ["webhook.headers.Conduit-Signature"]),
        ({"webhook": {"url": "https://example.com/h", "headers": {"content-type": "text/plain"}}},
         ["webhook.headers.content-type"]),
        ({"webhook": {"url": "https://example.com/h", "headers": {"Host": "evil"}}}, ["webhook.headers.Host"]),
        ({"webhook": {"url": "https://example.com/h", "headers": {"x-a": "b\r\nInjected: 1"}}},
         ["webhook.headers.x-a"]),
        ({"webhook": {"url": "https://example.com/h", "headers": {"bad name": "v"}}},
         ["webhook.headers.bad name"]),
        ({"webhook": {"url": "https://example.com/h", "headers": {f"x-{i}": "v" for i in range(21)}}},
         ["webhook.headers"]),
        ({"output": {"template": "x"}, "target": {"strategy": "magic_hint"}, "language": "de"},
         ["output.template", "target.hint", "language"]),
    ],
)
async def test_invalid_bodies_are_422_with_issue_paths(client: httpx.AsyncClient, auth, media_id, change,
                                                       paths) -> None:
    r = await create(client, auth, report_body(media_id, **change))
    assert issue_paths(r) == paths
    error = r.json()["error"]
    assert all(isinstance(i["message"], str) and i["message"] for i in error["details"]["issues"])


async def test_valid_variants_are_accepted(client: httpx.AsyncClient, auth, media_id) -> None:
    bodies = [
        report_body(media_id, language="es", label="  trimmed  ", entityLabel="Dana"),
        report_body(media_id, language=None),
        report_body(media_id, output={"template": "sales_playbook", "templateParams": {"roleTitle": "AE", "x": 1}}),
        report_body(media_id, target={"strategy": "magic_hint", "hint": "the interviewer",
                                      "on_miss": "fallback_dominant", "speaker_index": None, "timerange": None}),
        report_body(media_id, target={"strategy": "timerange", "timerange": {"start_seconds": None,
                                                                             "end_seconds": 30}}),
        report_body(media_id, target={"strategy": "speaker_index", "speaker_index": 0}),
        report_body(media_id, target={"strategy": "entity_id", "entity_id": "ent_whatever"}),
        report_body(media_id, unknownTopLevel={"ignored": True}),
        # host names are checked after DNS resolution at each delivery (docs/api.md §16(h))
        report_body(media_id, webhook={"url": "http://hooks.example.invalid/hook", "headers": {"x-tenant-id": "t1"}}),
    ]
    for body in bodies:
        r = await create(client, auth, body)
        assert r.status_code == 200, (body, r.text)
    job = (await client.get(f"/v1/jobs/{(await create(client, auth, bodies[0])).json()['jobId']}",
                            headers=auth)).json()
    assert job["label"] == "trimmed"


async def test_unknown_deleted_and_foreign_media_are_unknown_media(client: httpx.AsyncClient, auth, runtime) -> None:
    assert_error(await create(client, auth, report_body("med_nope00000000000000000000")), 422, "unknown_media")
    gone = await uploaded_id(client, auth, tone(2.0))
    assert (await client.delete(f"/v1/files/{gone}", headers=auth)).status_code == 200
    assert_error(await create(client, auth, report_body(gone)), 422, "unknown_media")
    other = headers_of(await new_workspace_key(runtime, "foreign-media"))
    theirs = await uploaded_id(client, other, tone(2.0))
    assert_error(await create(client, auth, report_body(theirs)), 422, "unknown_media")


async def test_malformed_bodies(client: httpx.AsyncClient, auth, media_id) -> None:
    json_headers = {**auth, "Content-Type": "application/json"}
    assert_error(await client.post("/v1/reports/jobs", headers=json_headers, content=b"{not json"), 400,
                 "bad_request")
    assert_error(await client.post("/v1/reports/jobs", headers=json_headers, content=b"[1, 2]"), 400, "bad_request")
    assert_error(await client.post("/v1/reports/jobs", headers=json_headers, content=b'"text"'), 400, "bad_request")
    assert_error(await client.post("/v1/reports/jobs", headers=json_headers, content=b""), 400, "bad_request")
    assert_error(await client.post("/v1/reports/jobs", headers=json_headers, content=b"\xff\xfe"), 400,
                 "bad_request")
    body = json.dumps(report_body(media_id)).encode()
    assert_error(await client.post("/v1/reports/jobs", headers={**auth, "Content-Type": "text/plain"}, content=body),
                 400, "bad_request")
    assert_error(await client.post("/v1/reports/jobs", headers=auth, content=body), 400, "bad_request")
    r = await client.post("/v1/reports/jobs", headers={**auth, "Content-Type": "application/json; charset=utf-8"},
                          content=body)
    assert r.status_code == 200, r.text
    huge = report_body(media_id, output={"template": "general_report", "templateParams": {"pad": "x" * (1 << 20)}})
    assert_error(await create(client, auth, huge), 413, "payload_too_large")

    async def streamed():
        yield b'{"pad": "'
        for _ in range(20):
            yield b"x" * 65536
        yield b'"}'

    assert_error(await client.post("/v1/reports/jobs", headers=json_headers, content=streamed()), 413,
                 "payload_too_large")


async def test_cancel_queued_job(client: httpx.AsyncClient, auth, media_id) -> None:
    hook = {"url": "http://127.0.0.1:9/hook", "headers": {"x-tenant-id": "t1"}}
    job_id = (await create(client, auth, report_body(media_id, webhook=hook))).json()["jobId"]
    r = await client.post(f"/v1/jobs/{job_id}/cancel", headers=auth)
    assert r.status_code == 200
    job = r.json()
    assert_no_nulls_in_optional(job)
    assert job["status"] == "canceled" and job["stage"] == "queued"
    assert "error" not in job and "reportId" not in job
    assert job["usage"]["creditsUsed"] == 0 and job["usage"]["creditsNetUsed"] == 0
    assert (await client.get(f"/v1/jobs/{job_id}", headers=auth)).json() == job

    again = await client.post(f"/v1/jobs/{job_id}/cancel", headers=auth)
    assert again.status_code == 200 and again.json() == job
    r = await client.get(f"/v1/reports/by-job/{job_id}", headers=auth)
    assert r.status_code == 200 and r.json() is None

    r, frames = await sse_frames(client, auth, job_id)
    assert [f["event"] for f in frames] == ["status", "terminal"]
    assert frames[-1]["data"]["status"] == "canceled" and frames[-1]["data"]["job"]["status"] == "canceled"

    events = (await client.get("/v1/webhooks/events", headers=auth, params={"jobId": job_id})).json()["events"]
    assert len(events) == 1
    event = events[0]
    assert event["type"] == "report.canceled" and event["jobId"] == job_id and event["url"] == hook["url"]
    assert event["status"] == "pending" and event["attemptCount"] == 0
    assert event["payload"]["data"] == {"jobId": job_id, "status": "canceled"}
    assert has_id(event["payload"]["id"], "evt_") and event["payload"]["id"] == event["id"]
    assert is_iso(event["payload"]["createdAt"]) and is_iso(event["payload"]["timestamp"])


async def test_cancel_without_webhook_records_no_event(client: httpx.AsyncClient, auth, media_id) -> None:
    job_id = (await create(client, auth, report_body(media_id))).json()["jobId"]
    assert (await client.post(f"/v1/jobs/{job_id}/cancel", headers=auth)).json()["status"] == "canceled"
    events = (await client.get("/v1/webhooks/events", headers=auth, params={"jobId": job_id})).json()["events"]
    assert events == []
    assert_error(await client.post("/v1/jobs/job_nope00000000000000000000/cancel", headers=auth), 404, "not_found")


async def test_deleting_the_media_fails_queued_jobs(client: httpx.AsyncClient, auth) -> None:
    doomed = await uploaded_id(client, auth, tone(2.0))
    job_id = (await create(client, auth, report_body(doomed, webhook={"url": "http://127.0.0.1:9/h"}))).json()["jobId"]
    assert (await client.delete(f"/v1/files/{doomed}", headers=auth)).status_code == 200
    job = (await client.get(f"/v1/jobs/{job_id}", headers=auth)).json()
    assert job["status"] == "failed"
    assert job["error"]["code"] == "media_deleted" and job["error"]["retryable"] is False
    assert job["error"]["message"]
    _, frames = await sse_frames(client, auth, job_id)
    assert frames[-1]["event"] == "terminal"
    assert frames[-1]["data"]["error"] == {"code": "media_deleted", "message": job["error"]["message"]}
    events = (await client.get("/v1/webhooks/events", headers=auth, params={"jobId": job_id})).json()["events"]
    assert [e["type"] for e in events] == ["report.failed"]
    assert events[0]["payload"]["data"]["error"]["code"] == "media_deleted"


async def test_webhook_ip_literals_in_refused_ranges_are_rejected_at_create(client: httpx.AsyncClient, auth,
                                                                           media_id) -> None:
    for url in ("http://10.0.0.1/hook", "http://169.254.169.254/latest/meta-data", "http://[fd00::1]/x",
                "http://192.168.1.20:8080/x", "http://[::ffff:10.0.0.1]/x"):
        r = await create(client, auth, report_body(media_id, webhook={"url": url}))
        assert_error(r, 422, "validation_error")
        assert r.json()["error"]["details"]["issues"][0]["path"] == "webhook.url"
