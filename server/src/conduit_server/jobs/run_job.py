"""Running a report or matching job through its stages to exactly one terminal state (docs/api.md §4, §13, §14)."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from conduit_server.analysis import (
    Subject,
    build_behavior_map,
    build_evidence,
    measure_sample,
    render_matching,
    render_report,
)
from conduit_server.analysis.narrative import NarrativeRenderer
from conduit_server.domain import jobs as J
from conduit_server.domain.ids import new_id
from conduit_server.domain.requests import EntityRef, MatchingRequest, ReportRequest, SubjectRef
from conduit_server.domain.selector import TargetSelector
from conduit_server.jobs import behavior
from conduit_server.jobs.lifecycle import terminate
from conduit_server.jobs.media_processing import ensure_processed, entity_threshold
from conduit_server.jobs.progress import JobProgress, advance, cancel_watch
from conduit_server.pipeline.types import Aborted, MediaAnalysis, MediaError
from conduit_server.runtime import Runtime
from conduit_server.store import entities as entity_store
from conduit_server.store import jobs as job_store
from conduit_server.store import matchings as matching_store
from conduit_server.store import media as media_store
from conduit_server.store import reports as report_store
from conduit_server.store.db import is_connection_error
from conduit_server.store.queue import TASK_PROCESS_MEDIA, defer_analysis
from conduit_server.store.records import JobRecord
from conduit_server.targeting.entities import entity_similarity
from conduit_server.targeting.target import select_target

log = logging.getLogger(__name__)


class JobFailure(Exception):
    """Ends the job as failed with a job error code (docs/api.md §7.3)."""

    def __init__(self, code: str, message: str | None = None) -> None:
        super().__init__(message or code)
        self.code, self.message = code, message


class Canceled(Exception):
    pass


class _Rollback(Exception):
    """The job was already terminal when we tried to finalize: discard this run's writes."""


@dataclass
class Resolved:
    media_id: str
    analysis: MediaAnalysis
    speaker_index: int
    entity_id: str | None


async def run_job(rt: Runtime, job_id: str) -> None:
    async with rt.engine.connect() as conn:
        job = await job_store.get(conn, job_id)
    if job is None or job.status in J.TERMINAL:
        return
    log.info("job %s started (%s, %s)", job_id, job.type, job.status)
    try:
        async with cancel_watch(rt, job_id) as cancel_flag:
            if job.type == J.REPORT_JOB:
                await _report(rt, job, cancel_flag)
            else:
                await _matching(rt, job, cancel_flag)
    except (JobFailure, MediaError) as exc:
        await _end(rt, job_id, J.FAILED, error=J.job_error(exc.code, exc.message))
    except (Canceled, Aborted):
        await _end(rt, job_id, J.CANCELED)
    except _Rollback:
        log.info("job %s was already terminal; this run's result was discarded", job_id)
    except Exception as exc:
        if is_connection_error(exc):  # issue 6: the database went away; the queue retries this job (worker.py)
            log.warning("job %s interrupted by a database connection error; it will be retried", job_id)
            raise
        log.exception("job %s failed unexpectedly", job_id)
        await _end(rt, job_id, J.FAILED, error=J.job_error("processing_failed"))
    else:
        log.info("job %s succeeded", job_id)


async def _end(rt: Runtime, job_id: str, status: str, error: dict[str, Any] | None = None) -> None:
    async with rt.engine.begin() as conn:
        await terminate(conn, job_id, status, rt.clock(), rt.settings, error=error)
    rt.events.publish(job_id)
    log.info("job %s %s%s", job_id, status, f" ({error['code']})" if error else "")


def _check_cancel(flag: Any) -> None:
    if flag.is_set():
        raise Canceled()


async def _resolve(rt: Runtime, job: JobRecord, media_id: str, selector: TargetSelector, cancel_flag: Any,
                   report_stages: bool) -> Resolved:
    """Process the media if needed (job stages transcoding/extracting), then select the target speaker."""
    hook = JobProgress(rt, job.id, asyncio.get_running_loop()) if report_stages else None
    try:
        row = await ensure_processed(rt, media_id, hook=hook, should_abort=cancel_flag.is_set)
    except Aborted:
        async with rt.engine.begin() as conn:  # someone still wants this media processed
            await defer_analysis(conn, TASK_PROCESS_MEDIA, {"media_id": media_id}, workspace_id=job.workspace_id)
        raise
    if row is None or row.deleted_at is not None:
        raise JobFailure("media_deleted")
    if row.processing_status == "FAILED":
        error = row.error or {}
        raise JobFailure(error.get("code", "processing_failed"), error.get("message"))
    if row.analysis is None:  # not COMPLETED after all (ensure_processed returns only terminal states)
        raise JobFailure("processing_failed")
    _check_cancel(cancel_flag)
    if report_stages:
        await advance(rt, job.id, "scoring")
    analysis = MediaAnalysis.from_json(row.analysis)
    if not analysis.speakers:
        raise JobFailure("insufficient_speech", "No speech was found in the media")
    similarity = None
    if selector.strategy == "entity_id":
        async with rt.engine.connect() as conn:
            entity = await entity_store.get(conn, selector.entity_id or "", job.workspace_id)
        if entity is not None:
            prints = {s.index: s.voiceprint for s in analysis.speakers if s.voiceprint}
            similarity = entity_similarity(prints, entity.centroid)
        else:
            similarity = {}
    selection = select_target(analysis, selector, entity_similarity=similarity, threshold=entity_threshold(rt))
    if selection.speaker_index is None:
        raise JobFailure("target_not_found")
    speaker = analysis.speaker(selection.speaker_index)
    if speaker.speech_seconds < rt.settings.min_speech_seconds or not analysis.utterances_of(speaker.index):
        raise JobFailure(
            "insufficient_speech",
            f"The selected speaker has {speaker.speech_seconds:.1f} s of speech; at least "
            f"{rt.settings.min_speech_seconds:.0f} s are needed",
        )
    async with rt.engine.connect() as conn:
        entity_id = await entity_store.entity_of_speaker(conn, media_id, speaker.index)
    return Resolved(media_id, analysis, speaker.index, entity_id)


async def _report(rt: Runtime, job: JobRecord, cancel_flag: Any) -> None:
    req = ReportRequest.from_json(job.request)  # parsed once: a row written by an older version reads the same
    target = await _resolve(rt, job, req.media_id, req.target, cancel_flag, report_stages=True)
    sample = measure_sample(target.analysis, target.speaker_index)
    _check_cancel(cancel_flag)
    await advance(rt, job.id, "rendering")
    now = rt.clock()
    report_id = new_id("rep_")
    async with rt.engine.connect() as conn:
        label = None
        if target.entity_id:
            _, label = await entity_store.label(conn, target.entity_id)
    label = req.entity_label or label
    subject = label or f"Speaker {target.speaker_index + 1}"
    await advance(rt, job.id, "finalizing")
    try:
        map_id, sample_ids = None, None
        if target.entity_id:
            # The entity's sample of this media and its new map are measurements of the entity, committed on their
            # own (as a matching job's backfill is): the report's rendering below needs the map, and may wait on
            # the network, which no open transaction may do.
            async with rt.engine.begin() as conn:
                await behavior.save_sample(conn, job.workspace_id, target.entity_id, target.media_id, sample, now)
                behavior_map, map_id, sample_ids = await behavior.new_map(conn, job.workspace_id, target.entity_id,
                                                                          now)
        else:
            behavior_map = build_behavior_map([sample])
        rendered = render_report(
            behavior_map, sample, template=req.template, subject_label=subject,
            template_params=None if req.template_params is None else dict(req.template_params), language=req.language,
            server_version=rt.settings.version, llm_provider=rt.settings.llm_provider,
        )
        if (narrator := NarrativeRenderer.from_settings(rt.settings)) is not None:  # off by default
            # an HTTP call (seconds, up to its timeout): made holding no connection and no transaction
            rendered = await narrator.render(rendered, sample, language=req.language,
                                             server_version=rt.settings.version)
        evidence = {"reportId": report_id, "jobId": job.id, "mediaId": target.media_id,
                    "entityId": target.entity_id, "behaviorMapId": map_id,
                    **build_evidence(sample, rendered.claims, rendered.reliability)}
        async with rt.engine.begin() as conn:  # the result: one short transaction
            media_row = await media_store.get(conn, target.media_id)
            await report_store.insert(
                conn, id=report_id, workspace_id=job.workspace_id, job_id=job.id,
                label=job.label or (media_row.label if media_row is not None else None),
                entity_id=target.entity_id, media_id=target.media_id, speaker_index=target.speaker_index,
                template=req.template, markdown=rendered.markdown, json=rendered.json, evidence=evidence,
                behavior_map_id=map_id, sample_ids=sample_ids, created_at=now,
            )
            if req.entity_label and target.entity_id:
                await entity_store.set_label(conn, target.entity_id, job.workspace_id, req.entity_label)
            done = await terminate(conn, job.id, J.SUCCEEDED, now, rt.settings, report_id=report_id,
                                   audio_seconds=target.analysis.duration_seconds)
            if done is None:
                raise _Rollback()
    finally:
        rt.events.publish(job.id)


async def _subject(rt: Runtime, job: Any, ref: SubjectRef, cancel_flag: Any) -> tuple[str, int | None]:
    """Resolve a matching subject to (entity id, speaker index or None for direct entities)."""
    if isinstance(ref, EntityRef):
        async with rt.engine.connect() as conn:
            entity = await entity_store.get(conn, ref.entity_id, job.workspace_id)
        if entity is None:
            raise JobFailure("target_not_found", f"Entity {ref.entity_id} no longer exists")
        return entity.id, None
    target = await _resolve(rt, job, ref.media_id, ref.selector, cancel_flag, report_stages=False)
    if target.entity_id is None:
        raise JobFailure("target_not_found")
    return target.entity_id, target.speaker_index


async def _matching(rt: Runtime, job: JobRecord, cancel_flag: Any) -> None:
    req = MatchingRequest.from_json(job.request)  # parsed once: a row written by an older version reads the same
    refs = req.subjects
    await advance(rt, job.id, "scoring")
    resolved = [await _subject(rt, job, ref, cancel_flag) for ref in refs]
    ids = [entity_id for entity_id, _ in resolved]
    if len(set(ids)) != len(ids):
        raise JobFailure("duplicate_subject")
    _check_cancel(cancel_flag)
    await advance(rt, job.id, "rendering")
    now = rt.clock()
    subjects: list[Subject] = []
    labels: list[str | None] = []
    async with rt.engine.begin() as conn:
        for number, entity_id in enumerate(ids, start=1):
            await behavior.backfill_samples(conn, job.workspace_id, entity_id, now)
            behavior_map, _, _ = await behavior.new_map(conn, job.workspace_id, entity_id, now)
            _, label = await entity_store.label(conn, entity_id)
            labels.append(label)
            subjects.append(Subject(label=label, speaker_number=number, behavior_map=behavior_map))
    rendered = render_matching(subjects[0], subjects[1:])
    await advance(rt, job.id, "finalizing")
    matching_id = new_id("mat_")

    def resolved_json(ref: SubjectRef, entity_id: str, label: str | None) -> dict[str, Any]:
        return {"source": ref.to_json(), "entityId": entity_id, "resolvedLabel": label}

    try:
        async with rt.engine.begin() as conn:
            await matching_store.insert(
                conn, id=matching_id, workspace_id=job.workspace_id, job_id=job.id, label=req.label,
                context=req.context, target=resolved_json(refs[0], ids[0], labels[0]),
                group=[resolved_json(r, e, lbl) for r, e, lbl in zip(refs[1:], ids[1:], labels[1:], strict=True)],
                markdown=rendered.markdown, json=rendered.json, created_at=now,
            )
            done = await terminate(conn, job.id, J.SUCCEEDED, now, rt.settings, matching_id=matching_id)
            if done is None:
                raise _Rollback()
    finally:
        rt.events.publish(job.id)
