"""Keeping secrets out of what people read: URL credentials, API keys, webhook secrets and passwords are masked
in `Settings` reprs, log lines (tracebacks included) and the webhook events list."""

from __future__ import annotations

import logging
import re
from urllib.parse import urlsplit, urlunsplit

MASK = "***"

# scheme://user:password@ or scheme://token@ (anything before the @ of an authority)
_URL_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@?#]*@")
# Conduit's own credentials, wherever they appear (`sk_` API keys, `whsec_` webhook secrets)
_TOKEN = re.compile(r"(?<![A-Za-z0-9_])(sk|whsec)_[A-Za-z0-9_-]+")
# libpq keyword form and query parameters: password=..., secret_access_key=..., token=...
_ASSIGNMENT = re.compile(r"(?i)\b(password|passwd|secret[a-z_]*|[a-z_]*token|[a-z_]*api_key)=([^\s&;,]+)")


def redact_url(url: str) -> str:
    """`url` with any user/password part replaced by `***` (`https://u:p@host/x` -> `https://***@host/x`)."""
    try:
        parts = urlsplit(url)
        if parts.username is None and parts.password is None:
            return url
        host = parts.hostname or ""
        if ":" in host:  # IPv6 literal
            host = f"[{host}]"
        netloc = f"{MASK}@{host}" + (f":{parts.port}" if parts.port is not None else "")
        return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    except ValueError:  # unparsable (bad port, bad IPv6): mask by pattern instead
        return redact_text(url)


def redact_text(text: str) -> str:
    """Free text (a log line, an exception message) with every credential pattern masked."""
    text = _URL_USERINFO.sub(lambda m: m.group(1) + MASK + "@", text)
    text = _TOKEN.sub(lambda m: m.group(1) + "_" + MASK, text)
    return _ASSIGNMENT.sub(lambda m: m.group(1) + "=" + MASK, text)


class RedactingFormatter(logging.Formatter):
    """A log formatter that masks credentials in the whole formatted record, traceback included."""

    def format(self, record: logging.LogRecord) -> str:
        return redact_text(super().format(record))
