"""Our SDK against the real server on a port: one upload-and-report job (the only full pipeline run of this
module), a second job canceled while queued behind it, then every read path, webhooks, and AsyncConduit."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from conduit import (
    AsyncConduit,
    Conduit,
    Job,
    JobCanceledError,
    JobEvent,
    Report,
    ReportJobReceipt,
    WebhookVerificationError,
)

from e2e.receiver import WebhookReceiver
from e2e.server_process import ServerProcess

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

JOB_TIMEOUT_MS = 240_000
TENANT = {"x-tenant-id": "tenant_e2e"}
REPORT_ARGS = {"output": {"template": "general_report"}, "target": {"strategy": "dominant"}}


@dataclass
class FirstJob:
    receipt: ReportJobReceipt
    events: list[JobEvent]
    report: Report
    queued_job_id: str
    cancel_response: Job
    cancel_error: JobCanceledError


@pytest.fixture(scope="module")
def first_job(sdk: Conduit, receiver: WebhookReceiver, speech_path: Path) -> FirstJob:
    receipt = sdk.reports.create(
        source={"path": str(speech_path), "label": "e2e-call"},
        webhook={"url": receiver.url("/hooks/sdk"), "headers": TENANT},
        **REPORT_ARGS,  # type: ignore[arg-type]
    )
    # The new media is being processed (one analysis task at a time), so this second job is still queued.
    queued = sdk.reports.create(
        source={"media_id": receipt.media_id},
        webhook={"url": receiver.url("/hooks/sdk-canceled")},
        **REPORT_ARGS,  # type: ignore[arg-type]
    )
    canceled = queued.handle.cancel()
    with pytest.raises(JobCanceledError) as info:
        queued.handle.wait(timeout_ms=30_000)
    events = list(receipt.handle.stream(timeout_ms=JOB_TIMEOUT_MS))
    report = receipt.handle.wait(timeout_ms=JOB_TIMEOUT_MS)
    return FirstJob(receipt, events, report, queued.job_id, canceled, info.value)


def test_receipt_and_stream_events(first_job: FirstJob) -> None:
    receipt = first_job.receipt
    assert receipt.job_id.startswith("job_") and receipt.media_id and receipt.media_id.startswith("med_")
    assert receipt.status in ("queued", "running")
    types = [e.type for e in first_job.events]
    assert types[0] == "status" and types[-1] == "terminal" and types.count("terminal") == 1, types
    assert set(types) <= {"status", "stage", "terminal"}
    terminal = first_job.events[-1].job
    assert terminal.status == "succeeded" and terminal.report_id == first_job.report.id
    assert terminal.usage is not None and terminal.usage.credits_used == 0
    progress = [e.job.progress for e in first_job.events if e.job.progress is not None]
    assert progress == sorted(progress) and progress[-1] == 1 and terminal.progress == 1


def test_wait_returns_the_report(first_job: FirstJob) -> None:
    report = first_job.report
    assert report.id.startswith("rep_") and report.job_id == first_job.receipt.job_id
    assert report.media_id == first_job.receipt.media_id and report.label == "e2e-call"
    assert report.output.template == "general_report"
    assert report.output.markdown and report.output.markdown.startswith("# ")
    assert report.output.json is not None and report.output.json["schemaVersion"] == 2
    assert report.entity_id and report.entity_id.startswith("ent_")


def test_reports_get_and_get_by_job(sdk: Conduit, first_job: FirstJob) -> None:
    assert sdk.reports.get(first_job.report.id) == first_job.report
    assert sdk.reports.get_by_job(first_job.receipt.job_id) == first_job.report
    assert first_job.receipt.handle.report() == first_job.report
    assert sdk.reports.get_by_job(first_job.queued_job_id) is None  # canceled: no report


def test_media_get_list_and_speakers(sdk: Conduit, first_job: FirstJob, speech_path: Path) -> None:
    media_id = first_job.receipt.media_id
    assert media_id is not None
    media = sdk.primitives.media.get(media_id)
    assert media.processing_status == "COMPLETED" and media.has_reports is True
    assert media.size_bytes == speech_path.stat().st_size and media.content_type == "audio/wav"
    assert media.duration_seconds is not None and 30 < media.duration_seconds < 50
    assert media_id in [f.media_id for f in sdk.primitives.media.list(limit=100).files]
    speakers = sdk.primitives.media.speakers(media_id)
    assert speakers.status == "COMPLETED" and len(speakers.speakers) == 2
    assert all(s.speech_seconds > 0 and s.transcript.strip() for s in speakers.speakers)


def test_entities_list_get_update(sdk: Conduit, first_job: FirstJob) -> None:
    entity_id = first_job.report.entity_id
    assert entity_id is not None
    listed = sdk.primitives.entities.list(limit=100)
    assert entity_id in [e.id for e in listed.entities] and listed.has_more is False
    entity = sdk.primitives.entities.get(entity_id)
    assert entity.media_count >= 1 and entity.last_seen_at
    assert sdk.primitives.entities.update(entity_id, {"label": "Dana"}).label == "Dana"
    assert sdk.primitives.entities.get(entity_id).label == "Dana"
    assert sdk.reports.get(first_job.report.id).entity_label == "Dana"
    assert sdk.primitives.entities.update(entity_id, {"label": None}).label is None


def test_completed_webhook_is_signed_and_parses(
    sdk: Conduit, first_job: FirstJob, receiver: WebhookReceiver, conduit_server: ServerProcess
) -> None:
    delivery = receiver.wait_for(lambda d: d.path == "/hooks/sdk", timeout=30)
    assert delivery.headers["x-tenant-id"] == "tenant_e2e"
    assert delivery.headers["content-type"].startswith("application/json")
    assert sdk.webhooks.verify_signature(delivery.body, delivery.headers, secret=conduit_server.webhook_secret)
    with pytest.raises(WebhookVerificationError) as info:
        sdk.webhooks.verify_signature(delivery.body + b" ", delivery.headers, secret=conduit_server.webhook_secret)
    assert info.value.code == "webhook_signature_invalid"
    event = sdk.webhooks.parse_event(delivery.body)
    assert event.type == "report.completed" and event.id == delivery.headers["conduit-event-id"]
    assert event.data == {"jobId": first_job.receipt.job_id, "reportId": first_job.report.id, "status": "succeeded"}
    records = sdk.primitives.webhook_events.list(job_id=first_job.receipt.job_id).events
    assert [r.id for r in records] == [event.id] and records[0].status == "delivered"


def test_cancel_of_a_queued_job(sdk: Conduit, first_job: FirstJob, receiver: WebhookReceiver) -> None:
    assert first_job.cancel_response.status == "canceled", first_job.cancel_response
    assert first_job.cancel_error.code == "job_canceled" and first_job.cancel_error.job_id == first_job.queued_job_id
    assert sdk.primitives.jobs.get(first_job.queued_job_id).status == "canceled"
    delivery = receiver.wait_for(lambda d: d.path == "/hooks/sdk-canceled", timeout=30)
    event = sdk.webhooks.parse_event(delivery.body)  # an unknown type: passed through
    assert event.type == "report.canceled"
    assert event.data == {"jobId": first_job.queued_job_id, "status": "canceled"}
    assert json.loads(delivery.body)["type"] == "report.canceled"


async def test_async_client_on_processed_media(conduit_server: ServerProcess, first_job: FirstJob) -> None:
    async with AsyncConduit(api_key=conduit_server.api_key, base_url=conduit_server.base_url) as client:
        receipt = await client.reports.create(
            source={"media_id": first_job.receipt.media_id},
            output={"template": "sales_playbook"},
            target={"strategy": "speaker_index", "speaker_index": 1},
        )
        events = [event.type async for event in receipt.handle.stream(timeout_ms=60_000)]
        assert events[-1] == "terminal"
        report = await receipt.handle.wait(timeout_ms=60_000)
        assert report.output.template == "sales_playbook" and report.output.markdown
        assert report.output.json is not None and report.output.json["template"] == "sales_playbook"
        assert report.entity_id and report.entity_id != first_job.report.entity_id
        assert (await client.reports.get_by_job(receipt.job_id)) == report
        job = await client.primitives.jobs.get(receipt.job_id)
        assert job.status == "succeeded" and job.report_id == report.id
