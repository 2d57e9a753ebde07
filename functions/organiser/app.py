"""Organiser function: the programme, delegate registration, the report, and the public
OpenAPI document."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query

from cme import api, deciding, errors, organising, report_formats
from cme.facts import Attendance, Delegate
from cme.observability import Metric, count
from cme.schemas import (
    DecisionIn,
    DelegateId,
    DelegateIn,
    EventId,
    ExtensionIn,
    ProgrammeBody,
    SessionId,
)

REPORT_CSV = {
    "type": "string",
    "description": "With Accept: text/csv. UTF-8, CRLF line ends, a header row then one row "
    "per delegate ordered by delegate_id: delegate_id,name,attendance,total,<one column per "
    "conference date, YYYY-MM-DD>,certificate_serial,certificate_status,live (the part of "
    "the total earned live, added last so the columns before it keep their places),"
    "profession,eligible,test_passed (true, false, or empty without an event test). Amounts "
    "print with "
    "one or two decimals (3.0, 4.25); a name that a spreadsheet would read as a formula "
    "starts with an apostrophe.",
}
NEXT_LINK = {
    "description": 'CSV only, when more delegates follow: <path?limit=...&cursor=...>; rel="next"'
    " (JSON gives next_cursor instead).",
    "schema": {"type": "string"},
}

PageLimit = Annotated[int, Query(ge=1, le=5000)]
"""Delegates per page of the report or the register."""
Cursor = Annotated[str | None, Query(max_length=200)]

app = api.create_app()
runtime = api.runtime
NO_STORE = {"Cache-Control": "no-store"}
"""Answers that carry personal data are never kept by a cache on the way."""


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
    saved = organising.put_programme(
        runtime.store(),
        event_id,
        document,
        now=runtime.now(),
        actor=api.actor(app),
        launch=runtime.launch,
    )
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
        refusals=(errors.UnknownEvent, errors.UnknownProfession),
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
    saved = organising.put_delegate(
        runtime.store(),
        event_id,
        registration,
        now=runtime.now(),
        actor=api.actor(app),
        reason=delegate.reason,
    )
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
def get_report(event_id: EventId, limit: PageLimit = 1000, cursor: Cursor = None) -> Response[Any]:
    count(Metric.REPORT_PAGES)
    return _page(
        event_id,
        "report",
        limit=limit,
        cursor=cursor,
        as_json=report_formats.report_json,
        as_csv=report_formats.report_csv,
    )


REGISTER_CSV = {
    "type": "string",
    "description": "With Accept: text/csv. UTF-8, CRLF line ends, a header row then one row "
    "per delegate and credited session, by delegate_id then programme order: "
    + ",".join(report_formats.REGISTER_COLUMNS)
    + ". Amounts print with one or two decimals; a name that a spreadsheet would read as a "
    "formula starts with an apostrophe.",
}


@app.get(
    "/events/<event_id>/register",
    summary="The attendance register: one row per delegate and credited session (organisers)",
    description="The document an accreditor audits: for each delegate (in delegate_id "
    "order) each credited session, and each `parallel` one (credited on its own; another "
    "session of its slot gave the slot's credit), with its date, the `evidence` its "
    "amount rests on (`scan`: a badge scan; `time_in_room`: entry and exit scans; "
    "`live_view`; `on_demand_view`; `grant`: an organiser's grant, where nothing recorded "
    "would credit it), its `amount` (the statement's cart amount, before the slot, day "
    "and event caps) and when it was evaluated. Paged like the report: `limit` counts "
    "delegates (each with all their rows), so a page may hold no row and still go on.",
    responses=api.answers(
        {
            200: (
                "A page of the register",
                "RegisterOut",
                {"text/csv": {"schema": REGISTER_CSV}},
            )
        },
        refusals=(errors.UnknownEvent,),
        headers={200: {"Link": NEXT_LINK}},
    ),
)
def get_register(
    event_id: EventId, limit: PageLimit = 1000, cursor: Cursor = None
) -> Response[Any]:
    return _page(
        event_id,
        "register",
        limit=limit,
        cursor=cursor,
        as_json=report_formats.register_json,
        as_csv=report_formats.register_csv,
    )


def _page(
    event_id: str,
    listing: str,
    *,
    limit: int,
    cursor: str | None,
    as_json: Callable[[organising.ReportPage], dict[str, Any]],
    as_csv: Callable[[organising.ReportPage], str],
) -> Response[Any]:
    """A page of the report or the register (both read the delegates' report rows): JSON
    with `next_cursor`, or CSV (Accept: text/csv) with a `Link` to the next page; never
    kept by a cache."""
    page = organising.report_page(
        runtime.store(),
        event_id,
        limit=limit,
        cursor=cursor,
        budget=runtime.settings.report_budget,
    )
    accept = app.current_event.headers.get("accept", "") or ""
    if "text/csv" not in accept:
        return api.json_response(as_json(page), headers=NO_STORE)
    headers = dict(NO_STORE)
    if page.next_cursor:
        called = app.current_event.request_context.path or f"/events/{event_id}/{listing}"
        headers["Link"] = report_formats.next_link(called, limit=limit, cursor=page.next_cursor)
    return Response(
        status_code=200,
        content_type=report_formats.CSV_MEDIA_TYPE,
        body=as_csv(page),
        headers=headers,
    )


DASHBOARD_HTML = {
    "type": "string",
    "description": "One self-contained HTML page (inline CSS and SVG, no script, no external "
    "request): registrations, presence per day, scans per hour, the 20 most attended "
    "sessions, the distribution of totals, readiness for a certificate and why not, refused "
    "scans by reason. Every chart has a text alternative and a table of its numbers. Counts "
    "only: no name or email.",
}


@app.get(
    "/events/<event_id>/dashboard",
    summary="The organiser's picture of the congress, as one HTML page",
    responses=api.answers(
        {200: ("The dashboard", None, {"text/html": {"schema": DASHBOARD_HTML}})},
        refusals=(errors.UnknownEvent,),
    ),
)
def get_dashboard(
    event_id: EventId,
    refresh: Annotated[int | None, Query(ge=10, le=3600)] = None,
) -> Response[Any]:
    """`refresh`: the page reloads itself every so many seconds (a screen at the desk)."""
    from cme.dashboard import draw_dashboard

    page = draw_dashboard(runtime.store(), event_id, now=runtime.now(), refresh=refresh)
    return Response(
        status_code=200,
        content_type="text/html; charset=utf-8",
        body=page,
        headers={"Cache-Control": "no-store"},
    )


EXPORTS = "/events/<event_id>/report/exports"
ExportId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,64}$")]


@app.post(
    EXPORTS,
    summary="Export the whole report as one CSV file in S3 (organisers)",
    description="For an event of any size: the report's CSV (the columns of `GET "
    ".../report` with `Accept: text/csv`, one header row, every delegate) is written by a "
    "function of its own; `GET` the export until its `status` is `done` for a presigned "
    "link. Exports are removed after a week.",
    responses=api.answers(
        {202: ("Started", "ReportExportOut")},
        refusals=(errors.UnknownEvent,),
        headers={202: {"Location": {"schema": {"type": "string"}}}},
    ),
)
def post_report_export(event_id: EventId) -> Response[Any]:
    from cme import exports

    record = exports.start_export(
        runtime.store(),
        report_exports(),
        event_id,
        now=runtime.now(),
        actor=api.actor(app),
        launch=runtime.launch,
    )
    called = app.current_event.request_context.path or f"/events/{event_id}/report/exports"
    headers = {**NO_STORE, "Location": f"{called.rstrip('/')}/{record['export_id']}"}
    return api.json_response(record, 202, headers=headers)


@app.get(
    EXPORTS + "/<export_id>",
    summary="A report export: running, done (with its link) or failed (organisers)",
    responses=api.answers({200: ("The export", "ReportExportOut")}, refusals=(errors.NotFound,)),
)
def get_report_export(event_id: EventId, export_id: ExportId) -> Response[Any]:
    from cme import exports

    status = exports.export_status(
        report_exports(),
        event_id,
        export_id,
        now=runtime.now(),
        lifetime=runtime.settings.url_lifetime,
    )
    return api.json_response(status.as_dict(), headers=NO_STORE)


def report_exports() -> Any:
    from cme.store.exports import ReportExports

    return ReportExports()


DELEGATE = "/events/<event_id>/delegates/<delegate_id>"
DECIDED: dict[int, api.Answer] = {
    201: ("Decided (stored with its entry of the audit trail)", "DecisionOut"),
    200: ("The same decision stood already: nothing changed", "DecisionOut"),
}
WITHDRAWN: dict[int, api.Answer] = {
    204: ("Withdrawn (also when there was nothing to withdraw)", None)
}


def _decided(decision: deciding.Decided, payload: dict[str, Any]) -> Response[Any]:
    return api.json_response(
        {**payload, "changed": decision.changed}, 201 if decision.changed else 200
    )


@app.put(
    DELEGATE + "/extension",
    summary="Extend one delegate's claim deadline (organisers)",
    description="`until`: a local time in the event's zone after the event's claim "
    "deadline; it becomes this delegate's deadline for evaluations, tests and on-demand "
    "views. Stored with the key's id, the time and the reason, in the audit trail.",
    responses=api.answers(DECIDED, refusals=(errors.UnknownEvent, errors.UnknownDelegate)),
)
def put_extension(
    event_id: EventId, delegate_id: DelegateId, extension: Annotated[ExtensionIn, Body()]
) -> Response[Any]:
    decided = deciding.extend(
        runtime.store(),
        event_id,
        delegate_id,
        until=extension.until,
        reason=extension.reason,
        actor=api.actor(app),
        now=runtime.now(),
    )
    return _decided(decided, {"delegate_id": delegate_id, "until": extension.until})


@app.delete(
    DELEGATE + "/extension",
    summary="Withdraw a delegate's extension (organisers)",
    responses=api.answers(WITHDRAWN, refusals=(errors.UnknownEvent, errors.UnknownDelegate)),
)
def delete_extension(
    event_id: EventId, delegate_id: DelegateId, decision: Annotated[DecisionIn, Body()]
) -> Response[Any]:
    deciding.withdraw_extension(
        runtime.store(),
        event_id,
        delegate_id,
        reason=decision.reason,
        actor=api.actor(app),
        now=runtime.now(),
    )
    return Response(status_code=204, body="")


GRANT_REFUSALS = (errors.UnknownEvent, errors.UnknownDelegate, errors.UnknownSession)


@app.put(
    DELEGATE + "/grants/<session_id>",
    summary="Grant evidence for a session, worth its full amount (organisers)",
    description="For a session the delegate attended when a scanner failed. Stored with "
    "the key's id, the time and the reason, in the audit trail.",
    responses=api.answers(DECIDED, refusals=GRANT_REFUSALS),
)
def put_grant(
    event_id: EventId,
    delegate_id: DelegateId,
    session_id: SessionId,
    decision: Annotated[DecisionIn, Body()],
) -> Response[Any]:
    decided = deciding.grant(
        runtime.store(),
        event_id,
        delegate_id,
        session_id,
        reason=decision.reason,
        actor=api.actor(app),
        now=runtime.now(),
    )
    return _decided(decided, {"delegate_id": delegate_id, "session_id": session_id})


@app.delete(
    DELEGATE + "/grants/<session_id>",
    summary="Withdraw a grant of evidence (organisers)",
    responses=api.answers(WITHDRAWN, refusals=GRANT_REFUSALS),
)
def delete_grant(
    event_id: EventId,
    delegate_id: DelegateId,
    session_id: SessionId,
    decision: Annotated[DecisionIn, Body()],
) -> Response[Any]:
    deciding.grant(
        runtime.store(),
        event_id,
        delegate_id,
        session_id,
        reason=decision.reason,
        actor=api.actor(app),
        now=runtime.now(),
        withdraw=True,
    )
    return Response(status_code=204, body="")


@app.get(
    "/events/<event_id>/audit",
    summary="The event's audit trail, newest first, in pages (organisers)",
    description="Every decision, correction, revocation, programme replacement and erasure: "
    "`at`, `actor` (the API key's id), `action`, `target`, `reason`; never an email or an "
    "answer. `next_cursor` continues it.",
    responses=api.answers(
        {200: ("A page of the trail", "AuditOut")}, refusals=(errors.UnknownEvent,)
    ),
)
def get_audit(
    event_id: EventId,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response[Any]:
    page = deciding.audit_page(runtime.store(), event_id, cursor=cursor, limit=limit)
    return api.json_response(page.as_dict(), headers=NO_STORE)


@app.get(
    DELEGATE + "/export",
    summary="Everything stored about one delegate, for a subject access request (organisers)",
    description="The profile (the email until erasure), scans, views, cart, evaluations and "
    "test attempts with their answers, test standings, the organiser's decisions, every "
    "certificate, scans refused under the delegate's id, and the audit entries about the "
    "delegate. After an erasure it shows what is left.",
    responses=api.answers(
        {200: ("What is stored", "ExportOut")},
        refusals=(errors.UnknownEvent, errors.UnknownDelegate),
    ),
)
def get_export(event_id: EventId, delegate_id: DelegateId) -> Response[Any]:
    from cme import privacy

    exported = privacy.export(runtime.store(), event_id, delegate_id)
    return api.json_response(exported, headers=NO_STORE)


@app.delete(
    DELEGATE,
    summary="Erase a delegate's email and answers (organisers)",
    description="The email and every evaluation's and test attempt's answers are removed at "
    "once; the name, facts (scores kept), decisions and certificates stay until the event's "
    "items expire (RetentionYears after its last day). An entry of the audit trail is "
    "written with the first write; erasing again completes what a failed erasure left and "
    "writes no second entry. Answers arriving afterwards are not kept.",
    responses=api.answers(
        {204: ("Erased (also when it was erased already)", None)},
        refusals=(errors.UnknownEvent, errors.UnknownDelegate),
    ),
)
def delete_delegate(
    event_id: EventId, delegate_id: DelegateId, decision: Annotated[DecisionIn, Body()]
) -> Response[Any]:
    from cme import privacy

    privacy.erase(
        runtime.store(),
        event_id,
        delegate_id,
        reason=decision.reason,
        actor=api.actor(app),
        now=runtime.now(),
    )
    return Response(status_code=204, body="")


@app.get(
    "/openapi.json",
    summary="This API's OpenAPI document",
    include_in_schema=True,
    security=api.PUBLIC,
)
def get_openapi() -> Response[Any]:
    return Response(status_code=200, content_type="application/json", body=api.openapi_document())


def _warm() -> None:
    """Before a SnapStart snapshot: the modules the organiser's routes and tasks import on
    first use (`cme.snapstart`)."""
    from cme import dashboard, exports, privacy, tasks  # noqa: F401
    from cme.store.exports import ReportExports  # noqa: F401


_api_handler = api.lambda_entry(app, warm=_warm)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """API Gateway's requests; and, in the tasks function (this code with 15 minutes), the
    organiser's tasks that routes hand on (`cme.tasks`)."""
    if "cme_task" in event:
        return run_task(event)
    return _api_handler(event, context)


def run_task(task: dict[str, Any]) -> dict[str, Any]:
    from cme import exports, tasks

    if task["cme_task"] == tasks.REPORT_EXPORT:
        record = exports.run_export(
            runtime.store(),
            report_exports(),
            task["event_id"],
            task["export_id"],
            clock=runtime.clock,
        )
        return {"export_id": record["export_id"], "status": record["status"]}
    if task["cme_task"] == tasks.RESTAMP:
        return {"stamped": runtime.store().restamp(task["event_id"])}
    raise ValueError(f"no such task: {task['cme_task']!r}")
