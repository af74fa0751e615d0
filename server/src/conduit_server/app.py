"""create_app(settings): the ASGI application with its routers, error handlers and middleware.

With `run_workers`, the same process also runs the job workers and the webhook dispatcher (the embedded default).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI

from conduit_server import __version__, console
from conduit_server.api import (
    entities,
    errors,
    files,
    health,
    job_list,
    jobs,
    matching,
    openapi,
    psychometrics,
    reports,
    webhook_events,
    webhook_stream,
)
from conduit_server.api.access_log import AccessLogMiddleware
from conduit_server.api.middleware import RequestContextMiddleware
from conduit_server.api.prometheus import router as metrics_router
from conduit_server.http_server import BodyTimeoutMiddleware
from conduit_server.runtime import Runtime
from conduit_server.services import open_runtime
from conduit_server.settings import Settings
from conduit_server.telemetry.http import HttpMetricsMiddleware


def build_api(lifespan: object = None) -> FastAPI:
    app = FastAPI(
        title="Conduit API (self-hosted)",
        version=__version__,
        description="Behavioral reports from voice recordings, wire-compatible with the hosted Conduit API.",
        lifespan=lifespan,  # type: ignore[arg-type]
        redirect_slashes=False,
        docs_url=None,
        redoc_url=None,
    )
    for module in (health, files, reports, matching, job_list, jobs, entities, psychometrics, webhook_events,
                   webhook_stream):
        app.include_router(module.router)
    app.include_router(metrics_router)  # GET /metrics for Prometheus (docs/operations.md)
    errors.install(app)
    openapi.install(app)
    app.add_middleware(BodyTimeoutMiddleware)
    app.add_middleware(HttpMetricsMiddleware)  # inside the scope-copying ones: it reads the matched route
    app.add_middleware(AccessLogMiddleware)  # one line per request, with its request id and workspace
    app.add_middleware(RequestContextMiddleware)  # outermost: request id and rate-limit headers on every answer
    return app


def create_app(settings: Settings, *, runtime: Runtime | None = None) -> FastAPI:
    """The app for `settings`. With `runtime` given (tests), that runtime is used and left open."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            rt = runtime if runtime is not None else await stack.enter_async_context(open_runtime(settings))
            app.state.runtime = rt
            if settings.run_workers:
                from conduit_server.jobs.worker import build_app, run_workers

                queue_app = build_app(rt)
                await stack.enter_async_context(queue_app.open_async())
                task = asyncio.create_task(run_workers(rt, queue_app))

                async def stop() -> None:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await task

                stack.push_async_callback(stop)
            yield

    app = build_api(lifespan)
    console.install(app, settings)  # the web console at /console (docs/console.md), when settings turn it on
    return app
