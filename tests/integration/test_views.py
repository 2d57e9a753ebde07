"""Live and on-demand views: `POST /events/{event_id}/delegates/{delegate_id}/views`.

ESHG 2025 sessions used here (Europe/Rome is UTC+2 in May):
ES01 24 May 08:30-10:00, recorded; ES04 same slot, not recorded; PL04 27 May 12:30-14:00,
recorded. The on-demand window is 27 May 00:00 to 30 November 23:59:59 local (CET).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

VIEWS = "/events/eshg2025/delegates/D0001/views"


def view(view_id: str, session_id: str, kind: str, watched_at: str, **extra: Any) -> dict[str, Any]:
    return {
        "view_id": view_id,
        "session_id": session_id,
        "kind": kind,
        "watched_at": watched_at,
        **extra,
    }


@pytest.mark.parametrize(
    "watched_at",
    ["2025-05-24T08:30:00+02:00", "2025-05-24T06:30:00Z", "2025-05-24T09:59:59.999+02:00"],
)
def test_a_live_view_that_begins_inside_the_session_is_stored(delegate, eshg, watched_at):
    answer = eshg.post(VIEWS, view("v-1", "ES01", "live", watched_at))

    assert answer.status == 201
    assert answer.body == {"view_id": "v-1", "session_id": "ES01", "duplicate": False}


def test_a_live_view_before_the_session_is_refused(delegate, eshg, expect_problem):
    answer = eshg.post(VIEWS, view("v-1", "ES01", "live", "2025-05-24T08:29:59+02:00"))

    expect_problem(answer, 422, "view_before_session")


@pytest.mark.parametrize("watched_at", ["2025-05-24T10:00:00+02:00", "2025-05-24T15:00:00+02:00"])
def test_a_live_view_at_or_after_the_session_end_is_refused(
    delegate, eshg, expect_problem, watched_at
):
    answer = eshg.post(VIEWS, view("v-1", "ES01", "live", watched_at))

    expect_problem(answer, 422, "view_after_session")


@pytest.mark.parametrize(
    "watched_at",
    [
        "2025-06-10T19:30:00+02:00",
        "2025-05-27T00:00:00+02:00",  # the window opens
        "2025-05-26T22:00:00Z",  # the same instant in UTC
    ],
)
def test_an_on_demand_view_inside_the_window_is_stored(delegate, eshg, watched_at):
    answer = eshg.post(VIEWS, view("v-1", "ES01", "on_demand", watched_at))

    assert (answer.status, answer.body["duplicate"]) == (201, False)


def test_an_on_demand_view_before_the_window_is_refused(delegate, eshg, expect_problem):
    answer = eshg.post(VIEWS, view("v-1", "ES01", "on_demand", "2025-05-26T23:59:59+02:00"))

    expect_problem(answer, 422, "outside_on_demand_window")


def test_the_last_second_of_the_on_demand_window_counts_whole(
    delegate, eshg, clock, expect_problem
):
    clock[0] = datetime(2025, 12, 2, 9, 0, tzinfo=UTC)

    last = eshg.post(VIEWS, view("v-1", "ES01", "on_demand", "2025-11-30T23:59:59.900+01:00"))
    closed = eshg.post(VIEWS, view("v-2", "ES01", "on_demand", "2025-11-30T23:00:00Z"))

    assert last.status == 201
    expect_problem(closed, 422, "outside_on_demand_window")


def test_an_on_demand_view_of_a_session_not_recorded_is_refused(delegate, eshg, expect_problem):
    answer = eshg.post(VIEWS, view("v-1", "ES04", "on_demand", "2025-06-10T19:30:00+02:00"))

    expect_problem(answer, 422, "not_recorded")


def test_an_on_demand_view_before_the_session_ended_is_refused(
    delegate, eshg, clock, expect_problem
):
    clock[0] = datetime(2025, 5, 27, 12, 0, tzinfo=UTC)

    answer = eshg.post(VIEWS, view("v-1", "PL04", "on_demand", "2025-05-27T13:00:00+02:00"))

    expect_problem(answer, 422, "view_before_session")


def test_a_view_stamped_ahead_of_the_server_clock_is_invalid(delegate, eshg, clock, expect_problem):
    clock[0] = datetime(2025, 5, 24, 7, 0, tzinfo=UTC)

    inside = eshg.post(VIEWS, view("v-1", "ES01", "live", "2025-05-24T07:05:00Z"))
    beyond = eshg.post(VIEWS, view("v-2", "ES01", "live", "2025-05-24T07:05:01Z"))

    assert inside.status == 201
    expect_problem(beyond, 422, "invalid_request")


def test_seconds_are_stored(delegate, eshg, stored_items):
    answer = eshg.post(
        VIEWS, view("v-1", "ES01", "on_demand", "2025-06-10T19:30:00+02:00", seconds=86400)
    )

    assert answer.status == 201
    (fact,) = stored_items("DEL#D0001#VIEW#")
    assert fact["seconds"]["N"] == "86400"
    assert fact["session_id"]["S"] == "ES01"
    assert fact["view_kind"]["S"] == "on_demand"


@pytest.mark.parametrize("seconds", [-1, 86401, 1.5, "60", True])
def test_seconds_out_of_range_or_not_an_integer_is_422(delegate, eshg, expect_problem, seconds):
    body = view("v-1", "ES01", "on_demand", "2025-06-10T19:30:00+02:00", seconds=seconds)

    problem = expect_problem(eshg.post(VIEWS, body), 422, "invalid_request")

    assert any("seconds" in error["path"] for error in problem["errors"])


def test_an_unknown_kind_is_422(delegate, eshg, expect_problem):
    body = view("v-1", "ES01", "replay", "2025-06-10T19:30:00+02:00")

    problem = expect_problem(eshg.post(VIEWS, body), 422, "invalid_request")

    assert any("kind" in error["path"] for error in problem["errors"])


def test_the_same_view_again_is_a_duplicate(delegate, eshg):
    body = view("v-1", "ES01", "on_demand", "2025-06-10T19:30:00+02:00", seconds=600)
    eshg.post(VIEWS, body)

    again = eshg.post(VIEWS, body)

    assert again.status == 200
    assert again.body == {"view_id": "v-1", "session_id": "ES01", "duplicate": True}


@pytest.mark.parametrize(
    "change",
    [
        {"session_id": "ES02"},
        {"kind": "live", "watched_at": "2025-05-24T09:00:00+02:00"},
        {"watched_at": "2025-06-10T19:31:00+02:00"},
        {"seconds": 601},
        {"seconds": None},
    ],
)
def test_the_same_view_id_with_other_content_is_id_reused(delegate, eshg, expect_problem, change):
    body = view("v-1", "ES01", "on_demand", "2025-06-10T19:30:00+02:00", seconds=600)
    eshg.post(VIEWS, body)

    expect_problem(eshg.post(VIEWS, {**body, **change}), 409, "id_reused")


def test_a_view_id_is_unique_per_event_across_delegates(delegate, eshg, expect_problem):
    eshg.put("/events/eshg2025/delegates/D0002", {"name": "Ana Ruiz", "attendance": "online"})
    body = view("v-1", "ES01", "on_demand", "2025-06-10T19:30:00+02:00")
    eshg.post(VIEWS, body)

    answer = eshg.post("/events/eshg2025/delegates/D0002/views", body)

    expect_problem(answer, 409, "id_reused")


def test_an_unknown_event_is_404(client, expect_problem):
    body = view("v-1", "ES01", "on_demand", "2025-06-10T19:30:00+02:00")

    answer = client.post("/events/nope/delegates/D0001/views", body)

    expect_problem(answer, 404, "unknown_event")


def test_an_unregistered_delegate_is_404(eshg, expect_problem):
    body = view("v-1", "ES01", "on_demand", "2025-06-10T19:30:00+02:00")

    answer = eshg.post("/events/eshg2025/delegates/D0404/views", body)

    expect_problem(answer, 404, "unknown_delegate")


def test_an_unknown_session_is_404(delegate, eshg, expect_problem):
    body = view("v-1", "XX99", "on_demand", "2025-06-10T19:30:00+02:00")

    expect_problem(eshg.post(VIEWS, body), 404, "unknown_session")
