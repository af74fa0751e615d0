"""``primitives.media``: upload, get, speakers, list, delete, retention lock."""

from __future__ import annotations

from collections.abc import Mapping

from .._requests import report_source_keys, segment
from .._sources import AsyncSourceLoader, SourceLoader, Upload, binary_like, non_empty, normalize_source, optional_str
from .._transport import AsyncTransport, RequestSpec, SyncTransport, check_signal
from ..models import (
    FileDeleteReceipt,
    ListFilesResponse,
    MediaFile,
    MediaObject,
    MediaSpeakers,
    RetentionLockResult,
    parse_delete_receipt,
    parse_list_files,
    parse_media_file,
    parse_media_object,
    parse_media_speakers,
    parse_retention_lock,
)
from ..types import CancelSignal


def _upload_spec(upload: Upload, idempotency_key: str | None, request_id: str | None) -> RequestSpec:
    return RequestSpec(
        "POST",
        "/v1/files",
        data={"label": upload.label},
        files=upload.files(),
        request_id=request_id,
        idempotency_key=idempotency_key,
    )


def _list_query(limit: int | None, cursor: str | None, include_deleted: bool) -> dict[str, str]:
    query = {"includeDeleted": str(include_deleted).lower(), "limit": str(limit or 20)}
    if cursor:
        query["cursor"] = cursor
    return query


def _file_path(media_id: str, suffix: str = "") -> str:
    return f"/v1/files/{segment(media_id, 'media_id')}{suffix}"


class Media:
    def __init__(self, transport: SyncTransport, sources: SourceLoader) -> None:
        self._transport = transport
        self._sources = sources

    def upload(
        self,
        *,
        file: object | None = None,
        url: str | None = None,
        path: str | None = None,
        label: str | None = None,
        idempotency_key: str | None = None,
        request_id: str | None = None,
        signal: CancelSignal | None = None,
    ) -> MediaObject:
        """Upload exactly one of ``file`` (bytes or binary file object), ``url`` or ``path``."""
        check_signal(signal, request_id)
        upload = self._sources.materialize(file=binary_like(file, "file"), url=url, path=path, label=label)
        try:
            check_signal(signal, request_id)
            response = self._transport.request(_upload_spec(upload, idempotency_key, request_id))
        finally:
            upload.close()
        return parse_media_object(response.data)

    def resolve_report_source(
        self,
        source: Mapping[str, object],
        *,
        idempotency_key: str | None,
        request_id: str | None,
        signal: CancelSignal | None,
    ) -> str:
        """The media id of a report source, uploading first when needed."""
        data = normalize_source(source)
        if report_source_keys(data) == "media_id":
            return non_empty(data["media_id"], "source.media_id")
        return self.upload(
            file=binary_like(data.get("file")),
            url=optional_str(data.get("url"), "source.url"),
            path=optional_str(data.get("path"), "source.path"),
            label=optional_str(data.get("label"), "source.label"),
            idempotency_key=idempotency_key,
            request_id=request_id,
            signal=signal,
        ).media_id

    def get(self, media_id: str, *, request_id: str | None = None) -> MediaFile:
        return parse_media_file(
            self._transport.request(RequestSpec("GET", _file_path(media_id), request_id=request_id)).data
        )

    def speakers(self, media_id: str, *, request_id: str | None = None) -> MediaSpeakers:
        spec = RequestSpec("GET", _file_path(media_id, "/speakers"), request_id=request_id)
        return parse_media_speakers(self._transport.request(spec).data)

    def list(
        self,
        *,
        limit: int | None = None,
        cursor: str | None = None,
        include_deleted: bool = False,
        request_id: str | None = None,
    ) -> ListFilesResponse:
        spec = RequestSpec("GET", "/v1/files", query=_list_query(limit, cursor, include_deleted), request_id=request_id)
        return parse_list_files(self._transport.request(spec).data)

    def delete(
        self, media_id: str, *, idempotency_key: str | None = None, request_id: str | None = None
    ) -> FileDeleteReceipt:
        spec = RequestSpec("DELETE", _file_path(media_id), request_id=request_id, idempotency_key=idempotency_key)
        return parse_delete_receipt(self._transport.request(spec).data)

    def set_retention_lock(self, media_id: str, *, locked: bool, request_id: str | None = None) -> RetentionLockResult:
        spec = RequestSpec(
            "PATCH", _file_path(media_id, "/retention"), json_body={"lock": locked}, request_id=request_id
        )
        return parse_retention_lock(self._transport.request(spec).data)


class AsyncMedia:
    def __init__(self, transport: AsyncTransport, sources: AsyncSourceLoader) -> None:
        self._transport = transport
        self._sources = sources

    async def upload(
        self,
        *,
        file: object | None = None,
        url: str | None = None,
        path: str | None = None,
        label: str | None = None,
        idempotency_key: str | None = None,
        request_id: str | None = None,
        signal: CancelSignal | None = None,
    ) -> MediaObject:
        check_signal(signal, request_id)
        upload = await self._sources.amaterialize(file=binary_like(file, "file"), url=url, path=path, label=label)
        try:
            check_signal(signal, request_id)
            response = await self._transport.request(_upload_spec(upload, idempotency_key, request_id))
        finally:
            upload.close()
        return parse_media_object(response.data)

    async def resolve_report_source(
        self,
        source: Mapping[str, object],
        *,
        idempotency_key: str | None,
        request_id: str | None,
        signal: CancelSignal | None,
    ) -> str:
        data = normalize_source(source)
        if report_source_keys(data) == "media_id":
            return non_empty(data["media_id"], "source.media_id")
        uploaded = await self.upload(
            file=binary_like(data.get("file")),
            url=optional_str(data.get("url"), "source.url"),
            path=optional_str(data.get("path"), "source.path"),
            label=optional_str(data.get("label"), "source.label"),
            idempotency_key=idempotency_key,
            request_id=request_id,
            signal=signal,
        )
        return uploaded.media_id

    async def get(self, media_id: str, *, request_id: str | None = None) -> MediaFile:
        spec = RequestSpec("GET", _file_path(media_id), request_id=request_id)
        return parse_media_file((await self._transport.request(spec)).data)

    async def speakers(self, media_id: str, *, request_id: str | None = None) -> MediaSpeakers:
        spec = RequestSpec("GET", _file_path(media_id, "/speakers"), request_id=request_id)
        return parse_media_speakers((await self._transport.request(spec)).data)

    async def list(
        self,
        *,
        limit: int | None = None,
        cursor: str | None = None,
        include_deleted: bool = False,
        request_id: str | None = None,
    ) -> ListFilesResponse:
        spec = RequestSpec("GET", "/v1/files", query=_list_query(limit, cursor, include_deleted), request_id=request_id)
        return parse_list_files((await self._transport.request(spec)).data)

    async def delete(
        self, media_id: str, *, idempotency_key: str | None = None, request_id: str | None = None
    ) -> FileDeleteReceipt:
        spec = RequestSpec("DELETE", _file_path(media_id), request_id=request_id, idempotency_key=idempotency_key)
        return parse_delete_receipt((await self._transport.request(spec)).data)

    async def set_retention_lock(
        self, media_id: str, *, locked: bool, request_id: str | None = None
    ) -> RetentionLockResult:
        spec = RequestSpec(
            "PATCH", _file_path(media_id, "/retention"), json_body={"lock": locked}, request_id=request_id
        )
        return parse_retention_lock((await self._transport.request(spec)).data)
