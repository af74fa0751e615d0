"""GET /v1/webhooks/stream (ext): the workspace's webhook events as Server-Sent Events (docs/api.md §6.5).

The same events the outbox delivers, streamed as they are created, so a developer's machine that the server cannot
reach (``conduit listen``) still gets them. Each frame is ``id: <event id>``, ``event: <event type>`` and
``data: <the exact body every delivery attempt POSTs>``; a client re-signs and forwards those bytes.

Event ids are random, so resume is by position: ``Last-Event-ID`` names an event of this workspace and the stream
continues with the events created after it (ordered by creation time, then id). Without it (or with an id this
workspace does not have) the stream starts live. Events are written by other processes' transactions whose
``created_at`` may precede their commit, so each poll re-reads an ``OVERLAP`` window and skips ids already sent.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator
from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import StreamingResponse

from conduit_server.api import openapi as oa
from conduit_server.api.deps import principal, runtime
from conduit_server.api.jobs import HEARTBEAT_SECONDS, POLL_SECONDS, _holding, _timeout_ms
from conduit_server.limits.quotas import STREAMS
from conduit_server.runtime import Runtime
from conduit_server.store import outbox
from conduit_server.store.accounts import Principal
from conduit_server.store.records import WebhookEventRecord

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])

OVERLAP = timedelta(seconds=30)  # how late an event may commit after its created_at and still be streamed
BATCH = 200

_STREAM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "One frame: `id:` the event id, `event:` its type, `data:` the webhook body (docs/api.md §6.2)",
    "properties": {
        "id": {"type": "string", "description": "the webhook event id (evt_...)"},
        "event": {"type": "string", "description": "the event type, e.g. report.completed"},
        "data": {"type": "string", "description": "the exact JSON body a delivery POSTs"},
    },
    "required": ["id", "event", "data"],
}


def _responses() -> dict[int | str, Any]:
    out = oa.responses(None, *oa.AUTHENTICATED, 422)
    out[200] = {"description": "The workspace's webhook events as Server-Sent Events",
                "content": {"text/event-stream": {"schema": _STREAM_SCHEMA}}}
    return out


_QUERY: dict[str, Any] = {"parameters": [
    {"name": "timeout", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 1000,
     "maximum": 300000}, "description": "session length in ms (default 300000); reconnect with Last-Event-ID"},
    {"name": "Last-Event-ID", "in": "header", "required": False, "schema": {"type": "string"},
     "description": "resume after this event of the workspace"},
]}


def _frame(row: WebhookEventRecord) -> bytes:
    return f"id: {row.id}\nevent: {row.type}\ndata: ".encode() + bytes(row.body) + b"\n\n"


class _Cursor:
    """What has been sent: a lower bound for the next poll and the ids inside the overlap window."""

    def __init__(self, lower: datetime, after: tuple[datetime, str] | None, sent: set[str]) -> None:
        self.lower = lower
        self.after = after  # resume point: only rows strictly after it
        self.sent: dict[str, datetime] = {}
        self.skip = sent

    def wants(self, row: WebhookEventRecord) -> bool:
        if row.id in self.sent or row.id in self.skip:
            return False
        return self.after is None or (row.created_at, row.id) > self.after

    def mark(self, row: WebhookEventRecord) -> None:
        self.sent[row.id] = row.created_at

    def advance(self, rows: list[WebhookEventRecord], now: datetime) -> None:
        """After a full batch move to its last row (a backlog); once caught up, keep only the overlap window."""
        if len(rows) >= BATCH:
            self.lower = max(self.lower, rows[-1].created_at)
        else:
            self.lower = max(self.lower, now - OVERLAP)
        self.sent = {k: v for k, v in self.sent.items() if v >= self.lower}


async def _start(rt: Runtime, workspace_id: str, last_event_id: str | None) -> _Cursor:
    now = rt.clock()
    async with rt.engine.connect() as conn:
        if last_event_id:
            row = await outbox.get(conn, last_event_id, workspace_id)
            if row is not None:
                return _Cursor(row.created_at - OVERLAP, (row.created_at, row.id), set())
        existing = await outbox.created_since(conn, workspace_id, now - OVERLAP, limit=10_000)
    return _Cursor(now - OVERLAP, None, {r.id for r in existing})  # live: what exists now is not sent


async def _events(rt: Runtime, workspace_id: str, last_event_id: str | None,
                  timeout_s: float) -> AsyncGenerator[bytes, None]:
    cursor = await _start(rt, workspace_id, last_event_id)
    deadline = time.monotonic() + timeout_s
    last_sent = time.monotonic()
    yield b": connected\n\n"  # opens the stream at once, so a client knows it is listening
    while True:
        async with rt.engine.connect() as conn:
            rows = await outbox.created_since(conn, workspace_id, cursor.lower, limit=BATCH)
        for row in rows:
            if cursor.wants(row):
                yield _frame(row)
                cursor.mark(row)
                last_sent = time.monotonic()
        cursor.advance(rows, rt.clock())
        if len(rows) >= BATCH:
            continue
        now = time.monotonic()
        if now >= deadline:
            return
        if now - last_sent >= HEARTBEAT_SECONDS:
            yield b": heartbeat\n\n"
            last_sent = now
        await asyncio.sleep(max(0.05, min(POLL_SECONDS, deadline - now)))


@router.get("/stream", response_class=StreamingResponse, responses=_responses(), openapi_extra=_QUERY)
async def stream_webhook_events(request: Request, who: Principal = Depends(principal)) -> StreamingResponse:
    rt = runtime(request)
    timeout_ms = _timeout_ms(request.query_params.get("timeout"))
    last_event_id = request.headers.get("last-event-id") or None
    slot = rt.slots.acquire(STREAMS, who.api_key_id, rt.settings.max_open_streams, "open event streams")
    return StreamingResponse(
        _holding(slot, _events(rt, who.workspace_id, last_event_id, timeout_ms / 1000.0)),
        media_type="text/event-stream; charset=utf-8",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
