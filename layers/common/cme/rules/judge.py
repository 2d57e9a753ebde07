"""Whether a fact is accepted: the same judgement for the API and for `cme statement`.

Each function raises the domain error of the first rule that refuses, in the contract's
order of precedence: properties of the session before times.
"""

from __future__ import annotations

from collections.abc import Hashable
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction

from cme.amounts import for_print
from cme.errors import (
    AlreadyEvaluated,
    ClaimDeadlinePassed,
    EvaluationNotOpen,
    IdReused,
    InvalidClaim,
    NotAConferenceDay,
    NotRecorded,
    OutsideOnDemandWindow,
    ScannedInFuture,
    SessionNotAccredited,
    TimestampInFuture,
    UnknownSession,
    ViewAfterSession,
    ViewBeforeSession,
)
from cme.facts import ViewKind
from cme.programme import Programme, Session
from cme.timestamps import format_utc

DEFAULT_SKEW = timedelta(minutes=5)


def require_session(programme: Programme, session_id: str) -> Session:
    session = programme.session(session_id)
    if session is None:
        raise UnknownSession(
            f"session {session_id} is not in the programme of {programme.event.id}"
        )
    return session


def judge_scan(
    programme: Programme, scanned_at: datetime, *, now: datetime, skew: timedelta = DEFAULT_SKEW
) -> date:
    """A daily badge scan counts for its local date in the event's zone, which must be a
    conference day; a scan stamped further ahead of the server than the skew is refused.
    Returns that day."""
    if scanned_at > now + skew:
        raise ScannedInFuture(f"scanned_at {format_utc(scanned_at)} is ahead of the server clock")
    day = programme.event.local_date(scanned_at)
    if programme.day(day) is None:
        raise NotAConferenceDay(
            f"{day} (local time in {programme.event.timezone}) is not a conference day"
        )
    return day


def judge_view(
    programme: Programme,
    session: Session,
    kind: ViewKind,
    watched_at: datetime,
    *,
    now: datetime,
    skew: timedelta = DEFAULT_SKEW,
) -> None:
    """A live view begins inside `[start, end)` of its session; an on-demand view is of a
    recorded session, not before its end, inside the on-demand window."""
    _not_in_future(watched_at, now, skew, "watched_at")
    event = programme.event
    if kind is ViewKind.LIVE:
        if watched_at < session.start:
            raise ViewBeforeSession(
                f"session {session.id} starts at {event.describe(session.start)}"
            )
        if watched_at >= session.end:
            raise ViewAfterSession(f"session {session.id} ended at {event.describe(session.end)}")
        return
    if not session.recorded:
        raise NotRecorded(f"session {session.id} is not available on demand")
    if watched_at < session.end:
        raise ViewBeforeSession(
            f"the recording of {session.id} exists from {event.describe(session.end)}"
        )
    window = event.on_demand
    if window is None or watched_at not in window:
        raise OutsideOnDemandWindow(
            f"{event.describe(watched_at)} is outside the on-demand period: "
            f"{event.describe_on_demand()}"
        )


def judge_evaluation(
    programme: Programme,
    session: Session,
    submitted_at: datetime,
    *,
    now: datetime,
    claimed: Decimal | None = None,
    skew: timedelta = DEFAULT_SKEW,
) -> None:
    """An evaluation is of an accredited session, with a valid claim under `self_claimed`,
    submitted at or after its live end and no later than the claim deadline (whose last
    second counts whole)."""
    _not_in_future(submitted_at, now, skew, "submitted_at")
    judge_cart_addition(session)
    judge_claim(programme, session, claimed)
    event = programme.event
    if submitted_at < session.end:
        raise EvaluationNotOpen(
            f"the evaluation of {session.id} opens when the session ends, at "
            f"{event.describe(session.end)}",
            opens_at=session.end,
        )
    if submitted_at >= event.claim_closes_at:
        raise ClaimDeadlinePassed(
            f"the claim deadline was {event.describe_deadline()}; "
            f"{event.describe(submitted_at)} is after it"
        )


def judge_claim(programme: Programme, session: Session, claimed: Decimal | None) -> None:
    """Under `self_claimed` a stated claim is a positive multiple of the claim step, not
    above the session's credits (a missing claim is allowed: the session is then
    `not_claimed`). Under `earned` a claim is stored and ignored."""
    policy = programme.event.policy
    if claimed is None or not policy.self_claimed:
        return
    step = policy.claim_step
    # As fractions: Decimal's remainder fails once the quotient outgrows its precision.
    if claimed <= 0 or Fraction(claimed) % Fraction(step) != 0:
        raise InvalidClaim(f"a claim is a positive multiple of {for_print(step)}")
    if claimed > session.credits:
        raise InvalidClaim(
            f"session {session.id} is worth {for_print(session.credits)}; "
            f"{for_print(claimed)} is more"
        )


def judge_cart_addition(session: Session) -> None:
    """Only accredited sessions can be claimed (industry sessions carry no credit)."""
    if not session.accredited:
        raise SessionNotAccredited(f"session {session.id} is not accredited")


def judge_cart_removal(session_id: str, evaluated: bool) -> None:
    """An evaluated session stays in the cart: an evaluation is final."""
    if evaluated:
        raise AlreadyEvaluated(f"session {session_id} is evaluated and stays in the cart")


def is_repeat(stored: Hashable, incoming: Hashable, *, what: str) -> bool:
    """A client id seen again: True when it is a harmless retry of the same content; a
    different content under the same id is refused and the first stays."""
    if stored != incoming:
        raise IdReused(f"{what} was already recorded with other content")
    return True


def is_repeat_evaluation(stored: Hashable, incoming: Hashable, session_id: str) -> bool:
    """One evaluation per delegate and session: a retry with the same instant and answers
    is not an error, anything else is `already_evaluated`."""
    if stored != incoming:
        raise AlreadyEvaluated(f"session {session_id} was already evaluated")
    return True


class EvaluationWindow(StrEnum):
    DONE = "done"
    OPEN = "open"
    NOT_YET_OPEN = "not_yet_open"
    CLOSED = "closed"


def evaluation_window(
    programme: Programme, session: Session, *, evaluated: bool, now: datetime
) -> EvaluationWindow:
    """Where a cart item stands for the delegate right now."""
    if evaluated:
        return EvaluationWindow.DONE
    if now < session.end:
        return EvaluationWindow.NOT_YET_OPEN
    if now >= programme.event.claim_closes_at:
        return EvaluationWindow.CLOSED
    return EvaluationWindow.OPEN


def _not_in_future(instant: datetime, now: datetime, skew: timedelta, name: str) -> None:
    if instant > now + skew:
        raise TimestampInFuture(
            f"{name} {format_utc(instant)} is ahead of the server clock",
            errors=[{"path": name, "code": "in_future"}],
        )
