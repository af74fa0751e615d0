"""Typed, immutable records of the store's tables, what their store functions return (issue 12).

A SQLAlchemy `Row[Any]` types every column as Any, so a misspelt column or a wrong type reached callers
unchecked; these records name each column with its type. Attribute names are the column names, so code that
read a row reads a record unchanged. The schema is `store/tables.py`; tests check that each record has exactly
its table's columns. A read of only some columns (or a join) gets a small NamedTuple of exactly those, never a
full-table record with fields it did not read."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, NamedTuple, Self

from sqlalchemy.engine import Row

from conduit_server.domain.jobs import JobStatus
from conduit_server.domain.requests import WebhookTarget


def _columns(record: type, row: Row[Any]) -> dict[str, Any]:
    """The row's value of each of the record's fields (a field is named for its column)."""
    mapping = row._mapping
    return {f.name: mapping[f.name] for f in fields(record)}


class _FromRow:
    """`from_row` for a record dataclass whose fields are its table's columns, each taken as the row holds it."""

    __slots__ = ()

    @classmethod
    def from_row(cls, row: Row[Any]) -> Self:
        return cls(**_columns(cls, row))


@dataclass(frozen=True, slots=True)
class JobRecord(_FromRow):
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
    def from_row(cls, row: Row[Any]) -> Self:
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
class MediaRecord(_FromRow):
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



@dataclass(frozen=True, slots=True)
class EntityRecord(_FromRow):
    """One `entities` row: a persistent voice identity (docs/api.md §11)."""

    id: str
    workspace_id: str
    label: str | None
    centroid: list[float]  # L2-normalised mean of the voiceprints heard
    voice_count: int
    created_at: datetime
    last_seen_at: datetime | None



@dataclass(frozen=True, slots=True)
class ReportRecord(_FromRow):
    """One `reports` row: a report job's result. `entity_id` may name an entity erased since (reports stay)."""

    id: str
    workspace_id: str
    job_id: str | None
    label: str | None
    entity_id: str | None
    media_id: str | None
    speaker_index: int | None
    template: str
    markdown: str
    json: dict[str, Any]
    evidence: dict[str, Any]  # served as is by GET /v1/reports/{id}/evidence
    behavior_map_id: str | None
    sample_ids: list[str] | None
    created_at: datetime



@dataclass(frozen=True, slots=True)
class MatchingRecord(_FromRow):
    """One `matchings` row: a matching job's result (docs/api.md §14)."""

    id: str
    workspace_id: str
    job_id: str | None
    label: str | None
    context: str
    target: dict[str, Any]  # {"source", "entityId", "resolvedLabel"}
    group: list[dict[str, Any]]  # the same shape, one per group member
    markdown: str
    json: dict[str, Any]
    created_at: datetime



@dataclass(frozen=True, slots=True)
class JobEventRecord(_FromRow):
    """One `job_events` row: an event of a job's stream (GET /v1/jobs/{id}/stream); `id` is its SSE id."""

    id: int
    job_id: str
    event: str  # "stage", "terminal", ...
    data: dict[str, Any]
    created_at: datetime



@dataclass(frozen=True, slots=True)
class WebhookEventRecord(_FromRow):
    """One `webhook_events` row: a job's terminal event and the state of its delivery (docs/api.md §6.4)."""

    id: str
    workspace_id: str
    job_id: str
    type: str
    url: str
    headers: dict[str, str]  # the caller's extra headers
    body: bytes  # the exact bytes sent on every attempt
    status: str  # pending, delivered or failed
    attempt_count: int
    scheduled_attempts: int  # attempts of the automatic schedule used (redeliveries do not count)
    created_at: datetime
    last_attempt_at: datetime | None
    next_attempt_at: datetime | None



@dataclass(frozen=True, slots=True)
class WebhookAttemptRecord(_FromRow):
    """One `webhook_attempts` row: one delivery attempt of an event."""

    id: int
    event_id: str
    attempt: int
    started_at: datetime
    duration_ms: int
    status_code: int | None
    error: str | None  # None when delivered
    redelivery: bool



class Appearance(NamedTuple):
    """A processed, live media an entity was heard in (a partial select over `media_speakers` joined to `media`):
    what measuring the entity's sample of it needs."""

    media_id: str
    speaker_index: int
    analysis: dict[str, Any] | None  # pipeline.types.MediaAnalysis.to_json()


class SampleData(NamedTuple):
    """A sample's id and its measurements (`analysis.Sample` JSON): what building a behavior map reads."""

    id: str
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class BehaviorMapRecord(_FromRow):
    """One `behavior_maps` row: a snapshot of an entity's behavior over the samples it names."""

    id: str
    workspace_id: str
    entity_id: str
    sample_ids: list[str]
    data: dict[str, Any]  # {"behaviorMap": the API payload, "full": analysis.BehaviorMap JSON}
    model_checkpoint: str
    created_at: datetime



@dataclass(frozen=True, slots=True)
class IdempotencyKeyRecord(_FromRow):
    """One `idempotency_keys` row: a claim in progress, or (state "done") the stored answer to replay."""

    workspace_id: str
    method: str
    route: str
    key: str
    fingerprint: str
    state: str  # in_progress or done
    status_code: int | None  # set, with `body`, when the answer is stored
    body: bytes | None
    created_at: datetime
    expires_at: datetime  # in_progress: the claim's lease; done: when the answer is forgotten

