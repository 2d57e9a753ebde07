"""Session evaluations: `PUT /events/{event_id}/delegates/{delegate_id}/evaluations/{session_id}`.

Validity is judged on `submitted_at`: at or after the session's live end, and no later than
the claim deadline, 30 November 2025 23:59:59 in Milan (CET, UTC+1), whose last second
counts whole: claims close at 2025-11-30T23:00:00Z.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
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


# --------------------------------------------------------------------------- claimed credits


@pytest.fixture
def self_claimed(delegate, eshg, programme_document):
    """ESHG 2025 with self-claimed credit in quarters (RULES.md, "Self-claimed credit")."""
    programme_document["event"]["policy"] = {"claims": "self_claimed", "claim_step": 0.25}
    assert eshg.put("/events/eshg2025", programme_document).status == 200
    return eshg


def claim(claimed: Any, submitted_at: str = "2025-05-24T10:05:00+02:00") -> dict[str, Any]:
    return {**evaluation(submitted_at), "claimed_credits": claimed}


def claims_of(store) -> dict[str, Any]:
    facts = store.delegate_record("eshg2025", "D0001").facts
    return {sid: e.claimed_credits for sid, e in facts.evaluations.items()}


def test_under_self_claimed_an_invalid_claim_is_refused_and_nothing_is_stored(
    self_claimed, expect_problem, stored_items, subtests
):
    # ES01 is worth 1.5, ES05 0.75; claims go in quarters.
    for session_id, claimed in [
        ("ES01", 0.3),  # not a multiple of the step
        ("ES01", 0.1),
        ("ES01", 1.3),
        ("ES01", 0),  # not positive
        ("ES01", 1.75),  # above the session's credits
        ("ES01", 2),
        ("ES05", 1),
        ("ES05", 1000),
    ]:
        with subtests.test(session_id=session_id, claimed=claimed):
            answer = self_claimed.put(f"{EVALUATIONS}/{session_id}", claim(claimed))
            expect_problem(answer, 422, "invalid_claim")
    assert stored_items("DEL#D0001#EVAL#") == []
    assert self_claimed.get("/events/eshg2025/delegates/D0001/cart").body == {"items": []}


def test_under_self_claimed_a_valid_claim_is_stored_with_its_evaluation(self_claimed, store):
    quarter_short = self_claimed.put(f"{EVALUATIONS}/ES01", claim(1.25))
    whole = self_claimed.put(f"{EVALUATIONS}/ES05", claim(0.75, "2025-05-24T13:50:00+02:00"))
    integer = self_claimed.put(f"{EVALUATIONS}/S01", claim(1, "2025-05-24T12:05:00+02:00"))
    unclaimed = self_claimed.put(f"{EVALUATIONS}/S03", evaluation("2025-05-24T15:05:00+02:00"))

    assert [a.status for a in (quarter_short, whole, integer, unclaimed)] == [201] * 4
    assert quarter_short.body == {
        "session_id": "ES01",
        "submitted_at": "2025-05-24T08:05:00Z",
        "duplicate": False,
    }
    assert claims_of(store) == {
        "ES01": Decimal("1.25"),
        "ES05": Decimal("0.75"),
        "S01": Decimal(1),
        "S03": None,
    }


def test_the_claim_is_final_with_the_evaluation(self_claimed, store, expect_problem, subtests):
    self_claimed.put(f"{EVALUATIONS}/ES01", claim(1.25))
    self_claimed.put(f"{EVALUATIONS}/ES02", evaluation("2025-05-24T10:05:00+02:00"))

    for path, raw in [
        ("ES01", claim(1.25)),
        (
            "ES01",
            '{"submitted_at": "2025-05-24T08:05:00Z", "answers": %s, "claimed_credits": 1.2500}',
        ),
        ("ES02", evaluation("2025-05-24T10:05:00+02:00")),
        ("ES02", claim(None)),
    ]:
        with subtests.test(path=path, raw=raw):
            if isinstance(raw, str):
                answer = self_claimed.put(f"{EVALUATIONS}/{path}", raw=raw % json.dumps(ANSWERS))
            else:
                answer = self_claimed.put(f"{EVALUATIONS}/{path}", raw)
            assert (answer.status, answer.body["duplicate"]) == (200, True)

    for path, other in [
        ("ES01", claim(1.5)),
        ("ES01", claim(1)),
        ("ES01", evaluation("2025-05-24T10:05:00+02:00")),  # the claim left out
        ("ES01", claim(0.3)),  # already_evaluated comes before the rules
        ("ES02", claim(1.5)),  # a claim added later
    ]:
        with subtests.test(path=path, other=other):
            answer = self_claimed.put(f"{EVALUATIONS}/{path}", other)
            expect_problem(answer, 409, "already_evaluated")
    assert claims_of(store) == {"ES01": Decimal("1.25"), "ES02": None}


def test_an_invalid_claim_comes_before_the_evaluation_window(self_claimed, clock, expect_problem):
    clock[0] = datetime(2025, 12, 10, 12, 0, tzinfo=UTC)
    early = self_claimed.put(f"{EVALUATIONS}/ES01", claim(0.3, "2025-05-24T09:00:00+02:00"))
    late = self_claimed.put(f"{EVALUATIONS}/ES01", claim(2, "2025-12-05T09:00:00+01:00"))

    expect_problem(early, 422, "invalid_claim")
    expect_problem(late, 422, "invalid_claim")


def test_under_earned_a_stated_claim_is_stored_and_ignored(delegate, eshg, store, subtests):
    for session_id, claimed in [("ES01", 0.3), ("ES02", 7), ("ES03", 1.5)]:
        with subtests.test(session_id=session_id, claimed=claimed):
            answer = eshg.put(f"{EVALUATIONS}/{session_id}", claim(claimed))
            assert answer.status == 201

    assert claims_of(store) == {
        "ES01": Decimal("0.3"),
        "ES02": Decimal(7),
        "ES03": Decimal("1.5"),
    }
    scan = {
        "scan_id": "s-1",
        "delegate_id": "D0001",
        "station_id": "cme-desk-1",
        "scanned_at": "2025-05-24T08:01:00+02:00",
    }
    assert eshg.post("/events/eshg2025/scans", scan).status == 201
    statement = eshg.get("/events/eshg2025/delegates/D0001/credits").body
    assert statement["total"] == 1.5  # the slot's 1.5, not the 0.3 claimed


@pytest.mark.usefixtures("delegate")
@pytest.mark.parametrize("policy", ["earned", "self_claimed"])
def test_a_claim_that_is_not_a_number_in_range_is_an_invalid_request(
    policy, eshg, programme_document, expect_problem, stored_items
):
    programme_document["event"]["policy"] = {"claims": policy}
    assert eshg.put("/events/eshg2025", programme_document).status == 200
    malformed = ["abc", "1.25", True, False, [1.25], {"credits": 1.25}, -0.25, -1, 1000.25, 1e-05]
    bodies = [json.dumps(claim(claimed)) for claimed in malformed]
    bodies.append(json.dumps(claim(1)).replace(": 1}", ": 1e400}"))  # a number no store keeps
    for body in bodies:
        problem = expect_problem(eshg.put(f"{EVALUATIONS}/ES01", raw=body), 422, "invalid_request")
        assert [error["path"] for error in problem["errors"]] == ["body.claimed_credits"], body
    assert stored_items("DEL#D0001#EVAL#") == []


def test_the_claim_reaches_the_statement(self_claimed):
    """Through the handlers to the engine: the session is worth the claim, at most what
    was earned; a session evaluated without a claim is not_claimed."""
    scan = {
        "scan_id": "s-1",
        "delegate_id": "D0001",
        "station_id": "cme-desk-1",
        "scanned_at": "2025-05-24T08:01:00+02:00",
    }
    assert self_claimed.post("/events/eshg2025/scans", scan).status == 201
    assert self_claimed.put(f"{EVALUATIONS}/ES01", claim(1.25)).status == 201
    unclaimed = evaluation("2025-05-24T12:05:00+02:00")
    assert self_claimed.put(f"{EVALUATIONS}/S01", unclaimed).status == 201

    statement = self_claimed.get("/events/eshg2025/delegates/D0001/credits").body

    assert statement["total"] == 1.25
    assert {i["session_id"]: (i["status"], i["amount"]) for i in statement["cart"]} == {
        "ES01": ("credited", 1.25),
        "S01": ("not_claimed", 0),
    }
