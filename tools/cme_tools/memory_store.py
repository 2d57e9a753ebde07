"""`MemoryStore`: the service's `cme.records.Store` in memory, for unit tests of the domain
and for the bench (a congress of thousands of delegates that moto cannot hold); and
`MemoryPdfs`, the certificate PDFs beside it.

It keeps what the DynamoDB store keeps and answers as it does: every write checks all of
its conditions before it changes anything and either happens whole or raises
`WriteRefused` naming every condition that failed (DynamoDB's cancellation reasons, by
the same labels); a retry of a recorded fact fails its guard the same way. What comes back
is what DynamoDB gives back: instants in UTC, JSON read again with exact decimals, facts in
key order. `tests/integration/test_store_contract.py` runs the same checks against both.

It never runs in Lambda, so it lives with the tools, not in the layer.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from cme.errors import Throttled
from cme.facts import Attempt, Delegate, DelegateFacts, Evaluation, Scan, View
from cme.jsonio import dumps, loads
from cme.records import (
    AuditEntry,
    Certificate,
    CertificateStatus,
    Decision,
    DelegateRecord,
    Extension,
    IssuedCertificate,
    NewScan,
    RecordedScan,
    RecordedView,
    References,
    RefusedScan,
    RowToKeep,
    StoredProgramme,
    StoredProjection,
    WriteRefused,
    canonical_answers,
)


def _utc(instant: datetime) -> datetime:
    return instant.astimezone(UTC)


def _json(value: Any) -> Any:
    """As stored and read again (the DynamoDB store keeps JSON text)."""
    return loads(dumps(value))


@dataclass
class _Delegate:
    """One delegate's items: what `DEL#<delegate>#...` holds in DynamoDB."""

    profile: Delegate
    scans: dict[str, Scan] = field(default_factory=dict)
    views: dict[str, View] = field(default_factory=dict)
    cart: dict[str, datetime] = field(default_factory=dict)
    """Session -> when it joined the cart."""
    evaluations: dict[str, Evaluation] = field(default_factory=dict)
    attempts: dict[str, Attempt] = field(default_factory=dict)
    standings: dict[str, tuple[int, bool]] = field(default_factory=dict)
    """Test id -> (attempts used, passed): `DEL#<d>#TESTS#<test>`."""
    certificates: dict[str, Certificate] = field(default_factory=dict)
    latest: str | None = None
    """The serial of the latest certificate (the head)."""
    extension: Extension | None = None
    grants: dict[str, Decision] = field(default_factory=dict)
    revocation: Decision | None = None
    projection: StoredProjection = field(default_factory=lambda: StoredProjection("", 0))
    """What `PROJ#<delegate>` holds (its `pending` counts the writes that touched it)."""
    erased_at: datetime | None = None
    """When the email and answers were erased: answers arriving later are not kept."""

    def kept(self, answers: Mapping[str, Any]) -> Any:
        """Answers as stored: none once the delegate is erased."""
        return {} if self.erased_at is not None else loads(canonical_answers(answers))

    def touched(self) -> None:
        self.projection = replace(self.projection, pending=self.projection.pending + 1)

    def record(self) -> DelegateRecord:
        evaluations = dict(sorted(self.evaluations.items()))
        facts = DelegateFacts(
            delegate_id=self.profile.delegate_id,
            scans=tuple(self.scans[k] for k in sorted(self.scans)),
            views=tuple(self.views[k] for k in sorted(self.views)),
            cart=frozenset(self.cart),
            evaluations=evaluations,
            profession=self.profile.profession,
            test_attempts=tuple(self.attempts[k] for k in sorted(self.attempts)),
            grants=frozenset(self.grants),
        )
        answers = {s: canonical_answers(e.answers) for s, e in evaluations.items()}
        latest = None if self.latest is None else self.certificates[self.latest]
        return DelegateRecord(
            self.profile,
            facts,
            answers,
            latest,
            self.extension,
            dict(sorted(self.grants.items())),
            self.revocation,
            erased_at=self.erased_at,
            certificates=tuple(
                sorted(self.certificates.values(), key=lambda c: (c.issued_at, c.serial))
            ),
        )


@dataclass
class _Event:
    programme: StoredProgramme | None = None
    delegates: dict[str, _Delegate] = field(default_factory=dict)
    scans: dict[str, RecordedScan] = field(default_factory=dict)
    """The scan ids claimed in the event (the retry guard)."""
    views: dict[str, RecordedView] = field(default_factory=dict)
    refused: dict[tuple[str, str], RefusedScan] = field(default_factory=dict)
    """By (when received, as text; scan id): DynamoDB's sort key of a refused scan."""
    audit: list[AuditEntry] = field(default_factory=list)
    """The trail in the order it was written."""


def _refuse_unless(conditions: Mapping[str, bool]) -> None:
    """A write happens only when every condition (label -> holds) holds."""
    failed = frozenset(label for label, holds in conditions.items() if not holds)
    if failed:
        raise WriteRefused(failed)


def _claim[C, F](
    claims: dict[str, C], label: str, fact_id: str, claim: C, *, facts: dict[str, F] | None, fact: F
) -> None:
    """A scan or a view: the delegate exists (it has `facts`), the client's id is not
    claimed in the event (the retry guard, `label`), the fact is new; then both are kept."""
    _refuse_unless(
        {
            "delegate": facts is not None,
            label: fact_id not in claims,
            "fact": facts is None or fact_id not in facts,
        }
    )
    assert facts is not None
    claims[fact_id] = claim
    facts[fact_id] = fact


class MemoryStore:
    """Every event in dictionaries. Each write checks and applies under one lock: all or
    nothing, as a transaction. Certificates are recorded for registered delegates only
    (the domain reads the delegate's record first)."""

    def __init__(self) -> None:
        self._events: dict[str, _Event] = {}
        self._certificates: dict[str, IssuedCertificate] = {}
        self._lock = threading.RLock()

    def _event(self, event_id: str) -> _Event:
        return self._events.setdefault(event_id, _Event())

    # ------------------------------------------------------------------ programmes

    def programme(self, event_id: str) -> StoredProgramme | None:
        return self._event(event_id).programme

    def latest_programme(self, event_id: str) -> StoredProgramme | None:
        return self._event(event_id).programme

    def restamp(self, event_id: str) -> int:
        return 0  # no expiry in memory: DynamoDB's TTL is the Dynamo store's alone

    def save_programme(
        self,
        event_id: str,
        document: dict[str, Any],
        *,
        replaces: int | None,
        now: datetime,
        audit: AuditEntry | None = None,
    ) -> StoredProgramme:
        with self._lock:
            event = self._event(event_id)
            version = None if event.programme is None else event.programme.version
            _refuse_unless({"programme": version == replaces})
            version = 1 if replaces is None else replaces + 1
            event.programme = StoredProgramme(event_id, _json(document), version, _utc(now))
            if audit is not None:
                event.audit.append(audit)
            return event.programme

    def references(self, event_id: str) -> References:
        days: set[date] = set()
        sessions: set[str] = set()
        professions: set[str] = set()
        any_facts = False
        for delegate in self._event(event_id).delegates.values():
            if delegate.profile.profession is not None:
                professions.add(delegate.profile.profession)
            days.update(scan.day for scan in delegate.scans.values())
            sessions.update(view.session_id for view in delegate.views.values())
            sessions.update(delegate.cart)
            sessions.update(delegate.evaluations)
            any_facts = any_facts or bool(
                delegate.scans or delegate.views or delegate.cart or delegate.evaluations
            )
        return References(any_facts, frozenset(days), frozenset(sessions), frozenset(professions))

    # ------------------------------------------------------------------ delegates

    def save_delegate(
        self,
        event_id: str,
        delegate: Delegate,
        *,
        now: datetime,
        audit: AuditEntry | None = None,
    ) -> bool:
        with self._lock:
            if audit is not None:
                self._event(event_id).audit.append(audit)
            delegates = self._event(event_id).delegates
            existing = delegates.get(delegate.delegate_id)
            if existing is None:
                created = _Delegate(delegate)
                created.projection = StoredProjection(delegate.delegate_id, 1)
                delegates[delegate.delegate_id] = created
                return True
            existing.profile = delegate
            existing.touched()
            return False

    def delegate_exists(self, event_id: str, delegate_id: str) -> bool:
        return delegate_id in self._event(event_id).delegates

    def delegate_record(
        self, event_id: str, delegate_id: str, *, consistent: bool = False
    ) -> DelegateRecord | None:
        delegate = self._event(event_id).delegates.get(delegate_id)
        return None if delegate is None else delegate.record()

    def delegate_records(
        self,
        event_id: str,
        *,
        after: str | None,
        limit: int,
        enough: Callable[[], bool] = lambda: False,
    ) -> tuple[list[DelegateRecord], str | None]:
        delegates = self._event(event_id).delegates
        ids = sorted(d for d in delegates if after is None or d > after)
        records: list[DelegateRecord] = []
        for n, delegate_id in enumerate(ids):
            records.append(delegates[delegate_id].record())
            if n + 1 < len(ids) and (len(records) == limit or enough()):
                return records, delegate_id
        return records, None

    # ------------------------------------------------------------------ projections

    def projections(
        self, event_id: str, *, after: str | None, limit: int
    ) -> tuple[list[StoredProjection], str | None]:
        delegates = self._event(event_id).delegates
        ids = sorted(d for d in delegates if after is None or d > after)
        page = [delegates[d].projection for d in ids[:limit]]
        return page, (ids[limit - 1] if len(ids) > limit else None)

    def projection(self, event_id: str, delegate_id: str) -> StoredProjection | None:
        delegate = self._delegate(event_id, delegate_id)
        return None if delegate is None else delegate.projection

    def projections_of(self, event_id: str, delegates: Sequence[str]) -> list[StoredProjection]:
        return [p for d in dict.fromkeys(delegates) if (p := self.projection(event_id, d))]

    def save_projections(
        self, event_id: str, rows: Sequence[RowToKeep], *, programme_version: int
    ) -> list[bool]:
        version = programme_version
        return [
            self.save_projection(event_id, d, row, pending=n, programme_version=version)
            for d, row, n in rows
        ]

    def save_projection(
        self,
        event_id: str,
        delegate_id: str,
        row: Mapping[str, Any],
        *,
        pending: int,
        programme_version: int,
    ) -> bool:
        with self._lock:
            delegate = self._delegate(event_id, delegate_id)
            if delegate is None or delegate.projection.pending != pending:
                return False
            delegate.projection = StoredProjection(
                delegate_id, pending, pending, programme_version, _json(row)
            )
            return True

    # ------------------------------------------------------------------ facts

    def _delegate(self, event_id: str, delegate_id: str) -> _Delegate | None:
        return self._event(event_id).delegates.get(delegate_id)

    def add_scan(
        self, event_id: str, delegate_id: str, scan: Scan, *, received_at: datetime
    ) -> None:
        kept = scan._replace(scanned_at=_utc(scan.scanned_at))
        with self._lock:
            event, delegate = self._event(event_id), self._delegate(event_id, delegate_id)
            facts = None if delegate is None else delegate.scans
            claim = RecordedScan(delegate_id, kept)
            _claim(event.scans, "scan_id", scan.scan_id, claim, facts=facts, fact=kept)
            assert delegate is not None
            delegate.touched()

    def add_scans(
        self, event_id: str, scans: Sequence[NewScan], *, side_by_side: int = 1
    ) -> list[WriteRefused | Throttled | None]:
        """Each as `add_scan`, one after another (DynamoDB: several to a transaction, a
        transaction cancelled by some sent again without them: the same outcomes)."""
        if len({s.scan.scan_id for s in scans}) + len({s.delegate_id for s in scans}) < 2 * len(
            scans
        ):
            raise ValueError("two actions on one item: scan ids and delegates must differ")
        outcomes: list[WriteRefused | Throttled | None] = []
        for new in scans:
            try:
                self.add_scan(event_id, new.delegate_id, new.scan, received_at=new.received_at)
            except WriteRefused as refused:
                outcomes.append(refused)
            else:
                outcomes.append(None)
        return outcomes

    def recorded_scan(self, event_id: str, scan_id: str) -> RecordedScan | None:
        return self._event(event_id).scans.get(scan_id)

    def refuse_scan(self, event_id: str, refused: RefusedScan) -> None:
        kept = replace(
            refused, scanned_at=_utc(refused.scanned_at), received_at=_utc(refused.received_at)
        )
        with self._lock:
            key = (refused.received_at.isoformat(), refused.scan_id)
            self._event(event_id).refused[key] = kept

    def refused_scans(self, event_id: str) -> list[RefusedScan]:
        refused = self._event(event_id).refused
        return [refused[key] for key in sorted(refused)]

    def add_view(
        self, event_id: str, delegate_id: str, view: View, *, received_at: datetime
    ) -> None:
        kept = view._replace(watched_at=_utc(view.watched_at))
        with self._lock:
            event, delegate = self._event(event_id), self._delegate(event_id, delegate_id)
            facts = None if delegate is None else delegate.views
            claim = RecordedView(delegate_id, kept)
            _claim(event.views, "view_id", view.view_id, claim, facts=facts, fact=kept)
            assert delegate is not None
            delegate.touched()

    def recorded_view(self, event_id: str, view_id: str) -> RecordedView | None:
        return self._event(event_id).views.get(view_id)

    def add_to_cart(
        self, event_id: str, delegate_id: str, session_id: str, *, now: datetime
    ) -> None:
        with self._lock:
            delegate = self._delegate(event_id, delegate_id)
            _refuse_unless(
                {
                    "delegate": delegate is not None,
                    "cart": delegate is None or session_id not in delegate.cart,
                }
            )
            assert delegate is not None
            delegate.cart[session_id] = _utc(now)
            delegate.touched()

    def remove_from_cart(self, event_id: str, delegate_id: str, session_id: str) -> None:
        with self._lock:
            delegate = self._delegate(event_id, delegate_id)
            _refuse_unless(
                {
                    "delegate": delegate is not None,
                    "evaluation": delegate is None or session_id not in delegate.evaluations,
                }
            )
            assert delegate is not None
            delegate.cart.pop(session_id, None)
            delegate.touched()

    def add_evaluation(
        self, event_id: str, delegate_id: str, evaluation: Evaluation, *, received_at: datetime
    ) -> None:
        session_id = evaluation.session_id
        with self._lock:
            delegate = self._delegate(event_id, delegate_id)
            _refuse_unless(
                {
                    "delegate": delegate is not None,
                    "evaluation": delegate is None or session_id not in delegate.evaluations,
                }
            )
            assert delegate is not None
            delegate.evaluations[session_id] = evaluation._replace(
                submitted_at=_utc(evaluation.submitted_at),
                answers=delegate.kept(evaluation.answers),
            )
            delegate.cart.setdefault(session_id, _utc(received_at))
            delegate.touched()

    def add_attempt(
        self,
        event_id: str,
        delegate_id: str,
        attempt: Attempt,
        *,
        passed: bool,
        allowed: int,
        received_at: datetime,
    ) -> None:
        with self._lock:
            delegate = self._delegate(event_id, delegate_id)
            used, was_passed = (
                (0, False)
                if delegate is None
                else delegate.standings.get(attempt.test_id, (0, False))
            )
            _refuse_unless(
                {
                    "delegate": delegate is not None,
                    "attempt": delegate is None or attempt.attempt_id not in delegate.attempts,
                    "standing": not was_passed and used < allowed,
                }
            )
            assert delegate is not None
            delegate.attempts[attempt.attempt_id] = attempt._replace(
                submitted_at=_utc(attempt.submitted_at),
                answers=delegate.kept(attempt.answers),
            )
            delegate.standings[attempt.test_id] = (used + 1, passed)
            delegate.touched()

    # ------------------------------------------------------------------ certificates

    def add_certificate(
        self,
        certificate: Certificate,
        stated: Mapping[str, Any],
        *,
        latest: Certificate | None,
        supersede: bool,
        now: datetime,
    ) -> None:
        serial = certificate.serial
        with self._lock:
            delegate = self._delegate(certificate.event_id, certificate.delegate_id)
            if delegate is None:
                raise ValueError(f"{certificate.delegate_id} is not registered")
            conditions = {
                "head": delegate.latest == (None if latest is None else latest.serial),
                "serial": serial not in self._certificates,
                "copy": serial not in delegate.certificates,
                "revoked": delegate.revocation is None,
            }
            if supersede and latest is not None:
                conditions |= self._status_conditions(latest.serial, CertificateStatus.VALID)
            _refuse_unless(conditions)
            kept = replace(certificate, issued_at=_utc(certificate.issued_at))
            delegate.certificates[serial] = kept
            delegate.latest = serial
            self._certificates[serial] = IssuedCertificate(
                serial,
                certificate.event_id,
                certificate.delegate_id,
                certificate.status,
                kept.issued_at,
                _json(stated),
            )
            if supersede and latest is not None:
                self._set_status(latest.serial, CertificateStatus.SUPERSEDED)
            delegate.touched()

    def certificate(self, serial: str) -> IssuedCertificate | None:
        return self._certificates.get(serial)

    def revoke_certificate(
        self,
        certificate: IssuedCertificate,
        *,
        reason: str,
        now: datetime,
        audit: AuditEntry | None = None,
    ) -> None:
        with self._lock:
            _refuse_unless(self._status_conditions(certificate.serial))
            self._set_status(certificate.serial, CertificateStatus.REVOKED)
            owner = self._delegate(certificate.event_id, certificate.delegate_id)
            assert owner is not None
            owner.touched()
            if audit is not None:
                self._event(certificate.event_id).audit.append(audit)
                delegate = self._delegate(certificate.event_id, certificate.delegate_id)
                if delegate is not None:
                    delegate.revocation = Decision(audit.actor, audit.at, reason)

    def lift_revocation(self, event_id: str, delegate_id: str, *, audit: AuditEntry) -> None:
        with self._lock:
            delegate = self._delegate(event_id, delegate_id)
            _refuse_unless({"delegate": delegate is not None})
            assert delegate is not None
            delegate.revocation = None
            self._event(event_id).audit.append(audit)

    # ------------------------------------------------------------------ decisions

    def set_extension(
        self,
        event_id: str,
        delegate_id: str,
        extension: Extension | None,
        *,
        audit: AuditEntry,
        replaces: Extension | None,
    ) -> None:
        with self._lock:
            delegate = self._delegate(event_id, delegate_id)
            _refuse_unless({"delegate": delegate is not None})
            assert delegate is not None
            _refuse_unless({"extension": delegate.extension == replaces})
            delegate.extension = extension
            self._event(event_id).audit.append(audit)

    def set_grant(
        self,
        event_id: str,
        delegate_id: str,
        session_id: str,
        decision: Decision | None,
        *,
        audit: AuditEntry,
    ) -> None:
        with self._lock:
            delegate = self._delegate(event_id, delegate_id)
            _refuse_unless({"delegate": delegate is not None})
            assert delegate is not None
            if decision is None:
                delegate.grants.pop(session_id, None)
            else:
                delegate.grants[session_id] = decision
            delegate.touched()
            self._event(event_id).audit.append(audit)

    def audit_entries(
        self, event_id: str, *, before: str | None, limit: int
    ) -> tuple[list[AuditEntry], str | None]:
        """Positions are indexes into the trail, as text."""
        trail = self._event(event_id).audit
        end = int(before.rsplit("#", 1)[-1]) if before else len(trail)
        start = max(0, end - limit)
        page = list(reversed(trail[start:end]))
        return page, (f"AUDIT#{start}" if start > 0 else None)

    # ------------------------------------------------------------------ privacy

    def erase_delegate(
        self,
        event_id: str,
        delegate_id: str,
        *,
        grades: Mapping[str, int],
        now: datetime,
        audit: AuditEntry | None,
    ) -> None:
        with self._lock:
            delegate = self._delegate(event_id, delegate_id)
            erased = delegate is not None and delegate.erased_at is not None
            _refuse_unless({"delegate": delegate is not None and not (audit and erased)})
            assert delegate is not None
            delegate.profile = delegate.profile._replace(email=None)
            delegate.erased_at = delegate.erased_at or _utc(now)
            for session_id, evaluation in delegate.evaluations.items():
                delegate.evaluations[session_id] = evaluation._replace(answers={})
            for attempt_id, attempt in delegate.attempts.items():
                correct = grades.get(attempt_id) if attempt.correct is None else attempt.correct
                delegate.attempts[attempt_id] = attempt._replace(answers={}, correct=correct)
            if audit is not None:
                self._event(event_id).audit.append(audit)

    def _status_conditions(
        self, serial: str, only_from: CertificateStatus | None = None
    ) -> dict[str, bool]:
        """Both copies change together: from `only_from`, else from anything but revoked."""
        by_serial = self._certificates.get(serial)
        copy = None
        if by_serial is not None:
            delegate = self._delegate(by_serial.event_id, by_serial.delegate_id)
            copy = None if delegate is None else delegate.certificates.get(serial)
        statuses = {
            "previous": None if by_serial is None else by_serial.status,
            "previous_copy": None if copy is None else copy.status,
        }
        return {
            label: status is not None
            and (status is only_from if only_from else status is not CertificateStatus.REVOKED)
            for label, status in statuses.items()
        }

    def _set_status(self, serial: str, status: CertificateStatus) -> None:
        by_serial = self._certificates[serial]
        self._certificates[serial] = replace(by_serial, status=status)
        delegate = self._delegate(by_serial.event_id, by_serial.delegate_id)
        assert delegate is not None
        delegate.certificates[serial] = replace(delegate.certificates[serial], status=status)


class MemoryPdfs:
    """Certificate PDFs by key, with links that name them (nothing to sign)."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.titles: dict[str, str] = {}
        self.pending: set[str] = set()
        """Written, not yet kept: what S3's lifecycle rule would remove."""

    def put(self, key: str, data: bytes, *, title: str) -> None:
        self.files[key] = data
        self.titles[key] = title
        self.pending.add(key)

    def keep(self, key: str) -> None:
        self.pending.discard(key)

    def discard(self, key: str) -> None:
        self.files.pop(key, None)
        self.titles.pop(key, None)
        self.pending.discard(key)

    def download_url(self, key: str, *, filename: str, lifetime: timedelta | None = None) -> str:
        query = {"filename": filename, "lifetime": int((lifetime or timedelta()).total_seconds())}
        return f"memory:///{key}?{urlencode(query)}"
