"""Media rows: uploads, listing, soft delete and retention, and the per-file speaker view."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, func, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from conduit_server.store import cursor as cursors
from conduit_server.store.tables import entities, media, media_speakers, reports


async def get(conn: AsyncConnection, media_id: str, workspace_id: str | None = None) -> Row[Any] | None:
    query = select(media).where(media.c.id == media_id, media.c.purged_at.is_(None))
    if workspace_id is not None:
        query = query.where(media.c.workspace_id == workspace_id, media.c.internal.is_(False))
    return (await conn.execute(query)).first()


async def has_reports(conn: AsyncConnection, media_id: str) -> bool:
    return bool((await conn.execute(select(exists().where(reports.c.media_id == media_id)))).scalar())


async def list_page(
    conn: AsyncConnection, workspace_id: str, *, limit: int, cursor: str | None, include_deleted: bool,
    created_after: datetime | None, created_by_user_id: str | None, search: str | None,
) -> cursors.Page:
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
    return await cursors.newest_first(conn, media, conds, limit=limit, cursor=cursor)


async def reports_exist(conn: AsyncConnection, media_ids: list[str]) -> set[str]:
    if not media_ids:
        return set()
    rows = await conn.execute(select(reports.c.media_id).where(reports.c.media_id.in_(media_ids)).distinct())
    return {r.media_id for r in rows}


async def touch(conn: AsyncConnection, media_id: str, now: datetime) -> None:
    await conn.execute(update(media).where(media.c.id == media_id).values(last_used_at=now))


async def speakers_view(conn: AsyncConnection, row: Row[Any]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
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
