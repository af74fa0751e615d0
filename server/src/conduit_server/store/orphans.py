"""Sweep of orphan media bytes: objects in the blob store that no media row references.

An upload stores its bytes before its row is written; when that transaction fails the upload deletes them
(api/files.py), but a process killed in between leaves them behind. Run at worker start-up; only objects
older than ORPHAN_AGE are touched, so an upload in flight is never swept."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from conduit_server.store.blobs import BlobStore
from conduit_server.store.tables import media

log = logging.getLogger(__name__)

ORPHAN_AGE = timedelta(hours=1)


async def sweep_orphan_blobs(engine: AsyncEngine, blobs: BlobStore, now: datetime) -> int:
    """Delete objects older than ORPHAN_AGE at `now` that no media row (deleted, purged or not) names; return how
    many. Takes the engine and blob store, not the Runtime: the store layer never imports the layers above it."""
    cutoff = now - ORPHAN_AGE
    removed = 0
    async for page in blobs.list_batches():
        old = [key for key, modified in page if modified < cutoff]
        if not old:
            continue
        async with engine.connect() as conn:
            known = set((await conn.execute(select(media.c.storage_key).where(media.c.storage_key.in_(old))))
                        .scalars())
        for key in old:
            if key not in known:
                await blobs.delete(key)
                removed += 1
    if removed:
        log.warning("deleted %d stored recordings that no media row referenced", removed)
    return removed
