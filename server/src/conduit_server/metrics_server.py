"""A metrics-only HTTP endpoint for `conduit worker` processes (`CONDUIT_METRICS_PORT`): a worker on a machine
without an API process has nothing else a scraper could reach. Same route, settings and protection as the API's
`/metrics`, plus `/livez`. Started by cli.py next to the workers (it serves the API's router, so jobs/ must not
import it)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator

import uvicorn
from fastapi import FastAPI
from starlette.responses import JSONResponse

from conduit_server.api import errors
from conduit_server.api.prometheus import router
from conduit_server.runtime import Runtime


class _Server(uvicorn.Server):
    """Leaves SIGINT/SIGTERM to the worker (cli.py), which stops this server by cancelling it."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def metrics_app(rt: Runtime) -> FastAPI:
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    app.include_router(router)
    errors.install(app)

    @app.get("/livez")
    async def livez() -> JSONResponse:
        return JSONResponse({"ok": True})

    app.state.runtime = rt
    return app


async def serve_metrics(rt: Runtime, port: int) -> None:
    """Serve `metrics_app` on CONDUIT_HOST:`port` until cancelled."""
    config = uvicorn.Config(metrics_app(rt), host=rt.settings.host, port=port, lifespan="off", access_log=False,
                            log_config=None, timeout_graceful_shutdown=1)
    server = _Server(config)
    try:
        await server.serve()
    except asyncio.CancelledError:
        server.should_exit = True
        await server.shutdown()
        raise
