"""The wire shapes (docs/api.md §2-§7) as pydantic models, for the OpenAPI document only: handlers build their JSON
themselves, so these describe the bytes and never produce them.

Field names are the wire's camelCase keys. A field shown as `?` is `omitted()`: not required and not
nullable (the server leaves the key out, never sends null); only `|null` fields are typed `X | None`. Report and
matching payloads are strict (no extra keys); the other responses are open (extension keys may be added).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

Timestamp = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time"})]
NonEmpty = Annotated[str, Field(min_length=1)]
Binary = Annotated[bytes, WithJsonSchema({"type": "string", "format": "binary"})]
Binned = Literal["very_low", "low", "medium", "high", "very_high"]
ProcessingStatus = Literal["PENDING", "PROCESSING", "COMPLETED", "FAILED"]
JobStatus = Literal["queued", "running", "succeeded", "failed", "canceled"]


def _drop_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def omitted(**constraints: Any) -> Any:
    """A `?` key: absent when it has no value, never null (the TS SDK rejects null there)."""
    return Field(default=None, json_schema_extra=_drop_default, **constraints)


class Open(BaseModel):
    """A non-strict payload: clients must accept keys they do not know."""

    model_config = ConfigDict(extra="allow")


class Strict(BaseModel):
    """A strict payload (report, matching): exactly the keys docs/api.md lists."""

    model_config = ConfigDict(extra="forbid")


# -- errors (docs/api.md §7) ----------------------------------------------------------------------------------
class ErrorBody(Open):
    code: str
    message: str
    details: dict[str, Any] = omitted()
    retryAfter: int = omitted()


class ErrorEnvelope(BaseModel):
    error: ErrorBody


class Gone(BaseModel):
    """410 for a soft-deleted file: the hosted flat body, not the envelope."""

    deletedAt: Timestamp
    error: Literal["gone"]
    code: Literal["gone"]
    message: str


class Ping(Open):
    ok: bool
    time: Timestamp


class Live(Open):
    """*ext* `GET /livez`: the process is up."""

    ok: bool


class Ready(Open):
    """*ext* `GET /readyz`: "ok" or what is wrong, per check (database, migrations, storage, models)."""

    ok: bool
    checks: dict[str, str]


class NotReady(Open):
    """*ext* 503 from `GET /readyz`: the error envelope plus every check's answer."""

    ok: bool
    checks: dict[str, str]
    error: ErrorBody


# -- media (3.1) -----------------------------------------------------------------------------------------------
class Upload(Open):
    mediaId: str
    createdAt: Timestamp
    contentType: str
    label: str
    sizeBytes: int | None
    durationSeconds: float | None
    source: Literal["NOTETAKER", "MANUAL_UPLOAD", "PLAYGROUND", "SDK"]
    createdByApiKeyId: str | None
    createdByUserId: str
    workspaceId: str


class Retention(Open):
    expiresAt: Timestamp | None
    daysRemaining: int | None
    locked: bool


class File(Upload):
    processingStatus: ProcessingStatus
    lastUsedAt: Timestamp | None
    retention: Retention
    hasReports: bool
    deletedAt: Timestamp | None


class FileList(Open):
    files: list[File]
    hasMore: bool
    nextCursor: str | None


class FileSpeaker(Open):
    speakerIndex: int
    entityId: str | None
    entityLabel: str | None
    totalDurationSeconds: float
    utteranceCount: int


class Utterance(Open):
    speakerIndex: int
    startSeconds: float
    endSeconds: float
    text: str


class Transcription(Open):
    durationSeconds: float
    speakerCount: int
    utterances: list[Utterance]


class ProcessingError(Open):
    code: str
    message: str


class FileDetail(File):
    speakers: list[FileSpeaker]
    transcription: Transcription
    error: ProcessingError = omitted()


class SpeakerTranscript(Open):
    speakerIndex: int
    speechSeconds: float
    transcript: str


class MediaSpeakers(Open):
    mediaId: str
    status: ProcessingStatus
    durationSeconds: float | None
    speakers: list[SpeakerTranscript]


class FileDeleted(Open):
    mediaId: str
    deleted: Literal[True]


class EntityDeleted(Open):
    """*ext*: the receipt of `DELETE /v1/entities/{entityId}` (docs/data.md)."""

    entityId: str
    deleted: Literal[True]


class RetentionLock(BaseModel):
    lock: bool


class RetentionLockResult(Open):
    mediaId: str
    retentionLock: bool
    message: str


class UploadForm(BaseModel):
    file: Binary
    label: str = omitted(description="Trimmed; blank or missing: the file name without extensions, else `upload`")


# -- jobs (3.3) ------------------------------------------------------------------------------------------------
class JobReceipt(Open):
    jobId: str
    status: Literal["queued", "running"]
    stage: str = omitted()
    estimatedWaitSec: float = omitted()


class JobError(Open):
    code: str
    message: str
    details: dict[str, Any] = omitted()
    retryable: bool = omitted()


class Usage(Open):
    creditsUsed: float
    creditsNetUsed: float
    durationMs: int = omitted()
    modelVersion: str = omitted()
    audioSeconds: float = omitted()


class Job(Open):
    id: str
    type: Literal["report.generate", "matching.generate"]
    status: JobStatus
    stage: str = omitted()
    progress: float = omitted(ge=0, le=1)
    createdAt: Timestamp
    updatedAt: Timestamp
    reportId: str = omitted()
    matchingId: str = omitted()
    error: JobError = omitted()
    usage: Usage = omitted()
    requestId: str = omitted()
    label: str = omitted()
    mediaId: str = omitted()


class JobList(Open):  # GET /v1/jobs (extension)
    jobs: list[Job]
    hasMore: bool
    nextCursor: str | None


# -- job event stream (5): the JSON in each frame's `data:` line ----------------------------------------------------
class StatusEvent(Open):
    status: Literal["queued", "running"]
    stage: str = omitted()
    progress: float = omitted(ge=0, le=1)
    job: Job


class StageEvent(Open):
    stage: str
    progress: float = omitted(ge=0, le=1)
    job: Job


class TerminalEvent(Open):
    status: Literal["succeeded", "failed", "canceled"]
    reportId: str = omitted()
    matchingId: str = omitted()
    error: JobError = omitted()
    job: Job


class HeartbeatEvent(Open):
    timestamp: Timestamp


class StreamError(Open):
    """Sent instead of a 404 when the job does not exist or belongs to another workspace; no `id:` line."""

    code: str
    message: str


# -- target selector (12) and webhooks (6.1) -------------------------------------------------------------------
class TimeRange(BaseModel):
    start_seconds: float | None = omitted(ge=0)
    end_seconds: float | None = omitted(ge=0)


class TargetSelector(BaseModel):
    """Snake_case on the wire. Fields the strategy does not use are ignored and may be null."""

    strategy: Literal["dominant", "timerange", "entity_id", "magic_hint", "speaker_index"]
    on_miss: Literal["error", "fallback_dominant"] | None = omitted()
    entity_id: str | None = omitted(min_length=1, max_length=256)
    hint: str | None = omitted(min_length=1, max_length=1024)
    speaker_index: int | None = omitted(ge=0)
    timerange: TimeRange | None = omitted()


class Webhook(BaseModel):
    url: str = Field(max_length=2048, description="Absolute http(s) URL")
    headers: dict[str, str] | None = omitted(max_length=20)


# -- entities (3.2, 3.7) ---------------------------------------------------------------------------------------
class Entity(Open):
    id: str
    label: str | None
    createdAt: Timestamp
    mediaCount: int
    lastSeenAt: Timestamp | None


class EntityList(Open):
    entities: list[Entity]
    cursor: str | None
    hasMore: bool


class EntityUpdate(BaseModel):
    label: str | None = omitted(description="1-64 characters after trimming; null clears the label")


class BehaviorMap(Open):
    entityId: str
    mapId: str
    createdAt: Timestamp
    modelCheckpoint: str
    sampleIds: list[str]
    behaviorMap: dict[str, Any]


# -- psychometrics (3.6) ---------------------------------------------------------------------------------------
class SelectedSpeaker(Open):
    speakerIndex: int
    strategy: str


class PsychometricsQuality(Open):
    segmentCount: int
    signal: Literal["low", "medium", "high"]
    sourceAudioDurationSeconds: float
    speakerCoverageRatio: float
    targetAudioDurationSeconds: float
    targetUtteranceCount: int


class PsychometricsResult(Open):
    analysisId: str
    createdAt: Timestamp
    expiresAt: Timestamp
    psychometrics: dict[str, Annotated[float, Field(ge=0, le=1)]]
    selectedSpeaker: SelectedSpeaker = omitted()
    quality: PsychometricsQuality = omitted()


class PsychometricsForm(BaseModel):
    file: Binary
    strategy: Literal["dominant", "magic_hint"] = omitted(description="Default `dominant`")
    hint: str = omitted(description="Required (1-1024 characters, non-blank) for `magic_hint`")


# -- webhook delivery records (6.4) ----------------------------------------------------------------------------
class WebhookEvent(Open):
    id: str
    type: str
    createdAt: Timestamp
    timestamp: Timestamp
    data: dict[str, Any]


class WebhookEventRecord(Open):
    id: str
    type: str
    jobId: str
    url: str
    status: Literal["pending", "delivered", "failed"]
    attemptCount: int
    createdAt: Timestamp
    lastAttemptAt: Timestamp | None
    nextAttemptAt: Timestamp | None
    payload: WebhookEvent


class WebhookEventList(Open):
    events: list[WebhookEventRecord]
    hasMore: bool
    nextCursor: str | None


class DeliveryAttempt(Open):
    attempt: int = Field(ge=1)
    startedAt: Timestamp
    durationMs: int
    statusCode: int | None
    error: str | None
    redelivery: bool


class DeliveryAttempts(Open):
    attempts: list[DeliveryAttempt]
