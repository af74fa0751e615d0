"""Streaming multipart/form-data reader: the file part goes to a temp file while it arrives, hashed and size
checked on the way, so an oversized upload is refused mid-stream and nothing is buffered whole in memory.

Everything else is bounded too (issue 10): every body byte counts against the upload limit (plus FORM_BYTES),
at most MAX_PARTS parts, and part headers and field values share FORM_BYTES; only the route's known fields are
kept, other fields are read past and ignored (docs/api.md §1: unknown keys are ignored)."""

from __future__ import annotations

import asyncio
import hashlib
import tempfile
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from fastapi import Request
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from conduit_server.api.text_safety import check_params
from conduit_server.domain.errors import ApiError
from conduit_server.pipeline.types import MediaProbe, UnsupportedMediaError

FORM_BYTES = 64 * 1024  # part headers + field values, all parts together
MAX_PARTS = 16  # the forms have 2-3 parts


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


@dataclass
class _Part:
    """The part being read: its headers, name, and where its data goes (the temp file, or `data` for a field)."""

    headers: dict[bytes, bytes] = field(default_factory=dict)
    name: str | None = None
    data: bytearray = field(default_factory=bytearray)
    file: IO[Any] | None = None


def _too_large(limit: int) -> ApiError:
    return ApiError(f"Upload is larger than the limit of {limit} bytes", code="payload_too_large", status=413)


async def read_form(request: Request, *, max_file_bytes: int, tmp_dir: Path,
                    known_fields: Collection[str]) -> UploadedForm:
    """Read the form: its one `file` part to a temp file, the `known_fields` into `fields` (first value wins).
    413 when the body outgrows the file limit plus FORM_BYTES; 422 `bad_form` for too many parts or too much
    non-file data; 422 `validation_error` for a known field with NUL."""
    content_type = request.headers.get("content-type", "")
    ctype, params = parse_options_header(content_type)
    boundary = params.get(b"boundary")
    if ctype != b"multipart/form-data" or not boundary:
        raise ApiError("Body must be multipart/form-data with a boundary", code="bad_form", status=422)
    declared = request.headers.get("content-length")
    max_body = max_file_bytes + FORM_BYTES
    if declared and declared.isdigit() and int(declared) > max_body:
        raise _too_large(max_file_bytes)

    form = UploadedForm()
    digest = hashlib.sha256()
    part = _Part()
    header_field = bytearray()
    header_value = bytearray()
    errors: list[ApiError] = []
    ended: list[bool] = []  # set by the closing boundary; a body cut off before it is not a form
    counts = {"parts": 0, "form_bytes": 0}

    def form_bytes(n: int) -> bool:
        """Charge `n` bytes of headers or field data to FORM_BYTES; False (and an error) once it is spent."""
        counts["form_bytes"] += n
        if counts["form_bytes"] > FORM_BYTES and not errors:
            errors.append(ApiError(f"Form fields and part headers exceed {FORM_BYTES} bytes", code="bad_form",
                                   status=422))
        return not errors

    def on_part_begin() -> None:
        nonlocal part
        part = _Part()
        counts["parts"] += 1
        if counts["parts"] > MAX_PARTS and not errors:
            errors.append(ApiError(f"The form has more than {MAX_PARTS} parts", code="bad_form", status=422))

    def on_header_field(data: bytes, start: int, end: int) -> None:
        if form_bytes(end - start):
            header_field.extend(data[start:end])

    def on_header_value(data: bytes, start: int, end: int) -> None:
        if form_bytes(end - start):
            header_value.extend(data[start:end])

    def on_header_end() -> None:
        part.headers[bytes(header_field).lower()] = bytes(header_value)
        header_field.clear()
        header_value.clear()

    def on_headers_finished() -> None:
        _, disp = parse_options_header(part.headers.get(b"content-disposition", b""))
        name = disp.get(b"name", b"").decode("utf-8", "replace")
        part.name = name
        if name == "file" and form.file_path is not None and not errors:
            errors.append(ApiError("The form has more than one `file` part", code="bad_form", status=422))
        if name == "file" and form.file_path is None:
            filename = disp.get(b"filename")
            form.filename = filename.decode("utf-8", "replace") if filename is not None else None
            part.file = tempfile.NamedTemporaryFile(dir=tmp_dir, prefix="upload-", delete=False)  # noqa: SIM115
            form.file_path = Path(part.file.name)

    def on_part_data(data: bytes, start: int, end: int) -> None:
        chunk = data[start:end]
        if part.file is not None:
            form.size += len(chunk)
            if form.size > max_file_bytes:
                if not errors:
                    errors.append(_too_large(max_file_bytes))
                return
            digest.update(chunk)
            part.file.write(chunk)
        elif form_bytes(len(chunk)) and part.name in known_fields:
            part.data.extend(chunk)

    def on_part_end() -> None:
        if part.file is not None:
            part.file.close()
            part.file = None
        elif part.name is not None and part.name in known_fields:
            form.fields.setdefault(part.name, part.data.decode("utf-8", "replace"))

    parser = MultipartParser(
        boundary,
        callbacks={
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
    received = 0
    try:
        async for chunk in request.stream():
            received += len(chunk)  # boundaries, a preamble or an epilogue cost as much as file bytes
            if received > max_body:
                raise _too_large(max_file_bytes)
            parser.write(chunk)
            if errors:
                raise errors[0]
        parser.finalize()
        if not ended:
            raise ApiError("Malformed multipart body: it ends before the closing boundary", code="bad_form",
                           status=422)
        check_params(form.fields.items())
    except BaseException as exc:
        if part.file is not None:
            part.file.close()
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

    assert form.file_path is not None  # read_form refuses a form without its file part
    try:
        probe = await asyncio.to_thread(probe_media, form.file_path)
    except UnsupportedMediaError as exc:
        raise ApiError(exc.message, code="unsupported_media_type", status=415) from exc
    duration = probe.duration_seconds
    if duration is not None and duration > max_seconds:
        raise ApiError(f"Media is {duration:.0f} s long; the limit is {max_seconds:.0f} s",
                       code="media_too_long", status=422)
    return probe
