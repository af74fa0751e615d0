"""Media bytes: one interface over a local folder, S3-compatible storage, or memory (tests), via obstore."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import obstore
from obstore.store import LocalStore, MemoryStore, from_url


class BlobStore:
    """Put, fetch and delete media objects by key. All methods are async (I/O runs off the event loop)."""

    def __init__(self, store: Any, *, description: str) -> None:
        self._store = store
        self.description = description

    @classmethod
    def from_settings(cls, storage_url: str | None, data_dir: Path, options: dict[str, str] | None = None) -> BlobStore:
        if storage_url is None or storage_url.startswith("file://"):
            root = Path(storage_url[len("file://") :]) if storage_url else data_dir / "media"
            root.mkdir(parents=True, exist_ok=True)
            return cls(LocalStore(prefix=root.resolve()), description=f"file://{root.resolve()}")
        if storage_url == "memory://":
            return cls(MemoryStore(), description="memory://")
        return cls(from_url(storage_url, **(options or {})), description=storage_url)

    async def put_file(self, key: str, path: Path) -> None:
        await obstore.put_async(self._store, key, path)

    async def get_to_file(self, key: str, path: Path) -> None:
        result = await obstore.get_async(self._store, key)
        with path.open("wb") as out:
            async for chunk in result.stream():
                out.write(bytes(chunk))

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


def copy_file(src: Path, dst: Path) -> None:
    shutil.copyfile(src, dst)
