"""Opening and closing everything a process needs, from Settings: database (embedded or external),
migrations, engine, blob store, bootstrap credentials."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from conduit_server.limits.ratelimit import RateLimiter
from conduit_server.runtime import Runtime
from conduit_server.settings import Settings
from conduit_server.store import accounts
from conduit_server.store.blobs import BlobStore
from conduit_server.store.db import create_engine
from conduit_server.store.embedded import EmbeddedPostgres
from conduit_server.store.fsmodes import private_dir
from conduit_server.store.migrate import upgrade
from conduit_server.store.scratch import sweep

log = logging.getLogger(__name__)


@contextlib.asynccontextmanager
async def database(settings: Settings) -> AsyncIterator[str]:
    """Yield a database URL: the configured one, or the embedded server's (started here, stopped on exit)."""
    if settings.database_url:
        yield settings.database_url
        return
    embedded = EmbeddedPostgres(settings.data_dir / "pg")
    url = await asyncio.to_thread(embedded.start)
    try:
        yield url
    finally:
        await asyncio.to_thread(embedded.stop)


@contextlib.asynccontextmanager
async def open_runtime(settings: Settings, *, migrate: bool = True) -> AsyncIterator[Runtime]:
    # an existing data dir keeps its mode: started as root, the embedded PostgreSQL opens it for its own system
    # user to traverse, and a second process (`conduit keys ...`) must not close it under a running server
    private_dir(settings.data_dir, tighten_existing=False)
    await asyncio.to_thread(sweep, settings.data_dir / "tmp")  # temp files of processes that died (store/scratch.py)
    async with database(settings) as url:
        if migrate:
            await asyncio.to_thread(upgrade, url)
        engine = create_engine(url)
        try:
            rt = Runtime(
                settings=settings, engine=engine, database_url=url,
                blobs=BlobStore.from_settings(settings.storage_url, settings.data_dir, dict(settings.storage_options)),
                rate_limiter=RateLimiter(settings.rate_limit_per_minute),
            )
            if settings.bootstrap_api_key:
                await accounts.ensure_bootstrap_key(engine, rt.clock(), settings.bootstrap_api_key,
                                                    settings.bootstrap_webhook_secret)
            try:
                yield rt
            finally:
                rt.scratch.close()
        finally:
            await engine.dispose()
