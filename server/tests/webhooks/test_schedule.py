"""RetrySchedule and parse_retry_after: pure, deterministic with a seeded rng and an injected now."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest
from conduit_server.webhooks import DEFAULT_DELAYS, RetrySchedule, parse_retry_after

NOW = datetime(2026, 11, 27, 12, 0, 0, tzinfo=UTC)


def delays_for(schedule: RetrySchedule, seed: int) -> list[float]:
    rng = random.Random(seed)
    out: list[float] = []
    attempt = 1
    while (delay := schedule.next_delay(attempt, rng=rng)) is not None:
        out.append(delay)
        attempt += 1
    return out


def test_default_schedule_is_eight_attempts_over_about_27_hours() -> None:
    schedule = RetrySchedule()
    assert schedule.delays == (5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 36000.0) == DEFAULT_DELAYS
    assert schedule.max_attempts == 8
    assert 27 * 3600 <= schedule.total_nominal_seconds <= 28 * 3600
    delays = delays_for(schedule, seed=7)
    assert len(delays) == 7  # attempt 1 is immediate, 7 retries
    for got, nominal in zip(delays, DEFAULT_DELAYS, strict=True):
        assert nominal * 0.8 <= got <= nominal * 1.2
    assert 0.8 * 99305 <= sum(delays) <= 1.2 * 99305
    assert schedule.next_delay(8, rng=random.Random(0)) is None
    assert schedule.next_delay(9) is None


def test_seeded_rng_is_deterministic_and_jitter_varies() -> None:
    schedule = RetrySchedule()
    assert delays_for(schedule, 42) == delays_for(schedule, 42)
    assert delays_for(schedule, 42) != delays_for(schedule, 43)
    many = [RetrySchedule().next_delay(2, rng=random.Random(seed)) for seed in range(200)]
    assert min(many) < 300 * 0.9 and max(many) > 300 * 1.1  # jitter spans most of ±20 %
    assert all(240 <= d <= 360 for d in many)


def test_schedule_is_data() -> None:
    schedule = RetrySchedule(delays=[1, 2], jitter=0)
    assert schedule.max_attempts == 3
    assert [schedule.next_delay(n) for n in (1, 2, 3)] == [1.0, 2.0, None]
    with pytest.raises(ValueError):
        RetrySchedule(delays=[-1])
    with pytest.raises(ValueError):
        RetrySchedule(jitter=1.5)
    with pytest.raises(ValueError):
        schedule.next_delay(0)


def test_retry_after_replaces_delay_but_never_exceeds_it() -> None:
    schedule = RetrySchedule()
    assert schedule.next_delay(3, retry_after=60, rng=random.Random(1)) == 60.0
    assert schedule.next_delay(3, retry_after=0, rng=random.Random(1)) == 0.0
    assert schedule.next_delay(3, retry_after=-5, rng=random.Random(1)) == 0.0
    jittered = schedule.next_delay(3, rng=random.Random(1))
    assert schedule.next_delay(3, retry_after=10**9, rng=random.Random(1)) == jittered
    assert schedule.next_delay(8, retry_after=1) is None  # Retry-After never adds attempts


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", 120.0),
        (" 7 ", 7.0),
        ("0", 0.0),
        ("Fri, 27 Nov 2026 12:01:40 GMT", 100.0),
        ("Friday, 27-Nov-26 12:00:30 GMT", 30.0),
        ("Fri Nov 27 12:00:05 2026", 5.0),
        ("Fri, 27 Nov 2026 11:00:00 GMT", 0.0),  # in the past
        ("", None),
        (None, None),
        ("soon", None),
        ("-5", None),
        ("1.5e3", None),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, now=NOW) == expected
