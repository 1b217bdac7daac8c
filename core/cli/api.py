"""`lydian serve` (the REST API on port 5003) and `lydian token create` (its bearer tokens)."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from core.cli._common import UsageError, print_json
from core.defaults import DEFAULT_MODELS


def add_commands(commands: argparse._SubParsersAction) -> None:
    serve = commands.add_parser(
        "serve", help="run the REST API (FastAPI + uvicorn, default 127.0.0.1:5003)",
        description="Run the REST API: forecasts, the ensemble and training jobs; OpenAPI docs at /docs. "
        "Configured by LYDIAN_DATABASE_URL, LYDIAN_JWT_SECRET, LYDIAN_API_RATE_LIMIT, LYDIAN_API_PROTECT_READS, "
        "LYDIAN_API_CORS_ORIGINS and LYDIAN_API_MAX_BODY (see core/api/settings.py).",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1; 0.0.0.0 for all)")
    serve.add_argument("--port", type=int, default=5003, help="port (default 5003)")
    serve.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"],
                       help="uvicorn log level (default info)")
    serve.add_argument("--bootstrap", action="store_true",
                       help="before opening, train the default models on every bundled market's 1h candles, skipping "
                       "those already trained (minutes the first time; progress in the log)")
    serve.add_argument("--symbols", help="with --bootstrap: comma-separated markets (default: every bundled one)")
    serve.add_argument("--models", help="with --bootstrap: comma-separated ids or families (default: "
                       f"{','.join(DEFAULT_MODELS)})")
    serve.add_argument("--workers", type=int, default=1,
                       help="worker processes (default 1); they share forecasts through Redis (LYDIAN_REDIS_URL or "
                       "--redis local) and one database")
    serve.add_argument("--redis", choices=("env", "local", "off"), default="env",
                       help="the shared forecast cache: env = LYDIAN_REDIS_URL if set (default); local = start a "
                       "private redis-server on 127.0.0.1 for this server (in-process caches when it is not "
                       "installed); off = each worker keeps its own in-process cache")
    serve.set_defaults(handler=serve_command)

    token = commands.add_parser("token", help="issue bearer tokens for the API", description="Issue API bearer tokens.")
    token.set_defaults(help_parser=token)
    sub = token.add_subparsers(dest="token_command", metavar="SUBCOMMAND")
    create = sub.add_parser("create", help="print a signed token for a user",
                            description="Print an HS256 token signed with LYDIAN_JWT_SECRET (>= 32 bytes) for USER.")
    create.add_argument("--user", required=True, help="who the token is for (shown in the audit log)")
    create.add_argument("--days", type=float, default=30.0, help="days until it expires (default 30)")
    create.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    create.set_defaults(handler=token_create)


def serve_command(args: argparse.Namespace) -> int:
    import uvicorn

    from core.api.app import create_app
    from core.db import Database
    from core.api.settings import ApiSettings

    if not 0 < args.port < 65536:
        raise UsageError(f"--port {args.port}: use 1-65535")
    if (args.symbols or args.models) and not args.bootstrap:
        raise UsageError("--symbols and --models choose what --bootstrap trains; add --bootstrap")
    if not 1 <= args.workers <= 64:
        raise UsageError(f"--workers {args.workers}: use 1-64")
    settings = ApiSettings.from_env()  # bad settings fail here, with the variable named, before binding
    Database(settings.database_url).dispose()  # so does a database that cannot be opened
    if settings.jwt_secret is None:
        print("lydian: warning: LYDIAN_JWT_SECRET is not set: training and configuration endpoints are off",
              file=sys.stderr)
    _log_to_stderr(args.log_level)
    if args.bootstrap:
        _bootstrap(args, settings.train_bars)
    with _redis(args.redis):
        if args.workers == 1:
            uvicorn.run(create_app(settings), host=args.host, port=args.port, log_level=args.log_level,
                        timeout_graceful_shutdown=10)
        else:  # each worker builds its app from the same environment (the database exists already: no create race)
            uvicorn.run("core.api.app:create_app", factory=True, workers=args.workers, host=args.host,
                        port=args.port, log_level=args.log_level, timeout_graceful_shutdown=10)
    return 0


@contextmanager
def _redis(mode: str) -> Iterator[None]:
    """LYDIAN_REDIS_URL for the workers: as set, a private loopback redis-server, or none."""
    from core.api.redis_server import local_redis
    from core.config import home_dir

    if mode == "off":
        os.environ.pop("LYDIAN_REDIS_URL", None)
    if mode != "local":
        yield
        return
    with local_redis(home_dir() / "redis") as url:
        if url is None:
            print("lydian: warning: --redis local: redis-server is not installed (make redis); each worker keeps "
                  "its own in-process forecast cache", file=sys.stderr)
        else:
            os.environ["LYDIAN_REDIS_URL"] = url
            logging.getLogger("lydian").info("shared forecast cache: private redis-server at %s", url)
        yield


def _log_to_stderr(level: str) -> None:
    """The server's own lines (bootstrap, job recovery) beside uvicorn's, in its format."""
    from uvicorn.logging import DefaultFormatter

    logger = logging.getLogger("lydian")
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(DefaultFormatter("%(levelprefix)s %(message)s"))
        logger.addHandler(handler)
    logger.setLevel(level.upper())


def _bootstrap(args: argparse.Namespace, bars: int) -> None:
    from core.api.bootstrap import bootstrap

    symbols = [s.strip() for s in (args.symbols or "").split(",") if s.strip()]
    failed = bootstrap(symbols, (args.models or ",".join(DEFAULT_MODELS)).split(","), bars=bars)
    if failed:
        print(f"lydian: warning: {failed} model(s) could not be trained (see the log); serving the others",
              file=sys.stderr)


def token_create(args: argparse.Namespace) -> int:
    from core.api.auth import issue
    from core.api.settings import check_secret

    secret = os.environ.get("LYDIAN_JWT_SECRET")
    if not secret:
        raise UsageError("set LYDIAN_JWT_SECRET (the same value as the server's) to sign tokens")
    token = issue(args.user, check_secret(secret), args.days)
    if args.json:
        print_json({"user": args.user, "days": args.days, "token": token})
    else:
        print(token)
    return 0
