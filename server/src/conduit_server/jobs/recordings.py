"""Recordings sent to /v2/psychometrics are not kept (docs/api.md §3.6): the request removes its recording when it
ends, however it ends. A request that died with its process cannot, so the workers' maintenance pass (first run
at start-up) removes every recording older than the longest a request can wait for its analysis."""

from __future__ import annotations

from datetime import timedelta

from conduit_server.runtime import Runtime
from conduit_server.store import media as media_store

REQUEST_WAIT = timedelta(minutes=10)  # how long a /v2/psychometrics request waits for its analysis
ABANDONED_AFTER = REQUEST_WAIT + timedelta(minutes=5)


async def discard(rt: Runtime, media_id: str, storage_key: str | None) -> None:
    """Soft-delete the recording's row and delete its bytes (if it has any)."""
    async with rt.engine.begin() as conn:
        await media_store.soft_delete(conn, media_id, rt.clock())
    if storage_key:
        await rt.blobs.delete(storage_key)


async def sweep_abandoned(rt: Runtime) -> int:
    """Discard the recordings whose request is gone; returns how many."""
    cutoff = rt.clock() - ABANDONED_AFTER
    async with rt.engine.connect() as conn:
        rows = await media_store.abandoned_recordings(conn, cutoff)
    for row in rows:
        await discard(rt, row.id, row.storage_key)
    return len(rows)
