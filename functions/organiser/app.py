"""Organiser function: the programme, delegate registration, the report, and the public
OpenAPI document."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Query

from cme import api, errors, organising, report_formats
from cme.facts import Attendance, Delegate
from cme.observability import Metric, count
from cme.schemas import DelegateId, DelegateIn, EventId, ProgrammeBody

REPORT_CSV = {
    "type": "string",
    "description": "With Accept: text/csv. UTF-8, CRLF line ends, a header row then one row "
    "per delegate ordered by delegate_id: delegate_id,name,attendance,total,<one column per "
    "conference date, YYYY-MM-DD>,certificate_serial,certificate_status,live (the part of "
    "the total earned live, added last so the columns before it keep their places). Amounts "
    "print with "
    "one or two decimals (3.0, 4.25); a name that a spreadsheet would read as a formula "
    "starts with an apostrophe.",
}
NEXT_LINK = {
    "description": 'CSV only, when more delegates follow: <path?limit=...&cursor=...>; rel="next"'
    " (JSON gives next_cursor instead).",
    "schema": {"type": "string"},
}

app = api.create_app()
runtime = api.runtime


@app.put(
    "/events/<event_id>",
    summary="Create or replace the event's programme",
    description="The programme document (`event.id` equal to the path). A document that "
    "does not fit, or breaks a rule of the programme, is a 422 `invalid_programme` whose "
    "`errors` name every problem: `path` (`sessions[3].end`), `code` and `detail`.",
    responses=api.answers(
        {201: ("Created", "EventSavedOut"), 200: ("Replaced", "EventSavedOut")},
        refusals=(errors.InvalidProgramme,),
    ),
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
    security=api.PLATFORM_KEY,
    responses=api.answers(
        {200: ("The canonical programme document", "ProgrammeDocument")},
        refusals=(errors.UnknownEvent,),
    ),
)
def get_event(event_id: EventId) -> Response[Any]:
    return api.json_response(organising.get_programme(runtime.store(), event_id))


@app.put(
    "/events/<event_id>/delegates/<delegate_id>",
    summary="Register or update a delegate",
    security=api.PLATFORM_KEY,
    responses=api.answers(
        {201: ("Registered", "DelegateOut"), 200: ("Updated", "DelegateOut")},
        refusals=(errors.UnknownEvent,),
    ),
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
    saved = organising.put_delegate(runtime.store(), event_id, registration, now=runtime.now())
    payload = {
        "event_id": event_id,
        "delegate_id": delegate_id,
        "name": delegate.name,
        "attendance": delegate.attendance,
        "profession": delegate.profession,
        "warnings": [w.as_dict() for w in saved.warnings],
    }
    return api.json_response(payload, 201 if saved.created else 200)


@app.get(
    "/events/<event_id>/report",
    summary="Every delegate's credits and latest certificate, in pages (JSON or CSV)",
    responses=api.answers(
        {200: ("A page of the report", "ReportOut", {"text/csv": {"schema": REPORT_CSV}})},
        refusals=(errors.UnknownEvent,),
        headers={200: {"Link": NEXT_LINK}},
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
    count(Metric.REPORT_PAGES)
    accept = app.current_event.headers.get("accept", "") or ""
    if "text/csv" not in accept:
        return api.json_response(report_formats.report_json(page))
    headers = {}
    if page.next_cursor:
        called = app.current_event.request_context.path or f"/events/{event_id}/report"
        headers["Link"] = report_formats.next_link(called, limit=limit, cursor=page.next_cursor)
    return Response(
        status_code=200,
        content_type=report_formats.CSV_MEDIA_TYPE,
        body=report_formats.report_csv(page),
        headers=headers,
    )


@app.get(
    "/openapi.json",
    summary="This API's OpenAPI document",
    include_in_schema=True,
    security=api.PUBLIC,
)
def get_openapi() -> Response[Any]:
    return Response(status_code=200, content_type="application/json", body=api.openapi_document())


lambda_handler = api.lambda_entry(app)
