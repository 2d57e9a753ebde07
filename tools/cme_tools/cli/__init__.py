"""`cme`: the organiser's command line, the offline audit tool and the local API.

Exit status: 0 when everything succeeded, 1 when some rows or delegates failed, 2 on usage
errors. Errors are one clear line on stderr.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from cme.errors import CmeError, InvalidProgramme
from cme_tools.cli import dashboard, decisions, organiser, privacy, serve, statement
from cme_tools.cli.terminal import EXIT_USAGE, UsageError, err
from cme_tools.local.checkout import NotACheckout


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cme",
        description="cme-credits: CME credits at medical congresses, with verifiable certificates.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    organiser.add_commands(commands)
    decisions.add_commands(commands)
    dashboard.add_command(commands)
    privacy.add_commands(commands)
    statement.add_command(commands)
    serve.add_command(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args))
    except InvalidProgramme as exc:
        err(f"cme: {exc.detail}:")
        for problem in exc.problems:
            err(f"  {problem.path}: {problem.code}: {problem.detail}")
        return EXIT_USAGE
    except (UsageError, CmeError, NotACheckout, OSError) as exc:
        err(f"cme: {exc}")
        return EXIT_USAGE
