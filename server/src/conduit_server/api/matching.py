"""/v1/matching: create matching jobs and read matchings (by id, by job)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from fastapi import APIRouter, Depends, Request
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.responses import JSONResponse

from conduit_server.api import openapi as oa
from conduit_server.api import report_schemas, schemas, validation
from conduit_server.api.deps import json_body, principal, request_id, runtime
from conduit_server.api.idempotency import json_digest, resolve_key, run_idempotent
from conduit_server.domain import jobs as J
from conduit_server.domain.errors import ApiError, NotFound
from conduit_server.domain.requests import EntityRef, MediaTargetRef, SubjectRef
from conduit_server.domain.views import matching_json
from conduit_server.jobs.delivery import policy_for
from conduit_server.jobs.submit import receipt, submit
from conduit_server.store import entities as entity_store
from conduit_server.store import jobs as job_store
from conduit_server.store import matchings as matching_store
from conduit_server.store import media as media_store
from conduit_server.store.accounts import Principal

router = APIRouter(prefix="/v1/matching", tags=["matching"])


@router.post("/jobs", responses=oa.responses(schemas.JobReceipt, *oa.JSON_BODY, *oa.IDEMPOTENT),
             openapi_extra=oa.body(report_schemas.MatchingJobCreate, oa.IDEMPOTENCY_KEY))
async def create_matching_job(request: Request, who: Principal = Depends(principal)) -> JSONResponse:
    rt = runtime(request)
    body = await json_body(request, max_bytes=rt.settings.max_json_bytes)
    key = resolve_key(request, body)
    digest = json_digest({k: v for k, v in body.items() if k != "idempotencyKey"})

    async def create() -> JSONResponse:
        req = validation.matching_request(body, policy_for(rt))
        now = rt.clock()
        async with rt.engine.begin() as conn:
            await _check_subjects(conn, who.workspace_id, req.subjects, now)
            row = await submit(conn, workspace_id=who.workspace_id, request=req, now=now,
                               request_id=request_id(request), max_queued=rt.settings.max_queued_jobs)
        return JSONResponse(receipt(row))

    return await run_idempotent(request, who, "POST /v1/matching/jobs", key, digest, create)  # type: ignore[return-value]


async def _check_subjects(conn: AsyncConnection, workspace_id: str, subjects: Sequence[SubjectRef],
                          now: datetime) -> None:
    """422 for the first subject whose entity or media is unknown, then refresh the media's lastUsedAt. One query
    per kind whatever the group size, each id once, and only ids are read (never a media's analysis)."""
    entity_ids = {s.entity_id for s in subjects if isinstance(s, EntityRef)}
    media_ids = {s.media_id for s in subjects if isinstance(s, MediaTargetRef)}
    known_entities = await entity_store.known_ids(conn, workspace_id, entity_ids)
    live_media = await media_store.live_ids(conn, workspace_id, media_ids)
    for subject in subjects:
        if isinstance(subject, EntityRef) and subject.entity_id not in known_entities:
            raise ApiError(f"Unknown entity {subject.entity_id}", code="unknown_entity", status=422)
        if isinstance(subject, MediaTargetRef) and subject.media_id not in live_media:
            raise ApiError(f"Unknown media {subject.media_id}", code="unknown_media", status=422)
    if live_media:
        await media_store.touch_many(conn, live_media, now)


@router.get("/by-job/{job_id}", responses=oa.responses(report_schemas.Matching | None, *oa.NOT_FOUND,
                                                         description="The matching, or null while the job has none"))
async def matching_by_job(job_id: str, request: Request, who: Principal = Depends(principal)) -> JSONResponse:
    rt = runtime(request)
    async with rt.engine.connect() as conn:
        job = await job_store.get(conn, job_id, who.workspace_id)
        if job is None or job.type != J.MATCHING_JOB:
            raise NotFound("Job not found")
        row = await matching_store.of_job(conn, job_id, who.workspace_id)
    return JSONResponse(None if row is None else matching_json(row))


@router.get("/{matching_id}", responses=oa.responses(report_schemas.Matching, *oa.NOT_FOUND))
async def get_matching(matching_id: str, request: Request, who: Principal = Depends(principal)) -> JSONResponse:
    rt = runtime(request)
    async with rt.engine.connect() as conn:
        row = await matching_store.get(conn, matching_id, who.workspace_id)
    if row is None:
        raise NotFound("Matching not found")
    return JSONResponse(matching_json(row))
