"""The `Store` contract: the same checks against the DynamoDB store (on moto) and the
in-memory one, so that the unit tests and the bench, which use the latter, see what the
service sees. Each write is all or nothing and names every condition that failed; what is
read back is what was written, as DynamoDB gives it back (UTC instants, JSON with exact
decimals)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from cme.facts import Attempt, Attendance, Delegate, Direction, Evaluation, Scan, View, ViewKind
from cme.records import (
    AuditEntry,
    Certificate,
    CertificateStatus,
    DelegateRecord,
    IssuedCertificate,
    NewScan,
    RecordedScan,
    RecordedView,
    References,
    RefusedScan,
    RowToKeep,
    Store,
    WriteRefused,
)
from cme.store.repository import DynamoStore
from cme_tools.memory_store import MemoryStore

pytestmark = pytest.mark.usefixtures("parsed_once")

EVENT = "eshg2025"
NOW = datetime(2025, 6, 15, 12, 0, tzinfo=UTC)
ROME = datetime(2025, 5, 24, 10, 1, tzinfo=ZoneInfo("Europe/Rome"))
"""An instant as the platform sends it, with the event's offset (+02:00)."""


@pytest.fixture(params=["dynamodb", "memory"])
def store(request: pytest.FixtureRequest) -> Store:
    if request.param == "memory":
        return MemoryStore()
    request.getfixturevalue("aws")
    return DynamoStore()


def registered(store: Store, *delegate_ids: str) -> None:
    for delegate_id in delegate_ids:
        delegate = Delegate(delegate_id, f"Name of {delegate_id}", Attendance.IN_PERSON)
        assert store.save_delegate(EVENT, delegate, now=NOW) is True


def record_of(store: Store, delegate_id: str) -> DelegateRecord:
    record = store.delegate_record(EVENT, delegate_id)
    assert record is not None
    return record


def issued(store: Store, serial: str) -> IssuedCertificate:
    found = store.certificate(serial)
    assert found is not None
    return found


def refused(write: Any) -> frozenset[str]:
    with pytest.raises(WriteRefused) as caught:
        write()
    return caught.value.failed


# --------------------------------------------------------------------------- programmes


def test_a_programme_is_created_once_and_replaced_at_the_version_read(store: Store) -> None:
    assert store.programme(EVENT) is None
    assert store.latest_programme(EVENT) is None

    first = store.save_programme(
        EVENT, {"event": {"total": Decimal("25.5")}}, replaces=None, now=NOW
    )

    assert first.version == 1
    assert refused(lambda: store.save_programme(EVENT, {}, replaces=None, now=NOW)) == {"programme"}
    second = store.save_programme(EVENT, {"event": {"total": 24}}, replaces=1, now=NOW)
    assert second.version == 2
    assert refused(lambda: store.save_programme(EVENT, {}, replaces=1, now=NOW)) == {"programme"}
    latest = store.latest_programme(EVENT)
    assert latest is not None
    assert (latest.event_id, latest.version, latest.document) == (
        EVENT,
        2,
        {"event": {"total": 24}},
    )
    assert latest.updated_at == NOW
    assert store.latest_programme("other") is None


def test_references_name_what_facts_refer_to(store: Store) -> None:
    registered(store, "D1", "D2")
    assert store.references(EVENT) == References(False)

    store.add_scan(EVENT, "D1", Scan("s-1", ROME, date(2025, 5, 24), "desk"), received_at=NOW)
    store.add_view(EVENT, "D2", View("v-1", "S01", ViewKind.LIVE, NOW), received_at=NOW)
    store.add_to_cart(EVENT, "D2", "S02", now=NOW)
    store.add_evaluation(EVENT, "D1", Evaluation("S03", NOW, {}), received_at=NOW)

    assert store.references(EVENT) == References(
        True, frozenset({date(2025, 5, 24)}), frozenset({"S01", "S02", "S03"})
    )


# --------------------------------------------------------------------------- delegates


def test_a_delegate_is_registered_then_updated(store: Store) -> None:
    assert store.delegate_exists(EVENT, "D1") is False
    assert store.delegate_record(EVENT, "D1") is None

    assert store.save_delegate(EVENT, Delegate("D1", "Ana", Attendance.ONLINE), now=NOW) is True
    renamed = Delegate("D1", "Ana Pérez", Attendance.IN_PERSON, "ana@example.org", "physician")
    assert store.save_delegate(EVENT, renamed, now=NOW + timedelta(days=1)) is False

    assert store.delegate_exists(EVENT, "D1") is True
    assert store.delegate_exists("other", "D1") is False
    record = record_of(store, "D1")
    assert record.delegate == renamed
    assert record.latest_certificate is None


def test_delegate_records_page_in_id_order(store: Store) -> None:
    registered(store, "D3", "D1", "D10", "D2")

    page, after = store.delegate_records(EVENT, after=None, limit=2)
    assert ([r.delegate.delegate_id for r in page], after) == (["D1", "D10"], "D10")
    page, after = store.delegate_records(EVENT, after="D10", limit=2)
    assert ([r.delegate.delegate_id for r in page], after) == (["D2", "D3"], None)
    page, after = store.delegate_records(EVENT, after=None, limit=10, enough=lambda: True)
    assert ([r.delegate.delegate_id for r in page], after) == (["D1"], "D1")
    assert store.delegate_records(EVENT, after=None, limit=4) == (
        store.delegate_records(EVENT, after=None, limit=5)
    )
    assert store.delegate_records("other", after=None, limit=5) == ([], None)


# --------------------------------------------------------------------------- facts


def test_a_scan_claims_its_id_and_a_retry_fails_the_guard(store: Store) -> None:
    registered(store, "D1", "D2")
    scan = Scan("s-1", ROME, date(2025, 5, 24), "desk-1")

    assert refused(lambda: store.add_scan(EVENT, "D9", scan, received_at=NOW)) == {"delegate"}
    store.add_scan(EVENT, "D1", scan, received_at=NOW)
    assert refused(lambda: store.add_scan(EVENT, "D1", scan, received_at=NOW)) == {
        "scan_id",
        "fact",
    }
    assert refused(lambda: store.add_scan(EVENT, "D2", scan, received_at=NOW)) == {"scan_id"}
    assert refused(lambda: store.add_scan(EVENT, "D9", scan, received_at=NOW)) == {
        "delegate",
        "scan_id",
    }

    recorded = store.recorded_scan(EVENT, "s-1")
    assert recorded == RecordedScan("D1", scan)
    assert recorded is not None
    assert recorded.scan.scanned_at.utcoffset() == timedelta(0)
    assert store.recorded_scan(EVENT, "s-2") is None
    assert record_of(store, "D1").facts.scans == (scan,)
    assert record_of(store, "D2").facts.scans == ()


def test_a_scan_keeps_its_room_and_direction(store: Store) -> None:
    registered(store, "D1")
    entry = Scan("s-in", ROME, date(2025, 5, 24), "hall-a-1", "Aula 1")
    exit_ = Scan(
        "s-out", ROME + timedelta(hours=2), date(2025, 5, 24), "hall-a-2", "Aula 1", Direction.OUT
    )
    desk = Scan("s-desk", ROME, date(2025, 5, 24), "desk-1")

    for scan in (entry, exit_, desk):
        store.add_scan(EVENT, "D1", scan, received_at=NOW)

    assert store.recorded_scan(EVENT, "s-in") == RecordedScan("D1", entry)
    assert store.recorded_scan(EVENT, "s-out") == RecordedScan("D1", exit_)
    assert store.recorded_scan(EVENT, "s-desk") == RecordedScan("D1", desk)
    by_id = {scan.scan_id: scan for scan in record_of(store, "D1").facts.scans}
    assert by_id == {"s-in": entry, "s-out": exit_, "s-desk": desk}
    assert (by_id["s-out"].room, by_id["s-out"].direction) == ("Aula 1", Direction.OUT)
    assert (by_id["s-desk"].room, by_id["s-desk"].direction) == (None, Direction.IN)


def test_a_view_claims_its_id_and_a_retry_fails_the_guard(store: Store) -> None:
    registered(store, "D1", "D2")
    view = View("v-1", "S01", ViewKind.ON_DEMAND, ROME, 1800)

    store.add_view(EVENT, "D1", view, received_at=NOW)

    assert refused(lambda: store.add_view(EVENT, "D1", view, received_at=NOW)) == {
        "view_id",
        "fact",
    }
    assert refused(lambda: store.add_view(EVENT, "D2", view, received_at=NOW)) == {"view_id"}
    assert refused(
        lambda: store.add_view(EVENT, "D9", view._replace(view_id="v-2"), received_at=NOW)
    ) == {"delegate"}
    assert store.recorded_view(EVENT, "v-1") == RecordedView("D1", view)
    assert store.recorded_view(EVENT, "v-2") is None
    without_seconds = View("v-3", "S02", ViewKind.LIVE, NOW)
    store.add_view(EVENT, "D1", without_seconds, received_at=NOW)
    assert record_of(store, "D1").facts.views == (view, without_seconds)


def test_the_cart_takes_a_session_once_and_keeps_an_evaluated_one(store: Store) -> None:
    registered(store, "D1")

    assert refused(lambda: store.add_to_cart(EVENT, "D9", "S01", now=NOW)) == {"delegate"}
    store.add_to_cart(EVENT, "D1", "S01", now=NOW)
    assert refused(lambda: store.add_to_cart(EVENT, "D1", "S01", now=NOW)) == {"cart"}
    store.remove_from_cart(EVENT, "D1", "S01")
    store.remove_from_cart(EVENT, "D1", "S01")  # not there: done all the same
    assert refused(lambda: store.remove_from_cart(EVENT, "D9", "S01")) == {"delegate"}

    store.add_evaluation(EVENT, "D1", Evaluation("S02", NOW, {"q": 1}), received_at=NOW)
    assert refused(lambda: store.remove_from_cart(EVENT, "D1", "S02")) == {"evaluation"}
    assert record_of(store, "D1").facts.cart == frozenset({"S02"})


def test_an_evaluation_is_final_and_joins_the_cart(store: Store) -> None:
    registered(store, "D1")
    store.add_to_cart(EVENT, "D1", "S01", now=NOW)
    answers = {"relevance": 5, "comment": "clear", "score": Decimal("4.5")}
    evaluation = Evaluation("S01", ROME, answers)

    assert refused(lambda: store.add_evaluation(EVENT, "D9", evaluation, received_at=NOW)) == {
        "delegate"
    }
    store.add_evaluation(EVENT, "D1", evaluation, received_at=NOW)
    store.add_evaluation(EVENT, "D1", Evaluation("S02", NOW, {}), received_at=NOW)
    again = Evaluation("S01", NOW, {"relevance": 1})
    assert refused(lambda: store.add_evaluation(EVENT, "D1", again, received_at=NOW)) == {
        "evaluation"
    }

    record = record_of(store, "D1")
    assert record.facts.cart == frozenset({"S01", "S02"})
    assert record.facts.evaluations["S01"] == evaluation
    assert record.answers["S01"] == '{"comment":"clear","relevance":5,"score":4.5}'
    assert list(record.facts.evaluations) == ["S01", "S02"]


def test_an_evaluation_keeps_its_claim(store: Store) -> None:
    registered(store, "D1")
    claimed = Evaluation("S01", ROME, {"q": 1}, Decimal("1.25"))
    whole = Evaluation("S02", ROME, {}, Decimal(2))
    unclaimed = Evaluation("S03", ROME, {})

    for evaluation in (claimed, whole, unclaimed):
        store.add_evaluation(EVENT, "D1", evaluation, received_at=NOW)

    evaluations = record_of(store, "D1").facts.evaluations
    assert evaluations == {"S01": claimed, "S02": whole, "S03": unclaimed}
    assert [evaluations[s].claimed_credits for s in ("S01", "S02", "S03")] == [
        Decimal("1.25"),
        Decimal("2"),
        None,
    ]
    assert isinstance(evaluations["S01"].claimed_credits, Decimal)


def test_refused_scans_are_kept_in_the_order_received(store: Store) -> None:
    later = RefusedScan("s-2", "D9", "desk", ROME, NOW + timedelta(hours=1), "x", "why")
    first = RefusedScan("s-1", "D1", "desk", ROME, NOW, "unknown_delegate", "no D1")
    hall = RefusedScan(
        "s-3",
        "D1",
        "hall",
        ROME,
        NOW + timedelta(hours=2),
        "id_reused",
        "",
        "Aula 1",
        Direction.OUT,
    )

    store.refuse_scan(EVENT, later)
    store.refuse_scan(EVENT, hall)
    store.refuse_scan(EVENT, first)

    assert store.refused_scans(EVENT) == [first, later, hall]
    assert (first.room, first.direction) == (None, Direction.IN)
    assert store.refused_scans("other") == []


def test_items_stored_before_rooms_directions_and_claims_read_with_the_defaults(
    aws: dict[str, Any],
) -> None:
    """Items stored before these attributes existed: a scan reads as an entry at a desk (no
    room), an evaluation as one without a claim."""
    store = DynamoStore()
    registered(store, "D1")
    scan = Scan("s-1", ROME, date(2025, 5, 24), "hall", "Aula 1", Direction.OUT)
    store.add_scan(EVENT, "D1", scan, received_at=NOW)
    store.add_evaluation(EVENT, "D1", Evaluation("S01", ROME, {}, Decimal("1.5")), received_at=NOW)
    store.refuse_scan(
        EVENT, RefusedScan("s-2", "D1", "hall", ROME, NOW, "x", "why", "Aula 1", Direction.OUT)
    )
    client, table = aws["dynamodb"], aws["CME_TABLE_NAME"]
    for item in client.scan(TableName=table)["Items"]:
        client.update_item(
            TableName=table,
            Key={"pk": item["pk"], "sk": item["sk"]},
            UpdateExpression="REMOVE #room, #direction, #claimed",
            ExpressionAttributeNames={
                "#room": "room",
                "#direction": "direction",
                "#claimed": "claimed_credits",
            },
        )
    old = scan._replace(room=None, direction=Direction.IN)

    assert store.recorded_scan(EVENT, "s-1") == RecordedScan("D1", old)
    facts = record_of(store, "D1").facts
    assert facts.scans == (old,)
    assert facts.evaluations["S01"].claimed_credits is None
    [refused_scan] = store.refused_scans(EVENT)
    assert (refused_scan.room, refused_scan.direction) == (None, Direction.IN)


# --------------------------------------------------------------------------- certificates


def certificate(serial: str, total: str = "3.0") -> Certificate:
    return Certificate(
        serial=serial,
        event_id=EVENT,
        delegate_id="D1",
        status=CertificateStatus.VALID,
        total=Decimal(total),
        days=((date(2025, 5, 24), Decimal(total)), (date(2025, 5, 25), Decimal("0"))),
        issued_at=ROME,
        pdf_key=f"certificates/{EVENT}/{serial}.pdf",
        fingerprint=f"digest of {serial}",
    )


STATED = {"delegate_name": "Ana", "total": Decimal("3.0"), "first_day": date(2025, 5, 24)}


def latest(store: Store) -> Certificate | None:
    return record_of(store, "D1").latest_certificate


def test_a_new_certificate_supersedes_the_one_read_and_only_that_one(store: Store) -> None:
    registered(store, "D1")
    first, second = certificate("AAAA1"), certificate("BBBB2", "4.5")

    store.add_certificate(first, STATED, latest=None, supersede=False, now=NOW)
    assert latest(store) == first
    assert refused(
        lambda: store.add_certificate(second, STATED, latest=None, supersede=False, now=NOW)
    ) == {"head"}
    store.add_certificate(second, STATED, latest=first, supersede=True, now=NOW)
    stale = certificate("CCCC3")
    assert refused(
        lambda: store.add_certificate(stale, STATED, latest=first, supersede=True, now=NOW)
    ) == {"head", "previous", "previous_copy"}

    assert latest(store) == second
    first_issued = issued(store, "AAAA1")
    assert (first_issued.status, first_issued.event_id, first_issued.delegate_id) == (
        CertificateStatus.SUPERSEDED,
        EVENT,
        "D1",
    )
    assert first_issued.issued_at == ROME
    assert first_issued.stated == {
        "delegate_name": "Ana",
        "total": Decimal("3.0"),
        "first_day": "2025-05-24",
    }
    assert issued(store, "BBBB2").status is CertificateStatus.VALID
    assert store.certificate("CCCC3") is None


def test_a_revoked_certificate_stays_revoked(store: Store) -> None:
    registered(store, "D1")
    first, second = certificate("AAAA1"), certificate("BBBB2", "4.5")
    store.add_certificate(first, STATED, latest=None, supersede=False, now=NOW)
    revocable = issued(store, "AAAA1")

    store.revoke_certificate(revocable, reason="issued in error", now=NOW)

    assert refused(lambda: store.revoke_certificate(revocable, reason="again", now=NOW)) == {
        "previous",
        "previous_copy",
    }
    assert issued(store, "AAAA1").status is CertificateStatus.REVOKED
    revoked = latest(store)
    assert revoked is not None and revoked.status is CertificateStatus.REVOKED
    assert refused(
        lambda: store.add_certificate(second, STATED, latest=revoked, supersede=True, now=NOW)
    ) == {"previous", "previous_copy"}
    store.add_certificate(second, STATED, latest=revoked, supersede=False, now=NOW)
    assert latest(store) == second
    assert issued(store, "AAAA1").status is CertificateStatus.REVOKED


# --------------------------------------------------------------------------- projections


def count(store: Store, delegate_id: str) -> int:
    kept = store.projection(EVENT, delegate_id)
    assert kept is not None
    return kept.pending


def test_every_write_that_changes_a_delegate_counts_on_its_projection(store: Store) -> None:
    assert store.projection(EVENT, "D1") is None
    registered(store, "D1")
    assert count(store, "D1") == 1
    store.save_delegate(EVENT, Delegate("D1", "Renamed", Attendance.ONLINE), now=NOW)
    scan = Scan("s1", ROME, date(2025, 5, 24), "desk")
    store.add_scan(EVENT, "D1", scan, received_at=NOW)
    view = View("v1", "S01", ViewKind.LIVE, ROME)
    store.add_view(EVENT, "D1", view, received_at=NOW)
    store.add_to_cart(EVENT, "D1", "S02", now=NOW)
    store.remove_from_cart(EVENT, "D1", "S02")
    store.add_evaluation(EVENT, "D1", Evaluation("S01", ROME, {"q": 1}), received_at=NOW)
    first = certificate("AAAA1")
    store.add_certificate(first, STATED, latest=None, supersede=False, now=NOW)
    store.revoke_certificate(issued(store, "AAAA1"), reason="error", now=NOW)
    assert count(store, "D1") == 9

    # A refused write counts nothing (all or nothing, the count included).
    assert refused(lambda: store.add_scan(EVENT, "D1", scan, received_at=NOW))
    assert refused(lambda: store.add_to_cart(EVENT, "D2", "S02", now=NOW)) == {"delegate"}
    assert count(store, "D1") == 9
    assert store.projection(EVENT, "D2") is None
    # Refused scans are kept apart and change no delegate.
    store.refuse_scan(
        EVENT, RefusedScan("s9", "D1", "desk", ROME, NOW, "not_a_conference_day", "no")
    )
    assert count(store, "D1") == 9


def test_a_row_is_kept_only_at_the_count_it_was_computed_at(store: Store) -> None:
    registered(store, "D1")
    row = {"name": "Name of D1", "total": Decimal("1.5")}
    assert store.save_projection(EVENT, "D1", row, pending=1, programme_version=3) is True
    kept = store.projection(EVENT, "D1")
    assert kept is not None
    assert (kept.pending, kept.projected, kept.programme_version, kept.row) == (1, 1, 3, row)
    assert kept.current(3) and not kept.current(4)

    store.add_to_cart(EVENT, "D1", "S01", now=NOW)  # the count moves on: 2
    assert (
        store.save_projection(EVENT, "D1", {"name": "late"}, pending=1, programme_version=3)
        is False
    )
    kept = store.projection(EVENT, "D1")
    assert kept is not None and (kept.pending, kept.projected, kept.row) == (2, 1, row)
    assert not kept.current(3)


def test_many_rows_are_kept_at_once_except_where_the_count_moved(store: Store) -> None:
    # Given three delegates, one of whom changed after the rows were computed
    registered(store, "D1", "D2", "D3")
    counts = {p.delegate_id: p.pending for p in store.projections_of(EVENT, ["D3", "D1", "D2"])}
    assert counts == {"D1": 1, "D2": 1, "D3": 1}
    assert store.projections_of(EVENT, ["D9"]) == []  # not registered
    store.add_to_cart(EVENT, "D2", "S01", now=NOW)

    # When the three rows are kept at the counts read
    rows = [RowToKeep(d, {"name": d, "total": Decimal("1.5")}, counts[d]) for d in sorted(counts)]
    kept = store.save_projections(EVENT, rows, programme_version=3)

    # Then the two whose count stood are current, the third is not kept
    assert kept == [True, False, True]
    after = {p.delegate_id: p for p in store.projections_of(EVENT, ["D1", "D2", "D3"])}
    assert after["D1"].current(3) and after["D3"].current(3)
    assert after["D1"].row == {"name": "D1", "total": Decimal("1.5")}
    assert (after["D2"].pending, after["D2"].row) == (2, None)


def test_scans_stored_together_each_answer_as_alone(store: Store) -> None:
    # Given a registered delegate holding scan s-1
    registered(store, "D1", "D2")
    store.add_scan(EVENT, "D1", Scan("s-1", ROME, date(2025, 5, 24), "desk"), received_at=NOW)
    scan = Scan("s-2", ROME, date(2025, 5, 24), "desk", room="Gold", direction=Direction.OUT)

    # When three scans are stored together: a resend, an unknown delegate's, a new one
    outcomes = store.add_scans(
        EVENT,
        [
            NewScan("D1", Scan("s-1", ROME, date(2025, 5, 24), "desk"), NOW),
            NewScan("D9", Scan("s-9", ROME, date(2025, 5, 24), "desk"), NOW),
            NewScan("D2", scan, NOW),
        ],
    )

    # Then each is refused, or stored, as it would be alone
    assert [None if o is None else getattr(o, "failed", o) for o in outcomes] == [
        frozenset({"scan_id", "fact"}),
        frozenset({"delegate"}),
        None,
    ]
    assert record_of(store, "D2").facts.scans == (scan._replace(scanned_at=ROME.astimezone(UTC)),)
    assert store.recorded_scan(EVENT, "s-9") is None
    with pytest.raises(ValueError):  # two actions on one item
        store.add_scans(EVENT, [NewScan("D1", scan, NOW), NewScan("D2", scan, NOW)])


def test_projections_page_in_delegate_order(store: Store) -> None:
    registered(store, "D3", "D1", "D2")
    page, last = store.projections(EVENT, after=None, limit=2)
    assert [p.delegate_id for p in page] == ["D1", "D2"]
    assert last == "D2"
    rest, end = store.projections(EVENT, after=last, limit=2)
    assert [p.delegate_id for p in rest] == ["D3"]
    assert end is None
    assert all(p.pending == 1 and p.row is None for p in page + rest)


def test_a_page_that_ends_with_the_last_projection_has_no_cursor(store: Store) -> None:
    registered(store, "D1", "D2")
    page, last = store.projections(EVENT, after=None, limit=2)
    assert [p.delegate_id for p in page] == ["D1", "D2"]
    assert last is None


# --------------------------------------------------------------------------- learning tests


def test_an_attempt_counts_in_the_standing_until_passed_or_used_up(store: Store) -> None:
    registered(store, "D1", "D2")
    store.save_delegate(EVENT, Delegate("D2", "Bea", Attendance.ONLINE, None, "nurse"), now=NOW)

    def attempt(attempt_id: str, test_id: str = "final") -> Attempt:
        return Attempt(test_id, attempt_id, ROME, {"q1": 1, "q2": 0})

    def add(delegate_id: str, tried: Attempt, *, passed: bool = False) -> None:
        store.add_attempt(EVENT, delegate_id, tried, passed=passed, allowed=2, received_at=NOW)

    assert refused(lambda: add("D9", attempt("a"))) == {"delegate"}
    add("D1", attempt("a"))
    assert refused(lambda: add("D1", attempt("a"))) == {"attempt"}
    add("D1", attempt("b"))
    assert refused(lambda: add("D1", attempt("c"))) == {"standing"}  # two of two used
    add("D1", attempt("c", "other"), passed=True)  # each test has its own standing
    assert refused(lambda: add("D1", attempt("d", "other"))) == {"standing"}  # passed
    add("D2", attempt("a"))  # an attempt id is the delegate's own

    record = record_of(store, "D1")
    assert [(a.test_id, a.attempt_id) for a in record.facts.test_attempts] == [
        ("final", "a"),
        ("final", "b"),
        ("other", "c"),
    ]
    assert record.facts.test_attempts[0].answers == {"q1": 1, "q2": 0}
    assert record.facts.test_attempts[0].submitted_at == ROME
    assert record.facts.profession is None
    assert record_of(store, "D2").facts.profession == "nurse"
    assert store.references(EVENT).professions == frozenset({"nurse"})


# --------------------------------------------------------------------------- privacy


def erasure_entry(at: datetime = NOW) -> AuditEntry:
    return AuditEntry(at, "organiser-key", "delegate_erased", "delegates/D1", "data subject")


def test_an_erasure_removes_the_email_and_every_answer_and_keeps_the_facts(store: Store) -> None:
    # Given a delegate with an email, two evaluations and two attempts (one stored with the
    # count of its correct answers, one without)
    registered(store, "D1", "D2")
    store.save_delegate(
        EVENT, Delegate("D1", "Ana", Attendance.ONLINE, "ana@example.org", "nurse"), now=NOW
    )
    for session_id in ("S01", "S02"):
        evaluation = Evaluation(session_id, ROME, {"comment": f"good {session_id}"}, Decimal(1))
        store.add_evaluation(EVENT, "D1", evaluation, received_at=NOW)
        store.add_evaluation(EVENT, "D2", evaluation, received_at=NOW)
    graded = Attempt("final", "a", ROME, {"q1": 1, "q2": 0}, correct=2)
    ungraded = Attempt("final", "b", ROME, {"q1": 0, "q2": 0})
    for tried in (graded, ungraded):
        store.add_attempt(EVENT, "D1", tried, passed=False, allowed=3, received_at=NOW)
    before = record_of(store, "D1")

    # When it is erased, with its entry
    store.erase_delegate(EVENT, "D1", grades={"b": 1, "a": 0}, now=NOW, audit=erasure_entry())

    # Then the email and the answers are gone; the rest, and the other delegate, stay
    after = record_of(store, "D1")
    assert after.erased_at == NOW
    assert after.delegate == before.delegate._replace(email=None)
    assert {s: dict(e.answers) for s, e in after.facts.evaluations.items()} == {
        "S01": {},
        "S02": {},
    }
    assert [e._replace(answers={}) for e in before.facts.evaluations.values()] == list(
        after.facts.evaluations.values()
    )
    assert [(a.attempt_id, dict(a.answers), a.correct) for a in after.facts.test_attempts] == [
        ("a", {}, 2),  # the count stored with it wins
        ("b", {}, 1),
    ]
    assert after.facts.cart == before.facts.cart
    assert after.answers == {"S01": "{}", "S02": "{}"}
    assert record_of(store, "D2").facts.evaluations["S01"].answers == {"comment": "good S01"}
    entries, _ = store.audit_entries(EVENT, before=None, limit=10)
    assert entries == [erasure_entry()]


def test_an_erasure_happens_once_and_completing_it_writes_no_entry(store: Store) -> None:
    registered(store, "D1")
    assert refused(
        lambda: store.erase_delegate(EVENT, "D9", grades={}, now=NOW, audit=erasure_entry())
    ) == {"delegate"}
    assert refused(lambda: store.erase_delegate(EVENT, "D9", grades={}, now=NOW, audit=None)) == {
        "delegate"
    }

    store.erase_delegate(EVENT, "D1", grades={}, now=NOW, audit=erasure_entry())
    later = NOW + timedelta(hours=1)
    assert refused(
        lambda: store.erase_delegate(EVENT, "D1", grades={}, now=later, audit=erasure_entry(later))
    ) == {"delegate"}
    store.erase_delegate(EVENT, "D1", grades={}, now=later, audit=None)

    assert record_of(store, "D1").erased_at == NOW  # the first erasure's instant stays
    entries, _ = store.audit_entries(EVENT, before=None, limit=10)
    assert entries == [erasure_entry()]


def test_answers_arriving_after_an_erasure_are_not_kept(store: Store) -> None:
    registered(store, "D1")
    store.erase_delegate(EVENT, "D1", grades={}, now=NOW, audit=erasure_entry())

    store.add_evaluation(EVENT, "D1", Evaluation("S01", ROME, {"q": "late"}), received_at=NOW)
    attempt = Attempt("final", "a", ROME, {"q1": 1}, correct=1)
    store.add_attempt(EVENT, "D1", attempt, passed=True, allowed=1, received_at=NOW)

    record = record_of(store, "D1")
    assert record.facts.evaluations["S01"] == Evaluation("S01", ROME, {})  # the fact counts
    assert record.facts.cart == frozenset({"S01"})
    assert record.facts.test_attempts == (attempt._replace(answers={}),)
    # and the conditions of those writes still hold
    again = Evaluation("S01", ROME, {})
    assert refused(lambda: store.add_evaluation(EVENT, "D1", again, received_at=NOW)) == {
        "evaluation"
    }
