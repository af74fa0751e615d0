"""Streaming multipart/form-data reader: the file part goes to a temp file while it arrives, hashed and size
checked on the way, so an oversized upload is refused mid-stream and nothing is buffered whole in memory."""

from __future__ import annotations

import asyncio
import hashlib
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from fastapi import Request
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from conduit_server.domain.errors import ApiError
from conduit_server.pipeline.types import MediaProbe, UnsupportedMediaError

_FIELD_LIMIT = 64 * 1024


@dataclass
class UploadedForm:
    file_path: Path | None = None
    filename: str | None = None
    size: int = 0
    sha256: str = ""
    fields: dict[str, str] = field(default_factory=dict)

    def cleanup(self) -> None:
        if self.file_path is not None:
            self.file_path.unlink(missing_ok=True)


def _too_large(limit: int) -> ApiError:
    return ApiError(f"Upload is larger than the limit of {limit} bytes", code="payload_too_large", status=413)


async def read_form(request: Request, *, max_file_bytes: int, tmp_dir: Path) -> UploadedForm:
    content_type = request.headers.get("content-type", "")
    ctype, params = parse_options_header(content_type)
    boundary = params.get(b"boundary")
    if ctype != b"multipart/form-data" or not boundary:
        raise ApiError("Body must be multipart/form-data with a boundary", code="bad_form", status=422)
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_file_bytes + _FIELD_LIMIT:
        raise _too_large(max_file_bytes)

    form = UploadedForm()
    digest = hashlib.sha256()
    state: dict[str, object] = {"headers": {}, "name": None, "filename": None, "buf": bytearray(), "file": None}
    header_field = bytearray()
    header_value = bytearray()
    errors: list[ApiError] = []
    ended: list[bool] = []  # set by the closing boundary; a body cut off before it is not a form

    def on_part_begin() -> None:
        state.update(headers={}, name=None, filename=None, buf=bytearray(), file=None)

    def on_header_field(data: bytes, start: int, end: int) -> None:
        header_field.extend(data[start:end])

    def on_header_value(data: bytes, start: int, end: int) -> None:
        header_value.extend(data[start:end])

    def on_header_end() -> None:
        headers = state["headers"]
        assert isinstance(headers, dict)
        headers[bytes(header_field).lower()] = bytes(header_value)
        header_field.clear()
        header_value.clear()

    def on_headers_finished() -> None:
        headers = state["headers"]
        assert isinstance(headers, dict)
        _, disp = parse_options_header(headers.get(b"content-disposition", b""))
        name = disp.get(b"name", b"").decode("utf-8", "replace")
        state["name"] = name
        if name == "file" and form.file_path is None:
            filename = disp.get(b"filename")
            form.filename = filename.decode("utf-8", "replace") if filename is not None else None
            handle = tempfile.NamedTemporaryFile(dir=tmp_dir, prefix="upload-", delete=False)  # noqa: SIM115
            form.file_path = Path(handle.name)
            state["file"] = handle

    def on_part_data(data: bytes, start: int, end: int) -> None:
        chunk = data[start:end]
        handle = state["file"]
        if handle is not None:
            form.size += len(chunk)
            if form.size > max_file_bytes:
                if not errors:
                    errors.append(_too_large(max_file_bytes))
                return
            digest.update(chunk)
            assert isinstance(handle, IO) or hasattr(handle, "write")
            handle.write(chunk)  # type: ignore[union-attr]
        else:
            buf = state["buf"]
            assert isinstance(buf, bytearray)
            if len(buf) + len(chunk) > _FIELD_LIMIT:
                if not errors:
                    errors.append(ApiError("Form field is too large", code="bad_form", status=422))
                return
            buf.extend(chunk)

    def on_part_end() -> None:
        handle = state["file"]
        if handle is not None:
            handle.close()  # type: ignore[union-attr]
            state["file"] = None
        elif state["name"]:
            buf = state["buf"]
            assert isinstance(buf, bytearray)
            form.fields.setdefault(str(state["name"]), buf.decode("utf-8", "replace"))

    parser = MultipartParser(
        boundary,
        callbacks={  # type: ignore[arg-type]
            "on_part_begin": on_part_begin,
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
            "on_headers_finished": on_headers_finished,
            "on_part_data": on_part_data,
            "on_part_end": on_part_end,
            "on_end": lambda: ended.append(True),
        },
    )
    try:
        async for chunk in request.stream():
            parser.write(chunk)
            if errors:
                raise errors[0]
        parser.finalize()
        if not ended:
            raise ApiError("Malformed multipart body: it ends before the closing boundary", code="bad_form",
                           status=422)
    except BaseException as exc:
        handle = state.get("file")
        if handle is not None:
            handle.close()  # type: ignore[union-attr]
        form.cleanup()
        if isinstance(exc, MultipartParseError):
            raise ApiError(f"Malformed multipart body: {exc}", code="bad_form", status=422) from exc
        raise
    if form.file_path is None:
        raise ApiError("The form has no `file` part", code="invalid_upload", status=422)
    form.sha256 = digest.hexdigest()
    return form


async def probe_upload(form: UploadedForm, *, max_seconds: float) -> MediaProbe:
    """Sniff a non-empty upload from its bytes: 415 without a decodable audio stream, 422 `media_too_long` when
    the container already tells a duration over the limit."""
    from conduit_server.pipeline.audio import probe_media  # PyAV, imported on first upload only

    try:
        probe = await asyncio.to_thread(probe_media, form.file_path)
    except UnsupportedMediaError as exc:
        raise ApiError(exc.message, code="unsupported_media_type", status=415) from exc
    duration = probe.duration_seconds
    if duration is not None and duration > max_seconds:
        raise ApiError(f"Media is {duration:.0f} s long; the limit is {max_seconds:.0f} s",
                       code="media_too_long", status=422)
    return probe
