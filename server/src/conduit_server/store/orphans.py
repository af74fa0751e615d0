"""Sweep of orphan media bytes: objects in the blob store that no media row references.

An upload stores its bytes before its row is written; when that transaction fails the upload deletes them
(api/files.py), but a process killed in between leaves them behind. Run at worker start-up; only objects
older than ORPHAN_AGE are touched, so an upload in flight is never swept."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select

from conduit_server.runtime import Runtime
from conduit_server.store.tables import media

log = logging.getLogger(__name__)

ORPHAN_AGE = timedelta(hours=1)


async def sweep_orphan_blobs(rt: Runtime) -> int:
    """Delete objects older than ORPHAN_AGE that no media row (deleted, purged or not) names; return how many."""
    cutoff = rt.clock() - ORPHAN_AGE
    removed = 0
    async for page in rt.blobs.list_batches():
        old = [key for key, modified in page if modified < cutoff]
        if not old:
            continue
        async with rt.engine.connect() as conn:
            known = set((await conn.execute(select(media.c.storage_key).where(media.c.storage_key.in_(old))))
                        .scalars())
        for key in old:
            if key not in known:
                await rt.blobs.delete(key)
                removed += 1
    if removed:
        log.warning("deleted %d stored recordings that no media row referenced", removed)
    return removed
