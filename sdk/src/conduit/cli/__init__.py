"""The ``conduit`` command line (``pip install conduit-sdk[cli]``).

One ``conduit`` command whether the SDK, the server or both are installed: both packages declare the script and
both mains route the same way. With ``conduit_server`` importable, :func:`main` hands the arguments to the server's
main, which runs its own commands (serve, worker, keys, ...) and hands every other one back to :func:`run_client`
with the list of server commands, so ``conduit --help`` shows both sets.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    import click

SERVER_CLI = "conduit_server.cli"


def app() -> click.Group:
    """The client command group with every command registered (what tests invoke)."""
    from . import _commands, _listen, _report  # noqa: F401  (importing them registers their commands)
    from ._app import cli

    return cli


def run_client(argv: Sequence[str] | None = None, server_commands: dict[str, str] | None = None) -> None:
    """Run the client CLI; ``server_commands`` (name -> help) are listed in help and passed back to the server."""
    try:
        from ._app import add_server_commands
    except ImportError as exc:  # the plain library install: conduit-sdk without the [cli] extra
        print(f"conduit: the command line needs {exc.name}: pip install 'conduit-sdk[cli]'", file=sys.stderr)
        raise SystemExit(2) from None

    cli = app()
    if server_commands:
        add_server_commands(cli, server_commands, _server_main)
    cli.main(args=list(sys.argv[1:] if argv is None else argv), prog_name="conduit")


def _server_main(argv: Sequence[str]) -> None:
    server_main = cast("Callable[[list[str]], None]", importlib.import_module(SERVER_CLI).main)
    server_main(list(argv))


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the ``conduit`` script."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        importlib.import_module(SERVER_CLI)
    except ImportError:
        run_client(args)
        return
    _server_main(args)


if __name__ == "__main__":
    main()
