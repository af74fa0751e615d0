"""Source normalisation and materialisation: media_id / file / url / path (+ label) -> an upload.

Local files are streamed from disk; URLs are downloaded by the SDK (http/https only, at most 5 redirects,
size-guarded by ``max_source_bytes``, bounded by the client timeout) into a temporary file, then uploaded.
"""

from __future__ import annotations

import mimetypes
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, BinaryIO, cast
from urllib.parse import urljoin, urlparse

import httpx

from ._errors import (
    ConduitError,
    InvalidSourceError,
    RemoteFetchError,
    RemoteFetchTimeoutError,
    RemoteFetchTooLargeError,
)
from .types import BinaryLike

DEFAULT_MAX_SOURCE_BYTES = 5 * 1024**3
MAX_REDIRECTS = 5
_REDIRECTS = {301, 302, 303, 307, 308}
_ALIASES = {"mediaId": "media_id", "templateParams": "template_params", "timeRange": "time_range"}


@dataclass(slots=True)
class Upload:
    """A materialised upload: multipart file tuple plus label; ``close()`` releases temp resources."""

    filename: str
    file_value: object
    content_type: str | None
    label: str
    closer: Callable[[], None] | None = None

    def files(self) -> dict[str, Any]:
        return {"file": (self.filename, self.file_value, self.content_type)}

    def close(self) -> None:
        if self.closer is not None:
            self.closer()


class LimitedReader:
    """Wraps a binary file object; reading past ``limit`` bytes raises ``source_too_large``."""

    def __init__(self, wrapped: BinaryIO, limit: int) -> None:
        self._wrapped = wrapped
        self._limit = limit
        self._read = 0

    def read(self, size: int = -1) -> bytes:
        chunk = self._wrapped.read(size)
        self._read += len(chunk)
        if self._read > self._limit:
            raise InvalidSourceError("source.file exceeds upload size limit", code="source_too_large")
        return chunk

    def seek(self, offset: int, whence: int = 0) -> int:
        position = self._wrapped.seek(offset, whence)
        self._read = 0
        return position

    def __getattr__(self, name: str) -> object:
        return getattr(self._wrapped, name)


def normalize_source(source: Mapping[str, object]) -> dict[str, object]:
    """Copy with camelCase aliases mapped to snake_case keys."""
    result = {str(k): v for k, v in source.items()}
    for alias, key in _ALIASES.items():
        if alias in result and key not in result:
            result[key] = result.pop(alias)
    return result


def non_empty(value: object, name: str) -> str:
    if isinstance(value, str) and value.strip():
        return value.strip()
    raise ConduitError(f"{name} must be a non-empty string", code="invalid_request")


def optional_str(value: object, name: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    raise ConduitError(f"{name} must be a string", code="invalid_request")


def binary_like(value: object, name: str = "source.file") -> BinaryLike | None:
    if value is None:
        return None
    if isinstance(value, bytes | bytearray | memoryview) or hasattr(value, "read"):
        return cast("BinaryLike", value)
    raise ConduitError(f"{name} must be bytes or a binary file object", code="invalid_request")


def _label(label: str | None, filename: str, fallback: str) -> str:
    if label is not None:
        stem = Path(label.strip()).stem.strip()
        if not stem:
            raise InvalidSourceError("label is required")
        return stem
    return Path(filename.strip()).stem.strip() or fallback


def _guess_type(filename: str) -> str | None:
    return mimetypes.guess_type(filename)[0]


def _too_large(name: str) -> InvalidSourceError:
    return InvalidSourceError(f"{name} exceeds upload size limit", code="source_too_large")


def check_http_url(value: object, name: str) -> str:
    url = non_empty(value, name)
    parsed = urlparse(url)
    if parsed.scheme not in {"http", "https"} or not parsed.netloc:
        raise InvalidSourceError(f"{name} must be an http or https URL")
    return url


class SourceLoader:
    """Materialises local sources and downloads URL sources (sync)."""

    def __init__(
        self, *, max_source_bytes: int, timeout_ms: float, fetch_transport: httpx.BaseTransport | None
    ) -> None:
        self.max_source_bytes = max_source_bytes
        self._timeout_s = timeout_ms / 1000
        self._fetch_transport = fetch_transport

    def materialize(self, *, file: BinaryLike | None, url: str | None, path: str | None, label: str | None) -> Upload:
        given = [name for name, value in (("file", file), ("url", url), ("path", path)) if value is not None]
        if len(given) != 1:
            raise InvalidSourceError("upload() must include exactly one of file, url, or path")
        if path is not None:
            return self._from_path(path, label)
        if url is not None:
            return self._from_url(url, label)
        return self._from_file(cast("BinaryLike", file), label)

    def _from_path(self, raw: str, label: str | None) -> Upload:
        path = Path(non_empty(raw, "source.path"))
        if not path.exists():
            raise InvalidSourceError(f"File not found: {path}")
        if path.is_dir():
            raise InvalidSourceError(f"Path is a directory: {path}")
        if path.stat().st_size > self.max_source_bytes:
            raise _too_large("source.path")
        handle = path.open("rb")
        return Upload(path.name, handle, _guess_type(path.name), _label(label, path.name, "upload"), handle.close)

    def _from_file(self, raw: BinaryLike, label: str | None) -> Upload:
        if isinstance(raw, bytearray | memoryview):
            raw = bytes(raw)
        if isinstance(raw, bytes):
            if len(raw) > self.max_source_bytes:
                raise _too_large("source.file")
            return Upload("upload.bin", raw, _guess_type("upload.bin"), _label(label, "upload.bin", "upload"))
        filename = Path(str(getattr(raw, "name", "") or "upload.bin")).name or "upload.bin"
        size = _remaining_size(raw)
        if size is not None and size > self.max_source_bytes:
            raise _too_large("source.file")
        return Upload(
            filename,
            LimitedReader(raw, self.max_source_bytes),
            _guess_type(filename),
            _label(label, filename, "upload"),
        )

    def _from_url(self, raw: str, label: str | None) -> Upload:
        url = check_http_url(raw, "source.url")
        sink = tempfile.TemporaryFile()
        try:
            with httpx.Client(
                transport=self._fetch_transport, follow_redirects=False, timeout=self._timeout_s
            ) as client:
                final_url, content_type = self._download(client, url, sink)
        except BaseException:
            sink.close()
            raise
        filename = _filename_from_url(final_url)
        return Upload(
            filename, sink, content_type or _guess_type(filename), _label(label, filename, "remote"), sink.close
        )

    def _download(self, client: httpx.Client, url: str, sink: IO[bytes]) -> tuple[str, str | None]:
        current = url
        try:
            for _ in range(MAX_REDIRECTS + 1):
                with client.stream("GET", current) as response:
                    location = _redirect_target(response, current, url)
                    if location is not None:
                        current = location
                        continue
                    self._check_response(response, url)
                    total = 0
                    for chunk in response.iter_bytes():
                        total += len(chunk)
                        if total > self.max_source_bytes:
                            raise _fetch_too_large(url, response.status_code)
                        sink.write(chunk)
                    sink.seek(0)
                    return current, _strip_content_type(response.headers.get("content-type"))
        except httpx.TimeoutException as exc:
            raise RemoteFetchTimeoutError("Remote fetch timed out", url=url, cause=exc) from exc
        except httpx.HTTPError as exc:
            raise RemoteFetchError("Remote fetch failed", url=url, cause=exc) from exc
        raise RemoteFetchError("Remote fetch exceeded redirect limit", code="remote_fetch_redirects_exhausted", url=url)

    def _check_response(self, response: httpx.Response, url: str) -> None:
        if not response.is_success:
            raise RemoteFetchError(
                f"Remote fetch failed with status {response.status_code}", url=url, status=response.status_code
            )
        length = response.headers.get("content-length", "")
        if length.isdigit() and int(length) > self.max_source_bytes:
            raise _fetch_too_large(url, response.status_code)


class AsyncSourceLoader(SourceLoader):
    """Same rules; downloads URLs with ``httpx.AsyncClient``."""

    def __init__(
        self, *, max_source_bytes: int, timeout_ms: float, fetch_transport: httpx.AsyncBaseTransport | None
    ) -> None:
        super().__init__(max_source_bytes=max_source_bytes, timeout_ms=timeout_ms, fetch_transport=None)
        self._async_fetch_transport = fetch_transport

    async def amaterialize(
        self, *, file: BinaryLike | None, url: str | None, path: str | None, label: str | None
    ) -> Upload:
        given = [name for name, value in (("file", file), ("url", url), ("path", path)) if value is not None]
        if len(given) == 1 and url is not None:
            return await self._afrom_url(url, label)
        return self.materialize(file=file, url=url, path=path, label=label)

    async def _afrom_url(self, raw: str, label: str | None) -> Upload:
        url = check_http_url(raw, "source.url")
        sink = tempfile.TemporaryFile()
        try:
            async with httpx.AsyncClient(
                transport=self._async_fetch_transport, follow_redirects=False, timeout=self._timeout_s
            ) as client:
                final_url, content_type = await self._adownload(client, url, sink)
        except BaseException:
            sink.close()
            raise
        filename = _filename_from_url(final_url)
        return Upload(
            filename, sink, content_type or _guess_type(filename), _label(label, filename, "remote"), sink.close
        )

    async def _adownload(self, client: httpx.AsyncClient, url: str, sink: IO[bytes]) -> tuple[str, str | None]:
        current = url
        try:
            for _ in range(MAX_REDIRECTS + 1):
                async with client.stream("GET", current) as response:
                    location = _redirect_target(response, current, url)
                    if location is not None:
                        current = location
                        continue
                    self._check_response(response, url)
                    total = 0
                    async for chunk in response.aiter_bytes():
                        total += len(chunk)
                        if total > self.max_source_bytes:
                            raise _fetch_too_large(url, response.status_code)
                        sink.write(chunk)
                    sink.seek(0)
                    return current, _strip_content_type(response.headers.get("content-type"))
        except httpx.TimeoutException as exc:
            raise RemoteFetchTimeoutError("Remote fetch timed out", url=url, cause=exc) from exc
        except httpx.HTTPError as exc:
            raise RemoteFetchError("Remote fetch failed", url=url, cause=exc) from exc
        raise RemoteFetchError("Remote fetch exceeded redirect limit", code="remote_fetch_redirects_exhausted", url=url)


def _redirect_target(response: httpx.Response, current: str, original: str) -> str | None:
    """The next hop of a redirect (only http/https targets are followed), or None."""
    location = response.headers.get("location")
    if response.status_code not in _REDIRECTS or not location:
        return None
    target: str = urljoin(current, str(location))
    if urlparse(target).scheme not in {"http", "https"}:
        raise RemoteFetchError(
            "Remote fetch redirected to a non-http(s) URL", url=original, status=response.status_code
        )
    return target


def _fetch_too_large(url: str, status: int) -> RemoteFetchTooLargeError:
    return RemoteFetchTooLargeError("source.url exceeds upload size limit", url=url, status=status)


def _filename_from_url(url: str) -> str:
    return Path(urlparse(url).path).name or "remote.bin"


def _strip_content_type(value: str | None) -> str | None:
    if value is None:
        return None
    return value.split(";", 1)[0].strip() or None


def _remaining_size(stream: BinaryIO) -> int | None:
    try:
        if not stream.seekable():
            return None
        position = stream.tell()
        end = int(stream.seek(0, 2))
        stream.seek(position)
    except (AttributeError, OSError, ValueError):
        return None
    return end - int(position)
