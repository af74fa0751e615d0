"""Samples (one per entity and media) and behavior maps (snapshots over an entity's samples): the rows only;
measuring and building maps is jobs/behavior.py's, over analysis/."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from conduit_server.store.records import Appearance, BehaviorMapRecord, SampleData
from conduit_server.store.tables import behavior_maps, media, media_speakers, samples


async def upsert_sample(conn: AsyncConnection, sample_id: str, workspace_id: str, entity_id: str, media_id: str,
                        speaker_index: int, data: dict[str, Any], now: datetime) -> str:
    """Insert or replace the entity's sample for this media; returns its id (stable across replacements)."""
    result = await conn.execute(
        insert(samples)
        .values(id=sample_id, workspace_id=workspace_id, entity_id=entity_id, media_id=media_id,
                speaker_index=speaker_index, data=data, created_at=now)
        .on_conflict_do_update(index_elements=[samples.c.entity_id, samples.c.media_id],
                               set_={"data": data, "speaker_index": speaker_index})
        .returning(samples.c.id)
    )
    return str(result.scalar_one())


async def sampled_media(conn: AsyncConnection, entity_id: str) -> set[str]:
    """The media the entity already has a sample of."""
    return {r.media_id for r in await conn.execute(select(samples.c.media_id).where(samples.c.entity_id == entity_id))}


async def appearances(conn: AsyncConnection, entity_id: str) -> list[Appearance]:
    """(media_id, speaker_index, analysis) of every processed, non-deleted media the entity was heard in, oldest
    media first."""
    return [Appearance(*r) for r in await conn.execute(
        select(media_speakers.c.media_id, media_speakers.c.speaker_index, media.c.analysis)
        .join(media, media.c.id == media_speakers.c.media_id)
        .where(media_speakers.c.entity_id == entity_id, media.c.deleted_at.is_(None),
               media.c.processing_status == "COMPLETED")
        .order_by(media.c.created_at, media.c.id)
    )]


async def samples_of(conn: AsyncConnection, entity_id: str) -> list[SampleData]:
    """(id, data) of the entity's samples, oldest first (a deterministic order for its maps)."""
    return [SampleData(*r) for r in await conn.execute(
        select(samples.c.id, samples.c.data).where(samples.c.entity_id == entity_id)
        .order_by(samples.c.created_at, samples.c.id)
    )]


async def insert_map(conn: AsyncConnection, map_id: str, workspace_id: str, entity_id: str, sample_ids: list[str],
                     data: dict[str, Any], model_checkpoint: str, now: datetime) -> None:
    await conn.execute(
        behavior_maps.insert().values(
            id=map_id, workspace_id=workspace_id, entity_id=entity_id, sample_ids=sample_ids, data=data,
            model_checkpoint=model_checkpoint, created_at=now,
        )
    )


async def latest_map(conn: AsyncConnection, entity_id: str) -> BehaviorMapRecord | None:
    """The entity's newest map row, None before its first report or matching."""
    row = (
        await conn.execute(
            select(behavior_maps).where(behavior_maps.c.entity_id == entity_id)
            .order_by(behavior_maps.c.created_at.desc(), behavior_maps.c.id.desc()).limit(1)
        )
    ).first()
    return None if row is None else BehaviorMapRecord.from_row(row)
