"""The committed OpenAPI document (docs/openapi.json) matches the app (STYLE.md practice 10)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = ROOT / "server" / "scripts" / "gen_openapi.py"


def _generator():
    spec = importlib.util.spec_from_file_location("gen_openapi", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_openapi_document_is_current() -> None:
    gen = _generator()
    committed = gen.TARGET.read_text(encoding="utf-8") if gen.TARGET.exists() else ""
    assert committed == gen.render(), (
        "docs/openapi.json drifted from the app: run `make openapi` "
        "(or `python server/scripts/gen_openapi.py`) and commit the result"
    )


def test_openapi_lists_every_contract_route() -> None:
    doc = json.loads(_generator().render())
    paths = {p: set(ops) for p, ops in doc["paths"].items()}
    expected = {
        "/v1/health/ping": {"get"}, "/v1/files": {"get", "post"},
        "/v1/files/{media_id}": {"get", "delete"}, "/v1/files/{media_id}/speakers": {"get"},
        "/v1/files/{media_id}/retention": {"patch"}, "/v1/reports/jobs": {"post"},
        "/v1/reports/{report_id}": {"get"}, "/v1/reports/by-job/{job_id}": {"get"},
        "/v1/matching/jobs": {"post"}, "/v1/matching/{matching_id}": {"get"},
        "/v1/matching/by-job/{job_id}": {"get"}, "/v1/jobs/{job_id}": {"get"},
        "/v1/jobs/{job_id}/cancel": {"post"}, "/v1/jobs/{job_id}/stream": {"get"},
        "/v1/entities": {"get"}, "/v1/entities/{entity_id}": {"get", "patch"},
        "/v2/psychometrics": {"post"}, "/v2/psychometrics/{analysis_id}": {"get"},
        "/v1/webhooks/events": {"get"}, "/v1/webhooks/events/{event_id}/attempts": {"get"},
        "/v1/webhooks/events/{event_id}/redeliver": {"post"},
        "/livez": {"get"}, "/readyz": {"get"},  # ext: for operators
    }
    for path, methods in expected.items():
        assert methods <= paths.get(path, set()), path


def _resolve(doc: dict, schema: dict) -> dict:
    ref = schema.get("$ref")
    if ref is None:
        return schema
    name = ref.removeprefix("#/components/schemas/")
    assert name in doc["components"]["schemas"], f"dangling {ref}"
    return doc["components"]["schemas"][name]


def test_every_operation_declares_typed_responses_and_request_bodies() -> None:
    """A client can be generated: each operation has a schema for its 200 and for every 4xx it declares (the
    error envelope; 410 the flat `gone` body), and each request body has a schema."""
    doc = json.loads(_generator().render())
    envelope = {"$ref": "#/components/schemas/ErrorEnvelope"}
    operations = [(method, path, op) for path, item in doc["paths"].items() for method, op in item.items()]
    assert len(operations) >= 26
    for method, path, op in operations:
        where = f"{method.upper()} {path}"
        ok = op["responses"]["200"]["content"]
        assert ok and all(media.get("schema") for media in ok.values()), where
        for media in ok.values():
            schema = _resolve(doc, media["schema"])
            assert schema.get("properties") or schema.get("anyOf") or schema.get("oneOf"), where
        errors = {code: r for code, r in op["responses"].items() if code.startswith("4")}
        assert "401" in errors or path in ("/v1/health/ping", "/livez", "/readyz"), where
        for code, response in errors.items():
            expected = {"$ref": "#/components/schemas/Gone"} if code == "410" else envelope
            assert response["content"]["application/json"]["schema"] == expected, (where, code)
        if method in ("post", "patch") and "requestBody" in op:
            for media in op["requestBody"]["content"].values():
                assert _resolve(doc, media["schema"]).get("properties"), where
    bodies = {(m, p) for m, p, op in operations if "requestBody" in op}
    assert {("post", "/v1/files"), ("patch", "/v1/files/{media_id}/retention"), ("post", "/v1/reports/jobs"),
            ("post", "/v1/matching/jobs"), ("patch", "/v1/entities/{entity_id}"),
            ("post", "/v2/psychometrics")} <= bodies
    stream = doc["paths"]["/v1/jobs/{job_id}/stream"]["get"]["responses"]["200"]["content"]
    assert list(stream) == ["text/event-stream"]
    assert set(doc["components"]["securitySchemes"]) == {"ApiKey", "Bearer"}


def test_optional_keys_are_not_nullable_and_nullable_keys_are_required() -> None:
    """docs/api.md: a `?` key is omitted, never null; a `|null` key is always sent. Job.progress is optional,
    File.deletedAt is nullable, Report is strict."""
    schemas = json.loads(_generator().render())["components"]["schemas"]
    job, file, report = schemas["Job"], schemas["File"], schemas["Report"]
    assert "progress" not in job["required"] and job["properties"]["progress"]["type"] == "number"
    assert "default" not in job["properties"]["progress"]
    assert "deletedAt" in file["required"]
    assert {"type": "null"} in file["properties"]["deletedAt"]["anyOf"]
    assert report["additionalProperties"] is False and "json" in report["properties"]
    assert job["additionalProperties"] is True
