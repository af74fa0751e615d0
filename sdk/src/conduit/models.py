"""Response models (slots dataclasses, snake_case) and their ``parse_*`` readers.

Every reader is ``from_wire`` (see ``_wire``) bound to a model: it accepts the camelCase wire JSON, ignores unknown
keys, and raises ``ConduitError(code="invalid_response")`` on any shape mismatch. Only Report and Matching need a
reshaping step first, because the official API spreads their fields over nested objects.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ._parse import mapping, opt_mapping, opt_string, string
from ._wire import from_wire, wire_reader


@dataclass(slots=True)
class JobErrorData:
    code: str
    message: str
    details: object | None = None
    retryable: bool | None = None


@dataclass(slots=True)
class Usage:
    credits_used: float
    credits_net_used: float
    credits_discounted: float | None = None
    duration_ms: float | None = None
    model_version: str | None = None
    audio_seconds: float | None = None


@dataclass(slots=True)
class JobCreditReservation:
    reserved_credits: float | None
    reservation_status: str | None


@dataclass(slots=True)
class Job:
    """State of an asynchronous report or matching job."""

    id: str
    type: str
    status: str
    created_at: str
    updated_at: str
    stage: str | None = None
    progress: float | None = None
    report_id: str | None = None
    matching_id: str | None = None
    usage: Usage | None = None
    credits: JobCreditReservation | None = None
    released_credits: float | None = None
    error: JobErrorData | None = None
    request_id: str | None = None
    label: str | None = None
    media_id: str | None = None


@dataclass(slots=True)
class JobEvent:
    """One ``status``/``stage``/``terminal`` event of a job stream."""

    type: str
    job: Job
    stage: str | None = None
    progress: float | None = None


@dataclass(slots=True)
class ReportOutputData:
    template: str
    markdown: str | None = None
    json: dict[str, Any] | None = None
    report_url: str | None = None


@dataclass(slots=True)
class ReportProvenance:
    """Ours: the behavior map and baseline samples a report was rendered from."""

    behavior_map_id: str
    baseline_sample_ids: list[str]


@dataclass(slots=True)
class Report:
    id: str
    created_at: str
    output: ReportOutputData
    job_id: str | None = None
    label: str | None = None
    entity_id: str | None = None
    entity_label: str | None = None
    media_id: str | None = None
    provenance: ReportProvenance | None = None


@dataclass(slots=True)
class MatchingResolvedSubject:
    source: dict[str, Any]
    entity_id: str | None = field(default=None, metadata={"wire": ("entityId", "entity_id")})
    resolved_label: str | None = field(default=None, metadata={"wire": ("resolvedLabel", "resolved_label")})


@dataclass(slots=True)
class MatchingOutputData:
    markdown: str | None = None
    json: dict[str, Any] | None = None


@dataclass(slots=True)
class Matching:
    id: str
    created_at: str
    context: str
    output: MatchingOutputData
    job_id: str | None = None
    label: str | None = None
    target: MatchingResolvedSubject | None = None
    group: list[MatchingResolvedSubject] | None = None


MatchingAnalysisResponse = Matching


@dataclass(slots=True)
class MediaObject:
    """Upload receipt."""

    media_id: str
    created_at: str
    content_type: str
    label: str
    size_bytes: int | None = None
    duration_seconds: float | None = None


@dataclass(slots=True)
class MediaRetention:
    expires_at: str | None
    days_remaining: int | None
    locked: bool


@dataclass(slots=True)
class MediaFile:
    media_id: str
    created_at: str
    content_type: str
    has_reports: bool
    label: str
    processing_status: str
    last_used_at: str | None
    retention: MediaRetention
    size_bytes: int | None = None
    duration_seconds: float | None = None


@dataclass(slots=True)
class MediaSpeaker:
    speaker_index: int
    speech_seconds: float
    transcript: str


@dataclass(slots=True)
class MediaSpeakers:
    media_id: str
    status: str
    duration_seconds: float | None
    speakers: list[MediaSpeaker]


@dataclass(slots=True)
class FileDeleteReceipt:
    media_id: str
    deleted: bool


@dataclass(slots=True)
class RetentionLockResult:
    media_id: str
    retention_lock: bool
    message: str


@dataclass(slots=True)
class ListFilesResponse:
    files: list[MediaFile]
    has_more: bool
    next_cursor: str | None


@dataclass(slots=True)
class ListJobsResponse:
    """A page of `GET /v1/jobs` (extension): the workspace's jobs, newest first."""

    jobs: list[Job]
    has_more: bool
    next_cursor: str | None


@dataclass(slots=True)
class Entity:
    id: str
    created_at: str
    label: str | None
    media_count: float
    last_seen_at: str | None


@dataclass(slots=True)
class ListEntitiesResponse:
    entities: list[Entity]
    has_more: bool
    cursor: str | None


@dataclass(slots=True)
class WebhookEvent:
    """A webhook envelope; ``data`` is passed through as parsed JSON."""

    id: str
    type: str
    created_at: str
    timestamp: str
    data: object


@dataclass(slots=True)
class PsychometricsResult:
    analysis_id: str
    created_at: str
    expires_at: str
    psychometrics: dict[str, float]
    selected_speaker: dict[str, Any] | None = None
    quality: dict[str, Any] | None = None


@dataclass(slots=True)
class JobReceiptData:
    job_id: str
    status: str
    stage: str | None
    estimated_wait_sec: float | None


# --- extension payloads (ours) -------------------------------------------------------------


@dataclass(slots=True)
class ReportEvidence:
    """``GET /v1/reports/{id}/evidence``: every report claim tied to measured indicators."""

    report_id: str
    job_id: str | None
    media_id: str | None
    entity_id: str | None
    speaker_index: int | None
    behavior_map_id: str | None
    metrics: dict[str, Any] = field(metadata={"wire_default": dict})
    indicators: list[dict[str, Any]] = field(metadata={"wire_default": list})
    claims: list[dict[str, Any]] = field(metadata={"wire_default": list})


@dataclass(slots=True)
class BehaviorMap:
    """``GET /v1/entities/{id}/behavior-map``: the entity's latest behavior map."""

    entity_id: str
    map_id: str
    created_at: str
    model_checkpoint: str
    sample_ids: list[str] = field(metadata={"wire_default": list})
    behavior_map: dict[str, Any]


@dataclass(slots=True)
class WebhookEventRecord:
    id: str
    type: str
    job_id: str
    url: str
    status: str
    attempt_count: int
    created_at: str
    last_attempt_at: str | None
    next_attempt_at: str | None
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class ListWebhookEventsResponse:
    events: list[WebhookEventRecord]
    has_more: bool
    next_cursor: str | None


@dataclass(slots=True)
class DeliveryAttempt:
    attempt: int
    started_at: str
    duration_ms: float
    status_code: int | None
    error: str | None
    redelivery: bool = field(metadata={"wire_default": lambda: False})


@dataclass(slots=True)
class _DeliveryAttempts:
    """``GET /v1/webhooks/events/{id}/attempts`` wraps the list; callers get the list."""

    attempts: list[DeliveryAttempt]


# --- wire readers ---------------------------------------------------------------------------


def _report_shape(value: object) -> dict[str, object]:
    """Fold the official nesting (``entity``, ``media``, top-level ``markdown``/``json``) into our flat shape."""
    data = dict(mapping(value, "report"))
    output = dict(mapping(data.get("output"), "report.output"))
    entity = opt_mapping(data.get("entity"), "report.entity")
    media = opt_mapping(data.get("media"), "report.media")
    if entity is not None:
        data["entityId"] = _text(data, "entityId") or string(entity.get("id"), "report.entity.id")
        data["entityLabel"] = _text(data, "entityLabel") or opt_string(entity.get("label"), "report.entity.label")
    if media is not None:
        data["mediaId"] = _text(data, "mediaId") or opt_string(media.get("mediaId"), "report.media.mediaId")
        output["reportUrl"] = _text(output, "reportUrl") or opt_string(media.get("url"), "report.media.url")
    data["output"] = _with_top_level_output(output, data)
    return data


def _matching_shape(value: object) -> dict[str, object]:
    """Matching output may be absent, or carry ``markdown``/``json`` at the top level."""
    data = dict(mapping(value, "matching"))
    data["output"] = _with_top_level_output(dict(opt_mapping(data.get("output"), "matching.output") or {}), data)
    return data


def _text(data: Mapping[str, object], key: str) -> str | None:
    return opt_string(data.get(key), f"report.{key}")


def _with_top_level_output(output: dict[str, object], data: Mapping[str, object]) -> dict[str, object]:
    for key in ("markdown", "json"):
        if output.get(key) is None:
            output[key] = data.get(key)
    return output


def parse_report(value: object) -> Report:
    return from_wire(Report, _report_shape(value))


def parse_matching(value: object) -> Matching:
    return from_wire(Matching, _matching_shape(value))


def parse_delivery_attempts(value: object) -> list[DeliveryAttempt]:
    return from_wire(_DeliveryAttempts, value).attempts


parse_job = wire_reader(Job)
parse_job_receipt = wire_reader(JobReceiptData)
parse_matching_subject = wire_reader(MatchingResolvedSubject)
parse_media_object = wire_reader(MediaObject)
parse_media_file = wire_reader(MediaFile)
parse_list_files = wire_reader(ListFilesResponse)
parse_list_jobs = wire_reader(ListJobsResponse)
parse_media_speakers = wire_reader(MediaSpeakers)
parse_delete_receipt = wire_reader(FileDeleteReceipt)
parse_retention_lock = wire_reader(RetentionLockResult)
parse_entity = wire_reader(Entity)
parse_list_entities = wire_reader(ListEntitiesResponse)
parse_psychometrics_result = wire_reader(PsychometricsResult)
parse_report_evidence = wire_reader(ReportEvidence)
parse_behavior_map = wire_reader(BehaviorMap)
parse_webhook_event_record = wire_reader(WebhookEventRecord)
parse_list_webhook_events = wire_reader(ListWebhookEventsResponse)
