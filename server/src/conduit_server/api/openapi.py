"""What the route decorators add to the OpenAPI document: typed responses (the success shape and the error envelope
for each 4xx the route can answer), request bodies, query and header parameters, and the API-key security schemes.

Handlers read their bodies and query strings themselves (deps.json_body, uploads.read_form) so that bad input gets
the errors of docs/api.md §7; bodies are therefore described through `openapi_extra`, with their models registered in
the components by `install`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from conduit_server.api import report_schemas, schemas

REQUEST_MODELS: tuple[type[BaseModel], ...] = (
    schemas.RetentionLock, schemas.EntityUpdate, schemas.UploadForm, schemas.PsychometricsForm,
    report_schemas.ReportJobCreate, report_schemas.MatchingJobCreate,
)
STREAM_EVENTS: dict[str, type[BaseModel]] = {
    "status": schemas.StatusEvent, "stage": schemas.StageEvent, "terminal": schemas.TerminalEvent,
    "heartbeat": schemas.HeartbeatEvent, "error": schemas.StreamError,
}

_ERROR_TEXT = {
    400: "Malformed request: bad JSON or Content-Type, headers too large",
    401: "Missing, unknown or revoked API key",
    403: "The key's workspace is disabled",
    404: "No such resource in this workspace",
    409: "A request with this Idempotency-Key is still in progress",
    413: "Body over the size limit",
    415: "The upload has no decodable audio stream",
    422: "The request fails validation (`details.issues`), or a referenced resource does not exist",
    429: "Rate limit exceeded (Retry-After)",
    503: "A dependency is unavailable; retry after Retry-After seconds",
}
AUTHENTICATED = (400, 401, 403, 429, 503)
NOT_FOUND = (*AUTHENTICATED, 404, 422)  # 422: a path parameter FastAPI itself refuses gets the envelope too
JSON_BODY = (*AUTHENTICATED, 413, 422)
IDEMPOTENT = (409, 422)


def responses(ok: Any, *errors: int, description: str = "OK", gone: bool = False) -> dict[int | str, Any]:
    """`responses=` for a JSON route: 200 with `ok` (a model or a type like `Model | None`), each error code with
    the envelope, and 410 with the flat `gone` body when the route reads a file that may be soft-deleted."""
    out: dict[int | str, Any] = {200: {"model": ok, "description": description}}
    for status in sorted(set(errors)):
        out[status] = {"model": schemas.ErrorEnvelope, "description": _ERROR_TEXT[status]}
    if gone:
        out[410] = {"model": schemas.Gone, "description": "The file was soft-deleted"}
    return out


def _event(name: str, model: type[BaseModel]) -> dict[str, Any]:
    data = {"type": "string", "contentMediaType": "application/json", "contentSchema": _ref(model)}
    return {"type": "object", "required": ["event", "data"],
            "properties": {"event": {"const": name}, "data": data, "id": {"type": "string", "pattern": "^[0-9]+$"}}}


def event_stream(*errors: int) -> dict[int | str, Any]:
    """`responses=` for the SSE route. Before OpenAPI 3.2 the `schema` of `text/event-stream` describes one
    event: its `event:` name, its `id:` and the JSON text of its `data:` line (docs/api.md §5). Errors are JSON."""
    out = responses(None, *errors)
    one_event = {"oneOf": [_event(name, model) for name, model in STREAM_EVENTS.items()]}
    out[200] = {"description": "Job events as Server-Sent Events",
                "content": {"text/event-stream": {"schema": one_event}}}
    return out


def _ref(model: type[BaseModel]) -> dict[str, str]:
    registered = (*REQUEST_MODELS, *STREAM_EVENTS.values())
    assert model in registered, f"{model.__name__} is not registered for the components"
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def body(model: type[BaseModel], *params: dict[str, Any], media_type: str = "application/json") -> dict[str, Any]:
    """`openapi_extra=` for a request body described by `model` (a JSON object, or the fields of a
    multipart/form-data body), plus any parameters."""
    extra = {"requestBody": {"required": True, "content": {media_type: {"schema": _ref(model)}}}}
    return {**extra, **parameters(*params)}


def form(model: type[BaseModel], *params: dict[str, Any]) -> dict[str, Any]:
    return body(model, *params, media_type="multipart/form-data")


def parameters(*params: dict[str, Any]) -> dict[str, Any]:
    """`openapi_extra=` for query/header parameters the handler reads from the request itself."""
    return {"parameters": list(params)} if params else {}


def query(name: str, schema: dict[str, Any], description: str = "") -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


def header(name: str, schema: dict[str, Any], description: str = "") -> dict[str, Any]:
    return {"name": name, "in": "header", "required": False, "schema": schema, "description": description}


LIMIT = query("limit", {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}, "Page size")
CURSOR = query("cursor", {"type": "string"}, "Opaque cursor from the previous page")
IDEMPOTENCY_KEY = header("Idempotency-Key", {"type": "string", "minLength": 1, "maxLength": 255,
                                             "pattern": "^[\\x20-\\x7e]+$"},
                         "Replays the stored answer of an earlier request with the same key (24 h)")

FILE_LIST_QUERY = parameters(
    LIMIT, CURSOR,
    query("includeDeleted", {"type": "boolean", "default": False}, "Also list soft-deleted files"),
    query("createdAfter", {"type": "string", "format": "date-time"}),
    query("createdByUserId", {"type": "string"}),
    query("search", {"type": "string", "minLength": 1, "maxLength": 200}, "Case-insensitive substring of label"),
)
STREAM_QUERY = parameters(
    query("timeout", {"type": "integer"}, "Milliseconds, clamped to 1000..300000 (default 300000)"),
    header("Last-Event-ID", {"type": "string"}, "Replay events after this id"),
)
EVENT_LIST_QUERY = parameters(LIMIT, CURSOR, query("jobId", {"type": "string"}, "Only this job's events"))

SECURITY_SCHEMES = {
    "ApiKey": {"type": "apiKey", "in": "header", "name": "Mappa-Api-Key"},
    "Bearer": {"type": "http", "scheme": "bearer"},
}
PUBLIC_PATHS = frozenset({"/v1/health/ping"})


def _request_components() -> dict[str, Any]:
    models = [(m, "validation") for m in REQUEST_MODELS] + [(m, "serialization") for m in STREAM_EVENTS.values()]
    _, top = models_json_schema(models, ref_template="#/components/schemas/{model}")  # type: ignore[arg-type]
    defs: dict[str, Any] = top.get("$defs", {})
    return defs


def _operations(doc: dict[str, Any]) -> Iterable[tuple[str, dict[str, Any]]]:
    for path, item in doc.get("paths", {}).items():
        for op in item.values():
            yield path, op


def install(app: FastAPI) -> None:
    """Replace `app.openapi` with one that also carries the request-body and stream-event models and the
    security schemes."""

    def build() -> dict[str, Any]:
        if app.openapi_schema is None:
            doc = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
            components = doc.setdefault("components", {})
            known = components.setdefault("schemas", {})
            for name, schema in _request_components().items():
                assert known.get(name, schema) == schema, f"two different schemas named {name}"
                known[name] = schema
            components["securitySchemes"] = SECURITY_SCHEMES
            for path, op in _operations(doc):
                if path not in PUBLIC_PATHS:
                    op["security"] = [{"ApiKey": []}, {"Bearer": []}]
            app.openapi_schema = doc
        return app.openapi_schema

    app.openapi = build  # type: ignore[method-assign]

