"""Log lines for operators: plain text (the default) or one JSON object per line (`CONDUIT_LOG_FORMAT=json`).

Every line says what it belongs to: the HTTP request (`request_id`), the workspace whose API key made it
(`workspace_id`), the job a worker runs (`job_id`), the webhook event being delivered (`event_id`). These live in
a context variable, so code deep in a request or a job logs normally and the line still carries them; asyncio
tasks and `asyncio.to_thread` copy the context, so the speech pipeline's threads carry the job id too.

Credentials never reach a line (domain/redact.py): both formats mask the message, the context and the traceback.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import IO, Any

from conduit_server.domain.redact import RedactingFormatter, redact_text

__all__ = ["LOG_FORMATS", "JsonFormatter", "TextFormatter", "bind", "configure_logging", "current", "log_context",
           "make_handler"]

LOG_FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
FIELDS_ATTR = "conduit_fields"  # `extra={FIELDS_ATTR: {...}}`: structured fields of one line (the access log's)
_CONTEXT_ATTR = "conduit_context"

_context: ContextVar[Mapping[str, str] | None] = ContextVar("conduit_log_context", default=None)


def current() -> dict[str, str]:
    """The context every line logged here and now carries (request_id, workspace_id, job_id, event_id...)."""
    return dict(_context.get() or {})


def _merged(values: Mapping[str, str | None]) -> dict[str, str]:
    return {**current(), **{k: v for k, v in values.items() if v}}


@contextlib.contextmanager
def log_context(**values: str | None) -> Iterator[None]:
    """Lines logged inside carry `values` (None values are left out); the previous context comes back on exit,
    including anything `bind` added inside."""
    token = _context.set(_merged(values))
    try:
        yield
    finally:
        _context.reset(token)


def bind(**values: str | None) -> None:
    """Add `values` to the current context until the enclosing `log_context` ends: for what is learned midway,
    like the workspace once a request's API key is resolved."""
    _context.set(_merged(values))


class _ContextFilter(logging.Filter):
    """Stamps the context on the record when it is made, so a handler formatting it later still has it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, _CONTEXT_ATTR):
            setattr(record, _CONTEXT_ATTR, current())
        return True


def _context_of(record: logging.LogRecord) -> dict[str, str]:
    stamped = getattr(record, _CONTEXT_ATTR, None)
    return dict(stamped) if isinstance(stamped, Mapping) else current()


class TextFormatter(RedactingFormatter):
    """`time LEVEL logger: message key=value...`, the context appended; masked like every Conduit log line."""

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 (logging's name)
        line = super().formatMessage(record)
        return line + "".join(f" {key}={value}" for key, value in _context_of(record).items())


def _masked(value: Any) -> Any:
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, Mapping):
        return {str(k): _masked(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_masked(v) for v in value]
    return value


class JsonFormatter(logging.Formatter):
    """One JSON object per line: timestamp (ISO-8601 UTC), level, logger, message, the context, the line's own
    fields, and `exception` (the traceback as one string). Each string is masked on its own, before encoding,
    so masking can never break the JSON."""

    def format(self, record: logging.LogRecord) -> str:
        created = datetime.fromtimestamp(record.created, tz=UTC)
        entry: dict[str, Any] = {
            "timestamp": created.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(_context_of(record))
        fields = getattr(record, FIELDS_ATTR, None)
        if isinstance(fields, Mapping):
            entry.update(fields)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(_masked(entry), ensure_ascii=False, default=str)


def make_handler(log_format: str = "text", stream: IO[str] | None = None) -> logging.Handler:
    """A handler writing `log_format` lines (to stderr by default) with the context stamped on each record."""
    if log_format not in LOG_FORMATS:
        raise ValueError(f"log format must be one of {', '.join(LOG_FORMATS)}, got {log_format!r}")
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter(TEXT_FORMAT))
    handler.addFilter(_ContextFilter())
    return handler


def configure_logging(level: str, log_format: str = "text") -> None:
    """Root logging for every command. uvicorn's own loggers propagate here (http_server.py gives it no logging
    config of its own), so its lines get the same format and masking."""
    logging.basicConfig(level=level.upper(), handlers=[make_handler(log_format)])
