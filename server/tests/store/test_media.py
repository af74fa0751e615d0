"""Media rows: uploads, what a workspace can see, processing results that are never overwritten, retention."""

from __future__ import annotations

from datetime import timedelta

from conduit_server.runtime import Runtime
from conduit_server.store import media as media_store
from store.conftest import Workspaces, add_media


async def test_visible_only_in_its_workspace_and_never_internal_or_purged(runtime: Runtime, ws: Workspaces) -> None:
    now = runtime.clock()
    async with runtime.engine.begin() as conn:
        mine = await add_media(conn, ws.a, now, label="Weekly sync")
        internal = await add_media(conn, ws.a, now, internal=True)
        purged = await add_media(conn, ws.a, now, deleted_at=now, purged_at=now)
    async with runtime.engine.connect() as conn:
        assert (await media_store.get(conn, mine.id, ws.a)).label == "Weekly sync"  # type: ignore[union-attr]
        assert await media_store.get(conn, mine.id, ws.b) is None
        assert await media_store.get(conn, internal.id, ws.a) is None  # a psychometrics recording
        assert await media_store.get(conn, internal.id) is not None  # ... which the workers do see
        assert await media_store.get(conn, purged.id) is None
        assert await media_store.get_any(conn, purged.id) is not None  # media processing sees every state
        assert await media_store.get(conn, "med_missing") is None and await media_store.get_any(conn, "m") is None
        page = await media_store.list_page(conn, ws.a, limit=10, cursor=None, include_deleted=True,
                                           created_after=None, created_by_user_id=None, search="weekly")
        assert [r.id for r in page.rows] == [mine.id]
        other = await media_store.list_page(conn, ws.b, limit=10, cursor=None, include_deleted=True,
                                            created_after=None, created_by_user_id=None, search=None)
        assert other.rows == []
        assert await media_store.live_ids(conn, ws.a, {mine.id, internal.id, purged.id, "med_x"}) == {mine.id}
        assert await media_store.live_ids(conn, ws.b, {mine.id}) == set()
        assert await media_store.live_ids(conn, ws.a, set()) == set()


async def test_soft_delete_lock_and_touch(runtime: Runtime, ws: Workspaces) -> None:
    now = runtime.clock()
    later = now + timedelta(hours=1)
    async with runtime.engine.begin() as conn:
        row = await add_media(conn, ws.a, now)
        await media_store.set_retention_lock(conn, row.id, True)
        await media_store.touch_many(conn, {row.id}, later)
        await media_store.soft_delete(conn, row.id, later)
        after = await media_store.get(conn, row.id, ws.a)
        assert after is not None and (after.retention_locked, after.last_used_at, after.deleted_at) == (
            True, later, later)
        assert await media_store.live_ids(conn, ws.a, {row.id}) == set()  # deleted: no longer usable


async def test_a_completed_result_is_never_overwritten(runtime: Runtime, ws: Workspaces) -> None:
    now = runtime.clock()
    async with runtime.engine.begin() as conn:
        row = await add_media(conn, ws.a, now)
        await media_store.lock_processing(conn, row.id)
        await media_store.set_processing_state(conn, row.id, processing_status="PROCESSING")
        assert await media_store.complete(conn, row.id, {"speakers": []}, 12.5)
        assert not await media_store.complete(conn, row.id, {"speakers": [1]}, 99.0)  # a second run lost
        await media_store.set_processing_state(conn, row.id, processing_status="FAILED", error={"code": "x"})
        await media_store.unlock_processing(conn, row.id)
        done = await media_store.get(conn, row.id)
    assert done is not None
    assert (done.processing_status, done.analysis, done.duration_seconds, done.error) == (
        "COMPLETED", {"speakers": []}, 12.5, None)


async def test_retention_expires_unused_unlocked_files_then_purges(runtime: Runtime, ws: Workspaces) -> None:
    now = runtime.clock()
    old = now - timedelta(days=40)
    async with runtime.engine.begin() as conn:
        unused = await add_media(conn, ws.b, old, last_used_at=old)
        locked = await add_media(conn, ws.b, old, last_used_at=old, retention_locked=True)
        fresh = await add_media(conn, ws.b, now)
        recording = await add_media(conn, ws.b, old, internal=True, storage_key="b/rec")
        await media_store.expire_unused(conn, now - timedelta(days=30), now)
        assert [r.id for r in await media_store.abandoned_recordings(conn, now - timedelta(minutes=15))] == []
        deleted = {m.id: (await media_store.get_any(conn, m.id)).deleted_at for m in (unused, locked, fresh)}  # type: ignore[union-attr]
        assert deleted == {unused.id: now, locked.id: None, fresh.id: None}
        assert {r.id for r in await media_store.purgeable(conn, now)} >= {unused.id, recording.id}
        assert unused.id not in {r.id for r in await media_store.purgeable(conn, now - timedelta(days=1))}
        await media_store.mark_purged(conn, unused.id, now)
        assert unused.id not in {r.id for r in await media_store.purgeable(conn, now)}


async def test_abandoned_recordings_are_old_internal_undeleted_ones(runtime: Runtime, ws: Workspaces) -> None:
    now = runtime.clock()
    async with runtime.engine.begin() as conn:
        old = await add_media(conn, ws.a, now - timedelta(hours=1), internal=True, storage_key="a/old")
        await add_media(conn, ws.a, now, internal=True, storage_key="a/new")
        await add_media(conn, ws.a, now - timedelta(hours=1), storage_key="a/kept")  # a file, not a recording
        found = await media_store.abandoned_recordings(conn, now - timedelta(minutes=15))
        assert [(r.id, r.storage_key) for r in found] == [(old.id, "a/old")]
