"""Media bytes: one interface over a local folder, S3-compatible storage, or memory (tests), via obstore.

S3: `CONDUIT_STORAGE_URL=s3://bucket/prefix` plus `CONDUIT_STORAGE_<OPTION>` variables (Settings.storage_options,
lower-cased): ENDPOINT (or ENDPOINT_URL), ACCESS_KEY_ID, SECRET_ACCESS_KEY, SESSION_TOKEN, REGION, ALLOW_HTTP,
and any other obstore S3Config / ClientConfig key (e.g. CONNECT_TIMEOUT, TIMEOUT, VIRTUAL_HOSTED_STYLE_REQUEST).
Unset ones fall back to obstore's own AWS_* environment lookup. Files larger than MULTIPART_CHUNK_BYTES are put
as S3 multipart uploads (obstore does this above its chunk size), streamed from disk, never whole in memory.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any, cast

import obstore
from obstore.store import LocalStore, MemoryStore, S3Store, from_url

from conduit_server.domain.redact import redact_url
from conduit_server.store.fsmodes import make_private, private_dir

MULTIPART_CHUNK_BYTES = 5 * 1024 * 1024  # S3's minimum part size; larger files go up as multipart uploads

# obstore ClientConfig keys (HTTP client); every other option is an S3Config key
_CLIENT_KEYS = frozenset({
    "allow_http", "allow_invalid_certificates", "connect_timeout", "default_content_type", "http1_only",
    "http2_keep_alive_interval", "http2_keep_alive_timeout", "http2_keep_alive_while_idle", "http2_only",
    "pool_idle_timeout", "pool_max_idle_per_host", "proxy_url", "proxy_ca_certificate", "proxy_excludes",
    "randomize_addresses", "timeout", "user_agent",
})
_ALIASES = {"endpoint_url": "endpoint", "aws_endpoint": "endpoint", "aws_region": "region"}
_DEFAULT_CLIENT = {"connect_timeout": "5s", "timeout": "60s"}  # an unreachable store fails, never hangs


def _option_value(raw: str) -> str | bool:
    lowered = raw.strip().lower()
    if lowered in {"true", "1", "yes", "on"}:
        return True
    if lowered in {"false", "0", "no", "off"}:
        return False
    return raw


def s3_store(url: str, options: dict[str, str] | None = None) -> Any:
    """An obstore S3Store for `s3://bucket/prefix` with Conduit's storage options mapped onto obstore's."""
    config: dict[str, Any] = {}
    client: dict[str, Any] = dict(_DEFAULT_CLIENT)
    for key, raw in (options or {}).items():
        name = _ALIASES.get(key.lower(), key.lower())
        value = _option_value(raw) if name not in {"endpoint", "access_key_id", "secret_access_key",
                                                     "session_token", "region"} else raw
        (client if name in _CLIENT_KEYS else config)[name] = value
    # obstore types these as TypedDicts; the keys were mapped from Conduit's names above
    return S3Store.from_url(url, config=cast(Any, config or None), client_options=cast(Any, client))


class BlobStore:
    """Put, fetch and delete media objects by key. All methods are async (I/O runs off the event loop)."""

    def __init__(self, store: Any, *, description: str, local_root: Path | None = None) -> None:
        self._store = store
        self._local_root = local_root  # a folder on this machine: recordings in it are made private (fsmodes)
        self.description = redact_url(description)  # for people to read: never with credentials

    @classmethod
    def from_settings(cls, storage_url: str | None, data_dir: Path, options: dict[str, str] | None = None) -> BlobStore:
        if storage_url is None or storage_url.startswith("file://"):
            root = Path(storage_url[len("file://") :]) if storage_url else data_dir / "media"
            root = private_dir(root).resolve()
            return cls(LocalStore(prefix=root), description=f"file://{root}", local_root=root)
        if storage_url == "memory://":
            return cls(MemoryStore(), description="memory://")
        if storage_url.startswith(("s3://", "s3a://")):
            return cls(s3_store(storage_url, options), description=storage_url)
        return cls(cast(Any, from_url)(storage_url, **(options or {})), description=storage_url)

    async def put_file(self, key: str, path: Path) -> None:
        # multipart (streamed from the file, parts in parallel) whenever the file is larger than one chunk
        await obstore.put_async(self._store, key, path, chunk_size=MULTIPART_CHUNK_BYTES)
        if self._local_root is not None:
            make_private(self._local_root, key)

    async def put_bytes(self, key: str, data: bytes) -> None:
        await obstore.put_async(self._store, key, data)
        if self._local_root is not None:
            make_private(self._local_root, key)

    async def get_to_file(self, key: str, path: Path) -> None:
        result = await obstore.get_async(self._store, key)
        with path.open("wb") as out:
            async for chunk in result.stream():
                out.write(bytes(chunk))

    async def stream(self, key: str, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        """The object's bytes [start, end) piece by piece, never whole in memory (the console's audio player seeks
        with HTTP Range requests)."""
        options: Any = {"range": (start, end)} if end is not None else ({"range": {"offset": start}} if start else None)
        result = await obstore.get_async(self._store, key, options=options)
        async for chunk in result.stream():
            yield bytes(chunk)

    async def delete(self, key: str) -> None:
        try:
            await obstore.delete_async(self._store, key)
        except FileNotFoundError:
            pass

    async def exists(self, key: str) -> bool:
        try:
            await obstore.head_async(self._store, key)
        except FileNotFoundError:
            return False
        return True

    async def list_batches(self, chunk_size: int = 1000) -> AsyncIterator[list[tuple[str, datetime]]]:
        """Every object as (key, last modified), one page at a time: a store of any size is never listed whole.
        The page fetches run in a thread (obstore's async listing aborts the process when a loop closes on it)."""
        pages = iter(obstore.list(self._store, chunk_size=chunk_size))
        while (page := await asyncio.to_thread(next, pages, None)) is not None:
            yield [(meta["path"], meta["last_modified"]) for meta in page]


def copy_file(src: Path, dst: Path) -> None:
    shutil.copyfile(src, dst)
