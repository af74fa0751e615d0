from __future__ import annotations

import json

import pytest
from conduit import ConduitError, WebhookVerificationError, sign_webhook_payload
from sdk_testkit import NOW, FakeClock, Recorder, json_response, make_client

SECRET = "whsec_test"
BODY = json.dumps(
    {
        "id": "evt_1",
        "type": "report.completed",
        "createdAt": "2026-03-15T10:02:31.500Z",
        "timestamp": "2026-03-15T10:02:31.417Z",
        "data": {"jobId": "job_1", "reportId": "rep_1", "status": "succeeded"},
    }
).encode()
T = int(NOW)


def hooks(clock: FakeClock | None = None):  # type: ignore[no-untyped-def]
    return make_client(Recorder(json_response(200, {})), clock or FakeClock()).webhooks


def test_sign_and_verify_round_trip_bytes_and_str() -> None:
    header = sign_webhook_payload(BODY, SECRET, timestamp=T)
    assert header.startswith(f"t={T},v1=") and len(header.split("v1=")[1]) == 64
    assert hooks().verify_signature(BODY, {"Conduit-Signature": header}, SECRET) is True
    assert hooks().verify_signature(BODY.decode(), {"conduit-signature": [header]}, secret=SECRET) is True


def _code(headers: dict[str, object], body: bytes = BODY, secret: str = SECRET, clock: FakeClock | None = None) -> str:
    with pytest.raises(WebhookVerificationError) as info:
        hooks(clock).verify_signature(body, headers, secret)  # type: ignore[arg-type]
    return info.value.code


def test_missing_header() -> None:
    assert _code({}) == "webhook_signature_missing"
    assert _code({"conduit-signature": None}) == "webhook_signature_missing"


def test_duplicate_header_sequence() -> None:
    header = sign_webhook_payload(BODY, SECRET, timestamp=T)
    assert _code({"conduit-signature": [header, header]}) == "webhook_signature_invalid"


def test_stale_timestamp_checked_before_hmac() -> None:
    old = sign_webhook_payload(BODY, SECRET, timestamp=T - 301)
    assert _code({"conduit-signature": old}) == "webhook_signature_stale"
    future_bad = f"t={T + 301},v1={'0' * 64}"
    assert _code({"conduit-signature": future_bad}) == "webhook_signature_stale"
    edge = sign_webhook_payload(BODY, SECRET, timestamp=T - 300)
    assert hooks().verify_signature(BODY, {"conduit-signature": edge}, SECRET)


def test_wrong_secret_and_tampered_body() -> None:
    header = sign_webhook_payload(BODY, SECRET, timestamp=T)
    assert _code({"conduit-signature": header}, secret="whsec_other") == "webhook_signature_invalid"
    assert _code({"conduit-signature": header}, body=BODY + b" ") == "webhook_signature_invalid"


@pytest.mark.parametrize(
    "header",
    [
        f"v1={'a' * 64}",
        f"t={T}",
        f"t={T},v1={'a' * 64},v0=abc",
        f"t={T},t={T},v1={'a' * 64}",
        f"t={T},v1={'a' * 64},v1={'b' * 64}",
        f"t=,v1={'a' * 64}",
        f"t={T},v1=",
        f"t=abc,v1={'a' * 64}",
        f"t={T};v1={'a' * 64}",
        "",
    ],
)
def test_malformed_headers(header: str) -> None:
    assert _code({"conduit-signature": header}) == "webhook_signature_invalid"


def test_parse_known_and_unknown_events() -> None:
    event = hooks().parse_event(BODY)
    assert (event.id, event.type, event.data) == (
        "evt_1",
        "report.completed",
        {"jobId": "job_1", "reportId": "rep_1", "status": "succeeded"},
    )
    canceled = json.loads(BODY)
    canceled.update(type="report.canceled", data={"jobId": "job_1", "status": "canceled"})
    assert hooks().parse_event(json.dumps(canceled)).type == "report.canceled"
    failed = {
        **canceled,
        "type": "matching.failed",
        "data": {"jobId": "j", "status": "failed", "error": {"code": "target_not_found", "message": "m"}},
    }
    assert hooks().parse_event(json.dumps(failed)).data["error"]["code"] == "target_not_found"  # type: ignore[index]


def _mutate(**changes: object) -> str:
    value = json.loads(BODY)
    for key, item in changes.items():
        if item is None:
            value.pop(key)
        else:
            value[key] = item
    return json.dumps(value)


@pytest.mark.parametrize(
    "payload",
    [
        b"{not json",
        b"[]",
        _mutate(id=None),
        _mutate(type=5),
        _mutate(createdAt="yesterday"),
        _mutate(timestamp=None),
        _mutate(data={"jobId": "job_1", "status": "succeeded"}),
        _mutate(data={"jobId": "job_1", "reportId": "rep_1", "status": "failed"}),
        _mutate(type="report.failed", data={"jobId": "job_1", "status": "failed", "error": {"code": "x"}}),
        _mutate(type="matching.completed"),
        b"\xff\xfe",
    ],
)
def test_parse_invalid_payloads(payload: str | bytes) -> None:
    with pytest.raises(ConduitError) as info:
        hooks().parse_event(payload)
    assert info.value.code == "invalid_webhook_payload"


def test_seed_user_code_imports() -> None:
    from conduit import Conduit, WebhookVerificationError  # noqa: F401


@pytest.mark.parametrize(
    "header",
    [
        f"t={T},v1={'é' * 64}",  # hmac.compare_digest raises TypeError on non-ASCII text
        f"t={T},v1=\u00e9",
        f"t=\uff11\uff12,v1={'a' * 64}",  # full-width digits: int() accepts them
        f"t={T}\u00a0,v1={'a' * 64}",
    ],
)
def test_non_ascii_signature_header_is_invalid_not_a_type_error(header: str) -> None:
    assert _code({"conduit-signature": header}) == "webhook_signature_invalid"


@pytest.mark.parametrize(
    ("body", "secret", "value"),
    [
        (BODY, "", None),  # empty secret
        (BODY, None, None),  # no secret at all
        (BODY, "whsec_\ud800", None),  # a lone surrogate cannot be UTF-8 encoded
        ("caf\udce9", SECRET, None),
        (12345, SECRET, None),  # not text or bytes
        (BODY, SECRET, [b"t=1,v1=ab"]),  # a header value that is not text
    ],
)
def test_secret_and_body_problems_raise_verification_error(body: object, secret: object, value: object) -> None:
    header = value if value is not None else sign_webhook_payload(BODY, SECRET, timestamp=T)
    assert _code({"conduit-signature": header}, body=body, secret=secret) == "webhook_signature_invalid"  # type: ignore[arg-type]


def test_bytearray_body_verifies_like_bytes() -> None:
    header = sign_webhook_payload(BODY, SECRET, timestamp=T)
    assert hooks().verify_signature(bytearray(BODY), {"conduit-signature": header}, SECRET) is True  # type: ignore[arg-type]
