"""When several errors apply, the first wins (CONTRACT.md, Conventions): request shape;
404 `unknown_event`, `unknown_delegate`, `unknown_session`; the idempotent 200;
`already_evaluated` / `id_reused`; then the rules, properties of the session before times
(`not_recorded` before `outside_on_demand_window`, `scanned_in_future` before
`not_a_conference_day`). And a refused scan: no fact, kept with its reason, judged afresh."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from tests.integration.conftest import scan_body as scan

pytestmark = pytest.mark.usefixtures("parsed_once")

EVENT = "/events/eshg2025"
D0001 = f"{EVENT}/delegates/D0001"
STRANGER = f"{EVENT}/delegates/D0404"


def view(session_id: str, kind: str, watched_at: str, view_id: str = "v-1") -> dict[str, Any]:
    return {"view_id": view_id, "session_id": session_id, "kind": kind, "watched_at": watched_at}


def evaluation(submitted_at: str, **answers: Any) -> dict[str, Any]:
    return {"submitted_at": submitted_at, "answers": answers or {"useful": 5}}


def replace_session(client: Any, document: dict[str, Any], session_id: str, **change: Any) -> None:
    """The organiser corrects one session of the programme."""
    for session in document["sessions"]:
        if session["id"] == session_id:
            session.update(change)
    assert client.put(EVENT, document).status == 200


# --------------------------------------------------------------------------- the 404s


# Every route with an event, delegate or session id; the session, where there is one, is XX99.
ROUTES = [
    ("POST", "/events/{e}/scans", scan("s-1", "2025-05-24T08:01:00+02:00", "{d}")),
    ("POST", "/events/{e}/delegates/{d}/views", view("XX99", "on_demand", "2025-06-10T19:30:00Z")),
    ("PUT", "/events/{e}/delegates/{d}/cart/XX99", None),
    ("DELETE", "/events/{e}/delegates/{d}/cart/XX99", None),
    ("PUT", "/events/{e}/delegates/{d}/evaluations/XX99", evaluation("2025-06-10T19:30:00Z")),
    ("GET", "/events/{e}/delegates/{d}/cart", None),
    ("GET", "/events/{e}/delegates/{d}/credits", None),
]


def test_unknown_event_before_unknown_delegate_before_unknown_session(
    delegate, eshg, expect_problem, subtests
):
    for event_id, delegate_id, code in [
        ("nope", "D0404", "unknown_event"),
        ("eshg2025", "D0404", "unknown_delegate"),
        ("eshg2025", "D0001", "unknown_session"),
    ]:
        for method, template, body in ROUTES:
            if code == "unknown_session" and "XX99" not in f"{template}{body}":
                continue  # a route without a session: nothing unknown is left
            path = template.format(e=event_id, d=delegate_id)
            payload = body and {
                k: v if k != "delegate_id" else delegate_id for k, v in body.items()
            }
            with subtests.test(method=method, path=path):
                expect_problem(eshg.call(method, path, payload), 404, code)


def test_the_request_shape_comes_before_the_404s(client, expect_problem):
    bad_scan = {**scan("s-1", "2025-05-24T08:01:00"), "delegate_id": "D0404"}
    expect_problem(client.post("/events/nope/scans", bad_scan), 422, "invalid_request")
    expect_problem(client.post("/events/nope/scans", raw="[]"), 400, "invalid_request")
    expect_problem(client.post("/events/nope/scans/batch", {"scans": []}), 422, "invalid_request")
    expect_problem(
        client.put("/events/nope/delegates/D0404/evaluations/XX99", {"answers": {}}),
        422,
        "invalid_request",
    )
    expect_problem(client.get("/events/nope/report", query="limit=0"), 422, "invalid_request")


def test_an_unknown_delegate_comes_before_the_rules(eshg, clock, expect_problem, subtests):
    clock[0] = datetime(2025, 5, 24, 8, 0, tzinfo=UTC)
    for method, path, body in [
        ("POST", f"{EVENT}/scans", scan("s-1", "2025-05-23T08:01:00+02:00", "D0404")),
        ("POST", f"{EVENT}/scans", scan("s-2", "2025-05-24T09:00:00Z", "D0404")),  # future
        ("POST", f"{STRANGER}/views", view("ES04", "on_demand", "2025-05-20T10:00:00Z")),
        ("POST", f"{STRANGER}/views", view("ES01", "live", "2025-05-24T12:00:00+02:00")),
        ("PUT", f"{STRANGER}/cart/CS01", None),
        ("PUT", f"{STRANGER}/evaluations/CS01", evaluation("2025-05-24T08:00:00Z")),
        ("PUT", f"{STRANGER}/evaluations/ES01", evaluation("2025-05-24T07:00:00Z")),
        ("PUT", f"{STRANGER}/evaluations/ES01", evaluation("2025-07-24T07:00:00Z")),
    ]:
        with subtests.test(method=method, path=path, body=body):
            expect_problem(eshg.call(method, path, body), 404, "unknown_delegate")


# --------------------------------------------------------------------------- the idempotent 200


def test_a_repeated_scan_is_200_even_when_it_would_now_be_refused(delegate, eshg, clock):
    clock[0] = datetime(2025, 5, 24, 8, 0, tzinfo=UTC)
    assert eshg.post(f"{EVENT}/scans", scan("s-1", "2025-05-24T08:04:00Z")).status == 201
    clock[0] = datetime(2025, 5, 24, 7, 55, tzinfo=UTC)  # the server's clock was corrected

    answer = eshg.post(f"{EVENT}/scans", scan("s-1", "2025-05-24T08:04:00Z"))

    assert (answer.status, answer.body["duplicate"]) == (200, True)


def test_a_repeated_view_is_200_after_the_session_moved(delegate, eshg, programme_document):
    body = view("ES01", "live", "2025-05-24T08:40:00+02:00")
    assert eshg.post(f"{D0001}/views", body).status == 201
    replace_session(eshg, programme_document, "ES01", start="09:00")

    answer = eshg.post(f"{D0001}/views", body)

    assert (answer.status, answer.body["duplicate"]) == (200, True)


def test_a_repeated_evaluation_is_200_after_the_session_changed(
    delegate, eshg, programme_document, clock
):
    body = evaluation("2025-05-24T09:55:00+02:00")
    replace_session(eshg, programme_document, "ES01", end="09:30")
    assert eshg.put(f"{D0001}/evaluations/ES01", body).status == 201
    replace_session(eshg, programme_document, "ES01", end="10:00", accredited=False)
    clock[0] = datetime(2025, 12, 24, tzinfo=UTC)  # and claims have closed meanwhile

    answer = eshg.put(f"{D0001}/evaluations/ES01", body)

    assert (answer.status, answer.body["duplicate"]) == (200, True)


def test_a_session_already_in_the_cart_is_200_after_it_lost_its_accreditation(
    delegate, eshg, programme_document
):
    assert eshg.put(f"{D0001}/cart/S01").status == 201
    replace_session(eshg, programme_document, "S01", accredited=False)

    assert eshg.put(f"{D0001}/cart/S01").status == 200


# --------------------------------------------------------------------------- then conflicts


def test_a_reused_scan_id_comes_before_the_rules(delegate, eshg, clock, expect_problem):
    clock[0] = datetime(2025, 5, 24, 8, 0, tzinfo=UTC)
    eshg.post(f"{EVENT}/scans", scan("s-1", "2025-05-24T08:01:00+02:00"))

    on_no_day = eshg.post(f"{EVENT}/scans", scan("s-1", "2025-05-23T08:01:00+02:00"))
    in_future = eshg.post(f"{EVENT}/scans", scan("s-1", "2025-05-24T09:00:00Z"))

    expect_problem(on_no_day, 409, "id_reused")
    expect_problem(in_future, 409, "id_reused")


def test_a_reused_view_id_comes_before_the_rules(delegate, eshg, expect_problem):
    eshg.post(f"{D0001}/views", view("ES01", "on_demand", "2025-06-10T19:30:00+02:00"))

    for body in [
        view("ES04", "on_demand", "2025-06-10T19:30:00+02:00"),  # not recorded
        view("ES01", "live", "2025-06-10T19:30:00+02:00"),  # after the session
        view("ES01", "on_demand", "2025-05-20T19:30:00+02:00"),  # before it
    ]:
        expect_problem(eshg.post(f"{D0001}/views", body), 409, "id_reused")


def test_already_evaluated_comes_before_the_rules(
    delegate, eshg, expect_problem, programme_document, clock
):
    eshg.put(f"{D0001}/evaluations/ES01", evaluation("2025-05-24T10:05:00+02:00"))

    not_open = evaluation("2025-05-24T09:00:00+02:00")
    expect_problem(eshg.put(f"{D0001}/evaluations/ES01", not_open), 409, "already_evaluated")
    clock[0] = datetime(2025, 12, 24, tzinfo=UTC)
    too_late = evaluation("2025-12-01T10:00:00+01:00")
    expect_problem(eshg.put(f"{D0001}/evaluations/ES01", too_late), 409, "already_evaluated")
    replace_session(eshg, programme_document, "ES01", accredited=False)
    other = evaluation("2025-05-24T10:05:00+02:00", useful=1)
    expect_problem(eshg.put(f"{D0001}/evaluations/ES01", other), 409, "already_evaluated")


# --------------------------------------------------------------------------- then the rules


def test_properties_of_the_session_come_before_times(delegate, eshg, clock, expect_problem):
    # not_recorded before outside_on_demand_window (and before view_before_session)
    for watched_at in ["2025-05-26T12:00:00+02:00", "2025-05-24T09:00:00+02:00"]:
        answer = eshg.post(f"{D0001}/views", view("ES04", "on_demand", watched_at))
        expect_problem(answer, 422, "not_recorded")

    # session_not_accredited before evaluation_not_open and claim_deadline_passed
    for submitted_at, now in [
        ("2025-05-24T10:05:00+02:00", datetime(2025, 5, 24, 9, tzinfo=UTC)),  # before its end
        ("2025-12-01T10:00:00+01:00", datetime(2025, 12, 1, 10, tzinfo=UTC)),  # after deadline
    ]:
        clock[0] = now
        answer = eshg.put(f"{D0001}/evaluations/CS01", evaluation(submitted_at))
        expect_problem(answer, 422, "session_not_accredited")

    # scanned_in_future before not_a_conference_day
    clock[0] = datetime(2025, 5, 23, 12, 0, tzinfo=UTC)
    answer = eshg.post(f"{EVENT}/scans", scan("s-1", "2025-05-23T20:00:00+02:00"))
    expect_problem(answer, 422, "scanned_in_future")


# --------------------------------------------------------------------------- refused scans


def test_a_refused_scan_is_kept_apart_and_judged_afresh_when_resent(
    eshg, store, stored_items, clock, expect_problem
):
    body = scan("9f1c-late", "2025-05-24T08:01:00+02:00", "D0777")
    expect_problem(eshg.post(f"{EVENT}/scans", body), 404, "unknown_delegate")

    assert stored_items("DEL#") == []
    assert stored_items("SCANID#") == []
    (refused,) = store.refused_scans("eshg2025")
    assert (refused.scan_id, refused.delegate_id, refused.code) == (
        "9f1c-late",
        "D0777",
        "unknown_delegate",
    )
    assert refused.received_at == clock[0]

    clock[0] = datetime(2025, 6, 16, tzinfo=UTC)
    eshg.put(f"{EVENT}/delegates/D0777", {"name": "Late Registrant", "attendance": "in_person"})
    answer = eshg.post(f"{EVENT}/scans", body)

    assert (answer.status, answer.body["day"], answer.body["duplicate"]) == (
        201,
        "2025-05-24",
        False,
    )
    assert len(stored_items("DEL#D0777#SCAN#")) == 1
    assert [r.code for r in store.refused_scans("eshg2025")] == ["unknown_delegate"]  # history


def test_a_scan_refused_by_a_rule_is_kept_and_a_corrected_resend_is_taken(
    delegate, eshg, store, clock, expect_problem
):
    clock[0] = datetime(2025, 5, 24, 6, 0, tzinfo=UTC)
    body = scan("s-1", "2025-05-24T08:30:00+02:00")  # the station's clock runs 30 minutes fast
    expect_problem(eshg.post(f"{EVENT}/scans", body), 422, "scanned_in_future")

    answer = eshg.post(f"{EVENT}/scans", {**body, "scanned_at": "2025-05-24T08:00:00+02:00"})

    assert answer.status == 201  # the refused one claimed no id
    assert [r.code for r in store.refused_scans("eshg2025")] == ["scanned_in_future"]


def test_a_reused_scan_id_is_kept_apart_with_its_reason(delegate, eshg, store, expect_problem):
    eshg.post(f"{EVENT}/scans", scan("s-1", "2025-05-24T08:01:00+02:00"))

    answer = eshg.post(f"{EVENT}/scans", scan("s-1", "2025-05-25T08:01:00+02:00"))

    expect_problem(answer, 409, "id_reused")
    (refused,) = store.refused_scans("eshg2025")
    assert (refused.scan_id, refused.code) == ("s-1", "id_reused")
    assert refused.scanned_at == datetime(2025, 5, 25, 6, 1, tzinfo=UTC)
