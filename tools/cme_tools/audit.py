"""A delegate's facts from a file, judged exactly as the API judges them: for audits and
disputes (`cme statement`), with no AWS at all."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from pydantic import TypeAdapter, ValidationError

from cme.errors import CmeError, InvalidRequest
from cme.facts import (
    Attempt,
    Attendance,
    Delegate,
    DelegateFacts,
    Direction,
    Evaluation,
    Scan,
    View,
    ViewKind,
)
from cme.programme import Programme, Session
from cme.rules.judge import (
    DEFAULT_SKEW,
    is_repeat,
    is_repeat_evaluation,
    judge_cart_addition,
    judge_evaluation,
    judge_scan,
    judge_view,
    require_session,
)
from cme.schemas import ClaimedCredits, Room
from cme.text import ID_PATTERN
from cme.timestamps import parse_aware


@dataclass(frozen=True, slots=True)
class Refusal:
    """A fact left out of the statement, with the code the API would have answered."""

    kind: str
    fact_id: str
    code: str
    detail: str

    def __str__(self) -> str:
        return f"{self.kind} {self.fact_id}: {self.code} ({self.detail})"


@dataclass(frozen=True, slots=True)
class AuditedFacts:
    delegate: Delegate
    facts: DelegateFacts
    refusals: tuple[Refusal, ...]


def audit_facts(
    programme: Programme, document: Any, *, now: datetime, skew: timedelta = DEFAULT_SKEW
) -> AuditedFacts:
    """Judge each fact of a FACTS document in turn; refused ones are reported, not fatal.

    In the contract's order of precedence, like the API: the fact's shape (422
    invalid_request), its session (404 unknown_session), a repeat of an id already
    accepted (harmless when identical, else id_reused / already_evaluated), then the rules.
    """
    if not isinstance(document, Mapping):
        raise InvalidRequest("a facts document is a JSON object")
    _only_known(document, DOCUMENT_KEYS, "the facts document")
    delegate = _delegate(document.get("delegate"))
    refusals: list[Refusal] = []
    # An extension moves this delegate's deadline (and the on-demand window's end) for
    # every fact judged below, as the service judges them (RULES.md, "Organiser decisions").
    programme = _extended(programme, document.get("extension"), refusals)
    grants = _grants(programme, _list(document, "grants"), refusals)
    profession = delegate.profession
    listed = programme.event.professions
    if profession is not None and listed and programme.event.profession(profession) is None:
        # The API would have refused the registration: the delegate holds no profession.
        known = ", ".join(p.id for p in listed)
        detail = f"{profession} is not one of this event's professions ({known})"
        refusals.append(Refusal("delegate", delegate.delegate_id, "unknown_profession", detail))
        profession = None

    def accept[F](
        kind: str,
        raw: Any,
        *,
        read: Callable[[Any], F],
        key_of: Callable[[F], str],
        seen: dict[str, F],
        same: Callable[[F, F], object],
        judge: Callable[[F], object],
    ) -> None:
        try:
            fact = read(raw)
            key = key_of(fact)
            if key in seen:
                same(seen[key], fact)  # a harmless repeat, or it raises the contract's error
            else:
                judge(fact)
                seen[key] = fact
        except CmeError as error:
            refusals.append(Refusal(kind, _fact_id(raw, kind), error.code, error.detail))
        except (KeyError, TypeError, ValueError) as error:
            refusals.append(Refusal(kind, _fact_id(raw, kind), "invalid_request", str(error)))

    def session_of(session_id: str) -> Session:
        return require_session(programme, session_id)

    scans: dict[str, Scan] = {}
    for raw in _list(document, "scans"):
        accept(
            "scan",
            raw,
            read=lambda r: _scan(programme, r),
            key_of=lambda f: f.scan_id,
            seen=scans,
            same=lambda a, b: is_repeat(a, b, what=f"scan {b.scan_id}"),
            judge=lambda f: judge_scan(programme, f.scanned_at, now=now, skew=skew),
        )
    views: dict[str, View] = {}
    for raw in _list(document, "views"):
        accept(
            "view",
            raw,
            read=lambda r: _view(programme, r),
            key_of=lambda f: f.view_id,
            seen=views,
            same=lambda a, b: is_repeat(a, b, what=f"view {b.view_id}"),
            judge=lambda f: judge_view(
                programme, session_of(f.session_id), f.kind, f.watched_at, now=now, skew=skew
            ),
        )
    cart: dict[str, str] = {}
    for raw in _list(document, "cart"):
        accept(
            "cart",
            raw,
            read=lambda r: session_of(_ident(r, "cart item")).id,
            key_of=lambda f: f,
            seen=cart,
            same=lambda a, b: True,
            judge=lambda f: judge_cart_addition(session_of(f)),
        )
    evaluations: dict[str, Evaluation] = {}
    for raw in _list(document, "evaluations"):
        accept(
            "evaluation",
            raw,
            read=lambda r: _evaluation(programme, r),
            key_of=lambda f: f.session_id,
            seen=evaluations,
            same=lambda a, b: is_repeat_evaluation(_comparable(a), _comparable(b), b.session_id),
            judge=lambda f: judge_evaluation(
                programme,
                session_of(f.session_id),
                f.submitted_at,
                now=now,
                claimed=f.claimed_credits,
                skew=skew,
            ),
        )

    attempts: dict[str, Attempt] = {}
    # In the order they were made, as the service counts them (the file's order is not).
    for raw in sorted(_list(document, "test_attempts"), key=_attempt_order):
        accept(
            "test_attempt",
            raw,
            read=lambda r: _attempt(programme, r),
            key_of=lambda f: f.attempt_id,
            seen=attempts,
            same=lambda a, b: is_repeat(
                (a.test_id, a.submitted_at, dict(a.answers)),
                (b.test_id, b.submitted_at, dict(b.answers)),
                what=f"attempt {b.attempt_id}",
            ),
            judge=lambda f: _judge_attempt(programme, f, attempts.values(), now=now, skew=skew),
        )

    facts = DelegateFacts(
        delegate_id=delegate.delegate_id,
        scans=tuple(scans.values()),
        views=tuple(views.values()),
        cart=frozenset(cart),
        evaluations=evaluations,
        profession=profession,
        test_attempts=tuple(attempts.values()),
        grants=grants,
    )
    return AuditedFacts(delegate, facts, tuple(refusals))


def _extended(programme: Programme, until: Any, refusals: list[Refusal]) -> Programme:
    """The programme as this delegate's facts are judged: with the extension's deadline
    when the file states one the API would take (`PUT .../extension`: a local time after
    the event's deadline); one it would refuse is reported and left out."""
    from cme.rules.decisions import extension_closes_at, programme_for
    from cme.schemas import ExtensionIn

    if until is None:
        return programme
    if not isinstance(until, str):
        raise InvalidRequest("extension is a local time such as 2026-01-15T23:59:59")
    try:
        ExtensionIn(until=until, reason="FACTS.json")
        closes = extension_closes_at(programme, until)
    except (ValidationError, ValueError):
        detail = "a local time in the event's zone, such as 2026-01-15T23:59:59"
        refusals.append(Refusal("extension", until, "invalid_request", detail))
        return programme
    if closes <= programme.event.claim_closes_at:
        detail = f"not after the event's deadline, {programme.event.describe_deadline()}"
        refusals.append(Refusal("extension", until, "invalid_request", detail))
        return programme
    return programme_for(programme, until)


def _grants(programme: Programme, raw: list[Any], refusals: list[Refusal]) -> frozenset[str]:
    """The sessions an organiser granted evidence for (`PUT .../grants/{session_id}`): a
    session of the programme, each once."""
    granted: set[str] = set()
    for session_id in raw:
        try:
            granted.add(require_session(programme, _ident(session_id, "grant")).id)
        except CmeError as error:
            refusals.append(Refusal("grant", str(session_id)[:64], error.code, error.detail))
        except ValueError as error:
            refusals.append(Refusal("grant", str(session_id)[:64], "invalid_request", str(error)))
    return frozenset(granted)


def _attempt_order(raw: Any) -> tuple[str, str]:
    if not isinstance(raw, Mapping):
        return ("", "")
    return (str(raw.get("submitted_at", "")), str(raw.get("attempt_id", "")))


def _attempt(programme: Programme, raw: Any) -> Attempt:
    from cme.post_tests import require_test
    from cme.rules.learning import judge_answers

    raw = _fields(raw, "test_attempt")
    attempt_id = _ident(_get(raw, "attempt_id"), "attempt_id")
    test = require_test(programme, _ident(_get(raw, "test_id"), "test_id"))
    submitted_at = _timestamp(raw, "submitted_at")
    answers = _get(raw, "answers")
    if not isinstance(answers, Mapping) or not all(type(v) is int for v in answers.values()):
        raise ValueError("answers is an object of question id -> option index")
    judge_answers(test, answers)
    return Attempt(test.id, attempt_id, submitted_at, dict(answers))


def _judge_attempt(
    programme: Programme,
    attempt: Attempt,
    accepted: Iterable[Attempt],
    *,
    now: datetime,
    skew: timedelta,
) -> None:
    """As the API judges an attempt: its time, then the delegate's standing so far."""
    from cme.post_tests import require_test
    from cme.rules.learning import judge_attempt, judge_standing, standing

    test = require_test(programme, attempt.test_id)
    judge_attempt(programme, test, attempt.submitted_at, now=now, skew=skew)
    judge_standing(standing(test, accepted))


DOCUMENT_KEYS = frozenset(
    {"delegate", "scans", "views", "cart", "evaluations", "test_attempts", "grants", "extension"}
)
"""A facts document's keys (CONTRACT.md, FACTS.json); each but `delegate` may be left out."""
DELEGATE_KEYS = frozenset({"delegate_id", "name", "attendance", "email", "profession"})
FACT_KEYS = {
    "scan": frozenset({"scan_id", "scanned_at", "station_id", "room", "direction"}),
    "view": frozenset({"view_id", "session_id", "kind", "watched_at", "seconds"}),
    "evaluation": frozenset({"session_id", "submitted_at", "answers", "claimed_credits"}),
    "test_attempt": frozenset({"test_id", "attempt_id", "submitted_at", "answers"}),
}


def _only_known(raw: Mapping[str, Any], known: frozenset[str], what: str) -> None:
    """A key the API would not take refuses the whole document, as an unknown field
    refuses a body: an audit must never read a misspelt key as "no facts"."""
    unknown = sorted(str(key) for key in raw if key not in known)
    if unknown:
        raise InvalidRequest(
            f"{what} has unknown keys: {', '.join(unknown)} (known: {', '.join(sorted(known))})"
        )


def _delegate(raw: Any) -> Delegate:
    if not isinstance(raw, Mapping):
        raise InvalidRequest("facts need a delegate: {delegate_id, name, attendance}")
    _only_known(raw, DELEGATE_KEYS, "delegate")
    try:
        delegate_id = _ident(raw.get("delegate_id"), "delegate.delegate_id")
    except ValueError as exc:
        raise InvalidRequest(str(exc)) from exc
    name = raw.get("name")
    if not isinstance(name, str) or not 1 <= len(name) <= 200:
        raise InvalidRequest("delegate.name is 1 to 200 characters")
    try:
        attendance = Attendance(raw.get("attendance", Attendance.IN_PERSON))
    except ValueError as exc:
        raise InvalidRequest("delegate.attendance is in_person or online") from exc
    profession = raw.get("profession")
    if profession is not None and (not isinstance(profession, str) or not profession.strip()):
        raise InvalidRequest("delegate.profession is an id of the programme's professions")
    return Delegate(delegate_id, name, attendance, profession=profession)


# Reading a fact checks its shape, then its session; the rules are judged afterwards.


def _fields(raw: Any, kind: str) -> Mapping[str, Any]:
    """A fact's fields; unknown ones refuse the fact (422 invalid_request at the API)."""
    if not isinstance(raw, Mapping):
        raise TypeError("each fact is an object")
    unknown = sorted(str(key) for key in raw if key not in FACT_KEYS[kind])
    if unknown:
        raise ValueError(f"unknown fields: {', '.join(unknown)}")
    return raw


def _scan(programme: Programme, raw: Any) -> Scan:
    raw = _fields(raw, "scan")
    scan_id = _ident(_get(raw, "scan_id"), "scan_id")
    scanned_at = _timestamp(raw, "scanned_at")
    room = raw.get("room")
    direction = raw.get("direction", Direction.IN.value)
    if direction not in tuple(Direction):
        raise ValueError("direction is in or out")
    return Scan(
        scan_id,
        scanned_at,
        programme.event.local_date(scanned_at),
        str(raw.get("station_id", "")),
        None if room is None else _shaped(_ROOM, room, "room"),
        Direction(direction),
    )


def _view(programme: Programme, raw: Any) -> View:
    raw = _fields(raw, "view")
    view_id = _ident(_get(raw, "view_id"), "view_id")
    session_id = _ident(_get(raw, "session_id"), "session_id")
    kind = ViewKind(_get(raw, "kind"))
    watched_at = _timestamp(raw, "watched_at")
    seconds = raw.get("seconds")
    if seconds is not None and (type(seconds) is not int or not 0 <= seconds <= 86400):
        raise ValueError("seconds is an integer from 0 to 86400")
    session = require_session(programme, session_id)
    return View(view_id, session.id, kind, watched_at, seconds)


def _evaluation(programme: Programme, raw: Any) -> Evaluation:
    raw = _fields(raw, "evaluation")
    session_id = _ident(_get(raw, "session_id"), "session_id")
    submitted_at = _timestamp(raw, "submitted_at")
    answers = raw.get("answers", {})
    if not isinstance(answers, Mapping):
        raise ValueError("answers is an object")
    claimed = raw.get("claimed_credits")
    if claimed is not None:
        claimed = _shaped(_CLAIM, claimed, "claimed_credits")
    session = require_session(programme, session_id)
    return Evaluation(session.id, submitted_at, dict(answers), claimed)


_ROOM: TypeAdapter[str] = TypeAdapter(Room)
_CLAIM: TypeAdapter[Decimal] = TypeAdapter(ClaimedCredits)
"""The API's own shapes of a scan's room and an evaluation's claim (`cme.schemas`)."""


def _shaped[T](shape: TypeAdapter[T], value: Any, name: str) -> T:
    try:
        return shape.validate_python(value)
    except ValidationError as error:
        raise ValueError(f"{name}: {error.errors()[0]['msg']}") from None


def _timestamp(raw: Any, key: str) -> datetime:
    value = _get(raw, key)
    if not isinstance(value, str):
        raise TypeError(f"{key} is an RFC 3339 timestamp with an offset")
    return parse_aware(value)


def _comparable(evaluation: Evaluation) -> tuple[datetime, str, Decimal | None]:
    """What a retry must repeat: the instant, the answers and the claim."""
    return (
        evaluation.submitted_at,
        repr(sorted(evaluation.answers.items())),
        evaluation.claimed_credits,
    )


def _list(document: Mapping[str, Any], key: str) -> list[Any]:
    """A list of facts: left out, none; anything but a list (null included) refuses the
    document, as a body whose field has the wrong type."""
    value = document.get(key, [])
    if not isinstance(value, list):
        raise InvalidRequest(f"{key} is a list (leave it out for none)")
    return value


def _get(raw: Any, key: str) -> Any:
    if not isinstance(raw, Mapping):
        raise TypeError("each fact is an object")
    if key not in raw:
        raise KeyError(f"{key} is required")
    return raw[key]


def _ident(value: Any, name: str) -> str:
    if not isinstance(value, str) or not ID_PATTERN.match(value):
        raise ValueError(f"{name} is not a valid id")
    return value


_ID_KEYS = {
    "scan": "scan_id",
    "view": "view_id",
    "evaluation": "session_id",
    "test_attempt": "attempt_id",
}


def _fact_id(raw: Any, kind: str) -> str:
    """The id to report a refused fact by, whatever shape it came in."""
    if isinstance(raw, Mapping):
        return str(raw.get(_ID_KEYS.get(kind, ""), "?"))
    return str(raw)[:64]
