"""Scan function: badge scans from CME stations (one, or a batch from an offline station
syncing late) and online / on-demand views."""

from __future__ import annotations

from collections import Counter
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body
from pydantic import TypeAdapter, ValidationError

from cme import api, errors, recording
from cme.errors import CmeError
from cme.facts import Direction, ViewKind
from cme.observability import Metric, count, count_by, logger
from cme.schemas import DelegateId, EventId, ScanBatchIn, ScanIn, ViewIn

app = api.create_app()
runtime = api.runtime
_scan_shape = TypeAdapter(ScanIn)


def _record(event_id: str, scan: ScanIn) -> recording.ScanRecorded:
    return recording.record_scan(
        runtime.store(),
        event_id,
        scan_id=scan.scan_id,
        delegate_id=scan.delegate_id,
        station_id=scan.station_id,
        scanned_at=scan.scanned_at,
        room=scan.room,
        direction=Direction(scan.direction),
        now=runtime.now(),
        skew=runtime.settings.clock_skew,
    )


@app.post(
    "/events/<event_id>/scans",
    summary="Record a badge scan at a CME station",
    security=api.PLATFORM_KEY,
    responses=api.answers(
        {201: ("Stored", "ScanOut"), 200: ("A retry of a stored scan", "ScanOut")},
        refusals=(
            errors.UnknownEvent,
            errors.UnknownDelegate,
            errors.IdReused,
            errors.NotAConferenceDay,
            errors.ScannedInFuture,
        ),
    ),
)
def post_scan(event_id: EventId, scan: Annotated[ScanIn, Body()]) -> Response[Any]:
    logger.append_keys(delegate_id=scan.delegate_id, scan_id=scan.scan_id)
    try:
        recorded = _record(event_id, scan)
    except CmeError as error:
        count_by(Metric.SCANS_REFUSED, "code", {error.code: 1})
        raise
    count(Metric.SCANS_REPEATED if recorded.duplicate else Metric.SCANS_RECORDED)
    payload = {"scan_id": recorded.scan_id, "day": recorded.day, "duplicate": recorded.duplicate}
    return api.json_response(payload, 200 if recorded.duplicate else 201)


@app.post(
    "/events/<event_id>/scans/batch",
    summary="Record up to 500 scans from a station syncing late",
    security=api.PLATFORM_KEY,
    responses=api.answers(
        {200: ("One result per scan, in request order", "BatchOut")},
        refusals=(errors.UnknownEvent,),
    ),
)
def post_scan_batch(event_id: EventId, batch: Annotated[ScanBatchIn, Body()]) -> Response[Any]:
    recording.load_programme(runtime.store(), event_id)  # 404 for the whole batch
    parsed = [_parsed(raw) for raw in batch.scans]
    valid = [scan for scan in parsed if isinstance(scan, recording.ScanToRecord)]
    outcomes = iter(
        recording.record_scans(
            runtime.store(),
            event_id,
            valid,
            now=runtime.now,
            skew=runtime.settings.clock_skew,
        )
    )
    results: list[dict[str, Any]] = [
        _batch_result(scan, next(outcomes))
        if isinstance(scan, recording.ScanToRecord)
        else {"scan_id": scan, "status": 422, "code": "invalid_request"}
        for scan in parsed
    ]
    statuses = Counter(result["status"] for result in results)
    count(Metric.SCANS_RECORDED, statuses[201])
    count(Metric.SCANS_REPEATED, statuses[200])
    count_by(Metric.SCANS_REFUSED, "code", Counter(r["code"] for r in results if "code" in r))
    return api.json_response({"results": results})


def _parsed(raw: Any) -> recording.ScanToRecord | str | None:
    """The scan to record, or the scan id (if any) of a malformed one."""
    try:
        scan = _scan_shape.validate_python(raw)
    except ValidationError:
        scan_id = raw.get("scan_id") if isinstance(raw, dict) else None
        return scan_id if isinstance(scan_id, str) else None
    return recording.ScanToRecord(
        scan.scan_id,
        scan.delegate_id,
        scan.station_id,
        scan.scanned_at,
        scan.room,
        Direction(scan.direction),
    )


def _batch_result(
    scan: recording.ScanToRecord, outcome: recording.ScanRecorded | CmeError
) -> dict[str, Any]:
    if isinstance(outcome, CmeError):
        return {"scan_id": scan.scan_id, "status": api.status_of(outcome), "code": outcome.code}
    return {
        "scan_id": outcome.scan_id,
        "status": 200 if outcome.duplicate else 201,
        "day": outcome.day,
    }


@app.post(
    "/events/<event_id>/delegates/<delegate_id>/views",
    summary="Record a live or on-demand view of a session",
    security=api.PLATFORM_KEY,
    responses=api.answers(
        {201: ("Stored", "ViewOut"), 200: ("A retry of a stored view", "ViewOut")},
        refusals=(
            errors.UnknownEvent,
            errors.UnknownDelegate,
            errors.UnknownSession,
            errors.IdReused,
            errors.ViewBeforeSession,
            errors.ViewAfterSession,
            errors.OutsideOnDemandWindow,
            errors.NotRecorded,
        ),
    ),
)
def post_view(
    event_id: EventId, delegate_id: DelegateId, view: Annotated[ViewIn, Body()]
) -> Response[Any]:
    recorded = recording.record_view(
        runtime.store(),
        event_id,
        delegate_id,
        view_id=view.view_id,
        session_id=view.session_id,
        kind=ViewKind(view.kind),
        watched_at=view.watched_at,
        seconds=view.seconds,
        now=runtime.now(),
        skew=runtime.settings.clock_skew,
    )
    if not recorded.duplicate:
        count(Metric.VIEWS_RECORDED)
    payload = {
        "view_id": recorded.view_id,
        "session_id": recorded.session_id,
        "duplicate": recorded.duplicate,
    }
    return api.json_response(payload, 200 if recorded.duplicate else 201)


lambda_handler = api.lambda_entry(app)
