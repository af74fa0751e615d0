"""Injectable time, sleep and randomness, so retry and signature tests are instant."""

from __future__ import annotations

import asyncio
import secrets
import time


class Clock:
    """Real wall clock, monotonic clock, sleeps and jitter source."""

    def time(self) -> float:
        """Unix time in seconds."""
        return time.time()

    def monotonic(self) -> float:
        """Monotonic seconds, for deadlines and durations."""
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        """Block for ``seconds``."""
        if seconds > 0:
            time.sleep(seconds)

    async def asleep(self, seconds: float) -> None:
        """Await for ``seconds``."""
        if seconds > 0:
            await asyncio.sleep(seconds)

    def randbelow(self, upper: int) -> int:
        """Uniform integer in ``[0, upper)``."""
        return secrets.randbelow(upper)


SYSTEM_CLOCK = Clock()
