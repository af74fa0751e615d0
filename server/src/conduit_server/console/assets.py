"""The console's static assets (stylesheet, script, vendored htmx and wavesurfer.js), served only to a session."""

from __future__ import annotations

import mimetypes
from pathlib import Path

from fastapi import APIRouter, Depends
from starlette.responses import FileResponse

from conduit_server.console.auth import Console, console_session
from conduit_server.domain.errors import NotFound

router = APIRouter(prefix="/console/static", include_in_schema=False)

STATIC = (Path(__file__).parent / "static").resolve()


@router.get("/{name:path}")
async def asset(name: str, _: Console = Depends(console_session)) -> FileResponse:
    path = (STATIC / name).resolve()
    if not path.is_relative_to(STATIC) or not path.is_file():
        raise NotFound("No such asset")
    media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return FileResponse(path, media_type=media_type, headers={"Cache-Control": "private, max-age=3600",
                                                              "X-Content-Type-Options": "nosniff"})
