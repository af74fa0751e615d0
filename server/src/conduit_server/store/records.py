"""Typed, immutable records of the `jobs` and `media` tables, what their store functions return (issue 12).

A SQLAlchemy `Row[Any]` types every column as Any, so a misspelt column or a wrong type reached callers
unchecked; these records name each column with its type. Attribute names are the column names, so code that
read a row reads a record unchanged. The schema is `store/tables.py`; tests check that each record has exactly
its table's columns."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy.engine import Row

from conduit_server.domain.jobs import JobStatus


@dataclass(frozen=True, slots=True)
class JobRecord:
    """One `jobs` row (docs/api.md §4): `status` is the domain's `JobStatus` (equal to its wire string)."""

    id: str
    workspace_id: str
    type: str
    status: JobStatus
    stage: str | None
    progress: float | None
    media_id: str | None
    request: dict[str, Any]  # the normalised create body
    webhook: dict[str, Any] | None  # {"url", "headers"?}
    label: str | None
    error: dict[str, Any] | None  # {"code", "message"}
    usage: dict[str, Any] | None
    report_id: str | None
    matching_id: str | None
    request_id: str | None
    cancel_requested: bool
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @classmethod
    def from_row(cls, row: Row[Any]) -> JobRecord:
        m = row._mapping
        return cls(
            id=m["id"], workspace_id=m["workspace_id"], type=m["type"], status=JobStatus(m["status"]),
            stage=m["stage"], progress=m["progress"], media_id=m["media_id"], request=m["request"],
            webhook=m["webhook"], label=m["label"], error=m["error"], usage=m["usage"], report_id=m["report_id"],
            matching_id=m["matching_id"], request_id=m["request_id"], cancel_requested=m["cancel_requested"],
            created_at=m["created_at"], updated_at=m["updated_at"], started_at=m["started_at"],
            finished_at=m["finished_at"],
        )


class StoredBytes(NamedTuple):
    """A media's id and the key of its bytes: all that deleting the bytes of a file needs (retention, recordings)."""

    id: str
    storage_key: str | None


@dataclass(frozen=True, slots=True)
class MediaRecord:
    """One `media` row: an uploaded file, its processing state and (once COMPLETED) its analysis."""

    id: str
    workspace_id: str
    label: str
    content_type: str
    size_bytes: int | None
    duration_seconds: float | None
    source: str
    created_by_api_key_id: str | None
    created_by_user_id: str
    storage_key: str | None
    sha256: str | None
    processing_status: str  # PENDING, PROCESSING, COMPLETED or FAILED
    error: dict[str, Any] | None  # {"code", "message"}
    analysis: dict[str, Any] | None  # pipeline.types.MediaAnalysis.to_json()
    internal: bool  # a /v2/psychometrics recording: never listed
    created_at: datetime
    last_used_at: datetime | None
    retention_locked: bool
    deleted_at: datetime | None
    purged_at: datetime | None

    @classmethod
    def from_row(cls, row: Row[Any]) -> MediaRecord:
        m = row._mapping
        return cls(
            id=m["id"], workspace_id=m["workspace_id"], label=m["label"], content_type=m["content_type"],
            size_bytes=m["size_bytes"], duration_seconds=m["duration_seconds"], source=m["source"],
            created_by_api_key_id=m["created_by_api_key_id"], created_by_user_id=m["created_by_user_id"],
            storage_key=m["storage_key"], sha256=m["sha256"], processing_status=m["processing_status"],
            error=m["error"], analysis=m["analysis"], internal=m["internal"], created_at=m["created_at"],
            last_used_at=m["last_used_at"], retention_locked=m["retention_locked"], deleted_at=m["deleted_at"],
            purged_at=m["purged_at"],
        )
