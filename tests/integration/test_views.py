"""Live and on-demand views: `POST /events/{event_id}/delegates/{delegate_id}/views`.

ESHG 2025 sessions used here (Europe/Rome is UTC+2 in May):
ES01 24 May 08:30-10:00, recorded; ES04 same slot, not recorded; PL04 27 May 12:30-14:00,
recorded. The on-demand window is 27 May 00:00 to 30 November 23:59:59 local (CET).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

pytestmark = pytest.mark.usefixtures("parsed_once")

VIEWS = "/events/eshg2025/delegates/D0001/views"


def view(view_id: str, session_id: str, kind: str, watched_at: str, **extra: Any) -> dict[str, Any]:
    return {
        "view_id": view_id,
        "session_id": session_id,
        "kind": kind,
        "watched_at": watched_at,
        **extra,
    }


def test_a_live_view_that_begins_inside_the_session_is_stored(delegate, eshg, subtests):
    for n, watched_at in enumerate(
        ["2025-05-24T08:30:00+02:00", "2025-05-24T06:30:00Z", "2025-05-24T09:59:59.999+02:00"]
    ):
        with subtests.test(watched_at=watched_at):
            answer = eshg.post(VIEWS, view(f"v-{n}", "ES01", "live", watched_at))
            assert answer.status == 201
            assert answer.body == {"view_id": f"v-{n}", "session_id": "ES01", "duplicate": False}


def test_a_live_view_outside_the_session_is_refused(delegate, eshg, expect_problem, subtests):
    for watched_at, code in [
        ("2025-05-24T08:29:59+02:00", "view_before_session"),
        ("2025-05-24T10:00:00+02:00", "view_after_session"),  # the end is not inside
        ("2025-05-24T15:00:00+02:00", "view_after_session"),
    ]:
        with subtests.test(watched_at=watched_at):
            answer = eshg.post(VIEWS, view("v-1", "ES01", "live", watched_at))
            expect_problem(answer, 422, code)


def test_an_on_demand_view_inside_the_window_is_stored(delegate, eshg, subtests):
    for n, watched_at in enumerate(
        [
            "2025-06-10T19:30:00+02:00",
            "2025-05-27T00:00:00+02:00",  # the window opens
            "2025-05-26T22:00:00Z",  # the same instant in UTC
        ]
    ):
        with subtests.test(watched_at=watched_at):
            answer = eshg.post(VIEWS, view(f"v-{n}", "ES01", "on_demand", watched_at))
            assert (answer.status, answer.body["duplicate"]) == (201, False)


def test_an_on_demand_view_is_of_a_recording_inside_the_window(
    delegate, eshg, clock, expect_problem, subtests
):
    clock[0] = datetime(2025, 12, 2, 9, 0, tzinfo=UTC)
    for n, (session_id, watched_at, code) in enumerate(
        [
            ("ES01", "2025-11-30T23:59:59.900+01:00", None),  # the last second counts whole
            ("ES01", "2025-11-30T23:00:00Z", "outside_on_demand_window"),
            ("ES01", "2025-05-26T23:59:59+02:00", "outside_on_demand_window"),
            ("ES04", "2025-06-10T19:30:00+02:00", "not_recorded"),
            ("PL04", "2025-05-27T13:00:00+02:00", "view_before_session"),  # still live
            ("PL04", "2025-05-27T14:00:00+02:00", None),  # the recording from its end
        ]
    ):
        with subtests.test(session_id=session_id, watched_at=watched_at):
            answer = eshg.post(VIEWS, view(f"v-{n}", session_id, "on_demand", watched_at))
            if code is None:
                assert answer.status == 201
            else:
                expect_problem(answer, 422, code)


def test_a_view_stamped_ahead_of_the_server_clock_is_invalid(delegate, eshg, clock, expect_problem):
    clock[0] = datetime(2025, 5, 24, 7, 0, tzinfo=UTC)

    inside = eshg.post(VIEWS, view("v-1", "ES01", "live", "2025-05-24T07:05:00Z"))
    beyond = eshg.post(VIEWS, view("v-2", "ES01", "live", "2025-05-24T07:05:01Z"))

    assert inside.status == 201
    expect_problem(beyond, 422, "invalid_request")


def test_seconds_and_kind_are_checked(delegate, eshg, expect_problem, subtests):
    for change in [
        {"seconds": -1},
        {"seconds": 86401},
        {"seconds": 1.5},
        {"seconds": "60"},
        {"seconds": True},
        {"kind": "replay"},
    ]:
        with subtests.test(change=change):
            body = {**view("v-1", "ES01", "on_demand", "2025-06-10T19:30:00+02:00"), **change}
            problem = expect_problem(eshg.post(VIEWS, body), 422, "invalid_request")
            assert [error["path"] for error in problem["errors"]] == [f"body.{next(iter(change))}"]


def test_the_same_view_again_is_a_duplicate_and_seconds_are_stored(delegate, eshg, stored_items):
    body = view("v-1", "ES01", "on_demand", "2025-06-10T19:30:00+02:00", seconds=86400)
    assert eshg.post(VIEWS, body).status == 201

    again = eshg.post(VIEWS, body)

    assert again.status == 200
    assert again.body == {"view_id": "v-1", "session_id": "ES01", "duplicate": True}
    (fact,) = stored_items("DEL#D0001#VIEW#")
    assert fact["seconds"]["N"] == "86400"
    assert (fact["session_id"]["S"], fact["view_kind"]["S"]) == ("ES01", "on_demand")


def test_the_same_view_id_with_other_content_is_id_reused(delegate, eshg, expect_problem, subtests):
    eshg.put("/events/eshg2025/delegates/D0002", {"name": "Ana Ruiz", "attendance": "online"})
    body = view("v-1", "ES01", "on_demand", "2025-06-10T19:30:00+02:00", seconds=600)
    eshg.post(VIEWS, body)

    for change in [
        {"session_id": "ES02"},
        {"kind": "live", "watched_at": "2025-05-24T09:00:00+02:00"},
        {"watched_at": "2025-06-10T19:31:00+02:00"},
        {"seconds": 601},
        {"seconds": None},
    ]:
        with subtests.test(change=change):
            expect_problem(eshg.post(VIEWS, {**body, **change}), 409, "id_reused")
    with subtests.test("a view_id is unique per event, across delegates"):
        answer = eshg.post("/events/eshg2025/delegates/D0002/views", body)
        expect_problem(answer, 409, "id_reused")


def test_unknown_events_delegates_and_sessions_are_404(delegate, eshg, expect_problem, subtests):
    on_demand = view("v-1", "ES01", "on_demand", "2025-06-10T19:30:00+02:00")
    for path, body, code in [
        ("/events/nope/delegates/D0001/views", on_demand, "unknown_event"),
        ("/events/eshg2025/delegates/D0404/views", on_demand, "unknown_delegate"),
        (VIEWS, {**on_demand, "session_id": "XX99"}, "unknown_session"),
    ]:
        with subtests.test(code=code):
            expect_problem(eshg.post(path, body), 404, code)
