"""Console pages for the workspace: entities (list, rename), webhook events with every delivery attempt
(redeliver; the workspace's signing secret shown on request and rotatable) and API keys (create: shown once;
revoke). Each action calls the store functions the API and the admin CLI use."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.responses import RedirectResponse, Response

from conduit_server.api.deps import runtime
from conduit_server.console.auth import Console, Posted, console_session, posted
from conduit_server.console.pages import render
from conduit_server.domain.errors import NotFound
from conduit_server.domain.redact import redact_url
from conduit_server.store import accounts, outbox
from conduit_server.store import entities as entity_store

router = APIRouter(prefix="/console", include_in_schema=False)


@router.get("/entities", response_model=None)
async def entity_list(request: Request, console: Console = Depends(console_session)) -> Response:
    async with runtime(request).engine.connect() as conn:
        page = await entity_store.list_page(conn, console.workspace_id, limit=100,
                                            cursor=request.query_params.get("cursor") or None)
        counts = await entity_store.media_counts(conn, [r.id for r in page.rows])
    return render(request, "entities.html", console=console, entities=page.rows, counts=counts,
                  next_cursor=page.next_cursor, error=None)


@router.post("/entities/{entity_id}/rename", response_model=None)
async def rename(entity_id: str, request: Request, form: Posted = Depends(posted)) -> Response:
    label = form.text("label")
    if len(label) > 64:
        label = label[:64]
    async with runtime(request).engine.begin() as conn:
        row = await entity_store.set_label(conn, entity_id, form.console.workspace_id, label or None)
    if row is None:
        raise NotFound("Entity not found")
    return RedirectResponse(f"/console/entities#{entity_id}", status_code=303)


async def _webhooks_page(request: Request, console: Console, *, secret: str | None = None) -> Response:
    async with runtime(request).engine.connect() as conn:
        page = await outbox.list_page(conn, console.workspace_id, job_id=request.query_params.get("job") or None,
                                      limit=50, cursor=request.query_params.get("cursor") or None)
        attempts = {r.id: await outbox.attempts(conn, r.id) for r in page.rows}
    return render(request, "webhooks.html", console=console, events=page.rows, attempts=attempts,
                  next_cursor=page.next_cursor, secret=secret, redact=redact_url)


@router.get("/webhooks", response_model=None)
async def webhooks(request: Request, console: Console = Depends(console_session)) -> Response:
    return await _webhooks_page(request, console)


@router.get("/webhooks/events", response_model=None)
async def webhook_rows(request: Request, console: Console = Depends(console_session)) -> Response:
    """The event table alone, polled by the page so a redelivery's new attempt shows up."""
    async with runtime(request).engine.connect() as conn:
        page = await outbox.list_page(conn, console.workspace_id, job_id=None, limit=50, cursor=None)
        attempts = {r.id: await outbox.attempts(conn, r.id) for r in page.rows}
    return render(request, "_webhook_rows.html", console=console, events=page.rows, attempts=attempts,
                  redact=redact_url)


@router.post("/webhooks/{event_id}/redeliver", response_model=None)
async def redeliver(event_id: str, request: Request, form: Posted = Depends(posted)) -> Response:
    """Queue one more delivery attempt now (the same as POST /v1/webhooks/events/{id}/redeliver)."""
    async with runtime(request).engine.begin() as conn:
        row = await outbox.redeliver(conn, event_id, form.console.workspace_id)
    if row is None:
        raise NotFound("Webhook event not found")
    return RedirectResponse(f"/console/webhooks#{event_id}", status_code=303)


@router.post("/webhooks/secret", response_model=None)
async def show_secret(request: Request, form: Posted = Depends(posted)) -> Response:
    """The signing secret, on this one answer only (a POST, never cached): not on any page a GET shows."""
    async with runtime(request).engine.connect() as conn:
        secret = await accounts.webhook_secret(conn, form.console.workspace_id)
    return await _webhooks_page(request, form.console, secret=secret)


@router.post("/webhooks/secret/rotate", response_model=None)
async def rotate_secret(request: Request, form: Posted = Depends(posted)) -> Response:
    """A new signing secret (as `conduit keys rotate-secret`), shown once; deliveries sign with it from now on."""
    secret = await accounts.rotate_secret(runtime(request).engine, form.console.workspace_id)
    return await _webhooks_page(request, form.console, secret=secret)


async def _keys_page(request: Request, console: Console, *, created: accounts.CreatedKey | None = None) -> Response:
    keys = await accounts.list_keys(runtime(request).engine, console.workspace_id)
    return render(request, "keys.html", console=console, keys=keys, created=created)


@router.get("/keys", response_model=None)
async def key_list(request: Request, console: Console = Depends(console_session)) -> Response:
    return await _keys_page(request, console)


@router.post("/keys", response_model=None)
async def create_key(request: Request, form: Posted = Depends(posted)) -> Response:
    """A new key in this workspace, shown on this answer only: only its hash is stored."""
    rt = runtime(request)
    created = await accounts.create_key(rt.engine, rt.clock(), workspace_id=form.console.workspace_id,
                                        label=form.text("label")[:200] or None)
    return await _keys_page(request, form.console, created=created)


@router.post("/keys/{key_id}/revoke", response_model=None)
async def revoke(key_id: str, request: Request, form: Posted = Depends(posted)) -> Response:
    rt = runtime(request)
    mine = {k.id for k in await accounts.list_keys(rt.engine, form.console.workspace_id)}
    if key_id not in mine:
        raise NotFound("API key not found")
    await accounts.revoke_key(rt.engine, rt.clock(), key_id)
    return RedirectResponse("/console/keys", status_code=303)
