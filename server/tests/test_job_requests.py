"""The stored job requests (domain/requests.py): each record round-trips, reads the JSON the server has always
stored in `jobs.request` / `jobs.webhook`, and writes it back unchanged, so jobs queued before an upgrade still run."""

from __future__ import annotations

from typing import Any

import pytest
from conduit_server.api import validation
from conduit_server.domain.jobs import JobType
from conduit_server.domain.requests import (
    EntityRef,
    MatchingRequest,
    MediaTargetRef,
    ReportRequest,
    WebhookTarget,
    subject_from_json,
)
from conduit_server.domain.selector import TargetSelector, TimeRange
from conduit_server.webhooks.guard import AddressPolicy

# Exactly what the create handlers stored before the records existed (validation's dicts, as JSON).
STORED_REPORT_FULL: dict[str, Any] = {
    "mediaId": "med_abc",
    "template": "sales_playbook",
    "templateParams": {"roleTitle": "AE", "companyCulture": "direct"},
    "target": {"strategy": "timerange", "on_miss": "fallback_dominant",
               "timerange": {"start_seconds": 1.0, "end_seconds": 30.0}},
    "webhook": {"url": "https://hooks.example.com/h", "headers": {"x-tenant-id": "t1"}},
    "language": "es",
    "label": "call-a",
    "entityLabel": "Ana",
}
STORED_REPORT_MINIMAL: dict[str, Any] = {
    "mediaId": "med_abc", "template": "general_report", "templateParams": None,
    "target": {"strategy": "dominant", "on_miss": "error"}, "webhook": None, "language": "en", "label": None,
    "entityLabel": None,
}
STORED_MATCHING_FULL: dict[str, Any] = {
    "context": "behavioral_compatibility",
    "target": {"type": "entity_id", "entityId": "ent_1"},
    "group": [
        {"type": "media_target", "mediaId": "med_2",
         "selector": {"strategy": "magic_hint", "on_miss": "error", "hint": "the interviewer"}},
        {"type": "media_target", "mediaId": "med_3",
         "selector": {"strategy": "speaker_index", "on_miss": "error", "speaker_index": 1}},
        {"type": "entity_id", "entityId": "ent_4"},
    ],
    "webhook": {"url": "https://hooks.example.com/m", "headers": {}},
    "label": "team",
}
STORED_MATCHING_MINIMAL: dict[str, Any] = {
    "context": "behavioral_compatibility",
    "target": {"type": "media_target", "mediaId": "med_1",
               "selector": {"strategy": "entity_id", "on_miss": "error", "entity_id": "ent_9"}},
    "group": [{"type": "entity_id", "entityId": "ent_4"}],
    "webhook": None,
    "label": None,
}

# The create bodies that produced the dicts above.
REPORT_BODY_FULL: dict[str, Any] = {
    "media": {"mediaId": "med_abc"},
    "output": {"template": "sales_playbook",
               "templateParams": {"roleTitle": "AE", "roleDescription": "", "companyCulture": "direct", "x": "y"}},
    "target": {"strategy": "timerange", "timerange": {"start_seconds": 1, "end_seconds": 30},
               "on_miss": "fallback_dominant", "hint": "ignored"},
    "webhook": {"url": "https://hooks.example.com/h", "headers": {"x-tenant-id": "t1"}},
    "language": "es", "label": " call-a ", "entityLabel": "Ana",
}
REPORT_BODY_MINIMAL: dict[str, Any] = {"media": {"mediaId": "med_abc"}, "output": {"template": "general_report"},
                                       "target": {"strategy": "dominant"}}
MATCHING_BODY_FULL: dict[str, Any] = {
    "context": "behavioral_compatibility",
    "target": {"type": "entity_id", "entityId": "ent_1"},
    "group": [
        {"type": "media_target", "mediaId": "med_2", "selector": {"strategy": "magic_hint", "hint": "the interviewer"}},
        {"type": "media_target", "mediaId": "med_3", "selector": {"strategy": "speaker_index", "speaker_index": 1}},
        {"type": "entity_id", "entityId": "ent_4"},
    ],
    "webhook": {"url": "https://hooks.example.com/m"}, "label": "team",
}
MATCHING_BODY_MINIMAL: dict[str, Any] = {
    "context": "behavioral_compatibility",
    "target": {"type": "media_target", "mediaId": "med_1", "selector": {"strategy": "entity_id", "entity_id": "ent_9"}},
    "group": [{"type": "entity_id", "entityId": "ent_4"}],
}

POLICY = AddressPolicy()

REPORT = ReportRequest(
    media_id="med_abc", template="sales_playbook",
    target=TargetSelector("timerange", on_miss="fallback_dominant", timerange=TimeRange(1.0, 30.0)),
    template_params={"roleTitle": "AE", "companyCulture": "direct"},
    webhook=WebhookTarget("https://hooks.example.com/h", {"x-tenant-id": "t1"}),
    language="es", label="call-a", entity_label="Ana",
)
MATCHING = MatchingRequest(
    target=EntityRef("ent_1"),
    group=(MediaTargetRef("med_2", TargetSelector("magic_hint", hint="the interviewer")),
           MediaTargetRef("med_3", TargetSelector("speaker_index", speaker_index=1)),
           EntityRef("ent_4")),
    webhook=WebhookTarget("https://hooks.example.com/m"), label="team",
)


@pytest.mark.parametrize(
    "record",
    [
        REPORT,
        ReportRequest(media_id="med_x", template="general_report", target=TargetSelector("dominant")),
        ReportRequest(media_id="med_x", template="general_report",
                      target=TargetSelector("timerange", timerange=TimeRange(None, 5.0))),
        ReportRequest(media_id="med_x", template="general_report", target=TargetSelector("entity_id", entity_id="e")),
        MATCHING,
        MatchingRequest(target=MediaTargetRef("med_1", TargetSelector("dominant")), group=(EntityRef("ent_2"),)),
        WebhookTarget("https://hooks.example.com/h"),
        WebhookTarget("https://hooks.example.com/h", {"a": "1", "b": "2"}),
        EntityRef("ent_1"),
        MediaTargetRef("med_1", TargetSelector("magic_hint", on_miss="fallback_dominant", hint="the host")),
    ],
    ids=repr,
)
def test_records_round_trip(record: Any) -> None:
    assert type(record).from_json(record.to_json()) == record


@pytest.mark.parametrize(
    ("record_type", "stored"),
    [
        (ReportRequest, STORED_REPORT_FULL),
        (ReportRequest, STORED_REPORT_MINIMAL),
        (MatchingRequest, STORED_MATCHING_FULL),
        (MatchingRequest, STORED_MATCHING_MINIMAL),
    ],
)
def test_what_the_server_stored_reads_and_writes_back_unchanged(record_type: Any, stored: dict[str, Any]) -> None:
    assert record_type.from_json(stored).to_json() == stored


def test_the_stored_rows_read_as_the_expected_records() -> None:
    assert ReportRequest.from_json(STORED_REPORT_FULL) == REPORT
    assert MatchingRequest.from_json(STORED_MATCHING_FULL) == MATCHING


@pytest.mark.parametrize(
    ("body", "stored"),
    [(REPORT_BODY_FULL, STORED_REPORT_FULL), (REPORT_BODY_MINIMAL, STORED_REPORT_MINIMAL)],
)
def test_a_validated_report_body_stores_the_same_json_as_before(body: dict[str, Any], stored: dict[str, Any]) -> None:
    assert validation.report_request(body, POLICY).to_json() == stored


@pytest.mark.parametrize(
    ("body", "stored"),
    [(MATCHING_BODY_FULL, STORED_MATCHING_FULL), (MATCHING_BODY_MINIMAL, STORED_MATCHING_MINIMAL)],
)
def test_a_validated_matching_body_stores_the_same_json_as_before(body: dict[str, Any],
                                                                  stored: dict[str, Any]) -> None:
    assert validation.matching_request(body, POLICY).to_json() == stored


def test_older_rows_with_keys_left_out_still_read() -> None:
    """The worker used to read the optional keys with .get(): a row without them must still run."""
    legacy = {"mediaId": "med_old", "template": "general_report", "target": {"strategy": "dominant"}}
    req = ReportRequest.from_json(legacy)
    assert req == ReportRequest(media_id="med_old", template="general_report", target=TargetSelector("dominant"))
    assert req.language == "en" and req.template_params is None and req.entity_label is None
    assert ReportRequest.from_json({**legacy, "language": None}).language == "en"
    matching = MatchingRequest.from_json({"context": "behavioral_compatibility",
                                          "target": {"type": "entity_id", "entityId": "ent_1"},
                                          "group": [{"type": "entity_id", "entityId": "ent_2"}]})
    assert matching.label is None and matching.webhook is None
    assert WebhookTarget.from_json({"url": "https://x.test"}) == WebhookTarget("https://x.test", {})
    assert WebhookTarget.from_json({"url": "https://x.test", "headers": None}).headers == {}


def test_job_types_and_subjects() -> None:
    assert ReportRequest.job_type is JobType.REPORT and MatchingRequest.job_type is JobType.MATCHING
    assert MATCHING.subjects == (MATCHING.target, *MATCHING.group)
    with pytest.raises(ValueError, match="unknown matching subject type"):
        subject_from_json({"type": "voiceprint"})


def test_records_are_frozen() -> None:
    with pytest.raises(AttributeError):
        REPORT.media_id = "med_other"  # type: ignore[misc]
