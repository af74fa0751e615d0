"""Rendering console pages: one Jinja2 environment over console/templates (autoescaped), and the headers every
console answer carries (no caching, no framing, scripts and styles from this origin only)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.responses import HTMLResponse

TEMPLATES = Path(__file__).parent / "templates"

# wavesurfer.js styles its shadow DOM with <style> elements, so styles allow 'unsafe-inline'; scripts never do
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        "media-src 'self' blob:; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def _when(value: datetime | None) -> str:
    return "" if value is None else value.strftime("%Y-%m-%d %H:%M:%S")


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return ""
    whole = int(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["when"] = _when
    env.filters["clock"] = _clock
    return env


ENV = _environment()


def render(request: Request, name: str, *, http_status: int = 200, headers: dict[str, str] | None = None,
           **context: Any) -> HTMLResponse:
    """The template `name` as an HTML answer; `context` plus the request (for the current path)."""
    html = ENV.get_template(name).render(request=request, path=request.url.path, **context)
    return HTMLResponse(html, status_code=http_status, headers={**SECURITY_HEADERS, **(headers or {})})
