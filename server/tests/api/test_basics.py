"""Conventions every route shares: auth, request ids, errors, trailing slashes, rate-limit headers."""

from __future__ import annotations

import re

import httpx
from conduit_server.store import accounts


async def test_ping_needs_no_key(client: httpx.AsyncClient) -> None:
    r = await client.get("/v1/health/ping")
    assert r.status_code == 200
    body = r.json()
    assert body["ok"] is True
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", body["time"])
    assert re.fullmatch(r"req_[0-9a-f]{32}", r.headers["x-request-id"])


async def test_missing_and_unknown_keys_are_401(client: httpx.AsyncClient) -> None:
    for headers in (
        {},
        {"Mappa-Api-Key": "sk_nope"},
        {"Authorization": "Bearer sk_nope"},
        {"Authorization": "Basic x"},
    ):
        r = await client.get("/v1/files", headers=headers)
        assert r.status_code == 401, headers
        assert r.json()["error"]["code"] == "unauthorized"
        assert r.headers["content-type"].startswith("application/json")


async def test_bearer_and_header_keys_both_work_and_must_agree(client: httpx.AsyncClient, key) -> None:
    assert (await client.get("/v1/files", headers={"Authorization": f"Bearer {key.api_key}"})).status_code == 200
    assert (await client.get("/v1/files", headers={"Mappa-Api-Key": key.api_key})).status_code == 200
    both = {"Mappa-Api-Key": key.api_key, "Authorization": "Bearer sk_other"}
    assert (await client.get("/v1/files", headers=both)).status_code == 401


async def test_revoked_key_is_401(client: httpx.AsyncClient, runtime) -> None:
    created = await accounts.create_key(runtime.engine, runtime.clock())
    assert (await client.get("/v1/files", headers={"Mappa-Api-Key": created.api_key})).status_code == 200
    await accounts.revoke_key(runtime.engine, runtime.clock(), created.api_key_id)
    assert (await client.get("/v1/files", headers={"Mappa-Api-Key": created.api_key})).status_code == 401


async def test_request_id_is_echoed_when_valid_and_replaced_when_not(client: httpx.AsyncClient, auth) -> None:
    r = await client.get("/v1/files", headers={**auth, "X-Request-Id": "req_abc.DEF:1-2"})
    assert r.headers["x-request-id"] == "req_abc.DEF:1-2"
    r = await client.get("/v1/files", headers={**auth, "X-Request-Id": "bad id with spaces"})
    assert re.fullmatch(r"req_[0-9a-f]{32}", r.headers["x-request-id"])
    r = await client.get("/v1/nowhere", headers={**auth, "X-Request-Id": "abc"})
    assert r.status_code == 404 and r.headers["x-request-id"] == "abc"


async def test_unknown_route_and_wrong_method(client: httpx.AsyncClient, auth) -> None:
    r = await client.get("/v1/analyze/whatever", headers=auth)
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    r = await client.put("/v1/files", headers=auth)
    assert r.status_code == 405 and r.json()["error"]["code"] == "method_not_allowed"


async def test_trailing_slash_is_accepted_without_redirect(client: httpx.AsyncClient, auth) -> None:
    r = await client.get("/v1/files/", headers=auth)
    assert r.status_code == 200
    assert "files" in r.json()


async def test_rate_limit_headers_on_every_authenticated_response(client: httpx.AsyncClient, auth) -> None:
    for path in ("/v1/files", "/v1/jobs/job_missing"):
        r = await client.get(path, headers=auth)
        assert int(r.headers["x-ratelimit-limit"]) == 600
        assert 0 <= int(r.headers["x-ratelimit-remaining"]) < 600
        assert int(r.headers["x-ratelimit-reset"]) > 0


async def test_oversized_headers_get_the_error_envelope(client: httpx.AsyncClient, auth) -> None:
    r = await client.get("/v1/files", headers={**auth, "X-Padding": "a" * 20_000})
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "bad_request"
    assert r.headers["x-request-id"]
    assert (await client.get("/v1/files", headers={**auth, "X-Padding": "a" * 4_000})).status_code == 200
