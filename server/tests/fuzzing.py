"""Schemathesis against a real `conduit serve` (importable as `fuzzing`; used by api/test_fuzz.py with a small
budget and by bench/fuzz.py with a large one).

The server's own /openapi.json drives it: every operation, with the coverage, fuzzing and stateful phases (links
between operations are inferred from the document), half of the ids drawn from resources seeded first. The checks:
no 5xx, every status code documented, every response body (SSE events included) valid against its schema, the
documented Content-Type.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from e2e.server_process import ServerProcess

CHECKS = ("not_a_server_error", "status_code_conformance", "response_schema_conformance",
          "content_type_conformance")
# Enough for thousands of requests a minute: the fuzzer should reach the handlers, not the rate limiter (which
# api/test_ratelimit.py covers).
RATE_LIMIT_PER_MINUTE = "100000"


@dataclass(frozen=True)
class FuzzRun:
    returncode: int
    output: str  # schemathesis' console report: each failure with its curl reproduction
    report: dict[str, Any]  # its JSON report (test_cases, failures, warnings, per-operation counts)

    @property
    def cases(self) -> int:
        return int(self.report.get("test_cases", {}).get("generated", 0))

    @property
    def failures(self) -> list[dict[str, Any]]:
        return list(self.report.get("failures", []))

    def summary(self) -> dict[str, Any]:
        ops = self.report.get("operations", {})
        return {
            "operations": {"selected": ops.get("selected"), "tested": ops.get("tested"), "errored": ops.get("errored")},
            "phases": {name: p.get("status") for name, p in self.report.get("phases", {}).items()},
            "test_cases": self.report.get("test_cases", {}),
            "failures": [{"code": f.get("code"), "title": f.get("title"), "count": f.get("count"),
                          "operations": f.get("operations")} for f in self.failures],
            "errors": self.report.get("errors", []),
            "warnings": {k: len(v) for k, v in self.report.get("warnings", {}).items() if v},
            "seconds": round(float(self.report.get("running_time", 0.0)), 1),
        }


@contextlib.contextmanager
def fuzz_server() -> Iterator[ServerProcess]:
    """A `conduit serve` with its own embedded PostgreSQL, stopped and removed afterwards. Its data lives outside
    pytest's temp root, which the embedded server's own system user cannot enter (see conftest.server_url)."""
    root = Path(tempfile.mkdtemp(prefix="conduit-fuzz-"))
    server = ServerProcess(root / "data", env={"CONDUIT_RATE_LIMIT_PER_MINUTE": RATE_LIMIT_PER_MINUTE})
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


def seed_resources(server: ServerProcess, *, timeout_s: float = 60.0) -> dict[str, list[str]]:
    """Real ids for the fuzzer to mix into its paths, queries and bodies, so that it reaches past the 404s: a file,
    a soft-deleted file (410), a report and a matching job (both fail fast: an empty upload is never processed by
    the models) and the webhook event of the report job. No speech models run."""
    headers = {"Mappa-Api-Key": server.api_key}
    with httpx.Client(base_url=server.base_url, headers=headers, timeout=30) as http:
        def upload(label: str) -> str:
            answer = http.post("/v1/files", files={"file": ("seed.wav", b"")}, data={"label": label})
            answer.raise_for_status()
            return str(answer.json()["mediaId"])

        media, gone = upload("seed"), upload("seed-deleted")
        http.delete(f"/v1/files/{gone}").raise_for_status()
        dominant = {"strategy": "dominant"}
        report = http.post("/v1/reports/jobs", json={
            "media": {"mediaId": media}, "output": {"template": "general_report"}, "target": dominant,
            "webhook": {"url": "http://127.0.0.1:9/conduit-fuzz"}})
        report.raise_for_status()
        subject = {"type": "media_target", "mediaId": media, "selector": dominant}
        matching = http.post("/v1/matching/jobs", json={"context": "behavioral_compatibility", "target": subject,
                                                        "group": [subject]})
        matching.raise_for_status()
        jobs = [str(report.json()["jobId"]), str(matching.json()["jobId"])]
        deadline = time.monotonic() + timeout_s
        events: list[str] = []
        while not events:
            if time.monotonic() > deadline:
                raise TimeoutError(f"the seeded report job made no webhook event in {timeout_s:.0f} s")
            page = http.get("/v1/webhooks/events", params={"jobId": jobs[0]})
            page.raise_for_status()
            events = [str(e["id"]) for e in page.json()["events"]]
            time.sleep(0.2)
    return {"media": [media, gone], "jobs": jobs, "events": events}


def _config(resources: dict[str, list[str]], path: Path) -> Path:
    """A schemathesis.toml: each seeded id list is a dictionary that the matching parameters draw from half the
    time (the other half stays generated)."""
    bindings = {
        "media": ("path.media_id", "body.media.mediaId", "body.target.mediaId", "body.group[*].mediaId"),
        "jobs": ("path.job_id", "query.jobId"),
        "events": ("path.event_id",),
    }
    lines = []
    for name, values in resources.items():
        lines += [f"[dictionaries.{name}]", f"values = {json.dumps(values)}", ""]
    lines.append("[parameters]")
    for name, keys in bindings.items():
        lines += [f'"{key}" = {{ dictionary = "{name}", probability = 0.5 }}' for key in keys]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run_schemathesis(server: ServerProcess, report_dir: Path, *, max_examples: int, seed: int | None = None,
                     workers: int = 1, timeout_s: float = 1800.0, extra: tuple[str, ...] = ()) -> FuzzRun:
    """Run the schemathesis CLI from this interpreter's environment against `server`, in `report_dir` (where it
    keeps its replay store); both auth headers carry the same key (differing ones are a 401, docs/api.md §1)."""
    cli = Path(sys.executable).parent / "schemathesis"
    report_path = report_dir / "schemathesis.json"
    config = _config(seed_resources(server), report_dir / "schemathesis.toml")
    cmd = [
        str(cli), "--config-file", str(config), "run", server.base_url + "/openapi.json",
        "--workers", str(workers), "--max-examples", str(max_examples), "--checks", ",".join(CHECKS),
        "--header", f"Mappa-Api-Key: {server.api_key}", "--header", f"Authorization: Bearer {server.api_key}",
        "--request-timeout", "30", "--report", "json", "--report-json-path", str(report_path),
        "--no-color", *extra,
    ]
    if seed is not None:
        cmd += ["--seed", str(seed)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s, check=False, cwd=report_dir)
    report = json.loads(report_path.read_text(encoding="utf-8")) if report_path.exists() else {}
    return FuzzRun(done.returncode, done.stdout + done.stderr, report)
