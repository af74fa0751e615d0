"""/v1/reports: create report jobs, read reports (by id, by job) and their evidence (ext)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import JSONResponse

from conduit_server.api import openapi as oa
from conduit_server.api import report_schemas, schemas, validation
from conduit_server.api.deps import json_body, principal, request_id, runtime
from conduit_server.api.idempotency import json_digest, resolve_key, run_idempotent
from conduit_server.domain import jobs as J
from conduit_server.domain.errors import ApiError, NotFound
from conduit_server.domain.views import report_json
from conduit_server.jobs.delivery import policy_for
from conduit_server.jobs.submit import receipt, submit_report
from conduit_server.store import entities as entity_store
from conduit_server.store import jobs as job_store
from conduit_server.store import media as media_store
from conduit_server.store import reports as report_store
from conduit_server.store.accounts import Principal
from conduit_server.store.records import ReportRecord

router = APIRouter(prefix="/v1/reports", tags=["reports"])


@router.post("/jobs", responses=oa.responses(schemas.JobReceipt, *oa.JSON_BODY, *oa.IDEMPOTENT),
             openapi_extra=oa.body(report_schemas.ReportJobCreate, oa.IDEMPOTENCY_KEY))
async def create_report_job(request: Request, who: Principal = Depends(principal)) -> JSONResponse:
    rt = runtime(request)
    body = await json_body(request, max_bytes=rt.settings.max_json_bytes)
    key = resolve_key(request, body)
    digest = json_digest({k: v for k, v in body.items() if k != "idempotencyKey"})

    async def create() -> JSONResponse:
        req = validation.report_request(body, policy_for(rt))
        now = rt.clock()
        async with rt.engine.begin() as conn:
            media = await media_store.get(conn, req.media_id, who.workspace_id)
            if media is None or media.deleted_at is not None:
                raise ApiError(f"Unknown media {req.media_id}", code="unknown_media", status=422)
            row = await submit_report(conn, workspace_id=who.workspace_id, request=req, now=now,
                                      request_id=request_id(request), max_queued=rt.settings.max_queued_jobs)
        return JSONResponse(receipt(row))

    return await run_idempotent(request, who, "POST /v1/reports/jobs", key, digest, create)  # type: ignore[return-value]


async def _report_body(conn: Any, row: ReportRecord) -> dict[str, Any]:
    label, exists = None, False
    if row.entity_id:
        exists, label = await entity_store.label(conn, row.entity_id)
    return report_json(row, label, exists)


@router.get("/by-job/{job_id}", responses=oa.responses(report_schemas.Report | None, *oa.NOT_FOUND,
                                                         description="The report, or null while the job has none"))
async def report_by_job(job_id: str, request: Request, who: Principal = Depends(principal)) -> JSONResponse:
    rt = runtime(request)
    async with rt.engine.connect() as conn:
        job = await job_store.get(conn, job_id, who.workspace_id)
        if job is None or job.type != J.REPORT_JOB:
            raise NotFound("Job not found")
        row = await report_store.of_job(conn, job_id, who.workspace_id)
        if row is None:
            return JSONResponse(None)
        return JSONResponse(await _report_body(conn, row))


async def _owned_report(conn: Any, report_id: str, who: Principal) -> ReportRecord:
    row = await report_store.get(conn, report_id, who.workspace_id)
    if row is None:
        raise NotFound("Report not found")
    return row


@router.get("/{report_id}", responses=oa.responses(report_schemas.Report, *oa.NOT_FOUND))
async def get_report(report_id: str, request: Request, who: Principal = Depends(principal)) -> JSONResponse:
    async with runtime(request).engine.connect() as conn:
        return JSONResponse(await _report_body(conn, await _owned_report(conn, report_id, who)))


@router.get("/{report_id}/evidence", responses=oa.responses(report_schemas.ReportEvidence, *oa.NOT_FOUND))
async def get_evidence(report_id: str, request: Request, who: Principal = Depends(principal)) -> JSONResponse:
    async with runtime(request).engine.connect() as conn:
        return JSONResponse((await _owned_report(conn, report_id, who)).evidence)
