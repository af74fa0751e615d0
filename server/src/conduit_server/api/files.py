"""/v1/files: streamed uploads, listing, detail with speakers and transcript, soft delete, retention lock."""

from __future__ import annotations

import hashlib
from pathlib import PurePosixPath
from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import JSONResponse

from conduit_server.api import openapi as oa
from conduit_server.api import schemas
from conduit_server.api.deps import json_body, principal, query_limit, runtime
from conduit_server.api.idempotency import header_key, run_idempotent
from conduit_server.api.upload_guard import upload_admission
from conduit_server.api.uploads import UploadedForm, probe_upload, read_form
from conduit_server.domain.clock import iso, parse_iso
from conduit_server.domain.errors import Gone, NotFound, ValidationFailed
from conduit_server.domain.ids import new_id
from conduit_server.domain.views import file_json, upload_json
from conduit_server.runtime import Runtime
from conduit_server.store import media as media_store
from conduit_server.store.accounts import Principal
from conduit_server.store.queue import TASK_PROCESS_MEDIA, defer_analysis

router = APIRouter(prefix="/v1/files", tags=["files"])


def _label(raw: str | None, filename: str | None) -> str:
    label = (raw or "").strip()
    if not label and filename:
        name = PurePosixPath(filename.replace("\\", "/").replace("\x00", "")).name
        label = name.split(".")[0].strip() if name else ""
    return (label or "upload")[:256]


@router.post("", responses=oa.responses(schemas.Upload, *oa.AUTHENTICATED, *oa.IDEMPOTENT, 413, 415),
             openapi_extra=oa.form(schemas.UploadForm, oa.IDEMPOTENCY_KEY))
async def upload(request: Request, who: Principal = Depends(upload_admission)) -> JSONResponse:
    rt = runtime(request)
    key = header_key(request)
    form = await read_form(request, max_file_bytes=rt.settings.max_upload_bytes, tmp_dir=rt.scratch.dir(),
                           known_fields=("label",))
    try:
        label = _label(form.fields.get("label"), form.filename)
        digest = hashlib.sha256(f"{label}\n{form.sha256}".encode()).hexdigest()

        async def create() -> JSONResponse:
            return await _store_upload(request, who, form, label, source="SDK")

        return await run_idempotent(request, who, "POST /v1/files", key, digest, create)  # type: ignore[return-value]
    finally:
        form.cleanup()


async def _store_upload(request: Request, who: Principal, form: Any, label: str, *, source: str) -> JSONResponse:
    return JSONResponse(upload_json(await store_upload(runtime(request), who, form, label, source=source)))


async def store_upload(rt: Runtime, who: Principal, form: UploadedForm, label: str, *, source: str) -> Any:
    """Keep an uploaded form's file: probe it (415/422), put its bytes in the blob store, write the media row and
    queue its processing; returns the row. The API and the web console's upload (console/reports.py) share it."""
    now = rt.clock()
    media_id = new_id("med_")
    status, content_type, duration, error = "PENDING", "application/octet-stream", None, None
    if form.size == 0:
        status, error = "FAILED", {"code": "invalid_media", "message": "The uploaded file is empty"}
    else:
        probe = await probe_upload(form, max_seconds=rt.settings.max_media_seconds)
        content_type, duration = probe.content_type, probe.duration_seconds
    storage_key = f"{who.workspace_id}/{media_id}"
    if form.size and form.file_path is not None:
        await rt.blobs.put_file(storage_key, form.file_path)
    try:
        async with rt.engine.begin() as conn:
            row = await media_store.insert_upload(
                conn, id=media_id, workspace_id=who.workspace_id, label=label, content_type=content_type,
                size_bytes=form.size, duration_seconds=duration, source=source,
                created_by_api_key_id=who.api_key_id, created_by_user_id=who.user_id,
                storage_key=storage_key if form.size else None, sha256=form.sha256,
                processing_status=status, error=error, created_at=now, last_used_at=now,
            )
            if status == "PENDING":
                await defer_analysis(conn, TASK_PROCESS_MEDIA, {"media_id": media_id},
                                     workspace_id=who.workspace_id)
    except BaseException:  # no row was written (a quota, the database, the client gone): the bytes go too
        if form.size:
            await rt.blobs.delete(storage_key)  # what this misses, store/orphans.py sweeps at start-up
        raise
    return row


async def _visible(conn: Any, media_id: str, who: Principal) -> Any:
    row = await media_store.get(conn, media_id, who.workspace_id)
    if row is None:
        raise NotFound("File not found")
    if row.deleted_at is not None:
        raise Gone(iso(row.deleted_at) or "")
    return row


@router.get("", responses=oa.responses(schemas.FileList, *oa.AUTHENTICATED, 422), openapi_extra=oa.FILE_LIST_QUERY)
async def list_files(request: Request, who: Principal = Depends(principal)) -> JSONResponse:
    rt = runtime(request)
    q = request.query_params
    limit = query_limit(q.get("limit"))
    include_deleted = q.get("includeDeleted", "false").lower()
    if include_deleted not in ("true", "false"):
        raise ValidationFailed([("includeDeleted", "must be true or false")])
    created_after = None
    if q.get("createdAfter"):
        try:
            created_after = parse_iso(q["createdAfter"])
        except ValueError:
            raise ValidationFailed([("createdAfter", "must be an ISO-8601 timestamp")]) from None
    search = q.get("search")
    if search is not None and not 1 <= len(search) <= 200:
        raise ValidationFailed([("search", "must be 1-200 characters")])
    now = rt.clock()
    async with rt.engine.connect() as conn:
        page = await media_store.list_page(
            conn, who.workspace_id, limit=limit, cursor=q.get("cursor"), include_deleted=include_deleted == "true",
            created_after=created_after, created_by_user_id=q.get("createdByUserId"), search=search,
        )
        with_reports = await media_store.reports_exist(conn, [r.id for r in page.rows])
    files = [
        file_json(r, retention_days=rt.settings.retention_days, now=now, has_reports=r.id in with_reports)
        for r in page.rows
    ]
    return JSONResponse({"files": files, "hasMore": page.has_more, "nextCursor": page.next_cursor})


@router.get("/{media_id}", responses=oa.responses(schemas.FileDetail, *oa.NOT_FOUND, gone=True))
async def get_file(media_id: str, request: Request, who: Principal = Depends(principal)) -> JSONResponse:
    rt = runtime(request)
    async with rt.engine.connect() as conn:
        row = await _visible(conn, media_id, who)
        body = file_json(row, retention_days=rt.settings.retention_days, now=rt.clock(),
                         has_reports=await media_store.has_reports(conn, row.id))
        body["speakers"], body["transcription"] = await media_store.speakers_view(conn, row)
    if row.error and row.processing_status == "FAILED":
        body["error"] = row.error  # ext: why processing failed
    return JSONResponse(body)


@router.get("/{media_id}/speakers", responses=oa.responses(schemas.MediaSpeakers, *oa.NOT_FOUND, gone=True))
async def get_speakers(media_id: str, request: Request, who: Principal = Depends(principal)) -> JSONResponse:
    rt = runtime(request)
    async with rt.engine.connect() as conn:
        row = await _visible(conn, media_id, who)
    speakers: list[dict[str, Any]] = []
    if row.processing_status == "COMPLETED" and row.analysis:
        for s in row.analysis["speakers"]:
            words = [u["text"] for u in row.analysis["utterances"] if u["speaker_index"] == s["index"]]
            speakers.append({"speakerIndex": s["index"], "speechSeconds": round(s["speech_seconds"], 3),
                             "transcript": " ".join(words)})
    duration = None if row.duration_seconds is None else round(row.duration_seconds, 3)
    return JSONResponse({"mediaId": row.id, "status": row.processing_status, "durationSeconds": duration,
                         "speakers": speakers})


@router.delete("/{media_id}", responses=oa.responses(schemas.FileDeleted, *oa.NOT_FOUND, *oa.IDEMPOTENT),
               openapi_extra=oa.parameters(oa.IDEMPOTENCY_KEY))
async def delete_file(media_id: str, request: Request, who: Principal = Depends(principal)) -> JSONResponse:
    rt = runtime(request)

    async def run() -> JSONResponse:
        from conduit_server.jobs.lifecycle import fail_jobs_of_deleted_media

        now = rt.clock()
        async with rt.engine.begin() as conn:
            row = await media_store.get(conn, media_id, who.workspace_id)
            if row is None:
                raise NotFound("File not found")
            failed: list[str] = []
            if row.deleted_at is None:
                await media_store.soft_delete(conn, media_id, now)
                failed = await fail_jobs_of_deleted_media(conn, media_id, now, rt.settings)
        rt.events.publish(*failed)
        return JSONResponse({"mediaId": media_id, "deleted": True})

    return await run_idempotent(request, who, "DELETE /v1/files/{mediaId}", header_key(request), "", run)  # type: ignore[return-value]


@router.patch("/{media_id}/retention", responses=oa.responses(schemas.RetentionLockResult, *oa.NOT_FOUND, *oa.JSON_BODY,
                                                                  gone=True),
              openapi_extra=oa.body(schemas.RetentionLock))
async def retention(media_id: str, request: Request, who: Principal = Depends(principal)) -> JSONResponse:
    rt = runtime(request)
    body = await json_body(request, max_bytes=rt.settings.max_json_bytes)
    lock = body.get("lock")
    if not isinstance(lock, bool):
        raise ValidationFailed([("lock", "must be a boolean")])
    async with rt.engine.begin() as conn:
        await _visible(conn, media_id, who)
        await media_store.set_retention_lock(conn, media_id, lock)
    message = "Retention lock enabled" if lock else "Retention lock disabled"
    return JSONResponse({"mediaId": media_id, "retentionLock": lock, "message": message})
