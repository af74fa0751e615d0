"""Opaque keyset cursors for newest-first lists: base64 of (created_at, id).

The timestamp keeps the database's full (microsecond) precision: the millisecond form the API shows would skip
rows created in the same millisecond as the last row of a page."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import Column, ColumnElement, Table, and_, or_, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from conduit_server.domain.clock import parse_iso
from conduit_server.domain.errors import ValidationFailed


def encode(created_at: datetime, row_id: str) -> str:
    raw = json.dumps([created_at.astimezone(UTC).isoformat(), row_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(cursor: str) -> tuple[datetime, str]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        created, row_id = json.loads(base64.urlsafe_b64decode(padded.encode()))
        return parse_iso(created), str(row_id)
    except Exception:
        raise ValidationFailed([("cursor", "is not a cursor returned by this API")]) from None


def before(created_col: Column[Any], id_col: Column[Any], cursor: str) -> Any:
    created, row_id = decode(cursor)
    return or_(created_col < created, and_(created_col == created, id_col < row_id))


R = TypeVar("R")
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page(Generic[R]):
    """One page of rows; `next_cursor` (None on the last page) is taken from the last row when the page is read,
    so `map` can turn the rows into typed records (store/records.py) and keep it."""

    rows: list[R]
    has_more: bool
    next_cursor: str | None

    def map(self, convert: Callable[[R], T]) -> Page[T]:
        return Page([convert(r) for r in self.rows], self.has_more, self.next_cursor)


RowPage = Page[Row[Any]]  # a page as read, before any conversion to records


async def newest_first(conn: AsyncConnection, table: Table, conds: list[ColumnElement[bool]], *, limit: int,
                       cursor: str | None) -> RowPage:
    """One page of `table` rows matching `conds`, newest first (created_at, then id), after `cursor`."""
    created, row_id = table.c.created_at, table.c.id
    if cursor:
        conds = [*conds, before(created, row_id, cursor)]
    query = select(table).where(and_(*conds)).order_by(created.desc(), row_id.desc()).limit(limit + 1)
    rows = list((await conn.execute(query)).all())
    page, has_more = rows[:limit], len(rows) > limit
    last = page[-1] if page else None
    return Page(page, has_more, encode(last.created_at, last.id) if has_more and last is not None else None)
