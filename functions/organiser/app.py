"""Organiser function: the programme, delegate registration, the report, and the public
OpenAPI document."""

from __future__ import annotations

import csv
import io
from typing import Annotated, Any
from urllib.parse import urlencode

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Query

from cme import api, organising
from cme.amounts import for_json, for_print
from cme.facts import Attendance, Delegate
from cme.schemas import DelegateId, DelegateIn, EventId, ProgrammeBody

app = api.create_app()
runtime = api.runtime


@app.put(
    "/events/<event_id>",
    summary="Create or replace the event's programme",
    description="The programme document (`event.id` equal to the path). A document that "
    "does not fit, or breaks a rule of the programme, is a 422 `invalid_programme` whose "
    "`errors` name every problem: `path` (`sessions[3].end`), `code` and `detail`.",
    responses=api.answers({201: ("Created", "EventSavedOut"), 200: ("Replaced", "EventSavedOut")}),
)
def put_event(event_id: EventId, document: Annotated[ProgrammeBody, Body()]) -> Response[Any]:
    saved = organising.put_programme(runtime.store(), event_id, document, now=runtime.now())
    payload = {
        "event_id": event_id,
        "version": saved.version,
        "warnings": [w.as_dict() for w in saved.warnings],
    }
    return api.json_response(payload, 201 if saved.created else 200)


@app.get(
    "/events/<event_id>",
    summary="The programme as stored",
    responses=api.answers({200: ("The canonical programme document", "ProgrammeDocument")}),
)
def get_event(event_id: EventId) -> Response[Any]:
    return api.json_response(organising.get_programme(runtime.store(), event_id))


@app.put(
    "/events/<event_id>/delegates/<delegate_id>",
    summary="Register or update a delegate",
    responses=api.answers({201: ("Registered", "DelegateOut"), 200: ("Updated", "DelegateOut")}),
)
def put_delegate(
    event_id: EventId, delegate_id: DelegateId, delegate: Annotated[DelegateIn, Body()]
) -> Response[Any]:
    registration = Delegate(
        delegate_id=delegate_id,
        name=delegate.name,
        attendance=Attendance(delegate.attendance),
        email=delegate.email,
        profession=delegate.profession,
    )
    created = organising.put_delegate(runtime.store(), event_id, registration, now=runtime.now())
    payload = {
        "event_id": event_id,
        "delegate_id": delegate_id,
        "name": delegate.name,
        "attendance": delegate.attendance,
        "profession": delegate.profession,
    }
    return api.json_response(payload, 201 if created else 200)


@app.get(
    "/events/<event_id>/report",
    summary="Every delegate's credits and latest certificate, in pages (JSON or CSV)",
    responses=api.answers(
        {200: ("A page of the report", "ReportOut", {"text/csv": {"schema": {"type": "string"}}})}
    ),
)
def get_report(
    event_id: EventId,
    limit: Annotated[int, Query(ge=1, le=5000)] = 1000,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response[Any]:
    page = organising.report_page(
        runtime.store(),
        event_id,
        limit=limit,
        cursor=cursor,
        budget=runtime.settings.report_budget,
    )
    accept = app.current_event.headers.get("accept", "") or ""
    if "text/csv" in accept:
        return _report_csv(event_id, page, limit)
    delegates = [
        {
            "delegate_id": row.delegate_id,
            "name": row.name,
            "attendance": row.attendance,
            "total": for_json(row.total),
            "days": {d.isoformat(): for_json(c) for d, c in row.days.items()},
            "certificate_serial": row.certificate_serial,
            "certificate_status": row.certificate_status,
        }
        for row in page.rows
    ]
    return api.json_response(
        {"event_id": event_id, "delegates": delegates, "next_cursor": page.next_cursor}
    )


def _text_cell(text: str) -> str:
    """A name as a spreadsheet cell that is never a formula (CSV injection: a leading
    =, +, -, @ or control character would be evaluated by Excel or LibreOffice)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _report_csv(event_id: str, page: organising.ReportPage, limit: int) -> Response[Any]:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(
        [
            "delegate_id",
            "name",
            "attendance",
            "total",
            *(d.isoformat() for d in page.days),
            "certificate_serial",
            "certificate_status",
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
            ]
        )
    headers = {}
    if page.next_cursor:
        # The path as the client called it (stage or custom-domain base path included).
        called = app.current_event.request_context.path or f"/events/{event_id}/report"
        query = urlencode({"limit": limit, "cursor": page.next_cursor})
        headers["Link"] = f'<{called}?{query}>; rel="next"'
    return Response(
        status_code=200,
        content_type="text/csv; charset=utf-8",
        body=out.getvalue(),
        headers=headers,
    )


@app.get("/openapi.json", summary="This API's OpenAPI document", include_in_schema=True)
def get_openapi() -> Response[Any]:
    from cme.openapi import served_document

    return Response(status_code=200, content_type="application/json", body=served_document())


lambda_handler = api.lambda_entry(app)
