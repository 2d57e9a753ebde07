"""A batch (`recording.record_scans`: rounds of scans stored together, several to a
transaction, side by side) answers and stores exactly what recording its scans one at a
time in request order (`recording.record_scan`) does, on both stores: random batches with
resends, conflicting ids, unknown delegates and days that are not conference days."""

from __future__ import annotations

import itertools
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cme import recording
from cme.errors import CmeError
from cme.facts import Attendance, Delegate, Direction
from cme.jsonio import loads
from cme.programme import build_programme, programme_document
from cme.recording import ScanRecorded, ScanToRecord
from cme.records import Store
from cme.store.repository import DynamoStore
from cme_tools.memory_store import MemoryStore
from tests.integration.conftest import empty_table, eshg_document

pytestmark = pytest.mark.usefixtures("parsed_once", "journaled_transactions")

NOW = datetime(2025, 6, 15, 12, 0, tzinfo=UTC)
SKEW = timedelta(minutes=5)
DELEGATES = ("D1", "D2", "D3")
"""Registered; D9 is not."""
_events = itertools.count()

scan_strategy = st.builds(
    ScanToRecord,
    scan_id=st.sampled_from(["a", "b", "c", "d", "e"]),
    delegate_id=st.sampled_from([*DELEGATES, "D9"]),
    station_id=st.sampled_from(["desk-1", "desk-2"]),
    # 23 May is no conference day; the others are
    scanned_at=st.builds(
        lambda day, hour: datetime(2025, 5, day, hour, 1, tzinfo=UTC),
        st.integers(23, 27),
        st.sampled_from([7, 9]),
    ),
    room=st.sampled_from([None, "Gold"]),
    direction=st.sampled_from(list(Direction)),
)


def new_event(store: Store) -> str:
    """An event of its own: the two of one example share the store."""
    event_id = f"eq{next(_events)}"
    raw = eshg_document()
    raw["event"]["id"] = event_id
    read = build_programme(loads(json.dumps(raw))).programme  # numbers read as decimals
    document = programme_document(read)  # as the API keeps it
    store.save_programme(event_id, document, replaces=None, now=NOW)
    for delegate_id in DELEGATES:
        store.save_delegate(event_id, Delegate(delegate_id, "Ana", Attendance.ONLINE), now=NOW)
    return event_id


def answer(outcome: ScanRecorded | CmeError) -> tuple[Any, ...]:
    if isinstance(outcome, CmeError):
        return ("refused", outcome.code)
    return ("recorded", outcome.scan_id, outcome.day, outcome.duplicate)


def one_at_a_time(store: Store, event_id: str, scans: list[ScanToRecord]) -> list[Any]:
    answers = []
    for scan in scans:
        try:
            outcome: ScanRecorded | CmeError = recording.record_scan(
                store,
                event_id,
                scan_id=scan.scan_id,
                delegate_id=scan.delegate_id,
                station_id=scan.station_id,
                scanned_at=scan.scanned_at,
                room=scan.room,
                direction=scan.direction,
                now=NOW,
                skew=SKEW,
            )
        except CmeError as error:
            outcome = error
        answers.append(answer(outcome))
    return answers


def kept(store: Store, event_id: str) -> dict[str, Any]:
    """What the event holds: each delegate's scans and report row, the scan ids claimed,
    the refused scans."""
    held: dict[str, Any] = {  # a refusal's detail names the event
        "refused": [replace(r, detail="") for r in store.refused_scans(event_id)]
    }
    for scan_id in "abcde":
        held[f"id {scan_id}"] = store.recorded_scan(event_id, scan_id)
    for delegate_id in DELEGATES:
        record = store.delegate_record(event_id, delegate_id)
        projection = store.projection(event_id, delegate_id)
        assert record is not None and projection is not None
        held[delegate_id] = (record.facts.scans, projection.pending, projection.row)
    return held


batches = given(
    earlier=st.lists(scan_strategy, max_size=3),
    batch=st.lists(scan_strategy, min_size=1, max_size=14),
    side_by_side=st.sampled_from([1, 3, 10]),
)


def unhurried(examples: int) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


@unhurried(100)
@batches
def test_in_memory_a_batch_answers_and_stores_what_one_at_a_time_does(
    earlier: list[ScanToRecord], batch: list[ScanToRecord], side_by_side: int
) -> None:
    same_as_one_at_a_time(MemoryStore(), earlier, batch, side_by_side)


@unhurried(8)
@batches
def test_on_dynamodb_a_batch_answers_and_stores_what_one_at_a_time_does(
    aws: dict[str, Any], earlier: list[ScanToRecord], batch: list[ScanToRecord], side_by_side: int
) -> None:
    # Each example on an empty table: moto copies the whole table for every transaction,
    # so the events of the examples before made each example slower than the last.
    empty_table(aws)
    same_as_one_at_a_time(DynamoStore(), earlier, batch, side_by_side)


def same_as_one_at_a_time(
    store: Store, earlier: list[ScanToRecord], batch: list[ScanToRecord], side_by_side: int
) -> None:
    # Given two events holding the same scans from earlier
    batched, single = new_event(store), new_event(store)
    one_at_a_time(store, batched, earlier)
    one_at_a_time(store, single, earlier)

    # When the batch is recorded as a batch into one and scan by scan into the other
    answers = recording.record_scans(
        store, batched, batch, now=lambda: NOW, skew=SKEW, concurrency=side_by_side
    )
    expected = one_at_a_time(store, single, batch)

    # Then the answers, in request order, and everything kept are the same
    assert [answer(a) for a in answers] == expected
    assert kept(store, batched) == kept(store, single)
