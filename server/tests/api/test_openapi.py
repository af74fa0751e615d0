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
    }
    for path, methods in expected.items():
        assert methods <= paths.get(path, set()), path
