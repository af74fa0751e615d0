"""``primitives.webhook_events`` (ours): delivery records, attempts and redelivery."""

from __future__ import annotations

import builtins

from .._requests import segment
from .._transport import AsyncTransport, RequestSpec, SyncTransport
from ..models import (
    DeliveryAttempt,
    ListWebhookEventsResponse,
    WebhookEventRecord,
    parse_delivery_attempts,
    parse_list_webhook_events,
    parse_webhook_event_record,
)


def _list_spec(job_id: str | None, limit: int | None, cursor: str | None, request_id: str | None) -> RequestSpec:
    query: dict[str, str] = {}
    if job_id:
        query["jobId"] = job_id
    if limit is not None:
        query["limit"] = str(limit)
    if cursor:
        query["cursor"] = cursor
    return RequestSpec("GET", "/v1/webhooks/events", query=query or None, request_id=request_id)


def _event_path(event_id: str, suffix: str) -> str:
    return f"/v1/webhooks/events/{segment(event_id, 'event_id')}/{suffix}"


class WebhookEvents:
    def __init__(self, transport: SyncTransport) -> None:
        self._transport = transport

    def list(
        self,
        *,
        job_id: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
        request_id: str | None = None,
    ) -> ListWebhookEventsResponse:
        return parse_list_webhook_events(self._transport.request(_list_spec(job_id, limit, cursor, request_id)).data)

    def attempts(self, event_id: str, *, request_id: str | None = None) -> builtins.list[DeliveryAttempt]:
        spec = RequestSpec("GET", _event_path(event_id, "attempts"), request_id=request_id)
        return parse_delivery_attempts(self._transport.request(spec).data)

    def redeliver(
        self, event_id: str, *, idempotency_key: str | None = None, request_id: str | None = None
    ) -> WebhookEventRecord:
        spec = RequestSpec(
            "POST", _event_path(event_id, "redeliver"), request_id=request_id, idempotency_key=idempotency_key
        )
        return parse_webhook_event_record(self._transport.request(spec).data)


class AsyncWebhookEvents:
    def __init__(self, transport: AsyncTransport) -> None:
        self._transport = transport

    async def list(
        self,
        *,
        job_id: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
        request_id: str | None = None,
    ) -> ListWebhookEventsResponse:
        spec = _list_spec(job_id, limit, cursor, request_id)
        return parse_list_webhook_events((await self._transport.request(spec)).data)

    async def attempts(self, event_id: str, *, request_id: str | None = None) -> builtins.list[DeliveryAttempt]:
        spec = RequestSpec("GET", _event_path(event_id, "attempts"), request_id=request_id)
        return parse_delivery_attempts((await self._transport.request(spec)).data)

    async def redeliver(
        self, event_id: str, *, idempotency_key: str | None = None, request_id: str | None = None
    ) -> WebhookEventRecord:
        spec = RequestSpec(
            "POST", _event_path(event_id, "redeliver"), request_id=request_id, idempotency_key=idempotency_key
        )
        return parse_webhook_event_record((await self._transport.request(spec)).data)
