"""A page of the organiser's report as the API answers it (CONTRACT.md, the report): the
JSON body, the CSV one row per delegate, and the CSV's link to the next page; and a page
of the attendance register (one row per delegate and credited session) in both forms."""

from __future__ import annotations

import csv
import io
from typing import Any
from urllib.parse import urlencode

from cme.amounts import for_json, for_print
from cme.organising import ReportPage
from cme.timestamps import format_utc

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"


def report_json(page: ReportPage) -> dict[str, Any]:
    return {
        "event_id": page.event_id,
        "delegates": [
            {
                "delegate_id": row.delegate_id,
                "name": row.name,
                "attendance": row.attendance,
                "total": for_json(row.total),
                "live": for_json(row.live),
                "days": {d.isoformat(): for_json(c) for d, c in row.days.items()},
                "certificate_serial": row.certificate_serial,
                "certificate_status": row.certificate_status,
                "profession": row.profession,
                "eligible": row.eligible,
                "test_passed": row.test_passed,
            }
            for row in page.rows
        ],
        "next_cursor": page.next_cursor,
    }


def report_csv(page: ReportPage, *, header: bool = True) -> str:
    """One row per delegate, a column per conference date, amounts printed with one or two
    decimals; names can never be read as a spreadsheet formula. The contract's columns
    keep their places; `live` (the part of the total earned live), then `profession`,
    `eligible` and `test_passed` (professions and learning tests) come last, so a reader of
    the first columns by position keeps working. `header`: False for the pages after the
    first of one file (`cme.exports`)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    if header:
        writer.writerow(
            [
                "delegate_id",
                "name",
                "attendance",
                "total",
                *(d.isoformat() for d in page.days),
                "certificate_serial",
                "certificate_status",
                "live",
                "profession",
                "eligible",
                "test_passed",
            ]
        )
    for row in page.rows:
        writer.writerow(
            [
                row.delegate_id,
                _text_cell(row.name),
                row.attendance,
                for_print(row.total),
                *(for_print(row.days[d]) for d in page.days),
                row.certificate_serial or "",
                row.certificate_status or "",
                for_print(row.live),
                row.profession or "",
                "true" if row.eligible else "false",
                "" if row.test_passed is None else str(row.test_passed).lower(),
            ]
        )
    return out.getvalue()


REGISTER_COLUMNS = (
    "delegate_id",
    "name",
    "profession",
    "session_id",
    "date",
    "evidence",
    "amount",
    "evaluated_at",
    "status",
)
"""The register's columns: the contract's, then `status` (credited, or parallel: credited
on its own while another session of its slot gave the slot's credit)."""


def register_lines(page: ReportPage) -> list[dict[str, Any]]:
    """The page's delegates, one line per credited session, amounts as exact decimals."""
    return [
        {
            "delegate_id": row.delegate_id,
            "name": row.name,
            "profession": row.profession,
            "session_id": line.session_id,
            "date": line.date.isoformat(),
            "evidence": line.evidence.value,
            "amount": for_json(line.amount),
            "evaluated_at": format_utc(line.evaluated_at),
            "status": line.status.value,
        }
        for row in page.rows
        for line in row.sessions
    ]


def register_json(page: ReportPage) -> dict[str, Any]:
    return {
        "event_id": page.event_id,
        "rows": register_lines(page),
        "next_cursor": page.next_cursor,
    }


def register_csv(page: ReportPage) -> str:
    """The register's lines as the report's CSV writes them: CRLF, amounts with one or two
    decimals, a name never read as a formula."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(REGISTER_COLUMNS)
    for line in register_lines(page):
        writer.writerow(
            [
                line["delegate_id"],
                _text_cell(line["name"]),
                line["profession"] or "",
                line["session_id"],
                line["date"],
                line["evidence"],
                for_print(line["amount"]),
                line["evaluated_at"],
                line["status"],
            ]
        )
    return out.getvalue()


def next_link(called_path: str, *, limit: int, cursor: str) -> str:
    """The `Link` header to the next page, on the path as the client called it (its stage
    or a custom domain's base path included)."""
    query = urlencode({"limit": limit, "cursor": cursor})
    return f'<{called_path}?{query}>; rel="next"'


def _text_cell(text: str) -> str:
    """A name as a spreadsheet cell that is never a formula (CSV injection: a leading
    =, +, -, @ or control character would be evaluated by Excel or LibreOffice)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
