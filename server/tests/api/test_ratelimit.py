"""Rate limits (docs/api.md §9, §16(g)): per-key token buckets, 429 with Retry-After, ping never limited."""

from __future__ import annotations

import pytest
from conduit_server.limits.ratelimit import RateLimiter
from conduit_server.store import accounts
from fixtures.api_helpers import assert_error, headers_of
from server_testkit import asgi_client, open_test_runtime


@pytest.fixture(scope="module")
async def limited(database_url: str, tmp_path_factory: pytest.TempPathFactory):
    async with open_test_runtime(database_url, tmp_path_factory.mktemp("rl"), rate_limit_per_minute=3) as rt:
        # open_test_runtime builds Runtime() whose limiter defaults to 600/min whatever the settings say;
        # production (services.open_runtime) builds it from the settings, as here.
        rt.rate_limiter = RateLimiter(rt.settings.rate_limit_per_minute)
        async with asgi_client(rt) as c:
            yield rt, c


async def fresh_key(rt) -> dict[str, str]:
    return headers_of(await accounts.create_key(rt.engine, rt.clock()))


async def test_fourth_request_in_a_minute_is_429(limited) -> None:
    rt, c = limited
    auth = await fresh_key(rt)
    remaining = []
    for _ in range(3):
        r = await c.get("/v1/files", headers=auth)
        assert r.status_code == 200
        assert r.headers["x-ratelimit-limit"] == "3"
        remaining.append(int(r.headers["x-ratelimit-remaining"]))
    assert remaining == [2, 1, 0]
    r = await c.get("/v1/files", headers=auth)
    error = assert_error(r, 429, "rate_limited")
    assert error["message"] == "Rate limit exceeded for this endpoint"
    retry_after = r.headers["retry-after"]
    assert retry_after.isdigit() and int(retry_after) >= 1
    assert error["retryAfter"] == int(retry_after)
    assert r.headers["x-ratelimit-remaining"] == "0" and r.headers["x-ratelimit-limit"] == "3"
    assert int(r.headers["x-ratelimit-reset"]) > 0
    assert r.headers["x-request-id"]
    # an SSE connection costs a token too, and its 429 is plain JSON
    r = await c.get("/v1/jobs/job_x/stream", headers=auth)
    assert_error(r, 429, "rate_limited")


async def test_buckets_are_per_key(limited) -> None:
    rt, c = limited
    a, b = await fresh_key(rt), await fresh_key(rt)
    for _ in range(3):
        await c.get("/v1/files", headers=a)
    assert (await c.get("/v1/files", headers=a)).status_code == 429
    assert (await c.get("/v1/files", headers=b)).status_code == 200


async def test_ping_is_never_limited(limited) -> None:
    rt, c = limited
    auth = await fresh_key(rt)
    for _ in range(10):
        r = await c.get("/v1/health/ping", headers=auth)
        assert r.status_code == 200
        assert "x-ratelimit-limit" not in r.headers


async def test_unauthenticated_requests_do_not_drain_a_bucket(limited) -> None:
    rt, c = limited
    auth = await fresh_key(rt)
    for _ in range(5):
        assert (await c.get("/v1/files", headers={"Mappa-Api-Key": "sk_wrong"})).status_code == 401
    assert (await c.get("/v1/files", headers=auth)).status_code == 200
