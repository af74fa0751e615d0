"""Samples and behavior maps of entities: one sample per (entity, media), a map over all of an entity's samples."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from conduit_server.analysis import BehaviorMap, Sample, build_behavior_map, measure_sample
from conduit_server.domain.ids import new_id
from conduit_server.pipeline.types import MediaAnalysis
from conduit_server.store import behavior as behavior_store


async def save_sample(conn: AsyncConnection, workspace_id: str, entity_id: str, media_id: str, sample: Sample,
                      now: datetime) -> str:
    """Insert or replace the entity's sample for this media; returns its id (stable across replacements)."""
    return await behavior_store.upsert_sample(conn, new_id("smp_"), workspace_id, entity_id, media_id,
                                              sample.speaker_index, sample.to_json(), now)


async def backfill_samples(conn: AsyncConnection, workspace_id: str, entity_id: str, now: datetime) -> None:
    """Measure the entity in every processed, non-deleted media it was heard in and has no sample for yet."""
    have = await behavior_store.sampled_media(conn, entity_id)
    for row in await behavior_store.appearances(conn, entity_id):
        if row.media_id in have or not row.analysis:
            continue
        sample = measure_sample(MediaAnalysis.from_json(row.analysis), row.speaker_index)
        await save_sample(conn, workspace_id, entity_id, row.media_id, sample, now)


async def new_map(conn: AsyncConnection, workspace_id: str, entity_id: str, now: datetime
                  ) -> tuple[BehaviorMap, str, list[str]]:
    """Build and store the entity's map from all of its samples (oldest media first, deterministic order)."""
    rows = await behavior_store.samples_of(conn, entity_id)
    behavior = build_behavior_map([Sample.from_json(r.data) for r in rows])
    map_id = new_id("map_")
    sample_ids = [r.id for r in rows]
    await behavior_store.insert_map(conn, map_id, workspace_id, entity_id, sample_ids,
                                    {"behaviorMap": behavior.payload(), "full": behavior.to_json()},
                                    behavior.model_checkpoint, now)
    return behavior, map_id, sample_ids


async def latest_map(conn: AsyncConnection, entity_id: str) -> tuple[BehaviorMap, str] | None:
    row = await behavior_store.latest_map(conn, entity_id)
    if row is None:
        return None
    data: dict[str, Any] = row.data
    return BehaviorMap.from_json(data["full"]), row.id
