"""Entities (persistent voice identities) and their appearances in media (docs/api.md §11, §16(i))."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from conduit_server.store import cursor as cursors
from conduit_server.store.records import EntityRecord
from conduit_server.store.tables import entities, media, media_speakers


async def get(conn: AsyncConnection, entity_id: str, workspace_id: str) -> EntityRecord | None:
    query = select(entities).where(entities.c.id == entity_id, entities.c.workspace_id == workspace_id)
    row = (await conn.execute(query)).first()
    return None if row is None else EntityRecord.from_row(row)


async def set_label(conn: AsyncConnection, entity_id: str, workspace_id: str,
                    label: str | None) -> EntityRecord | None:
    """Rename an entity of `workspace_id` (None clears the label); None when there is no such entity there."""
    query = (update(entities).where(entities.c.id == entity_id, entities.c.workspace_id == workspace_id)
             .values(label=label).returning(*entities.c))
    row = (await conn.execute(query)).first()
    return None if row is None else EntityRecord.from_row(row)


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
) -> cursors.Page[EntityRecord]:
    conds = [entities.c.workspace_id == workspace_id]
    return (await cursors.newest_first(conn, entities, conds, limit=limit, cursor=cursor)).map(EntityRecord.from_row)


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


async def label(conn: AsyncConnection, entity_id: str) -> tuple[bool, str | None]:
    """(whether the entity exists, its label): a report names its entity, or says it was erased."""
    row = (await conn.execute(select(entities.c.label).where(entities.c.id == entity_id))).first()
    return (False, None) if row is None else (True, row.label)


async def known_ids(conn: AsyncConnection, workspace_id: str, entity_ids: set[str]) -> set[str]:
    """Those of `entity_ids` that are entities of the workspace (only ids are read)."""
    if not entity_ids:
        return set()
    rows = await conn.execute(select(entities.c.id).where(
        entities.c.id.in_(entity_ids), entities.c.workspace_id == workspace_id))
    return set(rows.scalars())


async def lock_workspace(conn: AsyncConnection, workspace_id: str) -> None:
    """Serialise entity assignment per workspace until the transaction ends, so two media never both create
    "the same" new voice."""
    await conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": "entities:" + workspace_id})


async def create(conn: AsyncConnection, entity_id: str, workspace_id: str, centroid: list[float],
                 now: datetime) -> None:
    """A new, unlabelled entity heard once."""
    await conn.execute(entities.insert().values(
        id=entity_id, workspace_id=workspace_id, label=None, centroid=centroid, voice_count=1, created_at=now,
        last_seen_at=now,
    ))


async def add_voice(conn: AsyncConnection, entity_id: str, centroid: list[float], voice_count: int,
                    now: datetime) -> None:
    """Store the entity's centroid after one more voice joined it."""
    await conn.execute(update(entities).where(entities.c.id == entity_id).values(
        centroid=centroid, voice_count=voice_count, last_seen_at=now,
    ))


async def link_speaker(conn: AsyncConnection, media_id: str, speaker_index: int, entity_id: str) -> None:
    await conn.execute(media_speakers.insert().values(media_id=media_id, speaker_index=speaker_index,
                                                      entity_id=entity_id))
