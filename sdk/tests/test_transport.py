from __future__ import annotations

import re
from datetime import UTC, datetime
from email.utils import format_datetime

import httpx
import pytest
from conduit import ApiError, AuthError, ConduitError, RateLimitError, TelemetryHooks, ValidationError
from conduit import TimeoutError as SDKTimeoutError
from sdk_testkit import JOB, NOW, FakeClock, Recorder, json_response, make_client


def test_headers_key_request_id_idempotency_and_user_agent() -> None:
    rec = Recorder(json_response(200, JOB))
    client = make_client(rec, user_agent="my-app/1.0")
    client.primitives.jobs.cancel("job_1", idempotency_key="idem-1")
    request = rec.requests[0]
    assert request.headers["Mappa-Api-Key"] == "sk_test"
    assert re.fullmatch(r"req_[0-9a-f]{32}", request.headers["X-Request-Id"])
    assert request.headers["Idempotency-Key"] == "idem-1"
    assert request.headers["User-Agent"] == "my-app/1.0"
    assert str(request.url) == "http://conduit.test/v1/jobs/job_1/cancel"


def test_no_idempotency_header_unless_given_and_caller_request_id_used() -> None:
    rec = Recorder(json_response(200, JOB))
    make_client(rec).primitives.jobs.get("job_1", request_id="req_mine")
    assert "Idempotency-Key" not in rec.requests[0].headers
    assert rec.requests[0].headers["X-Request-Id"] == "req_mine"


def test_base_url_path_prefix_and_segment_encoding() -> None:
    rec = Recorder(json_response(200, JOB))
    make_client(rec, base_url="http://conduit.test/prefix/").primitives.jobs.get("job/1 x")
    assert rec.requests[0].url.raw_path == b"/prefix/v1/jobs/job%2F1%20x"


def test_request_id_reused_across_retries_with_backoff() -> None:
    clock = FakeClock()
    rec = Recorder(json_response(503, {"error": {"code": "unavailable", "message": "busy"}}), json_response(200, JOB))
    rec.responses = [rec.responses[0], rec.responses[0], json_response(200, JOB)]
    job = make_client(rec, clock).primitives.jobs.get("job_1")
    assert job.id == "job_1"
    ids = {r.headers["X-Request-Id"] for r in rec.requests}
    assert len(rec.requests) == 3 and len(ids) == 1
    assert clock.sleeps == [1.0, 2.0]  # min(500 * 2**attempt, 4000) ms, jitter 0


def test_jitter_is_below_half_the_base() -> None:
    from conduit._retry import backoff_ms

    assert backoff_ms(1, lambda upper: upper - 1) == 1000 + 499
    assert backoff_ms(5, lambda upper: upper - 1) == 4000 + 1999
    assert backoff_ms(3, lambda upper: 0) == 4000


def test_429_retry_after_seconds() -> None:
    clock = FakeClock()
    limited = json_response(
        429, {"error": {"code": "rate_limited", "message": "slow", "retryAfter": 7}}, {"retry-after": "7"}
    )
    rec = Recorder(limited, json_response(200, JOB))
    make_client(rec, clock).primitives.jobs.get("job_1")
    assert clock.sleeps == [7.0]


def test_429_retry_after_http_date() -> None:
    clock = FakeClock()
    when = format_datetime(datetime.fromtimestamp(NOW + 12, tz=UTC), usegmt=True)
    rec = Recorder(
        json_response(429, {"error": {"code": "rate_limited", "message": "m"}}, {"retry-after": when}),
        json_response(200, JOB),
    )
    make_client(rec, clock).primitives.jobs.get("job_1")
    assert clock.sleeps == [12.0]


def test_429_exhausted_raises_rate_limit_error() -> None:
    rec = Recorder(json_response(429, {"error": {"code": "rate_limited", "message": "m"}}, {"retry-after": "1"}))
    with pytest.raises(RateLimitError) as info:
        make_client(rec).primitives.jobs.get("job_1")
    assert info.value.retry_after_ms == 1000 and info.value.code == "rate_limited"
    assert len(rec.requests) == 3


def test_transport_errors_are_retried_then_mapped() -> None:
    rec = Recorder(httpx.ConnectError("refused"))
    with pytest.raises(ConduitError) as info:
        make_client(rec).primitives.jobs.get("job_1")
    assert info.value.code == "transport_error"
    assert isinstance(info.value.__cause__, httpx.ConnectError)
    assert len(rec.requests) == 3


def test_timeouts_are_retried_then_timeout_error() -> None:
    rec = Recorder(httpx.ReadTimeout("slow"), json_response(200, JOB))
    assert make_client(rec).primitives.jobs.get("job_1").id == "job_1"
    rec = Recorder(httpx.ReadTimeout("slow"))
    with pytest.raises(SDKTimeoutError) as info:
        make_client(rec, max_retries=1).primitives.jobs.get("job_1")
    assert info.value.code == "timeout" and len(rec.requests) == 2


@pytest.mark.parametrize(
    ("status", "body", "cls", "code"),
    [
        (401, {"error": {"code": "unauthorized", "message": "bad key"}}, AuthError, "unauthorized"),
        (403, {"error": {"code": "forbidden", "message": "off"}}, AuthError, "forbidden"),
        (
            422,
            {"error": {"code": "unknown_media", "message": "nope", "details": {"x": 1}}},
            ValidationError,
            "unknown_media",
        ),
        (404, {"error": {"code": "not_found", "message": "Job not found"}}, ApiError, "not_found"),
        (
            410,
            {"deletedAt": "2026-03-15T10:00:00.000Z", "error": "gone", "code": "gone", "message": "File was deleted"},
            ApiError,
            "gone",
        ),
        (400, {"unexpected": True}, ApiError, "api_error"),
    ],
)
def test_error_mapping_without_retry_on_4xx(status: int, body: object, cls: type[ApiError], code: str) -> None:
    rec = Recorder(json_response(status, body, {"x-request-id": "req_server"}))
    with pytest.raises(cls) as info:
        make_client(rec).primitives.media.get("med_1")
    assert type(info.value) is cls
    assert info.value.code == code and info.value.status == status
    assert info.value.request_id == "req_server"
    assert len(rec.requests) == 1


def test_validation_error_carries_message_and_details() -> None:
    body = {"error": {"code": "validation_error", "message": "target.hint is required", "details": {"issues": []}}}
    rec = Recorder(json_response(422, body))
    with pytest.raises(ValidationError) as info:
        make_client(rec).primitives.jobs.get("job_1")
    assert info.value.message == "target.hint is required" and info.value.details == {"issues": []}


def test_non_json_success_is_not_decoded_and_non_json_error_has_defaults() -> None:
    rec = Recorder(httpx.Response(200, content=b'{"id": 1}', headers={"content-type": "text/plain"}))
    with pytest.raises(ConduitError) as info:
        make_client(rec).primitives.jobs.get("job_1")
    assert info.value.code == "invalid_response"
    rec = Recorder(httpx.Response(502, content=b"", headers={"content-type": "text/html"}))
    with pytest.raises(ApiError) as api:
        make_client(rec, max_retries=0).primitives.jobs.get("job_1")
    assert (api.value.code, api.value.message, api.value.status) == ("api_error", "Request failed", 502)


def test_psychometrics_create_is_not_retried() -> None:
    rec = Recorder(json_response(503, {"error": {"code": "unavailable", "message": "busy"}}))
    with pytest.raises(ApiError):
        make_client(rec).psychometrics.create(source={"file": b"RIFF"}, target={"strategy": "dominant"})
    assert len(rec.requests) == 1


def test_max_retries_zero_sends_once() -> None:
    rec = Recorder(json_response(500, {"error": {"code": "internal", "message": "x"}}))
    with pytest.raises(ApiError):
        make_client(rec, max_retries=0).primitives.jobs.get("job_1")
    assert len(rec.requests) == 1


def test_telemetry_hooks_see_each_attempt() -> None:
    seen: list[tuple[str, object]] = []
    hooks = TelemetryHooks(
        on_request=lambda t: seen.append(("request", t.method)),
        on_response=lambda t: seen.append(("response", t.status)),
        on_error=lambda t: seen.append(("error", type(t.error).__name__)),
    )
    rec = Recorder(json_response(500, {"error": {"code": "internal", "message": "x"}}), json_response(200, JOB))
    make_client(rec, telemetry=hooks).primitives.jobs.get("job_1")
    assert seen == [("request", "GET"), ("response", 500), ("error", "ApiError"), ("request", "GET"), ("response", 200)]
