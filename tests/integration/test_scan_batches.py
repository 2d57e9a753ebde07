"""A batch's scans recorded side by side (`recording.record_scans`): the answers, in
request order, and what is stored are those of recording them one at a time."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from cme import recording
from tests.integration.conftest import scan_body

EVENT = "/events/eshg2025"
DAYS = ("24", "25", "26", "27")

pytestmark = pytest.mark.usefixtures("journaled_transactions")


def register(client: Any, *delegates: str, event: str = EVENT) -> None:
    for delegate_id in delegates:
        answer = client.put(
            f"{event}/delegates/{delegate_id}", {"name": "Ana", "attendance": "online"}
        )
        assert answer.status == 201, answer.text


def at(day: str, minute: int = 1) -> str:
    return f"2025-05-{day}T08:{minute:02d}:00+02:00"


def outcomes(answer: Any) -> list[tuple[Any, int, Any]]:
    assert answer.status == 200, answer.text
    return [(r["scan_id"], r["status"], r.get("code")) for r in answer.body["results"]]


def stored_scans(stored_items: Any, event: str = "eshg2025") -> list[str]:
    return sorted(
        i["sk"]["S"]
        for i in stored_items()
        if i["pk"]["S"] == f"EVENT#{event}" and "SCAN" in i["sk"]["S"]
    )


def mixed_batch() -> list[Any]:
    """Ten delegates' scans interleaved, with every kind of answer among them."""
    scans: list[Any] = [
        scan_body(f"m-{n}", at(DAYS[n % 4], n % 50), f"D{n % 10 + 1:04d}") for n in range(40)
    ]
    scans[5] = scan_body("m-1", at(DAYS[1], 1), "D0002")  # a repeat of m-1
    scans[9] = scan_body("m-2", at(DAYS[3], 7), "D0007")  # m-2 again, other content
    scans[13] = scan_body("m-13", at("23"), "D0004")  # not a conference day
    scans[17] = scan_body("m-17", at(DAYS[0]), "D0404")  # not registered
    scans[21] = {"scan_id": "m-21"}  # malformed
    scans[30] = scan_body("m-1", at(DAYS[1], 1), "D0002")  # m-1 a third time
    return scans


@pytest.mark.usefixtures("parsed_once")
def test_side_by_side_answers_and_stores_what_one_at_a_time_does(
    eshg: Any,
    programme_document: dict[str, Any],
    stored_items: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    delegates = [f"D{n:04d}" for n in range(1, 11)]
    programme_document["event"]["id"] = "eshg2025b"
    assert eshg.put("/events/eshg2025b", programme_document).status == 201
    register(eshg, *delegates)
    register(eshg, *delegates, event="/events/eshg2025b")

    side_by_side = outcomes(eshg.post(f"{EVENT}/scans/batch", {"scans": mixed_batch()}))
    monkeypatch.setattr(recording, "BATCH_CONCURRENCY", 1)
    one_at_a_time = outcomes(eshg.post("/events/eshg2025b/scans/batch", {"scans": mixed_batch()}))

    assert side_by_side == one_at_a_time
    assert stored_scans(stored_items) == stored_scans(stored_items, "eshg2025b")
    assert [s for _, s, _ in side_by_side].count(201) == 34
    assert side_by_side[5] == ("m-1", 200, None)
    assert side_by_side[9] == ("m-2", 409, "id_reused")
    assert side_by_side[13] == ("m-13", 422, "not_a_conference_day")
    assert side_by_side[17] == ("m-17", 404, "unknown_delegate")
    assert side_by_side[21] == ("m-21", 422, "invalid_request")
    assert side_by_side[30] == ("m-1", 200, None)


@pytest.mark.usefixtures("parsed_once")
def test_the_same_scan_twice_in_a_batch_is_stored_once_then_a_duplicate(
    eshg: Any, stored_items: Any
) -> None:
    register(eshg, "D0001", "D0002", "D0003")
    twice = scan_body("dup", at("24"), "D0001")
    others = [scan_body(f"o-{n}", at(DAYS[n % 4], n), f"D000{n % 2 + 2}") for n in range(8)]
    scans = [twice, *others, dict(twice), scan_body("dup", at("25"), "D0003")]

    results = outcomes(eshg.post(f"{EVENT}/scans/batch", {"scans": scans}))

    assert results[0] == ("dup", 201, None)
    assert results[9] == ("dup", 200, None)
    assert results[10] == ("dup", 409, "id_reused")
    assert {status for _, status, _ in results[1:9]} == {201}
    assert eshg.post(f"{EVENT}/scans", twice).status == 200
    assert [k for k in stored_scans(stored_items) if "dup" in k] == [
        "DEL#D0001#SCAN#dup",
        "SCANID#dup",
    ]


@pytest.mark.usefixtures("parsed_once")
def test_a_batch_loses_no_write(eshg: Any, stored_items: Any) -> None:
    """(100 scans, four transactions of 100 actions each way.)"""
    delegates = [f"D{n:04d}" for n in range(1, 26)]
    register(eshg, *delegates)
    scans = [scan_body(f"f-{d}-{n}", at(d), k) for d in DAYS for n, k in enumerate(delegates)]

    first = outcomes(eshg.post(f"{EVENT}/scans/batch", {"scans": scans}))
    again = outcomes(eshg.post(f"{EVENT}/scans/batch", {"scans": scans}))

    assert [r[0] for r in first] == [s["scan_id"] for s in scans]
    assert {r[1] for r in first} == {201}
    assert {r[1] for r in again} == {200}
    assert len(stored_scans(stored_items)) == 2 * 100  # a guard and a fact each
    assert sum(k.startswith("DEL#D0025#SCAN#") for k in stored_scans(stored_items)) == 4


@pytest.mark.usefixtures("parsed_once")
def test_a_batch_sends_its_transactions_side_by_side_within_the_bound(
    eshg: Any, store: Any
) -> None:
    """60 delegates' scans: three transactions of at most 25 scans, sent at once."""
    delegates = [f"D{n:04d}" for n in range(1, 61)]
    register(eshg, *delegates)
    in_flight, most, sizes = [0], [0], []
    lock = threading.Lock()

    def sending(params: dict[str, Any], **_: Any) -> None:
        with lock:
            in_flight[0] += 1
            most[0] = max(most[0], in_flight[0])
            if any("Put" in action for action in params["TransactItems"]):  # not the rows
                sizes.append(len(params["TransactItems"]))
        time.sleep(0.005)  # the round trip to DynamoDB

    def answered(**_: Any) -> None:
        with lock:
            in_flight[0] -= 1

    events = store.client().meta.events
    events.register("provide-client-params.dynamodb.TransactWriteItems", sending)
    events.register("after-call.dynamodb.TransactWriteItems", answered)
    scans = [scan_body(f"c-{n}", at("24"), k) for n, k in enumerate(delegates)]
    try:
        results = outcomes(eshg.post(f"{EVENT}/scans/batch", {"scans": scans}))
    finally:
        events.unregister("provide-client-params.dynamodb.TransactWriteItems", sending)
        events.unregister("after-call.dynamodb.TransactWriteItems", answered)

    assert {r[1] for r in results} == {201}
    assert sorted(sizes) == [40, 100, 100]  # four actions a scan
    assert 2 <= most[0] <= recording.BATCH_CONCURRENCY
