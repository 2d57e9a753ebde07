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
        print(f"refused {refusal}", file=sys.stderr)
    statement = compute_statement(programme, audited.facts)
    print(dumps(statement.as_dict(), indent=2))
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cme",
        description="cme-credits: CME credits at medical congresses, with verifiable certificates.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

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
        help='{"delegate": {...}, "scans": [...], "views": [...], "cart": [...], "evaluations": [...]}',
    )
    statement.set_defaults(run=_statement)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args))
    except InvalidProgramme as exc:
        print(f"cme: {exc.detail}:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem.path}: {problem.code}: {problem.detail}", file=sys.stderr)
        return EXIT_USAGE
    except (UsageError, CmeError, OSError) as exc:
        print(f"cme: {exc}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
