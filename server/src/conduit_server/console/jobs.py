"""Console pages for jobs: the workspace's job list (filter by status, live refresh by htmx polling), one job
with its stage progress and webhook events, and cancel (the same transitions as POST /v1/jobs/{id}/cancel)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import RedirectResponse, Response

from conduit_server.api.deps import runtime
from conduit_server.console.auth import Console, Posted, console_session, posted
from conduit_server.console.pages import render
from conduit_server.domain import jobs as J
from conduit_server.domain.errors import NotFound
from conduit_server.jobs.lifecycle import cancel as cancel_job
from conduit_server.store import jobs as job_store
from conduit_server.store import outbox

router = APIRouter(prefix="/console/jobs", include_in_schema=False)

STATUSES = (J.QUEUED, J.RUNNING, J.SUCCEEDED, J.FAILED, J.CANCELED)
PAGE_SIZE = 50


def _status_filter(raw: str | None) -> str | None:
    return raw if raw in STATUSES else None


async def _page(request: Request, console: Console) -> dict[str, Any]:
    status = _status_filter(request.query_params.get("status"))
    cursor = request.query_params.get("cursor") or None
    async with runtime(request).engine.connect() as conn:
        page = await job_store.list_page(conn, console.workspace_id, status=status, limit=PAGE_SIZE, cursor=cursor)
    return {"jobs": page.rows, "status": status, "statuses": STATUSES, "next_cursor": page.next_cursor,
            "terminal": J.TERMINAL}


@router.get("", response_model=None)
async def job_list(request: Request, console: Console = Depends(console_session)) -> Response:
    return render(request, "jobs.html", console=console, **await _page(request, console))


@router.get("/rows", response_model=None)
async def job_rows(request: Request, console: Console = Depends(console_session)) -> Response:
    """The list's rows alone: what the page's htmx polling swaps in."""
    return render(request, "_job_rows.html", console=console, **await _page(request, console))


async def _job(request: Request, console: Console, job_id: str) -> Any:
    async with runtime(request).engine.connect() as conn:
        row = await job_store.get(conn, job_id, console.workspace_id)
        if row is None:
            raise NotFound("Job not found")
        events = (await outbox.list_page(conn, console.workspace_id, job_id=job_id, limit=20, cursor=None)).rows
    return row, events


@router.get("/{job_id}", response_model=None)
async def job_page(job_id: str, request: Request, console: Console = Depends(console_session)) -> Response:
    job, events = await _job(request, console, job_id)
    return render(request, "job.html", console=console, job=job, events=events, terminal=J.TERMINAL,
                  stages=J.STAGE_ORDER)


@router.get("/{job_id}/panel", response_model=None)
async def job_panel(job_id: str, request: Request, console: Console = Depends(console_session)) -> Response:
    """The job's status and progress alone, polled by the job page until the job is terminal."""
    job, _ = await _job(request, console, job_id)
    return render(request, "_job_panel.html", console=console, job=job, terminal=J.TERMINAL)


@router.post("/{job_id}/cancel", response_model=None)
async def cancel(job_id: str, request: Request, form: Posted = Depends(posted)) -> Response:
    rt = runtime(request)
    now = rt.clock()
    async with rt.engine.begin() as conn:
        row = await cancel_job(conn, job_id, form.console.workspace_id, now, rt.settings)
    if row is None:
        raise NotFound("Job not found")
    rt.events.publish(job_id)
    back = form.text("back")
    return RedirectResponse(back if back.startswith("/console/") and not back.startswith("//")
                            else f"/console/jobs/{job_id}", status_code=303)
