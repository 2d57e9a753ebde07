"""The organiser's commands of `cme`, a client of a running API (local or deployed):
`load-programme`, `import-delegates`, `report` and `issue-certificates`.

Each reads CME_API_URL and CME_API_KEY (or --api-url, --api-key). Exit status 0 when
everything succeeded, 1 when some rows or delegates failed, 2 when the command could not
run at all (a missing file, a bad URL, an unreachable API, a refused key, an unknown
event): that one is one line on stderr.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import sys
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from decimal import Decimal
from functools import wraps
from pathlib import Path
from typing import Any

from cme.amounts import for_print
from cme.errors import InvalidProgramme, Problem
from cme_tools.cli.terminal import EXIT_OK, EXIT_PARTIAL, UsageError, err, out
from cme_tools.client import (
    ApiError,
    ApiUnreachable,
    CmeClient,
    InvalidApiUrl,
    Reply,
    UnexpectedAnswer,
    resource,
)

DELEGATE_COLUMNS = ("delegate_id", "name", "email", "attendance", "profession")
REQUIRED_COLUMNS = ("delegate_id", "name", "attendance")
NOT_READY = frozenset({"evaluations_incomplete", "no_credits"})
"""409 codes of a delegate who cannot have a certificate yet: skipped, not a failure."""
UNPRINTABLE = "unprintable_name"
"""422 code of a name no bundled font prints: listed apart, for the organiser to correct."""
DEFAULT_WORKERS = 8
EXIT_INTERRUPTED = 130

Command = Callable[..., int]
"""A command: the parsed arguments (and, for tests, keyword options) -> exit status."""


# --------------------------------------------------------------------------- parser


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the organiser's commands on `cme`'s subparsers."""
    api = api_options()
    formatter = argparse.RawDescriptionHelpFormatter

    load = commands.add_parser(
        "load-programme",
        parents=[api],
        formatter_class=formatter,
        help="validate a programme locally, then create or replace it in the API",
        description=(
            "Validate the programme file (YAML or JSON) locally and print every problem at\n"
            "once; when it is valid, PUT its canonical JSON document to\n"
            "/events/{event.id}. Prints whether the event was created or replaced, and\n"
            "the warnings (say, a stated UTC offset that disagrees with the timezone)."
        ),
        epilog="example:\n  cme load-programme programmes/eshg2025.yaml",
    )
    load.add_argument("file", metavar="FILE.yaml", help="the programme document")
    load.add_argument(
        "--check", action="store_true", help="only validate locally; send nothing to the API"
    )
    load.set_defaults(run=_load_programme)

    delegates = commands.add_parser(
        "import-delegates",
        parents=[api],
        formatter_class=formatter,
        help="register or update delegates from a CSV file, reporting each row",
        description=(
            "Register or update every delegate of a UTF-8 CSV file (with or without a BOM)\n"
            "whose header names the columns delegate_id,name,email,attendance,profession\n"
            "(email and profession may be empty; attendance is in_person or online).\n"
            "One line per row: created, updated, or error with the API's code (a name of\n"
            "spaces or invisible characters alone is refused); a row stored with a warning\n"
            "(a name the certificate cannot print) says what to correct. A bad row never\n"
            "stops the good ones; the exit status is 1 when any row failed."
        ),
        epilog="example:\n  cme import-delegates eshg2025 programmes/eshg2025-delegates.csv",
    )
    delegates.add_argument("event_id", metavar="EVENT_ID")
    delegates.add_argument("file", metavar="FILE.csv", help="the delegates")
    delegates.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="print only the rows that failed or warn, and a summary",
    )
    _workers_option(delegates)
    delegates.set_defaults(run=_import_delegates)

    report = commands.add_parser(
        "report",
        parents=[api],
        formatter_class=formatter,
        help="every delegate's credits per day, total and latest certificate",
        description=(
            "Every delegate with credits per conference day, total and latest certificate,\n"
            "following the API's pages to the end. A table by default; CSV with --csv or\n"
            "when FILE ends in .csv; JSON (one document) with --json or when FILE ends\n"
            "in .json. Amounts are exact (JSON numbers; one or two decimals in CSV)."
        ),
        epilog=("examples:\n  cme report eshg2025\n  cme report eshg2025 -o eshg2025-credits.csv"),
    )
    report.add_argument("event_id", metavar="EVENT_ID")
    shape = report.add_mutually_exclusive_group()
    shape.add_argument("--csv", action="store_true", help="CSV, one row per delegate")
    shape.add_argument("--json", action="store_true", help="one JSON document")
    report.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")
    report.add_argument(
        "--page-size",
        type=int,
        default=1000,
        metavar="N",
        help="delegates per request, 1-5000 (1000)",
    )
    report.add_argument(
        "--export",
        action="store_true",
        help="CSV written whole by the service to S3 and downloaded from its link (an event "
        "of any size; one request per second while it runs)",
    )
    report.set_defaults(run=_report)

    issue = commands.add_parser(
        "issue-certificates",
        parents=[api],
        formatter_class=formatter,
        help="issue every ready delegate's certificate and download the PDFs",
        description=(
            "Ask for the certificate of every delegate in the report (concurrently, with a\n"
            "progress bar) and download each PDF as DIR/<delegate_id>.pdf. Safe to re-run:\n"
            "a delegate whose credits did not change keeps the same certificate. Delegates\n"
            "not ready yet (evaluations missing, no credits) are skipped and listed; those\n"
            "whose name the certificate cannot print are listed apart, with the characters\n"
            "to correct. The exit status is 1 when some delegates failed or were refused."
        ),
        epilog="example:\n  cme issue-certificates eshg2025 -o certificates/",
    )
    issue.add_argument("event_id", metavar="EVENT_ID")
    issue.add_argument(
        "-o", "--output", metavar="DIR", default="out", help="where the PDFs go (out/)"
    )
    _workers_option(issue)
    issue.set_defaults(run=_issue_certificates)


def api_options() -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False)
    group = parent.add_argument_group("API")
    group.add_argument(
        "--api-url",
        metavar="URL",
        help="the API's base URL, e.g. http://127.0.0.1:3000/v1 (default: $CME_API_URL)",
    )
    group.add_argument("--api-key", metavar="KEY", help="the API key (default: $CME_API_KEY)")
    return parent


def _workers_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--workers",
        type=int,
        default=DEFAULT_WORKERS,
        metavar="N",
        help=f"requests in flight at once, 1-32 ({DEFAULT_WORKERS})",
    )


def client_from(args: argparse.Namespace) -> CmeClient:
    """The API client of the command line's options, else of the environment."""
    url = args.api_url or os.environ.get("CME_API_URL")
    key = args.api_key or os.environ.get("CME_API_KEY")
    if not url:
        raise UsageError("no API URL: set CME_API_URL or pass --api-url (e.g. .../v1)")
    if not key:
        raise UsageError("no API key: set CME_API_KEY or pass --api-key")
    try:
        return CmeClient(url, key)
    except InvalidApiUrl as error:
        raise UsageError(str(error)) from None


def api_command(run: Command) -> Command:
    """A failure of the whole command (not of one row) as one line and exit status 2."""

    @wraps(run)
    def command(args: argparse.Namespace, **options: Any) -> int:
        try:
            return run(args, **options)
        except ApiError as error:
            raise UsageError(_whole_failure(error, args)) from None
        except (ApiUnreachable, UnexpectedAnswer) as error:
            raise UsageError(f"{error} (is the API running at that URL?)") from None
        except KeyboardInterrupt:
            err("cme: interrupted")
            return EXIT_INTERRUPTED

    return command


def _whole_failure(error: ApiError, args: argparse.Namespace) -> str:
    if error.code == "forbidden":
        return (
            "the API refused this key (403 forbidden): decisions, the audit trail, the "
            "register, privacy requests and reports need the organiser's key"
        )
    if error.status == 403:
        return "the API refused the key (403 unauthorized): check --api-key / CME_API_KEY"
    if error.code == "unknown_event":
        event_id = getattr(args, "event_id", "")
        return f"no event {event_id} at this API (404 unknown_event): load its programme first"
    if error.code == "not_found":
        return f"{error} (is the API URL the base URL, ending in /v1?)"
    return f"the API refused: {error}"


def _workers(args: argparse.Namespace) -> int:
    if not 1 <= args.workers <= 32:
        raise UsageError("--workers must be 1-32")
    return int(args.workers)


# --------------------------------------------------------------------------- load-programme


@api_command
def _load_programme(args: argparse.Namespace) -> int:
    from cme.programme import load_programme_file, programme_document

    path = Path(args.file)
    if not path.is_file():
        raise UsageError(f"{path}: no such file")
    try:
        loaded = load_programme_file(path)  # InvalidProgramme: every problem, exit status 2
    except UnicodeDecodeError as error:
        raise UsageError(f"{path}: not UTF-8 (byte {error.start})") from None
    programme = loaded.programme
    summary = (
        f"{len(programme.days)} days, {len(programme.slots)} slots, "
        f"{len(programme.sessions)} sessions"
    )
    if args.check:
        out(f"{path}: valid: {programme.event.id}, {summary}")
        _warn([w.as_dict() for w in loaded.warnings])
        return EXIT_OK
    client = client_from(args)
    try:
        reply = client.put(resource("events", programme.event.id), programme_document(programme))
    except ApiError as error:
        if error.code == "invalid_programme":
            raise InvalidProgramme(
                [Problem(**_problem_fields(p)) for p in error.problem.get("errors", [])],
            ) from None
        raise
    saved = reply.json()
    verb = "created" if reply.status == 201 else "replaced"
    out(f"{verb} {programme.event.id} (version {saved.get('version')}): {summary}")
    _warn([w.as_dict() for w in loaded.warnings] + list(saved.get("warnings", [])))
    return EXIT_OK


def _problem_fields(problem: Mapping[str, Any]) -> dict[str, str]:
    return {key: str(problem.get(key, "")) for key in ("path", "code", "detail")}


def _warn(warnings: Sequence[Mapping[str, Any]]) -> None:
    seen: set[tuple[str, str]] = set()
    for warning in warnings:
        key = (str(warning.get("path")), str(warning.get("code")))
        if key not in seen:
            seen.add(key)
            err(f"warning: {key[0]}: {key[1]}: {warning.get('detail', '')}")


# --------------------------------------------------------------------------- import-delegates


@dataclass(frozen=True, slots=True)
class DelegateRow:
    """One data row of the delegates' CSV: the body to send, or why it cannot be sent."""

    line: int
    delegate_id: str
    body: dict[str, str] = field(default_factory=dict)
    problem: tuple[str, str] | None = None
    """(code, detail) when the row is refused before any request."""


def read_delegates_csv(path: Path) -> list[DelegateRow]:
    """The rows of a delegates' CSV (UTF-8, a BOM allowed). A file that cannot be read as
    such a CSV at all is a UsageError; a row that is wrong is a row with a problem."""
    from cme.text import ID_PATTERN

    if not path.is_file():
        raise UsageError(f"{path}: no such file")
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise UsageError(f"{path}: not UTF-8 (byte {error.start}); save it as UTF-8") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [name.strip().lower() for name in next(reader, [])]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise UsageError(
            f"{path}: the header lacks {', '.join(missing)} (expected {','.join(DELEGATE_COLUMNS)})"
        )
    unknown = [c for c in header if c not in DELEGATE_COLUMNS]
    if unknown:
        err(f"warning: {path}: ignoring column(s) {', '.join(unknown)}")
    rows: list[DelegateRow] = []
    first_line: dict[str, int] = {}
    line = reader.line_num + 1
    for values in reader:
        row_line, line = line, reader.line_num + 1
        if not any(v.strip() for v in values):
            continue  # a blank line
        if len(values) > len(header):
            detail = f"{len(values)} values, but the header names {len(header)} columns"
            named = values[header.index("delegate_id")].strip()
            rows.append(DelegateRow(row_line, named, problem=("invalid_request", detail)))
            continue
        fields = {name: value.strip() for name, value in zip(header, values, strict=False)}
        delegate_id = fields.get("delegate_id", "")
        problem: tuple[str, str] | None = None
        if not ID_PATTERN.match(delegate_id):
            problem = ("invalid_request", f"delegate_id: not an id: {delegate_id!r}")
        elif delegate_id in first_line:
            problem = ("invalid_request", f"delegate_id: already on line {first_line[delegate_id]}")
        else:
            first_line[delegate_id] = row_line
        attendance = fields.get("attendance", "").lower().replace("-", "_").replace(" ", "_")
        body = {"name": fields.get("name", ""), "attendance": attendance}
        for optional in ("email", "profession"):
            if fields.get(optional):
                body[optional] = fields[optional]
        rows.append(DelegateRow(row_line, delegate_id, body, problem))
    return rows


@dataclass(frozen=True, slots=True)
class RowOutcome:
    row: DelegateRow
    status: str
    """created, updated or error"""
    code: str = ""
    detail: str = ""
    warnings: tuple[str, ...] = ()
    """What the API stored but warns about (a name no bundled font prints): to correct
    before the congress."""

    def line(self) -> str:
        text = f"line {self.row.line}: {self.row.delegate_id or '?'}: {self.status}"
        if self.status == "error":
            return f"{text} {self.code}: {self.detail}"
        return "; warning ".join([text, *self.warnings])


@api_command
def _import_delegates(args: argparse.Namespace) -> int:
    workers = _workers(args)
    rows = read_delegates_csv(Path(args.file))
    client = client_from(args)
    # 403 / 404 stop here, before any row; the programme names the professions, if any.
    professions = listed_professions(client.get(resource("events", args.event_id)))

    def register(row: DelegateRow) -> RowOutcome:
        if row.problem is not None:
            return RowOutcome(row, "error", *row.problem)
        profession = row.body.get("profession")
        if professions and profession is not None and profession not in professions:
            known = ", ".join(professions)
            detail = f"profession: {profession} is not one of this event's ({known})"
            return RowOutcome(row, "error", "unknown_profession", detail)
        try:
            reply = client.put(
                resource("events", args.event_id, "delegates", row.delegate_id), row.body
            )
        except ApiError as error:
            return RowOutcome(row, "error", error.code, _error_detail(error))
        except (ApiUnreachable, UnexpectedAnswer) as error:
            return RowOutcome(row, "error", "no_answer", str(error))
        status = "created" if reply.status == 201 else "updated"
        return RowOutcome(row, status, warnings=_warnings(reply))

    counts: Counter[str] = Counter()
    warned = 0
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="import") as pool:
        for outcome in pool.map(register, rows):  # in file order, as each row is answered
            counts[outcome.status] += 1
            warned += bool(outcome.warnings)
            if outcome.status == "error" or outcome.warnings or not args.quiet:
                out(outcome.line())
    with_warnings = f", {warned} with a warning" if warned else ""
    out(
        f"{len(rows)} rows: {counts['created']} created, {counts['updated']} updated"
        f"{with_warnings}, {counts['error']} failed"
    )
    return EXIT_PARTIAL if counts["error"] else EXIT_OK


def listed_professions(programme: Reply) -> list[str]:
    """The profession ids a programme (as `GET /events/{id}` answers it) lists, in its
    order; none: any profession."""
    try:
        document = programme.json()
    except UnexpectedAnswer:
        return []
    event = document.get("event") if isinstance(document, Mapping) else None
    listed = event.get("professions") if isinstance(event, Mapping) else None
    if not isinstance(listed, list):
        return []
    return [str(p["id"]) for p in listed if isinstance(p, Mapping) and "id" in p]


def _warnings(reply: Reply) -> tuple[str, ...]:
    """The answer's `warnings` as `code: path: detail`."""
    try:
        body = reply.json()
    except UnexpectedAnswer:
        return ()
    found = body.get("warnings") if isinstance(body, Mapping) else None
    if not isinstance(found, list):
        return ()
    return tuple(
        f"{w.get('code', '')}: {w.get('path', '')}: {w.get('detail', '')}"
        for w in found
        if isinstance(w, Mapping)
    )


def _error_detail(error: ApiError) -> str:
    """The problem's own words, with the fields a 422 names (`attendance: ...`)."""
    fields = error.problem.get("errors")
    if isinstance(fields, list) and fields:
        return "; ".join(
            f"{str(f.get('path', '')).removeprefix('body.')}: {f.get('detail', '')}"
            for f in fields
            if isinstance(f, Mapping)
        )
    return error.detail


# --------------------------------------------------------------------------- report


@dataclass(frozen=True, slots=True)
class Report:
    """Every row of the event's report, each as the API gives it (amounts as Decimal)."""

    event_id: str
    delegates: list[dict[str, Any]]

    @property
    def days(self) -> list[str]:
        return sorted({day for row in self.delegates for day in row.get("days", {})})


def fetch_report(client: CmeClient, event_id: str, *, page_size: int = 1000) -> Report:
    """The whole report, following `next_cursor` through every page."""
    path = resource("events", event_id, "report")
    delegates: list[dict[str, Any]] = []
    for page in client.pages(path, query={"limit": page_size}):
        delegates.extend(page.get("delegates", []))
    return Report(event_id, delegates)


def fetch_report_csv(client: CmeClient, event_id: str, *, page_size: int = 1000) -> list[list[str]]:
    """The report as CSV rows (the header once), following `Link: rel="next"`."""
    path = resource("events", event_id, "report")
    rows: list[list[str]] = []
    for reply in client.linked_pages(path, query={"limit": page_size}):
        page = list(csv.reader(io.StringIO(reply.text(), newline="")))
        rows.extend(page if not rows else page[1:])
    return rows


class ExportFailed(Exception):
    """The service could not write the report's export."""


def fetch_report_export(
    client: CmeClient,
    event_id: str,
    *,
    poll_seconds: float = 1.0,
    sleep: Callable[[float], None] = time.sleep,
) -> bytes:
    """The whole report as the service writes it to S3 (`POST .../report/exports`), looked
    at every `poll_seconds` until it is done, then downloaded from its presigned link."""
    started = client.post(resource("events", event_id, "report", "exports")).json()
    path = resource("events", event_id, "report", "exports", started["export_id"])
    while True:
        export = client.get(path).json()
        if export["status"] == "done":
            return client.fetch_public(export["url"]).body
        if export["status"] == "failed":
            raise ExportFailed(f"the service could not write export {started['export_id']}")
        sleep(poll_seconds)


@api_command
def _report(args: argparse.Namespace) -> int:
    if not 1 <= args.page_size <= 5000:
        raise UsageError("--page-size must be 1-5000")
    target = Path(args.output) if args.output else None
    suffix = target.suffix.lower() if target else ""
    shape = "csv" if args.csv or (not args.json and suffix == ".csv") else "table"
    if args.json or (not args.csv and suffix == ".json"):
        shape = "json"
    client = client_from(args)
    if args.export:
        if shape != "csv" and target is not None:
            raise UsageError("--export writes CSV: give FILE.csv or --csv")
        try:
            data = fetch_report_export(client, args.event_id)
        except ExportFailed as error:
            raise UsageError(str(error)) from None
        text = data.decode("utf-8")
        if target is None:
            text = text.replace("\r\n", "\n")
    elif shape == "csv":
        rows = fetch_report_csv(client, args.event_id, page_size=args.page_size)
        text = _csv_text(rows, "\r\n" if target else "\n")
    else:
        report = fetch_report(client, args.event_id, page_size=args.page_size)
        if shape == "json":
            from cme.jsonio import dumps

            document = {"event_id": report.event_id, "delegates": report.delegates}
            text = dumps(document, indent=2) + "\n"
        else:
            # Professions and tests get their columns where the programme has them.
            listed = listed_professions(client.get(resource("events", args.event_id)))
            tested = any(row.get("test_passed") is not None for row in report.delegates)
            table = report_table(report, professions=bool(listed) or tested)
            text = "\n".join(table) + "\n"
    if target is None:
        out(text.removesuffix("\n"))
        return EXIT_OK
    try:
        target.write_text(text, encoding="utf-8", newline="")
    except OSError as error:
        raise UsageError(f"{target}: cannot write ({error.strerror})") from None
    out(f"wrote {target}")
    return EXIT_OK


def _csv_text(rows: list[list[str]], newline: str) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator=newline).writerows(rows)
    return buffer.getvalue()


def report_table(
    report: Report, *, name_width: int = 30, certificates: bool = True, professions: bool = False
) -> list[str]:
    """A table for a terminal: names of every script aligned by their display width. With
    `professions`, each delegate's profession, whether the accreditation covers it
    (`eligible`) and where they stand with the event's test."""
    days = report.days
    columns: list[tuple[str, int, str]] = [
        ("delegate", max([8, *(_width(r["delegate_id"]) for r in report.delegates)]), "<"),
        ("name", name_width, "<"),
        ("attends", 9, "<"),
        *((_day_heading(day), 6, ">") for day in days),
        ("total", 6, ">"),
    ]
    if professions:
        width = max([10, *(_width(r.get("profession") or "") for r in report.delegates)])
        columns += [("profession", width, "<"), ("eligible", 8, "<"), ("test", 10, "<")]
    if certificates:
        columns.append(("certificate", 11, "<"))

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            _fit(cell, width, align) for cell, (_, width, align) in zip(cells, columns, strict=True)
        ).rstrip()

    lines = [line([c[0] for c in columns]), line(["-" * c[1] for c in columns])]
    for row in report.delegates:
        credits = row.get("days", {})
        cells = [
            row["delegate_id"],
            row["name"],
            str(row["attendance"]).replace("_", " "),
            *(for_print(Decimal(credits.get(day, 0))) for day in days),
            for_print(Decimal(row["total"])),
        ]
        if professions:
            test = row.get("test_passed")
            cells += [
                row.get("profession") or "-",
                "yes" if row.get("eligible", True) else "no",
                "-" if test is None else "passed" if test else "not passed",
            ]
        if certificates:
            cells.append(row.get("certificate_status") or "-")
        lines.append(line(cells))
    with_credits = sum(1 for row in report.delegates if Decimal(row["total"]) > 0)
    summary = f"{len(report.delegates)} delegates, {with_credits} with credits"
    if certificates:
        valid = sum(1 for row in report.delegates if row.get("certificate_status") == "valid")
        summary += f", {valid} with a valid certificate"
    lines.append(summary)
    return lines


def _day_heading(day: str) -> str:
    from datetime import date

    return date.fromisoformat(day).strftime("%d %b")


def _width(text: str) -> int:
    """Terminal columns: wide East Asian characters take two, combining marks none."""
    return sum(_char_width(c) for c in text)


def _char_width(char: str) -> int:
    if unicodedata.combining(char) or unicodedata.category(char) in {"Mn", "Me", "Cf"}:
        return 0
    return 2 if unicodedata.east_asian_width(char) in {"W", "F"} else 1


def _fit(text: str, width: int, align: str = "<") -> str:
    """`text` cut with an ellipsis to `width` columns, then padded to exactly `width`."""
    text = " ".join(text.split())
    if _width(text) > width:
        kept, used = [], 0
        for char in text:
            if used + _char_width(char) > width - 1:
                break
            kept.append(char)
            used += _char_width(char)
        text = "".join(kept) + "…"
    padding = " " * (width - _width(text))
    return padding + text if align == ">" else text + padding


# --------------------------------------------------------------------------- issue-certificates


@dataclass(frozen=True, slots=True)
class IssueOutcome:
    delegate_id: str
    name: str
    status: str
    """issued, reissued (an earlier certificate is superseded), unchanged, skipped (not
    ready), unprintable (the name holds characters no bundled font prints: for the
    organiser to correct), failed"""
    serial: str = ""
    code: str = ""
    detail: str = ""
    pdf: Path | None = None


def issue_one(
    client: CmeClient, event_id: str, row: Mapping[str, Any], folder: Path
) -> IssueOutcome:
    """Issue (or find unchanged) one delegate's certificate and download its PDF."""
    delegate_id, name = str(row["delegate_id"]), str(row["name"])
    path = resource("events", event_id, "delegates", delegate_id, "certificate")
    try:
        reply = client.post(path)
        certificate = reply.json()
        pdf = client.fetch_public(certificate["url"])
        if not pdf.body.startswith(b"%PDF-"):
            raise UnexpectedAnswer(f"the certificate link of {delegate_id} gave no PDF")
        target = folder / f"{delegate_id}.pdf"
        partial = target.with_name(target.name + ".part")
        partial.write_bytes(pdf.body)
        partial.replace(target)
    except ApiError as error:
        if error.status == 409 and error.code in NOT_READY:
            missing = error.problem.get("missing") or []
            detail = ", ".join(map(str, missing)) if missing else error.detail
            return IssueOutcome(delegate_id, name, "skipped", code=error.code, detail=detail)
        if error.code == UNPRINTABLE:
            detail = _error_detail(error)
            return IssueOutcome(delegate_id, name, "unprintable", code=error.code, detail=detail)
        return IssueOutcome(delegate_id, name, "failed", code=error.code, detail=error.detail)
    except (ApiUnreachable, UnexpectedAnswer, KeyError, TypeError) as error:
        return IssueOutcome(delegate_id, name, "failed", code="no_answer", detail=str(error))
    except OSError as error:
        return IssueOutcome(delegate_id, name, "failed", code="not_saved", detail=str(error))
    serial = str(certificate["serial"])
    if reply.status == 200:
        status = "unchanged"
    else:
        status = "reissued" if row.get("certificate_serial") else "issued"
    return IssueOutcome(delegate_id, name, status, serial=serial, pdf=target)


def issue_all(
    client: CmeClient,
    report: Report,
    folder: Path,
    *,
    workers: int = DEFAULT_WORKERS,
    progress: bool | None = None,
) -> list[IssueOutcome]:
    """Every delegate of the report, `workers` at a time, with a progress bar on a terminal
    (`progress=None`: only when stderr is one). Outcomes come back by delegate id."""
    outcomes: list[IssueOutcome] = []
    with (
        ThreadPoolExecutor(max_workers=workers, thread_name_prefix="issue") as pool,
        _progress_bar(len(report.delegates), progress) as bar,
    ):
        futures = [
            pool.submit(issue_one, client, report.event_id, row, folder) for row in report.delegates
        ]
        try:
            for future in as_completed(futures):
                outcomes.append(future.result())
                bar.update()
        except KeyboardInterrupt:
            for future in futures:
                future.cancel()
            raise
    return sorted(outcomes, key=lambda o: o.delegate_id)


def _progress_bar(total: int, show: bool | None) -> Any:
    """tqdm on stderr (the `cli` extra); without it, the work goes on without a bar."""
    try:
        from tqdm import tqdm  # type: ignore[import-untyped,unused-ignore]
    except ImportError:
        return _NoBar()
    return tqdm(
        total=total,
        desc="certificates",
        unit="delegate",
        file=sys.stderr,
        disable=None if show is None else not show,
        dynamic_ncols=True,
    )


class _NoBar:
    def __enter__(self) -> _NoBar:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def update(self, n: int = 1) -> None:
        return None


@api_command
def _issue_certificates(args: argparse.Namespace) -> int:
    workers = _workers(args)
    folder = Path(args.output)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UsageError(f"{folder}: cannot create the folder ({error.strerror})") from None
    client = client_from(args)
    report = fetch_report(client, args.event_id)
    outcomes = issue_all(client, report, folder, workers=workers)
    for line in issue_summary(outcomes, folder):
        out(line)
    failed = [o for o in outcomes if o.status == "failed"]
    for outcome in failed:
        err(f"failed {outcome.delegate_id}: {outcome.code}: {outcome.detail}")
    unprintable = any(o.status == "unprintable" for o in outcomes)
    return EXIT_PARTIAL if failed or unprintable else EXIT_OK


def issue_summary(outcomes: Sequence[IssueOutcome], folder: Path) -> Iterator[str]:
    counts = Counter(o.status for o in outcomes)
    issued = counts["issued"] + counts["reissued"]
    replacing = f" ({counts['reissued']} replacing an earlier one)" if counts["reissued"] else ""
    refused = (
        f"{counts['unprintable']} refused (name not printable), " if counts["unprintable"] else ""
    )
    yield (
        f"{len(outcomes)} delegates: {issued} issued{replacing}, {counts['unchanged']} unchanged, "
        f"{counts['skipped']} skipped (not ready), {refused}{counts['failed']} failed"
    )
    saved = sum(1 for o in outcomes if o.pdf is not None)
    if saved:
        yield f"{saved} PDFs in {folder}/ as <delegate_id>.pdf"
    skipped = [o for o in outcomes if o.status == "skipped"]
    if skipped:
        yield "skipped, not ready yet:"
        width = max(_width(o.delegate_id) for o in skipped)
        for o in skipped:
            missing = f" ({o.detail})" if o.code == "evaluations_incomplete" else ""
            yield f"  {_fit(o.delegate_id, width)}  {_fit(o.name, 30)}  {o.code}{missing}"
    unprintable = [o for o in outcomes if o.status == "unprintable"]
    if unprintable:
        yield "refused, the certificate cannot print the name (correct it, then run again):"
        width = max(_width(o.delegate_id) for o in unprintable)
        for o in unprintable:
            yield f"  {_fit(o.delegate_id, width)}  {_fit(o.name, 30)}  {o.detail}"
