"""Receipts returned by ``create`` calls and the run handles they carry (wait / stream / cancel / fetch)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ._errors import ConduitError
from ._streaming import DEFAULT_STREAM_TIMEOUT_MS, OnEvent
from .models import Job, JobEvent, Matching, Report
from .types import CancelSignal

if TYPE_CHECKING:
    from .resources.jobs import AsyncJobs, Jobs
    from .resources.matching import AsyncMatchingResource, MatchingResource
    from .resources.reports import AsyncReports, Reports


def _result_id(job: Job, value: str | None, key: str) -> str:
    if value is None:
        raise ConduitError(f"Job {job.id} succeeded but no {key} was returned", code="invalid_response")
    return value


@dataclass(slots=True)
class ReportRunHandle:
    """Controls for one report job."""

    job_id: str
    _jobs: Jobs = field(repr=False)
    _reports: Reports = field(repr=False)

    def stream(
        self,
        *,
        timeout_ms: int | None = DEFAULT_STREAM_TIMEOUT_MS,
        on_event: OnEvent | None = None,
        signal: CancelSignal | None = None,
    ) -> Iterator[JobEvent]:
        return self._jobs.stream(self.job_id, timeout_ms=timeout_ms, on_event=on_event, signal=signal)

    def wait(
        self,
        *,
        timeout_ms: int = DEFAULT_STREAM_TIMEOUT_MS,
        on_event: OnEvent | None = None,
        signal: CancelSignal | None = None,
    ) -> Report:
        """Wait for ``terminal``, then fetch the report (raises JobFailedError / JobCanceledError / TimeoutError)."""
        job = self._jobs.wait(self.job_id, timeout_ms=timeout_ms, on_event=on_event, signal=signal)
        return self._reports.get(_result_id(job, job.report_id, "reportId"))

    def cancel(self) -> Job:
        return self._jobs.cancel(self.job_id)

    def job(self) -> Job:
        return self._jobs.get(self.job_id)

    def report(self) -> Report | None:
        return self._reports.get_by_job(self.job_id)


@dataclass(slots=True)
class MatchingRunHandle:
    """Controls for one matching job."""

    job_id: str
    _jobs: Jobs = field(repr=False)
    _matching: MatchingResource = field(repr=False)

    def stream(
        self,
        *,
        timeout_ms: int | None = DEFAULT_STREAM_TIMEOUT_MS,
        on_event: OnEvent | None = None,
        signal: CancelSignal | None = None,
    ) -> Iterator[JobEvent]:
        return self._jobs.stream(self.job_id, timeout_ms=timeout_ms, on_event=on_event, signal=signal)

    def wait(
        self,
        *,
        timeout_ms: int = DEFAULT_STREAM_TIMEOUT_MS,
        on_event: OnEvent | None = None,
        signal: CancelSignal | None = None,
    ) -> Matching:
        job = self._jobs.wait(self.job_id, timeout_ms=timeout_ms, on_event=on_event, signal=signal)
        return self._matching.get(_result_id(job, job.matching_id, "matchingId"))

    def cancel(self) -> Job:
        return self._jobs.cancel(self.job_id)

    def job(self) -> Job:
        return self._jobs.get(self.job_id)

    def matching(self) -> Matching | None:
        return self._matching.get_by_job(self.job_id)


@dataclass(slots=True)
class ReportJobReceipt:
    job_id: str
    status: str
    handle: ReportRunHandle
    media_id: str | None = None
    stage: str | None = None
    estimated_wait_sec: float | None = None


@dataclass(slots=True)
class MatchingJobReceipt:
    job_id: str
    status: str
    handle: MatchingRunHandle
    stage: str | None = None
    estimated_wait_sec: float | None = None


@dataclass(slots=True)
class AsyncReportRunHandle:
    """Async controls for one report job."""

    job_id: str
    _jobs: AsyncJobs = field(repr=False)
    _reports: AsyncReports = field(repr=False)

    def stream(
        self,
        *,
        timeout_ms: int | None = DEFAULT_STREAM_TIMEOUT_MS,
        on_event: OnEvent | None = None,
        signal: CancelSignal | None = None,
    ) -> AsyncIterator[JobEvent]:
        return self._jobs.stream(self.job_id, timeout_ms=timeout_ms, on_event=on_event, signal=signal)

    async def wait(
        self,
        *,
        timeout_ms: int = DEFAULT_STREAM_TIMEOUT_MS,
        on_event: OnEvent | None = None,
        signal: CancelSignal | None = None,
    ) -> Report:
        job = await self._jobs.wait(self.job_id, timeout_ms=timeout_ms, on_event=on_event, signal=signal)
        return await self._reports.get(_result_id(job, job.report_id, "reportId"))

    async def cancel(self) -> Job:
        return await self._jobs.cancel(self.job_id)

    async def job(self) -> Job:
        return await self._jobs.get(self.job_id)

    async def report(self) -> Report | None:
        return await self._reports.get_by_job(self.job_id)


@dataclass(slots=True)
class AsyncMatchingRunHandle:
    """Async controls for one matching job."""

    job_id: str
    _jobs: AsyncJobs = field(repr=False)
    _matching: AsyncMatchingResource = field(repr=False)

    def stream(
        self,
        *,
        timeout_ms: int | None = DEFAULT_STREAM_TIMEOUT_MS,
        on_event: OnEvent | None = None,
        signal: CancelSignal | None = None,
    ) -> AsyncIterator[JobEvent]:
        return self._jobs.stream(self.job_id, timeout_ms=timeout_ms, on_event=on_event, signal=signal)

    async def wait(
        self,
        *,
        timeout_ms: int = DEFAULT_STREAM_TIMEOUT_MS,
        on_event: OnEvent | None = None,
        signal: CancelSignal | None = None,
    ) -> Matching:
        job = await self._jobs.wait(self.job_id, timeout_ms=timeout_ms, on_event=on_event, signal=signal)
        return await self._matching.get(_result_id(job, job.matching_id, "matchingId"))

    async def cancel(self) -> Job:
        return await self._jobs.cancel(self.job_id)

    async def job(self) -> Job:
        return await self._jobs.get(self.job_id)

    async def matching(self) -> Matching | None:
        return await self._matching.get_by_job(self.job_id)


@dataclass(slots=True)
class AsyncReportJobReceipt:
    job_id: str
    status: str
    handle: AsyncReportRunHandle
    media_id: str | None = None
    stage: str | None = None
    estimated_wait_sec: float | None = None


@dataclass(slots=True)
class AsyncMatchingJobReceipt:
    job_id: str
    status: str
    handle: AsyncMatchingRunHandle
    stage: str | None = None
    estimated_wait_sec: float | None = None
