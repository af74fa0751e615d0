"""``matching``: create, get, get_by_job."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import cast

from .._handles import AsyncMatchingJobReceipt, AsyncMatchingRunHandle, MatchingJobReceipt, MatchingRunHandle
from .._requests import matching_body, segment
from .._transport import AsyncTransport, RequestSpec, SyncTransport, check_signal
from ..models import Matching, parse_job_receipt, parse_matching
from ..types import CancelSignal, MatchingContext, MatchingSubjectRef, WebhookConfig
from .jobs import AsyncJobs, Jobs


def _create_spec(
    context: object,
    target: MatchingSubjectRef,
    group: Sequence[MatchingSubjectRef],
    webhook: WebhookConfig | None,
    idempotency_key: str | None,
    request_id: str | None,
) -> RequestSpec:
    body = matching_body(
        context,
        cast("Mapping[str, object]", target),
        [cast("Mapping[str, object]", item) for item in group],
        cast("Mapping[str, object] | None", webhook),
    )
    return RequestSpec(
        "POST", "/v1/matching/jobs", json_body=body, request_id=request_id, idempotency_key=idempotency_key
    )


class MatchingResource:
    def __init__(self, transport: SyncTransport, jobs: Jobs) -> None:
        self._transport = transport
        self._jobs = jobs

    def create(
        self,
        *,
        context: MatchingContext | str,
        target: MatchingSubjectRef,
        group: Sequence[MatchingSubjectRef],
        webhook: WebhookConfig | None = None,
        idempotency_key: str | None = None,
        request_id: str | None = None,
        signal: CancelSignal | None = None,
    ) -> MatchingJobReceipt:
        """Create a matching job; an empty group or a repeated direct entity id fails before any request."""
        check_signal(signal, request_id)
        spec = _create_spec(context, target, group, webhook, idempotency_key, request_id)
        receipt = parse_job_receipt(self._transport.request(spec).data)
        return MatchingJobReceipt(
            job_id=receipt.job_id,
            status=receipt.status,
            handle=MatchingRunHandle(receipt.job_id, self._jobs, self),
            stage=receipt.stage,
            estimated_wait_sec=receipt.estimated_wait_sec,
        )

    def get(self, matching_id: str, *, request_id: str | None = None) -> Matching:
        spec = RequestSpec("GET", f"/v1/matching/{segment(matching_id, 'matching_id')}", request_id=request_id)
        return parse_matching(self._transport.request(spec).data)

    def get_by_job(self, job_id: str, *, request_id: str | None = None) -> Matching | None:
        spec = RequestSpec("GET", f"/v1/matching/by-job/{segment(job_id, 'job_id')}", request_id=request_id)
        data = self._transport.request(spec).data
        return None if data is None else parse_matching(data)


class AsyncMatchingResource:
    def __init__(self, transport: AsyncTransport, jobs: AsyncJobs) -> None:
        self._transport = transport
        self._jobs = jobs

    async def create(
        self,
        *,
        context: MatchingContext | str,
        target: MatchingSubjectRef,
        group: Sequence[MatchingSubjectRef],
        webhook: WebhookConfig | None = None,
        idempotency_key: str | None = None,
        request_id: str | None = None,
        signal: CancelSignal | None = None,
    ) -> AsyncMatchingJobReceipt:
        check_signal(signal, request_id)
        spec = _create_spec(context, target, group, webhook, idempotency_key, request_id)
        receipt = parse_job_receipt((await self._transport.request(spec)).data)
        return AsyncMatchingJobReceipt(
            job_id=receipt.job_id,
            status=receipt.status,
            handle=AsyncMatchingRunHandle(receipt.job_id, self._jobs, self),
            stage=receipt.stage,
            estimated_wait_sec=receipt.estimated_wait_sec,
        )

    async def get(self, matching_id: str, *, request_id: str | None = None) -> Matching:
        spec = RequestSpec("GET", f"/v1/matching/{segment(matching_id, 'matching_id')}", request_id=request_id)
        return parse_matching((await self._transport.request(spec)).data)

    async def get_by_job(self, job_id: str, *, request_id: str | None = None) -> Matching | None:
        spec = RequestSpec("GET", f"/v1/matching/by-job/{segment(job_id, 'job_id')}", request_id=request_id)
        data = (await self._transport.request(spec)).data
        return None if data is None else parse_matching(data)
