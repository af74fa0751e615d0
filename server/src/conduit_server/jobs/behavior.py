"""Samples and behavior maps of entities: one sample per (entity, media), a map over all of an entity's samples."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from conduit_server.analysis import BehaviorMap, Sample, build_behavior_map, measure_sample
from conduit_server.domain.ids import new_id
from conduit_server.pipeline.types import MediaAnalysis
from conduit_server.store.tables import behavior_maps, media, media_speakers, samples


async def save_sample(conn: AsyncConnection, workspace_id: str, entity_id: str, media_id: str, sample: Sample,
                      now: datetime) -> str:
    """Insert or replace the entity's sample for this media; returns its id (stable across replacements)."""
    result = await conn.execute(
        insert(samples)
        .values(id=new_id("smp_"), workspace_id=workspace_id, entity_id=entity_id, media_id=media_id,
                speaker_index=sample.speaker_index, data=sample.to_json(), created_at=now)
        .on_conflict_do_update(index_elements=[samples.c.entity_id, samples.c.media_id],
                               set_={"data": sample.to_json(), "speaker_index": sample.speaker_index})
        .returning(samples.c.id)
    )
    return str(result.scalar_one())


async def backfill_samples(conn: AsyncConnection, workspace_id: str, entity_id: str, now: datetime) -> None:
    """Measure the entity in every processed, non-deleted media it was heard in and has no sample for yet."""
    have = {r.media_id for r in await conn.execute(select(samples.c.media_id).where(samples.c.entity_id == entity_id))}
    rows = await conn.execute(
        select(media_speakers.c.media_id, media_speakers.c.speaker_index, media.c.analysis)
        .join(media, media.c.id == media_speakers.c.media_id)
        .where(media_speakers.c.entity_id == entity_id, media.c.deleted_at.is_(None),
               media.c.processing_status == "COMPLETED")
        .order_by(media.c.created_at, media.c.id)
    )
    for row in rows:
        if row.media_id in have or not row.analysis:
            continue
        sample = measure_sample(MediaAnalysis.from_json(row.analysis), row.speaker_index)
        await save_sample(conn, workspace_id, entity_id, row.media_id, sample, now)


async def new_map(conn: AsyncConnection, workspace_id: str, entity_id: str, now: datetime
                  ) -> tuple[BehaviorMap, str, list[str]]:
    """Build and store the entity's map from all of its samples (oldest media first, deterministic order)."""
    rows = list(
        await conn.execute(
            select(samples.c.id, samples.c.data).where(samples.c.entity_id == entity_id)
            .order_by(samples.c.created_at, samples.c.id)
        )
    )
    behavior = build_behavior_map([Sample.from_json(r.data) for r in rows])
    map_id = new_id("map_")
    sample_ids = [r.id for r in rows]
    await conn.execute(
        behavior_maps.insert().values(
            id=map_id, workspace_id=workspace_id, entity_id=entity_id, sample_ids=sample_ids,
            data={"behaviorMap": behavior.payload(), "full": behavior.to_json()},
            model_checkpoint=behavior.model_checkpoint, created_at=now,
        )
    )
    return behavior, map_id, sample_ids


async def latest_map(conn: AsyncConnection, entity_id: str) -> tuple[BehaviorMap, str] | None:
    row = (
        await conn.execute(
            select(behavior_maps.c.id, behavior_maps.c.data).where(behavior_maps.c.entity_id == entity_id)
            .order_by(behavior_maps.c.created_at.desc(), behavior_maps.c.id.desc()).limit(1)
        )
    ).first()
    if row is None:
        return None
    data: dict[str, Any] = row.data
    return BehaviorMap.from_json(data["full"]), row.id
