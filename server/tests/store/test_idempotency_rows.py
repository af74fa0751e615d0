"""Idempotency-Key rows: one claim per scope, the stored answer, the release, and a claim of an expired row."""

from __future__ import annotations

from datetime import timedelta

from conduit_server.runtime import Runtime
from conduit_server.store import idempotency as idem
from store.conftest import Workspaces


async def test_claim_store_release_and_takeover(runtime: Runtime, ws: Workspaces) -> None:
    now = runtime.clock()
    scope = idem.KeyScope(ws.a, "POST", "/v1/files", "k1")
    async with runtime.engine.begin() as conn:
        held = await idem.try_claim(conn, scope, "fp", now, now + timedelta(seconds=60))
        assert held == idem.Claim(scope, now)
        other = await idem.try_claim(conn, scope, "fp", now, now + timedelta(seconds=60))
        assert not isinstance(other, idem.Claim) and other is not None and other.state == "in_progress"
        # the same key in another workspace is another key
        assert isinstance(await idem.try_claim(conn, idem.KeyScope(ws.b, "POST", "/v1/files", "k1"), "fp", now,
                                               now + timedelta(seconds=60)), idem.Claim)
        await idem.store_answer(conn, held, 200, b'{"ok":1}', now + timedelta(hours=24))
        done = await idem.try_claim(conn, scope, "fp", now, now + timedelta(seconds=60))
        assert not isinstance(done, idem.Claim) and done is not None
        assert (done.state, done.status_code, bytes(done.body)) == ("done", 200, b'{"ok":1}')
        await idem.release(conn, held)
        assert isinstance(await idem.try_claim(conn, scope, "fp", now, now + timedelta(seconds=60)), idem.Claim)


async def test_expired_claim_is_taken_over_and_renewal_extends(runtime: Runtime, ws: Workspaces) -> None:
    now = runtime.clock()
    scope = idem.KeyScope(ws.a, "DELETE", "/v1/files/{mediaId}", "k2")
    async with runtime.engine.begin() as conn:
        first = await idem.try_claim(conn, scope, "fp", now, now + timedelta(seconds=60))
        assert isinstance(first, idem.Claim)
        await idem.renew(conn, first, now + timedelta(seconds=120))
        within = now + timedelta(seconds=90)  # past the first lease, within the renewed one: still held
        assert not isinstance(await idem.try_claim(conn, scope, "fp", within, within), idem.Claim)
        later = now + timedelta(seconds=121)
        assert await idem.try_claim(conn, scope, "fp", later, later + timedelta(seconds=60)) == idem.Claim(scope, later)
