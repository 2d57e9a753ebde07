"""Session evaluations: `PUT /events/{event_id}/delegates/{delegate_id}/evaluations/{session_id}`.

Validity is judged on `submitted_at`: at or after the session's live end, and no later than
the claim deadline, 30 November 2025 23:59:59 in Milan (CET, UTC+1), whose last second
counts whole: claims close at 2025-11-30T23:00:00Z.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

pytestmark = pytest.mark.usefixtures("parsed_once")

EVALUATIONS = "/events/eshg2025/delegates/D0001/evaluations"
ANSWERS = {"useful": 5, "comment": "Clear and practical", "bias": "none"}


def evaluation(submitted_at: str, answers: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"submitted_at": submitted_at, "answers": ANSWERS if answers is None else answers}


def test_an_evaluation_is_stored_and_its_session_joins_the_cart(delegate, eshg):
    eshg.put("/events/eshg2025/delegates/D0001/cart/S01")  # one is in the cart already

    # Judged on submitted_at, so May's congress is replayed in June (the frozen clock).
    answer = eshg.put(f"{EVALUATIONS}/ES01", evaluation("2025-05-24T10:05:00+02:00"))
    in_cart = eshg.put(f"{EVALUATIONS}/S01", evaluation("2025-05-24T12:05:00+02:00"))

    assert answer.status == 201
    assert answer.body == {
        "session_id": "ES01",
        "submitted_at": "2025-05-24T08:05:00Z",
        "duplicate": False,
    }
    assert in_cart.status == 201
    cart = eshg.get("/events/eshg2025/delegates/D0001/cart").body["items"]
    assert [(item["session_id"], item["evaluation"]) for item in cart] == [
        ("ES01", "done"),
        ("S01", "done"),
    ]


def test_a_retry_with_the_same_instant_and_answers_is_200(delegate, eshg, subtests):
    eshg.put(f"{EVALUATIONS}/ES01", evaluation("2025-05-24T10:05:00+02:00"))

    for retry in [
        evaluation("2025-05-24T10:05:00+02:00"),
        evaluation("2025-05-24T08:05:00Z"),  # the same instant
        evaluation("2025-05-24T10:05:00.000+02:00"),
        evaluation("2025-05-24T10:05:00+02:00", dict(reversed(ANSWERS.items()))),
    ]:
        with subtests.test(retry=retry):
            answer = eshg.put(f"{EVALUATIONS}/ES01", retry)
            assert answer.status == 200
            assert answer.body["duplicate"] is True


def test_another_evaluation_of_the_same_session_is_already_evaluated(
    delegate, eshg, expect_problem, subtests
):
    eshg.put(f"{EVALUATIONS}/ES01", evaluation("2025-05-24T10:05:00+02:00"))

    for other in [
        evaluation("2025-05-24T10:05:01+02:00"),
        evaluation("2025-05-24T10:05:00+02:00", {**ANSWERS, "useful": 4}),
        evaluation("2025-05-24T10:05:00+02:00", {**ANSWERS, "useful": "5"}),
        evaluation("2025-05-24T10:05:00+02:00", {"useful": 5}),
    ]:
        with subtests.test(other=other):
            expect_problem(eshg.put(f"{EVALUATIONS}/ES01", other), 409, "already_evaluated")


def test_the_evaluation_opens_when_the_session_ends(delegate, eshg, clock, expect_problem):
    clock[0] = datetime(2025, 5, 26, 13, 0, tzinfo=UTC)

    early = eshg.put(f"{EVALUATIONS}/ES01", evaluation("2025-05-24T09:59:59+02:00"))
    on_time = eshg.put(f"{EVALUATIONS}/ES01", evaluation("2025-05-24T10:00:00+02:00"))
    during = eshg.put(f"{EVALUATIONS}/S12", evaluation("2025-05-26T12:29:59Z"))

    assert expect_problem(early, 409, "evaluation_not_open")["opens_at"] == "2025-05-24T08:00:00Z"
    assert on_time.status == 201
    opens_at = expect_problem(during, 409, "evaluation_not_open")["opens_at"]
    assert opens_at == "2025-05-26T12:30:00Z"  # S12 ends at 14:30 in Milan


def test_the_cet_claim_deadline_counts_its_last_second_whole(
    delegate, eshg, clock, expect_problem, subtests
):
    clock[0] = datetime(2025, 12, 2, 9, 0, tzinfo=UTC)
    for session_id, submitted_at in [
        ("ES01", "2025-11-30T22:59:59Z"),
        ("ES02", "2025-11-30T23:59:59+01:00"),
        ("ES03", "2025-11-30T23:59:59.999999+01:00"),
    ]:
        with subtests.test(submitted_at=submitted_at):
            answer = eshg.put(f"{EVALUATIONS}/{session_id}", evaluation(submitted_at))
            assert answer.status == 201

    for submitted_at in [
        "2025-11-30T23:00:00Z",
        "2025-12-01T00:00:00+01:00",
        "2025-11-30T23:59:59-05:00",
    ]:
        with subtests.test(submitted_at=submitted_at):
            answer = eshg.put(f"{EVALUATIONS}/S01", evaluation(submitted_at))
            expect_problem(answer, 409, "claim_deadline_passed")


def test_a_session_not_accredited_cannot_be_evaluated(delegate, eshg, expect_problem):
    answer = eshg.put(f"{EVALUATIONS}/CS01", evaluation("2025-05-24T12:05:00+02:00"))

    expect_problem(answer, 422, "session_not_accredited")
    assert eshg.get("/events/eshg2025/delegates/D0001/cart").body == {"items": []}


def test_an_evaluation_stamped_ahead_of_the_server_clock_is_invalid(
    delegate, eshg, clock, expect_problem
):
    clock[0] = datetime(2025, 5, 24, 8, 0, tzinfo=UTC)

    inside = eshg.put(f"{EVALUATIONS}/ES01", evaluation("2025-05-24T08:05:00Z"))
    beyond = eshg.put(f"{EVALUATIONS}/S01", evaluation("2025-05-24T08:05:01Z"))

    assert inside.status == 201
    expect_problem(beyond, 422, "invalid_request")


def test_answers_are_strings_or_integers(delegate, eshg, expect_problem, subtests):
    for answers in [
        {"useful": 4.5},
        {"useful": True},
        {"useful": None},
        {"useful": {"a": 1}},
        {"useful": [1]},
        {"": 1},
        [],
        {f"q{i}": 1 for i in range(201)},
    ]:
        with subtests.test(answers=str(answers)[:40]):
            body = evaluation("2025-05-24T10:05:00+02:00", answers)
            problem = expect_problem(eshg.put(f"{EVALUATIONS}/ES01", body), 422, "invalid_request")
            assert all(error["path"].startswith("body.answers") for error in problem["errors"])


def test_answers_too_large_to_store_are_422_not_500(delegate, eshg, expect_problem):
    # 200 answers of 10,000 characters fit the schema's item limits, but one evaluation is
    # one DynamoDB item (400 KB): 45 such answers, a 450 KB body, cannot be stored.
    large = {f"q{i:03d}": "x" * 10_000 for i in range(45)}
    fitting = {f"q{i:03d}": "x" * 10_000 for i in range(10)}

    too_large = eshg.put(f"{EVALUATIONS}/ES01", evaluation("2025-05-24T10:05:00+02:00", large))
    stored = eshg.put(f"{EVALUATIONS}/ES02", evaluation("2025-05-24T10:05:00+02:00", fitting))

    problem = expect_problem(too_large, 422, "invalid_request")
    assert [error["path"] for error in problem["errors"]] == ["body.answers"]
    assert stored.status == 201


def test_unknown_sessions_delegates_and_events_are_404(delegate, eshg, expect_problem, subtests):
    for path, code in [
        (f"{EVALUATIONS}/XX99", "unknown_session"),
        ("/events/eshg2025/delegates/D0404/evaluations/ES01", "unknown_delegate"),
        ("/events/nope/delegates/D0001/evaluations/ES01", "unknown_event"),
    ]:
        with subtests.test(path=path):
            answer = eshg.put(path, evaluation("2025-05-24T10:05:00+02:00"))
            expect_problem(answer, 404, code)
