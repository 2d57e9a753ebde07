"""Recording facts and reading them back (`cme.recording`) against the in-memory store:
the contract's order of precedence, retries and refusals, without AWS. The same rules
through the handlers and DynamoDB: tests/integration."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from cme import recording
from cme.errors import CmeError
from cme.facts import Attendance, Delegate, ViewKind
from cme.records import DelegateRecord
from cme.rules.judge import EvaluationWindow
from cme_tools.memory_store import MemoryStore

EVENT = "eshg2025"
NOW = datetime(2025, 6, 15, 12, 0, tzinfo=UTC)
SKEW = timedelta(minutes=5)


def record_of(store: MemoryStore, delegate_id: str = "D0001") -> DelegateRecord:
    record = store.delegate_record(EVENT, delegate_id)
    assert record is not None
    return record


def code_of(call: Any) -> str:
    with pytest.raises(CmeError) as refused:
        call()
    return refused.value.code


def scan(store: MemoryStore, scan_id: str, at: str, delegate: str = "D0001", **kw: Any) -> Any:
    return recording.record_scan(
        store,
        EVENT,
        scan_id=scan_id,
        delegate_id=delegate,
        station_id=kw.get("station", "desk-1"),
        scanned_at=datetime.fromisoformat(at),
        now=kw.get("now", NOW),
        skew=SKEW,
    )


def view(store: MemoryStore, view_id: str, session: str, kind: ViewKind, at: str, **kw: Any) -> Any:
    return recording.record_view(
        store,
        EVENT,
        kw.get("delegate", "D0001"),
        view_id=view_id,
        session_id=session,
        kind=kind,
        watched_at=datetime.fromisoformat(at),
        seconds=kw.get("seconds"),
        now=NOW,
        skew=SKEW,
    )


def evaluate(store: MemoryStore, session: str, at: str, answers: Any = None, **kw: Any) -> bool:
    return recording.record_evaluation(
        store,
        EVENT,
        kw.get("delegate", "D0001"),
        session,
        submitted_at=datetime.fromisoformat(at),
        answers={"useful": 5} if answers is None else answers,
        now=kw.get("now", NOW),
        skew=SKEW,
    )


# --------------------------------------------------------------------------- scans


def test_a_scan_counts_for_its_local_day_and_a_resend_is_a_duplicate(memory: MemoryStore) -> None:
    first = scan(memory, "s-1", "2025-05-24T23:30:00+00:00")  # 01:30 on 25 May in Milan
    again = scan(memory, "s-1", "2025-05-24T23:30:00+00:00")

    assert (first.day, first.duplicate) == (date(2025, 5, 25), False)
    assert (again.day, again.duplicate) == (date(2025, 5, 25), True)
    assert memory.refused_scans(EVENT) == []
    assert len(record_of(memory).facts.scans) == 1


def test_a_scan_id_reused_with_other_content_is_refused_and_kept_apart(
    memory: MemoryStore,
) -> None:
    scan(memory, "s-1", "2025-05-24T08:01:00+02:00")
    later = NOW + timedelta(minutes=1)

    assert code_of(lambda: scan(memory, "s-1", "2025-05-25T08:01:00+02:00")) == "id_reused"
    other_station = lambda: scan(  # noqa: E731
        memory, "s-1", "2025-05-24T08:01:00+02:00", station="desk-2", now=later
    )
    assert code_of(other_station) == "id_reused"
    assert [(r.scan_id, r.code) for r in memory.refused_scans(EVENT)] == [
        ("s-1", "id_reused"),
        ("s-1", "id_reused"),
    ]
    assert [s.day for s in record_of(memory).facts.scans] == [date(2025, 5, 24)]


def test_an_unknown_delegate_comes_before_the_rules_and_a_resend_is_judged_afresh(
    memory: MemoryStore,
) -> None:
    early = "2025-05-23T17:30:00+02:00"  # not a conference day either
    assert code_of(lambda: scan(memory, "s-1", early, delegate="D0777")) == "unknown_delegate"
    assert code_of(lambda: scan(memory, "s-2", "2025-05-24T08:00:00+02:00", "D0777")) == (
        "unknown_delegate"
    )
    memory.save_delegate(EVENT, Delegate("D0777", "Late", Attendance.IN_PERSON), now=NOW)

    assert scan(memory, "s-2", "2025-05-24T08:00:00+02:00", "D0777").duplicate is False
    later = NOW + timedelta(minutes=1)
    assert code_of(lambda: scan(memory, "s-1", early, "D0777", now=later)) == (
        "not_a_conference_day"
    )
    refused = memory.refused_scans(EVENT)
    assert [(r.scan_id, r.delegate_id, r.code) for r in refused] == [
        ("s-1", "D0777", "unknown_delegate"),
        ("s-2", "D0777", "unknown_delegate"),
        ("s-1", "D0777", "not_a_conference_day"),
    ]
    assert refused[0].received_at == NOW


def test_scanned_in_future_comes_before_not_a_conference_day(memory: MemoryStore) -> None:
    eve = datetime(2025, 5, 23, 12, 0, tzinfo=UTC)
    assert code_of(lambda: scan(memory, "s-1", "2025-05-23T20:00:00+02:00", now=eve)) == (
        "scanned_in_future"
    )
    assert memory.recorded_scan(EVENT, "s-1") is None


def test_a_refused_scan_claims_no_id(memory: MemoryStore) -> None:
    at_six = datetime(2025, 5, 24, 6, 0, tzinfo=UTC)
    fast = "2025-05-24T08:30:00+02:00"  # the station's clock runs 30 minutes fast
    assert code_of(lambda: scan(memory, "s-1", fast, now=at_six)) == "scanned_in_future"

    assert scan(memory, "s-1", "2025-05-24T08:00:00+02:00", now=at_six).duplicate is False


def test_an_unknown_event_is_404_for_every_fact(memory: MemoryStore) -> None:
    calls = [
        lambda: recording.record_scan(
            memory,
            "nope",
            scan_id="s",
            delegate_id="D0001",
            station_id="d",
            scanned_at=NOW,
            now=NOW,
            skew=SKEW,
        ),
        lambda: recording.add_to_cart(memory, "nope", "D0001", "S01", now=NOW),
        lambda: recording.remove_from_cart(memory, "nope", "D0001", "S01"),
        lambda: recording.cart(memory, "nope", "D0001", now=NOW),
        lambda: recording.statement(memory, "nope", "D0001"),
    ]
    assert {code_of(call) for call in calls} == {"unknown_event"}


# --------------------------------------------------------------------------- views


def test_a_view_is_stored_once_and_its_id_is_final(memory: MemoryStore) -> None:
    live = "2025-05-24T10:45:00+02:00"
    first = view(memory, "v-1", "S01", ViewKind.LIVE, live, seconds=600)
    again = view(memory, "v-1", "S01", ViewKind.LIVE, live, seconds=600)

    assert (first.duplicate, again.duplicate) == (False, True)
    assert code_of(lambda: view(memory, "v-1", "S01", ViewKind.LIVE, live, seconds=60)) == (
        "id_reused"
    )
    assert code_of(lambda: view(memory, "v-1", "S02", ViewKind.LIVE, live, seconds=600)) == (
        "id_reused"
    )


def test_a_view_is_judged_after_its_delegate_and_session_exist(memory: MemoryStore) -> None:
    live = "2025-05-24T10:45:00+02:00"
    assert code_of(lambda: view(memory, "v-1", "NOPE", ViewKind.LIVE, live)) == "unknown_session"
    assert code_of(lambda: view(memory, "v-1", "NOPE", ViewKind.LIVE, live, delegate="X")) == (
        "unknown_delegate"
    )
    assert code_of(lambda: view(memory, "v-1", "S01", ViewKind.LIVE, live, delegate="X")) == (
        "unknown_delegate"
    )
    late = "2025-05-24T12:30:00+02:00"
    assert code_of(lambda: view(memory, "v-1", "S01", ViewKind.LIVE, late)) == "view_after_session"
    assert code_of(
        lambda: view(memory, "v-2", "CS01", ViewKind.ON_DEMAND, "2025-06-02T19:00:00+02:00")
    ) == ("not_recorded")


def test_a_resent_view_is_a_duplicate_even_once_a_rule_would_refuse_it(
    memory: MemoryStore,
) -> None:
    """The idempotent 200 comes before the rules: a view stored in June is no less stored
    when it is resent after the window closed."""
    june = "2025-06-02T19:00:00+02:00"
    assert view(memory, "v-1", "S01", ViewKind.ON_DEMAND, june).duplicate is False
    recorded = recording.record_view(
        memory,
        EVENT,
        "D0001",
        view_id="v-1",
        session_id="S01",
        kind=ViewKind.ON_DEMAND,
        watched_at=datetime.fromisoformat(june),
        seconds=None,
        now=datetime(2026, 1, 10, tzinfo=UTC),
        skew=SKEW,
    )
    assert recorded.duplicate is True


# --------------------------------------------------------------------------- cart and evaluations


def test_the_cart_takes_accredited_sessions_once(memory: MemoryStore) -> None:
    assert recording.add_to_cart(memory, EVENT, "D0001", "S01", now=NOW) is True
    assert recording.add_to_cart(memory, EVENT, "D0001", "S01", now=NOW) is False
    assert code_of(lambda: recording.add_to_cart(memory, EVENT, "D0001", "CS01", now=NOW)) == (
        "session_not_accredited"
    )
    assert code_of(lambda: recording.add_to_cart(memory, EVENT, "D0404", "S01", now=NOW)) == (
        "unknown_delegate"
    )
    assert code_of(lambda: recording.add_to_cart(memory, EVENT, "D0001", "NOPE", now=NOW)) == (
        "unknown_session"
    )


def test_an_evaluated_session_stays_in_the_cart(memory: MemoryStore) -> None:
    recording.add_to_cart(memory, EVENT, "D0001", "S03", now=NOW)
    evaluate(memory, "S01", "2025-05-24T12:05:00+02:00")

    recording.remove_from_cart(memory, EVENT, "D0001", "S03")
    recording.remove_from_cart(memory, EVENT, "D0001", "S03")  # not there any more: fine
    assert code_of(lambda: recording.remove_from_cart(memory, EVENT, "D0001", "S01")) == (
        "already_evaluated"
    )
    assert code_of(lambda: recording.remove_from_cart(memory, EVENT, "D0404", "S01")) == (
        "unknown_delegate"
    )
    lines = recording.cart(memory, EVENT, "D0001", now=NOW)
    assert [(line.session_id, line.evaluation) for line in lines] == [
        ("S01", EvaluationWindow.DONE)
    ]


def test_an_evaluation_is_final_and_a_true_retry_is_not_an_error(memory: MemoryStore) -> None:
    at = "2025-05-24T12:05:00+02:00"
    assert evaluate(memory, "S01", at, {"a": 1, "b": "x"}) is True
    assert evaluate(memory, "S01", at, {"b": "x", "a": 1}) is False  # the same answers
    assert code_of(lambda: evaluate(memory, "S01", at, {"a": 2, "b": "x"})) == ("already_evaluated")
    assert code_of(lambda: evaluate(memory, "S01", "2025-05-24T12:06:00+02:00")) == (
        "already_evaluated"
    )
    after_deadline = datetime(2025, 12, 2, tzinfo=UTC)
    assert evaluate(memory, "S01", at, {"a": 1, "b": "x"}, now=after_deadline) is False
    assert code_of(
        lambda: evaluate(memory, "S03", "2025-12-01T10:00:00+01:00", now=after_deadline)
    ) == ("claim_deadline_passed")


def test_an_evaluation_before_the_session_ends_is_not_open(memory: MemoryStore) -> None:
    assert code_of(lambda: evaluate(memory, "S01", "2025-05-24T11:00:00+02:00")) == (
        "evaluation_not_open"
    )
    assert code_of(lambda: evaluate(memory, "CS01", "2025-05-24T12:05:00+02:00")) == (
        "session_not_accredited"
    )
    assert code_of(lambda: evaluate(memory, "S01", "2025-05-24T12:05:00+02:00", delegate="X")) == (
        "unknown_delegate"
    )


# --------------------------------------------------------------------------- statements


def test_the_statement_counts_what_was_recorded(memory: MemoryStore) -> None:
    scan(memory, "s-1", "2025-05-24T08:00:00+02:00")
    evaluate(memory, "S01", "2025-05-24T12:05:00+02:00")
    evaluate(memory, "S03", "2025-05-24T14:35:00+02:00")
    evaluate(memory, "S05", "2025-05-25T10:05:00+02:00")  # 25 May: no scan that day
    evaluate(memory, "C23", "2025-05-26T10:05:00+02:00")  # 26 May: no evidence at all
    view(memory, "v-1", "S05", ViewKind.ON_DEMAND, "2025-06-02T19:00:00+02:00")

    statement = recording.statement(memory, EVENT, "D0001")

    assert statement.total == Decimal("4.5")
    assert [d.credits for d in statement.days] == [Decimal("3.0"), Decimal("1.5"), 0, 0]
    assert code_of(lambda: recording.statement(memory, EVENT, "D0404")) == "unknown_delegate"
