"""Privacy and retention in the domain (`cme.privacy`), on the in-memory store: when an
event's items expire, and what an erasure keeps of a learning test."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from cme import organising, privacy
from cme.errors import UnknownDelegate
from cme.facts import Attempt, Attendance, Delegate
from cme.recording import statement
from cme_tools.memory_store import MemoryStore
from tests import ecm

ROME = ZoneInfo("Europe/Rome")
NOW = datetime(2025, 6, 15, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("last_day", "years", "expires"),
    [
        # the end of 27 May in Milan (CEST, UTC+2), six years on
        (date(2025, 5, 27), 6, datetime(2031, 5, 27, 22, 0, tzinfo=UTC)),
        # in winter the zone is an hour closer to UTC
        (date(2025, 11, 30), 1, datetime(2026, 11, 30, 23, 0, tzinfo=UTC)),
        # the day after 28 Feb 2024 is the 29th, which 2025 lacks: 1 March, never earlier
        (date(2024, 2, 28), 1, datetime(2025, 2, 28, 23, 0, tzinfo=UTC)),
    ],
)
def test_items_expire_at_the_end_of_the_last_day_years_later(
    last_day: date, years: int, expires: datetime
) -> None:
    assert privacy.retention_expiry(last_day, ROME, years) == expires


def test_a_programme_document_expires_by_its_last_listed_day() -> None:
    document = ecm.document()
    document["days"].insert(0, {"date": "2025-06-20", "cap": "4"})  # listed first, last in time
    assert privacy.document_expiry(document, 6) == int(
        datetime(2031, 6, 20, 22, 0, tzinfo=UTC).timestamp()
    )
    assert privacy.document_expiry({"event": {}}, 6) is None


def test_an_erasure_keeps_the_standing_of_an_attempt_stored_before_grades_were() -> None:
    # Given a nurse who passed the event test with an attempt stored without its grade
    store = MemoryStore()
    organising.put_programme(store, ecm.EVENT, ecm.document(), now=NOW)
    nurse = Delegate("N1", "Anna", Attendance.IN_PERSON, "anna@example.org", "nurse")
    store.save_delegate(ecm.EVENT, nurse, now=NOW)
    passed = Attempt("final", "t-1", ecm.TESTED, ecm.PASSING)
    store.add_attempt(ecm.EVENT, "N1", passed, passed=True, allowed=1, received_at=NOW)
    assert statement(store, ecm.EVENT, "N1").test_passed is True

    # When the organiser erases her, and again
    first = privacy.erase(store, ecm.EVENT, "N1", reason="asked", actor="org", now=NOW)
    again = privacy.erase(store, ecm.EVENT, "N1", reason="asked", actor="org", now=NOW)

    # Then the answers are gone, the test stays passed, and one erasure was made
    record = store.delegate_record(ecm.EVENT, "N1")
    assert record is not None
    assert [(dict(a.answers), a.correct) for a in record.facts.test_attempts] == [({}, 3)]
    assert statement(store, ecm.EVENT, "N1").test_passed is True
    assert (first, again) == (True, False)
    with pytest.raises(UnknownDelegate):
        privacy.erase(store, ecm.EVENT, "N9", reason="asked", actor="org", now=NOW)
