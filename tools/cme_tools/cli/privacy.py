"""`cme export-delegate` and `cme erase-delegate`: a data subject's requests, answered
through the API with the organiser's key (CONTRACT.md, "Organiser decisions").

`export-delegate` writes everything stored about the delegate as one JSON document (stdout,
or a file); `erase-delegate` removes the email and every answer at once, keeping the name,
the facts and the certificates for the retention period. Exit status 0 when done, 2 with
one line on stderr when the API refused (an unknown event or delegate, a key that is not
the organiser's) or could not be reached.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from cme.jsonio import dumps
from cme_tools.cli.decisions import (
    REASON_LIMIT,
    decision_command,
    delegate_arguments,
    delegate_path,
)
from cme_tools.cli.organiser import api_command, api_options, client_from
from cme_tools.cli.terminal import EXIT_OK, UsageError, out
from cme_tools.client import ApiError


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    formatter = argparse.RawDescriptionHelpFormatter
    export = commands.add_parser(
        "export-delegate",
        parents=[api_options()],
        formatter_class=formatter,
        help="everything stored about one delegate, as JSON (a subject access request)",
        description=(
            "Fetch everything the API stores about the delegate: the profile (the email\n"
            "until erasure), scans, views, cart, evaluations and test attempts with their\n"
            "answers, decisions, certificates and the audit entries about the delegate.\n"
            "Writes one JSON document to FILE, or to stdout. Needs the organiser's key."
        ),
        epilog="example:\n  cme export-delegate eshg2025 D0001 -o D0001.json",
    )
    delegate_arguments(export)
    export.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")
    export.set_defaults(run=export_delegate)

    erase = commands.add_parser(
        "erase-delegate",
        parents=[api_options()],
        formatter_class=formatter,
        help="erase a delegate's email and answers, keeping credits and certificates",
        description=(
            "Remove the delegate's email and the answers of every evaluation and test\n"
            "attempt, at once. The name, the facts (with test scores), the decisions and\n"
            "the certificates stay until the event's records expire, so credits and\n"
            "verification do not change. The reason is kept in the audit trail. Safe to\n"
            "re-run: erasing again completes an erasure that failed half-way."
        ),
        epilog=(
            "example:\n  cme erase-delegate eshg2025 D0001 --reason 'asked by e-mail on 3 March'"
        ),
    )
    delegate_arguments(erase)
    erase.add_argument(
        "--reason",
        required=True,
        metavar="TEXT",
        help=f"why (1-{REASON_LIMIT} characters, kept in the trail)",
    )
    erase.set_defaults(run=erase_delegate)


def _refusal(error: ApiError, args: argparse.Namespace) -> ApiError | UsageError:
    """The refusals these commands name themselves; the rest as every command does."""
    if error.code == "unknown_delegate":
        return UsageError(
            f"no delegate {args.delegate_id} at event {args.event_id} (404 unknown_delegate)"
        )
    return error


@api_command
def export_delegate(args: argparse.Namespace) -> int:
    client = client_from(args)
    try:
        exported = client.get(delegate_path(args, "export")).json()
    except ApiError as error:
        raise _refusal(error, args) from None
    text = dumps(exported, indent=2) + "\n"
    if args.output is None:
        out(text.removesuffix("\n"))
        return EXIT_OK
    target = Path(args.output)
    try:
        target.write_text(text, encoding="utf-8")
    except OSError as error:
        raise UsageError(f"{target}: cannot write ({error.strerror})") from None
    out(f"wrote {target}")
    return EXIT_OK


@decision_command
def erase_delegate(args: argparse.Namespace) -> int:
    client = client_from(args)
    try:
        client.request("DELETE", delegate_path(args), body={"reason": args.reason})
    except ApiError as error:
        raise _refusal(error, args) from None
    out(f"erased the email and answers of {args.delegate_id} at {args.event_id}")
    return EXIT_OK
