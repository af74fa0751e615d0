from __future__ import annotations

import threading

import httpx
import pytest
from conduit import ConduitError, JobCanceledError, JobFailedError, RequestAbortedError, StreamError
from conduit import TimeoutError as SDKTimeoutError
from conduit._sse import SSEDecoder
from sdk_testkit import JOB, REPORT, FakeClock, Recorder, json_response, make_client, sse, sse_response

RUNNING = {**JOB, "status": "running", "stage": "scoring", "progress": 0.7}
DONE = {
    **JOB,
    "status": "succeeded",
    "stage": "finalizing",
    "progress": 1,
    "reportId": "rep_1",
    "usage": {"creditsUsed": 0, "creditsNetUsed": 0},
}
FAILED = {**JOB, "status": "failed", "error": {"code": "insufficient_speech", "message": "Too little speech"}}
CANCELED = {**JOB, "status": "canceled"}


def test_sse_decoder_frames_comments_and_multiline_data() -> None:
    decoder = SSEDecoder()
    lines = [": comment", "id: 7", "event: stage", 'data: {"a":', "data: 1}", "", "data: x", ""]
    frames = [f for f in (decoder.feed(line) for line in lines) if f is not None]
    assert [(f.id, f.event, f.data) for f in frames] == [("7", "stage", '{"a":\n1}'), (None, "message", "x")]
    assert decoder.flush() is None


def test_stream_yields_events_skips_heartbeat_and_unknown_and_stops_after_terminal() -> None:
    body = sse(
        ("1", "status", {"status": "queued", "job": JOB}),
        ("1", "heartbeat", {"timestamp": "2026-03-15T10:00:15.000Z"}),
        ("2", "mystery", {"x": 1}),
        ("3", "stage", {"stage": "scoring", "progress": 0.7, "job": RUNNING}),
        ("9", "terminal", {"status": "succeeded", "reportId": "rep_1", "job": DONE}),
        ("10", "stage", {"stage": "never", "job": RUNNING}),
    )
    rec = Recorder(sse_response(body))
    seen: list[str] = []
    events = list(make_client(rec).primitives.jobs.stream("job_1", on_event=lambda e: seen.append(e.type)))
    assert [e.type for e in events] == ["status", "stage", "terminal"] == seen
    assert events[1].stage == "scoring" and events[1].progress == 0.7
    assert rec.requests[0].url.params["timeout"] == "300000"
    assert "Last-Event-ID" not in rec.requests[0].headers


def test_reconnects_with_last_event_id_after_disconnect_and_5xx() -> None:
    clock = FakeClock()
    rec = Recorder(
        sse_response(sse(("4", "stage", {"stage": "scoring", "job": RUNNING}))),
        json_response(503, {"error": {"code": "unavailable", "message": "x"}}),
        sse_response(sse(("9", "terminal", {"status": "succeeded", "job": DONE}))),
    )
    job = make_client(rec, clock).primitives.jobs.wait("job_1", timeout_ms=60000)
    assert job.status == "succeeded"
    assert [r.headers.get("Last-Event-ID") for r in rec.requests] == [None, "4", "4"]
    assert clock.total_slept() == 3.0  # 1 s after the close, 2 s after the 503
    assert int(rec.requests[1].url.params["timeout"]) == 59000


def test_gives_up_after_five_consecutive_retries_with_stream_error() -> None:
    rec = Recorder(httpx.ConnectError("down"))
    with pytest.raises(StreamError) as info:
        list(make_client(rec).primitives.jobs.stream("job_1", timeout_ms=None))
    assert info.value.code == "stream_error" and info.value.retry_count == 5
    assert info.value.__cause__ is not None and len(rec.requests) == 6


def test_non_retryable_status_is_wrapped_in_stream_error() -> None:
    rec = Recorder(json_response(401, {"error": {"code": "unauthorized", "message": "x"}}))
    with pytest.raises(StreamError) as info:
        list(make_client(rec).primitives.jobs.stream("job_1"))
    assert getattr(info.value.__cause__, "code", None) == "unauthorized" and len(rec.requests) == 1


def test_error_event_raises_with_its_code() -> None:
    rec = Recorder(sse_response(sse((None, "error", {"code": "not_found", "message": "Job not found"}))))
    with pytest.raises(ConduitError) as info:
        make_client(rec).primitives.jobs.wait("job_x")
    assert info.value.code == "not_found" and info.value.message == "Job not found"


def test_wait_failed_and_canceled_outcomes() -> None:
    rec = Recorder(sse_response(sse(("9", "terminal", {"status": "failed", "job": FAILED}))))
    with pytest.raises(JobFailedError) as failed:
        make_client(rec).primitives.jobs.wait("job_1")
    assert failed.value.code == "insufficient_speech" and failed.value.job_id == "job_1"
    rec = Recorder(sse_response(sse(("9", "terminal", {"status": "canceled", "job": CANCELED}))))
    with pytest.raises(JobCanceledError) as canceled:
        make_client(rec).primitives.jobs.wait("job_1")
    assert canceled.value.code == "job_canceled"


def test_wait_deadline_raises_timeout() -> None:
    clock = FakeClock()
    rec = Recorder(sse_response(sse(("1", "status", {"status": "queued", "job": JOB}))))
    with pytest.raises(SDKTimeoutError) as info:
        make_client(rec, clock).primitives.jobs.wait("job_1", timeout_ms=2500)
    assert info.value.code == "timeout"
    assert clock.total_slept() <= 2.5


def test_signal_aborts_stream() -> None:
    signal = threading.Event()
    signal.set()
    with pytest.raises(RequestAbortedError):
        list(make_client(Recorder(sse_response(b""))).primitives.jobs.stream("job_1", signal=signal))


def test_handle_wait_fetches_report() -> None:
    def route(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/reports/jobs":
            return json_response(200, {"jobId": "job_1", "status": "queued", "stage": "queued", "estimatedWaitSec": 9})
        if request.url.path.endswith("/stream"):
            return sse_response(sse(("9", "terminal", {"status": "succeeded", "job": DONE})))
        return json_response(200, REPORT)

    rec = Recorder(route)
    receipt = make_client(rec).reports.create(
        source={"media_id": "med_1"}, output={"template": "general_report"}, target={"strategy": "dominant"}
    )
    assert (receipt.job_id, receipt.media_id, receipt.estimated_wait_sec) == ("job_1", "med_1", 9.0)
    report = receipt.handle.wait()
    assert report.id == "rep_1" and rec.requests[-1].url.path == "/v1/reports/rep_1"


def test_handle_wait_without_report_id_is_invalid_response() -> None:
    no_id = {**DONE}
    del no_id["reportId"]
    rec = Recorder(sse_response(sse(("9", "terminal", {"status": "succeeded", "job": no_id}))))
    from conduit import ReportRunHandle

    client = make_client(rec)
    handle = ReportRunHandle("job_1", client.primitives.jobs, client.reports)
    with pytest.raises(ConduitError) as info:
        handle.wait()
    assert info.value.code == "invalid_response"
