"""/v2/psychometrics: synchronous HEXACO-style estimates for one speaker of an uploaded recording (docs/api.md §3.6).

The upload is processed by a worker like any media (the API process never loads models); the request waits for
it with a deadline. The media is internal: not listed in /v1/files and it creates no entities.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import JSONResponse

from conduit_server.analysis import build_behavior_map, estimate_psychometrics, measure_sample, quality
from conduit_server.api import openapi as oa
from conduit_server.api import schemas
from conduit_server.api.deps import principal, runtime
from conduit_server.api.idempotency import header_key, run_idempotent
from conduit_server.api.upload_guard import upload_admission
from conduit_server.api.uploads import probe_upload, read_form
from conduit_server.domain.clock import iso
from conduit_server.domain.errors import ApiError, NotFound, ValidationFailed
from conduit_server.domain.ids import new_id
from conduit_server.jobs import recordings
from conduit_server.pipeline.types import MediaAnalysis
from conduit_server.store import media as media_store
from conduit_server.store import psychometrics as psychometrics_store
from conduit_server.store.accounts import Principal
from conduit_server.store.queue import TASK_PROCESS_MEDIA, defer_analysis
from conduit_server.store.records import MediaRecord
from conduit_server.targeting.target import parse_target_selector, select_target

router = APIRouter(prefix="/v2/psychometrics", tags=["psychometrics"])

WAIT_SECONDS = recordings.REQUEST_WAIT.total_seconds()


def _selector(fields: dict[str, str]) -> dict[str, Any]:
    strategy = (fields.get("strategy") or "dominant").strip()
    if strategy not in ("dominant", "magic_hint"):
        raise ValidationFailed([("strategy", "must be dominant or magic_hint")])
    wire: dict[str, Any] = {"strategy": strategy}
    if strategy == "magic_hint":
        hint = fields.get("hint") or ""
        if not hint.strip() or len(hint) > 1024:
            raise ValidationFailed([("hint", "is required for magic_hint (1-1024 characters)")])
        wire["hint"] = hint
    return wire


@router.post("", responses=oa.responses(schemas.PsychometricsResult, *oa.AUTHENTICATED, *oa.IDEMPOTENT, 413, 415),
             openapi_extra=oa.form(schemas.PsychometricsForm, oa.IDEMPOTENCY_KEY))
async def create(request: Request, who: Principal = Depends(upload_admission)) -> JSONResponse:
    rt = runtime(request)
    form = await read_form(request, max_file_bytes=rt.settings.max_upload_bytes, tmp_dir=rt.scratch.dir(),
                           known_fields=("strategy", "hint"))
    try:
        wire = _selector(form.fields)
        digest = hashlib.sha256(f"{wire}\n{form.sha256}".encode()).hexdigest()

        async def run() -> JSONResponse:
            return await _analyse(request, who, form, wire)

        return await run_idempotent(request, who, "POST /v2/psychometrics", header_key(request), digest, run)  # type: ignore[return-value]
    finally:
        form.cleanup()


async def _analyse(request: Request, who: Principal, form: Any, wire: dict[str, Any]) -> JSONResponse:
    rt = runtime(request)
    if form.size == 0:
        raise ApiError("The uploaded file is empty", code="invalid_media", status=422)
    probe = await probe_upload(form, max_seconds=rt.settings.max_media_seconds)
    now = rt.clock()
    media_id = new_id("med_")
    key = f"{who.workspace_id}/{media_id}"
    async with rt.engine.begin() as conn:  # the row first: a recording in storage always has one to sweep it by
        await media_store.insert_upload(
            conn, id=media_id, workspace_id=who.workspace_id, label="psychometrics", content_type=probe.content_type,
            size_bytes=form.size, duration_seconds=probe.duration_seconds, source="SDK",
            created_by_api_key_id=who.api_key_id, created_by_user_id=who.user_id, storage_key=key,
            sha256=form.sha256, processing_status="PENDING", internal=True, created_at=now, last_used_at=now,
            deleted_at=None,
        )
    try:
        await rt.blobs.put_file(key, form.file_path)
        async with rt.engine.begin() as conn:
            await defer_analysis(conn, TASK_PROCESS_MEDIA, {"media_id": media_id}, workspace_id=who.workspace_id)
        row = await _wait_processed(rt, media_id)
        if row.processing_status != "COMPLETED" or row.analysis is None:
            error = row.error or {"code": "invalid_media", "message": "The media could not be processed"}
            raise ApiError(error["message"], code=error["code"], status=422)
        analysis = MediaAnalysis.from_json(row.analysis)
        selection = select_target(analysis, parse_target_selector(wire), threshold=1.0)
        if selection.speaker_index is None:
            raise ApiError("Could not identify target speaker", code="target_not_found", status=422)
        speaker = analysis.speaker(selection.speaker_index)
        if speaker.speech_seconds < rt.settings.min_speech_seconds:
            raise ApiError("The selected speaker has too little speech", code="insufficient_speech", status=422)
        sample = measure_sample(analysis, speaker.index)
        scores = estimate_psychometrics(build_behavior_map([sample]))
        created = rt.clock()
        analysis_id = new_id("ana_")
        result: dict[str, Any] = {
            "analysisId": analysis_id,
            "createdAt": iso(created),
            "expiresAt": iso(created + timedelta(days=rt.settings.psychometrics_ttl_days)),
            "psychometrics": scores,
            "selectedSpeaker": {"speakerIndex": speaker.index, "strategy": selection.strategy_used},
            "quality": quality(target_seconds=speaker.speech_seconds, target_utterances=speaker.utterance_count,
                               source_seconds=analysis.duration_seconds,
                               segment_count=len(analysis.utterances)),
        }
        async with rt.engine.begin() as conn:
            await psychometrics_store.insert(conn, analysis_id, who.workspace_id, result, created,
                                             created + timedelta(days=rt.settings.psychometrics_ttl_days))
        return JSONResponse(result)
    finally:  # the recording is not kept, whatever the outcome (a timeout, the client gone): jobs/recordings.py
        await recordings.discard(rt, media_id, key)


async def _wait_processed(rt: Any, media_id: str) -> MediaRecord:
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        async with rt.engine.connect() as conn:
            row = await media_store.get(conn, media_id)
        if row is not None and row.processing_status in ("COMPLETED", "FAILED"):
            return row
        if time.monotonic() > deadline:
            raise ApiError("Analysis did not finish in time", code="unavailable", status=503,
                           headers={"Retry-After": "30"})
        await asyncio.sleep(0.5)


@router.get("/{analysis_id}", responses=oa.responses(schemas.PsychometricsResult, *oa.NOT_FOUND))
async def get(analysis_id: str, request: Request, who: Principal = Depends(principal)) -> JSONResponse:
    rt = runtime(request)
    async with rt.engine.connect() as conn:
        result = await psychometrics_store.live_result(conn, analysis_id, who.workspace_id, rt.clock())
    if result is None:
        raise NotFound("Analysis not found")
    return JSONResponse(result)
