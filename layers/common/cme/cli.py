"""`cme`: the organiser's command line (and the offline audit tool).

Exit status: 0 when everything succeeded, 1 when some rows or delegates failed, 2 on usage
errors. Errors are one clear line on stderr.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from cme.errors import CmeError, InvalidProgramme

EXIT_OK, EXIT_PARTIAL, EXIT_USAGE = 0, 1, 2


def out(text: str) -> None:
    """A line of the command's output (stdout)."""
    sys.stdout.write(text + "\n")


def err(text: str) -> None:
    """A line of diagnostics (stderr)."""
    sys.stderr.write(text + "\n")


class UsageError(Exception):
    """A problem with what was asked: exit status 2, one line on stderr."""


def _statement(args: argparse.Namespace) -> int:
    from cme.audit import audit_facts
    from cme.jsonio import dumps, loads
    from cme.programme import load_programme_file
    from cme.rules.credits import compute_statement
    from cme.timestamps import system_clock

    programme = load_programme_file(args.programme).programme
    try:
        document = loads(Path(args.facts).read_text(encoding="utf-8"))
    except ValueError as exc:
        raise UsageError(f"{args.facts}: not a JSON document ({exc})") from exc
    audited = audit_facts(programme, document, now=system_clock())
    for refusal in audited.refusals:
        err(f"refused {refusal}")
    statement = compute_statement(programme, audited.facts)
    out(dumps(statement.as_dict(), indent=2))
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cme",
        description="cme-credits: CME credits at medical congresses, with verifiable certificates.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    __import__("cme.organiser_cli").organiser_cli.add_commands(commands)

    statement = commands.add_parser(
        "statement",
        help="offline: the credit statement for one delegate's recorded facts",
        description=(
            "Compute, without AWS, the credit statement the API would give for one delegate's "
            "facts (for audits and disputes). The statement JSON goes to stdout; each fact the "
            "API would have refused goes to stderr with its code and is left out."
        ),
    )
    statement.add_argument("programme", metavar="PROGRAMME", help="the programme (YAML or JSON)")
    statement.add_argument(
        "facts",
        metavar="FACTS.json",
        help='{"delegate": {...}, "scans": [...], "views": [...], "cart": [...], '
        '"evaluations": [...]}',
    )
    statement.set_defaults(run=_statement)

    serve = commands.add_parser(
        "serve",
        help="the local API: the real handlers behind HTTP, with an embedded AWS stand-in",
        description=(
            "Serve the API on http://HOST:PORT/v1 with the real Lambda handlers (one request at "
            "a time per worker process) and moto standing in for DynamoDB and S3 (or the "
            "endpoint in AWS_ENDPOINT_URL). Requires x-api-key: $CME_API_KEY (default "
            "local-dev-key). Stops cleanly on Ctrl-C or SIGTERM."
        ),
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    serve.add_argument("--port", type=int, default=3000, help="port to listen on (3000)")
    serve.add_argument("--workers", type=int, default=4, help="handler processes (4)")
    serve.set_defaults(run=_serve)
    return parser


def _serve(args: argparse.Namespace) -> int:
    import os

    from cme.local.server import ServeConfig, serve

    if not 0 < args.port < 65536 or args.workers < 1:
        raise UsageError("--port must be 1-65535 and --workers at least 1")
    config = ServeConfig(
        host=args.host,
        port=args.port,
        api_key=os.environ.get("CME_API_KEY", "local-dev-key"),
        workers=args.workers,
        endpoint_url=os.environ.get("AWS_ENDPOINT_URL") or None,
    )
    return serve(config)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args))
    except InvalidProgramme as exc:
        err(f"cme: {exc.detail}:")
        for problem in exc.problems:
            err(f"  {problem.path}: {problem.code}: {problem.detail}")
        return EXIT_USAGE
    except (UsageError, CmeError, OSError) as exc:
        err(f"cme: {exc}")
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
