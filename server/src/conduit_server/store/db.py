"""Database URLs and engines. PostgreSQL only (psycopg 3, sync and async)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from conduit_server.telemetry.pool import instrument_pool


def sync_url(url: str) -> str:
    """Normalise any postgres URL to SQLAlchemy's psycopg 3 dialect."""
    for prefix in ("postgresql+psycopg://", "postgresql+asyncpg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    raise ValueError(f"not a PostgreSQL URL: {url!r}")


def libpq_url(url: str) -> str:
    """The same database as a plain libpq URI (for procrastinate's psycopg connector)."""
    return "postgresql://" + sync_url(url)[len("postgresql+psycopg://") :]


# Distributed mode (issue 6): an unreachable server must fail fast (the API answers 503), never hang a request.
CONNECT_TIMEOUT_SECONDS = 5
POOL_TIMEOUT_SECONDS = 10.0
MAX_OVERFLOW = 10


def create_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    connect_args = {} if "connect_timeout=" in url else {"connect_timeout": CONNECT_TIMEOUT_SECONDS}
    engine = create_async_engine(sync_url(url), pool_size=pool_size, max_overflow=MAX_OVERFLOW, pool_pre_ping=True,
                                 pool_timeout=POOL_TIMEOUT_SECONDS, connect_args=connect_args)
    instrument_pool(engine, pool_size + MAX_OVERFLOW)  # conduit_db_pool_connections_* (docs/operations.md)
    return engine


def is_connection_error(exc: BaseException | None) -> bool:
    """True when `exc` (or what caused it) means the database is unreachable or the connection was lost
    (server down, restarting, admin shutdown, pool timeout): transient, worth a retry / a 503."""
    import psycopg
    import sqlalchemy.exc as sa_exc

    try:
        from procrastinate.exceptions import ConnectorException
    except ImportError:  # pragma: no cover
        ConnectorException = ()  # type: ignore[assignment,misc]  # noqa: N806
    seen = 0
    while exc is not None and seen < 8:
        if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
            return True
        if isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError | sa_exc.TimeoutError):
            return True
        if isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError | ConnectorException):
            return True
        if isinstance(exc, ConnectionError):
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False
