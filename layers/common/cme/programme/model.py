"""The programme document as a pydantic model: what the OpenAPI document describes, what a
generated client sends, and what the cross-field rules (`cme.programme.checks`) read.

Every value is checked here on its own (an id, a local time, an exact amount); what needs
two values or the event's zone is a rule of `checks`. Each refusal carries the code of
CONTRACT.md's programme problems: a code of our own (`invalid_id`, `invalid_number`, ...)
where the value is ours to judge, pydantic's structural errors mapped in `problems_of`.

Amounts stay exact: JSON numbers arrive as `Decimal` (`cme.jsonio`), YAML scalars as text
(BaseLoader, `cme.programme.document`), and neither goes through float. Dates and times
stay the text the document states (`"08:30"`, `"2025-11-30T23:59:59"`), checked by pattern
and by calendar. A null is an absent value (YAML's `~` and empty values are read as null);
a text of spaces only is a missing one.

New settings of a programme (evidence policies, professions, tests) are new fields and
new `Literal` values here; the rules that need more than one value go to `checks`.
"""

import re
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WrapValidator,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, ErrorDetails, PydanticCustomError, core_schema

from cme.amounts import parse_decimal, parse_ratio
from cme.errors import Problem
from cme.programme.localtime import (
    CLOCK_REGEX,
    DATE_REGEX,
    LOCAL_DATETIME_REGEX,
    InvalidPart,
    parse_clock,
    parse_date,
    parse_stated,
)
from cme.text import ID_PATTERN, ID_REGEX, ID_RULE, PRINTABLE_TEXT, UNPRINTABLE

# --------------------------------------------------------------------------- values


def _coded(code: str, detail: str) -> WrapValidator:
    """Whatever pydantic finds wrong with the value, the problem is `code`."""

    def wrap(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        try:
            return handler(value)
        except ValidationError:
            raise PydanticCustomError(code, detail) from None

    return WrapValidator(wrap)


class _Value:
    """A value we judge ourselves: `read` raises the problem's code (PydanticCustomError)
    or returns the value; `schema` describes it to clients. (PlainValidator with
    WithJsonSchema says the same, at twice the cost of building the model, which every
    function pays on its cold start.)"""

    def __init__(self, read: Callable[[Any], Any], schema: dict[str, Any]) -> None:
        self.read = read
        self.schema = schema

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        return core_schema.no_info_plain_validator_function(self.read)

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return dict(self.schema)


def _identifier(value: Any) -> str:
    if not isinstance(value, str) or not ID_PATTERN.fullmatch(value):
        raise PydanticCustomError("invalid_id", ID_RULE)
    return value


Identifier = Annotated[str, _Value(_identifier, {"type": "string", "pattern": ID_REGEX})]


def _text(limit: int) -> Callable[[Any], str]:
    def read(value: Any) -> str:
        if not isinstance(value, str):
            raise PydanticCustomError("invalid_type", "expected text")
        if not value.strip():
            raise PydanticCustomError("missing", "empty text")
        if len(value) > limit:
            raise PydanticCustomError("too_long", f"at most {limit} characters")
        if UNPRINTABLE.search(value):
            raise PydanticCustomError(
                "unprintable_text",
                "control characters and bidirectional overrides cannot be printed",
            )
        return value.strip()

    return read


def _text_schema(limit: int) -> dict[str, Any]:
    return {"type": "string", "minLength": 1, "maxLength": limit, "pattern": PRINTABLE_TEXT}


Text = Annotated[str, _Value(_text(200), _text_schema(200))]
"""A name, a city, a unit, a room: printed on certificates (leading and trailing spaces
are dropped)."""
Title = Annotated[str, _Value(_text(500), _text_schema(500))]
Statement = Annotated[str, _Value(_text(2000), _text_schema(2000))]
"""A paragraph printed on the certificate: it may break lines."""

AMOUNT_TEXT = r"^[0-9]+(?:\.[0-9]+)?$"
"""A decimal in plain digits (`1.5`, `25`, `0.25`): no sign, exponent, comma or space."""
RATIO_TEXT = r"^\s*[0-9]+(?:\.[0-9]+)?\s*$|^\s*[0-9]+\s*/\s*[0-9]+\s*$"


def _positive[N: (Decimal, Fraction)](
    parse: Callable[[str], N], expected: str, text: str, description: str
) -> _Value:
    """An exact number greater than 0, as a JSON number (never a float) or as text."""

    def read(value: Any) -> N:
        if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
            raise PydanticCustomError("invalid_number", expected)
        if isinstance(value, str) and value != value.strip():
            raise PydanticCustomError("invalid_number", expected)
        try:
            number = parse(value if isinstance(value, str) else str(value))
        except (ValueError, ArithmeticError):
            raise PydanticCustomError("invalid_number", expected) from None
        if number <= 0:
            raise PydanticCustomError("not_positive", "must be greater than 0")
        return number

    number = {"type": "number", "exclusiveMinimum": 0}
    return _Value(
        read, {"anyOf": [number, {"type": "string", "pattern": text}], "description": description}
    )


PositiveAmount = Annotated[
    Decimal,
    _positive(
        parse_decimal,
        "expected a decimal number like 1.5",
        AMOUNT_TEXT,
        "An exact amount greater than 0, as a JSON number or as text in plain digits "
        "(1.5, 25, 0.25).",
    ),
]
Ratio = Annotated[
    Fraction,
    _positive(
        parse_ratio,
        "expected a ratio like 1, 0.5 or 2/3",
        RATIO_TEXT,
        "Credits of this kind per credit of the accreditation, greater than 0: a number, "
        "or text as a decimal (0.5) or a fraction (2/3).",
    ),
]


def _share(value: Any) -> Decimal:
    """A share of a session's length, from 0 to 1 inclusive, exact."""
    expected = "expected a share from 0 to 1, like 0.9"
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise PydanticCustomError("invalid_number", expected)
    try:
        share = parse_decimal(value if isinstance(value, str) else str(value))
    except (ValueError, ArithmeticError):
        raise PydanticCustomError("invalid_number", expected) from None
    if share > 1:
        raise PydanticCustomError("out_of_range", "a share is at most 1")
    return share


Share = Annotated[
    Decimal,
    _Value(
        _share,
        {
            "anyOf": [
                {"type": "number", "minimum": 0, "maximum": 1},
                {"type": "string", "pattern": AMOUNT_TEXT},
            ],
            "description": "A share of the session's length, from 0 to 1 (0.9: 90 %).",
        },
    ),
]


def _minutes(value: Any) -> int:
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value)
    if isinstance(value, Decimal) and value == value.to_integral_value():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise PydanticCustomError("invalid_number", "expected a whole number of minutes")
    if value <= 0:
        raise PydanticCustomError("not_positive", "must be greater than 0")
    if value > 24 * 60:
        raise PydanticCustomError("out_of_range", "at most a day (1440 minutes)")
    return value


Minutes = Annotated[
    int,
    _Value(_minutes, {"type": "integer", "minimum": 1, "maximum": 1440}),
]


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise PydanticCustomError("invalid_type", "expected true or false")


Flag = Annotated[bool, _Value(_flag, {"type": "boolean"})]


def _stated_as(parse: Callable[[str], object], code: str, expected: str) -> Callable[[Any], str]:
    """Text that `parse` reads, kept as the document states it."""

    def read(value: Any) -> str:
        try:
            parse(value)
        except (TypeError, ValueError):
            raise PydanticCustomError(code, expected) from None
        return str(value)

    return read


LocalDate = Annotated[
    str,
    _Value(
        _stated_as(parse_date, "invalid_date", "expected a date like 2025-05-24"),
        {"type": "string", "format": "date", "pattern": DATE_REGEX},
    ),
]


ClockTime = Annotated[
    str,
    _Value(
        _stated_as(parse_clock, "invalid_time", "expected a local time like 08:30"),
        {
            "type": "string",
            "pattern": CLOCK_REGEX,
            "description": "A local time in the event's timezone: 08:30 or 08:30:15.",
            "examples": ["08:30"],
        },
    ),
]


def _local_datetime(value: Any) -> str:
    try:
        parse_stated(value)
    except InvalidPart as part:
        if part.part == "date":
            raise PydanticCustomError("invalid_date", "expected a date like 2025-05-24") from None
        raise PydanticCustomError("invalid_time", "expected a local time like 23:59") from None
    except (TypeError, ValueError):
        raise PydanticCustomError(
            "invalid_datetime", "expected a local time like 2025-11-30T23:59:59"
        ) from None
    return str(value)


LocalDateTime = Annotated[
    str,
    _Value(
        _local_datetime,
        {
            "type": "string",
            "pattern": LOCAL_DATETIME_REGEX,
            "description": "A local date and time in the event's timezone "
            "(2025-11-30T23:59:59); a UTC offset after it is checked against the zone, "
            "never used.",
            "examples": ["2025-11-30T23:59:59"],
        },
    ),
]

TIMEZONE_REGEX = r"^[A-Za-z][A-Za-z0-9_+-]*(?:/[A-Za-z0-9_+-]+)*$"
_TIMEZONE = re.compile(TIMEZONE_REGEX)


def _timezone(value: Any) -> str:
    try:
        if not isinstance(value, str) or not _TIMEZONE.fullmatch(value):
            raise ValueError(value)
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise PydanticCustomError(
            "unknown_timezone", f"{value!r} is not an IANA time zone"
        ) from None
    return value


TimeZoneName = Annotated[
    str,
    _Value(
        _timezone,
        {
            "type": "string",
            "pattern": TIMEZONE_REGEX,
            "description": "An IANA time zone (Europe/Rome): every time in the programme is "
            "local to it.",
            "examples": ["Europe/Rome"],
        },
    ),
]

Evidence = Annotated[
    Literal["daily_scan", "session_scan", "time_in_room"],
    _coded(
        "unknown_policy",
        "not an evidence policy; known: daily_scan, session_scan, time_in_room",
    ),
]
EVIDENCE_POLICIES: tuple[str, ...] = get_args(get_args(Evidence)[0])
"""Evidence policies a programme may choose (`policy.evidence`); see `cme.rules.evidence`."""


def _pass_mark(value: Any) -> Decimal:
    """A learning test's pass mark: a share of correct answers above 0, at most 1."""
    expected = "expected a share above 0 and at most 1, like 0.75"
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise PydanticCustomError("invalid_number", expected)
    try:
        share = parse_decimal(value if isinstance(value, str) else str(value))
    except (ValueError, ArithmeticError):
        raise PydanticCustomError("invalid_number", expected) from None
    if not 0 < share <= 1:
        raise PydanticCustomError("out_of_range", "a pass mark is above 0 and at most 1")
    return share


PassMark = Annotated[
    Decimal,
    _Value(
        _pass_mark,
        {
            "anyOf": [
                {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
                {"type": "string", "pattern": AMOUNT_TEXT},
            ],
            "description": "The share of correct answers that passes (0.75: 75 %).",
        },
    ),
]


def _count(least: int, most: int, what: str) -> Callable[[Any], int]:
    """A whole number from `least` to `most` (YAML gives it as text)."""

    def read(value: Any) -> int:
        if isinstance(value, str) and value.isascii() and value.isdigit():
            value = int(value)
        if isinstance(value, Decimal) and value == value.to_integral_value():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise PydanticCustomError("invalid_number", f"expected a whole number of {what}")
        if value < least:
            raise PydanticCustomError(
                "not_positive" if least == 1 else "out_of_range", f"at least {least}"
            )
        if value > most:
            raise PydanticCustomError("out_of_range", f"at most {most}")
        return value

    return read


ATTEMPTS_MAX = 100
Attempts = Annotated[
    int,
    _Value(
        _count(1, ATTEMPTS_MAX, "attempts"),
        {"type": "integer", "minimum": 1, "maximum": ATTEMPTS_MAX},
    ),
]
AnswerIndex = Annotated[
    int,
    _Value(
        _count(0, 99, "options"),
        {
            "type": "integer",
            "minimum": 0,
            "writeOnly": True,
            "description": "The correct option, 0-based. The answer key is kept by the "
            "service: it is never returned (the programme as read back and the test as "
            "the platform reads it carry questions and options only).",
        },
    ),
]


# --------------------------------------------------------------------------- the document


def _absent_may_be_null(schema: dict[str, Any]) -> None:
    """In the document's schema, a field that may be left out may also be null: the same."""
    required = set(schema.get("required", ()))
    for name, field in schema.get("properties", {}).items():
        if name in required or {"type": "null"} in field.get("anyOf", ()):
            continue
        notes = {k: field.pop(k) for k in ("title", "description", "default") if k in field}
        schema["properties"][name] = {"anyOf": [field, {"type": "null"}], **notes}


class _Doc(BaseModel):
    # Not frozen: `salvage` fills a document's valid fields one at a time.
    model_config = ConfigDict(
        extra="forbid", defer_build=True, json_schema_extra=_absent_may_be_null
    )

    @model_validator(mode="before")
    @classmethod
    def _null_is_absent(cls, data: Any) -> Any:
        if isinstance(data, dict) and any(value is None for value in data.values()):
            return {key: value for key, value in data.items() if value is not None}
        return data

    def intact(self, *names: str) -> bool:
        """Whether each named field was read: always, unless this part of the document was
        salvaged (`salvage`) and the field is refused or missing (then it is not set)."""
        fields = self.__dict__
        return all(name in fields for name in names)


class AccreditationDoc(_Doc):
    body: Text = Field(examples=["UEMS-EACCME"])
    unit: Text = Field(examples=["ECMEC"])
    total: PositiveAmount = Field(description="The event's total: it caps the sum of the days.")
    statement: Statement = Field(description="Printed on certificates, from the letter.")
    professions: list[Identifier] | None = Field(
        default=None,
        description="The professions (ids of `event.professions`) the accreditation is "
        "valid for; absent: everyone. A delegate of another profession earns nothing.",
    )


class ConversionDoc(_Doc):
    name: Text = Field(examples=["AMA PRA Category 1 Credits"])
    ratio: Ratio
    statement: Statement | None = None
    professions: list[Identifier] | None = Field(
        default=None,
        description="The professions this conversion is for (AMA PRA credits: physicians); "
        "absent: everyone.",
    )


class ProfessionDoc(_Doc):
    id: Identifier = Field(examples=["physician"])
    name: Text = Field(examples=["Physician"])


class QuestionDoc(_Doc):
    """A single-answer question of a learning test."""

    id: Identifier
    text: Statement
    options: list[Title] = Field(description="At least two; one is correct.")
    answer: AnswerIndex


class PostTestDoc(_Doc):
    """A learning test (RULES.md, "Learning tests"): passed when the share of correct
    answers reaches `pass`, in at most `attempts` attempts."""

    id: Identifier = Field(description="Unique among the programme's tests.")
    pass_mark: PassMark = Field(alias="pass")
    attempts: Attempts = Field(description="How many attempts a delegate has.")
    questions: list[QuestionDoc] = Field(description="At least one.")


class OnDemandDoc(_Doc):
    """The period in which recordings count; its end's last stated unit counts whole."""

    start: LocalDateTime
    end: LocalDateTime


class PresenceDoc(_Doc):
    """How time in the room counts under `time_in_room` (RULES.md, "Evidence policy")."""

    minimum: Share = Field(
        default=Decimal(0), description="The least share of the session a delegate attends."
    )
    credit: Annotated[
        Literal["full", "proportional"],
        _coded("unknown_policy", "expected full or proportional"),
    ] = Field(
        default="full",
        description="full: the session's credits; proportional: credits x share, rounded "
        "down to the step.",
    )
    step: PositiveAmount = Field(
        default=Decimal("0.25"), description="Proportional amounts are multiples of it."
    )


class ViewingDoc(_Doc):
    minimum: Share = Field(
        default=Decimal(0),
        description="Views count when their seconds add up to this share of the session.",
    )


class PolicyDoc(_Doc):
    evidence: Evidence = Field(
        default="daily_scan", description="What counts as evidence of taking part."
    )
    scan_grace_minutes: Minutes = Field(
        default=15, description="A hall scan this long before a session's start counts for it."
    )
    presence: PresenceDoc = Field(default_factory=PresenceDoc)
    viewing: ViewingDoc = Field(default_factory=ViewingDoc)
    claims: Annotated[
        Literal["earned", "self_claimed"],
        _coded("unknown_policy", "expected earned or self_claimed"),
    ] = Field(
        default="earned",
        description="self_claimed: a session is worth what the delegate claims with the "
        "evaluation, at most what they earned.",
    )
    claim_step: PositiveAmount = Field(
        default=Decimal("0.25"), description="Claims are positive multiples of it."
    )


class EventDoc(_Doc):
    id: Identifier
    name: Text
    city: Text
    country: Text | None = None
    timezone: TimeZoneName
    accreditation: AccreditationDoc
    conversions: list[ConversionDoc] = Field(default_factory=list)
    statements: list[Statement] = Field(
        default_factory=list, description="Further paragraphs printed on certificates."
    )
    claim_deadline: LocalDateTime = Field(
        description="Evaluations close after it; its last stated unit counts whole."
    )
    on_demand: OnDemandDoc | None = None
    policy: PolicyDoc = Field(default_factory=PolicyDoc)
    professions: list[ProfessionDoc] = Field(
        default_factory=list,
        description="The professions delegates may register with; none: any profession.",
    )
    attendance_certificates: Flag = Field(
        default=False,
        description="A delegate whose profession the accreditation does not cover gets a "
        "certificate of attendance (days attended, no credits).",
    )
    post_test: PostTestDoc | None = Field(
        default=None, description="A test of the event: it gates the total."
    )


class DayDoc(_Doc):
    date: LocalDate
    cap: PositiveAmount = Field(description="The most a delegate earns on this day.")


class SlotDoc(_Doc):
    id: Identifier
    date: LocalDate = Field(description="One of the programme's days.")
    start: ClockTime
    end: ClockTime
    max: PositiveAmount = Field(description="The most the slot's sessions give together.")


class SessionDoc(_Doc):
    id: Identifier
    slot: Identifier = Field(description="The slot the session belongs to.")
    title: Title
    start: ClockTime | None = Field(default=None, description="Default: the slot's start.")
    end: ClockTime | None = Field(default=None, description="Default: the slot's end.")
    credits: PositiveAmount | None = Field(
        default=None, description="Default: the slot's maximum, which it may not exceed."
    )
    accredited: Flag = Field(default=True, description="Industry sessions are not.")
    recorded: Flag = Field(default=False, description="Available on demand.")
    room: Text | None = None
    post_test: PostTestDoc | None = Field(
        default=None, description="A test of the session: it is credited once passed."
    )


class ProgrammeDocument(_Doc):
    """A congress's programme: the event, its days, the slots of each day and the sessions
    of each slot. Every time is local to `event.timezone`."""

    event: EventDoc
    days: list[DayDoc] = Field(min_length=1)
    slots: list[SlotDoc]
    sessions: list[SessionDoc]


# --------------------------------------------------------------------------- problems


def problems_of(error: ValidationError) -> list[Problem]:
    """pydantic's errors as the contract's problems: `loc` becomes the path
    (`sessions[3].end`), the error's type the code."""
    return [_problem(detail) for detail in error.errors(include_url=False, include_input=False)]


def _problem(detail: ErrorDetails) -> Problem:
    loc, kind = detail["loc"], detail["type"]
    path = path_of(loc)
    if kind == "missing":
        return Problem(path, "missing", f"{loc[-1]} is required")
    if kind == "too_short":
        return Problem(path, "missing", "a programme lists at least one conference day")
    if kind == "extra_forbidden":
        known = _fields_at(loc[:-1])
        expected = f"; expected one of {', '.join(sorted(known))}" if known else ""
        return Problem(path, "unknown_field", f"unknown field {loc[-1]!r}{expected}")
    if kind == "list_type":
        return Problem(path, "invalid_type", "expected a list")
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return Problem(path, "invalid_type", "expected a mapping of fields")
    return Problem(path, kind, detail["msg"])  # a code of our own (PydanticCustomError)


def path_of(loc: Sequence[int | str]) -> str:
    """`('sessions', 3, 'end')` -> `sessions[3].end`."""
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else f".{part}" if path else str(part)
    return path


def _part_model(annotation: Any) -> type[_Doc] | None:
    """The document part a field holds (`list[SlotDoc]`, `OnDemandDoc | None` -> the part)."""
    origin = get_origin(annotation)
    if origin in (list, Union, UnionType):
        return next(filter(None, map(_part_model, get_args(annotation))), None)
    if isinstance(annotation, type) and issubclass(annotation, _Doc):
        return annotation
    return None


def _fields_at(loc: Sequence[int | str]) -> list[str]:
    model: type[_Doc] | None = ProgrammeDocument
    for part in loc:
        if isinstance(part, str) and model is not None:
            field = next((f for n, f in model.model_fields.items() if (f.alias or n) == part), None)
            model = _part_model(field.annotation) if field else None
    return [f.alias or name for name, f in model.model_fields.items()] if model else []


# --------------------------------------------------------------------------- salvage


def salvage(data: Any) -> ProgrammeDocument | None:
    """What can be read of a document that does not validate whole, for the cross-field
    rules to check all the same: each part that validates on its own (the event, each
    day, slot and session), and of the others each field that does. A field refused or
    missing is left unset (`intact` says so), and the rules never read it."""
    return _salvaged(ProgrammeDocument, data) if isinstance(data, Mapping) else None


def _salvaged[D: _Doc](model: type[D], raw: Any) -> D:
    if isinstance(raw, Mapping):
        try:
            return model.model_validate(raw)
        except ValidationError:
            pass
    part = model.model_construct()
    refused: set[str] = set()
    for name, field in model.model_fields.items():
        value = raw.get(field.alias or name) if isinstance(raw, Mapping) else None
        nested = _part_model(field.annotation)
        listed = get_origin(field.annotation) is list
        if value is None:
            if field.is_required():
                refused.add(name)
        elif nested is not None and listed and isinstance(value, list):
            setattr(part, name, [_salvaged(nested, item) for item in value])
        elif nested is not None and not listed and isinstance(value, Mapping):
            setattr(part, name, _salvaged(nested, value))
        else:
            # Validated on an instance of its own: assigning runs the model's "before"
            # validator over every field, which would drop the defaults (None) of `part`.
            alone = model.model_construct()
            try:
                model.__pydantic_validator__.validate_assignment(alone, name, value)
            except ValidationError:
                refused.add(name)
            else:
                setattr(part, name, getattr(alone, name))
    for name in refused:
        part.__dict__.pop(name, None)  # not even its default: `intact` says it is refused
    return part
