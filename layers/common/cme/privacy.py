"""Privacy and retention (CONTRACT.md, "Organiser decisions": export and erasure; issue 13).

- **Export**: everything stored about one delegate, for a subject access request.
- **Erasure**: the email and every answer (of evaluations and test attempts) go at once;
  the name, the facts (scans, views, cart, the evaluations and attempts themselves with
  each attempt's count of correct answers), the decisions and the certificates stay for the
  retention period, so statements, the report and verification do not change. The audit
  entry is written with the first write of the erasure; an erasure that failed half-way is
  completed by the next request, which writes no second entry (the decision stands, as
  when any decision is repeated). Answers that land during or after the erasure are
  stored without them (the store's condition on the profile decides).
- **Retention**: every item of an event expires (DynamoDB TTL, `expires_at`) at the end of
  the event's last day, in its zone, plus `RetentionYears` years (`retention_expiry`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from cme.facts import Attempt
    from cme.records import AuditEntry, Decision, Store


def retention_expiry(last_day: date, zone: ZoneInfo, years: int) -> datetime:
    """The end of `last_day` in `zone`, `years` years later: when the event's items may go.
    (The day after a 28 February that is followed by a 29th may land on a 29 February that
    does not exist `years` later: then 1 March, never earlier.)"""
    after = last_day + timedelta(days=1)
    try:
        kept_until = after.replace(year=after.year + years)
    except ValueError:  # 29 February in a year without one
        kept_until = date(after.year + years, 3, 1)
    return datetime.combine(kept_until, time(0), tzinfo=zone).astimezone(UTC)


def document_expiry(document: Mapping[str, Any], years: int) -> int | None:
    """`retention_expiry` of a stored programme document, as DynamoDB's TTL reads it
    (epoch seconds); None for a document without days (never stored: validation refuses
    it)."""
    days = [date.fromisoformat(str(day["date"])) for day in document.get("days", ())]
    if not days:
        return None
    zone = ZoneInfo(str(document["event"]["timezone"]))
    return int(retention_expiry(max(days), zone, years).timestamp())


def erase(
    store: Store, event_id: str, delegate_id: str, *, reason: str, actor: str, now: datetime
) -> bool:
    """Erase the delegate's email and answers; True when this request erased them, False
    when they were erased already (what a failed erasure left is completed either way)."""
    from cme.deciding import Action, delegate_target
    from cme.errors import UnknownDelegate
    from cme.recording import load_delegate, load_programme
    from cme.records import AuditEntry, WriteRefused
    from cme.rules.learning import grade

    programme = load_programme(store, event_id, latest=True)
    record = load_delegate(store, event_id, delegate_id)
    tests = {test.id: test for test in programme.tests}
    grades = {
        attempt.attempt_id: grade(tests[attempt.test_id], attempt.answers).correct
        for attempt in record.facts.test_attempts
        if attempt.correct is None and attempt.answers and attempt.test_id in tests
    }
    entry = AuditEntry(now, actor, Action.ERASED, delegate_target(delegate_id), reason)
    first = record.erased_at is None
    try:
        store.erase_delegate(
            event_id, delegate_id, grades=grades, now=now, audit=entry if first else None
        )
    except WriteRefused as refused:
        if "delegate" not in refused.failed:
            raise
        if not store.delegate_exists(event_id, delegate_id):
            raise UnknownDelegate(f"no delegate {delegate_id} at {event_id}") from None
        # Another request erased the delegate first, with its entry: complete it.
        store.erase_delegate(event_id, delegate_id, grades=grades, now=now, audit=None)
        return False
    return first


AUDIT_PAGE = 1000


def export(store: Store, event_id: str, delegate_id: str) -> dict[str, Any]:
    """Everything stored about the delegate (a subject access request): the profile (the
    email while it exists), every fact with its answers, the standings with the event's
    tests, the organiser's decisions, every certificate, the scans refused under the
    delegate's id and the audit entries about the delegate. Reads the delegate's items
    (one Query), the event's refused scans and its trail."""
    from cme.amounts import for_json
    from cme.deciding import delegate_target
    from cme.recording import load_delegate, load_programme
    from cme.rules.learning import attempt_grade, standing
    from cme.serials import display
    from cme.timestamps import format_utc

    programme = load_programme(store, event_id, latest=True)
    record = load_delegate(store, event_id, delegate_id)
    profile, facts = record.delegate, record.facts
    tests = {test.id: test for test in programme.tests}

    def decision(made: Decision) -> dict[str, str]:
        return {"actor": made.actor, "at": format_utc(made.at), "reason": made.reason}

    def attempt(made: Attempt) -> dict[str, Any]:
        test = tests.get(made.test_id)
        graded = None if test is None else attempt_grade(test, made)
        return {
            "test_id": made.test_id,
            "attempt_id": made.attempt_id,
            "submitted_at": format_utc(made.submitted_at),
            "answers": dict(made.answers),
            "score": None if graded is None else graded.score,
            "passed": None if graded is None else graded.passed,
        }

    mine = delegate_target(delegate_id)
    return {
        "event_id": event_id,
        "delegate_id": delegate_id,
        "profile": {
            "name": profile.name,
            "email": profile.email,
            "attendance": profile.attendance.value,
            "profession": profile.profession,
            "erased_at": None if record.erased_at is None else format_utc(record.erased_at),
        },
        "scans": [
            {
                "scan_id": scan.scan_id,
                "station_id": scan.station_id,
                "scanned_at": format_utc(scan.scanned_at),
                "day": scan.day.isoformat(),
                "room": scan.room,
                "direction": scan.direction.value,
            }
            for scan in facts.scans
        ],
        "views": [
            {
                "view_id": view.view_id,
                "session_id": view.session_id,
                "kind": view.kind.value,
                "watched_at": format_utc(view.watched_at),
                "seconds": view.seconds,
            }
            for view in facts.views
        ],
        "cart": sorted(facts.cart),
        "evaluations": [
            {
                "session_id": evaluation.session_id,
                "submitted_at": format_utc(evaluation.submitted_at),
                "answers": dict(evaluation.answers),
                "claimed_credits": evaluation.claimed_credits,
            }
            for evaluation in facts.evaluations.values()
        ],
        "test_attempts": [attempt(made) for made in facts.test_attempts],
        "tests": [
            standing(test, facts.test_attempts).as_dict()
            for test in tests.values()
            if any(made.test_id == test.id for made in facts.test_attempts)
        ],
        "decisions": {
            "extension": None
            if record.extension is None
            else {"until": record.extension.until, **decision(record.extension.decision)},
            "grants": [
                {"session_id": session_id, **decision(made)}
                for session_id, made in sorted(record.grants.items())
            ],
            "revocation": None if record.revocation is None else decision(record.revocation),
        },
        "certificates": [
            {
                "serial": display(certificate.serial),
                "status": certificate.status.value,
                "kind": certificate.kind,
                "issued_at": format_utc(certificate.issued_at),
                "total": for_json(certificate.total),
                "days": {day.isoformat(): for_json(credits) for day, credits in certificate.days},
            }
            for certificate in record.certificates
        ],
        "refused_scans": [
            {
                "scan_id": refused.scan_id,
                "station_id": refused.station_id,
                "scanned_at": format_utc(refused.scanned_at),
                "received_at": format_utc(refused.received_at),
                "code": refused.code,
                "room": refused.room,
                "direction": refused.direction.value,
            }
            for refused in store.refused_scans(event_id)
            if refused.delegate_id == delegate_id
        ],
        "audit": [
            entry.as_dict()
            for entry in _trail(store, event_id)
            if entry.target == mine or entry.target.startswith(mine + "/")
        ],
    }


def _trail(store: Store, event_id: str) -> Iterator[AuditEntry]:
    """The event's whole trail, newest first."""
    before: str | None = None
    while True:
        entries, before = store.audit_entries(event_id, before=before, limit=AUDIT_PAGE)
        yield from entries
        if before is None:
            return
