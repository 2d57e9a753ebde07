"""`cme statement PROGRAMME FACTS.json`: offline, the credit statement the API would give
for one delegate's recorded facts (RULES.md, "Auditing offline")."""

from __future__ import annotations

import argparse
from pathlib import Path

from cme_tools.cli.terminal import EXIT_OK, UsageError, err, out


def add_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
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
        help='{"delegate": {..., "profession"}, "scans": [...], "views": [...], "cart": [...], '
        '"evaluations": [...], "test_attempts": [...], "grants": ["S05", ...], '
        '"extension": "2026-01-15T23:59:59"} (grants and extension: the organiser\'s '
        "decisions, applied as the API applies them)",
    )
    statement.set_defaults(run=_statement)


def _statement(args: argparse.Namespace) -> int:
    from cme.jsonio import dumps, loads
    from cme.programme import load_programme_file
    from cme.rules.credits import compute_statement
    from cme.timestamps import system_clock
    from cme_tools.audit import audit_facts

    loaded = load_programme_file(args.programme)
    for warning in loaded.warnings:
        err(f"warning: {warning.path}: {warning.code}: {warning.detail}")
    programme = loaded.programme
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
