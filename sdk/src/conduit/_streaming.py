"""Job event streams over SSE with reconnection (``GET /v1/jobs/{id}/stream``).

Reconnects with ``Last-Event-ID`` after a disconnect, 5xx, 429, timeout or transport error, at most
``STREAM_MAX_RETRIES`` consecutive times; each session asks the server for ``min(remaining, 300000)`` ms.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from typing import cast
from urllib.parse import quote

from ._clock import Clock
from ._errors import ApiError, ConduitError, RequestAbortedError, StreamError
from ._errors import TimeoutError as SDKTimeoutError
from ._sse import ServerSentEvent, SSEDecoder
from ._transport import AsyncTransport, SyncTransport, check_signal, new_request_id
from .models import JobEvent, parse_job
from .types import CancelSignal

DEFAULT_STREAM_TIMEOUT_MS = 300000
MAX_SESSION_MS = 300000
STREAM_READ_GRACE_MS = 5000
STREAM_MAX_RETRIES = 5
_POLL_S = 0.05

OnEvent = Callable[[JobEvent], None]


def _payload(raw: ServerSentEvent) -> Mapping[str, object]:
    try:
        value = json.loads(raw.data)
    except ValueError as exc:
        raise ConduitError("Invalid stream payload", code="invalid_response") from exc
    if not isinstance(value, dict):
        raise ConduitError("Invalid stream payload", code="invalid_response")
    return cast("Mapping[str, object]", value)


def parse_job_event(raw: ServerSentEvent) -> JobEvent | ConduitError | None:
    """A JobEvent, the error an ``error`` frame carries, or None for heartbeats and unknown events."""
    if raw.event not in {"status", "stage", "terminal", "error"}:
        return None
    payload = _payload(raw)
    if raw.event == "error":
        message, code = payload.get("message"), payload.get("code")
        return ConduitError(
            message if isinstance(message, str) else "Unknown SSE error",
            code=code if isinstance(code, str) else "stream_error",
        )
    job = parse_job(payload.get("job"))
    if raw.event != "stage":
        return JobEvent(type=raw.event, job=job)
    stage, progress = payload.get("stage"), payload.get("progress")
    return JobEvent(
        type="stage",
        job=job,
        stage=stage if isinstance(stage, str) else job.stage,
        progress=float(progress)
        if isinstance(progress, int | float) and not isinstance(progress, bool)
        else job.progress,
    )


def _retryable(error: ConduitError) -> bool:
    if isinstance(error, ApiError):
        return error.status >= 500 or error.status == 429
    return error.code in {"timeout", "transport_error"}


class _Session:
    """Reconnect bookkeeping shared by the sync and async iterators."""

    def __init__(self, job_id: str, timeout_ms: float | None, clock: Clock, signal: CancelSignal | None) -> None:
        self.job_id = job_id
        self.timeout_ms = timeout_ms
        self.clock = clock
        self.signal = signal
        self.deadline = None if timeout_ms is None else clock.monotonic() + timeout_ms / 1000
        self.last_event_id: str | None = None
        self.retry_count = 0
        self.request_id = new_request_id()
        self.path = f"/v1/jobs/{quote(job_id, safe='')}/stream"

    def remaining_s(self) -> float | None:
        return None if self.deadline is None else self.deadline - self.clock.monotonic()

    def timed_out(self) -> SDKTimeoutError:
        return SDKTimeoutError(f"Timed out waiting for job {self.job_id} after {self.timeout_ms}ms")

    def begin(self) -> tuple[dict[str, str], float]:
        """Check signal and deadline, and return the query and read timeout of the next connection."""
        check_signal(self.signal)
        remaining = self.remaining_s()
        if remaining is not None and remaining <= 0:
            raise self.timed_out()
        self.request_id = new_request_id()
        session_ms = MAX_SESSION_MS if remaining is None else max(1, min(int(remaining * 1000), MAX_SESSION_MS))
        return {"timeout": str(session_ms)}, session_ms + STREAM_READ_GRACE_MS

    def accept(self, raw: ServerSentEvent) -> JobEvent | None:
        check_signal(self.signal, self.request_id)
        if raw.id is not None:
            self.last_event_id = raw.id
        event = parse_job_event(raw)
        if isinstance(event, ConduitError):
            event.request_id = self.request_id
            raise _Fatal(event)
        if event is not None:
            self.retry_count = 0
        return event

    def failed(self, error: ConduitError | None) -> float:
        """Decide after a failed or closed connection: raise, or return the backoff in seconds."""
        remaining = self.remaining_s()
        if remaining is not None and remaining <= 0:
            raise self.timed_out() from error
        if error is not None and (not _retryable(error) or self.retry_count >= STREAM_MAX_RETRIES):
            raise self._stream_error(f"Failed to stream job {self.job_id}", error)
        self.retry_count += 1
        if self.retry_count > STREAM_MAX_RETRIES:
            raise self._stream_error(f"Failed to stream job {self.job_id} after {self.retry_count} retries", None)
        delay = min(500 * int(2**self.retry_count), 4000) / 1000
        return delay if remaining is None else min(delay, remaining)

    def _stream_error(self, message: str, cause: ConduitError | None) -> StreamError:
        return StreamError(
            message,
            job_id=self.job_id,
            last_event_id=self.last_event_id,
            retry_count=self.retry_count,
            request_id=self.request_id,
            cause=cause,
        )


class _Fatal(Exception):
    """Carries an ``error`` frame's ConduitError past the reconnect handler."""

    def __init__(self, error: ConduitError) -> None:
        super().__init__(error.message)
        self.error = error


def iter_job_events(
    transport: SyncTransport,
    job_id: str,
    *,
    timeout_ms: float | None = DEFAULT_STREAM_TIMEOUT_MS,
    on_event: OnEvent | None = None,
    signal: CancelSignal | None = None,
) -> Iterator[JobEvent]:
    """Yield job events until ``terminal`` (inclusive)."""
    session = _Session(job_id, timeout_ms, transport.clock, signal)
    while True:
        query, read_timeout_ms = session.begin()
        error: ConduitError | None = None
        try:
            with transport.open_stream(
                session.path,
                query=query,
                request_id=session.request_id,
                last_event_id=session.last_event_id,
                timeout_ms=read_timeout_ms,
            ) as response:
                decoder = SSEDecoder()
                for line in response.iter_lines():
                    raw = decoder.feed(line)
                    event = session.accept(raw) if raw is not None else None
                    if event is None:
                        continue
                    if on_event is not None:
                        on_event(event)
                    yield event
                    if event.type == "terminal":
                        return
                tail = decoder.flush()
                event = session.accept(tail) if tail is not None else None
                if event is not None:
                    if on_event is not None:
                        on_event(event)
                    yield event
                    if event.type == "terminal":
                        return
        except _Fatal as fatal:
            raise fatal.error from None
        except RequestAbortedError:
            raise
        except ConduitError as exc:
            error = exc
        delay = session.failed(error)
        _pause(transport.clock, delay, signal)


async def aiter_job_events(
    transport: AsyncTransport,
    job_id: str,
    *,
    timeout_ms: float | None = DEFAULT_STREAM_TIMEOUT_MS,
    on_event: OnEvent | None = None,
    signal: CancelSignal | None = None,
) -> AsyncIterator[JobEvent]:
    """Async twin of ``iter_job_events``."""
    session = _Session(job_id, timeout_ms, transport.clock, signal)
    while True:
        query, read_timeout_ms = session.begin()
        error: ConduitError | None = None
        try:
            async with transport.open_stream(
                session.path,
                query=query,
                request_id=session.request_id,
                last_event_id=session.last_event_id,
                timeout_ms=read_timeout_ms,
            ) as response:
                decoder = SSEDecoder()
                pending: list[ServerSentEvent] = []
                async for line in response.aiter_lines():
                    raw = decoder.feed(line)
                    if raw is not None:
                        pending.append(raw)
                    while pending:
                        event = session.accept(pending.pop(0))
                        if event is None:
                            continue
                        if on_event is not None:
                            on_event(event)
                        yield event
                        if event.type == "terminal":
                            return
                tail = decoder.flush()
                event = session.accept(tail) if tail is not None else None
                if event is not None:
                    if on_event is not None:
                        on_event(event)
                    yield event
                    if event.type == "terminal":
                        return
        except _Fatal as fatal:
            raise fatal.error from None
        except RequestAbortedError:
            raise
        except ConduitError as exc:
            error = exc
        delay = session.failed(error)
        remaining = delay
        while remaining > 0:
            check_signal(signal)
            step = min(_POLL_S, remaining)
            await transport.clock.asleep(step)
            remaining -= step


def _pause(clock: Clock, seconds: float, signal: CancelSignal | None) -> None:
    remaining = seconds
    while remaining > 0:
        check_signal(signal)
        step = min(_POLL_S, remaining)
        clock.sleep(step)
        remaining -= step
