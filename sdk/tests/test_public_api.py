from __future__ import annotations

import conduit
import pytest
from conduit import AsyncConduit, Conduit, InitializationError

EXPECTED_ALL = {
    "MATCHING_CONTEXT_BEHAVIORAL_COMPATIBILITY",
    "REPORT_TEMPLATE_GENERAL_REPORT",
    "REPORT_TEMPLATE_SALES_PLAYBOOK",
    "ApiError",
    "AsyncConduit",
    "AsyncMatchingJobReceipt",
    "AsyncMatchingRunHandle",
    "AsyncReportJobReceipt",
    "AsyncReportRunHandle",
    "AuthError",
    "BehaviorMap",
    "CancelSignal",
    "Conduit",
    "ConduitError",
    "DeliveryAttempt",
    "Entity",
    "ErrorTelemetry",
    "FileDeleteReceipt",
    "InitializationError",
    "InsufficientCreditsError",
    "InvalidSourceError",
    "Job",
    "JobCanceledError",
    "JobEvent",
    "JobFailedError",
    "ListEntitiesResponse",
    "ListFilesResponse",
    "ListJobsResponse",
    "ListWebhookEventsResponse",
    "Matching",
    "MatchingAnalysisResponse",
    "MatchingContext",
    "MatchingEntityRef",
    "MatchingJobReceipt",
    "MatchingMediaRef",
    "MatchingRunHandle",
    "MatchingSubjectRef",
    "MediaFile",
    "MediaObject",
    "MediaSpeaker",
    "MediaSpeakers",
    "OnMiss",
    "PsychometricsResult",
    "PsychometricsSource",
    "PsychometricsSourceFile",
    "PsychometricsSourcePath",
    "PsychometricsSourceUrl",
    "PsychometricsTargetDominant",
    "PsychometricsTargetMagicHint",
    "PsychometricsTargetSelector",
    "PsychometricsTargetStrategy",
    "RateLimitError",
    "RemoteFetchError",
    "RemoteFetchTimeoutError",
    "RemoteFetchTooLargeError",
    "Report",
    "ReportEvidence",
    "ReportJobReceipt",
    "ReportLanguage",
    "ReportOutput",
    "ReportRunHandle",
    "ReportSource",
    "ReportTemplate",
    "RequestAbortedError",
    "RequestTelemetry",
    "ResponseTelemetry",
    "RetentionLockResult",
    "SDKTimeoutError",
    "SourceError",
    "StreamError",
    "TargetSelector",
    "TargetStrategy",
    "TelemetryHooks",
    "TimeRange",
    "TimeoutError",
    "UnsupportedRuntimeError",
    "ValidationError",
    "WebhookConfig",
    "WebhookEvent",
    "WebhookEventRecord",
    "WebhookVerificationError",
    "sign_webhook_payload",
}


def test_all_is_pinned_and_resolvable() -> None:
    assert set(conduit.__all__) == EXPECTED_ALL
    assert len(conduit.__all__) == len(EXPECTED_ALL)
    for name in conduit.__all__:
        assert getattr(conduit, name) is not None


def test_timeout_error_aliases_and_tree() -> None:
    assert conduit.SDKTimeoutError is conduit.TimeoutError
    assert conduit.TimeoutError("x").code == "timeout"
    assert issubclass(conduit.RemoteFetchTooLargeError, conduit.RemoteFetchError)
    assert issubclass(conduit.RemoteFetchError, conduit.SourceError)
    assert issubclass(conduit.RateLimitError, conduit.ApiError)
    assert conduit.RemoteFetchTooLargeError("x").code == "source_too_large"
    assert conduit.JobCanceledError("job_1", "x").code == "job_canceled"
    assert conduit.StreamError("x").code == "stream_error"
    err = conduit.ConduitError("boom", request_id="req_1")
    assert (err.message, err.code, err.request_id) == ("boom", "conduit_error", "req_1")


def test_missing_key_raises_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CONDUIT_API_KEY", raising=False)
    with pytest.raises(InitializationError) as info:
        Conduit()
    assert info.value.code == "config_error"


@pytest.mark.parametrize("url", ["ftp://host", "not a url", "http://", "/relative"])
def test_bad_base_url_raises_config_error(url: str) -> None:
    with pytest.raises(InitializationError) as info:
        Conduit(api_key="sk_x", base_url=url)
    assert info.value.code == "config_error"


def test_env_fallbacks_and_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONDUIT_API_KEY", "sk_env")
    monkeypatch.delenv("CONDUIT_BASE_URL", raising=False)
    with Conduit() as client:
        assert client.base_url == "http://127.0.0.1:8000"
    monkeypatch.setenv("CONDUIT_BASE_URL", "https://example.test/conduit/")
    with Conduit() as client:
        assert client.base_url == "https://example.test/conduit"


async def test_async_client_context_manager(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONDUIT_API_KEY", "sk_env")
    async with AsyncConduit(base_url="http://h:1") as client:
        assert client.base_url == "http://h:1"
