"""Admission for uploads (issue 10): a per-key cap on uploads in flight and a free-disk floor, both checked before
a byte of the body is read, so neither a greedy client nor a filling volume can take the server down."""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

from fastapi import Depends, Request

from conduit_server.api.deps import principal, runtime
from conduit_server.domain.errors import ApiError
from conduit_server.limits.quotas import UPLOADS
from conduit_server.settings import Settings
from conduit_server.store.accounts import Principal

STORAGE_RETRY_AFTER_SECONDS = 60


def _volumes(settings: Settings) -> list[Path]:
    """Where an upload lands: the temp file under the data directory, then a local blob store, if any."""
    paths = [settings.data_dir]
    if settings.storage_url and settings.storage_url.startswith("file://"):
        paths.append(Path(settings.storage_url[len("file://"):]))
    return paths


def ensure_free_space(settings: Settings, incoming: int) -> None:
    """507 `insufficient_storage` (our extension) when storing `incoming` more bytes would leave less than
    `min_free_disk_bytes` free on a volume the upload is written to."""
    for path in _volumes(settings):
        free = shutil.disk_usage(path).free
        if free - incoming < settings.min_free_disk_bytes:
            raise ApiError(
                "The server is low on disk space and cannot accept uploads right now", code="insufficient_storage",
                status=507, headers={"Retry-After": str(STORAGE_RETRY_AFTER_SECONDS)},
            )


@contextlib.contextmanager
def admitted(request: Request, who: Principal) -> Iterator[None]:
    """Hold one of the key's upload slots while the body is read and stored (429 when all are taken), after
    checking the declared body fits on the disk (507): for the API's uploads and the web console's."""
    rt = runtime(request)
    with rt.slots.acquire(UPLOADS, who.api_key_id, rt.settings.max_concurrent_uploads, "concurrent uploads"):
        declared = request.headers.get("content-length", "")
        incoming = min(int(declared), rt.settings.max_upload_bytes) if declared.isdigit() else 0
        ensure_free_space(rt.settings, incoming)
        yield


async def upload_admission(request: Request, who: Principal = Depends(principal)) -> AsyncIterator[Principal]:
    """FastAPI dependency for upload routes: holds one of the key's upload slots for the whole request."""
    with admitted(request, who):
        yield who
