"""Helpers for the console tests: an in-process app with the console mounted, and signing in over HTTP."""

from __future__ import annotations

import re

import httpx
from conduit_server import console
from conduit_server.app import build_api
from conduit_server.runtime import Runtime

_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def console_client(rt: Runtime) -> httpx.AsyncClient:
    """The API plus the console over an ASGI transport (http, so cookies are not Secure)."""
    app = build_api()
    app.state.runtime = rt
    console.install(app, rt.settings)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://conduit.test")


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found is not None, "no CSRF field on the page"
    return found.group(1)


async def sign_in(client: httpx.AsyncClient, api_key: str) -> str:
    """Sign in with `api_key`; returns the session's CSRF token (read from a page's forms)."""
    form = await client.get("/console/sign-in")
    answer = await client.post("/console/sign-in", data={"csrf": csrf_of(form.text), "key": api_key,
                                                         "next": "/console/jobs"})
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == "/console/jobs"
    page = await client.get("/console/keys")
    assert page.status_code == 200
    return csrf_of(page.text)
