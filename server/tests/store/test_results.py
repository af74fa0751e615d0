"""Reports, matchings and psychometrics results: written once, read back only within their workspace."""

from __future__ import annotations

from datetime import timedelta

from conduit_server.runtime import Runtime
from conduit_server.store import matchings as matching_store
from conduit_server.store import psychometrics as psychometrics_store
from conduit_server.store import reports as report_store
from store.conftest import Workspaces, add_media


async def test_reports_by_id_and_job_per_workspace(runtime: Runtime, ws: Workspaces) -> None:
    now = runtime.clock()
    async with runtime.engine.begin() as conn:
        media = await add_media(conn, ws.a, now)
        await report_store.insert(conn, id="rep_1", workspace_id=ws.a, job_id="job_r1", label="call",
                                  entity_id=None, media_id=media.id, speaker_index=0, template="general_report",
                                  markdown="# R", json={"title": "R"}, evidence={"claims": []},
                                  behavior_map_id=None, sample_ids=None, created_at=now)
    async with runtime.engine.connect() as conn:
        assert (await report_store.get(conn, "rep_1", ws.a)).markdown == "# R"  # type: ignore[union-attr]
        assert (await report_store.of_job(conn, "job_r1", ws.a)).id == "rep_1"  # type: ignore[union-attr]
        assert await report_store.get(conn, "rep_1", ws.b) is None
        assert await report_store.of_job(conn, "job_r1", ws.b) is None
        assert await report_store.get(conn, "rep_missing", ws.a) is None


async def test_matchings_by_id_and_job_per_workspace(runtime: Runtime, ws: Workspaces) -> None:
    now = runtime.clock()
    async with runtime.engine.begin() as conn:
        await matching_store.insert(conn, id="mat_1", workspace_id=ws.a, job_id="job_m1", label=None,
                                    context="hiring", target={"entityId": "ent_1"}, group=[], markdown="# M",
                                    json={"title": "M"}, created_at=now)
    async with runtime.engine.connect() as conn:
        assert (await matching_store.get(conn, "mat_1", ws.a)).context == "hiring"  # type: ignore[union-attr]
        assert (await matching_store.of_job(conn, "job_m1", ws.a)).id == "mat_1"  # type: ignore[union-attr]
        assert await matching_store.get(conn, "mat_1", ws.b) is None
        assert await matching_store.of_job(conn, "job_m1", ws.b) is None
        assert await matching_store.get(conn, "mat_missing", ws.a) is None


async def test_psychometrics_results_expire(runtime: Runtime, ws: Workspaces) -> None:
    now = runtime.clock()
    async with runtime.engine.begin() as conn:
        await psychometrics_store.insert(conn, "ana_live", ws.a, {"analysisId": "ana_live"}, now,
                                         now + timedelta(days=1))
        await psychometrics_store.insert(conn, "ana_old", ws.a, {"analysisId": "ana_old"}, now - timedelta(days=2),
                                         now - timedelta(days=1))
        assert await psychometrics_store.live_result(conn, "ana_live", ws.a, now) == {"analysisId": "ana_live"}
        assert await psychometrics_store.live_result(conn, "ana_live", ws.b, now) is None
        assert await psychometrics_store.live_result(conn, "ana_old", ws.a, now) is None  # expired: not served
        await psychometrics_store.delete_expired(conn, now)
        assert await psychometrics_store.live_result(conn, "ana_old", ws.a, now - timedelta(days=3)) is None
        assert await psychometrics_store.live_result(conn, "ana_live", ws.a, now) is not None
