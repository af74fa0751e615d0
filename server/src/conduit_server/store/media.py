"""Media rows: uploads, listing, soft delete and retention, and the per-file speaker view."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, exists, func, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from conduit_server.store import cursor as cursors
from conduit_server.store.records import MediaRecord, StoredBytes
from conduit_server.store.tables import entities, media, media_speakers, reports


async def get(conn: AsyncConnection, media_id: str, workspace_id: str | None = None) -> MediaRecord | None:
    query = select(media).where(media.c.id == media_id, media.c.purged_at.is_(None))
    if workspace_id is not None:
        query = query.where(media.c.workspace_id == workspace_id, media.c.internal.is_(False))
    row = (await conn.execute(query)).first()
    return None if row is None else MediaRecord.from_row(row)


async def get_any(conn: AsyncConnection, media_id: str) -> MediaRecord | None:
    """The row whatever its state, purged included (media processing decides what a state means)."""
    row = (await conn.execute(select(media).where(media.c.id == media_id))).first()
    return None if row is None else MediaRecord.from_row(row)


async def insert_upload(conn: AsyncConnection, **values: Any) -> MediaRecord:
    """Write an upload's media row (POST /v1/files, the console's upload, /v2/psychometrics); returns it."""
    return MediaRecord.from_row((await conn.execute(media.insert().values(**values).returning(*media.c))).one())


async def soft_delete(conn: AsyncConnection, media_id: str, now: datetime) -> None:
    await conn.execute(update(media).where(media.c.id == media_id).values(deleted_at=now))


async def set_retention_lock(conn: AsyncConnection, media_id: str, lock: bool) -> None:
    await conn.execute(update(media).where(media.c.id == media_id).values(retention_locked=lock))


async def live_ids(conn: AsyncConnection, workspace_id: str, media_ids: set[str]) -> set[str]:
    """Those of `media_ids` that are the workspace's visible, not deleted media (only ids are read)."""
    if not media_ids:
        return set()
    rows = await conn.execute(select(media.c.id).where(
        media.c.id.in_(media_ids), media.c.workspace_id == workspace_id, media.c.internal.is_(False),
        media.c.purged_at.is_(None), media.c.deleted_at.is_(None)))
    return set(rows.scalars())


async def touch_many(conn: AsyncConnection, media_ids: set[str], now: datetime) -> None:
    await conn.execute(update(media).where(media.c.id.in_(media_ids)).values(last_used_at=now))


async def lock_processing(conn: AsyncConnection, media_id: str) -> None:
    """Take the media's session-level advisory lock: one pipeline run per media at a time (jobs/media_processing)."""
    await conn.execute(text("SELECT pg_advisory_lock(hashtext(:k))"), {"k": media_id})


async def unlock_processing(conn: AsyncConnection, media_id: str) -> None:
    await conn.execute(text("SELECT pg_advisory_unlock(hashtext(:k))"), {"k": media_id})


async def set_processing_state(conn: AsyncConnection, media_id: str, **values: Any) -> None:
    """Update a media's processing fields unless it is COMPLETED: a completed result is never overwritten (issue 6:
    a second run, its lock lost with a database restart, may have finished it meanwhile)."""
    await conn.execute(update(media).where(media.c.id == media_id, media.c.processing_status != "COMPLETED")
                       .values(**values))


async def complete(conn: AsyncConnection, media_id: str, analysis: dict[str, Any], duration_seconds: float) -> bool:
    """Store the analysis and mark the media COMPLETED; False when another run completed it first."""
    done = await conn.execute(
        update(media).where(media.c.id == media_id, media.c.processing_status != "COMPLETED").values(
            processing_status="COMPLETED", analysis=analysis, duration_seconds=duration_seconds, error=None,
        ).returning(media.c.id)
    )
    return done.first() is not None


async def abandoned_recordings(conn: AsyncConnection, created_before: datetime) -> list[StoredBytes]:
    """(id, storage_key) of the not yet deleted /v2/psychometrics recordings created before the cutoff."""
    rows = await conn.execute(select(media.c.id, media.c.storage_key).where(
        media.c.internal.is_(True), media.c.deleted_at.is_(None), media.c.created_at < created_before))
    return [StoredBytes(r.id, r.storage_key) for r in rows]


async def expire_unused(conn: AsyncConnection, unused_since: datetime, now: datetime) -> None:
    """Soft-delete every unlocked file not used (or, never used, not created) since `unused_since`."""
    await conn.execute(
        update(media)
        .where(
            media.c.deleted_at.is_(None),
            media.c.retention_locked.is_(False),
            or_(media.c.last_used_at < unused_since,
                and_(media.c.last_used_at.is_(None), media.c.created_at < unused_since)),
        )
        .values(deleted_at=now)
    )


async def purgeable(conn: AsyncConnection, deleted_before: datetime) -> list[StoredBytes]:
    """(id, storage_key) of the files deleted at or before the cutoff whose bytes are not purged yet."""
    rows = await conn.execute(select(media.c.id, media.c.storage_key).where(
        media.c.deleted_at.is_not(None), media.c.deleted_at <= deleted_before, media.c.purged_at.is_(None)))
    return [StoredBytes(r.id, r.storage_key) for r in rows]


async def mark_purged(conn: AsyncConnection, media_id: str, now: datetime) -> None:
    await conn.execute(update(media).where(media.c.id == media_id).values(purged_at=now, analysis=None))


async def has_reports(conn: AsyncConnection, media_id: str) -> bool:
    return bool((await conn.execute(select(exists().where(reports.c.media_id == media_id)))).scalar())


async def list_page(
    conn: AsyncConnection, workspace_id: str, *, limit: int, cursor: str | None, include_deleted: bool,
    created_after: datetime | None, created_by_user_id: str | None, search: str | None,
) -> cursors.Page[MediaRecord]:
    conds = [media.c.workspace_id == workspace_id, media.c.internal.is_(False), media.c.purged_at.is_(None)]
    if not include_deleted:
        conds.append(media.c.deleted_at.is_(None))
    if created_after is not None:
        # Compare at the API's millisecond precision: a file's own createdAt passed back excludes that file.
        floor = created_after.replace(microsecond=created_after.microsecond // 1000 * 1000)
        try:
            conds.append(media.c.created_at >= floor + timedelta(milliseconds=1))
        except OverflowError:  # after the end of time: nothing
            conds.append(media.c.id.is_(None))
    if created_by_user_id:
        conds.append(media.c.created_by_user_id == created_by_user_id)
    if search:
        conds.append(func.lower(media.c.label).contains(search.lower(), autoescape=True))
    return (await cursors.newest_first(conn, media, conds, limit=limit, cursor=cursor)).map(MediaRecord.from_row)


async def reports_exist(conn: AsyncConnection, media_ids: list[str]) -> set[str]:
    if not media_ids:
        return set()
    rows = await conn.execute(select(reports.c.media_id).where(reports.c.media_id.in_(media_ids)).distinct())
    return {r.media_id for r in rows}


async def touch(conn: AsyncConnection, media_id: str, now: datetime) -> None:
    await conn.execute(update(media).where(media.c.id == media_id).values(last_used_at=now))


async def speakers_view(conn: AsyncConnection, row: MediaRecord) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """FileDetail `speakers` and `transcription` (docs/api.md §3.1); empty until COMPLETED."""
    empty = {"durationSeconds": 0, "speakerCount": 0, "utterances": []}
    if row.processing_status != "COMPLETED" or not row.analysis:
        return [], empty
    links = await conn.execute(
        select(media_speakers.c.speaker_index, media_speakers.c.entity_id, entities.c.label)
        .join(entities, entities.c.id == media_speakers.c.entity_id)
        .where(media_speakers.c.media_id == row.id)
    )
    by_index = {r.speaker_index: (r.entity_id, r.label) for r in links}
    analysis = row.analysis
    speakers = []
    for s in analysis["speakers"]:
        entity_id, label = by_index.get(s["index"], (None, None))
        speakers.append(
            {
                "speakerIndex": s["index"],
                "entityId": entity_id,
                "entityLabel": label,
                "totalDurationSeconds": round(s["speech_seconds"], 3),
                "utteranceCount": s["utterance_count"],
            }
        )
    transcription = {
        "durationSeconds": round(analysis["duration_seconds"], 3),
        "speakerCount": len(analysis["speakers"]),
        "utterances": [
            {"speakerIndex": u["speaker_index"], "startSeconds": round(u["start"], 3),
             "endSeconds": round(u["end"], 3), "text": u["text"]}
            for u in analysis["utterances"]
        ],
    }
    return speakers, transcription
