"""GET /v1/jobs (ext): a workspace's jobs, newest first, one page at a time (docs/api.md §2, Extensions).

The hosted API reads jobs one id at a time; listing them is what `conduit jobs list` and the web console need, so it
is an extension here. Paging works as for files: `limit`, and the opaque `nextCursor` of the previous page.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.responses import JSONResponse

from conduit_server.api import openapi as oa
from conduit_server.api import schemas
from conduit_server.api.deps import principal, query_limit, runtime
from conduit_server.domain import jobs as J
from conduit_server.domain.errors import ValidationFailed
from conduit_server.domain.views import job_json
from conduit_server.store import jobs as job_store
from conduit_server.store.accounts import Principal

router = APIRouter(prefix="/v1/jobs", tags=["jobs"])

STATUSES = (J.QUEUED, J.RUNNING, J.SUCCEEDED, J.FAILED, J.CANCELED)
JOB_LIST_QUERY = oa.parameters(
    oa.LIMIT, oa.CURSOR, oa.query("status", {"type": "string", "enum": list(STATUSES)}, "Only jobs with this status"),
)


@router.get("", responses=oa.responses(schemas.JobList, *oa.AUTHENTICATED, 422), openapi_extra=JOB_LIST_QUERY)
async def list_jobs(request: Request, who: Principal = Depends(principal)) -> JSONResponse:
    rt = runtime(request)
    q = request.query_params
    limit = query_limit(q.get("limit"))
    status = q.get("status")
    if status is not None and status not in STATUSES:
        raise ValidationFailed([("status", f"must be one of {', '.join(STATUSES)}")])
    async with rt.engine.connect() as conn:
        page = await job_store.list_page(conn, who.workspace_id, status=status, limit=limit, cursor=q.get("cursor"))
    return JSONResponse({"jobs": [job_json(r) for r in page.rows], "hasMore": page.has_more,
                         "nextCursor": page.next_cursor})
