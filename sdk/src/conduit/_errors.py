"""Exceptions raised by the Conduit SDK.

The tree (default ``code`` in brackets)::

    ConduitError [conduit_error]
     +-- InitializationError [config_error]
     +-- UnsupportedRuntimeError [unsupported_runtime]
     +-- WebhookVerificationError [webhook_signature_missing|_stale|_invalid]
     +-- SourceError(url, status) [source_error]
     |    +-- InvalidSourceError [invalid_source | source_too_large]
     |    +-- RemoteFetchError [remote_fetch_failed | remote_fetch_redirects_exhausted]
     |         +-- RemoteFetchTimeoutError [remote_fetch_timeout]
     |         +-- RemoteFetchTooLargeError [source_too_large]
     +-- ApiError(status, details) [api_error, else the body's code]
     |    +-- AuthError (401/403)
     |    +-- ValidationError (422)
     |    +-- RateLimitError(retry_after_ms) [rate_limited] (429)
     |    +-- InsufficientCreditsError(required, available) [insufficient_credits] (402)
     +-- JobFailedError(job_id) [the job's error code, else job_failed]
     +-- JobCanceledError(job_id) [job_canceled]
     +-- TimeoutError [timeout]   (also exported as SDKTimeoutError)
     +-- RequestAbortedError [request_aborted]
     +-- StreamError(job_id, last_event_id, retry_count) [stream_error]

Plain ``ConduitError`` codes: ``invalid_request``, ``invalid_response``,
``invalid_webhook_payload``, ``transport_error``.
"""

from __future__ import annotations

from dataclasses import dataclass


class ConduitError(Exception):
    """Base class of every SDK error; carries ``message``, ``code`` and ``request_id``."""

    default_code = "conduit_error"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        request_id: str | None = None,
        cause: BaseException | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.request_id = request_id
        if cause is not None:
            self.__cause__ = cause

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, code={self.code!r}, request_id={self.request_id!r})"


class InitializationError(ConduitError):
    """The client is configured incorrectly (missing key, bad base URL)."""

    default_code = "config_error"


class UnsupportedRuntimeError(ConduitError):
    """A runtime capability the SDK needs is unavailable."""

    default_code = "unsupported_runtime"


class WebhookVerificationError(ConduitError):
    """A webhook signature is missing, stale or invalid."""

    default_code = "webhook_signature_invalid"


class SourceError(ConduitError):
    """Base error for source materialisation and upload failures."""

    default_code = "source_error"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        request_id: str | None = None,
        cause: BaseException | None = None,
        url: str | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(message, code=code, request_id=request_id, cause=cause)
        self.url = url
        self.status = status


class InvalidSourceError(SourceError):
    """The source is invalid before any network call."""

    default_code = "invalid_source"


class RemoteFetchError(SourceError):
    """Downloading a URL source failed."""

    default_code = "remote_fetch_failed"


class RemoteFetchTimeoutError(RemoteFetchError):
    """Downloading a URL source timed out."""

    default_code = "remote_fetch_timeout"


class RemoteFetchTooLargeError(RemoteFetchError):
    """A URL source exceeds ``max_source_bytes``."""

    default_code = "source_too_large"


class ApiError(ConduitError):
    """The API answered with a non-2xx status."""

    default_code = "api_error"

    def __init__(
        self,
        message: str,
        *,
        status: int,
        code: str | None = None,
        request_id: str | None = None,
        details: object | None = None,
        cause: BaseException | None = None,
    ) -> None:
        super().__init__(message, code=code, request_id=request_id, cause=cause)
        self.status = status
        self.details = details


class AuthError(ApiError):
    """401 or 403."""


class ValidationError(ApiError):
    """422."""


class RateLimitError(ApiError):
    """429; ``retry_after_ms`` comes from the ``Retry-After`` header."""

    default_code = "rate_limited"

    def __init__(
        self,
        message: str,
        *,
        status: int,
        code: str | None = None,
        request_id: str | None = None,
        details: object | None = None,
        cause: BaseException | None = None,
        retry_after_ms: int | None = None,
    ) -> None:
        super().__init__(message, status=status, code=code, request_id=request_id, details=details, cause=cause)
        self.retry_after_ms = retry_after_ms


class InsufficientCreditsError(ApiError):
    """402 (hosted service only; our server never sends it)."""

    default_code = "insufficient_credits"

    def __init__(
        self,
        message: str,
        *,
        status: int,
        code: str | None = None,
        request_id: str | None = None,
        details: object | None = None,
        cause: BaseException | None = None,
        required: int = 0,
        available: int = 0,
    ) -> None:
        super().__init__(message, status=status, code=code, request_id=request_id, details=details, cause=cause)
        self.required = required
        self.available = available


class JobFailedError(ConduitError):
    """A waited-on job ended ``failed``; ``code`` is the job's error code."""

    default_code = "job_failed"

    def __init__(
        self,
        job_id: str,
        message: str,
        *,
        code: str | None = None,
        request_id: str | None = None,
        cause: BaseException | None = None,
    ) -> None:
        super().__init__(message, code=code, request_id=request_id, cause=cause)
        self.job_id = job_id


class JobCanceledError(ConduitError):
    """A waited-on job ended ``canceled``."""

    default_code = "job_canceled"

    def __init__(
        self,
        job_id: str,
        message: str,
        *,
        code: str | None = None,
        request_id: str | None = None,
        cause: BaseException | None = None,
    ) -> None:
        super().__init__(message, code=code, request_id=request_id, cause=cause)
        self.job_id = job_id


class TimeoutError(ConduitError):  # noqa: A001 - public name mandated by the official SDK
    """A request or an SDK deadline (``wait``/``stream``) expired."""

    default_code = "timeout"


class RequestAbortedError(ConduitError):
    """The caller's ``signal`` was set."""

    default_code = "request_aborted"


@dataclass(slots=True)
class StreamContext:
    """Debug metadata for stream failures."""

    job_id: str | None = None
    last_event_id: str | None = None
    retry_count: int = 0


class StreamError(ConduitError):
    """Streaming job events failed (after reconnect attempts)."""

    default_code = "stream_error"

    def __init__(
        self,
        message: str,
        *,
        job_id: str | None = None,
        last_event_id: str | None = None,
        retry_count: int = 0,
        request_id: str | None = None,
        cause: BaseException | None = None,
    ) -> None:
        super().__init__(message, code="stream_error", request_id=request_id, cause=cause)
        self.job_id = job_id
        self.last_event_id = last_event_id
        self.retry_count = retry_count
        self.stream_context = StreamContext(job_id=job_id, last_event_id=last_event_id, retry_count=retry_count)


SDKTimeoutError = TimeoutError
