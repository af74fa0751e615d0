"""The ``conduit`` click group: global options, credentials, error reporting, ``login``, and the server's commands.

Every command prints ``error: <code>: <message>`` on stderr and exits 1 when the API or a job fails, so scripts can
branch on the exit status and humans see the contract's error code.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import click
from rich.console import Console

from .._client import Conduit
from .._errors import AuthError, ConduitError
from . import _config

EXIT_FAILED = 1
EXIT_INTERRUPTED = 130


@dataclass(slots=True)
class State:
    """What the global options chose; ``client()`` builds one SDK client per command."""

    profile: str | None = None
    base_url: str | None = None
    _client: Conduit | None = field(default=None, repr=False)

    def credentials(self) -> tuple[str | None, str | None, str | None]:
        return _config.resolve(self.profile, self.base_url)

    def client(self) -> Conduit:
        if self._client is None:
            key, url, _ = self.credentials()
            if not key:
                raise click.ClickException("no API key: set CONDUIT_API_KEY or run `conduit login`")
            self._client = Conduit(api_key=key, base_url=url)
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()


def out() -> Console:
    """Console on stdout (results); created per use so it follows the current sys.stdout."""
    return Console(soft_wrap=True)


def err() -> Console:
    """Console on stderr (progress, notes), so ``--json`` output on stdout stays clean."""
    return Console(stderr=True, soft_wrap=True)


def print_json(value: Any) -> None:
    """A model (dataclass) or plain data as indented JSON on stdout."""
    data = dataclasses.asdict(value) if dataclasses.is_dataclass(value) and not isinstance(value, type) else value
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def fail(error: ConduitError) -> None:
    """Print the error code and message, then exit 1."""
    click.echo(f"error: {error.code}: {error.message}", err=True)
    raise click.exceptions.Exit(EXIT_FAILED)


class ConduitGroup(click.Group):
    """Turns SDK errors into ``error: <code>: <message>`` + exit 1, and lists the server's commands in help."""

    server_commands: dict[str, str] = {}

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ConduitError as exc:
            fail(exc)
        finally:
            state = ctx.obj
            if isinstance(state, State):
                state.close()

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, cmd.get_short_help_str(80)) for name, cmd in sorted(self.commands.items())
                if name not in self.server_commands]
        with formatter.section("Client commands (conduit-sdk)"):
            formatter.write_dl(rows)
        if self.server_commands:
            with formatter.section("Server commands (conduit-server)"):
                formatter.write_dl(sorted(self.server_commands.items()))


@click.group(cls=ConduitGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--profile", envvar="CONDUIT_PROFILE", help="saved credentials profile (default: default)")
@click.option("--base-url", help="server URL (default: CONDUIT_BASE_URL, the profile, or http://127.0.0.1:8000)")
@click.pass_context
def cli(ctx: click.Context, profile: str | None, base_url: str | None) -> None:
    """Conduit: behavioral reports from voice recordings."""
    ctx.obj = State(profile=profile, base_url=base_url)


@cli.command()
@click.option("--base-url", "login_url", help="server URL to save with the key")
@click.option("--webhook-secret", is_flag=True, help="also prompt for the workspace webhook secret (conduit listen)")
@click.pass_obj
def login(state: State, login_url: str | None, webhook_secret: bool) -> None:
    """Save an API key (prompted, verified) to a profile.

    The key is not echoed; the server must accept it before anything is written.
    """
    name = state.profile or _config.DEFAULT_PROFILE
    saved = _config.load_profile(name)
    url = login_url or state.base_url or saved.base_url or "http://127.0.0.1:8000"
    key = click.prompt("API key", hide_input=True).strip()
    secret = click.prompt("Webhook secret", hide_input=True).strip() if webhook_secret else saved.webhook_secret
    try:
        with Conduit(api_key=key, base_url=url) as client:
            client.primitives.entities.list(limit=1)
    except AuthError as exc:
        click.echo(f"error: {exc.code}: the server refused this key", err=True)
        raise click.exceptions.Exit(EXIT_FAILED) from exc
    path = _config.save_profile(name, _config.Profile(api_key=key, base_url=url, webhook_secret=secret))
    err().print(f"Logged in to {url}; profile [bold]{name}[/] saved in {path}")


def add_server_commands(group: click.Group, commands: dict[str, str], run: Callable[[Sequence[str]], None]) -> None:
    """Pass-through commands for the server's own CLI (argparse parses their options)."""
    if isinstance(group, ConduitGroup):
        group.server_commands = dict(commands)
    for name, help_text in commands.items():
        if name in group.commands:
            continue

        def invoke(args: tuple[str, ...], _name: str = name) -> None:
            run([_name, *args])

        group.add_command(click.Command(
            name, callback=click.argument("args", nargs=-1, type=click.UNPROCESSED)(invoke), help=help_text,
            add_help_option=False, context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
        ))
