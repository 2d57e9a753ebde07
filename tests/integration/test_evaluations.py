"""Session evaluations: `PUT /events/{event_id}/delegates/{delegate_id}/evaluations/{session_id}`.

Validity is judged on `submitted_at`: at or after the session's live end, and no later than
the claim deadline, 30 November 2025 23:59:59 in Milan (CET, UTC+1), whose last second
counts whole: claims close at 2025-11-30T23:00:00Z.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

EVALUATIONS = "/events/eshg2025/delegates/D0001/evaluations"
ANSWERS = {"useful": 5, "comment": "Clear and practical", "bias": "none"}


def evaluation(submitted_at: str, answers: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"submitted_at": submitted_at, "answers": ANSWERS if answers is None else answers}


def test_an_evaluation_is_stored_and_its_session_joins_the_cart(delegate, eshg):
    answer = eshg.put(f"{EVALUATIONS}/ES01", evaluation("2025-05-24T10:05:00+02:00"))

    assert answer.status == 201
    assert answer.body == {
        "session_id": "ES01",
        "submitted_at": "2025-05-24T08:05:00Z",
        "duplicate": False,
    }
    cart = eshg.get("/events/eshg2025/delegates/D0001/cart").body["items"]
    assert [(item["session_id"], item["evaluation"]) for item in cart] == [("ES01", "done")]


def test_an_evaluation_of_a_session_already_in_the_cart(delegate, eshg):
    eshg.put("/events/eshg2025/delegates/D0001/cart/ES01")

    answer = eshg.put(f"{EVALUATIONS}/ES01", evaluation("2025-05-24T10:05:00+02:00"))

    assert answer.status == 201
    cart = eshg.get("/events/eshg2025/delegates/D0001/cart").body["items"]
    assert [(item["session_id"], item["evaluation"]) for item in cart] == [("ES01", "done")]


@pytest.mark.parametrize(
    "retry",
    [
        evaluation("2025-05-24T10:05:00+02:00"),
        evaluation("2025-05-24T08:05:00Z"),  # the same instant
        evaluation("2025-05-24T10:05:00+02:00", dict(reversed(ANSWERS.items()))),
    ],
)
def test_a_retry_with_the_same_instant_and_answers_is_200(delegate, eshg, retry):
    eshg.put(f"{EVALUATIONS}/ES01", evaluation("2025-05-24T10:05:00+02:00"))

    answer = eshg.put(f"{EVALUATIONS}/ES01", retry)

    assert answer.status == 200
    assert answer.body["duplicate"] is True


@pytest.mark.parametrize(
    "other",
    [
        evaluation("2025-05-24T10:05:01+02:00"),
        evaluation("2025-05-24T10:05:00+02:00", {**ANSWERS, "useful": 4}),
        evaluation("2025-05-24T10:05:00+02:00", {**ANSWERS, "useful": "5"}),
        evaluation("2025-05-24T10:05:00+02:00", {"useful": 5}),
    ],
)
def test_another_evaluation_of_the_same_session_is_already_evaluated(
    delegate, eshg, expect_problem, other
):
    eshg.put(f"{EVALUATIONS}/ES01", evaluation("2025-05-24T10:05:00+02:00"))

    expect_problem(eshg.put(f"{EVALUATIONS}/ES01", other), 409, "already_evaluated")


def test_an_evaluation_before_the_session_ends_is_not_open(delegate, eshg, expect_problem):
    answer = eshg.put(f"{EVALUATIONS}/ES01", evaluation("2025-05-24T09:59:59+02:00"))

    problem = expect_problem(answer, 409, "evaluation_not_open")
    assert problem["opens_at"] == "2025-05-24T08:00:00Z"


def test_the_evaluation_opens_when_the_session_ends(delegate, eshg, expect_problem):
    answer = eshg.put(f"{EVALUATIONS}/ES01", evaluation("2025-05-24T10:00:00+02:00"))

    assert answer.status == 201


def test_opens_at_is_the_end_of_the_session_in_utc(delegate, eshg, clock, expect_problem):
    clock[0] = datetime(2025, 5, 26, 8, 0, tzinfo=UTC)

    answer = eshg.put(f"{EVALUATIONS}/S12", evaluation("2025-05-26T08:00:00Z"))

    problem = expect_problem(answer, 409, "evaluation_not_open")
    assert problem["opens_at"] == "2025-05-26T12:30:00Z"  # 14:30 in Milan


@pytest.mark.parametrize(
    "submitted_at",
    [
        "2025-11-30T22:59:59Z",
        "2025-11-30T23:59:59+01:00",
        "2025-11-30T23:59:59.999999+01:00",  # the deadline's last second counts whole
    ],
)
def test_an_evaluation_up_to_the_cet_claim_deadline_is_taken(delegate, eshg, clock, submitted_at):
    clock[0] = datetime(2025, 12, 1, 9, 0, tzinfo=UTC)

    assert eshg.put(f"{EVALUATIONS}/ES01", evaluation(submitted_at)).status == 201


@pytest.mark.parametrize(
    "submitted_at",
    ["2025-11-30T23:00:00Z", "2025-12-01T00:00:00+01:00", "2025-11-30T23:59:59-05:00"],
)
def test_an_evaluation_after_the_claim_deadline_is_refused(
    delegate, eshg, clock, expect_problem, submitted_at
):
    clock[0] = datetime(2025, 12, 2, 9, 0, tzinfo=UTC)

    answer = eshg.put(f"{EVALUATIONS}/ES01", evaluation(submitted_at))

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


def test_a_past_congress_can_be_replayed(delegate, eshg, clock):
    clock[0] = datetime(2025, 11, 30, 12, 0, tzinfo=UTC)

    answer = eshg.put(f"{EVALUATIONS}/ES01", evaluation("2025-05-24T10:05:00+02:00"))

    assert answer.status == 201


@pytest.mark.parametrize(
    "answers",
    [{"useful": 4.5}, {"useful": True}, {"useful": None}, {"useful": {"a": 1}}, {"": 1}, []],
)
def test_answers_are_strings_or_integers(delegate, eshg, expect_problem, answers):
    answer = eshg.put(f"{EVALUATIONS}/ES01", evaluation("2025-05-24T10:05:00+02:00", answers))

    problem = expect_problem(answer, 422, "invalid_request")
    assert any("answers" in error["path"] for error in problem["errors"])


def test_an_unknown_session_is_404(delegate, eshg, expect_problem):
    answer = eshg.put(f"{EVALUATIONS}/XX99", evaluation("2025-05-24T10:05:00+02:00"))

    expect_problem(answer, 404, "unknown_session")


def test_an_unregistered_delegate_is_404(eshg, expect_problem):
    answer = eshg.put(
        "/events/eshg2025/delegates/D0404/evaluations/ES01",
        evaluation("2025-05-24T10:05:00+02:00"),
    )

    expect_problem(answer, 404, "unknown_delegate")


def test_an_unknown_event_is_404(client, expect_problem):
    answer = client.put(
        "/events/nope/delegates/D0001/evaluations/ES01", evaluation("2025-05-24T10:05:00+02:00")
    )

    expect_problem(answer, 404, "unknown_event")
