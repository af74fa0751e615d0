"""The typed records the job and media store functions return: every column of their table, typed, immutable."""

from __future__ import annotations

import dataclasses

import pytest
from conduit_server.domain import jobs as J
from conduit_server.domain.ids import new_id
from conduit_server.runtime import Runtime
from conduit_server.store import jobs as job_store
from conduit_server.store import media as media_store
from conduit_server.store.records import JobRecord, MediaRecord
from conduit_server.store.tables import jobs, media
from store.conftest import Workspaces, add_media


@pytest.mark.parametrize(("record", "table"), [(JobRecord, jobs), (MediaRecord, media)])
def test_a_record_has_exactly_its_tables_columns(record: type, table: object) -> None:
    # a column added to tables.py without its field (or a field left behind) fails here, not in a caller
    assert [f.name for f in dataclasses.fields(record)] == [c.name for c in table.c]  # type: ignore[attr-defined]


async def test_job_reads_are_records_with_a_domain_status(runtime: Runtime, ws: Workspaces) -> None:
    async with runtime.engine.begin() as conn:
        created = await job_store.insert(conn, {"id": new_id("job_"), "workspace_id": ws.a, "type": J.REPORT_JOB,
                                                "request": {"mediaId": None}, "webhook": {"url": "https://x.test"}},
                                         runtime.clock())
    async with runtime.engine.connect() as conn:
        read = await job_store.get(conn, created.id)
        page = await job_store.list_page(conn, ws.a, limit=1)
    assert read == created and isinstance(read, JobRecord)
    assert read.status is J.JobStatus.QUEUED and read.status == "queued"
    assert read.webhook == {"url": "https://x.test"} and read.cancel_requested is False
    assert page.rows == [created] and isinstance(page.rows[0], JobRecord)
    with pytest.raises(dataclasses.FrozenInstanceError):
        read.status = J.JobStatus.FAILED  # type: ignore[misc]


async def test_media_reads_and_pages_are_records(runtime: Runtime, ws: Workspaces) -> None:
    now = runtime.clock()
    async with runtime.engine.begin() as conn:
        first = await add_media(conn, ws.b, now, label="first")
        second = await add_media(conn, ws.b, now, label="second")
    async with runtime.engine.connect() as conn:
        got = await media_store.get(conn, first.id, ws.b)
        page = await media_store.list_page(conn, ws.b, limit=1, cursor=None, include_deleted=False,
                                           created_after=None, created_by_user_id=None, search=None)
        rest = await media_store.list_page(conn, ws.b, limit=1, cursor=page.next_cursor, include_deleted=False,
                                           created_after=None, created_by_user_id=None, search=None)
    assert got == first and isinstance(got, MediaRecord) and got.internal is False
    assert page.has_more and page.next_cursor is not None  # the cursor survives the conversion to records
    assert {page.rows[0].id, rest.rows[0].id} == {first.id, second.id} and not rest.has_more
    assert rest.next_cursor is None
