"""Per-key concurrency quotas (issue 10): uploads in flight and open SSE streams. In-process like the rate
limiter: each API replica counts its own connections, which is what a slow or greedy client ties up."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Final

from conduit_server.domain.errors import ApiError

UPLOADS: Final = "uploads"
STREAMS: Final = "streams"
QUOTA_RETRY_AFTER_SECONDS: Final = 1


def quota_exceeded(message: str, retry_after: int = QUOTA_RETRY_AFTER_SECONDS) -> ApiError:
    """The 429 `rate_limited` of docs/api.md §9: Retry-After header and `error.retryAfter`."""
    return ApiError(message, code="rate_limited", status=429, headers={"Retry-After": str(retry_after)})


class Slot:
    """One held unit of a quota; releasing twice is harmless (a stream may end by several paths)."""

    def __init__(self, owner: ConcurrencySlots, name: tuple[str, str]) -> None:
        self._owner = owner
        self._name = name
        self._held = True

    def release(self) -> None:
        if self._held:
            self._held = False
            self._owner._release(self._name)

    def __enter__(self) -> Slot:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


class ConcurrencySlots:
    def __init__(self) -> None:
        self._in_use: Counter[tuple[str, str]] = Counter()
        self._lock = threading.Lock()

    def in_use(self, kind: str, key: str) -> int:
        with self._lock:
            return self._in_use[(kind, key)]

    def acquire(self, kind: str, key: str, limit: int, what: str) -> Slot:
        """Take a slot of `kind` for `key`, or raise 429 when `limit` are already held."""
        name = (kind, key)
        with self._lock:
            if self._in_use[name] >= max(1, limit):
                raise quota_exceeded(f"Too many {what} for this API key (limit {max(1, limit)})")
            self._in_use[name] += 1
        return Slot(self, name)

    def _release(self, name: tuple[str, str]) -> None:
        with self._lock:
            self._in_use[name] -= 1
            if self._in_use[name] <= 0:
                del self._in_use[name]
