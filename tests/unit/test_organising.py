"""The organiser's side (`cme.organising`) against the in-memory store: creating and
replacing the programme (never dropping what stored facts refer to), registering
delegates, the report in pages. The same through the handlers and DynamoDB:
tests/integration/test_organiser.py."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from cme import organising, recording
from cme.errors import CmeError, InvalidProgramme
from cme.facts import Attendance, Delegate
from cme.programme import Programme, programme_document
from cme_tools.memory_store import MemoryStore

EVENT = "eshg2025"
NOW = datetime(2025, 6, 15, 12, 0, tzinfo=UTC)


def codes_of(call: Any) -> list[str]:
    with pytest.raises(InvalidProgramme) as refused:
        call()
    return [problem.code for problem in refused.value.problems]


@pytest.fixture
def document(eshg: Programme) -> dict[str, Any]:
    return copy.deepcopy(programme_document(eshg))


def without_session(document: dict[str, Any], session_id: str) -> dict[str, Any]:
    document["sessions"] = [s for s in document["sessions"] if s["id"] != session_id]
    return document


def test_a_programme_is_created_then_replaced(document: dict[str, Any]) -> None:
    store = MemoryStore()

    created = organising.put_programme(store, EVENT, document, now=NOW)
    replaced = organising.put_programme(store, EVENT, document, now=NOW)

    assert (created.created, created.version) == (True, 1)
    assert (replaced.created, replaced.version) == (False, 2)
    assert organising.get_programme(store, EVENT)["event"]["id"] == EVENT
    assert codes_of(lambda: organising.put_programme(store, "other", document, now=NOW)) == [
        "id_mismatch"
    ]
    with pytest.raises(CmeError) as unknown:
        organising.get_programme(store, "other")
    assert unknown.value.code == "unknown_event"


def test_a_replacement_keeps_what_facts_refer_to(
    memory: MemoryStore, document: dict[str, Any]
) -> None:
    recording.add_to_cart(memory, EVENT, "D0001", "S04", now=NOW)
    assert organising.put_programme(memory, EVENT, without_session(document, "S02"), now=NOW)

    lost = without_session(copy.deepcopy(document), "S04")
    assert codes_of(lambda: organising.put_programme(memory, EVENT, lost, now=NOW)) == [
        "referenced_session_removed"
    ]
    moved = copy.deepcopy(document)
    moved["event"]["timezone"] = "Europe/Paris"
    assert codes_of(lambda: organising.put_programme(memory, EVENT, moved, now=NOW)) == [
        "timezone_locked"
    ]


def test_a_timezone_may_change_while_no_fact_exists(
    memory: MemoryStore, document: dict[str, Any]
) -> None:
    document["event"]["timezone"] = "Europe/Paris"
    assert organising.put_programme(memory, EVENT, document, now=NOW).version == 2


class Contended(MemoryStore):
    """Another organiser replaces the programme just before each of this one's writes."""

    def save_programme(self, event_id: str, document: Any, **kwargs: Any) -> Any:
        if kwargs["replaces"] is not None:
            super().save_programme(event_id, document, replaces=kwargs["replaces"], now=NOW)
        return super().save_programme(event_id, document, **kwargs)


def test_a_programme_replaced_concurrently_every_time_is_refused(
    document: dict[str, Any],
) -> None:
    store = Contended()
    organising.put_programme(store, EVENT, document, now=NOW)

    assert codes_of(lambda: organising.put_programme(store, EVENT, document, now=NOW)) == [
        "concurrent_update"
    ]


def test_a_delegate_is_registered_for_a_known_event_only(memory: MemoryStore) -> None:
    ana = Delegate("D0002", "Ana Pérez", Attendance.ONLINE)

    assert organising.put_delegate(memory, EVENT, ana, now=NOW).created is True
    assert organising.put_delegate(memory, EVENT, ana, now=NOW).created is False
    with pytest.raises(CmeError) as unknown:
        organising.put_delegate(memory, "other", ana, now=NOW)
    assert unknown.value.code == "unknown_event"
    # a name no bundled font prints is registered, with a warning to correct it
    private_use = Delegate("D0003", "Ana \ue000", Attendance.ONLINE)
    saved = organising.put_delegate(memory, EVENT, private_use, now=NOW)
    assert (saved.created, [w.code for w in saved.warnings]) == (True, ["unprintable_name"])


def register(store: MemoryStore, *delegate_ids: str) -> None:
    for delegate_id in delegate_ids:
        delegate = Delegate(delegate_id, f"Delegate {delegate_id}", Attendance.IN_PERSON)
        organising.put_delegate(store, EVENT, delegate, now=NOW)


def test_the_report_pages_through_delegates_in_id_order(memory: MemoryStore) -> None:
    register(memory, "D0003", "D0002")
    recording.record_evaluation(
        memory,
        EVENT,
        "D0002",
        "S01",
        submitted_at=datetime(2025, 5, 24, 10, 5, tzinfo=UTC),
        answers={},
        now=NOW,
        skew=timedelta(minutes=5),
    )

    first = organising.report_page(memory, EVENT, limit=2, cursor=None)
    second = organising.report_page(memory, EVENT, limit=2, cursor=first.next_cursor)

    assert [row.delegate_id for row in first.rows] == ["D0001", "D0002"]
    assert [row.delegate_id for row in second.rows] == ["D0003"]
    assert second.next_cursor is None
    assert len(first.days) == 4
    assert all(row.total == Decimal(0) for row in first.rows + second.rows)
    assert (first.rows[0].certificate_serial, first.rows[0].certificate_status) == (None, None)


def test_a_report_page_ends_early_when_its_time_is_up(memory: MemoryStore) -> None:
    register(memory, "D0002", "D0003")
    ticks: Iterator[float] = iter(range(100))

    page = organising.report_page(
        memory,
        EVENT,
        limit=1000,
        cursor=None,
        budget=timedelta(seconds=1.5),
        monotonic=lambda: float(next(ticks)),
    )

    assert [row.delegate_id for row in page.rows] == ["D0001", "D0002"]
    rest = organising.report_page(memory, EVENT, limit=1000, cursor=page.next_cursor)
    assert [row.delegate_id for row in rest.rows] == ["D0003"]


def test_a_cursor_the_service_did_not_give_is_refused(memory: MemoryStore) -> None:
    for cursor in ("%%%", organising.encode_cursor("not an id!")):
        with pytest.raises(CmeError) as refused:
            organising.report_page(memory, EVENT, limit=10, cursor=cursor)
        assert refused.value.code == "invalid_request"
