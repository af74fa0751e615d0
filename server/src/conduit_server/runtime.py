"""The services one process holds, built once from Settings at the edge and passed down explicitly."""

from __future__ import annotations

import asyncio
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from conduit_server.domain.clock import Clock, utcnow
from conduit_server.limits.quotas import ConcurrencySlots
from conduit_server.limits.ratelimit import RateLimiter
from conduit_server.settings import Settings
from conduit_server.store.blobs import BlobStore
from conduit_server.store.scratch import Scratch


class JobEventHub:
    """Wakes SSE streams in this process when a job event was written. Streams also poll the database with a
    bound, so events written by other processes (workers, replicas) arrive too."""

    def __init__(self) -> None:
        self._waiters: dict[str, set[asyncio.Event]] = defaultdict(set)

    def subscribe(self, job_id: str) -> asyncio.Event:
        event = asyncio.Event()
        self._waiters[job_id].add(event)
        return event

    def unsubscribe(self, job_id: str, event: asyncio.Event) -> None:
        waiters = self._waiters.get(job_id)
        if waiters is not None:
            waiters.discard(event)
            if not waiters:
                self._waiters.pop(job_id, None)

    def publish(self, *job_ids: str) -> None:
        for job_id in job_ids:
            for event in list(self._waiters.get(job_id, ())):
                event.set()


@dataclass
class Runtime:
    settings: Settings
    engine: AsyncEngine
    blobs: BlobStore
    database_url: str
    clock: Clock = utcnow
    rate_limiter: RateLimiter = field(default_factory=lambda: RateLimiter(600))
    slots: ConcurrencySlots = field(default_factory=ConcurrencySlots)  # per-key uploads / streams in flight
    auth_failures: RateLimiter = field(init=False)  # failed authentications per client address
    scratch: Scratch = field(init=False)  # this process's temp-file folder under data_dir/tmp
    events: JobEventHub = field(default_factory=JobEventHub)
    _pipeline: Any = None
    _pipeline_lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.auth_failures = RateLimiter(self.settings.auth_failures_per_minute)
        self.scratch = Scratch(self.settings.data_dir / "tmp")

    def pipeline(self) -> Any:
        """This process's speech pipeline; its models load once, on first use (workers only, never the API)."""
        with self._pipeline_lock:
            if self._pipeline is None:
                from conduit_server.pipeline.models import Models
                from conduit_server.pipeline.pipeline import SpeechPipeline

                models = Models(self.settings.resolved_models_dir(), asr_model_dir=self.settings.asr_model,
                                beam_size=self.settings.asr_beam_size, filler_prompt=self.settings.asr_filler_prompt)
                self._pipeline = SpeechPipeline(models, max_seconds=self.settings.max_media_seconds,
                                                tmp_dir=self.scratch.dir())  # decoded audio, on disk
            return self._pipeline
