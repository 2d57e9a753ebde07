"""RULES.md, "Professions" and "Learning tests", one test per sentence (each docstring
quotes it), the worked variant, and two properties. The programme is the worked variant's
(`tests.ecm`): one day in Rome, sessions A and B in "Aula 1", time in the room at 90 %,
physicians and nurses covered, AMA for physicians, an event test of 3 questions."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cme import errors
from cme.facts import Attempt, DelegateFacts, Direction, Evaluation, Scan
from cme.programme import Programme, build_programme
from cme.rules.credits import CartStatus, CreditStatement, compute_statement
from cme.rules.learning import grade, judge_answers, judge_attempt, judge_standing, standing
from tests import ecm

DAY = date(2025, 6, 12)
SKEW = timedelta(minutes=5)
NOW = ecm.at("23:00")


def programme(change: Callable[[dict[str, Any]], None] | None = None) -> Programme:
    document = ecm.document()
    if change is not None:
        change(document)
    return build_programme(document).programme


def facts(
    profession: str | None,
    scans: Iterable[tuple[str, str]] = ecm.NURSE_SCANS,
    answers: Mapping[str, int] | None = ecm.PASSING,
    *,
    evaluated: Iterable[str] = ("A", "B"),
    cart: Iterable[str] = (),
    attempts: Iterable[Attempt] = (),
) -> DelegateFacts:
    tried = tuple(attempts)
    if answers is not None:
        tried += (Attempt("final", "first", ecm.TESTED, answers),)
    return DelegateFacts(
        "D1",
        scans=tuple(
            Scan(f"s{i}", ecm.at(clock), DAY, "gate", "Aula 1", Direction(direction))
            for i, (clock, direction) in enumerate(scans)
        ),
        cart=frozenset(cart),
        evaluations={s: Evaluation(s, ecm.EVALUATED, {}) for s in evaluated},
        profession=profession,
        test_attempts=tried,
    )


def statuses(statement: CreditStatement) -> dict[str, tuple[str, Decimal]]:
    return {i.session_id: (i.status.value, i.amount) for i in statement.cart}


def conversions(statement: CreditStatement) -> dict[str, Decimal]:
    return {c.name: c.credits for c in statement.conversions}


# --------------------------------------------------------------------------- worked variant


def test_worked_variant_the_nurse_earns_4_without_a_conversion() -> None:
    """A nurse scans in at 08:50 and out at 12:58 (B present 118 of 120 minutes: 98 %), and
    answers 3 of 3: 4.0 credits, no conversion."""
    statement = compute_statement(programme(), facts("nurse"))
    assert statement.total == Decimal("4.0") and statement.live == Decimal("4.0")
    assert statement.conversions == ()
    assert (statement.eligible, statement.test_passed, statement.certificate_ready) == (
        True,
        True,
        True,
    )
    assert statuses(statement) == {"A": ("credited", 2), "B": ("credited", 2)}
    assert [t.as_dict() for t in statement.tests] == [
        {"test_id": "final", "passed": True, "attempts_used": 1, "attempts_left": 0}
    ]


def test_worked_variant_the_physician_fails_the_test_and_earns_nothing() -> None:
    """A physician scans in at 09:20 and out at 13:00: A has 100 of 120 minutes (83 %,
    below 0.9): nothing; B: 2.0; the test 2 of 3 (67 %): failed, total 0, no certificate."""
    statement = compute_statement(programme(), facts("physician", ecm.PHYSICIAN_SCANS, ecm.FAILING))
    assert statuses(statement) == {"A": ("no_evidence", 0), "B": ("credited", 2)}
    assert statement.total == 0 and statement.test_passed is False
    assert statement.certificate_ready is False and statement.certificate_kind is None
    assert conversions(statement) == {"AMA PRA Category 1 Credits": 0}
    assert [d.credits for d in statement.days] == [0]
    as_json = statement.as_dict()
    assert (as_json["eligible"], as_json["test_passed"]) == (True, False)


def test_worked_variant_the_pharmacist_is_not_eligible() -> None:
    """A pharmacist with the same facts as the nurse: `eligible: false`, 0."""
    statement = compute_statement(programme(), facts("pharmacist"))
    assert statement.as_dict()["eligible"] is False
    assert statement.total == 0 and statement.live == 0
    assert statement.certificate_ready is False  # no attendance certificates in this one


def test_the_physician_who_passes_earns_b_and_the_ama_conversion() -> None:
    statement = compute_statement(programme(), facts("physician", ecm.PHYSICIAN_SCANS))
    assert statement.total == 2 and conversions(statement) == {"AMA PRA Category 1 Credits": 2}


# --------------------------------------------------------------------------- professions


def test_the_accreditation_covers_everyone_when_it_names_no_profession() -> None:
    """The accreditation may name the professions it is valid for
    (`accreditation.professions`; absent: everyone)."""

    def everyone(document: dict[str, Any]) -> None:
        del document["event"]["accreditation"]["professions"]

    for profession in ("pharmacist", None):
        statement = compute_statement(programme(everyone), facts(profession))
        assert statement.eligible and statement.total == 4


def test_a_delegate_without_a_profession_is_not_covered_by_a_named_list() -> None:
    statement = compute_statement(programme(), facts(None))
    assert not statement.eligible and statement.total == 0


def test_each_conversion_applies_to_its_professions_only() -> None:
    """... and so may each conversion (`conversions[].professions`; AMA PRA credits are for
    physicians)."""

    def two_conversions(document: dict[str, Any]) -> None:
        document["event"]["conversions"].append({"name": "Contact hours", "ratio": "1"})

    nurse = compute_statement(programme(two_conversions), facts("nurse"))
    physician = compute_statement(
        programme(two_conversions), facts("physician", ecm.NURSE_SCANS, ecm.PASSING)
    )
    assert conversions(nurse) == {"Contact hours": 4}
    assert conversions(physician) == {"AMA PRA Category 1 Credits": 4, "Contact hours": 4}


def test_a_delegate_not_covered_earns_nothing_and_keeps_every_cart_status() -> None:
    """A delegate whose profession the accreditation does not cover earns nothing:
    statement total 0 with `eligible: false`, every cart item keeps its status."""
    statement = compute_statement(
        programme(), facts("pharmacist", ecm.PHYSICIAN_SCANS, evaluated=("A", "B"))
    )
    assert (statement.total, statement.live, statement.eligible) == (0, 0, False)
    assert statuses(statement) == {"A": ("no_evidence", 0), "B": ("credited", 2)}
    assert all(d.credits == 0 and all(s.credits == 0 for s in d.slots) for d in statement.days)


def _attendance(document: dict[str, Any]) -> None:
    document["event"]["attendance_certificates"] = "true"


def test_a_delegate_not_covered_gets_a_certificate_of_attendance() -> None:
    """When `event.attendance_certificates` is true such a delegate, with a fully evaluated
    non-empty cart and evidence of taking part in at least one session, gets a certificate
    of attendance instead: the days attended, no credits, no conversions."""
    statement = compute_statement(programme(_attendance), facts("pharmacist", answers=None))
    assert statement.attended == (DAY,) and statement.certificate_kind == "attendance"
    assert statement.certificate_ready and statement.total == 0
    assert statement.conversions == ()


@pytest.mark.parametrize(
    ("change", "delegate"),
    [
        (None, facts("pharmacist")),  # attendance certificates not given
        (_attendance, facts("nurse")),  # covered: credits, not attendance
        (_attendance, facts("pharmacist", evaluated=("A",), cart=("B",))),  # B not evaluated
        (_attendance, facts("pharmacist", evaluated=(), cart=())),  # an empty cart
        (_attendance, facts("pharmacist", scans=())),  # no evidence of taking part
    ],
)
def test_no_certificate_of_attendance_without_each_condition(
    change: Callable[[dict[str, Any]], None] | None, delegate: DelegateFacts
) -> None:
    statement = compute_statement(programme(change), delegate)
    assert statement.attended is None
    assert statement.certificate_kind != "attendance"


def test_attendance_counts_a_session_with_evidence_below_nothing_else() -> None:
    """Evidence of taking part in one session is enough: the physician's scans leave A
    below the minimum but B attended."""
    statement = compute_statement(
        programme(_attendance), facts("pharmacist", ecm.PHYSICIAN_SCANS, answers=None)
    )
    assert statement.attended == (DAY,)


# --------------------------------------------------------------------------- learning tests

KEY = ecm.KEY


def test_score_is_correct_answers_over_questions_passed_at_the_mark() -> None:
    """Score = correct answers / questions; passed when score >= pass."""
    test = programme().test("final")
    assert test is not None
    assert grade(test, ecm.PASSING) == (3, 3, True) and grade(test, ecm.PASSING).score == 1
    failed = grade(test, ecm.FAILING)
    assert (failed.passed, failed.score) == (False, Decimal("0.6667"))
    assert grade(test, {"q1": 0, "q2": 1, "q3": 0}).score == 0

    def four_questions(document: dict[str, Any]) -> None:
        document["event"]["post_test"]["questions"].append(
            {"id": "q4", "text": "?", "options": ["a", "b"], "answer": "1"}
        )

    four = programme(four_questions).test("final")
    assert four is not None
    at_the_mark = grade(four, {**KEY, "q4": 0})  # 3 of 4: exactly 0.75
    assert (at_the_mark.score, at_the_mark.passed) == (Decimal("0.75"), True)


def _session_test(document: dict[str, Any]) -> None:
    document["sessions"][1]["post_test"] = {
        "id": "test-b",
        "pass": "0.5",
        "attempts": "2",
        "questions": [
            {"id": "b1", "text": "?", "options": ["x", "y"], "answer": "1"},
            {"id": "b2", "text": "?", "options": ["x", "y"], "answer": "0"},
        ],
    }


def test_a_session_test_gates_its_session() -> None:
    """It belongs either to a session (`sessions[].post_test`: the session is
    `test_not_passed` until the delegate passes it) ..."""
    untested = compute_statement(programme(_session_test), facts("nurse"))
    assert statuses(untested) == {"A": ("credited", 2), "B": ("test_not_passed", 0)}
    assert untested.total == 2
    failed = Attempt("test-b", "b-1", ecm.TESTED, {"b1": 0, "b2": 1})
    still = compute_statement(programme(_session_test), facts("nurse", attempts=[failed]))
    assert statuses(still)["B"] == ("test_not_passed", 0)
    passed = Attempt("test-b", "b-2", ecm.TESTED + timedelta(minutes=1), {"b1": 1, "b2": 1})
    credited = compute_statement(
        programme(_session_test), facts("nurse", attempts=[failed, passed])
    )
    assert statuses(credited)["B"] == ("credited", 2) and credited.total == 4
    assert [t.as_dict() for t in credited.tests][1] == {
        "test_id": "test-b",
        "passed": True,
        "attempts_used": 2,
        "attempts_left": 0,
    }


def test_test_not_passed_comes_after_not_claimed_and_before_no_evidence() -> None:
    """A cart item's status is the first that applies of `not_accredited`,
    `not_evaluated`, `not_claimed`, `test_not_passed`, `no_evidence`, then `credited` or
    `parallel`."""

    def claimed(document: dict[str, Any]) -> None:
        _session_test(document)
        document["event"]["policy"]["claims"] = "self_claimed"

    no_scans = facts("nurse", scans=())
    assert statuses(compute_statement(programme(_session_test), no_scans))["B"][0] == (
        "test_not_passed"
    )
    assert statuses(compute_statement(programme(claimed), facts("nurse")))["B"][0] == (
        "not_claimed"
    )
    unevaluated = facts("nurse", evaluated=("A",), cart=("B",))
    assert statuses(compute_statement(programme(_session_test), unevaluated))["B"][0] == (
        "not_evaluated"
    )
    assert CartStatus.TEST_NOT_PASSED.value == "test_not_passed"


def test_the_event_test_gates_the_total_not_the_sessions() -> None:
    """... or to the event (`event.post_test`: until it is passed, the statement's total is
    0 with `test_passed: false`, and no certificate is issued; it gates the total, not the
    sessions, so cart items keep their statuses and amounts)."""
    untested = compute_statement(programme(), facts("nurse", answers=None))
    assert (untested.total, untested.test_passed, untested.certificate_ready) == (0, False, False)
    assert statuses(untested) == {"A": ("credited", 2), "B": ("credited", 2)}
    assert [t.as_dict() for t in untested.tests] == [
        {"test_id": "final", "passed": False, "attempts_used": 0, "attempts_left": 1}
    ]


def test_without_an_event_test_test_passed_is_null() -> None:
    def untested(document: dict[str, Any]) -> None:
        del document["event"]["post_test"]

    statement = compute_statement(programme(untested), facts("nurse", answers=None))
    assert statement.test_passed is None and statement.tests == () and statement.total == 4
    assert statement.as_dict()["test_passed"] is None


def test_an_attempt_is_valid_from_the_end_of_the_last_session_to_the_deadline() -> None:
    """An attempt is valid from the end of the session (for an event test: of the last
    session) to the claim deadline, like an evaluation."""
    wv = programme()
    test = wv.test("final")
    assert test is not None
    judge_attempt(wv, test, ecm.at("13:00"), now=NOW, skew=SKEW)  # at the end: valid
    with pytest.raises(errors.TestNotOpen) as early:
        judge_attempt(wv, test, ecm.at("12:59"), now=NOW, skew=SKEW)
    assert early.value.extra() == {"opens_at": "2025-06-12T11:00:00Z"}
    closes = wv.event.claim_closes_at
    late = NOW.replace(month=12)
    judge_attempt(wv, test, closes - timedelta(seconds=1), now=late, skew=SKEW)
    with pytest.raises(errors.ClaimDeadlinePassed):
        judge_attempt(wv, test, closes, now=late, skew=SKEW)
    # A deadline of the delegate's own (an organiser's extension) replaces the event's.
    judge_attempt(wv, test, closes, now=late, skew=SKEW, closes_at=closes + timedelta(days=30))
    with pytest.raises(errors.InvalidRequest):
        judge_attempt(wv, test, NOW + timedelta(minutes=6), now=NOW, skew=SKEW)


def test_a_session_test_opens_at_its_session_end() -> None:
    wv = programme(_session_test)
    test = wv.test("test-b")
    assert test is not None
    with pytest.raises(errors.TestNotOpen):
        judge_attempt(wv, test, ecm.at("12:30"), now=NOW, skew=SKEW)
    judge_attempt(wv, test, ecm.at("13:00"), now=NOW, skew=SKEW)


def test_once_passed_or_after_the_last_failed_attempt_no_more() -> None:
    """Once passed, further attempts are refused; after the last failed attempt, too."""
    wv = programme(_session_test)
    test = wv.test("test-b")
    assert test is not None
    first = Attempt("test-b", "1", ecm.TESTED, {"b1": 0, "b2": 1})
    second = Attempt("test-b", "2", ecm.TESTED + timedelta(minutes=1), {"b1": 0, "b2": 1})
    judge_standing(standing(test, [first]))  # one attempt left
    with pytest.raises(errors.NoAttemptsLeft):
        judge_standing(standing(test, [first, second]))
    passing = Attempt("test-b", "3", ecm.TESTED, {"b1": 1, "b2": 0})
    with pytest.raises(errors.AlreadyPassed):
        judge_standing(standing(test, [passing]))


def test_attempts_beyond_the_limit_or_after_a_pass_count_for_nothing() -> None:
    """What the attempts mean depends on their set only: in the order they were made,
    the first `attempts` count, and nothing after a pass."""
    wv = programme()
    test = wv.test("final")
    assert test is not None
    failed = Attempt("final", "a", ecm.TESTED, ecm.FAILING)
    passed_later = Attempt("final", "b", ecm.TESTED + timedelta(minutes=1), ecm.PASSING)
    assert standing(test, [passed_later, failed]) == ("final", False, 1, 0)
    assert standing(test, [Attempt("other", "x", ecm.TESTED, {})]) == ("final", False, 0, 1)


def test_the_answers_are_every_question_once_with_one_of_its_options() -> None:
    test = programme().test("final")
    assert test is not None
    judge_answers(test, ecm.PASSING)
    with pytest.raises(errors.InvalidRequest) as refused:
        judge_answers(test, {"q1": 3, "q3": 0, "q9": 1})
    assert {(e["path"], e["code"]) for e in refused.value.errors} == {
        ("answers.q1", "not_an_option"),
        ("answers.q2", "missing"),
        ("answers.q9", "unknown_question"),
    }


def test_the_answer_key_never_leaves_the_service() -> None:
    """The answer key never leaves the service: the programme as read back and the test as
    the platform reads it carry the questions and options only."""
    from cme.programme import programme_document, public_document

    public = public_document(programme_document(programme(_session_test)))
    assert "answer" not in repr(public)


# --------------------------------------------------------------------------- properties

CLOCKS = st.builds(
    lambda minutes: f"{8 + minutes // 60:02d}:{minutes % 60:02d}", st.integers(0, 5 * 60)
)
SCANS = st.lists(st.tuples(CLOCKS, st.sampled_from(["in", "out"])), max_size=6)
ANSWERS = st.fixed_dictionaries({q: st.integers(0, 1) for q in ("q1", "q2", "q3")})
EVALUATED = st.sets(st.sampled_from(["A", "B"]))


@settings(max_examples=150)
@given(
    profession=st.sampled_from(["pharmacist", None, "dentist"]),
    scans=SCANS,
    answers=st.none() | ANSWERS,
    evaluated=EVALUATED,
    attendance=st.booleans(),
)
def test_a_delegate_whose_profession_is_not_covered_never_earns(
    profession: str | None,
    scans: list[tuple[str, str]],
    answers: dict[str, int] | None,
    evaluated: set[str],
    attendance: bool,
) -> None:
    wv = programme(_attendance if attendance else None)
    statement = compute_statement(
        wv, facts(profession, scans, answers, evaluated=evaluated, cart=("A",))
    )
    assert not statement.eligible
    assert statement.total == 0 and statement.live == 0
    assert all(d.credits == 0 for d in statement.days)
    assert all(c.credits == 0 for c in statement.conversions)
    assert statement.certificate_kind in (None, "attendance")


@settings(max_examples=150)
@given(
    profession=st.sampled_from(["physician", "nurse", "pharmacist", None]),
    scans=SCANS,
    answers=st.none() | ANSWERS,
    evaluated=EVALUATED,
    listed=st.lists(st.sampled_from(["physician", "nurse", "pharmacist"]), unique=True),
)
def test_removing_a_conversion_profession_list_never_lowers_a_conversion(
    profession: str | None,
    scans: list[tuple[str, str]],
    answers: dict[str, int] | None,
    evaluated: set[str],
    listed: list[str],
) -> None:
    def restricted(document: dict[str, Any]) -> None:
        document["event"]["conversions"][0]["professions"] = listed

    def unrestricted(document: dict[str, Any]) -> None:
        del document["event"]["conversions"][0]["professions"]

    delegate = facts(profession, scans, answers, evaluated=evaluated)
    before = conversions(compute_statement(programme(restricted), delegate))
    after = conversions(compute_statement(programme(unrestricted), delegate))
    assert all(after.get(name, Decimal(-1)) >= credits for name, credits in before.items())
    assert before.keys() <= after.keys()


@pytest.mark.parametrize(
    ("change", "delegate", "why"),
    [
        (None, facts("nurse"), "ready"),
        (None, facts("physician", ecm.PHYSICIAN_SCANS, ecm.FAILING), "test_not_passed"),
        (None, facts("pharmacist"), "not_eligible"),
        (_attendance, facts("pharmacist", answers=None), "ready"),  # of attendance
        (None, facts("nurse", answers=None), "test_not_passed"),  # not taken yet
        (None, facts("nurse", evaluated=("A",), cart=("B",)), "evaluations_missing"),
    ],
)
def test_readiness_names_the_first_reason_for_no_certificate(
    change: Callable[[dict[str, Any]], None] | None, delegate: DelegateFacts, why: str
) -> None:
    """What the dashboard counts and issuing refuses by: the worked variant's delegates."""
    from cme.readiness import readiness

    statement = compute_statement(programme(change), delegate)
    assert readiness(delegate, statement) == why
    assert (why == "ready") is statement.certificate_ready
