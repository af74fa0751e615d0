"""A report job through the real engine: stages, report, evidence, signed webhook, reuse of processed media."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import httpx
from conduit_server.analysis import validate_report_json

from jobs.conftest import wait_for, wait_job


def _verify(secret: str, header: str, body: bytes) -> bool:
    parts = dict(p.split("=", 1) for p in header.split(","))
    expected = hmac.new(secret.encode(), f"{parts['t']}.".encode() + body, hashlib.sha256).hexdigest()
    return set(parts) == {"t", "v1"} and hmac.compare_digest(expected, parts["v1"])


async def _create(api: httpx.AsyncClient, media_id: str, **extra: Any) -> dict[str, Any]:
    body = {"media": {"mediaId": media_id}, "output": {"template": "general_report"},
            "target": {"strategy": "dominant"}, **extra}
    r = await api.post("/v1/reports/jobs", json=body)
    assert r.status_code == 200, r.text
    return r.json()


async def test_report_job_end_to_end_with_signed_webhook(api, conversation_media, hooks) -> None:
    receipt = await _create(api, conversation_media["mediaId"], label="first call", entityLabel="Rhys",
                            webhook={"url": hooks.url("/hook"), "headers": {"x-tenant-id": "tenant_123"}})
    assert receipt["status"] == "queued"
    job = await wait_job(api, receipt["jobId"])
    assert job["status"] == "succeeded", job
    assert job["progress"] == 1 and job["stage"] == "finalizing"
    assert job["usage"]["creditsUsed"] == 0 and job["usage"]["audioSeconds"] > 30

    report = (await api.get(f"/v1/reports/{job['reportId']}")).json()
    assert set(report) == {"id", "createdAt", "jobId", "label", "entity", "media", "output", "markdown", "json",
                           "provenance"}
    assert report["label"] == "first call"
    assert report["entity"]["label"] == "Rhys"
    validate_report_json(report["json"])
    assert report["markdown"].startswith("# ") and "Rhys" in report["json"]["title"]
    assert (await api.get(f"/v1/reports/by-job/{receipt['jobId']}")).json()["id"] == report["id"]

    evidence = (await api.get(f"/v1/reports/{report['id']}/evidence")).json()
    keys = {i["key"] for i in evidence["indicators"]}
    assert evidence["claims"] and all(set(c["indicatorKeys"]) <= keys for c in evidence["claims"])
    assert evidence["behaviorMapId"] == report["provenance"]["behaviorMapId"]

    # the events a stream subscriber sees: status, stages in order, one terminal last
    r = await api.get(f"/v1/jobs/{receipt['jobId']}/stream")
    frames = [f for f in r.text.split("\n\n") if f.strip()]
    events = [dict(line.split(": ", 1) for line in f.split("\n")) for f in frames]
    assert events[0]["event"] == "status" and events[-1]["event"] == "terminal"
    stages = [json.loads(e["data"])["stage"] for e in events if e["event"] == "stage"]
    assert stages == sorted(stages, key=["queued", "transcoding", "extracting", "scoring", "rendering",
                                         "finalizing"].index)
    assert "scoring" in stages and "finalizing" in stages

    await wait_for(lambda: _has_request(hooks, "/hook"))
    delivered = [q for q in hooks.requests if q.path == "/hook"][-1]
    assert _verify(api.webhook_secret, delivered.headers["conduit-signature"], delivered.body)
    assert delivered.headers["x-tenant-id"] == "tenant_123"
    event = json.loads(delivered.body)
    assert event["type"] == "report.completed"
    assert event["data"] == {"jobId": receipt["jobId"], "reportId": report["id"], "status": "succeeded"}
    assert delivered.headers["conduit-event-id"] == event["id"]

    records = (await api.get("/v1/webhooks/events", params={"jobId": receipt["jobId"]})).json()["events"]
    assert len(records) == 1 and records[0]["status"] == "delivered" and records[0]["id"] == event["id"]
    attempts = (await api.get(f"/v1/webhooks/events/{event['id']}/attempts")).json()["attempts"]
    assert attempts[0]["statusCode"] == 204 and attempts[0]["error"] is None

    detail = (await api.get(f"/v1/files/{conversation_media['mediaId']}")).json()
    assert detail["processingStatus"] == "COMPLETED" and detail["hasReports"] is True
    assert len(detail["speakers"]) == 2 and detail["transcription"]["speakerCount"] == 2
    assert any(s["entityLabel"] == "Rhys" for s in detail["speakers"])


async def _has_request(hooks, path: str) -> bool:
    return any(q.path == path for q in hooks.requests)


async def test_second_job_reuses_processed_media_and_is_deterministic(api, conversation_media) -> None:
    first = await wait_job(api, (await _create(api, conversation_media["mediaId"]))["jobId"])
    second_receipt = await _create(api, conversation_media["mediaId"])
    second = await wait_job(api, second_receipt["jobId"])
    assert first["status"] == second["status"] == "succeeded"
    a = (await api.get(f"/v1/reports/{first['reportId']}")).json()
    b = (await api.get(f"/v1/reports/{second['reportId']}")).json()
    assert json.dumps(a["json"], sort_keys=True) == json.dumps(b["json"], sort_keys=True)
    assert a["markdown"] == b["markdown"]
    stream = (await api.get(f"/v1/jobs/{second_receipt['jobId']}/stream")).text
    assert "transcoding" not in stream  # processed media: those stages are skipped


async def test_sales_playbook_for_the_other_speaker(api, conversation_media) -> None:
    job = await wait_job(api, (await _create(
        api, conversation_media["mediaId"], output={"template": "sales_playbook",
                                                    "templateParams": {"roleTitle": "Account Executive"}},
        target={"strategy": "speaker_index", "speaker_index": 1}))["jobId"])
    assert job["status"] == "succeeded", job
    report = (await api.get(f"/v1/reports/{job['reportId']}")).json()
    validate_report_json(report["json"])
    assert [s["key"] for s in report["json"]["sections"]][0] == "dominating_traits"
    assert "Account Executive" in report["json"]["title"]


async def test_target_miss_fails_or_falls_back(api, conversation_media, hooks) -> None:
    failed = await wait_job(api, (await _create(
        api, conversation_media["mediaId"], target={"strategy": "speaker_index", "speaker_index": 7},
        webhook={"url": hooks.url("/hook")}))["jobId"])
    assert failed["status"] == "failed"
    assert failed["error"]["code"] == "target_not_found" and failed["error"]["retryable"] is False
    assert (await api.get(f"/v1/reports/by-job/{failed['id']}")).json() is None
    await wait_for(lambda: _has_event(hooks, failed["id"], "report.failed"))

    fallback = await wait_job(api, (await _create(
        api, conversation_media["mediaId"],
        target={"strategy": "speaker_index", "speaker_index": 7, "on_miss": "fallback_dominant"}))["jobId"])
    assert fallback["status"] == "succeeded"


async def _has_event(hooks, job_id: str, kind: str) -> bool:
    for q in hooks.requests:
        event = json.loads(q.body)
        if event["data"]["jobId"] == job_id and event["type"] == kind:
            return True
    return False


async def test_matching_between_the_two_speakers(api, conversation_media) -> None:
    r = await api.post("/v1/matching/jobs", json={
        "context": "behavioral_compatibility",
        "target": {"type": "media_target", "mediaId": conversation_media["mediaId"],
                   "selector": {"strategy": "speaker_index", "speaker_index": 0}},
        "group": [{"type": "media_target", "mediaId": conversation_media["mediaId"],
                   "selector": {"strategy": "speaker_index", "speaker_index": 1}}],
        "label": "pair",
    })
    assert r.status_code == 200, r.text
    job = await wait_job(api, r.json()["jobId"])
    assert job["status"] == "succeeded", job
    matching = (await api.get(f"/v1/matching/{job['matchingId']}")).json()
    assert matching["context"] == "behavioral_compatibility" and matching["label"] == "pair"
    assert matching["target"]["entityId"] != matching["group"][0]["entityId"]
    assert matching["target"]["source"]["selector"] == {"strategy": "speaker_index", "on_miss": "error",
                                                        "speaker_index": 0}
    titles = [s["section_title"] for s in matching["json"]["sections"]]
    assert titles[0] == "Overview" and titles[1] == "Compatibility at a glance"

    same = await api.post("/v1/matching/jobs", json={
        "context": "behavioral_compatibility",
        "target": {"type": "entity_id", "entityId": matching["target"]["entityId"]},
        "group": [{"type": "media_target", "mediaId": conversation_media["mediaId"],
                   "selector": {"strategy": "speaker_index", "speaker_index": 0}}],
    })
    dup = await wait_job(api, same.json()["jobId"])
    assert dup["status"] == "failed" and dup["error"]["code"] == "duplicate_subject"

