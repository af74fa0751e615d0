"""Response models (slots dataclasses, snake_case) and their parsers.

Parsers accept the camelCase wire JSON, ignore unknown keys, and raise
``ConduitError(code="invalid_response")`` on any shape mismatch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ._parse import (
    as_dict,
    boolean,
    first,
    integer,
    items,
    mapping,
    number,
    opt_boolean,
    opt_dict,
    opt_integer,
    opt_mapping,
    opt_number,
    opt_string,
    string,
    strings,
)


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
    entity_id: str | None = None
    resolved_label: str | None = None


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
    metrics: dict[str, Any]
    indicators: list[dict[str, Any]]
    claims: list[dict[str, Any]]


@dataclass(slots=True)
class BehaviorMap:
    """``GET /v1/entities/{id}/behavior-map``: the entity's latest behavior map."""

    entity_id: str
    map_id: str
    created_at: str
    model_checkpoint: str
    sample_ids: list[str]
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
    redelivery: bool


# --- parsers ------------------------------------------------------------------------------


def parse_job(value: object) -> Job:
    data = mapping(value, "job")
    usage = None
    usage_map = opt_mapping(data.get("usage"), "job.usage")
    if usage_map is not None:
        usage = Usage(
            credits_used=number(usage_map.get("creditsUsed"), "job.usage.creditsUsed"),
            credits_net_used=number(usage_map.get("creditsNetUsed"), "job.usage.creditsNetUsed"),
            credits_discounted=opt_number(usage_map.get("creditsDiscounted"), "job.usage.creditsDiscounted"),
            duration_ms=opt_number(usage_map.get("durationMs"), "job.usage.durationMs"),
            model_version=opt_string(usage_map.get("modelVersion"), "job.usage.modelVersion"),
            audio_seconds=opt_number(usage_map.get("audioSeconds"), "job.usage.audioSeconds"),
        )
    credits = None
    credits_map = opt_mapping(data.get("credits"), "job.credits")
    if credits_map is not None:
        credits = JobCreditReservation(
            reserved_credits=opt_number(credits_map.get("reservedCredits"), "job.credits.reservedCredits"),
            reservation_status=opt_string(credits_map.get("reservationStatus"), "job.credits.reservationStatus"),
        )
    error = None
    error_map = opt_mapping(data.get("error"), "job.error")
    if error_map is not None:
        error = JobErrorData(
            code=string(error_map.get("code"), "job.error.code"),
            message=string(error_map.get("message"), "job.error.message"),
            details=error_map.get("details"),
            retryable=opt_boolean(error_map.get("retryable"), "job.error.retryable"),
        )
    return Job(
        id=string(data.get("id"), "job.id"),
        type=string(data.get("type"), "job.type"),
        status=string(data.get("status"), "job.status"),
        created_at=string(data.get("createdAt"), "job.createdAt"),
        updated_at=string(data.get("updatedAt"), "job.updatedAt"),
        stage=opt_string(data.get("stage"), "job.stage"),
        progress=opt_number(data.get("progress"), "job.progress"),
        report_id=opt_string(data.get("reportId"), "job.reportId"),
        matching_id=opt_string(data.get("matchingId"), "job.matchingId"),
        usage=usage,
        credits=credits,
        released_credits=opt_number(data.get("releasedCredits"), "job.releasedCredits"),
        error=error,
        request_id=opt_string(data.get("requestId"), "job.requestId"),
    )


def parse_job_receipt(value: object) -> JobReceiptData:
    data = mapping(value, "job receipt")
    return JobReceiptData(
        job_id=string(data.get("jobId"), "receipt.jobId"),
        status=string(data.get("status"), "receipt.status"),
        stage=opt_string(data.get("stage"), "receipt.stage"),
        estimated_wait_sec=opt_number(data.get("estimatedWaitSec"), "receipt.estimatedWaitSec"),
    )


def parse_report(value: object) -> Report:
    data = mapping(value, "report")
    output = mapping(data.get("output"), "report.output")
    entity = opt_mapping(data.get("entity"), "report.entity")
    media = opt_mapping(data.get("media"), "report.media")
    provenance_map = opt_mapping(data.get("provenance"), "report.provenance")

    entity_id = opt_string(data.get("entityId"), "report.entityId")
    entity_label = opt_string(data.get("entityLabel"), "report.entityLabel")
    if entity is not None:
        entity_id = entity_id or string(entity.get("id"), "report.entity.id")
        entity_label = entity_label or opt_string(entity.get("label"), "report.entity.label")
    media_id = opt_string(data.get("mediaId"), "report.mediaId")
    report_url = opt_string(output.get("reportUrl"), "report.output.reportUrl")
    if media is not None:
        media_id = media_id or opt_string(media.get("mediaId"), "report.media.mediaId")
        report_url = report_url or opt_string(media.get("url"), "report.media.url")
    markdown = opt_string(output.get("markdown"), "report.output.markdown")
    if markdown is None:
        markdown = opt_string(data.get("markdown"), "report.markdown")
    json_value = opt_dict(output.get("json"), "report.output.json")
    if json_value is None:
        json_value = opt_dict(data.get("json"), "report.json")
    provenance = None
    if provenance_map is not None:
        provenance = ReportProvenance(
            behavior_map_id=string(provenance_map.get("behaviorMapId"), "report.provenance.behaviorMapId"),
            baseline_sample_ids=strings(provenance_map.get("baselineSampleIds"), "report.provenance.baselineSampleIds"),
        )
    return Report(
        id=string(data.get("id"), "report.id"),
        created_at=string(data.get("createdAt"), "report.createdAt"),
        output=ReportOutputData(
            template=string(output.get("template"), "report.output.template"),
            markdown=markdown,
            json=json_value,
            report_url=report_url,
        ),
        job_id=opt_string(data.get("jobId"), "report.jobId"),
        label=opt_string(data.get("label"), "report.label"),
        entity_id=entity_id,
        entity_label=entity_label,
        media_id=media_id,
        provenance=provenance,
    )


def parse_matching_subject(value: object) -> MatchingResolvedSubject:
    data = mapping(value, "matching subject")
    return MatchingResolvedSubject(
        source=as_dict(data.get("source"), "matching subject.source"),
        entity_id=opt_string(first(data, "entityId", "entity_id"), "matching subject.entityId"),
        resolved_label=opt_string(first(data, "resolvedLabel", "resolved_label"), "matching subject.resolvedLabel"),
    )


def parse_matching(value: object) -> Matching:
    data = mapping(value, "matching")
    output = opt_mapping(data.get("output"), "matching.output") or {}
    markdown = opt_string(output.get("markdown"), "matching.output.markdown")
    if markdown is None:
        markdown = opt_string(data.get("markdown"), "matching.markdown")
    json_value = opt_dict(output.get("json"), "matching.output.json")
    if json_value is None:
        json_value = opt_dict(data.get("json"), "matching.json")
    target = data.get("target")
    group = data.get("group")
    return Matching(
        id=string(data.get("id"), "matching.id"),
        created_at=string(data.get("createdAt"), "matching.createdAt"),
        context=string(data.get("context"), "matching.context"),
        output=MatchingOutputData(markdown=markdown, json=json_value),
        job_id=opt_string(data.get("jobId"), "matching.jobId"),
        label=opt_string(data.get("label"), "matching.label"),
        target=None if target is None else parse_matching_subject(target),
        group=None if group is None else items(group, "matching.group", parse_matching_subject),
    )


def parse_media_object(value: object) -> MediaObject:
    data = mapping(value, "media")
    return MediaObject(
        media_id=string(data.get("mediaId"), "media.mediaId"),
        created_at=string(data.get("createdAt"), "media.createdAt"),
        content_type=string(data.get("contentType"), "media.contentType"),
        label=string(data.get("label"), "media.label"),
        size_bytes=opt_integer(data.get("sizeBytes"), "media.sizeBytes"),
        duration_seconds=opt_number(data.get("durationSeconds"), "media.durationSeconds"),
    )


def parse_media_file(value: object) -> MediaFile:
    data = mapping(value, "media file")
    retention = mapping(data.get("retention"), "media.retention")
    return MediaFile(
        media_id=string(data.get("mediaId"), "media.mediaId"),
        created_at=string(data.get("createdAt"), "media.createdAt"),
        content_type=string(data.get("contentType"), "media.contentType"),
        has_reports=boolean(data.get("hasReports"), "media.hasReports"),
        label=string(data.get("label"), "media.label"),
        processing_status=string(data.get("processingStatus"), "media.processingStatus"),
        last_used_at=opt_string(data.get("lastUsedAt"), "media.lastUsedAt"),
        retention=MediaRetention(
            expires_at=opt_string(retention.get("expiresAt"), "media.retention.expiresAt"),
            days_remaining=opt_integer(retention.get("daysRemaining"), "media.retention.daysRemaining"),
            locked=boolean(retention.get("locked"), "media.retention.locked"),
        ),
        size_bytes=opt_integer(data.get("sizeBytes"), "media.sizeBytes"),
        duration_seconds=opt_number(data.get("durationSeconds"), "media.durationSeconds"),
    )


def parse_list_files(value: object) -> ListFilesResponse:
    data = mapping(value, "files list")
    return ListFilesResponse(
        files=items(data.get("files"), "files", parse_media_file),
        has_more=boolean(data.get("hasMore"), "files.hasMore"),
        next_cursor=opt_string(data.get("nextCursor"), "files.nextCursor"),
    )


def _parse_media_speaker(value: object) -> MediaSpeaker:
    data = mapping(value, "media speaker")
    return MediaSpeaker(
        speaker_index=integer(data.get("speakerIndex"), "speaker.speakerIndex"),
        speech_seconds=number(data.get("speechSeconds"), "speaker.speechSeconds"),
        transcript=string(data.get("transcript"), "speaker.transcript"),
    )


def parse_media_speakers(value: object) -> MediaSpeakers:
    data = mapping(value, "media speakers")
    return MediaSpeakers(
        media_id=string(data.get("mediaId"), "speakers.mediaId"),
        status=string(data.get("status"), "speakers.status"),
        duration_seconds=opt_number(data.get("durationSeconds"), "speakers.durationSeconds"),
        speakers=items(data.get("speakers"), "speakers.speakers", _parse_media_speaker),
    )


def parse_delete_receipt(value: object) -> FileDeleteReceipt:
    data = mapping(value, "delete receipt")
    return FileDeleteReceipt(
        media_id=string(data.get("mediaId"), "delete.mediaId"),
        deleted=boolean(data.get("deleted"), "delete.deleted"),
    )


def parse_retention_lock(value: object) -> RetentionLockResult:
    data = mapping(value, "retention result")
    return RetentionLockResult(
        media_id=string(data.get("mediaId"), "retention.mediaId"),
        retention_lock=boolean(data.get("retentionLock"), "retention.retentionLock"),
        message=string(data.get("message"), "retention.message"),
    )


def parse_entity(value: object) -> Entity:
    data = mapping(value, "entity")
    return Entity(
        id=string(data.get("id"), "entity.id"),
        created_at=string(data.get("createdAt"), "entity.createdAt"),
        label=opt_string(data.get("label"), "entity.label"),
        media_count=number(data.get("mediaCount"), "entity.mediaCount"),
        last_seen_at=opt_string(data.get("lastSeenAt"), "entity.lastSeenAt"),
    )


def parse_list_entities(value: object) -> ListEntitiesResponse:
    data = mapping(value, "entities list")
    return ListEntitiesResponse(
        entities=items(data.get("entities"), "entities", parse_entity),
        has_more=boolean(data.get("hasMore"), "entities.hasMore"),
        cursor=opt_string(data.get("cursor"), "entities.cursor"),
    )


def parse_psychometrics_result(value: object) -> PsychometricsResult:
    data = mapping(value, "psychometrics result")
    scores = mapping(data.get("psychometrics"), "psychometrics")
    return PsychometricsResult(
        analysis_id=string(data.get("analysisId"), "analysisId"),
        created_at=string(data.get("createdAt"), "createdAt"),
        expires_at=string(data.get("expiresAt"), "expiresAt"),
        psychometrics={str(k): number(v, f"psychometrics[{k}]") for k, v in scores.items()},
        selected_speaker=opt_dict(data.get("selectedSpeaker"), "selectedSpeaker"),
        quality=opt_dict(data.get("quality"), "quality"),
    )


def parse_report_evidence(value: object) -> ReportEvidence:
    data = mapping(value, "report evidence")
    return ReportEvidence(
        report_id=string(data.get("reportId"), "evidence.reportId"),
        job_id=opt_string(data.get("jobId"), "evidence.jobId"),
        media_id=opt_string(data.get("mediaId"), "evidence.mediaId"),
        entity_id=opt_string(data.get("entityId"), "evidence.entityId"),
        speaker_index=opt_integer(data.get("speakerIndex"), "evidence.speakerIndex"),
        behavior_map_id=opt_string(data.get("behaviorMapId"), "evidence.behaviorMapId"),
        metrics=as_dict(data.get("metrics", {}), "evidence.metrics"),
        indicators=items(data.get("indicators", []), "evidence.indicators", lambda i: as_dict(i, "indicator")),
        claims=items(data.get("claims", []), "evidence.claims", lambda c: as_dict(c, "claim")),
    )


def parse_behavior_map(value: object) -> BehaviorMap:
    data = mapping(value, "behavior map")
    return BehaviorMap(
        entity_id=string(data.get("entityId"), "behaviorMap.entityId"),
        map_id=string(data.get("mapId"), "behaviorMap.mapId"),
        created_at=string(data.get("createdAt"), "behaviorMap.createdAt"),
        model_checkpoint=string(data.get("modelCheckpoint"), "behaviorMap.modelCheckpoint"),
        sample_ids=strings(data.get("sampleIds", []), "behaviorMap.sampleIds"),
        behavior_map=as_dict(data.get("behaviorMap"), "behaviorMap.behaviorMap"),
    )


def parse_webhook_event_record(value: object) -> WebhookEventRecord:
    data = mapping(value, "webhook event record")
    return WebhookEventRecord(
        id=string(data.get("id"), "event.id"),
        type=string(data.get("type"), "event.type"),
        job_id=string(data.get("jobId"), "event.jobId"),
        url=string(data.get("url"), "event.url"),
        status=string(data.get("status"), "event.status"),
        attempt_count=integer(data.get("attemptCount"), "event.attemptCount"),
        created_at=string(data.get("createdAt"), "event.createdAt"),
        last_attempt_at=opt_string(data.get("lastAttemptAt"), "event.lastAttemptAt"),
        next_attempt_at=opt_string(data.get("nextAttemptAt"), "event.nextAttemptAt"),
        payload=as_dict(data.get("payload", {}), "event.payload"),
    )


def parse_list_webhook_events(value: object) -> ListWebhookEventsResponse:
    data = mapping(value, "webhook events list")
    return ListWebhookEventsResponse(
        events=items(data.get("events"), "events", parse_webhook_event_record),
        has_more=boolean(data.get("hasMore"), "events.hasMore"),
        next_cursor=opt_string(data.get("nextCursor"), "events.nextCursor"),
    )


def _parse_attempt(value: object) -> DeliveryAttempt:
    data = mapping(value, "delivery attempt")
    return DeliveryAttempt(
        attempt=integer(data.get("attempt"), "attempt.attempt"),
        started_at=string(data.get("startedAt"), "attempt.startedAt"),
        duration_ms=number(data.get("durationMs"), "attempt.durationMs"),
        status_code=opt_integer(data.get("statusCode"), "attempt.statusCode"),
        error=opt_string(data.get("error"), "attempt.error"),
        redelivery=boolean(data.get("redelivery", False), "attempt.redelivery"),
    )


def parse_delivery_attempts(value: object) -> list[DeliveryAttempt]:
    data = mapping(value, "delivery attempts")
    return items(data.get("attempts"), "attempts", _parse_attempt)
