"""Database URLs and engines. PostgreSQL only (psycopg 3, sync and async)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine


def sync_url(url: str) -> str:
    """Normalise any postgres URL to SQLAlchemy's psycopg 3 dialect."""
    for prefix in ("postgresql+psycopg://", "postgresql+asyncpg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    raise ValueError(f"not a PostgreSQL URL: {url!r}")


def libpq_url(url: str) -> str:
    """The same database as a plain libpq URI (for procrastinate's psycopg connector)."""
    return "postgresql://" + sync_url(url)[len("postgresql+psycopg://") :]


def create_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    return create_async_engine(sync_url(url), pool_size=pool_size, max_overflow=10, pool_pre_ping=True)
