"""Response shapes of the public API, for the generated OpenAPI document only.

Handlers serialise their answers themselves (exact decimals, see `cme.jsonio`), so these
models are never built in Lambda: routes name them through `cme.api.answers`, which
imports this module only while the document is generated (it saves cold-start time).
Credits are JSON numbers; timestamps are RFC 3339 in UTC.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from cme.programme.model import ProgrammeDocument  # noqa: F401 - the programme GET answer
from cme.records import CertificateStatus

Credits = Annotated[Decimal, WithJsonSchema({"type": "number", "minimum": 0})]
Day = Annotated[str, WithJsonSchema({"type": "string", "format": "date"})]


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class Problem(_Out):
    """application/problem+json (RFC 9457) with the contract's stable `code`."""

    status: int
    title: str
    detail: str
    code: str
    errors: list[dict[str, Any]] | None = Field(
        default=None,
        description="The fields or programme problems at fault; unprintable_name: each"
        " text (`name`, `event.name`, ...) and the characters no bundled font prints.",
    )
    warnings: list[dict[str, Any]] | None = Field(
        default=None, description="invalid_programme: the warnings found on the way."
    )
    opens_at: datetime | None = Field(
        default=None,
        description="evaluation_not_open, test_not_open: when the evaluation or test opens.",
    )
    missing: list[str] | None = Field(
        default=None, description="evaluations_incomplete: the sessions still to evaluate."
    )


class ScanOut(_Out):
    scan_id: str
    day: Day
    duplicate: bool


class BatchResult(_Out):
    scan_id: str | None
    status: int = Field(description="201 stored, 200 duplicate, 4xx refused, 503 retry later.")
    code: str | None = None
    day: Day | None = None


class BatchOut(_Out):
    results: list[BatchResult]


class ViewOut(_Out):
    view_id: str
    session_id: str
    duplicate: bool


class CartItemOut(_Out):
    session_id: str
    title: str
    slot_id: str
    date: Day
    evaluation: Literal["done", "open", "not_yet_open", "closed"]
    evaluation_opens_at: datetime


class CartOut(_Out):
    items: list[CartItemOut]


class CartChangeOut(_Out):
    session_id: str
    in_cart: bool


class EvaluationOut(_Out):
    session_id: str
    submitted_at: datetime
    duplicate: bool


class SlotOut(_Out):
    slot_id: str
    max: Credits
    credits: Credits
    sessions: list[str]


class DayOut(_Out):
    date: Day
    credits: Credits
    cap: Credits
    slots: list[SlotOut]


class CartStatusOut(_Out):
    session_id: str
    status: Literal[
        "credited",
        "not_evaluated",
        "no_evidence",
        "not_accredited",
        "not_claimed",
        "test_not_passed",
        "parallel",
    ]
    amount: Credits = Field(
        description="What the session is worth to the delegate before the slot, day and "
        "event caps; 0 unless credited or parallel."
    )


class ConversionOut(_Out):
    name: str
    credits: Credits


class TestStandingOut(_Out):
    test_id: str
    passed: bool
    attempts_used: int
    attempts_left: int


class StatementOut(_Out):
    event_id: str
    delegate_id: str
    unit: str
    total: Credits
    live: Credits = Field(
        description="The part of the total earned live (scans and live views), which "
        "RCPSC Section 1 covers; the rest came from recordings."
    )
    cap: Credits
    capped_by_event_total: bool
    days: list[DayOut]
    cart: list[CartStatusOut]
    conversions: list[ConversionOut]
    certificate_ready: bool = Field(
        description="A certificate can be issued now: of credits, or of attendance for a "
        "delegate whose profession the accreditation does not cover (when the programme "
        "gives them). False while the event's test is not passed."
    )
    missing_evaluations: list[str]
    eligible: bool = Field(
        description="The accreditation covers the delegate's profession; when not, the "
        "total is 0 and every cart item keeps its status."
    )
    test_passed: bool | None = Field(
        description="The event's test: until it is passed the total is 0; null without one."
    )
    tests: list[TestStandingOut] = Field(
        description="Where the delegate stands with each of the programme's tests."
    )


class QuestionOut(_Out):
    id: str
    text: str
    options: list[str]


class TestOut(_Out):
    test_id: str
    session_id: str | None = Field(description="The session it belongs to; null: the event.")
    pass_: Annotated[Decimal, WithJsonSchema({"type": "number"})] = Field(
        alias="pass", description="The share of correct answers that passes."
    )
    attempts: int
    questions: list[QuestionOut]


class AttemptOut(_Out):
    attempt_id: str
    score: Annotated[Decimal, WithJsonSchema({"type": "number", "minimum": 0, "maximum": 1})] = (
        Field(description="Correct answers / questions, to 4 decimals.")
    )
    passed: bool
    attempts_left: int


class ProblemDetail(_Out):
    path: str
    code: str
    detail: str


class EventSavedOut(_Out):
    event_id: str
    version: int
    warnings: list[ProblemDetail]


class DelegateOut(_Out):
    event_id: str
    delegate_id: str
    name: str
    attendance: str
    profession: str | None = None
    warnings: list[ProblemDetail] = Field(
        default_factory=list,
        description="What to correct before the congress: `unprintable_name` when the"
        " name holds characters no bundled font prints (its certificate would be refused).",
    )


class ReportRowOut(_Out):
    delegate_id: str
    name: str
    attendance: str
    total: Credits
    live: Credits
    days: dict[str, Credits]
    certificate_serial: str | None
    certificate_status: CertificateStatus | None
    profession: str | None = None
    eligible: bool = Field(
        default=True, description="The accreditation covers the delegate's profession."
    )
    test_passed: bool | None = Field(
        default=None, description="The event's test; null when the programme has none."
    )


class ReportOut(_Out):
    event_id: str
    delegates: list[ReportRowOut]
    next_cursor: str | None


class RegisterRowOut(_Out):
    delegate_id: str
    name: str
    profession: str | None
    session_id: str
    date: Day
    evidence: Literal["scan", "time_in_room", "live_view", "on_demand_view", "grant"] = Field(
        description="What the amount rests on: scan (a badge scan), time_in_room (entry and "
        "exit scans), live_view, on_demand_view, or grant (an organiser's grant, where no "
        "recorded evidence would credit the session)."
    )
    amount: Credits = Field(
        description="The statement's cart amount: what the session is worth to the delegate "
        "before the slot, day and event caps."
    )
    evaluated_at: datetime
    status: Literal["credited", "parallel"] = Field(
        description="parallel: credited on its own, but another session of its slot gave "
        "the slot's credit."
    )


class RegisterOut(_Out):
    event_id: str
    rows: list[RegisterRowOut]
    next_cursor: str | None


class CertificateDayOut(_Out):
    date: Day
    credits: Credits


class CertificateOut(_Out):
    serial: str
    url: str = Field(description="A presigned S3 GET URL of the PDF; it expires.")
    url_expires_at: datetime
    total: Credits
    days: list[CertificateDayOut]
    status: CertificateStatus
    issued_at: datetime
    kind: Literal["credits", "attendance"] = Field(
        description="attendance: a certificate of attendance (days attended, total 0, no "
        "credits) for a delegate whose profession the accreditation does not cover."
    )


class VerificationOut(_Out):
    serial: str
    event_id: str
    event_name: str
    delegate_name: str
    total: Credits
    unit: str
    issued_at: datetime
    status: CertificateStatus
    kind: Literal["credits", "attendance"] = Field(
        description="Which kind of certificate: of credits, or of attendance (no credits)."
    )


class DecisionOut(_Out):
    delegate_id: str
    until: str | None = Field(default=None, description="An extension's local time")
    session_id: str | None = Field(default=None, description="A grant's session")
    changed: bool = Field(description="False: the same decision stood already")


class AuditEntryOut(_Out):
    at: datetime
    actor: str = Field(description="The id of the API key that made the change")
    action: str
    target: str
    reason: str


class AuditOut(_Out):
    entries: list[AuditEntryOut]
    next_cursor: str | None


class ReportExportOut(_Out):
    export_id: str
    event_id: str
    status: Literal["running", "done", "failed"]
    requested_at: datetime
    requested_by: str = Field(description="The id of the API key that asked for it")
    finished_at: datetime | None
    delegates: int | None = Field(description="The delegates in the file, once done")
    url: str | None = Field(
        default=None,
        description="Once done: a presigned S3 GET URL of the CSV (the report's columns, "
        "every delegate, one header row); it expires.",
    )
    url_expires_at: datetime | None = None


class ExportProfileOut(_Out):
    name: str
    email: str | None = Field(description="None once erased")
    attendance: Literal["in_person", "online"]
    profession: str | None
    erased_at: datetime | None = Field(description="When the email and answers were erased")


class ExportOut(_Out):
    """Everything stored about one delegate (a subject access request)."""

    event_id: str
    delegate_id: str
    profile: ExportProfileOut
    scans: list[dict[str, Any]] = Field(
        description="scan_id, station_id, scanned_at, day, room, direction"
    )
    views: list[dict[str, Any]] = Field(
        description="view_id, session_id, kind, watched_at, seconds"
    )
    cart: list[str]
    evaluations: list[dict[str, Any]] = Field(
        description="session_id, submitted_at, answers ({} once erased), claimed_credits"
    )
    test_attempts: list[dict[str, Any]] = Field(
        description="test_id, attempt_id, submitted_at, answers ({} once erased), score, passed"
    )
    tests: list[dict[str, Any]] = Field(description="test_id, passed, attempts_used, attempts_left")
    decisions: dict[str, Any] = Field(
        description="extension (until, actor, at, reason) or null; grants (session_id, actor, "
        "at, reason); revocation (actor, at, reason) or null"
    )
    certificates: list[dict[str, Any]] = Field(
        description="serial, status, kind, issued_at, total, days (date -> credits)"
    )
    refused_scans: list[dict[str, Any]] = Field(
        description="scan_id, station_id, scanned_at, received_at, code, room, direction"
    )
    audit: list[AuditEntryOut] = Field(description="The entries about the delegate, newest first")
