"""/v1/webhooks/events (ext): delivery records, attempts, and on-demand redelivery (docs/api.md §6.4)."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import JSONResponse

from conduit_server.api import openapi as oa
from conduit_server.api import schemas
from conduit_server.api.deps import principal, query_limit, runtime
from conduit_server.api.idempotency import header_key, run_idempotent
from conduit_server.domain.clock import iso
from conduit_server.domain.errors import NotFound
from conduit_server.domain.redact import redact_url
from conduit_server.store import outbox
from conduit_server.store.accounts import Principal
from conduit_server.store.records import WebhookEventRecord

router = APIRouter(prefix="/v1/webhooks/events", tags=["webhooks"])


def event_record(row: WebhookEventRecord) -> dict[str, Any]:
    return {
        "id": row.id,
        "type": row.type,
        "jobId": row.job_id,
        "url": redact_url(row.url),  # the receiver is shown, its credentials never
        "status": row.status,
        "attemptCount": row.attempt_count,
        "createdAt": iso(row.created_at),
        "lastAttemptAt": iso(row.last_attempt_at),
        "nextAttemptAt": iso(row.next_attempt_at),
        "payload": json.loads(bytes(row.body)),
    }


@router.get("", responses=oa.responses(schemas.WebhookEventList, *oa.AUTHENTICATED, 422),
            openapi_extra=oa.EVENT_LIST_QUERY)
async def list_events(request: Request, who: Principal = Depends(principal)) -> JSONResponse:
    rt = runtime(request)
    q = request.query_params
    limit = query_limit(q.get("limit"))
    async with rt.engine.connect() as conn:
        page = await outbox.list_page(conn, who.workspace_id, job_id=q.get("jobId"), limit=limit,
                                      cursor=q.get("cursor"))
    return JSONResponse({"events": [event_record(r) for r in page.rows], "hasMore": page.has_more,
                         "nextCursor": page.next_cursor})


@router.get("/{event_id}/attempts", responses=oa.responses(schemas.DeliveryAttempts, *oa.NOT_FOUND))
async def list_attempts(event_id: str, request: Request, who: Principal = Depends(principal)) -> JSONResponse:
    rt = runtime(request)
    async with rt.engine.connect() as conn:
        if await outbox.get(conn, event_id, who.workspace_id) is None:
            raise NotFound("Webhook event not found")
        rows = await outbox.attempts(conn, event_id)
    return JSONResponse({"attempts": [
        {"attempt": r.attempt, "startedAt": iso(r.started_at), "durationMs": r.duration_ms,
         "statusCode": r.status_code, "error": r.error, "redelivery": r.redelivery}
        for r in rows
    ]})


@router.post("/{event_id}/redeliver", responses=oa.responses(schemas.WebhookEventRecord, *oa.NOT_FOUND, *oa.IDEMPOTENT),
             openapi_extra=oa.parameters(oa.IDEMPOTENCY_KEY))
async def redeliver(event_id: str, request: Request, who: Principal = Depends(principal)) -> JSONResponse:
    rt = runtime(request)

    async def run() -> JSONResponse:
        async with rt.engine.begin() as conn:
            row = await outbox.redeliver(conn, event_id, who.workspace_id)
        if row is None:
            raise NotFound("Webhook event not found")
        return JSONResponse(event_record(row))

    return await run_idempotent(request, who, "POST /v1/webhooks/events/{eventId}/redeliver", header_key(request),
                                "", run)  # type: ignore[return-value]
