"""Connections in use in Conduit's SQLAlchemy pools, kept by pool events (one add per checkout and checkin), so a
scrape reads a number instead of reaching into each process's engine. Multiprocess mode sums live processes."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from conduit_server.telemetry.instruments import POOL_CAPACITY, POOL_IN_USE


def instrument_pool(engine: AsyncEngine, capacity: int) -> None:
    """Count `engine`'s checked-out connections; its `capacity` (pool size + overflow) until it is disposed."""
    disposed = False

    def checkout(*_: Any) -> None:
        POOL_IN_USE.inc()

    def checkin(*_: Any) -> None:
        POOL_IN_USE.dec()

    def engine_disposed(*_: Any) -> None:
        nonlocal disposed
        if not disposed:  # dispose() may run twice; the engine (and this capacity) goes once
            disposed = True
            POOL_CAPACITY.dec(capacity)

    sync_engine = engine.sync_engine
    event.listen(sync_engine.pool, "checkout", checkout)
    event.listen(sync_engine.pool, "checkin", checkin)
    event.listen(sync_engine, "engine_disposed", engine_disposed)
    POOL_CAPACITY.inc(capacity)
