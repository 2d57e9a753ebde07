"""`cme dashboard EVENT`: fetch the organiser's dashboard page, save it and open it; with
`--watch`, fetch it again every so many seconds until interrupted (the saved page reloads
itself as often, so an open browser tab follows the congress)."""

from __future__ import annotations

import argparse
import time
import webbrowser
from collections.abc import Callable
from pathlib import Path

from cme_tools.cli.organiser import api_command, api_options, client_from
from cme_tools.cli.terminal import EXIT_OK, UsageError, err, out
from cme_tools.client import CmeClient, resource

HTML = "text/html"
WATCH_DEFAULT = 60
WATCH_RANGE = (10, 3600)
"""What the API's `refresh` takes, in seconds."""


def add_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "dashboard",
        parents=[api_options()],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        help="the congress at a glance, as one HTML page (saved, then opened)",
        description=(
            "Fetch the event's dashboard (registrations, presence per day, scans per hour,\n"
            "the most attended sessions, totals, readiness, refused scans), save it as FILE\n"
            "and open it in the browser. The page is self-contained: it works offline and\n"
            "behind a firewall. With --watch the page is fetched again every SECONDS and\n"
            "reloads itself as often, until Ctrl-C."
        ),
        epilog="examples:\n  cme dashboard eshg2025\n  cme dashboard eshg2025 --watch 30",
    )
    parser.add_argument("event_id", metavar="EVENT_ID")
    parser.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="where the page goes (EVENT_ID-dashboard.html)",
    )
    parser.add_argument(
        "--watch",
        nargs="?",
        const=WATCH_DEFAULT,
        type=int,
        metavar="SECONDS",
        help=f"fetch again every SECONDS ({WATCH_DEFAULT}; {WATCH_RANGE[0]}-{WATCH_RANGE[1]})",
    )
    parser.add_argument("--no-open", action="store_true", help="save the page, do not open it")
    parser.set_defaults(run=run)


def fetch_dashboard(client: CmeClient, event_id: str, *, refresh: int | None = None) -> str:
    query = {"refresh": refresh} if refresh else None
    return client.get(resource("events", event_id, "dashboard"), query=query, accept=HTML).text()


def save(page: str, target: Path) -> None:
    """Replace the file at once: a browser reloading it never reads half a page."""
    partial = target.with_name(f".{target.name}.partial")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        partial.write_text(page, encoding="utf-8")
        partial.replace(target)
    except OSError as error:
        raise UsageError(f"{target}: cannot write ({error.strerror})") from None


@api_command
def run(
    args: argparse.Namespace,
    *,
    sleep: Callable[[float], None] = time.sleep,
    open_page: Callable[[str], object] = webbrowser.open,
) -> int:
    watch: int | None = args.watch
    if watch is not None and not WATCH_RANGE[0] <= watch <= WATCH_RANGE[1]:
        raise UsageError(f"--watch must be {WATCH_RANGE[0]}-{WATCH_RANGE[1]} seconds")
    client = client_from(args)
    target = Path(args.output or f"{args.event_id}-dashboard.html")
    save(fetch_dashboard(client, args.event_id, refresh=watch), target)
    out(f"wrote {target}")
    if not args.no_open:
        open_page(target.resolve().as_uri())
    while watch is not None:
        sleep(watch)
        save(fetch_dashboard(client, args.event_id, refresh=watch), target)
        err(f"{time.strftime('%H:%M:%S')} refreshed {target}")
    return EXIT_OK
