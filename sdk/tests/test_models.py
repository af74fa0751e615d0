from __future__ import annotations

import pytest
from conduit import ConduitError, models
from sdk_testkit import REPORT, UPLOAD

JOB_DONE = {
    "id": "job_1",
    "type": "report.generate",
    "status": "succeeded",
    "stage": "finalizing",
    "progress": 1,
    "createdAt": "2026-03-15T10:00:00.000Z",
    "updatedAt": "2026-03-15T10:02:31.417Z",
    "reportId": "rep_1",
    "usage": {
        "creditsUsed": 0,
        "creditsNetUsed": 0,
        "durationMs": 151004,
        "modelVersion": "conduit-0.1.0/pipeline-1",
        "audioSeconds": 1832.5,
    },
    "requestId": "req_1",
    "somethingNew": True,
}
FILE = {
    **UPLOAD,
    "processingStatus": "COMPLETED",
    "lastUsedAt": None,
    "hasReports": True,
    "deletedAt": None,
    "retention": {"expiresAt": None, "daysRemaining": None, "locked": True},
}
MATCHING = {
    "id": "mat_1",
    "createdAt": "2026-03-15T10:00:00.000Z",
    "jobId": "job_2",
    "label": "panel fit",
    "context": "behavioral_compatibility",
    "target": {"source": {"type": "entity_id", "entityId": "ent_c"}, "entityId": "ent_c", "resolvedLabel": "Sam"},
    "group": [
        {
            "source": {"type": "media_target", "mediaId": "med_p", "selector": {"strategy": "dominant"}},
            "entityId": "ent_2",
            "resolvedLabel": None,
        }
    ],
    "output": {"template": "matching"},
    "markdown": "# m",
    "json": {"schemaVersion": 1},
}


def test_job_with_usage_and_error() -> None:
    job = models.parse_job(JOB_DONE)
    assert job.usage is not None and job.usage.duration_ms == 151004 and job.usage.audio_seconds == 1832.5
    assert (job.report_id, job.request_id, job.credits, job.progress) == ("rep_1", "req_1", None, 1.0)
    failed = models.parse_job(
        {**JOB_DONE, "status": "failed", "error": {"code": "invalid_media", "message": "m", "retryable": False}}
    )
    assert failed.error is not None and failed.error.code == "invalid_media" and failed.error.retryable is False


def test_report_flattens_entity_media_and_top_level_output() -> None:
    report = models.parse_report({**REPORT, "media": {"mediaId": "med_1", "url": "https://x/r"}})
    assert (report.entity_id, report.entity_label, report.media_id) == ("ent_1", "Dana", "med_1")
    assert report.output.markdown == "# Dana" and report.output.json == {"schemaVersion": 2}
    assert report.output.report_url == "https://x/r"
    assert report.provenance is not None and report.provenance.baseline_sample_ids == ["smp_1"]


def test_matching_media_entities_and_lists() -> None:
    matching = models.parse_matching(MATCHING)
    assert matching.target is not None and matching.target.resolved_label == "Sam"
    assert matching.group is not None and matching.group[0].entity_id == "ent_2"
    assert matching.output.markdown == "# m"
    media = models.parse_media_object(UPLOAD)
    assert (media.media_id, media.size_bytes, media.duration_seconds) == ("med_1", 10, None)
    files = models.parse_list_files({"files": [FILE], "hasMore": False, "nextCursor": None})
    assert files.files[0].retention.locked is True and files.files[0].processing_status == "COMPLETED"
    entities = models.parse_list_entities(
        {
            "entities": [{"id": "ent_1", "label": None, "createdAt": "t", "mediaCount": 2, "lastSeenAt": None}],
            "cursor": "c",
            "hasMore": True,
        }
    )
    assert entities.cursor == "c" and entities.entities[0].media_count == 2
    speakers = models.parse_media_speakers(
        {
            "mediaId": "med_1",
            "status": "COMPLETED",
            "durationSeconds": 3.2,
            "speakers": [{"speakerIndex": 0, "speechSeconds": 1.5, "transcript": "hi"}],
        }
    )
    assert speakers.speakers[0].transcript == "hi"
    assert models.parse_delete_receipt({"mediaId": "med_1", "deleted": True}).deleted is True
    lock = models.parse_retention_lock({"mediaId": "m", "retentionLock": True, "message": "Retention lock enabled"})
    assert lock.retention_lock is True


def test_psychometrics_and_extensions() -> None:
    result = models.parse_psychometrics_result(
        {
            "analysisId": "ana_1",
            "createdAt": "a",
            "expiresAt": "b",
            "psychometrics": {"honestyHumility": 0.48, "extraversion": 1},
            "selectedSpeaker": {"speakerIndex": 1},
        }
    )
    assert result.psychometrics == {"honestyHumility": 0.48, "extraversion": 1.0}
    evidence = models.parse_report_evidence(
        {
            "reportId": "rep_1",
            "jobId": "job_1",
            "mediaId": "med_1",
            "entityId": "ent_1",
            "speakerIndex": 1,
            "behaviorMapId": "map_1",
            "metrics": {"speechSeconds": 268.5},
            "indicators": [{"key": "speech_rate", "normalized": 0.71}],
            "claims": [{"sectionKey": "s", "indicatorKeys": []}],
        }
    )
    assert evidence.indicators[0]["key"] == "speech_rate" and evidence.speaker_index == 1
    bmap = models.parse_behavior_map(
        {
            "entityId": "ent_1",
            "mapId": "map_1",
            "createdAt": "t",
            "modelCheckpoint": "c",
            "sampleIds": ["smp_1"],
            "behaviorMap": {"indicators": {}, "traits": {}},
        }
    )
    assert bmap.sample_ids == ["smp_1"]
    record = {
        "id": "evt_1",
        "type": "report.completed",
        "jobId": "job_1",
        "url": "https://a",
        "status": "delivered",
        "attemptCount": 1,
        "createdAt": "t",
        "lastAttemptAt": "t",
        "nextAttemptAt": None,
        "payload": {"id": "evt_1"},
    }
    listed = models.parse_list_webhook_events({"events": [record], "hasMore": False, "nextCursor": None})
    assert listed.events[0].attempt_count == 1
    attempts = models.parse_delivery_attempts(
        {
            "attempts": [
                {
                    "attempt": 1,
                    "startedAt": "t",
                    "durationMs": 12,
                    "statusCode": None,
                    "error": "timeout",
                    "redelivery": False,
                }
            ]
        }
    )
    assert attempts[0].error == "timeout"


@pytest.mark.parametrize(
    ("parse", "payload"),
    [
        (models.parse_job, {"id": "job_1"}),
        (models.parse_job, [1]),
        (models.parse_job, {**JOB_DONE, "usage": {"creditsUsed": 0}}),
        (models.parse_job, {**JOB_DONE, "progress": "half"}),
        (models.parse_report, {**REPORT, "output": None}),
        (models.parse_media_file, {**FILE, "hasReports": "yes"}),
        (models.parse_list_files, {"files": {}, "hasMore": False}),
        (models.parse_matching, {**MATCHING, "group": {}}),
        (
            models.parse_psychometrics_result,
            {"analysisId": "a", "createdAt": "b", "expiresAt": "c", "psychometrics": {"x": None}},
        ),
    ],
)
def test_parse_failures_are_invalid_response(parse: object, payload: object) -> None:
    with pytest.raises(ConduitError) as info:
        parse(payload)  # type: ignore[operator]
    assert info.value.code == "invalid_response"
