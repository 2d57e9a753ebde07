"""Retries are harmless: the same scan, view, cart addition or evaluation sent again stores
exactly one fact, counted in the moto table itself; a reused id with other content changes
nothing that was stored."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

pytestmark = pytest.mark.usefixtures("parsed_once")

EVENT = "/events/eshg2025"
D0001 = f"{EVENT}/delegates/D0001"
SCAN = {
    "scan_id": "9f1c2d0e-0001",
    "delegate_id": "D0001",
    "station_id": "cme-desk-1",
    "scanned_at": "2025-05-24T08:01:00+02:00",
}
VIEW = {
    "view_id": "v-0001",
    "session_id": "PL03",
    "kind": "on_demand",
    "watched_at": "2025-06-10T19:30:00+02:00",
    "seconds": 3600,
}
EVALUATION = {"submitted_at": "2025-05-26T12:05:00+02:00", "answers": {"useful": 5, "c": "ok"}}
ES01_EVALUATION = {**EVALUATION, "submitted_at": "2025-05-24T10:05:00+02:00"}


def snapshot(stored_items: Any) -> dict[tuple[str, str], dict[str, Any]]:
    return {(item["pk"]["S"], item["sk"]["S"]): item for item in stored_items()}


def test_the_same_scan_twice_stores_one_fact(delegate, eshg, stored_items):
    assert eshg.post(f"{EVENT}/scans", SCAN).status == 201
    before = snapshot(stored_items)

    assert eshg.post(f"{EVENT}/scans", SCAN).status == 200

    assert snapshot(stored_items) == before
    assert len(stored_items("DEL#D0001#SCAN#")) == 1
    assert len(stored_items("SCANID#")) == 1


def test_a_scan_sent_alone_then_in_a_batch_twice_stores_one_fact(delegate, eshg, stored_items):
    eshg.post(f"{EVENT}/scans", SCAN)

    answer = eshg.post(f"{EVENT}/scans/batch", {"scans": [SCAN, SCAN]})

    assert [r["status"] for r in answer.body["results"]] == [200, 200]
    assert len(stored_items("DEL#D0001#SCAN#")) == 1


def test_the_same_view_twice_stores_one_fact(delegate, eshg, stored_items):
    assert eshg.post(f"{D0001}/views", VIEW).status == 201
    before = snapshot(stored_items)

    assert eshg.post(f"{D0001}/views", VIEW).status == 200

    assert snapshot(stored_items) == before
    assert len(stored_items("DEL#D0001#VIEW#")) == 1
    assert len(stored_items("VIEWID#")) == 1


def test_the_same_evaluation_twice_stores_one_fact(delegate, eshg, stored_items, clock):
    assert eshg.put(f"{D0001}/evaluations/PL03", EVALUATION).status == 201
    before = snapshot(stored_items)
    clock[0] = datetime(2025, 7, 1, tzinfo=UTC)  # a retry arrives later

    assert eshg.put(f"{D0001}/evaluations/PL03", EVALUATION).status == 200

    assert snapshot(stored_items) == before
    assert len(stored_items("DEL#D0001#EVAL#")) == 1
    assert len(stored_items("DEL#D0001#CART#")) == 1


def test_a_reused_id_or_another_evaluation_stores_nothing_new(delegate, eshg, stored_items):
    eshg.post(f"{EVENT}/scans", SCAN)
    eshg.post(f"{D0001}/views", VIEW)
    eshg.put(f"{D0001}/evaluations/PL03", EVALUATION)
    before = snapshot(stored_items)

    other_scan = {**SCAN, "scanned_at": "2025-05-25T08:01:00+02:00"}
    assert eshg.post(f"{EVENT}/scans", other_scan).status == 409
    assert eshg.post(f"{D0001}/views", {**VIEW, "session_id": "S12"}).status == 409
    other = {**EVALUATION, "answers": {"useful": 1}}
    assert eshg.put(f"{D0001}/evaluations/PL03", other).status == 409

    after = snapshot(stored_items)
    refused = [key for key in after if key[1].startswith("REFUSED#")]  # kept for the organiser
    assert {key: item for key, item in after.items() if key not in refused} == before
    assert eshg.get(f"{D0001}/credits").body["days"][1]["credits"] == 0.0  # no 25 May scan


def test_the_same_cart_addition_twice_stores_one_entry_and_removing_twice_none(
    delegate, eshg, stored_items
):
    assert eshg.put(f"{D0001}/cart/PL03").status == 201
    before = snapshot(stored_items)

    assert eshg.put(f"{D0001}/cart/PL03").status == 200

    assert snapshot(stored_items) == before
    assert [eshg.delete(f"{D0001}/cart/PL03").status for _ in range(2)] == [204, 204]
    assert stored_items("DEL#D0001#CART#") == []


def test_evaluating_a_session_in_the_cart_keeps_one_cart_entry(delegate, eshg, stored_items):
    eshg.put(f"{D0001}/cart/PL03")
    (entry,) = stored_items("DEL#D0001#CART#")

    eshg.put(f"{D0001}/evaluations/PL03", EVALUATION)

    assert stored_items("DEL#D0001#CART#") == [entry]  # keeps when it was added


def test_a_whole_journey_sent_twice_gives_the_same_statement_and_table(
    delegate, eshg, stored_items
):
    def journey() -> list[int]:
        return [
            eshg.post(f"{EVENT}/scans", SCAN).status,
            eshg.post(f"{D0001}/views", VIEW).status,
            eshg.put(f"{D0001}/cart/ES01").status,
            eshg.put(f"{D0001}/evaluations/ES01", ES01_EVALUATION).status,
            eshg.put(f"{D0001}/evaluations/PL03", EVALUATION).status,
        ]

    assert journey() == [201, 201, 201, 201, 201]
    first = (snapshot(stored_items), eshg.get(f"{D0001}/credits").text)

    assert journey() == [200, 200, 200, 200, 200]
    assert (snapshot(stored_items), eshg.get(f"{D0001}/credits").text) == first
    assert eshg.get(f"{D0001}/credits").body["total"] == 3.0
