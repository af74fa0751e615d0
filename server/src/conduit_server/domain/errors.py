"""Domain errors, raised anywhere in the core and translated to the error envelope of docs/api.md §7 in one place
(`conduit_server.api.errors`).

    ApiError(status, code, message, details)
      ├── NotFound (404 not_found)
      ├── Unauthorized (401 unauthorized)
      ├── ValidationFailed (422 validation_error, details.issues)
      └── Gone (410, flat body)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


class ApiError(Exception):
    status = 400
    code = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status: int | None = None,
        details: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.details = dict(details) if details else None
        self.headers = dict(headers) if headers else {}


class NotFound(ApiError):
    status = 404
    code = "not_found"


class Unauthorized(ApiError):
    status = 401
    code = "unauthorized"


class ValidationFailed(ApiError):
    status = 422
    code = "validation_error"

    def __init__(self, issues: Iterable[tuple[str, str]], message: str | None = None, *, code: str | None = None):
        issue_list = [{"path": path, "message": msg} for path, msg in issues]
        if message is None:
            first = issue_list[0] if issue_list else {"path": "", "message": "Invalid request"}
            message = f"{first['path']}: {first['message']}" if first["path"] else first["message"]
        super().__init__(message, code=code, details={"issues": issue_list})


class Gone(ApiError):
    status = 410
    code = "gone"

    def __init__(self, deleted_at: str) -> None:
        super().__init__("File was deleted")
        self.deleted_at = deleted_at
