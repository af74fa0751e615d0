"""Typed, immutable records of the `jobs` and `media` tables, what their store functions return (issue 12).

A SQLAlchemy `Row[Any]` types every column as Any, so a misspelt column or a wrong type reached callers
unchecked; these records name each column with its type. Attribute names are the column names, so code that
read a row reads a record unchanged. The schema is `store/tables.py`; tests check that each record has exactly
its table's columns."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy.engine import Row

from conduit_server.domain.jobs import JobStatus
from conduit_server.domain.requests import WebhookTarget


def _columns(record: type, row: Row[Any]) -> dict[str, Any]:
    """The row's value of each of the record's fields (a field is named for its column)."""
    mapping = row._mapping
    return {f.name: mapping[f.name] for f in fields(record)}


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
    request: dict[str, Any]  # the normalised create body: `domain.requests.ReportRequest` / `MatchingRequest` JSON
    webhook: dict[str, Any] | None  # `WebhookTarget` JSON: {"url", "headers"?}
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
        values = _columns(cls, row)
        values["status"] = JobStatus(values["status"])
        return cls(**values)

    @property
    def webhook_target(self) -> WebhookTarget | None:
        """Where the job's terminal event goes, or None (also for an empty stored object, as before)."""
        return WebhookTarget.from_json(self.webhook) if self.webhook else None


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
        return cls(**_columns(cls, row))
