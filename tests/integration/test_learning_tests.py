"""Professions and learning tests through the handlers (issue 12): delegates' professions,
a programme replacement that would drop one, the test as the platform reads it (never the
key), attempts graded by the service with the limit, the pass, the deadline and retries,
and eight simultaneous attempts of one delegate ending with exactly the allowed number
stored. The programme is RULES.md's worked variant (`tests.ecm`), loaded through the API."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

import pytest

from cme.jsonio import dumps
from cme.store.repository import DynamoStore
from cme_tools.local.functions import Answer, Functions
from tests import ecm

pytestmark = pytest.mark.usefixtures("parsed_once")

EVENT = ecm.EVENT
DELEGATES = f"/events/{EVENT}/delegates"


def as_json(document: dict[str, Any]) -> dict[str, Any]:
    return json.loads(dumps(document))


def attempt_path(delegate_id: str, test_id: str = "final") -> str:
    return f"{DELEGATES}/{delegate_id}/tests/{test_id}/attempts"


def attempt(attempt_id: str, answers: dict[str, int], at: datetime = ecm.TESTED) -> dict[str, Any]:
    return {"attempt_id": attempt_id, "submitted_at": at.isoformat(), "answers": answers}


def load(client: Functions, change: Callable[[dict[str, Any]], None] | None = None) -> Functions:
    document = ecm.document()
    if change is not None:
        change(document)
    answer = client.put(f"/events/{EVENT}", as_json(document))
    assert answer.status in (200, 201), answer.body
    return client


def register(client: Functions, delegate_id: str, profession: str | None) -> Answer:
    body: dict[str, Any] = {"name": f"Delegato {delegate_id}", "attendance": "in_person"}
    if profession is not None:
        body["profession"] = profession
    return client.put(f"{DELEGATES}/{delegate_id}", body)


def three_attempts(document: dict[str, Any]) -> None:
    document["event"]["post_test"]["attempts"] = "3"


@pytest.fixture
def ecm_event(client: Functions) -> Functions:
    load(client)
    for delegate_id, profession in (("N1", "nurse"), ("P1", "physician"), ("F1", "pharmacist")):
        assert register(client, delegate_id, profession).status == 201
    return client


# --------------------------------------------------------------------------- programme


def test_the_programme_is_read_back_without_the_answer_key(
    ecm_event: Functions, store: DynamoStore
) -> None:
    read = ecm_event.get(f"/events/{EVENT}")
    assert read.status == 200
    assert "answer" not in read.text
    assert [q["id"] for q in read.body["event"]["post_test"]["questions"]] == ["q1", "q2", "q3"]
    stored = store.latest_programme(EVENT)
    assert stored is not None
    assert [q["answer"] for q in stored.document["event"]["post_test"]["questions"]] == [1, 0, 2]


def test_an_invalid_test_is_refused_with_every_problem(
    client: Functions, expect_problem: Any
) -> None:
    document = ecm.document()
    document["event"]["post_test"]["questions"][0]["answer"] = "5"
    document["event"]["accreditation"]["professions"] = ["dentist"]
    problem = expect_problem(
        client.put(f"/events/{EVENT}", as_json(document)), 422, "invalid_programme"
    )
    assert {(e["path"], e["code"]) for e in problem["errors"]} == {
        ("event.post_test.questions[0].answer", "answer_outside_options"),
        ("event.accreditation.professions[0]", "unknown_profession"),
    }


# --------------------------------------------------------------------------- delegates


def test_a_profession_must_be_one_of_the_programme(
    ecm_event: Functions, expect_problem: Any
) -> None:
    expect_problem(register(ecm_event, "X1", "dentist"), 422, "unknown_profession")
    assert ecm_event.get(f"{DELEGATES}/X1/credits").code == "unknown_delegate"
    assert register(ecm_event, "X2", None).status == 201  # the profession stays optional
    assert register(ecm_event, "N1", "physician").status == 200


def test_any_profession_when_the_programme_lists_none(eshg: Functions) -> None:
    answer = eshg.put(
        "/events/eshg2025/delegates/D9", {"name": "Z", "attendance": "online", "profession": "x"}
    )
    assert answer.status == 201


def test_a_replacement_may_not_drop_a_profession_a_delegate_holds(
    ecm_event: Functions, expect_problem: Any
) -> None:
    def no_nurses(document: dict[str, Any]) -> None:
        event = document["event"]
        event["professions"] = [p for p in event["professions"] if p["id"] != "nurse"]
        event["accreditation"]["professions"] = ["physician"]

    document = ecm.document()
    no_nurses(document)
    problem = expect_problem(
        ecm_event.put(f"/events/{EVENT}", as_json(document)), 422, "invalid_programme"
    )
    assert [(e["path"], e["code"]) for e in problem["errors"]] == [
        ("event.professions", "referenced_profession_removed")
    ]
    # No pharmacist left registered: dropping that profession is a plain replacement.
    assert register(ecm_event, "F1", "physician").status == 200
    document = ecm.document()
    document["event"]["professions"].pop()  # pharmacist
    assert ecm_event.put(f"/events/{EVENT}", as_json(document)).status == 200


def test_listing_professions_at_last_checks_the_delegates_registered_before(
    client: Functions, expect_problem: Any
) -> None:
    def unlisted(document: dict[str, Any]) -> None:
        event = document["event"]
        del event["professions"]
        del event["accreditation"]["professions"]
        del event["conversions"][0]["professions"]

    load(client, unlisted)
    assert register(client, "V1", "veterinarian").status == 201
    problem = expect_problem(
        client.put(f"/events/{EVENT}", as_json(ecm.document())), 422, "invalid_programme"
    )
    assert problem["errors"][0]["code"] == "referenced_profession_removed"


# --------------------------------------------------------------------------- the test


def test_the_platform_reads_a_test_without_its_key(
    ecm_event: Functions, expect_problem: Any
) -> None:
    answer = ecm_event.get(f"/events/{EVENT}/tests/final")
    assert answer.status == 200
    assert answer.body == {
        "test_id": "final",
        "session_id": None,
        "pass": 0.75,
        "attempts": 1,
        "questions": [
            {"id": "q1", "text": "Prima?", "options": ["a", "b", "c"]},
            {"id": "q2", "text": "Seconda?", "options": ["a", "b"]},
            {"id": "q3", "text": "Terza?", "options": ["a", "b", "c"]},
        ],
    }
    expect_problem(ecm_event.get(f"/events/{EVENT}/tests/nope"), 404, "unknown_test")
    expect_problem(ecm_event.get("/events/nope/tests/final"), 404, "unknown_event")


def test_an_attempt_is_graded_and_the_only_attempt_is_the_last(
    ecm_event: Functions, expect_problem: Any
) -> None:
    first = ecm_event.post(attempt_path("P1"), attempt("p1-a", ecm.FAILING))
    assert (first.status, first.body) == (
        201,
        {"attempt_id": "p1-a", "score": 0.6667, "passed": False, "attempts_left": 0},
    )
    expect_problem(
        ecm_event.post(attempt_path("P1"), attempt("p1-b", ecm.PASSING)), 409, "no_attempts_left"
    )
    statement = ecm_event.get(f"{DELEGATES}/P1/credits").body
    assert statement["test_passed"] is False and statement["total"] == 0
    assert statement["tests"] == [
        {"test_id": "final", "passed": False, "attempts_used": 1, "attempts_left": 0}
    ]


def test_once_passed_no_more_attempts(client: Functions, expect_problem: Any) -> None:
    load(client, three_attempts)
    register(client, "N1", "nurse")
    failed = client.post(attempt_path("N1"), attempt("n-1", ecm.FAILING))
    assert (failed.status, failed.body["attempts_left"]) == (201, 2)
    passed = client.post(attempt_path("N1"), attempt("n-2", ecm.PASSING))
    assert (passed.status, passed.body["passed"], passed.body["score"]) == (201, True, 1)
    assert passed.body["attempts_left"] == 0
    expect_problem(
        client.post(attempt_path("N1"), attempt("n-3", ecm.PASSING)), 409, "already_passed"
    )
    statement = client.get(f"{DELEGATES}/N1/credits").body
    assert statement["test_passed"] is True
    assert statement["tests"][0] == {
        "test_id": "final",
        "passed": True,
        "attempts_used": 2,
        "attempts_left": 0,
    }


def test_an_attempt_before_the_sessions_end_or_after_the_deadline_is_refused(
    ecm_event: Functions, clock: list[datetime], expect_problem: Any
) -> None:
    early = expect_problem(
        ecm_event.post(attempt_path("N1"), attempt("n-early", ecm.PASSING, ecm.at("12:59"))),
        409,
        "test_not_open",
    )
    assert early["opens_at"] == "2025-06-12T11:00:00Z"
    clock[0] = datetime.fromisoformat("2025-07-02T12:00:00+00:00")
    late = datetime.fromisoformat("2025-07-01T00:00:00+02:00")  # the deadline's next second
    expect_problem(
        ecm_event.post(attempt_path("N1"), attempt("n-late", ecm.PASSING, late)),
        409,
        "claim_deadline_passed",
    )
    last = late - timedelta(seconds=1)
    assert ecm_event.post(attempt_path("N1"), attempt("n-last", ecm.PASSING, last)).status == 201


def test_a_retry_by_attempt_id_is_answered_as_the_first_time(
    ecm_event: Functions, clock: list[datetime], expect_problem: Any
) -> None:
    body = attempt("n-1", ecm.FAILING)
    first = ecm_event.post(attempt_path("N1"), body)
    assert first.status == 201
    again = ecm_event.post(attempt_path("N1"), body)
    assert (again.status, again.body) == (200, first.body)
    # A retry is answered the same even once the rules would refuse a new attempt.
    clock[0] = datetime.fromisoformat("2025-08-01T12:00:00+00:00")
    assert ecm_event.post(attempt_path("N1"), body).status == 200
    expect_problem(
        ecm_event.post(attempt_path("N1"), attempt("n-1", ecm.PASSING)), 409, "id_reused"
    )


def test_the_answers_are_every_question_once_with_one_of_its_options(
    ecm_event: Functions, expect_problem: Any
) -> None:
    for answers in ({"q1": 1, "q2": 0}, {**ecm.PASSING, "q4": 0}, {**ecm.PASSING, "q2": 2}):
        refused = expect_problem(
            ecm_event.post(attempt_path("N1"), attempt("n-x", answers)), 422, "invalid_request"
        )
        assert "answers." in refused["errors"][0]["path"]
    expect_problem(
        ecm_event.post(attempt_path("N1"), attempt("n-y", {**ecm.PASSING, "q1": "b"})),  # type: ignore[dict-item]
        422,
        "invalid_request",
    )
    # Nothing was stored: the one attempt is still there to take.
    assert ecm_event.post(attempt_path("N1"), attempt("n-z", ecm.PASSING)).status == 201


def test_unknown_delegate_and_test_are_404(ecm_event: Functions, expect_problem: Any) -> None:
    expect_problem(
        ecm_event.post(attempt_path("ZZ"), attempt("z", ecm.PASSING)), 404, "unknown_delegate"
    )
    expect_problem(
        ecm_event.post(attempt_path("ZZ", "nope"), attempt("z", ecm.PASSING)),
        404,
        "unknown_delegate",
    )
    expect_problem(
        ecm_event.post(attempt_path("N1", "nope"), attempt("z", ecm.PASSING)), 404, "unknown_test"
    )


# --------------------------------------------------------------------------- the race


@pytest.fixture
def serialised_moto(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto in-process handles each request in the calling thread: one request at a time,
    as DynamoDB applies a transaction whole (otherwise moto's own steps interleave)."""
    from moto.core.responses import BaseResponse

    lock = threading.Lock()
    original = BaseResponse.call_action

    def call_action(self: BaseResponse) -> Any:
        with lock:
            return original(self)

    monkeypatch.setattr(BaseResponse, "call_action", call_action)


@pytest.mark.usefixtures("serialised_moto")
@pytest.mark.parametrize("answers", [ecm.FAILING, ecm.PASSING], ids=["failing", "passing"])
def test_eight_simultaneous_attempts_store_exactly_what_is_allowed(
    client: Functions, stored_items: Any, answers: dict[str, int]
) -> None:
    load(client, three_attempts)
    register(client, "N1", "nurse")
    barrier = threading.Barrier(8)

    def one(i: int) -> Answer:
        barrier.wait()
        return client.post(attempt_path("N1"), attempt(f"race-{i}", answers))

    with ThreadPoolExecutor(8) as pool:
        answers_given = list(pool.map(one, range(8)))
    outcomes = Counter((a.status, a.code) for a in answers_given)
    stored = stored_items("DEL#N1#ATTEMPT#")
    if answers is ecm.FAILING:
        assert outcomes == {(201, None): 3, (409, "no_attempts_left"): 5}
        assert len(stored) == 3
    else:
        assert outcomes == {(201, None): 1, (409, "already_passed"): 7}
        assert len(stored) == 1
    (standing,) = stored_items("DEL#N1#TESTS#")
    assert int(standing["used"]["N"]) == len(stored)


# --------------------------------------------------------------------------- statements


def test_the_worked_variant_through_the_api(ecm_event: Functions) -> None:
    """RULES.md's worked variant: nurse 4.0 without the AMA line, physician 0 with
    test_passed false, pharmacist not eligible."""
    for delegate_id, scans, answers in (
        ("N1", ecm.NURSE_SCANS, ecm.PASSING),
        ("P1", ecm.PHYSICIAN_SCANS, ecm.FAILING),
        ("F1", ecm.NURSE_SCANS, ecm.PASSING),
    ):
        for i, (clock_time, direction) in enumerate(scans):
            scan = {
                "scan_id": f"{delegate_id}-{i}",
                "delegate_id": delegate_id,
                "station_id": "aula-1",
                "scanned_at": ecm.at(clock_time).isoformat(),
                "room": "Aula 1",
                "direction": direction,
            }
            assert ecm_event.post(f"/events/{EVENT}/scans", scan).status == 201
        for session_id in ("A", "B"):
            evaluation = {"submitted_at": ecm.EVALUATED.isoformat(), "answers": {"q": 5}}
            path = f"{DELEGATES}/{delegate_id}/evaluations/{session_id}"
            assert ecm_event.put(path, evaluation).status == 201
        body = attempt(f"{delegate_id}-t", answers)
        assert ecm_event.post(attempt_path(delegate_id), body).status == 201
    nurse, physician, pharmacist = (
        ecm_event.get(f"{DELEGATES}/{d}/credits").body for d in ("N1", "P1", "F1")
    )
    assert (nurse["total"], nurse["conversions"], nurse["test_passed"]) == (4.0, [], True)
    assert nurse["certificate_ready"] is True
    assert (physician["total"], physician["test_passed"]) == (0, False)
    assert [(c["status"], c["amount"]) for c in physician["cart"]] == [
        ("no_evidence", 0),
        ("credited", 2.0),
    ]
    assert physician["conversions"] == [{"name": "AMA PRA Category 1 Credits", "credits": 0}]
    assert (pharmacist["eligible"], pharmacist["total"]) == (False, 0)
