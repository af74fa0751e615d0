"""Every operation of the OpenAPI document, fuzzed by schemathesis against a real `conduit serve`: generated
valid and invalid requests never get a 5xx, and every answer (status code, Content-Type, body, SSE events) is
what the document declares. A small fixed-seed budget here; bench/fuzz.py runs the same with a large one."""

from __future__ import annotations

from pathlib import Path

import httpx
from fuzzing import fuzz_server, run_schemathesis

MAX_EXAMPLES = 3  # per operation in the fuzzing phase; the coverage phase adds every boundary case (~1200)
SEED = 20261130


def test_fuzzed_requests_get_documented_answers_and_never_a_5xx(tmp_path: Path) -> None:
    with fuzz_server() as server:
        document = httpx.get(server.base_url + "/openapi.json", timeout=10).json()
        run = run_schemathesis(server, tmp_path, max_examples=MAX_EXAMPLES, seed=SEED, workers=2,
                               timeout_s=240)
        log = server.log_tail(chars=10**8)
    assert run.report, run.output
    operations = run.report["operations"]
    every = sum(len(item) for item in document["paths"].values())
    assert operations["selected"] == operations["tested"] == every, run.summary()
    assert run.cases >= 500, run.summary()
    assert not run.report["errors"], run.output
    assert not run.failures, run.output
    assert run.returncode == 0, run.output
    assert "Traceback" not in log, log[log.index("Traceback") - 2000:][:6000]
