"""Resource commands: ``jobs``, ``files``, ``entities``, ``transcript`` and ``events`` (webhook delivery records)."""

from __future__ import annotations

import click
from rich.table import Table

from .._requests import segment
from .._transport import RequestSpec
from ._app import State, cli, err, out, print_json
from ._report import finish, follow, show_report

_json = click.option("--json", "as_json", is_flag=True, help="print JSON")


def _table(*columns: str) -> Table:
    table = Table(show_edge=False, box=None, pad_edge=False)
    for column in columns:
        table.add_column(column, overflow="fold")
    return table


@cli.group()
def jobs() -> None:
    """Report and matching jobs."""


@jobs.command("list")
@click.option("--status", type=click.Choice(["queued", "running", "succeeded", "failed", "canceled"]),
              help="only jobs with this status")
@click.option("--limit", type=click.IntRange(1, 100), default=20, show_default=True, help="how many, newest first")
@_json
@click.pass_obj
def jobs_list(state: State, status: str | None, limit: int, as_json: bool) -> None:
    """The workspace's jobs, newest first."""
    page = state.client().primitives.jobs.list(limit=limit, status=status)
    rows = [{"id": job.id, "type": job.type, "status": job.status, "stage": job.stage, "createdAt": job.created_at,
             "label": job.label, "reportId": job.report_id, "matchingId": job.matching_id} for job in page.jobs]
    if as_json:
        print_json(rows)
        return
    table = _table("JOB", "STATUS", "STAGE", "CREATED", "LABEL")
    for row in rows:
        table.add_row(row["id"], row["status"], row["stage"] or "-", row["createdAt"], row["label"] or "")
    out().print(table)
    if page.has_more:
        err().print(f"(more: --limit {min(100, limit * 2)} shows older ones)")


@jobs.command("get")
@click.argument("job_id")
@_json
@click.pass_obj
def jobs_get(state: State, job_id: str, as_json: bool) -> None:
    """Show one job."""
    job = state.client().primitives.jobs.get(job_id)
    if as_json:
        print_json(job)
        return
    out().print(f"{job.id}  {job.type}  {job.status}  stage={job.stage or '-'}  progress={job.progress}")
    if job.report_id:
        out().print(f"report {job.report_id}")
    if job.error:
        out().print(f"error {job.error.code}: {job.error.message}")


@jobs.command("watch")
@click.argument("job_id")
@_json
@click.pass_obj
def jobs_watch(state: State, job_id: str, as_json: bool) -> None:
    """Follow a job's stages until it ends, then print its report (exit 1 if it failed)."""
    client = state.client()
    show_report(finish(client, follow(client, job_id)), as_json)


@jobs.command("cancel")
@click.argument("job_id")
@click.pass_obj
def jobs_cancel(state: State, job_id: str) -> None:
    """Cancel a job (a running job stops at its next checkpoint)."""
    job = state.client().primitives.jobs.cancel(job_id)
    out().print(f"{job.id} {job.status}")


@cli.group()
def files() -> None:
    """Uploaded media files."""


@files.command("list")
@click.option("--limit", type=click.IntRange(1, 100), default=20, show_default=True)
@click.option("--cursor", help="the cursor a previous page printed")
@click.option("--include-deleted", is_flag=True)
@_json
@click.pass_obj
def files_list(state: State, limit: int, cursor: str | None, include_deleted: bool, as_json: bool) -> None:
    """List files, newest first."""
    page = state.client().primitives.media.list(limit=limit, cursor=cursor, include_deleted=include_deleted)
    if as_json:
        print_json(page)
        return
    table = _table("FILE", "LABEL", "STATUS", "SECONDS", "CREATED")
    for f in page.files:
        seconds = "-" if f.duration_seconds is None else f"{f.duration_seconds:.1f}"
        table.add_row(f.media_id, f.label, f.processing_status, seconds, f.created_at)
    out().print(table)
    if page.has_more and page.next_cursor:
        err().print(f"more: --cursor {page.next_cursor}")


@files.command("get")
@click.argument("media_id")
@_json
@click.pass_obj
def files_get(state: State, media_id: str, as_json: bool) -> None:
    """Show one file."""
    f = state.client().primitives.media.get(media_id)
    if as_json:
        print_json(f)
        return
    out().print(f"{f.media_id}  {f.label}  {f.content_type}  {f.processing_status}  "
                f"duration={f.duration_seconds}  reports={'yes' if f.has_reports else 'no'}  "
                f"locked={'yes' if f.retention.locked else 'no'}")


@files.command("rm")
@click.argument("media_id")
@click.option("--yes", "-y", is_flag=True, help="do not ask for confirmation")
@click.pass_obj
def files_rm(state: State, media_id: str, yes: bool) -> None:
    """Delete a file (its transcript and voice data go with it)."""
    if not yes:
        click.confirm(f"Delete {media_id}?", abort=True, err=True)
    receipt = state.client().primitives.media.delete(media_id)
    out().print(f"{receipt.media_id} deleted" if receipt.deleted else f"{receipt.media_id} not deleted")


@cli.group()
def entities() -> None:
    """Voice identities (speakers recognised across files)."""


@entities.command("list")
@click.option("--limit", type=click.IntRange(1, 100), default=20, show_default=True)
@click.option("--cursor")
@_json
@click.pass_obj
def entities_list(state: State, limit: int, cursor: str | None, as_json: bool) -> None:
    """List entities, newest first."""
    page = state.client().primitives.entities.list(limit=limit, cursor=cursor)
    if as_json:
        print_json(page)
        return
    table = _table("ENTITY", "LABEL", "FILES", "LAST SEEN")
    for e in page.entities:
        table.add_row(e.id, e.label or "-", f"{e.media_count:g}", e.last_seen_at or "-")
    out().print(table)
    if page.has_more and page.cursor:
        err().print(f"more: --cursor {page.cursor}")


@entities.command("rename")
@click.argument("entity_id")
@click.argument("label", required=False)
@click.pass_obj
def entities_rename(state: State, entity_id: str, label: str | None) -> None:
    """Set an entity's LABEL (leave it out to clear the label)."""
    entity = state.client().primitives.entities.update(entity_id, {"label": label})
    out().print(f"{entity.id} {entity.label or '(no label)'}")


def _clock(seconds: float) -> str:
    minutes, rest = divmod(max(0.0, seconds), 60)
    return f"{int(minutes):02d}:{rest:06.3f}"


@cli.command()
@click.argument("media_id")
@_json
@click.pass_obj
def transcript(state: State, media_id: str, as_json: bool) -> None:
    """Print a file's transcript with speakers and times."""
    client = state.client()
    # The file detail carries the transcription (docs/api.md §3.1); the SDK's MediaFile model leaves it out.
    spec = RequestSpec("GET", f"/v1/files/{segment(media_id, 'media_id')}")
    detail = client._transport.request(spec).data
    data = detail if isinstance(detail, dict) else {}
    transcription = data.get("transcription") or {}
    if as_json:
        print_json({"mediaId": media_id, "speakers": data.get("speakers", []), "transcription": transcription})
        return
    if data.get("processingStatus") != "COMPLETED":
        err().print(f"{media_id} is {data.get('processingStatus')}: no transcript yet")
        raise click.exceptions.Exit(1)
    labels = {s.get("speakerIndex"): s.get("entityLabel") for s in data.get("speakers", []) if isinstance(s, dict)}
    for u in transcription.get("utterances", []):
        index = u.get("speakerIndex")
        who = f"Speaker {index}" + (f" ({labels[index]})" if labels.get(index) else "")
        click.echo(f"[{_clock(u.get('startSeconds', 0))} - {_clock(u.get('endSeconds', 0))}] {who}: {u.get('text')}")


@cli.group()
def events() -> None:
    """Webhook events and their delivery records."""


@events.command("list")
@click.option("--job", "job_id", help="only this job's events")
@click.option("--limit", type=click.IntRange(1, 100), default=20, show_default=True)
@click.option("--cursor")
@_json
@click.pass_obj
def events_list(state: State, job_id: str | None, limit: int, cursor: str | None, as_json: bool) -> None:
    """List webhook events, newest first, with their delivery status."""
    page = state.client().primitives.webhook_events.list(job_id=job_id, limit=limit, cursor=cursor)
    if as_json:
        print_json(page)
        return
    table = _table("EVENT", "TYPE", "JOB", "STATUS", "ATTEMPTS", "CREATED")
    for e in page.events:
        table.add_row(e.id, e.type, e.job_id, e.status, str(e.attempt_count), e.created_at)
    out().print(table)
    if page.has_more and page.next_cursor:
        err().print(f"more: --cursor {page.next_cursor}")


@events.command("redeliver")
@click.argument("event_id")
@click.pass_obj
def events_redeliver(state: State, event_id: str) -> None:
    """Make one extra delivery attempt of an event now (same id and body, new signature)."""
    record = state.client().primitives.webhook_events.redeliver(event_id)
    out().print(f"{record.id} {record.status} (to {record.url})")
