"""The official SDK (`mappa-conduit==0.5.0`, unmodified) against the real server, only `base_url` changed.

It has our import name, so it lives in its own virtualenv (<repo>/.venv-official, created once and reused) and
runs `official_scenario.py`, which prints one JSON object of results that this module asserts.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from e2e.server_process import REPO, ServerProcess, clean_env

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

OFFICIAL_VENV = REPO / ".venv-official"
OFFICIAL_PIN = "mappa-conduit==0.5.0"
SCENARIO = Path(__file__).resolve().parent / "official_scenario.py"


def _official_python() -> Path:
    python = OFFICIAL_VENV / "bin" / "python"
    probe = [str(python), "-c", "import importlib.metadata as m; print(m.version('mappa-conduit'))"]
    if python.exists():
        done = subprocess.run(probe, capture_output=True, text=True, timeout=60)
        if done.returncode == 0 and done.stdout.strip() == "0.5.0":
            return python
    try:
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(OFFICIAL_VENV)], check=True, timeout=120,
                       capture_output=True)
        # the package declares Python >=3.12 but runs on 3.11 (docs/api.md, Compatibility)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "--ignore-requires-python", OFFICIAL_PIN],
                       check=True, timeout=300, capture_output=True)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        output = getattr(exc, "stderr", b"") or b""
        # `make setup` installs it; a missing official SDK is a failure, never a silent skip
        pytest.fail(f"cannot install {OFFICIAL_PIN} into {OFFICIAL_VENV}: {output.decode(errors='replace')[-500:]}")
    return python


@pytest.fixture(scope="module")
def scenario(conduit_server: ServerProcess, speech_path: Path) -> dict[str, Any]:
    python = _official_python()
    env = clean_env(
        E2E_BASE_URL=conduit_server.base_url,
        E2E_API_KEY=conduit_server.api_key,
        E2E_WEBHOOK_SECRET=conduit_server.webhook_secret,
        E2E_AUDIO_PATH=str(speech_path),
    )
    done = subprocess.run([str(python), str(SCENARIO)], capture_output=True, text=True, timeout=480, env=env,
                          cwd=SCENARIO.parent)
    assert done.returncode == 0, done.stderr[-4000:]
    results: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return results


def test_it_is_the_official_package(scenario: dict[str, Any]) -> None:
    assert Path(scenario["sdk_file"]).is_relative_to(OFFICIAL_VENV)


def test_no_step_raised(scenario: dict[str, Any]) -> None:
    errors = {k: v["error"] + "\n" + v["trace"] for k, v in scenario.items() if isinstance(v, dict) and "trace" in v}
    assert not errors, "\n\n".join(f"{k}: {v}" for k, v in errors.items())


def test_upload_create_and_idempotent_replay(scenario: dict[str, Any], speech_path: Path) -> None:
    upload = scenario["upload"]
    assert upload["media_id"].startswith("med_") and upload["content_type"] == "audio/wav"
    assert upload["label"] == "official-upload" and upload["size_bytes"] == speech_path.stat().st_size
    assert scenario["create"]["media_id"] == upload["media_id"] and scenario["create"]["status"] == "queued"
    assert scenario["create_replay"] == scenario["create"]["job_id"]


def test_stream_wait_and_reads(scenario: dict[str, Any]) -> None:
    events = scenario["events"]
    assert events[0]["type"] == "status" and events[-1] == {**events[-1], "type": "terminal", "status": "succeeded"}
    assert {e["type"] for e in events} <= {"status", "stage", "terminal"}
    report = scenario["report"]
    assert report["id"].startswith("rep_") and report["job_id"] == scenario["create"]["job_id"]
    assert report["media_id"] == scenario["upload"]["media_id"] and report["entity_id"].startswith("ent_")
    assert report["output"]["template"] == "general_report" and report["output"]["markdown"].startswith("# ")
    assert report["output"]["json"]["schemaVersion"] == 2
    assert "Account Executive" in report["output"]["json"]["title"]
    assert scenario["report_get"] == scenario["report_by_job"] == scenario["handle_report"] == report
    job = scenario["job"]
    assert job["status"] == "succeeded" and job["report_id"] == report["id"] and job["progress"] == 1
    assert job["usage"]["credits_used"] == 0 and job["credits"] is None and job["error"] is None
    assert scenario["handle_job"] == job


def test_cancel_of_a_queued_job(scenario: dict[str, Any]) -> None:
    queued = scenario["create_queued"]["job_id"]
    assert scenario["cancel"]["id"] == queued and scenario["cancel"]["status"] == "canceled"
    assert scenario["cancel_wait"] == {"raised": "JobCanceledError", "code": "job_canceled", "status": None,
                                       "job_id": queued}
    assert scenario["queued_report_by_job"] is None


def test_media_and_entities(scenario: dict[str, Any]) -> None:
    media_id = scenario["upload"]["media_id"]
    media = scenario["media_get"]
    assert media["processing_status"] == "COMPLETED" and media["has_reports"] is True
    assert media["retention"]["locked"] is False and media["retention"]["days_remaining"] == 180
    speakers = scenario["media_speakers"]
    assert speakers["status"] == "COMPLETED" and len(speakers["speakers"]) == 2
    assert media_id in scenario["media_list"]
    entity_id = scenario["report"]["entity_id"]
    assert entity_id in [e["id"] for e in scenario["entities"]["entities"]]
    assert scenario["entity_get"]["id"] == entity_id
    assert scenario["entity_update"]["label"] == scenario["entity_after"]["label"] == "Official Dana"


def test_matching(scenario: dict[str, Any]) -> None:
    matching = scenario["matching"]
    assert matching["id"].startswith("mat_") and matching["context"] == "behavioral_compatibility"
    assert matching["target"]["entity_id"] == scenario["report"]["entity_id"]
    assert matching["target"]["resolved_label"] == "Official Dana" and len(matching["group"]) == 1
    assert matching["output"]["markdown"] and matching["output"]["json"]["schemaVersion"] == 1
    assert scenario["matching_get"] == scenario["matching_by_job"] == scenario["matching_handle"] == matching


def test_webhooks_verify_and_parse(scenario: dict[str, Any]) -> None:
    invalid = {"raised": "WebhookVerificationError", "code": "webhook_signature_invalid", "status": None,
               "job_id": None}
    expected = {
        "webhook_report": ("report.completed", {"jobId": scenario["create"]["job_id"],
                                                "reportId": scenario["report"]["id"], "status": "succeeded"}),
        "webhook_canceled": ("report.canceled", {"jobId": scenario["create_queued"]["job_id"], "status": "canceled"}),
        "webhook_matching": ("matching.completed", {"jobId": scenario["matching_create"]["job_id"],
                                                    "matchingId": scenario["matching"]["id"], "status": "succeeded"}),
    }
    for name, (kind, data) in expected.items():
        got = scenario[name]
        assert got["verified"] is True and got["tampered"] == invalid, name
        assert got["event"]["type"] == kind and got["event"]["data"] == data, name
        assert got["event_id_header"] == got["event"]["id"], name
    assert scenario["webhook_report"]["tenant"] == "tenant_official"


def test_retention_and_delete(scenario: dict[str, Any]) -> None:
    media_id = scenario["upload"]["media_id"]
    assert scenario["retention_lock"] == {"media_id": media_id, "retention_lock": True,
                                          "message": "Retention lock enabled"}
    assert scenario["retention_unlock"]["retention_lock"] is False
    assert scenario["delete"] == {"media_id": media_id, "deleted": True}
    assert scenario["get_deleted"] == {"raised": "ApiError", "code": "gone", "status": 410, "job_id": None}
    assert media_id in scenario["list_deleted"]
