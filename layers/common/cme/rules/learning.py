"""Learning tests (RULES.md, "Learning tests"): when an attempt may be made, how it is
graded, and where a delegate stands with each test. Pure: no I/O, the clock passed in.

Score = correct answers / questions; passed when the score reaches the pass mark (compared
exactly, as fractions). Once passed, further attempts are refused; after the last failed
attempt, too. What a delegate's attempts mean depends only on the set of them: they are
read in the order they were made (by `submitted_at`, then `attempt_id`), and an attempt
beyond the allowed number, or after a pass, counts for nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from typing import NamedTuple

from cme.errors import (
    AlreadyPassed,
    ClaimDeadlinePassed,
    InvalidRequest,
    NoAttemptsLeft,
    TestNotOpen,
    TimestampInFuture,
)
from cme.facts import Attempt
from cme.programme import LearningTest, Programme
from cme.programme.localtime import SECOND
from cme.timestamps import format_utc

SCORE_PLACES = Decimal("0.0001")


class Grade(NamedTuple):
    correct: int
    questions: int
    passed: bool

    @property
    def score(self) -> Decimal:
        """correct / questions, to 4 decimals (half-even): 2 of 3 is 0.6667."""
        exact = Decimal(self.correct) / Decimal(self.questions)
        return exact.quantize(SCORE_PLACES, rounding=ROUND_HALF_EVEN)


class Standing(NamedTuple):
    """Where a delegate stands with one test."""

    test_id: str
    passed: bool
    attempts_used: int
    attempts_left: int

    def as_dict(self) -> dict[str, object]:
        return {
            "test_id": self.test_id,
            "passed": self.passed,
            "attempts_used": self.attempts_used,
            "attempts_left": self.attempts_left,
        }


def grade(test: LearningTest, answers: Mapping[str, int]) -> Grade:
    """The attempt's grade against the test's key (`answers` as `judge_answers` accepts
    them: every question once)."""
    correct = sum(1 for q in test.questions if answers.get(q.id) == q.answer)
    questions = len(test.questions)
    return Grade(correct, questions, Fraction(correct, questions) >= Fraction(test.pass_mark))


def attempt_grade(test: LearningTest, attempt: Attempt) -> Grade:
    """The attempt's grade: from its answers, or, once they are erased (CONTRACT.md,
    erasure), from the count of correct answers kept when it was graded."""
    if attempt.answers or attempt.correct is None:
        return grade(test, attempt.answers)
    questions = len(test.questions)
    correct = min(attempt.correct, questions)
    return Grade(correct, questions, Fraction(correct, questions) >= Fraction(test.pass_mark))


def standing(test: LearningTest, attempts: Iterable[Attempt]) -> Standing:
    """The delegate's standing with `test` from their attempts (of any test: the others
    are ignored)."""
    used, passed = 0, False
    mine = sorted(
        (a for a in attempts if a.test_id == test.id), key=lambda a: (a.submitted_at, a.attempt_id)
    )
    for attempt in mine:
        if passed or used >= test.attempts:
            break
        used += 1
        passed = attempt_grade(test, attempt).passed
    left = 0 if passed else test.attempts - used
    return Standing(test.id, passed, used, left)


def judge_answers(test: LearningTest, answers: Mapping[str, int]) -> None:
    """Every question answered once, with one of its options (422 `invalid_request` naming
    each question at fault)."""
    problems: list[dict[str, str]] = []
    for question in test.questions:
        chosen = answers.get(question.id)
        if chosen is None:
            problems.append({"path": f"answers.{question.id}", "code": "missing"})
        elif not 0 <= chosen < len(question.options):
            problems.append({"path": f"answers.{question.id}", "code": "not_an_option"})
    asked = {q.id for q in test.questions}
    problems += [
        {"path": f"answers.{name}", "code": "unknown_question"}
        for name in sorted(answers)
        if name not in asked
    ]
    if problems:
        raise InvalidRequest(
            f"every question of test {test.id} is answered once, with one of its options",
            problems,
        )


def judge_attempt(
    programme: Programme,
    test: LearningTest,
    submitted_at: datetime,
    *,
    now: datetime,
    skew: timedelta,
    closes_at: datetime | None = None,
) -> None:
    """An attempt is valid from the end of the test's session (for the event's test: of the
    last session) to the claim deadline, like an evaluation. `closes_at` is when claims
    close for this delegate: the event's deadline unless one is given (an organiser's
    extension)."""
    if submitted_at > now + skew:
        raise TimestampInFuture(
            f"submitted_at {format_utc(submitted_at)} is ahead of the server clock",
            errors=[{"path": "submitted_at", "code": "in_future"}],
        )
    event = programme.event
    if submitted_at < test.opens_at:
        raise TestNotOpen(
            f"test {test.id} opens when its sessions end, at {event.describe(test.opens_at)}",
            opens_at=test.opens_at,
        )
    deadline = event.claim_closes_at if closes_at is None else closes_at
    if submitted_at >= deadline:
        stated = (
            event.describe_deadline() if closes_at is None else event.describe(deadline - SECOND)
        )
        raise ClaimDeadlinePassed(
            f"the claim deadline was {stated}; {event.describe(submitted_at)} is after it"
        )


def judge_standing(now_standing: Standing) -> None:
    """Once passed, no more attempts; after the last failed one, none either."""
    if now_standing.passed:
        raise AlreadyPassed(f"test {now_standing.test_id} is passed already")
    if now_standing.attempts_left <= 0:
        raise NoAttemptsLeft(f"every attempt at test {now_standing.test_id} is used")
