"""`cme serve`: the local API, the real handlers behind HTTP with an embedded AWS
stand-in (see `cme_tools.local.server`)."""

from __future__ import annotations

import argparse
import importlib.util
import os

from cme_tools.cli.terminal import UsageError


def add_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = commands.add_parser(
        "serve",
        help="the local API: the real handlers behind HTTP, with an embedded AWS stand-in",
        description=(
            "Serve the API on http://HOST:PORT/v1 with the real Lambda handlers (one request at "
            "a time per worker process) and moto standing in for DynamoDB and S3 (or the "
            "endpoint in AWS_ENDPOINT_URL). Requires x-api-key: $CME_API_KEY, the organiser's "
            "key (default local-dev-key), or $CME_PLATFORM_KEY, the platform's (organiser "
            "routes answer it 403 forbidden). Runs the checkout it is started in (or "
            "CME_CHECKOUT). Stops cleanly on Ctrl-C or SIGTERM."
        ),
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    serve.add_argument("--port", type=int, default=3000, help="port to listen on (3000)")
    serve.add_argument("--workers", type=int, default=4, help="handler processes (4)")
    serve.set_defaults(run=_serve)


LOCAL_STACK_NEEDS = ("moto", "aws_lambda_powertools", "pynamodb", "fpdf")
"""What the local stack imports beyond the command line's own dependencies."""


def _serve(args: argparse.Namespace) -> int:
    missing = [name for name in LOCAL_STACK_NEEDS if importlib.util.find_spec(name) is None]
    if missing:
        raise UsageError(
            f"cme serve runs the service itself and needs {', '.join(missing)}: "
            "pip install 'cme-credits[local]' (or make serve in a checkout)"
        )
    from cme_tools.local.server import ServeConfig, serve

    if not 0 < args.port < 65536 or args.workers < 1:
        raise UsageError("--port must be 1-65535 and --workers at least 1")
    config = ServeConfig(
        host=args.host,
        port=args.port,
        api_key=os.environ.get("CME_API_KEY", "local-dev-key"),
        platform_key=os.environ.get("CME_PLATFORM_KEY") or None,
        workers=args.workers,
        endpoint_url=os.environ.get("AWS_ENDPOINT_URL") or None,
    )
    return serve(config)
