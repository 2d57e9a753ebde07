"""Domain errors: one type per rule, each carrying the contract's stable `code`.

The HTTP status of each lives in one place only, `cme.api`; here an error knows what went
wrong, never how it travels.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from cme.timestamps import format_utc


class CmeError(Exception):
    """Base of every refusal the service can give; `code` is the contract's code."""

    code: ClassVar[str] = "invalid_request"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail

    def extra(self) -> dict[str, Any]:
        """Fields beyond status/title/detail/code that the problem document carries."""
        return {}


class InvalidRequest(CmeError):
    code = "invalid_request"

    def __init__(self, detail: str, errors: Sequence[dict[str, Any]] = ()) -> None:
        super().__init__(detail)
        self.errors = list(errors)

    def extra(self) -> dict[str, Any]:
        return {"errors": self.errors} if self.errors else {}


class MalformedBody(InvalidRequest):
    """The body is not UTF-8 JSON, or not a JSON object (400)."""


class BodyTooLarge(InvalidRequest):
    """The body is over the size limit (413)."""


class Unauthorized(CmeError):
    code = "unauthorized"


class Forbidden(CmeError):
    """A valid API key of the wrong role: the platform's key on an organiser route."""

    code = "forbidden"


class NotFound(CmeError):
    code = "not_found"


class MethodNotAllowed(CmeError):
    code = "method_not_allowed"

    def __init__(self, detail: str, allowed: Sequence[str] = ()) -> None:
        super().__init__(detail)
        self.allowed = tuple(allowed)


class UnknownEvent(CmeError):
    code = "unknown_event"


class UnknownDelegate(CmeError):
    code = "unknown_delegate"


class UnknownSession(CmeError):
    code = "unknown_session"


class UnknownTest(CmeError):
    code = "unknown_test"


class UnknownCertificate(CmeError):
    code = "unknown_certificate"


class NoCertificate(CmeError):
    code = "no_certificate"


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem of a programme document: where it is, a short code, and what to do."""

    path: str
    code: str
    detail: str

    def as_dict(self) -> dict[str, str]:
        return {"path": self.path, "code": self.code, "detail": self.detail}


class InvalidProgramme(CmeError):
    code = "invalid_programme"

    def __init__(self, problems: Sequence[Problem], warnings: Sequence[Problem] = ()) -> None:
        count = len(problems)
        super().__init__(f"the programme has {count} problem{'s' if count != 1 else ''}")
        self.problems = tuple(problems)
        self.warnings = tuple(warnings)

    def extra(self) -> dict[str, Any]:
        return {
            "errors": [p.as_dict() for p in self.problems],
            "warnings": [w.as_dict() for w in self.warnings],
        }


class NotAConferenceDay(CmeError):
    code = "not_a_conference_day"


class ScannedInFuture(CmeError):
    code = "scanned_in_future"


class TimestampInFuture(InvalidRequest):
    """A view or evaluation stamped further ahead of the server's clock than the skew allows."""


class ViewBeforeSession(CmeError):
    code = "view_before_session"


class ViewAfterSession(CmeError):
    code = "view_after_session"


class OutsideOnDemandWindow(CmeError):
    code = "outside_on_demand_window"


class NotRecorded(CmeError):
    code = "not_recorded"


class SessionNotAccredited(CmeError):
    code = "session_not_accredited"


class EvaluationNotOpen(CmeError):
    code = "evaluation_not_open"

    def __init__(self, detail: str, opens_at: datetime) -> None:
        super().__init__(detail)
        self.opens_at = opens_at

    def extra(self) -> dict[str, Any]:
        return {"opens_at": format_utc(self.opens_at)}


class ClaimDeadlinePassed(CmeError):
    code = "claim_deadline_passed"


class InvalidClaim(CmeError):
    """Under `self_claimed`: a claim that is not a positive multiple of the claim step, or
    above the session's credits."""

    code = "invalid_claim"


class AlreadyEvaluated(CmeError):
    code = "already_evaluated"


class IdReused(CmeError):
    code = "id_reused"


class EvaluationsIncomplete(CmeError):
    code = "evaluations_incomplete"

    def __init__(self, detail: str, missing: Sequence[str]) -> None:
        super().__init__(detail)
        self.missing = list(missing)

    def extra(self) -> dict[str, Any]:
        return {"missing": self.missing}


class Revoked(CmeError):
    """A certificate of the delegate was revoked: no new one until an organiser lifts it."""

    code = "revoked"


class NoCredits(CmeError):
    code = "no_credits"


class UnprintableName(CmeError):
    """A text the certificate prints (the delegate's name, or the event's own words) holds
    characters that no bundled font prints: the certificate would show a blank or a
    partial name, so it is not issued. `problems` name each text and its characters."""

    code = "unprintable_name"

    def __init__(self, problems: Sequence[Problem]) -> None:
        said = "; ".join(f"{p.path}: {p.detail}" for p in problems)
        super().__init__(f"the certificate cannot be printed ({said})")
        self.problems = tuple(problems)

    def extra(self) -> dict[str, Any]:
        return {"errors": [p.as_dict() for p in self.problems]}


class UnknownProfession(CmeError):
    """A delegate's profession that is not one of the programme's (RULES.md,
    "Professions")."""

    code = "unknown_profession"


class TestNotOpen(CmeError):
    """A learning test's attempt before its session (for the event's test: the last
    session) ends."""

    __test__ = False  # not a pytest class
    code = "test_not_open"

    def __init__(self, detail: str, opens_at: datetime) -> None:
        super().__init__(detail)
        self.opens_at = opens_at

    def extra(self) -> dict[str, Any]:
        return {"opens_at": format_utc(self.opens_at)}


class AlreadyPassed(CmeError):
    code = "already_passed"


class NoAttemptsLeft(CmeError):
    code = "no_attempts_left"


class Throttled(CmeError):
    """The store could not take the request now; safe to retry after `retry_after` seconds."""

    code = "throttled"

    def __init__(self, detail: str, retry_after: int = 1) -> None:
        super().__init__(detail)
        self.retry_after = retry_after
