"""Learning tests through the API (RULES.md, "Learning tests"; CONTRACT.md, "Tests"): a test
as the platform reads it (questions and options, never the key), and a delegate's attempts,
graded here against the stored key.

Order of precedence: 404 unknown_event / unknown_delegate / unknown_test, the request's
shape (every question answered once with one of its options: 422), the idempotent 200 of
a repeated `attempt_id` (409 `id_reused` when its content differs), then the rules:
`test_not_open`, `claim_deadline_passed`, `already_passed`, `no_attempts_left`.

One transaction per attempt (`Store.add_attempt`) stores it and counts it in the
delegate's standing with the test, on the condition that the test is not passed and
attempts are left: concurrent attempts can never exceed the limit or follow a pass.
The answers are personal data: nothing here logs them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from cme.errors import AlreadyPassed, CmeError, NoAttemptsLeft, UnknownDelegate, UnknownTest
from cme.facts import Attempt
from cme.programme import LearningTest, Programme
from cme.recording import load_delegate, load_programme
from cme.records import Store, WriteRefused
from cme.rules.judge import is_repeat
from cme.rules.learning import (
    attempt_grade,
    grade,
    judge_answers,
    judge_attempt,
    judge_standing,
    standing,
)


def require_test(programme: Programme, test_id: str) -> LearningTest:
    test = programme.test(test_id)
    if test is None:
        raise UnknownTest(f"no test {test_id} in the programme of {programme.event.id}")
    return test


def public_test(test: LearningTest) -> dict[str, Any]:
    """The test as the platform reads it: questions and options, never the answer key."""
    return {
        "test_id": test.id,
        "session_id": test.session_id,
        "pass": test.pass_mark,
        "attempts": test.attempts,
        "questions": [
            {"id": q.id, "text": q.text, "options": list(q.options)} for q in test.questions
        ],
    }


def read_test(store: Store, event_id: str, test_id: str) -> dict[str, Any]:
    return public_test(require_test(load_programme(store, event_id), test_id))


@dataclass(frozen=True, slots=True)
class AttemptRecorded:
    attempt_id: str
    score: Decimal
    passed: bool
    attempts_left: int
    duplicate: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "attempt_id": self.attempt_id,
            "score": self.score,
            "passed": self.passed,
            "attempts_left": self.attempts_left,
        }


def record_attempt(
    store: Store,
    event_id: str,
    delegate_id: str,
    test_id: str,
    *,
    attempt_id: str,
    submitted_at: datetime,
    answers: Mapping[str, int],
    now: datetime,
    skew: timedelta,
    closes_at: datetime | None = None,
) -> AttemptRecorded:
    """Grade and store an attempt (one Query of the delegate and one transaction).
    `closes_at`: the delegate's own claim deadline; by default the event's, or the
    organiser's extension of it for this delegate."""
    programme = load_programme(store, event_id)
    test = programme.test(test_id)
    if test is None:
        if not store.delegate_exists(event_id, delegate_id):
            raise UnknownDelegate(f"no delegate {delegate_id} at {event_id}")
        raise UnknownTest(f"no test {test_id} in the programme of {event_id}")
    record = load_delegate(store, event_id, delegate_id)
    if closes_at is None and record.extension is not None:
        from cme.rules.decisions import claim_closes_at

        closes_at = claim_closes_at(programme, record.extension.until)
    judge_answers(test, answers)
    attempt = Attempt(test.id, attempt_id, submitted_at, dict(answers))
    seen = _repeat(test, record.facts.test_attempts, attempt)
    if seen is not None:
        return seen
    judge_attempt(programme, test, submitted_at, now=now, skew=skew, closes_at=closes_at)
    before = standing(test, record.facts.test_attempts)
    judge_standing(before)
    graded = grade(test, answers)
    try:
        store.add_attempt(
            event_id,
            delegate_id,
            attempt._replace(correct=graded.correct),
            passed=graded.passed,
            allowed=test.attempts,
            received_at=now,
        )
    except WriteRefused as refused:
        if "delegate" in refused.failed:
            raise UnknownDelegate(f"no delegate {delegate_id} at {event_id}") from None
        attempts = load_delegate(store, event_id, delegate_id).facts.test_attempts
        seen = _repeat(test, attempts, attempt)
        if seen is not None:
            return seen
        raise _no_more(test, attempts) from None
    from cme.projection import after_write

    after_write(store, event_id, delegate_id)
    left = 0 if graded.passed else max(0, test.attempts - before.attempts_used - 1)
    return AttemptRecorded(attempt_id, graded.score, graded.passed, left, duplicate=False)


def _repeat(
    test: LearningTest, attempts: Iterable[Attempt], incoming: Attempt
) -> AttemptRecorded | None:
    """The stored attempt with the incoming one's id, when the incoming one repeats it (a
    retry: 200, as first answered); `id_reused` when its content differs."""
    stored = next((a for a in attempts if a.attempt_id == incoming.attempt_id), None)
    if stored is None:
        return None
    # An erased attempt keeps no answers to compare: its test and instant decide.
    compared = dict(incoming.answers) if stored.answers else {}
    is_repeat(
        (stored.test_id, stored.submitted_at, dict(stored.answers)),
        (incoming.test_id, incoming.submitted_at, compared),
        what=f"attempt {incoming.attempt_id}",
    )
    mine = [a for a in attempts if a.test_id == test.id]
    graded = attempt_grade(test, stored)
    now_standing = standing(test, mine)
    return AttemptRecorded(
        stored.attempt_id, graded.score, graded.passed, now_standing.attempts_left, duplicate=True
    )


def _no_more(test: LearningTest, attempts: Iterable[Attempt]) -> CmeError:
    """Why the store refused another attempt: the test is passed, or no attempt is left."""
    try:
        judge_standing(standing(test, attempts))
    except CmeError as refusal:
        return refusal
    # The standing the store keeps counted a concurrent attempt the read did not see yet.
    if any(attempt_grade(test, a).passed for a in attempts if a.test_id == test.id):
        return AlreadyPassed(f"test {test.id} is passed already")
    return NoAttemptsLeft(f"every attempt at test {test.id} is used")
