"""`conduit check`: can this configuration run, before it has to? One line per check, ok or FAIL with the reason.

It runs what a deployment step or an operator wants to know up front: the settings parse, the database answers
(the embedded one is started for the check, like every command does), its schema is at this build's newest
migration (the check never migrates), the storage takes a write, and the speech models really load (a few
seconds and about half a gigabyte of memory: `--no-models` skips it). The database, migration and storage
checks are the readiness checks behind `GET /readyz` (readiness.py), so both say the same about a deployment.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass

from conduit_server.domain.redact import redact_text, redact_url
from conduit_server.readiness import readiness, storage_check
from conduit_server.runtime import Runtime
from conduit_server.services import database
from conduit_server.settings import Settings
from conduit_server.store.blobs import BlobStore
from conduit_server.store.db import create_engine
from conduit_server.store.fsmodes import private_dir

__all__ = ["Check", "check_settings", "run_checks"]


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    ok: bool
    detail: str

    def line(self) -> str:
        return f"{'ok' if self.ok else 'FAIL':<4}  {self.name:<10}  {redact_text(self.detail)}"


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0][:300]}" if text else type(exc).__name__


def check_settings(load: Callable[[], Settings]) -> tuple[Settings | None, Check]:
    """Load the settings; a value that does not parse is named with the variable it came from."""
    try:
        settings = load()
    except ValueError as exc:  # SettingsError, and a bad value a field conversion refused
        return None, Check("settings", False, str(exc))
    problems = []
    if not 1 <= settings.port <= 65535:
        problems.append(f"CONDUIT_PORT must be between 1 and 65535, got {settings.port}")
    for name, value in (("CONDUIT_ANALYSIS_CONCURRENCY", settings.analysis_concurrency),
                        ("CONDUIT_WEBHOOK_CONCURRENCY", settings.webhook_concurrency)):
        if value < 1:
            problems.append(f"{name} must be at least 1, got {value}")
    if problems:
        return settings, Check("settings", False, "; ".join(problems))
    db = redact_url(settings.database_url) if settings.database_url else f"embedded in {settings.data_dir / 'pg'}"
    return settings, Check("settings", True, f"data dir {settings.data_dir}, database {db}, "
                                             f"log format {settings.log_format}")


def _load_models(settings: Settings) -> str:
    from conduit_server.pipeline.models import Models

    started = time.monotonic()
    models = Models(settings.resolved_models_dir(), asr_model_dir=settings.asr_model,
                    beam_size=settings.asr_beam_size, filler_prompt=settings.asr_filler_prompt)
    models.load_all()
    asr = settings.asr_model if settings.asr_model is not None else "bundled Whisper base"
    return f"speech detector, speaker embedder and ASR ({asr}) loaded in {time.monotonic() - started:.1f} s"


async def _models(settings: Settings) -> Check:
    try:
        return Check("models", True, await asyncio.to_thread(_load_models, settings))
    except Exception as exc:  # a missing package, missing or corrupt weights: say which
        return Check("models", False, _reason(exc))


async def _answers(settings: Settings, blobs: BlobStore) -> dict[str, str]:
    """readiness.py's answers for a runtime made for the check (the embedded database started meanwhile)."""
    async with contextlib.AsyncExitStack() as stack:
        try:
            url = await stack.enter_async_context(database(settings))
            engine = create_engine(url, pool_size=1)
        except Exception as exc:  # the embedded server did not start, or the URL is not a database URL
            return {"database": _reason(exc), "migrations": "unknown: the database is not reachable",
                    "storage": await storage_check(blobs)}
        stack.push_async_callback(engine.dispose)
        return await readiness(Runtime(settings=settings, engine=engine, database_url=url, blobs=blobs))


async def _infrastructure(settings: Settings) -> list[Check]:
    storage_error = None
    try:
        private_dir(settings.data_dir, tighten_existing=False)  # as every command does (services.py)
        blobs = BlobStore.from_settings(settings.storage_url, settings.data_dir, dict(settings.storage_options))
    except Exception as exc:  # unwritable data dir, unknown storage URL scheme, bad storage options
        storage_error = _reason(exc)
        blobs = BlobStore.from_settings("memory://", settings.data_dir)  # the other checks still run
    answers = await _answers(settings, blobs)
    if storage_error is not None:
        answers["storage"] = storage_error
    said_ok = {  # readiness answers a bare "ok"; an operator reading this wants to know what was checked
        "database": "reachable" + (" (the embedded server, started for this check)" if not settings.database_url
                                   else ""),
        "migrations": "the schema is at this build's newest migration",
        "storage": f"wrote and deleted a probe object in {blobs.description}",
    }
    if answers["database"] == "ok" and answers["migrations"] != "ok":
        answers["migrations"] += " (`conduit migrate` applies it; `conduit serve` does too when it starts)"
    return [Check(name, answers[name] == "ok", said_ok[name] if answers[name] == "ok" else answers[name])
            for name in ("database", "migrations", "storage")]


async def run_checks(settings: Settings, *, models: bool = True) -> list[Check]:
    """Every check after the settings, in order: database, migrations, storage, then models (unless skipped)."""
    settings = settings.with_overrides(run_workers=False)  # readiness's "installed" probe: the load below is real
    checks = await _infrastructure(settings)
    checks.append(await _models(settings) if models else Check("models", True, "skipped (--no-models)"))
    return checks
