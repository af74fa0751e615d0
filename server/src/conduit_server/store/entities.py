"""Entities (persistent voice identities) and their appearances in media (docs/api.md §11, §16(i))."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from conduit_server.store import cursor as cursors
from conduit_server.store.tables import entities, media, media_speakers


async def get(conn: AsyncConnection, entity_id: str, workspace_id: str) -> Row[Any] | None:
    query = select(entities).where(entities.c.id == entity_id, entities.c.workspace_id == workspace_id)
    return (await conn.execute(query)).first()


async def set_label(conn: AsyncConnection, entity_id: str, workspace_id: str, label: str | None) -> Row[Any] | None:
    """Rename an entity of `workspace_id` (None clears the label); None when there is no such entity there."""
    query = (update(entities).where(entities.c.id == entity_id, entities.c.workspace_id == workspace_id)
             .values(label=label).returning(*entities.c))
    return (await conn.execute(query)).first()


async def media_counts(conn: AsyncConnection, entity_ids: list[str]) -> dict[str, int]:
    if not entity_ids:
        return {}
    rows = await conn.execute(
        select(media_speakers.c.entity_id, func.count(func.distinct(media_speakers.c.media_id)))
        .join(media, media.c.id == media_speakers.c.media_id)
        .where(media_speakers.c.entity_id.in_(entity_ids), media.c.deleted_at.is_(None))
        .group_by(media_speakers.c.entity_id)
    )
    counts = {r[0]: int(r[1]) for r in rows}
    return {eid: counts.get(eid, 0) for eid in entity_ids}


async def list_page(
    conn: AsyncConnection, workspace_id: str, *, limit: int, cursor: str | None
) -> cursors.Page:
    conds = [entities.c.workspace_id == workspace_id]
    return await cursors.newest_first(conn, entities, conds, limit=limit, cursor=cursor)


async def centroids(conn: AsyncConnection, workspace_id: str) -> dict[str, tuple[list[float], int]]:
    rows = await conn.execute(
        select(entities.c.id, entities.c.centroid, entities.c.voice_count).where(
            entities.c.workspace_id == workspace_id
        )
    )
    return {r.id: (list(r.centroid), int(r.voice_count)) for r in rows}


async def entity_of_speaker(conn: AsyncConnection, media_id: str, speaker_index: int) -> str | None:
    row = (
        await conn.execute(
            select(media_speakers.c.entity_id).where(
                media_speakers.c.media_id == media_id, media_speakers.c.speaker_index == speaker_index
            )
        )
    ).first()
    return None if row is None else str(row.entity_id)
