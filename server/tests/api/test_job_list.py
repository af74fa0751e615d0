"""GET /v1/jobs (extension): a workspace's jobs, newest first, filtered by status, paged, never another's."""

from __future__ import annotations

import httpx
import pytest
from fixtures.api_helpers import assert_error, headers_of, new_workspace_key, report_body, uploaded_id
from fixtures.speech import tone


@pytest.fixture(scope="module")
async def mine(client: httpx.AsyncClient, runtime) -> tuple[dict[str, str], list[str]]:
    """Three report jobs (no worker runs in these tests: they stay queued), the middle one canceled."""
    auth = headers_of(await new_workspace_key(runtime, "lister"))
    media_id = await uploaded_id(client, auth, tone(2.0), label="call")
    ids = []
    for _ in range(3):
        r = await client.post("/v1/reports/jobs", headers=auth, json=report_body(media_id))
        assert r.status_code == 200, r.text
        ids.append(r.json()["jobId"])
    assert (await client.post(f"/v1/jobs/{ids[1]}/cancel", headers=auth)).status_code == 200
    return auth, ids


async def test_lists_newest_first_in_pages(client: httpx.AsyncClient, mine) -> None:
    auth, ids = mine
    first = (await client.get("/v1/jobs", headers=auth, params={"limit": 2})).json()
    assert [j["id"] for j in first["jobs"]] == [ids[2], ids[1]] and first["hasMore"] is True
    assert first["jobs"][1]["status"] == "canceled" and first["jobs"][0]["type"] == "report.generate"
    rest = (await client.get("/v1/jobs", headers=auth, params={"limit": 2, "cursor": first["nextCursor"]})).json()
    assert [j["id"] for j in rest["jobs"]] == [ids[0]] and rest["hasMore"] is False and rest["nextCursor"] is None


async def test_filters_by_status(client: httpx.AsyncClient, mine) -> None:
    auth, ids = mine
    canceled = (await client.get("/v1/jobs", headers=auth, params={"status": "canceled"})).json()["jobs"]
    queued = (await client.get("/v1/jobs", headers=auth, params={"status": "queued"})).json()["jobs"]
    assert [j["id"] for j in canceled] == [ids[1]]
    assert [j["id"] for j in queued] == [ids[2], ids[0]]


async def test_bad_query_is_a_validation_error(client: httpx.AsyncClient, mine) -> None:
    auth, _ = mine
    assert_error(await client.get("/v1/jobs", headers=auth, params={"status": "done"}), 422, "validation_error")
    assert_error(await client.get("/v1/jobs", headers=auth, params={"limit": "0"}), 422, "validation_error")


async def test_another_workspace_sees_none_of_them(client: httpx.AsyncClient, runtime, mine) -> None:
    other = headers_of(await new_workspace_key(runtime, "other"))
    r = await client.get("/v1/jobs", headers=other)
    assert r.status_code == 200 and r.json() == {"jobs": [], "hasMore": False, "nextCursor": None}
    assert_error(await client.get("/v1/jobs"), 401, "unauthorized")


async def test_a_cursor_that_is_not_ours_is_a_validation_error(client: httpx.AsyncClient, mine) -> None:
    auth, _ = mine
    for cursor in ("garbage", "eyJ4IjogMX0", "\u00e9\u00e9"):
        assert_error(await client.get("/v1/jobs", headers=auth, params={"cursor": cursor}), 422, "validation_error")
