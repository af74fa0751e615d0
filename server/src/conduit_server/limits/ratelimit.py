"""Per-key token buckets (docs/api.md §9, §16(g)). In-process: each API replica limits on its own."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

_PRUNE_AT = 10_000  # buckets held before full ones are dropped


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
        return self._decide(key, cost, consume=True)

    def peek(self, key: str, cost: float = 1.0) -> RateDecision:
        """Whether `take` would allow `cost` now, without spending anything."""
        return self._decide(key, cost, consume=False)

    def _decide(self, key: str, cost: float, *, consume: bool) -> RateDecision:
        now = self._monotonic()
        with self._lock:
            if len(self._buckets) >= _PRUNE_AT:
                self._prune(now)
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = _Bucket(float(self.capacity), now)
                if consume:
                    self._buckets[key] = bucket
            bucket.tokens = min(self.capacity, bucket.tokens + (now - bucket.updated) * self.rate)
            bucket.updated = now
            allowed = bucket.tokens >= cost
            if allowed and consume:
                bucket.tokens -= cost
            missing = self.capacity - bucket.tokens
            reset = int(math.ceil(self._wall() + missing / self.rate))
            retry_after = 0 if allowed else max(1, math.ceil((cost - bucket.tokens) / self.rate))
            return RateDecision(allowed, self.capacity, int(bucket.tokens), reset, retry_after)

    def _prune(self, now: float) -> None:
        """Forget buckets that have refilled: a full bucket is what a new key gets anyway, so memory stays bounded
        by the keys (or client addresses) active within the last minute."""
        full = [k for k, b in self._buckets.items() if b.tokens + (now - b.updated) * self.rate >= self.capacity]
        for k in full:
            del self._buckets[k]
