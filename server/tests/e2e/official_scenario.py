"""Scenario for the OFFICIAL SDK (mappa-conduit 0.5.0), run with its own virtualenv's python by
test_official_sdk.py; it must not import anything of ours except the stdlib-only webhook receiver.

    python official_scenario.py   # env: E2E_BASE_URL, E2E_API_KEY, E2E_WEBHOOK_SECRET, E2E_AUDIO_PATH

Every step records what it saw into one JSON object printed as the last stdout line; a step that raises records
`{"error": "<Type>: <code> <message>"}` and the scenario goes on, so the test reports every mismatch at once.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from collections.abc import Callable
from dataclasses import fields, is_dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import conduit  # noqa: E402  (the official package in this interpreter)
from conduit import ApiError, Conduit, JobCanceledError, WebhookVerificationError  # noqa: E402
from receiver import WebhookReceiver  # noqa: E402

JOB_TIMEOUT_MS = 240_000
results: dict[str, Any] = {}


def plain(value: Any) -> Any:
    """Dataclasses (models, receipts) as dicts, without handles and private fields."""
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in fields(value)
                if not f.name.startswith("_") and f.name != "handle"}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def step(name: str, fn: Callable[[], Any]) -> Any:
    try:
        value = fn()
    except Exception as exc:  # recorded, asserted by the test
        code = getattr(exc, "code", "")
        results[name] = {"error": f"{type(exc).__name__}: {code} {exc}", "trace": traceback.format_exc()[-1500:]}
        return None
    results[name] = plain(value)
    return value


def expect_error(fn: Callable[[], Any], kind: type[Exception]) -> dict[str, Any]:
    try:
        value = fn()
    except kind as exc:
        return {"raised": type(exc).__name__, "code": getattr(exc, "code", None),
                "status": getattr(exc, "status", None), "job_id": getattr(exc, "job_id", None)}
    return {"raised": None, "value": plain(value)}


def main() -> None:
    base_url = os.environ["E2E_BASE_URL"]
    secret = os.environ["E2E_WEBHOOK_SECRET"]
    audio = os.environ["E2E_AUDIO_PATH"]
    results["sdk_file"] = conduit.__file__
    client = Conduit(api_key=os.environ["E2E_API_KEY"], base_url=base_url + "/")  # a trailing slash, as users write
    rx = WebhookReceiver().start()
    try:
        run(client, rx, secret, audio)
    finally:
        rx.close()
        client.close()


def run(client: Conduit, rx: WebhookReceiver, secret: str, audio: str) -> None:
    media = step("upload", lambda: client.primitives.media.upload(path=audio, label="official-upload"))
    if media is None:
        return
    report_args: dict[str, Any] = {
        "source": {"media_id": media.media_id},
        "output": {"template": "general_report", "template_params": {"roleTitle": "Account Executive"}},
        "target": {"strategy": "magic_hint", "hint": "the one who talks most", "on_miss": "fallback_dominant"},
        "webhook": {"url": rx.url("/official/report"), "headers": {"x-tenant-id": "tenant_official"}},
        "language": "en",
    }
    receipt = step("create", lambda: client.reports.create(**report_args, idempotency_key="official-report-1"))
    step("create_replay", lambda: client.reports.create(**report_args, idempotency_key="official-report-1").job_id)
    # queued behind the new media's processing (one analysis task at a time): cancel it
    queued = step("create_queued", lambda: client.reports.create(
        source={"media_id": media.media_id}, output={"template": "sales_playbook"}, target={"strategy": "dominant"},
        webhook={"url": rx.url("/official/canceled")}))
    if queued is not None:
        step("cancel", lambda: client.primitives.jobs.cancel(queued.job_id))
        results["cancel_wait"] = expect_error(lambda: queued.handle.wait(timeout_ms=30_000), JobCanceledError)
        step("queued_report_by_job", lambda: client.reports.get_by_job(queued.job_id))
    if receipt is None:
        return
    step("events", lambda: [
        {"type": e.type, "stage": e.stage, "progress": e.progress, "status": e.job.status}
        for e in receipt.handle.stream(timeout_ms=JOB_TIMEOUT_MS)
    ])
    report = step("report", lambda: receipt.handle.wait(timeout_ms=JOB_TIMEOUT_MS))
    if report is None:
        return
    step("report_get", lambda: client.reports.get(report.id))
    step("report_by_job", lambda: client.reports.get_by_job(receipt.job_id))
    step("handle_report", lambda: receipt.handle.report())
    step("job", lambda: client.primitives.jobs.get(receipt.job_id))
    step("handle_job", lambda: receipt.handle.job())
    step("media_get", lambda: client.primitives.media.get(media.media_id))
    step("media_speakers", lambda: client.primitives.media.speakers(media.media_id))
    step("media_list", lambda: [f.media_id for f in client.primitives.media.list(limit=100).files])

    entities = step("entities", lambda: client.primitives.entities.list(limit=100))
    if entities is not None and report.entity_id:
        step("entity_get", lambda: client.primitives.entities.get(report.entity_id))
        step("entity_update", lambda: client.primitives.entities.update(report.entity_id, {"label": "Official Dana"}))
        step("entity_after", lambda: client.primitives.entities.get(report.entity_id))
        others = [e.id for e in entities.entities if e.id != report.entity_id]
        if others:
            match = step("matching_create", lambda: client.matching.create(
                context="behavioral_compatibility",
                target={"entity_id": report.entity_id},
                group=[{"entity_id": others[0]}],
                webhook={"url": rx.url("/official/matching")},
            ))
            if match is not None:
                matching = step("matching", lambda: match.handle.wait(timeout_ms=JOB_TIMEOUT_MS))
                if matching is not None:
                    step("matching_get", lambda: client.matching.get(matching.id))
                    step("matching_by_job", lambda: client.matching.get_by_job(match.job_id))
                    step("matching_handle", lambda: match.handle.matching())

    for name, path in (("report", "/official/report"), ("canceled", "/official/canceled"),
                       ("matching", "/official/matching")):
        step(f"webhook_{name}", lambda path=path: check_delivery(client, rx, path, secret))

    step("retention_lock", lambda: client.primitives.media.set_retention_lock(media.media_id, locked=True))
    step("retention_unlock", lambda: client.primitives.media.set_retention_lock(media.media_id, locked=False))
    step("delete", lambda: client.primitives.media.delete(media.media_id))
    results["get_deleted"] = expect_error(lambda: client.primitives.media.get(media.media_id), ApiError)
    results["list_deleted"] = [f.media_id for f in client.primitives.media.list(include_deleted=True).files]


def check_delivery(client: Conduit, rx: WebhookReceiver, path: str, secret: str) -> dict[str, Any]:
    delivery = rx.wait_for(lambda d: d.path == path, timeout=60)
    verified = client.webhooks.verify_signature(delivery.body, delivery.headers, secret)
    verified_text = client.webhooks.verify_signature(delivery.body.decode(), delivery.headers, secret)
    tampered = expect_error(
        lambda: client.webhooks.verify_signature(delivery.body + b"x", delivery.headers, secret),
        WebhookVerificationError)
    event = client.webhooks.parse_event(delivery.body)
    return {"verified": verified and verified_text, "tampered": tampered, "event": plain(event),
            "tenant": delivery.headers.get("x-tenant-id"), "event_id_header": delivery.headers.get("conduit-event-id")}


if __name__ == "__main__":
    main()
    print(json.dumps(results, default=str))
