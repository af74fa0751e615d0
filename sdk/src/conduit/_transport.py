"""Authenticated HTTP transport: headers, retries with backoff, telemetry and error mapping.

``SyncTransport`` wraps ``httpx.Client`` and ``AsyncTransport`` wraps ``httpx.AsyncClient``; both share
``_TransportCore`` for everything that does not do I/O.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode
from uuid import uuid4

import httpx

from ._clock import Clock
from ._errors import ConduitError, RequestAbortedError
from ._retry import api_error, read_response_data, retry_delay_ms, should_retry, transport_failure
from .types import CancelSignal, ErrorTelemetry, RequestTelemetry, ResponseTelemetry, TelemetryHooks

STREAM_READ_GRACE_MS = 5000


def new_request_id() -> str:
    return f"req_{uuid4().hex}"


@dataclass(slots=True)
class TransportResponse:
    """A decoded 2xx response."""

    data: object
    status: int
    request_id: str | None
    headers: httpx.Headers


@dataclass(slots=True)
class RequestSpec:
    """Everything needed to (re)send one API call."""

    method: str
    path: str
    json_body: object | None = None
    data: Mapping[str, str] | None = None
    files: Mapping[str, Any] | None = None
    query: Mapping[str, str] | None = None
    request_id: str | None = None
    idempotency_key: str | None = None
    retryable: bool = True
    timeout_ms: float | None = None


def check_signal(signal: CancelSignal | None, request_id: str | None = None) -> None:
    if signal is not None and signal.is_set():
        raise RequestAbortedError("Request aborted by caller", request_id=request_id)


class _TransportCore:
    def __init__(
        self,
        *,
        api_key: str,
        base_url: str,
        timeout_ms: float,
        max_retries: int,
        user_agent: str | None,
        telemetry: TelemetryHooks | None,
        clock: Clock,
    ) -> None:
        self._api_key = api_key
        self._base_url = base_url.rstrip("/")
        self.timeout_ms = timeout_ms
        self.max_retries = max(0, max_retries)
        self._user_agent = user_agent
        self._telemetry = telemetry
        self.clock = clock

    @property
    def base_url(self) -> str:
        return self._base_url

    def url(self, path: str) -> str:
        return f"{self._base_url}/{path.lstrip('/')}"

    def display_url(self, path: str, query: Mapping[str, str] | None) -> str:
        url = self.url(path)
        return f"{url}?{urlencode(query)}" if query else url

    def headers(
        self, request_id: str, idempotency_key: str | None = None, last_event_id: str | None = None
    ) -> dict[str, str]:
        values = {"Mappa-Api-Key": self._api_key, "X-Request-Id": request_id}
        if self._user_agent:
            values["User-Agent"] = self._user_agent
        if idempotency_key:
            values["Idempotency-Key"] = idempotency_key
        if last_event_id:
            values["Last-Event-ID"] = last_event_id
        return values

    def attempts(self, spec: RequestSpec) -> int:
        return self.max_retries + 1 if spec.retryable else 1

    def timeout_s(self, spec: RequestSpec) -> float:
        return (spec.timeout_ms or self.timeout_ms) / 1000

    def delay_s(self, error: BaseException, attempt: int) -> float:
        # A server-sent Retry-After is honoured but never beyond the request timeout (every wait has a deadline).
        return min(retry_delay_ms(error, attempt, self.clock.randbelow), self.timeout_ms) / 1000

    def on_request(self, method: str, request_id: str, url: str) -> None:
        if self._telemetry is not None and self._telemetry.on_request is not None:
            self._telemetry.on_request(RequestTelemetry(method=method, request_id=request_id, url=url))

    def on_response(self, method: str, request_id: str, url: str, started: float, status: int) -> None:
        if self._telemetry is not None and self._telemetry.on_response is not None:
            self._telemetry.on_response(
                ResponseTelemetry(
                    duration_ms=(self.clock.monotonic() - started) * 1000,
                    method=method,
                    request_id=request_id,
                    status=status,
                    url=url,
                )
            )

    def on_error(self, method: str, request_id: str, url: str, started: float, error: BaseException) -> None:
        if self._telemetry is not None and self._telemetry.on_error is not None:
            self._telemetry.on_error(
                ErrorTelemetry(
                    duration_ms=(self.clock.monotonic() - started) * 1000,
                    error=error,
                    method=method,
                    request_id=request_id,
                    url=url,
                )
            )

    def build(self, client: httpx.Client | httpx.AsyncClient, spec: RequestSpec, request_id: str) -> httpx.Request:
        return client.build_request(
            spec.method,
            self.url(spec.path),
            params=spec.query,
            json=spec.json_body,
            data=spec.data,
            files=spec.files,
            headers=self.headers(request_id, spec.idempotency_key),
            timeout=self.timeout_s(spec),
        )

    def outcome(
        self, response: httpx.Response, request_id: str, spec: RequestSpec, url: str, started: float
    ) -> TransportResponse | ConduitError:
        server_request_id = response.headers.get("x-request-id", request_id)
        self.on_response(spec.method, server_request_id, url, started, response.status_code)
        if response.is_success:
            return TransportResponse(
                data=read_response_data(response, server_request_id),
                status=response.status_code,
                request_id=server_request_id,
                headers=response.headers,
            )
        error = api_error(response, server_request_id, self.clock.time())
        self.on_error(spec.method, server_request_id, url, started, error)
        return error


class SyncTransport(_TransportCore):
    """Blocking transport on ``httpx.Client``."""

    def __init__(self, *, http_client: httpx.Client | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._owns_client = http_client is None
        self._client = http_client or httpx.Client(follow_redirects=False, timeout=self.timeout_ms / 1000)

    def close(self) -> None:
        if self._owns_client:
            self._client.close()

    def request(self, spec: RequestSpec) -> TransportResponse:
        """Send ``spec``, retrying per policy with one request id for all attempts."""
        request_id = spec.request_id or new_request_id()
        attempts = self.attempts(spec)
        url = self.display_url(spec.path, spec.query)
        for attempt in range(1, attempts + 1):
            started = self.clock.monotonic()
            self.on_request(spec.method, request_id, url)
            try:
                response = self._client.send(self.build(self._client, spec, request_id))
            except httpx.HTTPError as exc:
                error = transport_failure(exc, request_id, self.timeout_s(spec) * 1000)
                self.on_error(spec.method, request_id, url, started, error)
                failure: TransportResponse | ConduitError = error
            else:
                failure = self.outcome(response, request_id, spec, url, started)
            if isinstance(failure, TransportResponse):
                return failure
            if attempt < attempts and should_retry(failure):
                self.clock.sleep(self.delay_s(failure, attempt))
                continue
            raise failure
        raise ConduitError("Unexpected transport exit", code="transport_error", request_id=request_id)

    @contextmanager
    def open_stream(
        self, path: str, *, query: Mapping[str, str], request_id: str, last_event_id: str | None, timeout_ms: float
    ) -> Iterator[httpx.Response]:
        """Open a GET stream; non-2xx raises the mapped ApiError, httpx failures the mapped ConduitError."""
        url = self.display_url(path, query)
        started = self.clock.monotonic()
        self.on_request("GET", request_id, url)
        request = self._client.build_request(
            "GET",
            self.url(path),
            params=query,
            headers=self.headers(request_id, None, last_event_id),
            timeout=timeout_ms / 1000,
        )
        try:
            response = self._client.send(request, stream=True)
        except httpx.HTTPError as exc:
            error = transport_failure(exc, request_id, timeout_ms)
            self.on_error("GET", request_id, url, started, error)
            raise error from exc
        try:
            server_request_id = response.headers.get("x-request-id", request_id)
            self.on_response("GET", server_request_id, url, started, response.status_code)
            if not response.is_success:
                response.read()
                api_failure = api_error(response, server_request_id, self.clock.time())
                self.on_error("GET", server_request_id, url, started, api_failure)
                raise api_failure
            yield response
        except httpx.HTTPError as exc:
            error = transport_failure(exc, request_id, timeout_ms)
            self.on_error("GET", request_id, url, started, error)
            raise error from exc
        finally:
            response.close()


class AsyncTransport(_TransportCore):
    """Asynchronous transport on ``httpx.AsyncClient``."""

    def __init__(self, *, http_client: httpx.AsyncClient | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._owns_client = http_client is None
        self._client = http_client or httpx.AsyncClient(follow_redirects=False, timeout=self.timeout_ms / 1000)

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    async def request(self, spec: RequestSpec) -> TransportResponse:
        """Send ``spec``, retrying per policy with one request id for all attempts."""
        request_id = spec.request_id or new_request_id()
        attempts = self.attempts(spec)
        url = self.display_url(spec.path, spec.query)
        for attempt in range(1, attempts + 1):
            started = self.clock.monotonic()
            self.on_request(spec.method, request_id, url)
            try:
                response = await self._client.send(self.build(self._client, spec, request_id))
            except httpx.HTTPError as exc:
                error = transport_failure(exc, request_id, self.timeout_s(spec) * 1000)
                self.on_error(spec.method, request_id, url, started, error)
                failure: TransportResponse | ConduitError = error
            else:
                failure = self.outcome(response, request_id, spec, url, started)
            if isinstance(failure, TransportResponse):
                return failure
            if attempt < attempts and should_retry(failure):
                await self.clock.asleep(self.delay_s(failure, attempt))
                continue
            raise failure
        raise ConduitError("Unexpected transport exit", code="transport_error", request_id=request_id)

    @asynccontextmanager
    async def open_stream(
        self, path: str, *, query: Mapping[str, str], request_id: str, last_event_id: str | None, timeout_ms: float
    ) -> AsyncIterator[httpx.Response]:
        """Async twin of ``SyncTransport.open_stream``."""
        url = self.display_url(path, query)
        started = self.clock.monotonic()
        self.on_request("GET", request_id, url)
        request = self._client.build_request(
            "GET",
            self.url(path),
            params=query,
            headers=self.headers(request_id, None, last_event_id),
            timeout=timeout_ms / 1000,
        )
        try:
            response = await self._client.send(request, stream=True)
        except httpx.HTTPError as exc:
            error = transport_failure(exc, request_id, timeout_ms)
            self.on_error("GET", request_id, url, started, error)
            raise error from exc
        try:
            server_request_id = response.headers.get("x-request-id", request_id)
            self.on_response("GET", server_request_id, url, started, response.status_code)
            if not response.is_success:
                await response.aread()
                api_failure = api_error(response, server_request_id, self.clock.time())
                self.on_error("GET", server_request_id, url, started, api_failure)
                raise api_failure
            yield response
        except httpx.HTTPError as exc:
            error = transport_failure(exc, request_id, timeout_ms)
            self.on_error("GET", request_id, url, started, error)
            raise error from exc
        finally:
            await response.aclose()
