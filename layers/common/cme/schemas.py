"""Request and response shapes of the public API (pydantic): they validate what comes in
(422 `invalid_request` naming the fields) and document what goes out in the generated
OpenAPI. Credits are JSON numbers; timestamps are RFC 3339 with an explicit offset."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictInt,
    StrictStr,
    StringConstraints,
    WithJsonSchema,
    field_validator,
)

from cme.timestamps import RFC3339, parse_aware

ID_REGEX = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$"

Identifier = Annotated[str, StringConstraints(pattern=ID_REGEX)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]


def _rfc3339(value: Any) -> datetime:
    """RFC 3339 with an explicit offset, as text; a naive or out-of-range one is refused."""
    return parse_aware(value)


Timestamp = Annotated[
    datetime,
    BeforeValidator(_rfc3339),
    WithJsonSchema({"type": "string", "format": "date-time", "pattern": RFC3339}),
]
Credits = Annotated[Decimal, WithJsonSchema({"type": "number", "minimum": 0})]
Day = Annotated[str, WithJsonSchema({"type": "string", "format": "date"})]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


# --------------------------------------------------------------------------- requests


class ScanIn(_In):
    scan_id: Identifier = Field(
        description="The client's id for this scan (a UUID): unique per event."
    )
    delegate_id: Identifier
    station_id: Identifier = Field(description="The CME station that scanned the badge.")
    scanned_at: Timestamp = Field(description="The device's time of the scan.")


class ScanBatchIn(_In):
    scans: list[Any] = Field(
        min_length=1,
        max_length=500,
        description="1 to 500 scans, each judged on its own (a malformed one gets 422).",
    )


class ViewIn(_In):
    view_id: Identifier
    session_id: Identifier
    kind: Literal["live", "on_demand"]
    watched_at: Timestamp = Field(description="When watching began.")
    seconds: Annotated[StrictInt, Field(ge=0, le=86400)] | None = Field(
        default=None, description="Seconds watched, stored for policies that need it."
    )


AnswerKey = Annotated[str, StringConstraints(min_length=1, max_length=200)]
AnswerText = Annotated[StrictStr, StringConstraints(max_length=10_000)]


ANSWERS_MAX_BYTES = 200_000
"""An evaluation is stored as one DynamoDB item, 400 KB at most with everything else it
holds: its answers, as UTF-8 JSON, may take this much. (200 answers of 10,000 characters
each pass the per-answer limits but could never be stored.)"""


class EvaluationIn(_In):
    submitted_at: Timestamp = Field(description="The platform's time of submission.")
    answers: dict[AnswerKey, AnswerText | StrictInt] = Field(max_length=200)

    @field_validator("answers")
    @classmethod
    def _storable(cls, answers: dict[str, str | int]) -> dict[str, str | int]:
        size = len(json.dumps(answers, ensure_ascii=False).encode("utf-8"))
        if size > ANSWERS_MAX_BYTES:
            raise ValueError(f"the answers take {size} bytes; at most {ANSWERS_MAX_BYTES}")
        return answers


class DelegateIn(_In):
    name: Name
    email: (
        Annotated[str, StringConstraints(max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")] | None
    ) = None
    attendance: Literal["in_person", "online"]
    profession: Annotated[str, StringConstraints(min_length=1, max_length=100)] | None = None


class RevokeIn(_In):
    reason: Annotated[str, StringConstraints(min_length=1, max_length=500)]


# --------------------------------------------------------------------------- responses


class Problem(_Out):
    """application/problem+json (RFC 9457) with the contract's stable `code`."""

    status: int
    title: str
    detail: str
    code: str
    errors: list[dict[str, Any]] | None = None


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
    status: Literal["credited", "not_evaluated", "no_evidence", "not_accredited", "parallel"]


class ConversionOut(_Out):
    name: str
    credits: Credits


class StatementOut(_Out):
    event_id: str
    delegate_id: str
    unit: str
    total: Credits
    cap: Credits
    capped_by_event_total: bool
    days: list[DayOut]
    cart: list[CartStatusOut]
    conversions: list[ConversionOut]
    certificate_ready: bool
    missing_evaluations: list[str]


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


class ReportRowOut(_Out):
    delegate_id: str
    name: str
    attendance: str
    total: Credits
    days: dict[str, Credits]
    certificate_serial: str | None
    certificate_status: Literal["valid", "superseded", "revoked"] | None


class ReportOut(_Out):
    event_id: str
    delegates: list[ReportRowOut]
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
    status: Literal["valid", "superseded", "revoked"]
    issued_at: datetime


class VerificationOut(_Out):
    serial: str
    event_id: str
    event_name: str
    delegate_name: str
    total: Credits
    unit: str
    issued_at: datetime
    status: Literal["valid", "superseded", "revoked"]
