"""Erasing personal data on request (docs/data.md): a whole entity (voice identity), and the transcript quotes a
purged file left in entity samples. Reports already produced are kept: they are the customer's documents."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from conduit_server.store.tables import behavior_maps, entities, media, media_speakers, samples


def _without_voiceprints(analysis: dict[str, Any], speaker_indexes: set[int]) -> dict[str, Any]:
    speakers = [{**s, "voiceprint": []} if s.get("index") in speaker_indexes else s
                for s in analysis.get("speakers", [])]
    return {**analysis, "speakers": speakers}


async def delete_entity(conn: AsyncConnection, entity_id: str, workspace_id: str) -> bool:
    """Delete the entity, its behavior maps and samples, its links to media, and the voiceprints of that voice in
    every file it was heard in (so a later `entity_id` target cannot find it again). False if there is no such
    entity in the workspace. Runs in the caller's transaction."""
    # the same lock media processing takes to join speakers to entities: none joins this one while it goes
    await conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": "entities:" + workspace_id})
    found = (
        await conn.execute(
            select(entities.c.id).where(entities.c.id == entity_id, entities.c.workspace_id == workspace_id)
            .with_for_update()
        )
    ).first()
    if found is None:
        return False
    heard: dict[str, set[int]] = {}
    for link in await conn.execute(select(media_speakers.c.media_id, media_speakers.c.speaker_index)
                                   .where(media_speakers.c.entity_id == entity_id)):
        heard.setdefault(link.media_id, set()).add(link.speaker_index)
    for row in await conn.execute(select(media.c.id, media.c.analysis).where(media.c.id.in_(list(heard)),
                                                                              media.c.analysis.is_not(None))):
        await conn.execute(update(media).where(media.c.id == row.id)
                           .values(analysis=_without_voiceprints(row.analysis, heard[row.id])))
    await conn.execute(delete(media_speakers).where(media_speakers.c.entity_id == entity_id))
    await conn.execute(delete(samples).where(samples.c.entity_id == entity_id))
    await conn.execute(delete(behavior_maps).where(behavior_maps.c.entity_id == entity_id))
    await conn.execute(delete(entities).where(entities.c.id == entity_id))
    return True


def _without_quotes(sample: dict[str, Any]) -> dict[str, Any]:
    indicators = [{**i, "evidence": []} for i in sample.get("indicators", [])]
    return {**sample, "indicators": indicators}


async def drop_sample_quotes(conn: AsyncConnection, media_id: str) -> None:
    """Remove the transcript quotes (indicator evidence) that samples measured in `media_id` carry; the numbers
    stay, so entities' behavior maps keep what they learned from the file (docs/api.md §10: entities are kept)."""
    for row in await conn.execute(select(samples.c.id, samples.c.data).where(samples.c.media_id == media_id)):
        await conn.execute(update(samples).where(samples.c.id == row.id).values(data=_without_quotes(row.data)))
