"""``conduit report``: upload (with a progress bar), create the job, follow its stages live, print the report.

Ctrl-C while the job runs asks whether to cancel it; answering no keeps watching.
"""

from __future__ import annotations

from pathlib import Path
from typing import cast

import click
from rich.markdown import Markdown
from rich.progress import BarColumn, DownloadColumn, Progress, TaskID, TextColumn, TransferSpeedColumn

from .._client import Conduit
from ..models import Job, Report
from ..types import ReportLanguage, ReportSource, ReportTemplate, TargetSelector, WebhookConfig
from ._app import EXIT_FAILED, EXIT_INTERRUPTED, State, cli, err, out, print_json
from ._target import parse_target


class ProgressReader:
    """A binary file whose reads advance a progress bar (rewinds, as on a retried upload, reset it)."""

    def __init__(self, path: Path, progress: Progress, task: TaskID) -> None:
        self._file = path.open("rb")
        self._progress = progress
        self._task = task
        self.name = str(path)

    def read(self, size: int = -1) -> bytes:
        chunk = self._file.read(size)
        self._progress.update(self._task, completed=self._file.tell())
        return chunk

    def seek(self, offset: int, whence: int = 0) -> int:
        position = self._file.seek(offset, whence)
        self._progress.update(self._task, completed=position)
        return position

    def tell(self) -> int:
        return self._file.tell()

    def fileno(self) -> int:
        return self._file.fileno()

    def close(self) -> None:
        self._file.close()


def _upload(client: Conduit, path: Path, label: str | None) -> str:
    console = err()
    with Progress(TextColumn("upload"), BarColumn(), DownloadColumn(), TransferSpeedColumn(), console=console,
                  transient=True, disable=not console.is_terminal) as progress:
        task = progress.add_task("upload", total=path.stat().st_size)
        reader = ProgressReader(path, progress, task)
        try:
            media = client.primitives.media.upload(file=reader, label=label or path.stem)
        finally:
            reader.close()
    err().print(f"uploaded {path.name} as {media.media_id}")
    return media.media_id


def _source(client: Conduit, source: str, label: str | None) -> ReportSource:
    """A local file (uploaded here, with progress), an http(s) URL, or an uploaded file's ``med_`` id."""
    if source.startswith(("http://", "https://")):
        return cast("ReportSource", {"url": source, **({"label": label} if label else {})})
    path = Path(source)
    if not path.exists() and source.startswith("med_"):
        return {"media_id": source}
    if not path.is_file():
        raise click.BadParameter(f"{source}: no such file", param_hint="FILE")
    return {"media_id": _upload(client, path, label)}


def follow(client: Conduit, job_id: str, announce: str | None = None) -> Job:
    """Show the job's stages as a live progress bar until it is terminal; Ctrl-C offers to cancel it.

    ``announce`` is printed inside the Ctrl-C guard: whoever reads it may interrupt at once.
    """
    while True:
        try:
            if announce:
                err().print(announce)
                announce = None
            return _watch(client, job_id)
        except KeyboardInterrupt:
            try:
                cancel = click.confirm(f"\nCancel job {job_id}?", default=True, err=True)
            except click.Abort:
                cancel = False
            if cancel:
                job = client.primitives.jobs.cancel(job_id)
                err().print(f"cancel requested for {job_id} (status: {job.status})")
                raise click.exceptions.Exit(EXIT_INTERRUPTED) from None
            err().print(f"still watching {job_id} (Ctrl-C again to stop)")


def _watch(client: Conduit, job_id: str) -> Job:
    console = err()
    with Progress(TextColumn("{task.description:<12}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
                  console=console, transient=True, disable=not console.is_terminal) as progress:
        task = progress.add_task("queued", total=1.0)
        for event in client.primitives.jobs.stream(job_id, timeout_ms=None):
            stage = event.stage or event.job.stage or event.job.status
            fraction = event.progress if event.progress is not None else event.job.progress
            progress.update(task, description=stage, completed=fraction or 0.0)
            if event.type == "terminal":
                return event.job
    return client.primitives.jobs.get(job_id)


def finish(client: Conduit, job: Job) -> Report:
    """The succeeded job's report; a failed or canceled job prints its code and exits 1."""
    if job.status == "succeeded" and job.report_id:
        return client.reports.get(job.report_id)
    code = job.error.code if job.error else f"job_{job.status}"
    message = job.error.message if job.error else f"Job {job.id} {job.status}"
    click.echo(f"error: {code}: {message} (job {job.id})", err=True)
    raise click.exceptions.Exit(EXIT_FAILED)


def show_report(report: Report, as_json: bool) -> None:
    if as_json:
        print_json(report)
        return
    out().print(Markdown(report.output.markdown or "(this report has no markdown)"))


@cli.command()
@click.argument("source", metavar="FILE")
@click.option("--template", type=click.Choice(["general_report", "sales_playbook"]), default="general_report",
              show_default=True)
@click.option("--target", "target_spec", default="dominant", show_default=True,
              help="dominant | magic_hint:TEXT | entity_id:ID | speaker_index:N | timerange:START-END (seconds)")
@click.option("--on-miss", type=click.Choice(["error", "fallback_dominant"]), help="when the target is not found")
@click.option("--webhook", "webhook_url", help="URL the server POSTs the job's webhook event to")
@click.option("--label", help="label for the uploaded file (default: the file name)")
@click.option("--language", type=click.Choice(["en", "es", "pt"]))
@click.option("--json", "as_json", is_flag=True, help="print the report as JSON instead of rendered markdown")
@click.option("--no-wait", is_flag=True, help="print the job id and exit without waiting")
@click.pass_obj
def report(state: State, source: str, template: str, target_spec: str, on_miss: str | None,
           webhook_url: str | None, label: str | None, language: str | None, as_json: bool, no_wait: bool) -> None:
    """Create a report from FILE and print it.

    FILE is a local file, an http(s) URL or an uploaded file's med_ id.
    """
    target = parse_target(target_spec, on_miss)
    client = state.client()
    webhook = cast("WebhookConfig", {"url": webhook_url}) if webhook_url else None
    receipt = client.reports.create(
        source=_source(client, source, label),
        output={"template": cast("ReportTemplate", template)},
        target=cast("TargetSelector", target),
        language=cast("ReportLanguage | None", language),
        webhook=webhook,
    )
    if no_wait:
        click.echo(receipt.job_id)
        return
    show_report(finish(client, follow(client, receipt.job_id, f"job {receipt.job_id} {receipt.status}")), as_json)

