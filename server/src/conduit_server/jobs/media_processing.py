"""Media processing, once per file: decode + diarize + transcribe (the speech pipeline), then assign each speaker
to an entity. Serialised per media by a PostgreSQL advisory lock, so a report job that needs the media and the
upload's own processing task never run the pipeline twice; a killed worker releases the lock with its session."""

from __future__ import annotations

import asyncio
import logging
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from conduit_server.domain.ids import new_id
from conduit_server.pipeline.types import Aborted, MediaAnalysis, MediaError
from conduit_server.runtime import Runtime
from conduit_server.store import entities as entity_store
from conduit_server.store import media as media_store
from conduit_server.store.db import is_connection_error
from conduit_server.store.records import MediaRecord
from conduit_server.targeting.entities import DEFAULT_ENTITY_THRESHOLD, assign_speakers, update_centroid
from conduit_server.telemetry.instruments import record_pipeline

log = logging.getLogger(__name__)

# (stage, fraction) -> None; called from the pipeline's thread
StageHook = Callable[[str, float], None]


def entity_threshold(rt: Runtime) -> float:
    return rt.settings.entity_threshold if rt.settings.entity_threshold is not None else DEFAULT_ENTITY_THRESHOLD


async def ensure_processed(
    rt: Runtime, media_id: str, *, hook: StageHook | None = None, should_abort: Callable[[], bool] | None = None
) -> MediaRecord | None:
    """Process the media unless done; return its row afterwards (COMPLETED or FAILED, or None if it is gone)."""
    async with rt.engine.connect() as lock_conn:
        await media_store.lock_processing(lock_conn, media_id)
        try:
            row = await media_store.get_any(lock_conn, media_id)
            await lock_conn.commit()
            if row is None or row.processing_status in ("COMPLETED", "FAILED") or row.deleted_at is not None:
                return row
            await _process(rt, row, hook, should_abort)
            async with rt.engine.connect() as conn:
                return await media_store.get_any(conn, media_id)
        finally:
            await media_store.unlock_processing(lock_conn, media_id)
            await lock_conn.commit()


async def _set_status(rt: Runtime, media_id: str, **values: Any) -> None:
    async with rt.engine.begin() as conn:
        # issue 6: if the lock's session died (database restart) a second run may have finished the media
        # meanwhile; never overwrite a COMPLETED result
        await media_store.set_processing_state(conn, media_id, **values)


async def _process(rt: Runtime, row: MediaRecord, hook: StageHook | None,
                   should_abort: Callable[[], bool] | None) -> None:
    await _set_status(rt, row.id, processing_status="PROCESSING")
    with tempfile.TemporaryDirectory(prefix="media-", dir=rt.scratch.dir()) as tmp:  # swept if we die
        path = Path(tmp) / "media"
        try:
            if row.storage_key is None:  # never stored: as missing as a lost blob
                raise FileNotFoundError(row.id)
            await rt.blobs.get_to_file(row.storage_key, path)
        except FileNotFoundError:
            await _set_status(rt, row.id, processing_status="FAILED",
                              error={"code": "invalid_media", "message": "The stored media is missing"})
            return
        pipeline = rt.pipeline()
        started = time.monotonic()
        try:
            analysis: MediaAnalysis = await asyncio.to_thread(pipeline.run, path, hook, should_abort)
        except Aborted:
            await _set_status(rt, row.id, processing_status="PENDING")
            raise
        except MediaError as exc:
            await _set_status(rt, row.id, processing_status="FAILED", error={"code": exc.code, "message": exc.message})
            return
        except Exception as exc:
            if is_connection_error(exc):  # issue 6: transient; the queue retries the task
                raise
            log.exception("media processing failed for %s", row.id)
            await _set_status(rt, row.id, processing_status="FAILED",
                              error={"code": "processing_failed", "message": "Media processing failed"})
            return
    record_pipeline(analysis.stage_seconds, analysis.duration_seconds, time.monotonic() - started)
    now = rt.clock()
    async with rt.engine.begin() as conn:
        # issue 6: another run (its lock lost with a database restart) may have completed it first
        if not await media_store.complete(conn, row.id, analysis.to_json(), analysis.duration_seconds):
            return
        if not row.internal:  # psychometrics uploads create no entities (docs/api.md §3.6)
            await assign_entities(conn, rt, row.workspace_id, row.id, analysis, now)


async def assign_entities(conn: AsyncConnection, rt: Runtime, workspace_id: str, media_id: str,
                          analysis: MediaAnalysis, now: datetime) -> None:
    """docs/api.md §16(i): each speaker joins the most similar entity above the threshold, else a new one."""
    # serialise entity updates per workspace so two media never both create "the same" new voice
    await entity_store.lock_workspace(conn, workspace_id)
    prints = {s.index: s.voiceprint for s in analysis.speakers if s.voiceprint}
    known = await entity_store.centroids(conn, workspace_id)
    assignment = assign_speakers(prints, {k: v[0] for k, v in known.items()}, threshold=entity_threshold(rt))
    for index in sorted(assignment):
        entity_id = assignment[index]
        voiceprint = prints[index]
        if entity_id is None:
            entity_id = new_id("ent_")
            await entity_store.create(conn, entity_id, workspace_id, list(update_centroid((), 0, voiceprint)), now)
        else:
            centroid, count = known[entity_id]
            await entity_store.add_voice(conn, entity_id, list(update_centroid(centroid, count, voiceprint)), count + 1,
                                         now)
        await entity_store.link_speaker(conn, media_id, index, entity_id)
