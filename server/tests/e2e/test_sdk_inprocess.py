"""The same SDK flows in process: AsyncConduit over `httpx.ASGITransport` to `build_api()` with a test runtime and
the real job workers in this event loop (one more full pipeline run, on this module's own database).

ASGITransport buffers whole responses, so a job stream arrives in one piece once the job is terminal.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from conduit import AsyncConduit, JobCanceledError, Report
from conduit_server.app import build_api
from conduit_server.store import accounts
from server_testkit import open_test_runtime, workers_for

from e2e.receiver import WebhookReceiver

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

BASE_URL = "http://conduit.test"


@dataclass
class InProcess:
    client: AsyncConduit
    key: accounts.CreatedKey


@pytest.fixture(scope="module")
async def inproc(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[InProcess]:
    async with open_test_runtime(database_url, tmp_path_factory.mktemp("inproc")) as rt:
        key = await accounts.create_key(rt.engine, rt.clock())
        app = build_api()
        app.state.runtime = rt
        async with workers_for(rt), httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as http:
            async with AsyncConduit(api_key=key.api_key, base_url=BASE_URL, http_client=http) as client:
                yield InProcess(client, key)


@dataclass
class Flow:
    report: Report
    job_id: str
    media_id: str
    event_types: list[str]
    canceled_job_id: str
    cancel_error: JobCanceledError


@pytest.fixture(scope="module")
async def flow(inproc: InProcess, receiver: WebhookReceiver, speech_path: Path) -> Flow:
    client = inproc.client
    receipt = await client.reports.create(
        source={"path": str(speech_path)},
        output={"template": "general_report"},
        target={"strategy": "dominant"},
        webhook={"url": receiver.url("/hooks/inproc"), "headers": {"x-tenant-id": "tenant_inproc"}},
    )
    assert receipt.media_id is not None
    queued = await client.reports.create(
        source={"media_id": receipt.media_id}, output={"template": "general_report"}, target={"strategy": "dominant"}
    )
    assert (await queued.handle.cancel()).status == "canceled"
    with pytest.raises(JobCanceledError) as info:
        await queued.handle.wait(timeout_ms=30_000)
    types = [event.type async for event in receipt.handle.stream(timeout_ms=240_000)]
    report = await receipt.handle.wait(timeout_ms=240_000)
    return Flow(report, receipt.job_id, receipt.media_id, types, queued.job_id, info.value)


async def test_upload_stream_and_wait(flow: Flow) -> None:
    assert flow.event_types[0] == "status" and flow.event_types[-1] == "terminal"
    assert flow.report.job_id == flow.job_id and flow.report.media_id == flow.media_id
    assert flow.report.output.markdown and flow.report.output.json is not None
    assert flow.report.output.json["schemaVersion"] == 2


async def test_reads(inproc: InProcess, flow: Flow) -> None:
    client = inproc.client
    assert await client.reports.get(flow.report.id) == flow.report
    assert await client.reports.get_by_job(flow.job_id) == flow.report
    media = await client.primitives.media.get(flow.media_id)
    assert media.processing_status == "COMPLETED" and media.has_reports
    assert flow.media_id in [f.media_id for f in (await client.primitives.media.list()).files]
    assert len((await client.primitives.media.speakers(flow.media_id)).speakers) == 2
    entity_id = flow.report.entity_id
    assert entity_id is not None
    assert entity_id in [e.id for e in (await client.primitives.entities.list()).entities]
    assert (await client.primitives.entities.update(entity_id, {"label": "Sam"})).label == "Sam"
    assert (await client.primitives.entities.get(entity_id)).label == "Sam"


async def test_cancel_of_a_queued_job(inproc: InProcess, flow: Flow) -> None:
    assert flow.cancel_error.code == "job_canceled" and flow.cancel_error.job_id == flow.canceled_job_id
    assert (await inproc.client.primitives.jobs.get(flow.canceled_job_id)).status == "canceled"


async def test_webhook(inproc: InProcess, flow: Flow, receiver: WebhookReceiver) -> None:
    delivery = await receiver.wait_for_async(lambda d: d.path == "/hooks/inproc", within=30)
    assert delivery.headers["x-tenant-id"] == "tenant_inproc"
    assert inproc.client.webhooks.verify_signature(delivery.body, delivery.headers, secret=inproc.key.webhook_secret)
    event = inproc.client.webhooks.parse_event(delivery.body)
    assert event.type == "report.completed"
    assert event.data == {"jobId": flow.job_id, "reportId": flow.report.id, "status": "succeeded"}
