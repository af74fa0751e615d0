"""Console pages for reports: a new report (upload a recording, pick template and target, start it: the same
upload, validation and job submission as POST /v1/files + POST /v1/reports/jobs), a job's report with every
statement clickable, and one statement's evidence (the measurements and transcript quotes behind it)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import RedirectResponse, Response

from conduit_server.api import validation
from conduit_server.api.deps import request_id, runtime
from conduit_server.api.files import store_upload
from conduit_server.api.upload_guard import admitted
from conduit_server.api.uploads import UploadedForm, read_form
from conduit_server.console.auth import CSRF_HEADER, Console, check_csrf, console_session
from conduit_server.console.pages import render
from conduit_server.console.report_view import claim_evidence, report_view
from conduit_server.domain import jobs as J
from conduit_server.domain.errors import ApiError, NotFound, ValidationFailed
from conduit_server.jobs.delivery import policy_for
from conduit_server.jobs.submit import submit_report
from conduit_server.store import jobs as job_store
from conduit_server.store import reports as report_store

router = APIRouter(prefix="/console", include_in_schema=False)

FIELDS = ("csrf", "label", "template", "strategy", "hint", "speaker_index", "webhook_url")
STRATEGIES = ("dominant", "magic_hint", "speaker_index")


def _form_values(form: UploadedForm | None = None) -> dict[str, str]:
    values = {"label": "", "template": validation.TEMPLATES[0], "strategy": "dominant", "hint": "",
              "speaker_index": "0", "webhook_url": ""}
    if form is not None:
        values.update({k: v.strip() for k, v in form.fields.items() if k in values})
    return values


def _new_page(request: Request, console: Console, *, values: dict[str, str], errors: list[str] | None = None,
              status: int = 200) -> Response:
    return render(request, "new_report.html", http_status=status, console=console, values=values, errors=errors or [],
                  templates=validation.TEMPLATES, strategies=STRATEGIES)


def _report_body(values: dict[str, str]) -> dict[str, Any]:
    """The form as a POST /v1/reports/jobs body (its mediaId filled in once the upload is stored)."""
    target: dict[str, Any] = {"strategy": values["strategy"]}
    if values["strategy"] == "magic_hint":
        target["hint"] = values["hint"]
    elif values["strategy"] == "speaker_index":
        target["speaker_index"] = int(values["speaker_index"]) if values["speaker_index"].isdigit() else -1
    body: dict[str, Any] = {"media": {"mediaId": "pending"}, "output": {"template": values["template"]},
                            "target": target}
    if values["webhook_url"]:
        body["webhook"] = {"url": values["webhook_url"]}
    if values["label"]:
        body["label"] = values["label"][:64]
    return body


@router.get("/reports/new", response_model=None)
async def new_report_form(request: Request, console: Console = Depends(console_session)) -> Response:
    return _new_page(request, console, values=_form_values())


@router.post("/reports/new", response_model=None)
async def new_report(request: Request, console: Console = Depends(console_session)) -> Response:
    rt = runtime(request)
    who = console.who
    if request.headers.get(CSRF_HEADER) is not None:  # checked before the body when sent as a header
        check_csrf(console, request.headers.get(CSRF_HEADER))
    with admitted(request, who):
        form = await read_form(request, max_file_bytes=rt.settings.max_upload_bytes, tmp_dir=rt.scratch.dir(),
                               known_fields=FIELDS)
        try:
            check_csrf(console, form.fields.get("csrf"))
            values = _form_values(form)
            try:
                req = validation.report_request(_report_body(values), policy_for(rt))
            except ValidationFailed as exc:
                issues = (exc.details or {}).get("issues", [])
                errors = [f"{i.get('path')}: {i.get('message')}" for i in issues] or [exc.message]
                return _new_page(request, console, values=values, errors=errors, status=422)
            if not form.size:
                return _new_page(request, console, values=values, errors=["Choose a recording to upload."],
                                 status=422)
            try:
                row = await store_upload(rt, who, form, values["label"] or _file_label(form), source="MANUAL_UPLOAD")
            except ApiError as exc:
                return _new_page(request, console, values=values, errors=[exc.message], status=exc.status)
        finally:
            form.cleanup()
    req = replace(req, media_id=row.id)
    now = rt.clock()
    async with rt.engine.begin() as conn:
        job = await submit_report(conn, workspace_id=who.workspace_id, request=req, now=now,
                                  request_id=request_id(request), max_queued=rt.settings.max_queued_jobs)
    return RedirectResponse(f"/console/jobs/{job.id}", status_code=303)


def _file_label(form: UploadedForm) -> str:
    name = (form.filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    return (name.split(".")[0].strip() or "upload")[:256]


@router.get("/jobs/{job_id}/report", response_model=None)
async def report_page(job_id: str, request: Request, console: Console = Depends(console_session)) -> Response:
    async with runtime(request).engine.connect() as conn:
        job = await job_store.get(conn, job_id, console.workspace_id)
        if job is None or job.type != J.REPORT_JOB:
            raise NotFound("Job not found")
        report = await report_store.of_job(conn, job_id, console.workspace_id)
    view = None if report is None else report_view(report.json, report.evidence)
    return render(request, "report.html", console=console, job=job, report=report, view=view)


@router.get("/reports/{report_id}/claims/{index}", response_model=None)
async def claim(report_id: str, index: int, request: Request, console: Console = Depends(console_session)) -> Response:
    """One statement's evidence: an htmx fragment for the report page's side panel."""
    async with runtime(request).engine.connect() as conn:
        report = await report_store.get(conn, report_id, console.workspace_id)
    found = None if report is None else claim_evidence(report.evidence, index)
    if report is None or found is None:
        raise NotFound("No such statement")
    statement, indicators = found
    return render(request, "_evidence.html", console=console, report=report, claim=statement,
                  indicators=indicators, metrics=report.evidence.get("metrics", {}))
