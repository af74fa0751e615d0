"""/v1/jobs: read, cancel, and the SSE event stream with Last-Event-ID resume (docs/api.md §4, §5)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import JSONResponse, StreamingResponse

from conduit_server.api import openapi as oa
from conduit_server.api import schemas
from conduit_server.api.deps import principal, runtime
from conduit_server.api.idempotency import header_key, run_idempotent
from conduit_server.domain import jobs as J
from conduit_server.domain.clock import iso
from conduit_server.domain.errors import NotFound, ValidationFailed
from conduit_server.domain.views import job_json
from conduit_server.jobs.lifecycle import cancel
from conduit_server.limits.quotas import STREAMS, Slot
from conduit_server.runtime import Runtime
from conduit_server.store import jobs as job_store
from conduit_server.store.accounts import Principal

router = APIRouter(prefix="/v1/jobs", tags=["jobs"])

HEARTBEAT_SECONDS = 15.0
PULSE_SECONDS = 60.0
POLL_SECONDS = 1.0  # bound on how late an event written by another process reaches the stream


@router.get("/{job_id}", responses=oa.responses(schemas.Job, *oa.NOT_FOUND))
async def get_job(job_id: str, request: Request, who: Principal = Depends(principal)) -> JSONResponse:
    rt = runtime(request)
    async with rt.engine.connect() as conn:
        row = await job_store.get(conn, job_id, who.workspace_id)
    if row is None:
        raise NotFound("Job not found")
    return JSONResponse(job_json(row))


@router.post("/{job_id}/cancel", responses=oa.responses(schemas.Job, *oa.NOT_FOUND, *oa.IDEMPOTENT),
             openapi_extra=oa.parameters(oa.IDEMPOTENCY_KEY))
async def cancel_job(job_id: str, request: Request, who: Principal = Depends(principal)) -> JSONResponse:
    rt = runtime(request)

    async def run() -> JSONResponse:
        now = rt.clock()
        async with rt.engine.begin() as conn:
            row = await cancel(conn, job_id, who.workspace_id, now, rt.settings)
        if row is None:
            raise NotFound("Job not found")
        rt.events.publish(job_id)
        return JSONResponse(job_json(row))

    return await run_idempotent(request, who, "POST /v1/jobs/{jobId}/cancel", header_key(request), "", run)  # type: ignore[return-value]


def _frame(event: str, data: dict[str, Any], event_id: int | None) -> bytes:
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode()


def _timeout_ms(raw: str | None) -> int:
    if raw is None:
        return 300_000
    try:
        value = int(raw)
    except ValueError:
        raise ValidationFailed([("timeout", "must be an integer number of milliseconds")]) from None
    return max(1000, min(300_000, value))


def _last_event_id(raw: str | None) -> int:
    try:
        return max(0, int(raw)) if raw is not None else 0
    except ValueError:
        return 0


async def _events(
    rt: Runtime, job_id: str, workspace_id: str, after: int, timeout_s: float
) -> AsyncGenerator[bytes, None]:
    async with rt.engine.connect() as conn:
        job = await job_store.get(conn, job_id, workspace_id)
    if job is None:
        yield _frame("error", {"code": "not_found", "message": "Job not found"}, None)
        return
    wake = rt.events.subscribe(job_id)
    try:
        deadline = time.monotonic() + timeout_s
        last_sent = time.monotonic()
        last_stage_sent = time.monotonic()
        last_id: int | None = after or None
        while True:
            wake.clear()
            # The job before its events: each statement sees its own snapshot, and the terminal status commits
            # with the terminal event, so a job read as terminal here has that event in the read below. (Events
            # first would lose it when the job ends between the two reads: the stream closed without it.)
            async with rt.engine.connect() as conn:
                job = await job_store.get(conn, job_id)
                rows = await job_store.events_after(conn, job_id, after)
            for row in rows:
                yield _frame(row.event, row.data, row.id)
                after = last_id = row.id
                last_sent = last_stage_sent = time.monotonic()
                if row.event == "terminal":
                    return
            if job is None or job.status in J.TERMINAL:
                return  # already terminal (resumed past its terminal event): never wait
            now = time.monotonic()
            if now >= deadline:
                return
            if now - last_stage_sent >= PULSE_SECONDS and job.stage:
                data: dict[str, Any] = {"stage": job.stage, "job": job_json(job)}
                if job.progress is not None:
                    data["progress"] = job.progress
                yield _frame("stage", data, last_id)
                last_sent = last_stage_sent = now
            elif now - last_sent >= HEARTBEAT_SECONDS:
                yield _frame("heartbeat", {"timestamp": iso(rt.clock())}, last_id)
                last_sent = now
            wait = min(POLL_SECONDS, deadline - now, HEARTBEAT_SECONDS - (now - last_sent))
            try:
                await asyncio.wait_for(wake.wait(), timeout=max(0.05, wait))
            except TimeoutError:
                pass
    finally:
        rt.events.unsubscribe(job_id, wake)


async def _holding(slot: Slot, stream: AsyncGenerator[bytes, None]) -> AsyncIterator[bytes]:
    """Yield `stream`, holding the key's stream slot until it ends, fails or the client goes away."""
    try:
        async for chunk in stream:
            yield chunk
    finally:
        slot.release()
        await stream.aclose()


@router.get("/{job_id}/stream", response_class=StreamingResponse, responses=oa.event_stream(*oa.AUTHENTICATED, 422),
            openapi_extra=oa.STREAM_QUERY)
async def stream_job(job_id: str, request: Request, who: Principal = Depends(principal)) -> StreamingResponse:
    rt = runtime(request)
    timeout_ms = _timeout_ms(request.query_params.get("timeout"))
    after = _last_event_id(request.headers.get("last-event-id"))
    slot = rt.slots.acquire(STREAMS, who.api_key_id, rt.settings.max_open_streams, "open event streams")
    return StreamingResponse(
        _holding(slot, _events(rt, job_id, who.workspace_id, after, timeout_ms / 1000.0)),
        media_type="text/event-stream; charset=utf-8",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
