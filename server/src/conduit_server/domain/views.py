"""Rows -> the JSON shapes of docs/api.md §3. Optional fields are omitted when empty, never null (docs/api.md,
Compatibility)."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from conduit_server.domain.clock import iso


def job_json(row: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": row.id,
        "type": row.type,
        "status": row.status,
        "createdAt": iso(row.created_at),
        "updatedAt": iso(row.updated_at),
    }
    if row.stage is not None:
        body["stage"] = row.stage
    if row.progress is not None:
        body["progress"] = row.progress
    if row.status == "succeeded":
        if row.report_id:
            body["reportId"] = row.report_id
        if row.matching_id:
            body["matchingId"] = row.matching_id
    if row.status == "failed" and row.error:
        body["error"] = dict(row.error)
    if row.usage is not None and row.status in ("succeeded", "failed", "canceled"):
        body["usage"] = dict(row.usage)
    if row.request_id:
        body["requestId"] = row.request_id
    if row.label:
        body["label"] = row.label  # ext: job payloads are non-strict
    if row.media_id:
        body["mediaId"] = row.media_id  # ext
    return body


def retention_json(row: Any, retention_days: int, now: datetime) -> dict[str, Any]:
    if row.retention_locked:
        return {"expiresAt": None, "daysRemaining": None, "locked": True}
    base = row.last_used_at or row.created_at
    expires = base + timedelta(days=retention_days)
    days: int | None = None
    if row.deleted_at is None:
        days = max(0, math.ceil((expires - now).total_seconds() / 86400))
    return {"expiresAt": iso(expires), "daysRemaining": days, "locked": False}


def upload_json(row: Any) -> dict[str, Any]:
    return {
        "mediaId": row.id,
        "createdAt": iso(row.created_at),
        "contentType": row.content_type,
        "label": row.label,
        "sizeBytes": row.size_bytes,
        "durationSeconds": None if row.duration_seconds is None else round(row.duration_seconds, 3),
        "source": row.source,
        "createdByApiKeyId": row.created_by_api_key_id,
        "createdByUserId": row.created_by_user_id,
        "workspaceId": row.workspace_id,
    }


def file_json(row: Any, *, retention_days: int, now: datetime, has_reports: bool) -> dict[str, Any]:
    body = upload_json(row)
    body.update(
        {
            "processingStatus": row.processing_status,
            "lastUsedAt": iso(row.last_used_at),
            "retention": retention_json(row, retention_days, now),
            "hasReports": has_reports,
            "deletedAt": iso(row.deleted_at),
        }
    )
    return body


def entity_json(row: Any, media_count: int) -> dict[str, Any]:
    return {
        "id": row.id,
        "label": row.label,
        "createdAt": iso(row.created_at),
        "mediaCount": media_count,
        "lastSeenAt": iso(row.last_seen_at),
    }


def report_json(row: Any, entity_label: str | None, entity_exists: bool) -> dict[str, Any]:
    body: dict[str, Any] = {"id": row.id, "createdAt": iso(row.created_at)}
    if row.job_id:
        body["jobId"] = row.job_id
    if row.label:
        body["label"] = row.label
    if row.entity_id and entity_exists:
        body["entity"] = {"id": row.entity_id, "label": entity_label}
    body["media"] = {"mediaId": row.media_id} if row.media_id else {}
    body["output"] = {"template": row.template}
    body["markdown"] = row.markdown
    body["json"] = row.json
    if row.behavior_map_id and row.sample_ids:
        body["provenance"] = {"behaviorMapId": row.behavior_map_id, "baselineSampleIds": list(row.sample_ids)}
    return body


def matching_json(row: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"id": row.id, "createdAt": iso(row.created_at)}
    if row.job_id:
        body["jobId"] = row.job_id
    if row.label:
        body["label"] = row.label
    body.update(
        {
            "context": row.context,
            "target": row.target,
            "group": row.group,
            "output": {"template": "matching"},
            "markdown": row.markdown,
            "json": row.json,
        }
    )
    return body
