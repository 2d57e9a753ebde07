"""Request shapes of the public API (pydantic): path parameters and bodies. They validate
what comes in (422 `invalid_request` naming the fields). Timestamps are RFC 3339 with an
explicit offset. What goes out is documented by `cme.answers`; the programme document is
`cme.programme.model`."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler.openapi.params import Path
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    StrictInt,
    StrictStr,
    StringConstraints,
    WithJsonSchema,
    field_validator,
)
from pydantic_core import PydanticCustomError

from cme.programme.model import ProgrammeDocument
from cme.text import ID_REGEX, PRINTABLE_LINE
from cme.timestamps import RFC3339, parse_aware
from cme.visible import visible

Identifier = Annotated[str, StringConstraints(pattern=ID_REGEX)]


def _visible(text: str) -> str:
    """A name of spaces, zero-width or format characters, soft hyphens or marks alone
    would print as a blank line: it needs at least one character that leaves ink."""
    if not visible(text):
        raise ValueError("at least one visible character is needed")
    return text


Name = Annotated[
    str,
    StringConstraints(min_length=1, max_length=200, pattern=PRINTABLE_LINE),
    AfterValidator(_visible),
]
"""A delegate's name, printed on certificates."""

Room = Annotated[
    str,
    StringConstraints(min_length=1, max_length=200, pattern=PRINTABLE_LINE),
    AfterValidator(_visible),
    AfterValidator(str.strip),
]
"""The room a hall station stands at: compared exactly with the sessions' `room`, both
without leading and trailing spaces (the programme drops them from its texts)."""

EventId = Annotated[str, Path(pattern=ID_REGEX)]
DelegateId = Annotated[str, Path(pattern=ID_REGEX)]
SessionId = Annotated[str, Path(pattern=ID_REGEX)]
"""Path parameters: the ids a route's path names."""


def _whole_number(value: Any) -> Any:
    """JSON does not tell 4337 from 4337.0: both are the integer 4337 (JSON Schema agrees);
    text and booleans are not numbers."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("an integer")
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError("a whole number of seconds")
        return int(value)
    return value


Seconds = Annotated[
    int,
    BeforeValidator(_whole_number),
    Field(ge=0, le=86400),
    WithJsonSchema({"type": "integer", "minimum": 0, "maximum": 86400}),
]


CLAIM_MAXIMUM = Decimal(1000)
CLAIM_DECIMALS = 4


def _claimed_credits(value: Any) -> Decimal:
    """A claim is a JSON number (never text, a boolean or a float), exact, from 0 to
    `CLAIM_MAXIMUM` with at most `CLAIM_DECIMALS` decimals: what can be stored exactly.
    Whether it is a valid claim for its session is a rule (`judge_claim`, 422
    `invalid_claim`), not the request's shape."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise PydanticCustomError("decimal_type", "a JSON number")
    claimed = Decimal(value)
    if not claimed.is_finite() or claimed < 0 or claimed > CLAIM_MAXIMUM:
        raise PydanticCustomError(
            "out_of_range", "a number from 0 to {maximum}", {"maximum": str(CLAIM_MAXIMUM)}
        )
    if claimed != claimed.quantize(Decimal(1).scaleb(-CLAIM_DECIMALS)):
        raise PydanticCustomError(
            "too_many_decimals", "at most {decimals} decimals", {"decimals": CLAIM_DECIMALS}
        )
    return claimed.copy_abs()  # -0.0 is 0


ClaimedCredits = Annotated[
    Decimal,
    PlainValidator(_claimed_credits),
    WithJsonSchema({"type": "number", "minimum": 0, "maximum": int(CLAIM_MAXIMUM)}),
]


def _rfc3339(value: Any) -> datetime:
    """RFC 3339 with an explicit offset, as text; a naive or out-of-range one is refused."""
    return parse_aware(value)


Timestamp = Annotated[
    datetime,
    BeforeValidator(_rfc3339),
    WithJsonSchema({"type": "string", "format": "date-time", "pattern": RFC3339}),
]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --------------------------------------------------------------------------- requests


class ScanIn(_In):
    scan_id: Identifier = Field(
        description="The client's id for this scan (a UUID): unique per event."
    )
    delegate_id: Identifier
    station_id: Identifier = Field(description="The CME station that scanned the badge.")
    scanned_at: Timestamp = Field(description="The device's time of the scan.")
    room: Room | None = Field(
        default=None,
        description="The room of a station at a hall entrance (the sessions' `room`, "
        "compared exactly); none at a CME desk.",
    )
    direction: Literal["in", "out"] = Field(
        default="in", description="Entering (`in`) or leaving (`out`) the room."
    )


def _scans_are_scans(schema: dict[str, Any]) -> None:
    """Each item is documented as a scan, though taken as any value: a malformed one is
    answered in its own result (422), never by refusing the batch."""
    schema["items"] = {"$ref": "#/components/schemas/ScanIn"}


class ScanBatchIn(_In):
    scans: list[Any] = Field(
        min_length=1,
        max_length=500,
        description="1 to 500 scans, each judged on its own (a malformed one gets 422).",
        json_schema_extra=_scans_are_scans,
    )


class ViewIn(_In):
    view_id: Identifier
    session_id: Identifier
    kind: Literal["live", "on_demand"]
    watched_at: Timestamp = Field(description="When watching began.")
    seconds: Seconds | None = Field(
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
    claimed_credits: ClaimedCredits | None = Field(
        default=None,
        description="The credits the delegate claims for the session, final with the "
        "evaluation. Under `self_claimed` a positive multiple of the claim step, not above "
        "the session's credits (else 422 `invalid_claim`); stored and ignored otherwise. "
        f"At most {CLAIM_DECIMALS} decimals.",
    )

    @field_validator("answers")
    @classmethod
    def _storable(cls, answers: dict[str, str | int]) -> dict[str, str | int]:
        size = len(json.dumps(answers, ensure_ascii=False).encode("utf-8"))
        if size > ANSWERS_MAX_BYTES:
            raise ValueError(f"the answers take {size} bytes; at most {ANSWERS_MAX_BYTES}")
        return answers


TestId = Annotated[str, Path(pattern=ID_REGEX)]

OptionIndex = Annotated[StrictInt, Field(ge=0, le=99)]


class AttemptIn(_In):
    attempt_id: Identifier = Field(
        description="The client's id for this attempt: a retry with the same id and content "
        "is answered as the first time (200); other content under it is 409 id_reused."
    )
    submitted_at: Timestamp = Field(description="The platform's time of submission.")
    answers: dict[Identifier, OptionIndex] = Field(
        max_length=200,
        description="Question id -> the option chosen (0-based); every question once.",
    )


class DelegateIn(_In):
    name: Name
    email: (
        Annotated[str, StringConstraints(max_length=254, pattern=r"^[^@ \t\r\n]+@[^@ \t\r\n]+$")]
        | None
    ) = None
    attendance: Literal["in_person", "online"]
    profession: (
        Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=PRINTABLE_LINE)]
        | None
    ) = None
    reason: Annotated[str, StringConstraints(min_length=1, max_length=500)] | None = None
    """Why a name or profession is corrected (kept in the audit trail); optional."""


def _json_object(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise PydanticCustomError("dict_type", "the body is not a JSON object")
    return value  # as read: a key it repeats stays noted (cme.jsonio.RepeatedKeys)


ProgrammeBody = Annotated[
    dict[str, Any], PlainValidator(_json_object, json_schema_input_type=ProgrammeDocument)
]
"""The programme `PUT`: described to clients as `ProgrammeDocument`, taken as any JSON
object and validated by `cme.organising.put_programme`. A body that does not fit is a
422 `invalid_programme` naming every problem (the model's and the cross-field rules'),
which the resolver's validation, answering `invalid_request` with the model's errors
alone, could not give."""


Reason = Annotated[str, StringConstraints(min_length=1, max_length=500)]
"""Why an organiser decided (kept in the audit trail)."""


class RevokeIn(_In):
    reason: Reason


class DecisionIn(_In):
    """A grant, a withdrawal or the lifting of a revocation: the organiser's reason."""

    reason: Reason


class ExtensionIn(_In):
    until: Annotated[
        str,
        StringConstraints(pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$", max_length=19),
    ]
    """A local time in the event's zone, after the event's claim deadline."""
    reason: Reason
