"""Per-key token buckets (contract 9, 16(g)). In-process: each API replica limits on its own."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class _Bucket:
    tokens: float
    updated: float


@dataclass(frozen=True, slots=True)
class RateDecision:
    allowed: bool
    limit: int
    remaining: int
    reset_unix: int
    retry_after: int  # seconds, >= 1 when not allowed


class RateLimiter:
    def __init__(self, per_minute: int, *, monotonic: Callable[[], float] = time.monotonic,
                 wall: Callable[[], float] = time.time) -> None:
        self.capacity = max(1, per_minute)
        self.rate = self.capacity / 60.0
        self._monotonic = monotonic
        self._wall = wall
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def take(self, key: str, cost: float = 1.0) -> RateDecision:
        now = self._monotonic()
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = self._buckets[key] = _Bucket(float(self.capacity), now)
            bucket.tokens = min(self.capacity, bucket.tokens + (now - bucket.updated) * self.rate)
            bucket.updated = now
            allowed = bucket.tokens >= cost
            if allowed:
                bucket.tokens -= cost
            missing = self.capacity - bucket.tokens
            reset = int(math.ceil(self._wall() + missing / self.rate))
            retry_after = 0 if allowed else max(1, math.ceil((cost - bucket.tokens) / self.rate))
            return RateDecision(allowed, self.capacity, int(bucket.tokens), reset, retry_after)
