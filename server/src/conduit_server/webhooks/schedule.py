"""Webhook retry schedule (docs/api.md §16(a)): the schedule is data, the policy is two small pure functions.

The first attempt is immediate; after attempt ``n`` (1-based) the next one waits ``delays[n-1]`` seconds with
±``jitter`` random jitter. A ``Retry-After`` (only honoured by the caller on 429/503) replaces that delay but never
exceeds it: the scheduled delay is the cap.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

__all__ = ["DEFAULT_DELAYS", "RetrySchedule", "parse_retry_after"]

# 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h -> 8 attempts, ~27 h in all.
DEFAULT_DELAYS: tuple[float, ...] = (5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 36000.0)


@dataclass(frozen=True)
class RetrySchedule:
    """Delays between attempts, in seconds; ``len(delays) + 1`` attempts in total."""

    delays: Sequence[float] = field(default=DEFAULT_DELAYS)
    jitter: float = 0.2

    def __post_init__(self) -> None:
        delays = tuple(float(d) for d in self.delays)
        if any(not math.isfinite(d) or d < 0 for d in delays):
            raise ValueError("retry delays must be finite and >= 0")
        if not (0.0 <= self.jitter < 1.0):
            raise ValueError("jitter must be in [0, 1)")
        object.__setattr__(self, "delays", delays)

    @property
    def max_attempts(self) -> int:
        return len(self.delays) + 1

    @property
    def total_nominal_seconds(self) -> float:
        return float(sum(self.delays))

    def next_delay(
        self,
        attempt_number: int,
        *,
        retry_after: float | None = None,
        rng: random.Random | None = None,
    ) -> float | None:
        """Seconds to wait after failed attempt ``attempt_number`` (1-based); ``None`` = no more attempts.

        ``retry_after`` (seconds, already parsed) replaces the jittered delay when it is shorter.
        """
        if attempt_number < 1:
            raise ValueError("attempt_number is 1-based")
        if attempt_number > len(self.delays):
            return None
        base = self.delays[attempt_number - 1]
        uniform = rng.uniform if rng is not None else random.uniform
        delay = base * (1.0 + uniform(-self.jitter, self.jitter)) if self.jitter else base
        if retry_after is not None and math.isfinite(retry_after):
            delay = min(delay, max(0.0, retry_after))
        return delay


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Parse a ``Retry-After`` value (delta-seconds or HTTP-date) into seconds >= 0; ``None`` if absent/invalid.

    ``now`` (aware, UTC) is injectable so HTTP-date handling is deterministic in tests.
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    if text.isascii() and text.isdigit():
        return float(int(text))
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    current = now if now is not None else datetime.now(UTC)
    if current.tzinfo is None:
        current = current.replace(tzinfo=UTC)
    return max(0.0, (when - current).total_seconds())
