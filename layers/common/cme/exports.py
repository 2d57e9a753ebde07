"""The report of any size as one CSV file in S3 behind a presigned link.

A report page must end within API Gateway's 29 s, so a congress beyond some tens of
thousands of delegates is read in many requests. An export is asked for once
(`start_export`: a record saying it runs, then the work handed to a function of its own
that may run for minutes), runs every page of the kept report rows into one CSV
(`run_export`), and is looked at until it is done (`export_status`: the record, and a
short-lived link when the file is there). The CSV is the report's, byte for byte: the
same header and rows as the pages joined.
"""

from __future__ import annotations

import secrets
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import IO, Any, Protocol

from cme import tasks
from cme.errors import NotFound
from cme.observability import logger
from cme.records import Store
from cme.timestamps import format_utc

PAGE = 1000
"""Delegates read per page of an export (the report's default page)."""
SPOOL_BYTES = 32 * 1024 * 1024
"""The CSV is kept in memory up to this size, then in the function's /tmp."""


class ExportFiles(Protocol):
    def put_record(self, event_id: str, export_id: str, record: dict[str, Any]) -> None: ...

    def record(self, event_id: str, export_id: str) -> dict[str, Any] | None: ...

    def put_csv(self, event_id: str, export_id: str, data: IO[bytes]) -> None: ...

    def download_url(self, event_id: str, export_id: str, *, lifetime: timedelta) -> str: ...


@dataclass(frozen=True, slots=True)
class ExportStatus:
    record: dict[str, Any]
    url: str | None = None
    url_expires_at: datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        found = dict(self.record)
        if self.url is not None and self.url_expires_at is not None:
            found["url"] = self.url
            found["url_expires_at"] = format_utc(self.url_expires_at)
        return found


def start_export(
    store: Store,
    files: ExportFiles,
    event_id: str,
    *,
    now: datetime,
    actor: str,
    launch: tasks.Launch,
) -> dict[str, Any]:
    """The export's record (`running`), written before the work is handed on, so that
    asking about it at once finds it."""
    from cme.recording import versioned_programme

    versioned_programme(store, event_id, latest=True)  # an unknown event: 404 now
    export_id = secrets.token_urlsafe(12)
    record = {
        "export_id": export_id,
        "event_id": event_id,
        "status": "running",
        "requested_at": format_utc(now),
        "requested_by": actor,
        "finished_at": None,
        "delegates": None,
    }
    files.put_record(event_id, export_id, record)
    launch(tasks.report_export(event_id, export_id))
    logger.info("report export started", extra={"event_id": event_id, "export_id": export_id})
    return record


def run_export(
    store: Store,
    files: ExportFiles,
    event_id: str,
    export_id: str,
    *,
    clock: Callable[[], datetime],
) -> dict[str, Any]:
    """Every page of the report into one CSV, then the record says `done` (or `failed`,
    with nothing half-written where the link points: the CSV is stored whole or not at
    all)."""
    record = files.record(event_id, export_id)
    if record is None:
        raise NotFound(f"no export {export_id} of event {event_id}")
    if record["status"] != "running":
        return record  # a task delivered twice: the first run decided
    try:
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as data:
            record["delegates"] = write_report_csv(store, event_id, data)
            data.seek(0)
            files.put_csv(event_id, export_id, data)
        record["status"] = "done"
    except Exception:  # noqa: BLE001 - whatever stopped it, the record must say so
        logger.exception(
            "report export failed", extra={"event_id": event_id, "export_id": export_id}
        )
        record["status"] = "failed"
    record["finished_at"] = format_utc(clock())
    files.put_record(event_id, export_id, record)
    return record


def write_report_csv(store: Store, event_id: str, out: IO[bytes], *, page: int = PAGE) -> int:
    """The whole report as CSV into `out`: the report's header once, then every page's
    rows; the number of delegates written."""
    from cme.organising import report_page
    from cme.report_formats import report_csv

    cursor: str | None = None
    delegates = 0
    while True:
        found = report_page(store, event_id, limit=page, cursor=cursor)
        out.write(report_csv(found, header=cursor is None).encode())
        delegates += len(found.rows)
        cursor = found.next_cursor
        if cursor is None:
            return delegates


def export_status(
    files: ExportFiles, event_id: str, export_id: str, *, now: datetime, lifetime: timedelta
) -> ExportStatus:
    record = files.record(event_id, export_id)
    if record is None:
        raise NotFound(f"no export {export_id} of event {event_id}")
    if record["status"] != "done":
        return ExportStatus(record)
    url = files.download_url(event_id, export_id, lifetime=lifetime)
    return ExportStatus(record, url, now + lifetime)
