"""Event payload (docs/api.md §6.2) built and serialised once; outgoing headers and signature (§6.3, §16(a))."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from datetime import UTC, datetime, timedelta, timezone

import pytest
from conduit_server.webhooks import (
    WebhookEvent,
    build_delivery_headers,
    build_webhook_event,
    canonical_json,
    event_type_for,
    format_timestamp,
    new_event_id,
    sign_webhook_payload,
)

TERMINAL = datetime(2026, 3, 15, 10, 2, 31, 417000, tzinfo=UTC)
CREATED = datetime(2026, 3, 15, 10, 2, 31, 500123, tzinfo=UTC)


def test_report_completed_matches_the_contract_example() -> None:
    event = build_webhook_event(
        job_id="job_1",
        job_type="report.generate",
        status="succeeded",
        terminal_at=TERMINAL,
        report_id="rep_1",
        event_id="evt_1",
        created_at=CREATED,
    )
    assert event.body == (
        b'{"id":"evt_1","type":"report.completed","createdAt":"2026-03-15T10:02:31.500Z",'
        b'"timestamp":"2026-03-15T10:02:31.417Z","data":{"jobId":"job_1","reportId":"rep_1","status":"succeeded"}}'
    )
    assert (event.id, event.type, event.job_id) == ("evt_1", "report.completed", "job_1")
    assert json.loads(event.body) == event.payload


@pytest.mark.parametrize(
    ("job_type", "status", "extra", "data"),
    [
        (
            "matching.generate",
            "succeeded",
            {"matching_id": "mat_1"},
            {"jobId": "job_1", "matchingId": "mat_1", "status": "succeeded"},
        ),
        (
            "report.generate",
            "failed",
            {
                "error": {
                    "code": "target_not_found",
                    "message": "Could not identify target speaker",
                    "details": {"x": 1},
                    "retryable": False,
                }
            },
            {
                "jobId": "job_1",
                "status": "failed",
                "error": {"code": "target_not_found", "message": "Could not identify target speaker"},
            },
        ),
        (
            "matching.generate",
            "failed",
            {"error": {"code": "duplicate_subject", "message": "dup"}},
            {"jobId": "job_1", "status": "failed", "error": {"code": "duplicate_subject", "message": "dup"}},
        ),
        ("report.generate", "canceled", {}, {"jobId": "job_1", "status": "canceled"}),
        ("matching.generate", "canceled", {}, {"jobId": "job_1", "status": "canceled"}),
    ],
)
def test_event_types_and_data(job_type: str, status: str, extra: dict, data: dict) -> None:
    event = build_webhook_event(job_id="job_1", job_type=job_type, status=status, terminal_at=TERMINAL, **extra)
    assert event.payload["data"] == data
    assert list(json.loads(event.body)["data"]) == list(data)  # key order as in the table of docs/api.md §6.2
    assert event.type == event_type_for(job_type, status)
    assert re.fullmatch(r"evt_[0-9a-z]{24}", event.id)


def test_invalid_events_are_refused() -> None:
    with pytest.raises(ValueError):
        event_type_for("report.generate", "running")
    with pytest.raises(ValueError):
        build_webhook_event(job_id="j", job_type="report.generate", status="succeeded", terminal_at=TERMINAL)
    with pytest.raises(ValueError):
        build_webhook_event(job_id="j", job_type="matching.generate", status="failed", terminal_at=TERMINAL)


def test_body_is_canonical_utf8_and_round_trips_byte_identical() -> None:
    event = build_webhook_event(
        job_id="job_é",
        job_type="report.generate",
        status="failed",
        terminal_at=TERMINAL,
        error={"code": "invalid_media", "message": "Média illisible — ✓"},
        clock=lambda: CREATED,
    )
    assert "Média illisible — ✓".encode() in event.body and b"\\u" not in event.body
    assert b" " not in event.body.replace("Média illisible — ✓".encode(), b"")
    assert event.body == canonical_json(event.payload)
    again = WebhookEvent.from_body(event.body)
    assert again.body == event.body and again.id == event.id and again.type == event.type
    assert again.job_id == "job_é" and again.created_at == datetime(2026, 3, 15, 10, 2, 31, 500000, tzinfo=UTC)


def test_timestamps_are_utc_millis_with_z() -> None:
    assert format_timestamp(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)) == "2026-01-02T03:04:05.000Z"
    plus2 = timezone(timedelta(hours=2))
    assert format_timestamp(datetime(2026, 1, 2, 5, 4, 5, 123999, tzinfo=plus2)) == "2026-01-02T03:04:05.123Z"
    assert format_timestamp(datetime(2026, 1, 2, 3, 4, 5)) == "2026-01-02T03:04:05.000Z"  # naive = UTC


def test_event_ids_are_unique() -> None:
    assert len({new_event_id() for _ in range(1000)}) == 1000


def test_signature_format_and_value() -> None:
    sig = sign_webhook_payload(b'{"a":1}', "whsec_abc", timestamp=1_700_000_000)
    mac = hmac.new(b"whsec_abc", b'1700000000.{"a":1}', hashlib.sha256).hexdigest()
    assert sig == f"t=1700000000,v1={mac}"


def test_headers_exact_set_and_custom_headers_cannot_override() -> None:
    body = b'{"x":1}'
    custom = {
        "X-Tenant": "t1",
        "conduit-signature": "forged",
        "Conduit-Event-Id": "evt_forged",
        "CONDUIT-DELIVERY-ATTEMPT": "99",
        "conduit-extra": "nope",
        "Content-Type": "text/plain",
        "Host": "evil",
        "Content-Length": "1",
        "Transfer-Encoding": "chunked",
        "Connection": "close",
        "User-Agent": "spoof",
    }
    headers = build_delivery_headers(
        body=body,
        secret="whsec_s",
        event_id="evt_1",
        event_type="report.completed",
        attempt=3,
        custom_headers=custom,
        clock=lambda: 1_800_000_000.9,
        version="1.2.3",
    )
    mac = hmac.new(b"whsec_s", b"1800000000." + body, hashlib.sha256).hexdigest()
    assert headers == {
        "x-tenant": "t1",
        "content-type": "application/json",
        "user-agent": "Conduit-Webhooks/1.2.3",
        "conduit-event-id": "evt_1",
        "conduit-event-type": "report.completed",
        "conduit-delivery-attempt": "3",
        "conduit-signature": f"t=1800000000,v1={mac}",
    }


def test_default_version_and_attempt_numbering() -> None:
    headers = build_delivery_headers(body=b"{}", secret="whsec_s", event_id="e", event_type="t", attempt=1, timestamp=5)
    assert re.fullmatch(r"Conduit-Webhooks/\S+", headers["user-agent"])
    assert headers["conduit-delivery-attempt"] == "1" and headers["conduit-signature"].startswith("t=5,v1=")
    with pytest.raises(ValueError):
        build_delivery_headers(body=b"{}", secret="s", event_id="e", event_type="t", attempt=0)
