"""The organiser's decisions from the command line (CONTRACT.md, "Organiser decisions"):
`extend`, `grant`, `revoke`, `lift-revocation`, `audit` and `register`, clients of a
running API like the other organiser commands (`--api-url`, `--api-key`, or CME_API_URL and
CME_API_KEY).

Each decision takes the `--reason` the audit trail keeps. Exit status 0 when the API took
it (also when the same decision stood already: nothing changed, and it says so), 2 when
the command could not run: one line on stderr with the API's code.
"""

from __future__ import annotations

import argparse
import csv
import io
from collections.abc import Iterator, Sequence
from functools import wraps
from pathlib import Path
from typing import Any

from cme_tools.cli.organiser import Command, api_command, api_options, client_from
from cme_tools.cli.terminal import EXIT_OK, UsageError, out
from cme_tools.client import CmeClient, resource

AUDIT_PAGE = 100
"""Entries per request of the trail (and what `cme audit` shows without --all)."""
REASON_LIMIT = 500
Formatter = argparse.RawDescriptionHelpFormatter


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `extend`, `grant`, `revoke`, `lift-revocation`, `audit` and `register` on
    `cme`."""
    api = api_options()

    extend = commands.add_parser(
        "extend",
        parents=[api],
        formatter_class=Formatter,
        help="extend one delegate's claim deadline (or withdraw the extension)",
        description=(
            "Give one delegate a claim deadline of their own: UNTIL is a local time in the\n"
            "event's zone after the event's deadline (its last stated unit counts whole).\n"
            "Their evaluations, tests and on-demand views are then judged against it. With\n"
            "--withdraw (and no UNTIL) the event's deadline applies again. Stored with the\n"
            "reason, the key's id and the time in the audit trail."
        ),
        epilog=(
            "examples:\n"
            '  cme extend eshg2025 D0007 2026-01-15T23:59:59 --reason "hospitalised in November"\n'
            '  cme extend eshg2025 D0007 --withdraw --reason "extended by mistake"'
        ),
    )
    delegate_arguments(extend)
    extend.add_argument("until", metavar="UNTIL", nargs="?", help="e.g. 2026-01-15T23:59:59")
    extend.add_argument("--withdraw", action="store_true", help="withdraw the extension")
    _reason_option(extend)
    extend.set_defaults(run=_extend)

    grant = commands.add_parser(
        "grant",
        parents=[api],
        formatter_class=Formatter,
        help="grant evidence for a session a delegate attended (or withdraw it)",
        description=(
            "Evidence for SESSION_ID, worth its full amount: for a delegate who attended\n"
            "when a scanner failed. The delegate's statement follows at once; a certificate\n"
            "whose credits change is reissued on its next request. With --withdraw the\n"
            "grant is taken back. Stored with the reason in the audit trail."
        ),
        epilog=(
            'example:\n  cme grant eshg2025 D0007 S05 --reason "desk 2 scanner failed on 25 May"'
        ),
    )
    delegate_arguments(grant)
    grant.add_argument("session_id", metavar="SESSION_ID")
    grant.add_argument("--withdraw", action="store_true", help="withdraw the grant")
    _reason_option(grant)
    grant.set_defaults(run=_grant)

    revoke = commands.add_parser(
        "revoke",
        parents=[api],
        formatter_class=Formatter,
        help="revoke a certificate for good (and block new ones for its delegate)",
        description=(
            "Revoke the certificate SERIAL: its verify page says `revoked` from now on, and\n"
            "the delegate gets no new certificate until an organiser lifts the revocation.\n"
            "Stored with the reason in the audit trail."
        ),
        epilog='example:\n  cme revoke CME-7KQ2-M9XD-4HTA --reason "issued to the wrong person"',
    )
    revoke.add_argument("serial", metavar="SERIAL")
    _reason_option(revoke)
    revoke.set_defaults(run=_revoke)

    lift = commands.add_parser(
        "lift-revocation",
        parents=[api],
        formatter_class=Formatter,
        help="lift a delegate's revocation: new certificates again",
        description=(
            "Let DELEGATE_ID receive certificates again after `cme revoke`. The revoked\n"
            "certificate stays revoked; the next certificate request issues a new one.\n"
            "Stored with the reason in the audit trail."
        ),
        epilog=(
            "example:\n"
            '  cme lift-revocation eshg2025 D0007 --reason "name corrected; revoked in error"'
        ),
    )
    delegate_arguments(lift)
    _reason_option(lift)
    lift.set_defaults(run=_lift_revocation)

    audit = commands.add_parser(
        "audit",
        parents=[api],
        formatter_class=Formatter,
        help="the event's audit trail, newest first",
        description=(
            "Every decision, correction, revocation, programme replacement and erasure of\n"
            f"the event, newest first: the latest {AUDIT_PAGE} entries, or all of them with\n"
            "--all. A table by default; --json prints the entries as one JSON document."
        ),
        epilog="examples:\n  cme audit eshg2025\n  cme audit eshg2025 --all --json",
    )
    audit.add_argument("event_id", metavar="EVENT_ID")
    audit.add_argument("--all", action="store_true", help="every entry, following the pages")
    audit.add_argument("--json", action="store_true", help="one JSON document")
    audit.set_defaults(run=_audit)

    register = commands.add_parser(
        "register",
        parents=[api],
        formatter_class=Formatter,
        help="the attendance register: one row per delegate and credited session",
        description=(
            "The document an accreditor audits: each delegate's credited sessions with\n"
            "their date, evidence (scan, time_in_room, live_view, on_demand_view, grant),\n"
            "amount and evaluation time, following the API's pages to the end. CSV unless\n"
            "--format json or FILE ends in .json."
        ),
        epilog="examples:\n  cme register eshg2025 -o eshg2025-register.csv",
    )
    register.add_argument("event_id", metavar="EVENT_ID")
    register.add_argument("-o", "--output", metavar="FILE", help="write to FILE, not stdout")
    register.add_argument("--format", choices=("csv", "json"), help="csv (default) or json")
    register.add_argument(
        "--page-size", type=int, default=1000, metavar="N", help="delegates per request (1000)"
    )
    register.set_defaults(run=_register)


def _reason_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--reason",
        required=True,
        help=f"why (1-{REASON_LIMIT} characters; kept in the audit trail)",
    )


def decision_command(run: Command) -> Command:
    """`api_command`, with `--reason` (where the command has one) checked before anything
    is sent."""

    @api_command
    @wraps(run)
    def command(args: argparse.Namespace, **options: Any) -> int:
        reason = getattr(args, "reason", None)
        if reason is not None and not 1 <= len(reason.strip()) <= REASON_LIMIT:
            raise UsageError(f"--reason must be 1-{REASON_LIMIT} characters")
        return run(args, **options)

    return command


def delegate_arguments(parser: argparse.ArgumentParser) -> None:
    """EVENT_ID DELEGATE_ID: the delegate a command is about (read by `delegate_path`)."""
    parser.add_argument("event_id", metavar="EVENT_ID")
    parser.add_argument("delegate_id", metavar="DELEGATE_ID")


def delegate_path(args: argparse.Namespace, *more: str) -> str:
    return resource("events", args.event_id, "delegates", args.delegate_id, *more)


def _decided(reply_body: Any, done: str, stood: str) -> int:
    out(done if reply_body is None or reply_body.get("changed", True) else stood)
    return EXIT_OK


# --------------------------------------------------------------------------- decisions


@decision_command
def _extend(args: argparse.Namespace) -> int:
    client = client_from(args)
    who = f"{args.delegate_id} at {args.event_id}"
    if args.withdraw:
        if args.until is not None:
            raise UsageError("--withdraw takes no UNTIL")
        path = delegate_path(args, "extension")
        client.request("DELETE", path, body={"reason": args.reason})
        out(f"withdrew the extension of {who}: the event's deadline applies")
        return EXIT_OK
    if args.until is None:
        raise UsageError("UNTIL is needed (a local time such as 2026-01-15T23:59:59)")
    body = {"until": args.until, "reason": args.reason}
    reply = client.put(delegate_path(args, "extension"), body).json()
    return _decided(
        reply,
        f"extended the claim deadline of {who} to {args.until} (local time)",
        f"unchanged: {who} already has until {args.until}",
    )


@decision_command
def _grant(args: argparse.Namespace) -> int:
    client = client_from(args)
    path = delegate_path(args, "grants", args.session_id)
    what = f"evidence for {args.session_id} to {args.delegate_id} at {args.event_id}"
    if args.withdraw:
        client.request("DELETE", path, body={"reason": args.reason})
        out(f"withdrew the grant of {what}")
        return EXIT_OK
    reply = client.put(path, {"reason": args.reason}).json()
    return _decided(reply, f"granted {what}", f"unchanged: {what} was granted already")


@decision_command
def _revoke(args: argparse.Namespace) -> int:
    client = client_from(args)
    path = resource("certificates", args.serial, "revoke")
    revoked = client.post(path, {"reason": args.reason}).json()
    out(
        f"revoked {revoked['serial']} ({revoked['delegate_name']}, {revoked['event_id']}): "
        "its verify page says revoked; no new certificate until the revocation is lifted"
    )
    return EXIT_OK


@decision_command
def _lift_revocation(args: argparse.Namespace) -> int:
    client = client_from(args)
    client.request("DELETE", delegate_path(args, "revocation"), body={"reason": args.reason})
    out(
        f"{args.delegate_id} at {args.event_id} may receive certificates again "
        "(a revoked certificate stays revoked)"
    )
    return EXIT_OK


# --------------------------------------------------------------------------- the trail


def fetch_audit(client: CmeClient, event_id: str, *, every: bool) -> list[dict[str, Any]]:
    """The trail, newest first: the first page, or every page."""
    path = resource("events", event_id, "audit")
    entries: list[dict[str, Any]] = []
    for page in client.pages(path, query={"limit": AUDIT_PAGE}):
        entries.extend(page.get("entries", []))
        if not every:
            break
    return entries


AUDIT_COLUMNS = ("at", "actor", "action", "target", "reason")


def audit_table(entries: Sequence[dict[str, Any]]) -> Iterator[str]:
    """The trail as a terminal table, each column as wide as its widest cell (the reason
    last, whole)."""
    cells = [[" ".join(str(e.get(c) or "").split()) for c in AUDIT_COLUMNS] for e in entries]
    heading = list(AUDIT_COLUMNS)
    widths = [max(len(row[i]) for row in [heading, *cells]) for i in range(len(heading) - 1)]

    def line(row: Sequence[str]) -> str:
        fixed = "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False))
        return f"{fixed}  {row[-1]}".rstrip()

    yield line(heading)
    yield line(["-" * w for w in widths] + ["-" * 6])
    for row in cells:
        yield line(row)
    yield f"{len(entries)} {'entry' if len(entries) == 1 else 'entries'}"


@decision_command
def _audit(args: argparse.Namespace) -> int:
    entries = fetch_audit(client_from(args), args.event_id, every=args.all)
    if args.json:
        from cme.jsonio import dumps

        out(dumps({"event_id": args.event_id, "entries": entries}, indent=2))
        return EXIT_OK
    for text in audit_table(entries):
        out(text)
    return EXIT_OK


# --------------------------------------------------------------------------- the register


def fetch_register(
    client: CmeClient, event_id: str, *, page_size: int = 1000
) -> list[dict[str, Any]]:
    """Every row of the register, following `next_cursor` through every page."""
    path = resource("events", event_id, "register")
    rows: list[dict[str, Any]] = []
    for page in client.pages(path, query={"limit": page_size}):
        rows.extend(page.get("rows", []))
    return rows


def fetch_register_csv(client: CmeClient, event_id: str, *, page_size: int = 1000) -> str:
    """The register as the API writes its CSV (the header once), following `Link`."""
    path = resource("events", event_id, "register")
    rows: list[list[str]] = []
    for reply in client.linked_pages(path, query={"limit": page_size}):
        page = list(csv.reader(io.StringIO(reply.text(), newline="")))
        rows.extend(page if not rows else page[1:])
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


@decision_command
def _register(args: argparse.Namespace) -> int:
    if not 1 <= args.page_size <= 5000:
        raise UsageError("--page-size must be 1-5000")
    target = Path(args.output) if args.output else None
    shape = args.format or ("json" if target and target.suffix.lower() == ".json" else "csv")
    client = client_from(args)
    text: str
    if shape == "json":
        from cme.jsonio import dumps

        rows = fetch_register(client, args.event_id, page_size=args.page_size)
        text = dumps({"event_id": args.event_id, "rows": rows}, indent=2) + "\n"
    else:
        text = fetch_register_csv(client, args.event_id, page_size=args.page_size)
    return _write(text, target)


def _write(text: str, target: Path | None) -> int:
    if target is None:
        out(text.replace("\r\n", "\n").removesuffix("\n"))
        return EXIT_OK
    try:
        target.write_text(text, encoding="utf-8", newline="")
    except OSError as error:
        raise UsageError(f"{target}: cannot write ({error.strerror})") from None
    out(f"wrote {target}")
    return EXIT_OK
