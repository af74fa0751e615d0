"""Run handles (wait / stream / cancel / fetch) and the receipts returned by ``create`` calls.

``RunHandle[T]`` and ``AsyncRunHandle[T]`` are the whole implementation, parametrised by the result type ``T`` and
the store that fetches it; the public ``ReportRunHandle`` / ``MatchingRunHandle`` (and async twins) are thin
subclasses that keep the official constructor ``(job_id, jobs, resource)`` and the ``report()`` / ``matching()``
names. Handles see jobs and results only through the protocols below, so this module imports no resource module
and the resources (which build handles) can import it without a cycle.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

from ._errors import ConduitError
from ._streaming import DEFAULT_STREAM_TIMEOUT_MS, OnEvent
from .models import Job, JobEvent, Matching, Report
from .types import CancelSignal

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


class JobControl(Protocol):
    """What a handle needs from ``primitives.jobs``."""

    def get(self, job_id: str, /) -> Job: ...
    def cancel(self, job_id: str, /) -> Job: ...
    def stream(
        self, job_id: str, /, *, timeout_ms: int | None, on_event: OnEvent | None, signal: CancelSignal | None
    ) -> Iterator[JobEvent]: ...
    def wait(
        self, job_id: str, /, *, timeout_ms: int, on_event: OnEvent | None, signal: CancelSignal | None
    ) -> Job: ...


class AsyncJobControl(Protocol):
    """What an async handle needs from ``primitives.jobs``."""

    async def get(self, job_id: str, /) -> Job: ...
    async def cancel(self, job_id: str, /) -> Job: ...
    def stream(
        self, job_id: str, /, *, timeout_ms: int | None, on_event: OnEvent | None, signal: CancelSignal | None
    ) -> AsyncIterator[JobEvent]: ...
    async def wait(
        self, job_id: str, /, *, timeout_ms: int, on_event: OnEvent | None, signal: CancelSignal | None
    ) -> Job: ...


class ResultStore(Protocol[T_co]):
    """Fetches a job's result by its own id, or by the job id (``None`` while there is none)."""

    def get(self, result_id: str, /) -> T_co: ...
    def get_by_job(self, job_id: str, /) -> T_co | None: ...


class AsyncResultStore(Protocol[T_co]):
    async def get(self, result_id: str, /) -> T_co: ...
    async def get_by_job(self, job_id: str, /) -> T_co | None: ...


@dataclass(frozen=True, slots=True)
class ResultKind:
    """Where a succeeded job names its result: ``Job.report_id`` on the wire as ``reportId``, and so on."""

    wire_key: str
    read: Callable[[Job], str | None]

    def id_of(self, job: Job) -> str:
        value = self.read(job)
        if value is None:
            raise ConduitError(f"Job {job.id} succeeded but no {self.wire_key} was returned", code="invalid_response")
        return value


REPORT = ResultKind("reportId", lambda job: job.report_id)
MATCHING = ResultKind("matchingId", lambda job: job.matching_id)


@dataclass(slots=True)
class RunHandle(Generic[T]):
    """Controls for one job whose result is a ``T``."""

    job_id: str
    _jobs: JobControl = field(repr=False)
    _results: ResultStore[T] = field(repr=False)
    _kind: ResultKind = field(repr=False)

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
    ) -> T:
        """Wait for ``terminal``, then fetch the result (raises JobFailedError / JobCanceledError / TimeoutError)."""
        job = self._jobs.wait(self.job_id, timeout_ms=timeout_ms, on_event=on_event, signal=signal)
        return self._results.get(self._kind.id_of(job))

    def cancel(self) -> Job:
        return self._jobs.cancel(self.job_id)

    def job(self) -> Job:
        return self._jobs.get(self.job_id)

    def result(self) -> T | None:
        """The result if the job has one yet, without waiting."""
        return self._results.get_by_job(self.job_id)


@dataclass(slots=True)
class AsyncRunHandle(Generic[T]):
    """Async controls for one job whose result is a ``T``."""

    job_id: str
    _jobs: AsyncJobControl = field(repr=False)
    _results: AsyncResultStore[T] = field(repr=False)
    _kind: ResultKind = field(repr=False)

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
    ) -> T:
        job = await self._jobs.wait(self.job_id, timeout_ms=timeout_ms, on_event=on_event, signal=signal)
        return await self._results.get(self._kind.id_of(job))

    async def cancel(self) -> Job:
        return await self._jobs.cancel(self.job_id)

    async def job(self) -> Job:
        return await self._jobs.get(self.job_id)

    async def result(self) -> T | None:
        return await self._results.get_by_job(self.job_id)


class ReportRunHandle(RunHandle[Report]):
    """Controls for one report job."""

    __slots__ = ()

    def __init__(self, job_id: str, jobs: JobControl, reports: ResultStore[Report]) -> None:
        RunHandle.__init__(self, job_id, jobs, reports, REPORT)

    def report(self) -> Report | None:
        return self.result()


class MatchingRunHandle(RunHandle[Matching]):
    """Controls for one matching job."""

    __slots__ = ()

    def __init__(self, job_id: str, jobs: JobControl, matching: ResultStore[Matching]) -> None:
        RunHandle.__init__(self, job_id, jobs, matching, MATCHING)

    def matching(self) -> Matching | None:
        return self.result()


class AsyncReportRunHandle(AsyncRunHandle[Report]):
    """Async controls for one report job."""

    __slots__ = ()

    def __init__(self, job_id: str, jobs: AsyncJobControl, reports: AsyncResultStore[Report]) -> None:
        AsyncRunHandle.__init__(self, job_id, jobs, reports, REPORT)

    async def report(self) -> Report | None:
        return await self.result()


class AsyncMatchingRunHandle(AsyncRunHandle[Matching]):
    """Async controls for one matching job."""

    __slots__ = ()

    def __init__(self, job_id: str, jobs: AsyncJobControl, matching: AsyncResultStore[Matching]) -> None:
        AsyncRunHandle.__init__(self, job_id, jobs, matching, MATCHING)

    async def matching(self) -> Matching | None:
        return await self.result()


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
