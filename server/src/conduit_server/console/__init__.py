"""The web console at /console: server-rendered pages (Jinja2, htmx) over the same store and job code as the API.

Signed in with an API key, held in a signed session cookie (session.py, auth.py); see docs/console.md."""

from __future__ import annotations

from fastapi import FastAPI

from conduit_server.settings import Settings


def install(app: FastAPI, settings: Settings) -> None:
    """Mount the console's routes on `app` when the settings turn it on (Settings.console_on)."""
    if not settings.console_on:
        return
    from conduit_server.console import assets, auth, jobs, recordings, reports, workspace

    auth.install(app)
    for module in (auth, assets, jobs, reports, recordings, workspace):
        app.include_router(module.router)
