"""/v1/matching: create matching jobs and read matchings (by id, by job)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from sqlalchemy import select
from starlette.responses import JSONResponse

from conduit_server.api import validation
from conduit_server.api.deps import json_body, principal, request_id, runtime
from conduit_server.api.idempotency import json_digest, resolve_key, run_idempotent
from conduit_server.domain import jobs as J
from conduit_server.domain.errors import ApiError, NotFound
from conduit_server.domain.views import matching_json
from conduit_server.jobs.delivery import policy_for
from conduit_server.jobs.submit import receipt, submit
from conduit_server.store import jobs as job_store
from conduit_server.store import media as media_store
from conduit_server.store.accounts import Principal
from conduit_server.store.tables import entities, matchings

router = APIRouter(prefix="/v1/matching", tags=["matching"])


@router.post("/jobs")
async def create_matching_job(request: Request, who: Principal = Depends(principal)) -> JSONResponse:
    rt = runtime(request)
    body = await json_body(request, max_bytes=rt.settings.max_json_bytes)
    key = resolve_key(request, body)
    digest = json_digest({k: v for k, v in body.items() if k != "idempotencyKey"})

    async def create() -> JSONResponse:
        req = validation.matching_request(body, policy_for(rt))
        now = rt.clock()
        async with rt.engine.begin() as conn:
            for subject in [req["target"], *req["group"]]:
                if subject["type"] == "entity_id":
                    found = (
                        await conn.execute(
                            select(entities.c.id).where(
                                entities.c.id == subject["entityId"], entities.c.workspace_id == who.workspace_id
                            )
                        )
                    ).first()
                    if found is None:
                        raise ApiError(f"Unknown entity {subject['entityId']}", code="unknown_entity", status=422)
                else:
                    media = await media_store.get(conn, subject["mediaId"], who.workspace_id)
                    if media is None or media.deleted_at is not None:
                        raise ApiError(f"Unknown media {subject['mediaId']}", code="unknown_media", status=422)
                    await media_store.touch(conn, media.id, now)
            row = await submit(
                conn, workspace_id=who.workspace_id, job_type=J.MATCHING_JOB, request=req, now=now,
                webhook=req["webhook"], label=req["label"], request_id=request_id(request),
            )
        return JSONResponse(receipt(row))

    return await run_idempotent(request, who, "POST /v1/matching/jobs", key, digest, create)  # type: ignore[return-value]


@router.get("/by-job/{job_id}")
async def matching_by_job(job_id: str, request: Request, who: Principal = Depends(principal)) -> JSONResponse:
    rt = runtime(request)
    async with rt.engine.connect() as conn:
        job = await job_store.get(conn, job_id, who.workspace_id)
        if job is None or job.type != J.MATCHING_JOB:
            raise NotFound("Job not found")
        row = (await conn.execute(select(matchings).where(matchings.c.job_id == job_id))).first()
    return JSONResponse(None if row is None else matching_json(row))


@router.get("/{matching_id}")
async def get_matching(matching_id: str, request: Request, who: Principal = Depends(principal)) -> JSONResponse:
    rt = runtime(request)
    async with rt.engine.connect() as conn:
        row = (
            await conn.execute(
                select(matchings).where(matchings.c.id == matching_id, matchings.c.workspace_id == who.workspace_id)
            )
        ).first()
    if row is None:
        raise NotFound("Matching not found")
    return JSONResponse(matching_json(row))
