"""``reports``: create (uploading the source when needed), get, get_by_job, and (ours) evidence."""

from __future__ import annotations

from collections.abc import Mapping
from typing import cast

from .._handles import AsyncReportJobReceipt, AsyncReportRunHandle, ReportJobReceipt, ReportRunHandle
from .._requests import report_body, segment
from .._transport import AsyncTransport, RequestSpec, SyncTransport, check_signal
from ..models import Report, ReportEvidence, parse_job_receipt, parse_report, parse_report_evidence
from ..types import CancelSignal, ReportLanguage, ReportOutput, ReportSource, TargetSelector, WebhookConfig
from .jobs import AsyncJobs, Jobs
from .media import AsyncMedia, Media


def _create_spec(body: dict[str, object], idempotency_key: str | None, request_id: str | None) -> RequestSpec:
    return RequestSpec(
        "POST", "/v1/reports/jobs", json_body=body, request_id=request_id, idempotency_key=idempotency_key
    )


def _as_map(value: object) -> Mapping[str, object]:
    return cast("Mapping[str, object]", value)


class Reports:
    def __init__(self, transport: SyncTransport, jobs: Jobs, media: Media) -> None:
        self._transport = transport
        self._jobs = jobs
        self._media = media

    def create(
        self,
        *,
        source: ReportSource,
        output: ReportOutput,
        target: TargetSelector,
        language: ReportLanguage | None = None,
        webhook: WebhookConfig | None = None,
        idempotency_key: str | None = None,
        request_id: str | None = None,
        signal: CancelSignal | None = None,
    ) -> ReportJobReceipt:
        """Upload the source if needed and create the report job; never waits for the job."""
        media_id = self._media.resolve_report_source(
            _as_map(source), idempotency_key=idempotency_key, request_id=request_id, signal=signal
        )
        check_signal(signal, request_id)
        body = report_body(media_id, _as_map(output), _as_map(target), language, _as_map(webhook) if webhook else None)
        receipt = parse_job_receipt(self._transport.request(_create_spec(body, idempotency_key, request_id)).data)
        return ReportJobReceipt(
            job_id=receipt.job_id,
            status=receipt.status,
            handle=ReportRunHandle(receipt.job_id, self._jobs, self),
            media_id=media_id,
            stage=receipt.stage,
            estimated_wait_sec=receipt.estimated_wait_sec,
        )

    def get(self, report_id: str, *, request_id: str | None = None) -> Report:
        spec = RequestSpec("GET", f"/v1/reports/{segment(report_id, 'report_id')}", request_id=request_id)
        return parse_report(self._transport.request(spec).data)

    def get_by_job(self, job_id: str, *, request_id: str | None = None) -> Report | None:
        spec = RequestSpec("GET", f"/v1/reports/by-job/{segment(job_id, 'job_id')}", request_id=request_id)
        data = self._transport.request(spec).data
        return None if data is None else parse_report(data)

    def evidence(self, report_id: str, *, request_id: str | None = None) -> ReportEvidence:
        """Ours: indicators, metrics and the claim -> indicator mapping behind a report."""
        spec = RequestSpec("GET", f"/v1/reports/{segment(report_id, 'report_id')}/evidence", request_id=request_id)
        return parse_report_evidence(self._transport.request(spec).data)


class AsyncReports:
    def __init__(self, transport: AsyncTransport, jobs: AsyncJobs, media: AsyncMedia) -> None:
        self._transport = transport
        self._jobs = jobs
        self._media = media

    async def create(
        self,
        *,
        source: ReportSource,
        output: ReportOutput,
        target: TargetSelector,
        language: ReportLanguage | None = None,
        webhook: WebhookConfig | None = None,
        idempotency_key: str | None = None,
        request_id: str | None = None,
        signal: CancelSignal | None = None,
    ) -> AsyncReportJobReceipt:
        media_id = await self._media.resolve_report_source(
            _as_map(source), idempotency_key=idempotency_key, request_id=request_id, signal=signal
        )
        check_signal(signal, request_id)
        body = report_body(media_id, _as_map(output), _as_map(target), language, _as_map(webhook) if webhook else None)
        response = await self._transport.request(_create_spec(body, idempotency_key, request_id))
        receipt = parse_job_receipt(response.data)
        return AsyncReportJobReceipt(
            job_id=receipt.job_id,
            status=receipt.status,
            handle=AsyncReportRunHandle(receipt.job_id, self._jobs, self),
            media_id=media_id,
            stage=receipt.stage,
            estimated_wait_sec=receipt.estimated_wait_sec,
        )

    async def get(self, report_id: str, *, request_id: str | None = None) -> Report:
        spec = RequestSpec("GET", f"/v1/reports/{segment(report_id, 'report_id')}", request_id=request_id)
        return parse_report((await self._transport.request(spec)).data)

    async def get_by_job(self, job_id: str, *, request_id: str | None = None) -> Report | None:
        spec = RequestSpec("GET", f"/v1/reports/by-job/{segment(job_id, 'job_id')}", request_id=request_id)
        data = (await self._transport.request(spec)).data
        return None if data is None else parse_report(data)

    async def evidence(self, report_id: str, *, request_id: str | None = None) -> ReportEvidence:
        spec = RequestSpec("GET", f"/v1/reports/{segment(report_id, 'report_id')}/evidence", request_id=request_id)
        return parse_report_evidence((await self._transport.request(spec)).data)
