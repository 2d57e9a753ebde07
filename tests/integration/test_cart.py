"""The CME cart: `PUT`/`DELETE .../cart/{session_id}` and `GET .../cart` with where each
evaluation stands (done / open / not_yet_open / closed), by moving the server's clock.

ES01 (24 May 08:30-10:00 CEST) ends at 08:00Z; claims close after 30 November 23:59:59
CET, that is at 2025-11-30T23:00:00Z.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

pytestmark = pytest.mark.usefixtures("parsed_once")

CART = "/events/eshg2025/delegates/D0001/cart"
EVALUATION = {"submitted_at": "2025-05-24T10:05:00+02:00", "answers": {"useful": 5}}


def states(answer) -> dict[str, str]:
    return {item["session_id"]: item["evaluation"] for item in answer.body["items"]}


# --------------------------------------------------------------------------- PUT


def test_adding_a_session_is_201_then_200(delegate, eshg, expect_problem):
    assert eshg.get(CART).body == {"items": []}

    added = eshg.put(f"{CART}/ES01")
    again = eshg.put(f"{CART}/ES01")

    assert (added.status, again.status) == (201, 200)
    assert added.body == {"session_id": "ES01", "in_cart": True}
    assert again.body == {"session_id": "ES01", "in_cart": True}
    assert [item["session_id"] for item in eshg.get(CART).body["items"]] == ["ES01"]
    # Only accredited sessions can be claimed.
    expect_problem(eshg.put(f"{CART}/CS01"), 422, "session_not_accredited")
    assert [item["session_id"] for item in eshg.get(CART).body["items"]] == ["ES01"]


def test_unknown_sessions_delegates_and_events_are_404(delegate, eshg, expect_problem, subtests):
    for method, path, code in [
        ("PUT", f"{CART}/XX99", "unknown_session"),
        ("DELETE", f"{CART}/XX99", "unknown_session"),
        ("PUT", "/events/eshg2025/delegates/D0404/cart/ES01", "unknown_delegate"),
        ("DELETE", "/events/eshg2025/delegates/D0404/cart/ES01", "unknown_delegate"),
        ("GET", "/events/eshg2025/delegates/D0404/cart", "unknown_delegate"),
        ("PUT", "/events/nope/delegates/D0001/cart/ES01", "unknown_event"),
        ("DELETE", "/events/nope/delegates/D0001/cart/ES01", "unknown_event"),
        ("GET", "/events/nope/delegates/D0001/cart", "unknown_event"),
    ]:
        with subtests.test(method=method, path=path):
            expect_problem(eshg.call(method, path), 404, code)


# --------------------------------------------------------------------------- DELETE


def test_removing_a_session_is_204_also_when_it_is_not_there(delegate, eshg):
    eshg.put(f"{CART}/ES01")
    eshg.put(f"{CART}/S01")

    answer = eshg.delete(f"{CART}/ES01")

    assert answer.status == 204
    assert answer.text == ""
    assert [item["session_id"] for item in eshg.get(CART).body["items"]] == ["S01"]
    assert eshg.delete(f"{CART}/ES01").status == 204  # gone already
    assert eshg.delete(f"{CART}/S02").status == 204  # never there


def test_an_evaluated_session_cannot_be_removed(delegate, eshg, expect_problem):
    eshg.put("/events/eshg2025/delegates/D0001/evaluations/ES01", EVALUATION)

    expect_problem(eshg.delete(f"{CART}/ES01"), 409, "already_evaluated")

    assert states(eshg.get(CART)) == {"ES01": "done"}


# --------------------------------------------------------------------------- GET


def test_cart_items_come_in_programme_order_with_their_details(delegate, eshg):
    for session_id in ("S05", "PL01", "ES06", "ES05", "C03", "ES01"):
        eshg.put(f"{CART}/{session_id}")

    items = eshg.get(CART).body["items"]

    assert [item["session_id"] for item in items] == ["ES01", "C03", "ES05", "ES06", "PL01", "S05"]
    assert items[0] == {
        "session_id": "ES01",
        "title": "Educational session: Interpreting variants of uncertain significance",
        "slot_id": "sat-1",
        "date": "2025-05-24",
        "evaluation": "open",
        "evaluation_opens_at": "2025-05-24T08:00:00Z",
    }
    assert items[3]["evaluation_opens_at"] == "2025-05-24T12:30:00Z"  # ES06 ends 14:30 CEST
    assert items[5]["date"] == "2025-05-25"


def test_where_an_evaluation_stands_moves_with_the_clock(delegate, eshg, clock, subtests):
    clock[0] = datetime(2025, 5, 24, 6, 0, tzinfo=UTC)
    eshg.put(f"{CART}/ES01")

    for now, state in [
        (datetime(2025, 5, 24, 7, 59, 59, tzinfo=UTC), "not_yet_open"),
        (datetime(2025, 5, 24, 8, 0, 0, tzinfo=UTC), "open"),
        (datetime(2025, 11, 30, 22, 59, 59, tzinfo=UTC), "open"),
        (datetime(2025, 11, 30, 23, 0, 0, tzinfo=UTC), "closed"),
        (datetime(2026, 3, 1, tzinfo=UTC), "closed"),
    ]:
        with subtests.test(now=now):
            clock[0] = now
            assert states(eshg.get(CART)) == {"ES01": state}


def test_the_cart_mixes_every_state_and_done_outlives_the_deadline(delegate, eshg, clock):
    clock[0] = datetime(2025, 5, 27, 11, 0, tzinfo=UTC)  # 13:00 in Milan on the last day
    eshg.put("/events/eshg2025/delegates/D0001/evaluations/ES01", EVALUATION)
    eshg.put(f"{CART}/S01")
    eshg.put(f"{CART}/PL04")  # 12:30-14:00 today

    assert states(eshg.get(CART)) == {"ES01": "done", "S01": "open", "PL04": "not_yet_open"}
    clock[0] = datetime(2025, 12, 1, tzinfo=UTC)
    assert states(eshg.get(CART)) == {"ES01": "done", "S01": "closed", "PL04": "closed"}
