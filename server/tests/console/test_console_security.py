"""The console's security rules: nothing without a session (pages redirect to sign-in, assets answer 401), a
POST without the session's CSRF token is refused (403), a session sees only its own workspace (404 for
another's job, report or recording), revoking the key ends the session, and signing out ends it on the server
(a copy of the cookie is refused afterwards)."""

from __future__ import annotations

import io
import wave
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from conduit_server.console.session import load_secret
from conduit_server.domain import jobs as J
from conduit_server.runtime import Runtime
from conduit_server.settings import Settings
from conduit_server.store import accounts
from conduit_server.store import jobs as job_store
from itsdangerous import URLSafeTimedSerializer
from server_testkit import open_test_runtime

from console.console_kit import console_client, csrf_of, sign_in


@pytest.fixture(scope="module")
async def rt(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Runtime]:
    async with open_test_runtime(database_url, tmp_path_factory.mktemp("console"), console_enabled=True) as runtime:
        yield runtime


@pytest.fixture(scope="module")
async def keys(rt: Runtime) -> tuple[accounts.CreatedKey, accounts.CreatedKey]:
    a = await accounts.create_key(rt.engine, rt.clock())
    other = await accounts.create_workspace(rt.engine, rt.clock(), "other")
    b = await accounts.create_key(rt.engine, rt.clock(), workspace_id=other)
    return a, b


async def _job(rt: Runtime, workspace_id: str, label: str) -> str:
    async with rt.engine.begin() as conn:
        row = await job_store.insert(conn, {"id": f"job_{label}", "workspace_id": workspace_id,
                                            "type": J.REPORT_JOB, "request": {}, "label": label}, rt.clock())
    return str(row.id)


async def test_without_a_session_pages_redirect_to_sign_in_and_assets_are_refused(rt: Runtime) -> None:
    async with console_client(rt) as client:
        for path in ("/console/jobs", "/console/keys", "/console/webhooks", "/console/jobs/job_x/report",
                     "/console/recordings/med_x/audio"):
            answer = await client.get(path)
            assert answer.status_code == 303, path
            assert answer.headers["location"].startswith("/console/sign-in?next=")
        for path in ("/console/static/console.css", "/console/static/vendor/htmx/htmx.min.js"):
            assert (await client.get(path)).status_code == 401
        assert (await client.get("/console/jobs/rows", headers={"HX-Request": "true"})).status_code == 401
        forged = await client.post("/console/keys", data={"label": "x"})  # no session at all
        assert forged.status_code == 303


async def test_a_wrong_key_is_refused_and_a_tampered_cookie_is_no_session(rt: Runtime, keys: tuple) -> None:
    async with console_client(rt) as client:
        form = await client.get("/console/sign-in")
        wrong = await client.post("/console/sign-in", data={"csrf": csrf_of(form.text), "key": "sk_wrong"})
        assert wrong.status_code == 401
        assert "Invalid or revoked API key" in wrong.text
        assert "conduit_console" not in wrong.cookies
        no_token = await client.post("/console/sign-in", data={"key": keys[0].api_key})
        assert no_token.status_code == 403  # the sign-in form's own CSRF token is missing
        await sign_in(client, keys[0].api_key)
        cookie = client.cookies.get("conduit_console")
        assert cookie
        client.cookies.set("conduit_console", cookie[:-2] + ("AA" if not cookie.endswith("AA") else "BB"),
                           domain="conduit.test", path="/console")
        assert (await client.get("/console/jobs")).status_code == 303


async def test_the_session_cookie_is_http_only_strict_and_scoped(rt: Runtime, keys: tuple) -> None:
    async with console_client(rt) as client:
        form = await client.get("/console/sign-in")
        answer = await client.post("/console/sign-in", data={"csrf": csrf_of(form.text), "key": keys[0].api_key})
        header = next(v for v in answer.headers.get_list("set-cookie") if v.startswith("conduit_console="))
        lowered = header.lower()
        assert "httponly" in lowered and "samesite=strict" in lowered and "path=/console" in lowered
        assert "max-age=" in lowered
        assert keys[0].api_key not in header  # the cookie names the key by id, never carries it


async def test_a_post_without_the_session_csrf_token_is_forbidden(rt: Runtime, keys: tuple) -> None:
    async with console_client(rt) as client:
        csrf = await sign_in(client, keys[0].api_key)
        for path, data in (("/console/keys", {"label": "forged"}), ("/console/webhooks/secret", {}),
                           ("/console/sign-out", {}), ("/console/webhooks/secret/rotate", {})):
            assert (await client.post(path, data=data)).status_code == 403, path
            assert (await client.post(path, data={**data, "csrf": "not-the-token"})).status_code == 403, path
        forged_upload = await client.post("/console/reports/new", files={"file": ("a.wav", b"RIFF")},
                                          data={"csrf": "forged"})
        assert forged_upload.status_code == 403
        keys_page = await client.get("/console/keys")
        assert "forged" not in keys_page.text  # nothing was created
        made = await client.post("/console/keys", data={"label": "real", "csrf": csrf})
        assert made.status_code == 200 and 'id="new-key"' in made.text
        out = await client.post("/console/sign-out", data={"csrf": csrf})
        assert out.status_code == 303 and out.headers["location"] == "/console/sign-in"
        assert (await client.get("/console/jobs")).status_code == 303  # signed out: pages are refused


async def test_a_session_never_sees_another_workspaces_jobs(rt: Runtime, keys: tuple) -> None:
    a, b = keys
    mine = await _job(rt, a.workspace_id, "mine")
    theirs = await _job(rt, b.workspace_id, "theirs")
    async with console_client(rt) as client:
        csrf = await sign_in(client, a.api_key)
        listing = await client.get("/console/jobs")
        assert mine in listing.text and theirs not in listing.text
        assert (await client.get(f"/console/jobs/{mine}")).status_code == 200
        for path in (f"/console/jobs/{theirs}", f"/console/jobs/{theirs}/panel", f"/console/jobs/{theirs}/report"):
            assert (await client.get(path)).status_code == 404, path
        assert (await client.post(f"/console/jobs/{theirs}/cancel", data={"csrf": csrf})).status_code == 404
        async with rt.engine.connect() as conn:
            row = await job_store.get(conn, theirs)
        assert row is not None and row.status == J.QUEUED  # untouched
        other_keys = await accounts.list_keys(rt.engine, b.workspace_id)
        revoke = await client.post(f"/console/keys/{other_keys[0].id}/revoke", data={"csrf": csrf})
        assert revoke.status_code == 404


async def test_cancel_from_the_console_cancels_a_queued_job(rt: Runtime, keys: tuple) -> None:
    job_id = await _job(rt, keys[0].workspace_id, "to-cancel")
    async with console_client(rt) as client:
        csrf = await sign_in(client, keys[0].api_key)
        answer = await client.post(f"/console/jobs/{job_id}/cancel", data={"csrf": csrf})
        assert answer.status_code == 303
        canceled = await client.get("/console/jobs?status=canceled")
        assert job_id in canceled.text
        assert job_id not in (await client.get("/console/jobs?status=queued")).text


async def test_revoking_the_key_ends_its_sessions(rt: Runtime) -> None:
    key = await accounts.create_key(rt.engine, rt.clock(), label="short-lived")
    async with console_client(rt) as client:
        await sign_in(client, key.api_key)
        assert (await client.get("/console/jobs")).status_code == 200
        await accounts.revoke_key(rt.engine, rt.clock(), key.api_key_id)
        assert (await client.get("/console/jobs")).status_code == 303


async def test_signing_out_ends_the_session_for_a_copied_cookie_too(rt: Runtime, keys: tuple) -> None:
    async with console_client(rt) as kept, console_client(rt) as client, console_client(rt) as copy:
        await sign_in(kept, keys[0].api_key)  # another session of the same key, opened before
        csrf = await sign_in(client, keys[0].api_key)
        copied = client.cookies.get("conduit_console")
        assert copied
        copy.cookies.set("conduit_console", copied, domain="conduit.test", path="/console")
        assert (await copy.get("/console/jobs")).status_code == 200  # the copy works while the session lives

        out = await client.post("/console/sign-out", data={"csrf": csrf})
        assert out.status_code == 303 and out.headers["location"] == "/console/sign-in"
        page = await copy.get("/console/jobs")
        assert page.status_code == 303 and page.headers["location"].startswith("/console/sign-in?next=")
        assert (await copy.get("/console/jobs/rows", headers={"HX-Request": "true"})).status_code == 401
        assert (await copy.get("/console/static/console.css")).status_code == 401
        assert (await copy.post("/console/keys", data={"label": "after", "csrf": csrf})).status_code == 303
        assert (await kept.get("/console/jobs")).status_code == 200  # the other session is untouched


async def test_a_cookie_of_the_older_format_without_a_session_row_is_refused(rt: Runtime, keys: tuple) -> None:
    # Before console sessions had rows, the signed value was [api_key_id, workspace_id, csrf].
    old = URLSafeTimedSerializer(load_secret(rt.settings.data_dir), salt="conduit.console.session.v1")
    async with console_client(rt) as client:
        client.cookies.set("conduit_console", old.dumps([keys[0].api_key_id, keys[0].workspace_id, "csrf"]),
                           domain="conduit.test", path="/console")
        assert (await client.get("/console/jobs")).status_code == 303


def _wav(seconds: float = 1.0) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(bytes(int(16000 * seconds) * 2))
    return out.getvalue()


async def test_the_recording_streams_to_its_session_with_byte_ranges(rt: Runtime, keys: tuple) -> None:
    a, b = keys
    data = _wav()
    async with console_client(rt) as client:
        upload = await client.post("/v1/files", headers={"Mappa-Api-Key": a.api_key},
                                   files={"file": ("tone.wav", data, "audio/wav")})
        assert upload.status_code == 200, upload.text
        media_id = upload.json()["mediaId"]
        await sign_in(client, a.api_key)
        whole = await client.get(f"/console/recordings/{media_id}/audio")
        assert whole.status_code == 200 and whole.content == data
        assert whole.headers["accept-ranges"] == "bytes"
        part = await client.get(f"/console/recordings/{media_id}/audio", headers={"Range": "bytes=100-199"})
        assert part.status_code == 206 and part.content == data[100:200]
        assert part.headers["content-range"] == f"bytes 100-199/{len(data)}"
        tail = await client.get(f"/console/recordings/{media_id}/audio", headers={"Range": "bytes=-10"})
        assert tail.content == data[-10:]
        beyond = await client.get(f"/console/recordings/{media_id}/audio", headers={"Range": f"bytes={len(data)}-"})
        assert beyond.status_code == 416
    async with console_client(rt) as other:
        await sign_in(other, b.api_key)
        assert (await other.get(f"/console/recordings/{media_id}/audio")).status_code == 404
        assert (await other.get(f"/console/recordings/{media_id}")).status_code == 404


async def test_the_job_listing_is_per_workspace_newest_first_and_filters_by_status(rt: Runtime) -> None:
    ws = await accounts.create_workspace(rt.engine, rt.clock(), "listing")
    ids = [await _job(rt, ws, f"list{i}") for i in range(3)]
    async with rt.engine.begin() as conn:
        await job_store.finish(conn, ids[0], J.FAILED, rt.clock(), usage={}, error={"code": "x", "message": "y"})
        page = await job_store.list_page(conn, ws, limit=2)
        assert [r.id for r in page.rows] == [ids[2], ids[1]] and page.has_more
        rest = await job_store.list_page(conn, ws, limit=2, cursor=page.next_cursor)
        assert [r.id for r in rest.rows] == [ids[0]] and not rest.has_more
        failed = await job_store.list_page(conn, ws, status=J.FAILED)
        assert [r.id for r in failed.rows] == [ids[0]]


def test_the_console_is_on_by_default_only_for_an_embedded_server(tmp_path: Path) -> None:
    assert Settings(data_dir=tmp_path).console_on
    assert not Settings(data_dir=tmp_path, database_url="postgresql://db/x").console_on
    env = {"CONDUIT_CONSOLE_ENABLED": "true", "CONDUIT_DATABASE_URL": "postgresql://db/x"}
    assert Settings.from_env(env).console_on
    assert not Settings.from_env({"CONDUIT_CONSOLE_ENABLED": "false"}).console_on


async def test_a_disabled_console_is_not_served(rt: Runtime) -> None:
    async with open_test_runtime(rt.database_url, rt.settings.data_dir / "off", console_enabled=False) as off:
        async with console_client(off) as client:
            assert (await client.get("/console/sign-in")).status_code == 404

