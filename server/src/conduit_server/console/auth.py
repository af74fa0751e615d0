"""Console sign-in (an API key, verified like the API's own authentication), the session every other console
route requires, CSRF checks on every POST, and sign-out.

No session (none, expired, forged, signed out, or its key revoked): pages redirect to the sign-in page, htmx
requests and assets answer 401. A POST whose CSRF token does not match the session's answers 403."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, FastAPI, Request
from starlette.datastructures import FormData
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from conduit_server.api.deps import check_key, client_address, runtime
from conduit_server.console.pages import render
from conduit_server.console.session import COOKIE, Sessions, load_secret
from conduit_server.domain.errors import ApiError
from conduit_server.logs import bind
from conduit_server.store import console_sessions
from conduit_server.store.accounts import Principal

router = APIRouter(prefix="/console", include_in_schema=False)

PRE_COOKIE = "conduit_console_signin"  # the sign-in form's own CSRF token (double submit), before any session
CSRF_HEADER = "x-csrf-token"
SIGN_IN = "/console/sign-in"


class SignInRequired(Exception):
    """No valid session for this request."""


@dataclass(frozen=True, slots=True)
class Console:
    """The signed-in session of one request: who (the key's principal), the session's CSRF token and its row."""

    who: Principal
    csrf: str
    session_id: str

    @property
    def workspace_id(self) -> str:
        return self.who.workspace_id


def sessions(request: Request) -> Sessions:
    app_state = request.app.state
    found: Sessions | None = getattr(app_state, "console_sessions", None)
    if found is None:
        settings = runtime(request).settings
        found = Sessions(load_secret(settings.data_dir), settings.console_session_hours * 3600)
        app_state.console_sessions = found
    return found


async def console_session(request: Request) -> Console:
    """FastAPI dependency: the request's session, or SignInRequired."""
    token = sessions(request).read(request.cookies.get(COOKIE))
    if token is None:
        raise SignInRequired
    rt = runtime(request)
    who = await console_sessions.principal_of_session(rt.engine, token.session_id, token.api_key_id, rt.clock())
    if who is None or who.workspace_id != token.workspace_id or who.workspace_disabled:
        raise SignInRequired  # signed out, or the key was revoked or its workspace disabled since sign-in
    request.scope.setdefault("state", {})["workspace_id"] = who.workspace_id  # the access log line's
    bind(workspace_id=who.workspace_id)
    return Console(who, token.csrf, token.session_id)


def _same(a: str | None, b: str) -> bool:
    return a is not None and hmac.compare_digest(a.encode(), b.encode())


def check_csrf(console: Console, presented: str | None) -> None:
    if not _same(presented, console.csrf):
        raise ApiError("Missing or wrong CSRF token", code="forbidden", status=403)


@dataclass(frozen=True, slots=True)
class Posted:
    console: Console
    form: FormData

    def text(self, name: str) -> str:
        value = self.form.get(name)
        return value.strip() if isinstance(value, str) else ""


async def posted(request: Request, console: Console = Depends(console_session)) -> Posted:
    """FastAPI dependency for POST routes with a url-encoded form: the session, its CSRF token checked (form
    field `csrf` or the X-CSRF-Token header that htmx sends)."""
    form = await request.form(max_files=0, max_fields=32, max_part_size=64 * 1024)
    field = form.get("csrf")
    check_csrf(console, field if isinstance(field, str) else request.headers.get(CSRF_HEADER))
    return Posted(console, form)


def _safe_next(raw: str | None) -> str:
    """Only a console path of this server: never another host (open redirect)."""
    if raw and raw.startswith("/console/") and not raw.startswith("//") and "\\" not in raw:
        return raw
    return "/console/jobs"


async def _refused(request: Request, exc: Exception) -> Response:
    if request.headers.get("hx-request") or request.url.path.startswith("/console/static/"):
        return PlainTextResponse("Sign in first", status_code=401, headers={"HX-Redirect": SIGN_IN})
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"{SIGN_IN}?next={quote(target)}", status_code=303)


def install(app: FastAPI) -> None:
    app.add_exception_handler(SignInRequired, _refused)


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def _sign_in_page(request: Request, *, error: str | None = None, status: int = 200) -> Response:
    token = secrets.token_urlsafe(24)
    response = render(request, "sign_in.html", http_status=status, error=error, pre_csrf=token,
                      next=_safe_next(request.query_params.get("next")), console=None)
    response.set_cookie(PRE_COOKIE, token, httponly=True, samesite="strict", secure=_secure(request),
                        path=SIGN_IN, max_age=3600)
    return response


@router.get("", response_model=None)
async def home() -> Response:
    return RedirectResponse("/console/jobs", status_code=303)


@router.get("/sign-in", response_model=None)
async def sign_in_form(request: Request) -> Response:
    return _sign_in_page(request)


@router.post("/sign-in", response_model=None)
async def sign_in(request: Request) -> Response:
    form = await request.form(max_files=0, max_fields=8, max_part_size=8 * 1024)
    field: Any = form.get("csrf")
    if not isinstance(field, str) or not _same(request.cookies.get(PRE_COOKIE), field):
        raise ApiError("Missing or wrong CSRF token", code="forbidden", status=403)
    key_value: Any = form.get("key")
    key = key_value.strip() if isinstance(key_value, str) else ""
    if not key:
        return _sign_in_page(request, error="Enter an API key.", status=401)
    rt = runtime(request)
    try:
        who = await check_key(rt, key, client_address(request))
    except ApiError as exc:
        return _sign_in_page(request, error=exc.message, status=exc.status)
    if who.workspace_disabled:
        return _sign_in_page(request, error="This workspace is disabled.", status=403)
    lifetime = timedelta(seconds=sessions(request).max_age_seconds)
    session_id = await console_sessions.create(rt.engine, rt.clock(), who.api_key_id, who.workspace_id, lifetime)
    cookie, _ = sessions(request).issue(session_id, who.api_key_id, who.workspace_id)
    next_value: Any = form.get("next")
    response = RedirectResponse(_safe_next(next_value if isinstance(next_value, str) else None), status_code=303)
    response.set_cookie(COOKIE, cookie, httponly=True, samesite="strict", secure=_secure(request), path="/console",
                        max_age=sessions(request).max_age_seconds)
    response.delete_cookie(PRE_COOKIE, path=SIGN_IN)
    return response


@router.post("/sign-out", response_model=None)
async def sign_out(request: Request, signed_in: Posted = Depends(posted)) -> Response:
    """Revoke the session's row, so a copy of the cookie is refused too, then delete the cookie."""
    rt = runtime(request)
    await console_sessions.revoke(rt.engine, signed_in.console.session_id, rt.clock())
    response = RedirectResponse(SIGN_IN, status_code=303)
    response.delete_cookie(COOKIE, path="/console", httponly=True, samesite="strict", secure=_secure(request))
    return response
