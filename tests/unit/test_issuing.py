"""Issuing, verifying and revoking certificates (`cme.issuing`) against the in-memory store
and PDFs in memory: the gates in the contract's order, one certificate while nothing
changes, a new one superseding the old when something does, two requests racing ending
with one serial. The same through the handlers, S3 and DynamoDB: tests/integration."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from cme import issuing, recording
from cme.errors import CmeError
from cme.facts import Attendance, Delegate, ViewKind
from cme.records import CertificateStatus
from cme.serials import display
from cme_tools.memory_store import MemoryPdfs, MemoryStore

EVENT = "eshg2025"
NOW = datetime(2025, 6, 15, 12, 0, tzinfo=UTC)
LIFETIME = timedelta(minutes=15)


def code_of(call: Any) -> str:
    with pytest.raises(CmeError) as refused:
        call()
    return refused.value.code


def evaluate(store: MemoryStore, session: str, at: str) -> None:
    assert recording.record_evaluation(
        store,
        EVENT,
        "D0001",
        session,
        submitted_at=datetime.fromisoformat(at),
        answers={"useful": 5},
        now=NOW,
        skew=timedelta(minutes=5),
    )


@pytest.fixture
def ready(memory: MemoryStore) -> MemoryStore:
    """D0001 scanned on 24 May and evaluated S01 and S03: 3.0 credits."""
    recording.record_scan(
        memory,
        EVENT,
        scan_id="s-1",
        delegate_id="D0001",
        station_id="desk-1",
        scanned_at=datetime.fromisoformat("2025-05-24T08:00:00+02:00"),
        now=NOW,
        skew=timedelta(minutes=5),
    )
    evaluate(memory, "S01", "2025-05-24T12:05:00+02:00")
    evaluate(memory, "S03", "2025-05-24T14:35:00+02:00")
    return memory


@pytest.fixture
def pdfs() -> MemoryPdfs:
    return MemoryPdfs()


def issue(
    store: MemoryStore, pdfs: MemoryPdfs, delegate: str = "D0001"
) -> issuing.CertificateAnswer:
    return issuing.issue_certificate(
        store,
        pdfs,
        EVENT,
        delegate,
        now=NOW,
        base_url="https://cme.example.org/v1",
        lifetime=LIFETIME,
    )


def test_the_gates_come_in_the_contracts_order(memory: MemoryStore, pdfs: MemoryPdfs) -> None:
    assert code_of(lambda: issue(memory, pdfs)) == "no_credits"  # the cart is empty
    recording.add_to_cart(memory, EVENT, "D0001", "S02", now=NOW)
    evaluate(memory, "S01", "2025-05-24T12:05:00+02:00")
    with pytest.raises(CmeError) as incomplete:
        issue(memory, pdfs)
    assert incomplete.value.code == "evaluations_incomplete"
    assert incomplete.value.extra()["missing"] == ["S02"]
    recording.remove_from_cart(memory, EVENT, "D0001", "S02")
    assert code_of(lambda: issue(memory, pdfs)) == "no_credits"  # evaluated, no evidence
    assert code_of(lambda: issue(memory, pdfs, "D0404")) == "unknown_delegate"
    assert pdfs.files == {}


def test_the_same_certificate_while_nothing_changes(ready: MemoryStore, pdfs: MemoryPdfs) -> None:
    first = issue(ready, pdfs)
    again = issue(ready, pdfs)
    latest = issuing.latest_certificate(ready, pdfs, EVENT, "D0001", now=NOW, lifetime=LIFETIME)

    assert (first.created, again.created, latest.created) == (True, False, False)
    assert first.serial == again.serial == latest.serial
    assert (first.total, first.status) == (Decimal("3.0"), CertificateStatus.VALID)
    assert [credits for _, credits in again.days] == [Decimal("3.0"), 0, 0, 0]
    assert first.url_expires_at == NOW + LIFETIME
    assert list(pdfs.files) == [f"certificates/{EVENT}/{first.serial}.pdf"]
    assert pdfs.files[f"certificates/{EVENT}/{first.serial}.pdf"].startswith(b"%PDF")


def test_a_change_issues_a_new_certificate_and_supersedes_the_old(
    ready: MemoryStore, pdfs: MemoryPdfs
) -> None:
    first = issue(ready, pdfs)
    evaluate(ready, "PL01", "2025-05-24T16:35:00+02:00")

    second = issue(ready, pdfs)

    assert (second.created, second.total) == (True, Decimal("4.5"))
    old = issuing.verification(issuing.find_certificate(ready, first.serial))
    new = issuing.verification(issuing.find_certificate(ready, display(second.serial)))
    assert (old.status, old.total) == (CertificateStatus.SUPERSEDED, Decimal("3.0"))
    assert (new.status, new.total) == (CertificateStatus.VALID, Decimal("4.5"))
    assert len(pdfs.files) == 2


def test_a_corrected_name_is_a_new_certificate(ready: MemoryStore, pdfs: MemoryPdfs) -> None:
    first = issue(ready, pdfs)
    renamed = Delegate("D0001", "Łukasz Żółć-Nowak", Attendance.IN_PERSON)
    ready.save_delegate(EVENT, renamed, now=NOW)

    second = issue(ready, pdfs)

    assert second.serial != first.serial
    stated = issuing.verification(issuing.find_certificate(ready, second.serial))
    assert stated.delegate_name == "Łukasz Żółć-Nowak"


def test_a_revoked_certificate_stays_revoked_and_is_not_superseded(
    ready: MemoryStore, pdfs: MemoryPdfs
) -> None:
    first = issue(ready, pdfs)
    revoked = issuing.revoke_certificate(ready, first.serial.lower(), reason="error", now=NOW)
    again = issuing.revoke_certificate(ready, display(first.serial), reason="again", now=NOW)
    assert (revoked.certificate.status, again.certificate.status) == (
        CertificateStatus.REVOKED,
        CertificateStatus.REVOKED,
    )
    assert (revoked.revoked_now, again.revoked_now) == (True, False)

    evaluate(ready, "PL01", "2025-05-24T16:35:00+02:00")
    # The revocation holds: no new certificate until an organiser lifts it.
    assert code_of(lambda: issue(ready, pdfs)) == "revoked"
    lifted = issuing.lift_revocation(ready, EVENT, "D0001", reason="appeal", actor="org", now=NOW)
    assert lifted is True
    second = issue(ready, pdfs)

    assert second.created is True
    found = issuing.find_certificate(ready, first.serial)
    assert found.status is CertificateStatus.REVOKED


def test_unknown_serials_and_missing_certificates(ready: MemoryStore, pdfs: MemoryPdfs) -> None:
    assert code_of(lambda: issuing.find_certificate(ready, "0000-0000-0000-0000-0000")) == (
        "unknown_certificate"
    )
    assert code_of(lambda: issuing.find_certificate(ready, "not a serial")) == (
        "unknown_certificate"
    )
    latest = lambda: issuing.latest_certificate(  # noqa: E731
        ready, pdfs, EVENT, "D0001", now=NOW, lifetime=LIFETIME
    )
    assert code_of(latest) == "no_certificate"


class RacingStore(MemoryStore):
    """A store in which another request for the same delegate records its certificate
    between this request's read and its write."""

    def __init__(self, race: Any) -> None:
        super().__init__()
        self.race = race

    def add_certificate(self, *args: Any, **kwargs: Any) -> None:
        race, self.race = self.race, None
        if race is not None:
            race(self)
        super().add_certificate(*args, **kwargs)


def test_two_requests_racing_end_with_one_serial(memory: MemoryStore, pdfs: MemoryPdfs) -> None:
    store = RacingStore(race=lambda store: issue(store, pdfs))
    programme = memory.programme(EVENT)
    assert programme is not None
    store.save_programme(EVENT, programme.document, replaces=None, now=NOW)
    store.save_delegate(EVENT, Delegate("D0001", "Łukasz Żółć", Attendance.ONLINE), now=NOW)
    evaluate(store, "S01", "2025-05-24T12:05:00+02:00")
    recording.record_view(
        store,
        EVENT,
        "D0001",
        view_id="v-1",
        session_id="S01",
        kind=ViewKind.ON_DEMAND,
        watched_at=datetime.fromisoformat("2025-06-02T19:00:00+02:00"),
        seconds=None,
        now=NOW,
        skew=timedelta(minutes=5),
    )

    answer = issue(store, pdfs)

    assert (answer.created, answer.total) == (False, Decimal("1.5"))  # the other's, judged again
    assert len(pdfs.files) == 1  # this request's PDF, refused for good, is discarded at once
    assert pdfs.pending == set()  # and the other's is kept
    record = store.delegate_record(EVENT, "D0001")
    assert record is not None and record.latest_certificate is not None
    assert record.latest_certificate.serial == answer.serial
    assert f"certificates/{EVENT}/{answer.serial}.pdf" in pdfs.files
