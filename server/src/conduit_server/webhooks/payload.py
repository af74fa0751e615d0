"""The webhook event object (docs/api.md §6.2), built once and serialised once.

The canonical bytes are what gets stored and POSTed on every attempt, byte-identical; the signature is computed
over them. Never re-serialise a stored event: keep and send ``WebhookEvent.body``.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

__all__ = [
    "WebhookEvent",
    "build_webhook_event",
    "canonical_json",
    "event_type_for",
    "format_timestamp",
    "new_event_id",
]

_ID_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"
_KIND_BY_JOB_TYPE = {"report.generate": "report", "matching.generate": "matching"}
_SUFFIX_BY_STATUS = {"succeeded": "completed", "failed": "failed", "canceled": "canceled"}


def canonical_json(obj: Any) -> bytes:
    """Compact UTF-8 JSON: the one serialisation used for webhook bodies."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def format_timestamp(when: datetime) -> str:
    """ISO-8601 UTC with milliseconds and ``Z`` (naive datetimes are taken as UTC)."""
    aware = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    return aware.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def new_event_id() -> str:
    return "evt_" + "".join(secrets.choice(_ID_ALPHABET) for _ in range(24))


def event_type_for(job_type: str, status: str) -> str:
    """``report.generate`` + ``succeeded`` -> ``report.completed``; raises ``ValueError`` for non-terminal input."""
    kind = _KIND_BY_JOB_TYPE.get(job_type)
    suffix = _SUFFIX_BY_STATUS.get(status)
    if kind is None or suffix is None:
        raise ValueError(f"no webhook event for job type {job_type!r} with status {status!r}")
    return f"{kind}.{suffix}"


@dataclass(frozen=True)
class WebhookEvent:
    """One event: its identity, the event object and the canonical bytes sent on every attempt."""

    id: str
    type: str
    job_id: str
    created_at: datetime
    payload: Mapping[str, Any]
    body: bytes

    @classmethod
    def from_body(cls, body: bytes) -> WebhookEvent:
        """Rebuild from stored canonical bytes (the bytes are kept as they are, never re-serialised)."""
        payload = json.loads(body)
        created = datetime.fromisoformat(payload["createdAt"].replace("Z", "+00:00"))
        return cls(payload["id"], payload["type"], payload["data"]["jobId"], created, payload, bytes(body))


def build_webhook_event(
    *,
    job_id: str,
    job_type: str,
    status: str,
    terminal_at: datetime,
    report_id: str | None = None,
    matching_id: str | None = None,
    error: Mapping[str, Any] | None = None,
    event_id: str | None = None,
    created_at: datetime | None = None,
    clock: Callable[[], datetime] | None = None,
) -> WebhookEvent:
    """Build the event for a job that became terminal at ``terminal_at``.

    ``created_at`` defaults to ``clock()`` (or now); ``event_id`` to a fresh ``evt_`` id. A failed job's ``error``
    contributes only ``code`` and ``message``.
    """
    event_type = event_type_for(job_type, status)
    kind = _KIND_BY_JOB_TYPE[job_type]
    data: dict[str, Any] = {"jobId": job_id}
    if status == "succeeded":
        result_key, result_id = ("reportId", report_id) if kind == "report" else ("matchingId", matching_id)
        if not result_id:
            raise ValueError(f"a succeeded {job_type} job needs {result_key}")
        data[result_key] = result_id
    data["status"] = status
    if status == "failed":
        if error is None or not error.get("code") or not error.get("message"):
            raise ValueError("a failed job needs error.code and error.message")
        data["error"] = {"code": str(error["code"]), "message": str(error["message"])}

    created = created_at or (clock() if clock is not None else datetime.now(UTC))
    evt_id = event_id or new_event_id()
    payload: dict[str, Any] = {
        "id": evt_id,
        "type": event_type,
        "createdAt": format_timestamp(created),
        "timestamp": format_timestamp(terminal_at),
        "data": data,
    }
    return WebhookEvent(evt_id, event_type, job_id, created, payload, canonical_json(payload))
