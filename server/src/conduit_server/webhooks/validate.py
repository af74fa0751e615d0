"""Validation of a create body's ``webhook`` object (docs/api.md §6.1).

Returns issues instead of raising, so the API layer can put them in one 422 ``validation_error``
(``details.issues``, 7.1). Destination (SSRF) rules are not checked here: they depend on DNS at delivery time.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from .signer import is_reserved_header

__all__ = ["MAX_HEADER_VALUE_CHARS", "MAX_HEADERS", "MAX_URL_CHARS", "Issue", "validate_webhook_config"]

MAX_URL_CHARS = 2048
MAX_HEADERS = 20
MAX_HEADER_VALUE_CHARS = 1024

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_URL_FORBIDDEN = re.compile(r"[\x00-\x20\x7f]")
_VALUE_FORBIDDEN = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")  # controls except HTAB


@dataclass(frozen=True)
class Issue:
    path: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"path": self.path, "message": self.message}


def _url_issue(url: Any) -> str | None:
    if not isinstance(url, str):
        return "Required" if url is None else "Expected string"
    if not url:
        return "Required"
    if len(url) > MAX_URL_CHARS:
        return f"Must be at most {MAX_URL_CHARS} characters"
    if _URL_FORBIDDEN.search(url):
        return "Must not contain whitespace or control characters"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        return "Invalid URL"
    if parts.scheme.lower() not in ("http", "https"):
        return "Must be an absolute http or https URL"
    if not parts.hostname:
        return "Must be an absolute http or https URL"
    return None


def _header_issues(headers: Any, path: str) -> list[Issue]:
    if not isinstance(headers, Mapping):
        return [Issue(path, "Expected object")]
    issues: list[Issue] = []
    if len(headers) > MAX_HEADERS:
        issues.append(Issue(path, f"At most {MAX_HEADERS} headers"))
    seen: set[str] = set()
    for name, value in headers.items():
        item = f"{path}.{name}"
        if not isinstance(name, str) or not _TOKEN.fullmatch(name):
            issues.append(Issue(item, "Header name must be an HTTP token"))
            continue
        if is_reserved_header(name):
            issues.append(Issue(item, "Header name is reserved"))
        elif name.lower() in seen:
            issues.append(Issue(item, "Duplicate header name"))
        seen.add(name.lower())
        if not isinstance(value, str):
            issues.append(Issue(item, "Expected string"))
        elif len(value) > MAX_HEADER_VALUE_CHARS:
            issues.append(Issue(item, f"Must be at most {MAX_HEADER_VALUE_CHARS} characters"))
        elif "\r" in value or "\n" in value:
            issues.append(Issue(item, "Must not contain CR or LF"))
        elif _VALUE_FORBIDDEN.search(value):
            issues.append(Issue(item, "Must not contain control characters"))
    return issues


def validate_webhook_config(obj: Any, *, path: str = "webhook") -> list[Issue]:
    """Issues with a ``webhook`` create-body value; an empty list means valid. Unknown keys are ignored."""
    if not isinstance(obj, Mapping):
        return [Issue(path, "Expected object")]
    issues: list[Issue] = []
    url_problem = _url_issue(obj.get("url"))
    if url_problem is not None:
        issues.append(Issue(f"{path}.url", url_problem))
    if "headers" in obj:
        issues.extend(_header_issues(obj["headers"], f"{path}.headers"))
    return issues
