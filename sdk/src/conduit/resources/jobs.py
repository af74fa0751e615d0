"""``primitives.jobs``: get, cancel, stream and wait."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

from .._errors import JobCanceledError, JobFailedError
from .._errors import TimeoutError as SDKTimeoutError
from .._requests import segment
from .._streaming import DEFAULT_STREAM_TIMEOUT_MS, OnEvent, aiter_job_events, iter_job_events
from .._transport import AsyncTransport, RequestSpec, SyncTransport
from ..models import Job, JobEvent, ListJobsResponse, parse_job, parse_list_jobs
from ..types import CancelSignal


def terminal_outcome(job_id: str, event: JobEvent) -> Job:
    """The succeeded Job, or raise JobFailedError / JobCanceledError."""
    job = event.job
    if job.status == "succeeded":
        return job
    if job.status == "failed":
        error = job.error
        raise JobFailedError(
            job_id,
            error.message if error else "Job failed",
            code=error.code if error else "job_failed",
            request_id=job.request_id,
        )
    raise JobCanceledError(job_id, "Job canceled", request_id=job.request_id)


def _timed_out(job_id: str, timeout_ms: int) -> SDKTimeoutError:
    return SDKTimeoutError(f"Timed out waiting for job {job_id} after {timeout_ms}ms")


def _list_query(limit: int | None, cursor: str | None, status: str | None) -> dict[str, str]:
    query = {"limit": str(limit or 20)}
    if cursor:
        query["cursor"] = cursor
    if status:
        query["status"] = status
    return query


class Jobs:
    def __init__(self, transport: SyncTransport) -> None:
        self._transport = transport

    def list(self, *, limit: int | None = None, cursor: str | None = None, status: str | None = None,
             request_id: str | None = None) -> ListJobsResponse:
        """The workspace's jobs, newest first (`GET /v1/jobs`, an extension of this server)."""
        spec = RequestSpec("GET", "/v1/jobs", query=_list_query(limit, cursor, status), request_id=request_id)
        return parse_list_jobs(self._transport.request(spec).data)

    def get(self, job_id: str, *, request_id: str | None = None) -> Job:
        spec = RequestSpec("GET", f"/v1/jobs/{segment(job_id, 'job_id')}", request_id=request_id)
        return parse_job(self._transport.request(spec).data)

    def cancel(self, job_id: str, *, idempotency_key: str | None = None, request_id: str | None = None) -> Job:
        spec = RequestSpec(
            "POST",
            f"/v1/jobs/{segment(job_id, 'job_id')}/cancel",
            request_id=request_id,
            idempotency_key=idempotency_key,
        )
        return parse_job(self._transport.request(spec).data)

    def stream(
        self,
        job_id: str,
        *,
        timeout_ms: int | None = DEFAULT_STREAM_TIMEOUT_MS,
        on_event: OnEvent | None = None,
        signal: CancelSignal | None = None,
    ) -> Iterator[JobEvent]:
        """Job events until ``terminal``; ``timeout_ms=None`` means no deadline."""
        segment(job_id, "job_id")
        return iter_job_events(self._transport, job_id, timeout_ms=timeout_ms, on_event=on_event, signal=signal)

    def wait(
        self,
        job_id: str,
        *,
        timeout_ms: int = DEFAULT_STREAM_TIMEOUT_MS,
        on_event: OnEvent | None = None,
        signal: CancelSignal | None = None,
    ) -> Job:
        """Block until the job is terminal: the succeeded Job, else JobFailedError / JobCanceledError / TimeoutError."""
        for event in self.stream(job_id, timeout_ms=timeout_ms, on_event=on_event, signal=signal):
            if event.type == "terminal":
                return terminal_outcome(job_id, event)
        raise _timed_out(job_id, timeout_ms)


class AsyncJobs:
    def __init__(self, transport: AsyncTransport) -> None:
        self._transport = transport

    async def list(self, *, limit: int | None = None, cursor: str | None = None, status: str | None = None,
                   request_id: str | None = None) -> ListJobsResponse:
        """The workspace's jobs, newest first (`GET /v1/jobs`, an extension of this server)."""
        spec = RequestSpec("GET", "/v1/jobs", query=_list_query(limit, cursor, status), request_id=request_id)
        return parse_list_jobs((await self._transport.request(spec)).data)

    async def get(self, job_id: str, *, request_id: str | None = None) -> Job:
        spec = RequestSpec("GET", f"/v1/jobs/{segment(job_id, 'job_id')}", request_id=request_id)
        return parse_job((await self._transport.request(spec)).data)

    async def cancel(self, job_id: str, *, idempotency_key: str | None = None, request_id: str | None = None) -> Job:
        spec = RequestSpec(
            "POST",
            f"/v1/jobs/{segment(job_id, 'job_id')}/cancel",
            request_id=request_id,
            idempotency_key=idempotency_key,
        )
        return parse_job((await self._transport.request(spec)).data)

    def stream(
        self,
        job_id: str,
        *,
        timeout_ms: int | None = DEFAULT_STREAM_TIMEOUT_MS,
        on_event: OnEvent | None = None,
        signal: CancelSignal | None = None,
    ) -> AsyncIterator[JobEvent]:
        segment(job_id, "job_id")
        return aiter_job_events(self._transport, job_id, timeout_ms=timeout_ms, on_event=on_event, signal=signal)

    async def wait(
        self,
        job_id: str,
        *,
        timeout_ms: int = DEFAULT_STREAM_TIMEOUT_MS,
        on_event: OnEvent | None = None,
        signal: CancelSignal | None = None,
    ) -> Job:
        async for event in self.stream(job_id, timeout_ms=timeout_ms, on_event=on_event, signal=signal):
            if event.type == "terminal":
                return terminal_outcome(job_id, event)
        raise _timed_out(job_id, timeout_ms)
