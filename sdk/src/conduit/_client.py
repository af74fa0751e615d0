"""``Conduit`` (blocking) and ``AsyncConduit`` clients."""

from __future__ import annotations

import os
from typing import Self
from urllib.parse import urlparse

import httpx

from ._clock import SYSTEM_CLOCK, Clock
from ._errors import InitializationError
from ._sources import DEFAULT_MAX_SOURCE_BYTES, AsyncSourceLoader, SourceLoader
from ._transport import AsyncTransport, SyncTransport
from .resources.entities import AsyncEntities, Entities
from .resources.jobs import AsyncJobs, Jobs
from .resources.matching import AsyncMatchingResource, MatchingResource
from .resources.media import AsyncMedia, Media
from .resources.primitives import AsyncPrimitives, Primitives
from .resources.psychometrics import AsyncPsychometrics, Psychometrics
from .resources.reports import AsyncReports, Reports
from .resources.webhook_events import AsyncWebhookEvents, WebhookEvents
from .resources.webhooks import Webhooks
from .types import TelemetryHooks

DEFAULT_BASE_URL = "http://127.0.0.1:8000"
DEFAULT_TIMEOUT_MS = 300000


def _resolve_config(api_key: str | None, base_url: str | None) -> tuple[str, str]:
    """Explicit arguments, else ``CONDUIT_API_KEY`` / ``CONDUIT_BASE_URL``, else the local server."""
    key = api_key or os.environ.get("CONDUIT_API_KEY")
    if not key:
        raise InitializationError("api_key is required (or set CONDUIT_API_KEY)")
    url = base_url or os.environ.get("CONDUIT_BASE_URL") or DEFAULT_BASE_URL
    parsed = urlparse(url)
    if parsed.scheme not in {"http", "https"} or not parsed.hostname:
        raise InitializationError("base_url must be an http(s) URL with a host")
    return key, url.rstrip("/")


class Conduit:
    """Blocking client. ``Conduit(api_key=..., base_url=...)``; use as a context manager or call ``close()``."""

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout_ms: int = DEFAULT_TIMEOUT_MS,
        max_retries: int = 2,
        max_source_bytes: int = DEFAULT_MAX_SOURCE_BYTES,
        user_agent: str | None = None,
        http_client: httpx.Client | None = None,
        telemetry: TelemetryHooks | None = None,
        _clock: Clock | None = None,
        _fetch_transport: httpx.BaseTransport | None = None,
    ) -> None:
        key, url = _resolve_config(api_key, base_url)
        clock = _clock or SYSTEM_CLOCK
        self._transport = SyncTransport(
            api_key=key,
            base_url=url,
            timeout_ms=timeout_ms,
            max_retries=max_retries,
            user_agent=user_agent,
            telemetry=telemetry,
            clock=clock,
            http_client=http_client,
        )
        sources = SourceLoader(
            max_source_bytes=max_source_bytes, timeout_ms=timeout_ms, fetch_transport=_fetch_transport
        )
        jobs = Jobs(self._transport)
        media = Media(self._transport, sources)
        self.reports = Reports(self._transport, jobs, media)
        self.matching = MatchingResource(self._transport, jobs)
        self.psychometrics = Psychometrics(self._transport, sources)
        self.webhooks = Webhooks(clock)
        self.primitives = Primitives(
            entities=Entities(self._transport), media=media, jobs=jobs, webhook_events=WebhookEvents(self._transport)
        )

    @property
    def base_url(self) -> str:
        return self._transport.base_url

    def close(self) -> None:
        """Close the HTTP client if the SDK created it."""
        self._transport.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


class AsyncConduit:
    """Asyncio client with the same surface as ``Conduit`` (webhook helpers stay synchronous)."""

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout_ms: int = DEFAULT_TIMEOUT_MS,
        max_retries: int = 2,
        max_source_bytes: int = DEFAULT_MAX_SOURCE_BYTES,
        user_agent: str | None = None,
        http_client: httpx.AsyncClient | None = None,
        telemetry: TelemetryHooks | None = None,
        _clock: Clock | None = None,
        _fetch_transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        key, url = _resolve_config(api_key, base_url)
        clock = _clock or SYSTEM_CLOCK
        self._transport = AsyncTransport(
            api_key=key,
            base_url=url,
            timeout_ms=timeout_ms,
            max_retries=max_retries,
            user_agent=user_agent,
            telemetry=telemetry,
            clock=clock,
            http_client=http_client,
        )
        sources = AsyncSourceLoader(
            max_source_bytes=max_source_bytes, timeout_ms=timeout_ms, fetch_transport=_fetch_transport
        )
        jobs = AsyncJobs(self._transport)
        media = AsyncMedia(self._transport, sources)
        self.reports = AsyncReports(self._transport, jobs, media)
        self.matching = AsyncMatchingResource(self._transport, jobs)
        self.psychometrics = AsyncPsychometrics(self._transport, sources)
        self.webhooks = Webhooks(clock)
        self.primitives = AsyncPrimitives(
            entities=AsyncEntities(self._transport),
            media=media,
            jobs=jobs,
            webhook_events=AsyncWebhookEvents(self._transport),
        )

    @property
    def base_url(self) -> str:
        return self._transport.base_url

    async def aclose(self) -> None:
        """Close the HTTP client if the SDK created it."""
        await self._transport.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.aclose()
