"""Shared fakes for the SDK tests: a deterministic clock and a scripted MockTransport."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
from conduit import AsyncConduit, Conduit
from conduit._clock import Clock

NOW = 1_790_000_000.0
JOB = {
    "id": "job_1",
    "type": "report.generate",
    "status": "queued",
    "stage": "queued",
    "createdAt": "2026-03-15T10:00:00.000Z",
    "updatedAt": "2026-03-15T10:00:00.000Z",
}
REPORT = {
    "id": "rep_1",
    "createdAt": "2026-03-15T10:02:31.000Z",
    "jobId": "job_1",
    "label": "call-a",
    "entity": {"id": "ent_1", "label": "Dana"},
    "media": {"mediaId": "med_1"},
    "output": {"template": "general_report"},
    "markdown": "# Dana",
    "json": {"schemaVersion": 2},
    "provenance": {"behaviorMapId": "map_1", "baselineSampleIds": ["smp_1"]},
}
UPLOAD = {
    "mediaId": "med_1",
    "createdAt": "2026-03-15T10:00:00.000Z",
    "contentType": "audio/wav",
    "label": "call-a",
    "sizeBytes": 10,
    "durationSeconds": None,
    "source": "SDK",
}


class FakeClock(Clock):
    """Time only moves when the SDK sleeps."""

    def __init__(self, now: float = NOW) -> None:
        self.now = now
        self.mono = 1000.0
        self.sleeps: list[float] = []

    def time(self) -> float:
        return self.now

    def monotonic(self) -> float:
        return self.mono

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        self.mono += seconds

    async def asleep(self, seconds: float) -> None:
        self.sleep(seconds)

    def randbelow(self, upper: int) -> int:
        return 0

    def total_slept(self) -> float:
        return round(sum(self.sleeps), 6)


def json_response(status: int, body: object, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(
        status, content=json.dumps(body).encode(), headers={"content-type": "application/json", **(headers or {})}
    )


Handler = Callable[[httpx.Request], httpx.Response]


class Recorder:
    """Answers requests from a list of responses (or a handler) and records what was sent."""

    def __init__(self, *responses: httpx.Response | Exception | Handler) -> None:
        self.responses = list(responses)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        item = self.responses.pop(0) if len(self.responses) > 1 else self.responses[0]
        if isinstance(item, Exception):
            raise item
        if isinstance(item, httpx.Response):
            return item
        return item(request)


def make_client(recorder: Recorder, clock: FakeClock | None = None, **kwargs: Any) -> Conduit:
    return Conduit(
        api_key="sk_test",
        base_url=kwargs.pop("base_url", "http://conduit.test"),
        http_client=httpx.Client(transport=httpx.MockTransport(recorder)),
        _clock=clock or FakeClock(),
        **kwargs,
    )


def make_async_client(recorder: Recorder, clock: FakeClock | None = None, **kwargs: Any) -> AsyncConduit:
    return AsyncConduit(
        api_key="sk_test",
        base_url="http://conduit.test",
        http_client=httpx.AsyncClient(transport=httpx.MockTransport(recorder)),
        _clock=clock or FakeClock(),
        **kwargs,
    )


def sse(*frames: tuple[str | None, str, object]) -> bytes:
    out = []
    for event_id, event, data in frames:
        lines = [] if event_id is None else [f"id: {event_id}"]
        lines += [f"event: {event}", f"data: {json.dumps(data)}"]
        out.append("\n".join(lines) + "\n\n")
    return "".join(out).encode()


def sse_response(body: bytes) -> httpx.Response:
    return httpx.Response(200, content=body, headers={"content-type": "text/event-stream; charset=utf-8"})
