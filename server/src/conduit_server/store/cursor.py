"""Opaque keyset cursors for newest-first lists: base64 of (created_at, id).

The timestamp keeps the database's full (microsecond) precision: the millisecond form the API shows would skip
rows created in the same millisecond as the last row of a page."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Column, and_, or_

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
