"""/v1/entities: list, get, label; the latest behavior map (ext) and deletion (ext, docs/data.md)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.responses import JSONResponse

from conduit_server.api import openapi as oa
from conduit_server.api import schemas
from conduit_server.api.deps import json_body, principal, query_limit, runtime
from conduit_server.api.idempotency import header_key, run_idempotent
from conduit_server.domain.clock import iso
from conduit_server.domain.errors import NotFound, ValidationFailed
from conduit_server.domain.views import entity_json
from conduit_server.store import behavior as behavior_store
from conduit_server.store import entities as entity_store
from conduit_server.store import erasure
from conduit_server.store.accounts import Principal

router = APIRouter(prefix="/v1/entities", tags=["entities"])


@router.get("", responses=oa.responses(schemas.EntityList, *oa.AUTHENTICATED, 422),
            openapi_extra=oa.parameters(oa.LIMIT, oa.CURSOR))
async def list_entities(request: Request, who: Principal = Depends(principal)) -> JSONResponse:
    rt = runtime(request)
    limit = query_limit(request.query_params.get("limit"))
    async with rt.engine.connect() as conn:
        page = await entity_store.list_page(conn, who.workspace_id, limit=limit,
                                            cursor=request.query_params.get("cursor"))
        counts = await entity_store.media_counts(conn, [r.id for r in page.rows])
    return JSONResponse({"entities": [entity_json(r, counts[r.id]) for r in page.rows], "cursor": page.next_cursor,
                         "hasMore": page.has_more})


@router.get("/{entity_id}", responses=oa.responses(schemas.Entity, *oa.NOT_FOUND))
async def get_entity(entity_id: str, request: Request, who: Principal = Depends(principal)) -> JSONResponse:
    rt = runtime(request)
    async with rt.engine.connect() as conn:
        row = await entity_store.get(conn, entity_id, who.workspace_id)
        if row is None:
            raise NotFound("Entity not found")
        counts = await entity_store.media_counts(conn, [row.id])
    return JSONResponse(entity_json(row, counts[row.id]))


@router.patch("/{entity_id}", responses=oa.responses(schemas.Entity, *oa.NOT_FOUND, *oa.JSON_BODY),
              openapi_extra=oa.body(schemas.EntityUpdate))
async def update_entity(entity_id: str, request: Request, who: Principal = Depends(principal)) -> JSONResponse:
    rt = runtime(request)
    body = await json_body(request, max_bytes=rt.settings.max_json_bytes)
    async with rt.engine.begin() as conn:
        row = await entity_store.get(conn, entity_id, who.workspace_id)
        if row is None:
            raise NotFound("Entity not found")
        if "label" in body:
            label = body["label"]
            if label is not None:
                if not isinstance(label, str) or not 1 <= len(label.strip()) <= 64:
                    raise ValidationFailed([("label", "must be a non-blank string of at most 64 characters, or null")])
                label = label.strip()
            row = await entity_store.set_label(conn, entity_id, who.workspace_id, label) or row
        counts = await entity_store.media_counts(conn, [row.id])
    return JSONResponse(entity_json(row, counts[row.id]))


@router.delete("/{entity_id}", responses=oa.responses(schemas.EntityDeleted, *oa.NOT_FOUND, *oa.IDEMPOTENT),
               openapi_extra=oa.parameters(oa.IDEMPOTENCY_KEY))
async def delete_entity(entity_id: str, request: Request, who: Principal = Depends(principal)) -> JSONResponse:
    """*ext*: erase a voice identity: its voiceprint, samples and behavior maps. Reports stay. The entity is gone
    afterwards, so deleting it again answers 404 unless the retry carries the same Idempotency-Key."""
    rt = runtime(request)

    async def run() -> JSONResponse:
        async with rt.engine.begin() as conn:
            if not await erasure.delete_entity(conn, entity_id, who.workspace_id):
                raise NotFound("Entity not found")
        return JSONResponse({"entityId": entity_id, "deleted": True})

    return await run_idempotent(request, who, "DELETE /v1/entities/{entityId}", header_key(request), "", run)  # type: ignore[return-value]


@router.get("/{entity_id}/behavior-map", responses=oa.responses(schemas.BehaviorMap, *oa.NOT_FOUND))
async def behavior_map(entity_id: str, request: Request, who: Principal = Depends(principal)) -> JSONResponse:
    rt = runtime(request)
    async with rt.engine.connect() as conn:
        if await entity_store.get(conn, entity_id, who.workspace_id) is None:
            raise NotFound("Entity not found")
        row = await behavior_store.latest_map(conn, entity_id)
    if row is None:
        raise NotFound("No behavior map exists for this entity yet")
    return JSONResponse({
        "entityId": entity_id, "mapId": row.id, "createdAt": iso(row.created_at),
        "modelCheckpoint": row.model_checkpoint, "sampleIds": list(row.sample_ids),
        "behaviorMap": row.data.get("behaviorMap", row.data),
    })
