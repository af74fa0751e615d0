"""Console page for one recording: a waveform (wavesurfer.js), a speaker timeline, the transcript by speaker
(click a line to play from there), speakers linked to their entities; and the recording's bytes, streamed from
the blob store to the session with HTTP Range support so the player can seek."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response, StreamingResponse

from conduit_server.api.deps import runtime
from conduit_server.console.auth import Console, console_session
from conduit_server.console.pages import render
from conduit_server.domain.errors import ApiError, NotFound
from conduit_server.store import media as media_store

router = APIRouter(prefix="/console/recordings", include_in_schema=False)

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
COLORS = ("#2f6fde", "#d9822b", "#2e9e6a", "#b04ac9", "#c23b4a", "#6b7a8f")


async def _media(request: Request, console: Console, media_id: str) -> Any:
    async with runtime(request).engine.connect() as conn:
        row = await media_store.get(conn, media_id, console.workspace_id)
        if row is None or row.deleted_at is not None:
            raise NotFound("Recording not found")
        speakers, transcript = await media_store.speakers_view(conn, row)
    return row, speakers, transcript


def _timeline(speakers: list[dict[str, Any]], transcript: dict[str, Any]) -> list[dict[str, Any]]:
    """One lane per speaker: its utterances as [left %, width %] of the recording."""
    total = float(transcript.get("durationSeconds") or 0) or 1.0
    lanes = []
    for s in speakers:
        index = s["speakerIndex"]
        spans = [
            {"left": round(100 * u["startSeconds"] / total, 3),
             "width": round(max(0.2, 100 * (u["endSeconds"] - u["startSeconds"]) / total), 3),
             "start": u["startSeconds"]}
            for u in transcript["utterances"] if u["speakerIndex"] == index
        ]
        lanes.append({"speaker": s, "spans": spans, "color": COLORS[index % len(COLORS)]})
    return lanes


@router.get("/{media_id}", response_model=None)
async def recording_page(media_id: str, request: Request, console: Console = Depends(console_session)) -> Response:
    row, speakers, transcript = await _media(request, console, media_id)
    return render(request, "recording.html", console=console, media=row, speakers=speakers, transcript=transcript,
                  lanes=_timeline(speakers, transcript), colors=COLORS, start=request.query_params.get("t", ""))


def _byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """(start, end exclusive) of a single `bytes=` range; None for the whole object; 416 if unsatisfiable."""
    if not header:
        return None
    match = _RANGE.match(header.strip())
    if match is None or (not match.group(1) and not match.group(2)):
        return None  # not a single byte range: answer with the whole object (RFC 9110 allows ignoring it)
    first, last = match.group(1), match.group(2)
    if first:
        start, end = int(first), (min(int(last) + 1, size) if last else size)
    else:
        start, end = max(0, size - int(last)), size
    if start >= size or start >= end:
        raise ApiError("Range not satisfiable", code="range_not_satisfiable", status=416,
                       headers={"Content-Range": f"bytes */{size}"})
    return start, end


@router.get("/{media_id}/audio", response_model=None)
async def audio(media_id: str, request: Request, console: Console = Depends(console_session)) -> Response:
    row, _, _ = await _media(request, console, media_id)
    if not row.storage_key or not row.size_bytes:
        raise NotFound("This recording has no stored audio")
    rt = runtime(request)
    size = int(row.size_bytes)
    wanted = _byte_range(request.headers.get("range"), size)
    start, end = wanted if wanted is not None else (0, size)

    async def body() -> AsyncIterator[bytes]:
        async for chunk in rt.blobs.stream(row.storage_key, start, end):
            yield chunk

    headers = {"Accept-Ranges": "bytes", "Content-Length": str(end - start), "Cache-Control": "private, no-store",
               "X-Content-Type-Options": "nosniff"}
    if wanted is not None:
        headers["Content-Range"] = f"bytes {start}-{end - 1}/{size}"
    return StreamingResponse(body(), status_code=206 if wanted is not None else 200, media_type=row.content_type,
                             headers=headers)
