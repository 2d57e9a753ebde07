"""What the service keeps on record, and `Store`: the protocol of whatever keeps it.

The domain (`recording`, `organising`, `issuing`) writes facts and reads them back through
`Store` in these types only. DynamoDB keeps them in Lambda (`cme.store.repository`, which
owns every key); memory keeps them in unit tests and the bench
(`cme_tools.memory_store`); the contract tests run the same checks against both.

Writes are conditional, all or nothing: a write that cannot happen raises `WriteRefused`
naming every condition that failed, and the domain decides what that means (a retry, a
duplicate, an unknown delegate, a certificate recorded meanwhile). The store never decides
a rule.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from cme.facts import Attempt, Delegate, DelegateFacts, Direction, Evaluation, Scan, View
from cme.jsonio import dumps

if TYPE_CHECKING:
    from cme.errors import Throttled


class WriteRefused(Exception):
    """A conditional write did not happen; `failed` names the conditions that failed."""

    def __init__(self, failed: frozenset[str]) -> None:
        super().__init__(", ".join(sorted(failed)))
        self.failed = failed


class DocumentTooLarge(Exception):
    """The programme does not fit the store even compressed."""


class CertificateStatus(StrEnum):
    """RULES.md, "Certificate": a new certificate supersedes the previous one, never
    deletes it; an organiser may revoke one for good."""

    VALID = "valid"
    SUPERSEDED = "superseded"
    REVOKED = "revoked"


@dataclass(frozen=True, slots=True)
class StoredProgramme:
    event_id: str
    document: dict[str, Any]
    version: int
    """1 when created, one more at each replacement."""
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Certificate:
    """A certificate as its delegate's record holds it: the figures it states, where its
    PDF is, its status, and the fingerprint of everything it states (equal fingerprints:
    the same certificate)."""

    serial: str
    event_id: str
    delegate_id: str
    status: CertificateStatus
    total: Decimal
    days: tuple[tuple[date, Decimal], ...]
    issued_at: datetime
    pdf_key: str
    fingerprint: str
    kind: str = "credits"
    """`credits`, or `attendance` (RULES.md, "Professions")."""


@dataclass(frozen=True, slots=True)
class IssuedCertificate:
    """A certificate as its serial names it, for public verification: whose it is, its
    status, and everything it states word for word as issued (`issuing.facts_document`)."""

    serial: str
    event_id: str
    delegate_id: str
    status: CertificateStatus
    issued_at: datetime
    stated: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Decision:
    """An organiser's decision about one delegate as stored (RULES.md, "Organiser
    decisions"): who made it (the API key's id), when, and why."""

    actor: str
    at: datetime
    reason: str


@dataclass(frozen=True, slots=True)
class Extension:
    """The delegate's own claim deadline: `until` as stated, a local time in the event's
    zone (`2026-01-15T23:59:59`)."""

    until: str
    decision: Decision


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One line of the event's audit trail: never an email or an answer."""

    at: datetime
    actor: str
    action: str
    target: str
    reason: str

    def as_dict(self) -> dict[str, str]:
        from cme.timestamps import format_utc

        return {
            "at": format_utc(self.at),
            "actor": self.actor,
            "action": self.action,
            "target": self.target,
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class DelegateRecord:
    """Everything stored under one delegate, read at once."""

    delegate: Delegate
    facts: DelegateFacts
    answers: Mapping[str, str] = field(default_factory=dict, repr=False)
    """`canonical_answers` of each evaluation, by session (a retry compares them)."""
    latest_certificate: Certificate | None = None
    extension: Extension | None = None
    grants: Mapping[str, Decision] = field(default_factory=dict)
    """Evidence granted by the organiser, by session."""
    revocation: Decision | None = None
    """A revocation that blocks new certificates until an organiser lifts it."""
    erased_at: datetime | None = None
    """When the delegate's email and answers were erased (none is kept since)."""
    certificates: tuple[Certificate, ...] = ()
    """Every certificate issued to the delegate, by serial (the latest among them)."""


@dataclass(frozen=True, slots=True)
class RecordedScan:
    """The scan that holds a scan id in its event, and whose it is."""

    delegate_id: str
    scan: Scan


@dataclass(frozen=True, slots=True)
class RecordedView:
    """The view that holds a view id in its event, and whose it is."""

    delegate_id: str
    view: View


@dataclass(frozen=True, slots=True)
class RefusedScan:
    """A scan the service refused, kept apart with its reason for the organiser."""

    scan_id: str
    delegate_id: str
    station_id: str
    scanned_at: datetime
    received_at: datetime
    code: str
    detail: str
    room: str | None = None
    direction: Direction = Direction.IN


@dataclass(frozen=True, slots=True)
class References:
    """What stored facts of an event refer to (a programme replacement may not drop them)."""

    any_facts: bool = False
    days: frozenset[date] = frozenset()
    sessions: frozenset[str] = frozenset()
    professions: frozenset[str] = frozenset()
    """The professions registered delegates hold."""


class NewScan(NamedTuple):
    """A scan to store (`Store.add_scans`): whose it is, and when it arrived."""

    delegate_id: str
    scan: Scan
    received_at: datetime


class RowToKeep(NamedTuple):
    """A delegate's report row computed at `pending` writes (`Store.save_projections`)."""

    delegate_id: str
    row: Mapping[str, Any]
    pending: int


@dataclass(frozen=True, slots=True)
class StoredProjection:
    """A delegate's report row as kept (`cme.projection` makes and reads it), with the
    counts that say whether it is current: `pending` writes changed the delegate, the row
    was computed at `projected` of them, against programme `programme_version`."""

    delegate_id: str
    pending: int
    projected: int | None = None
    programme_version: int | None = None
    row: Mapping[str, Any] | None = None

    def current(self, programme_version: int) -> bool:
        return (
            self.row is not None
            and self.projected == self.pending
            and self.programme_version == programme_version
        )


def canonical_answers(answers: Mapping[str, Any]) -> str:
    """Answers as canonical JSON: equal answers give equal text, whatever the key order."""
    return dumps(dict(sorted(dict(answers).items())))


class Store(Protocol):
    """What the domain keeps and reads back. Labels in `WriteRefused` are given per method.

    Reads of the programme come in two strengths: `programme` may answer from what this
    store read a little earlier (a container reuses it for `CME_PROGRAMME_CACHE_SECONDS`),
    never older than one it answered before; `latest_programme` answers with the programme
    as stored now, for what states credits (RULES.md, "When the programme changes": a
    correction applies to everyone at once, and nothing goes back to an older programme
    once a newer one was used) and to replace it."""

    # ------------------------------------------------------------------ programmes

    def programme(self, event_id: str) -> StoredProgramme | None: ...

    def latest_programme(self, event_id: str) -> StoredProgramme | None: ...

    def save_programme(
        self,
        event_id: str,
        document: dict[str, Any],
        *,
        replaces: int | None,
        now: datetime,
        audit: AuditEntry | None = None,
    ) -> StoredProgramme:
        """Create (`replaces=None`) or replace the programme at version `replaces`, with
        `audit` in the same transaction.
        `WriteRefused({"programme"})`: someone else wrote in between. `DocumentTooLarge`."""
        ...

    def restamp(self, event_id: str) -> int:
        """Give every item of the event the expiry of its programme as stored (a
        replacement moved the last day); only the items that need it, so it can be run
        again. How many items it stamped (0 for a store without expiry)."""
        ...

    def references(self, event_id: str) -> References: ...

    # ------------------------------------------------------------------ delegates

    def save_delegate(
        self,
        event_id: str,
        delegate: Delegate,
        *,
        now: datetime,
        audit: AuditEntry | None = None,
    ) -> bool:
        """Register (True) or update (False) a delegate; with `audit`, its entry in the same
        transaction (a correction)."""
        ...

    def delegate_exists(self, event_id: str, delegate_id: str) -> bool: ...

    def delegate_record(
        self, event_id: str, delegate_id: str, *, consistent: bool = False
    ) -> DelegateRecord | None:
        """The delegate's registration and every fact; None when not registered.
        `consistent`: read strongly (every write acknowledged so far is seen)."""
        ...

    def delegate_records(
        self,
        event_id: str,
        *,
        after: str | None,
        limit: int,
        enough: Callable[[], bool] = lambda: False,
    ) -> tuple[list[DelegateRecord], str | None]:
        """A page of the event's delegates in id order, from the one after `after`: the
        records and the id to continue from (None at the end). The page ends early, at a
        delegate boundary, once `enough()` says so (a time budget)."""
        ...

    # ------------------------------------------------------------------ projections

    def projections(
        self, event_id: str, *, after: str | None, limit: int
    ) -> tuple[list[StoredProjection], str | None]:
        """A page of the event's projections in delegate order, read strongly: one per
        registered delegate (registering creates it), and the id to continue from."""
        ...

    def projection(self, event_id: str, delegate_id: str) -> StoredProjection | None:
        """The delegate's projection, read strongly (None: not registered)."""
        ...

    def projections_of(self, event_id: str, delegates: Sequence[str]) -> list[StoredProjection]:
        """The delegates' projections (in no particular order), read strongly in as few
        requests as the store can; none for a delegate not registered."""
        ...

    def save_projections(
        self, event_id: str, rows: Sequence[RowToKeep], *, programme_version: int
    ) -> list[bool]:
        """Each row as `save_projection` keeps it, in as few writes as the store can: a
        row whose count moved meanwhile is not kept (False), the others are."""
        ...

    def save_projection(
        self,
        event_id: str,
        delegate_id: str,
        row: Mapping[str, Any],
        *,
        pending: int,
        programme_version: int,
    ) -> bool:
        """Keep `row` as computed when the delegate's count was `pending`: False (nothing
        written) when another write changed the delegate since."""
        ...

    # ------------------------------------------------------------------ facts

    def add_scan(
        self, event_id: str, delegate_id: str, scan: Scan, *, received_at: datetime
    ) -> None:
        """`WriteRefused`: "delegate" (not registered), "scan_id" (held by a scan already),
        "fact"."""
        ...

    def add_scans(
        self, event_id: str, scans: Sequence[NewScan], *, side_by_side: int = 1
    ) -> list[WriteRefused | Throttled | None]:
        """Each scan as `add_scan` stores it, the outcome of each in order: None (stored),
        its `WriteRefused`, or `Throttled` (the store could not take it now). Their scan ids
        and delegates are distinct; `side_by_side`: writes sent at once, at most."""
        ...

    def recorded_scan(self, event_id: str, scan_id: str) -> RecordedScan | None: ...

    def refuse_scan(self, event_id: str, refused: RefusedScan) -> None: ...

    def refused_scans(self, event_id: str) -> list[RefusedScan]:
        """In the order they were received."""
        ...

    def add_view(
        self, event_id: str, delegate_id: str, view: View, *, received_at: datetime
    ) -> None:
        """`WriteRefused`: "delegate", "view_id", "fact"."""
        ...

    def recorded_view(self, event_id: str, view_id: str) -> RecordedView | None: ...

    def add_to_cart(
        self, event_id: str, delegate_id: str, session_id: str, *, now: datetime
    ) -> None:
        """`WriteRefused`: "delegate", "cart" (already there)."""
        ...

    def remove_from_cart(self, event_id: str, delegate_id: str, session_id: str) -> None:
        """Done also when it was not there. `WriteRefused`: "delegate", "evaluation" (the
        session is evaluated: it stays)."""
        ...

    def add_evaluation(
        self, event_id: str, delegate_id: str, evaluation: Evaluation, *, received_at: datetime
    ) -> None:
        """The evaluation, and its session in the cart, together. `WriteRefused`:
        "delegate", "evaluation" (one is stored already)."""
        ...

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
        """An attempt at a learning test and the delegate's standing with the test, at
        once: the standing counts the attempt and notes whether it `passed`.
        `WriteRefused`: "delegate", "attempt" (the attempt id is held already),
        "standing" (the test is passed already, or `allowed` attempts are used)."""
        ...

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
        """Record a new certificate (its PDF already written) as the delegate's latest, in
        place of `latest` as read, and mark `latest` superseded when `supersede`, all at
        once. `WriteRefused`: "head" (another certificate was recorded since `latest` was
        read), "previous" (`latest` is no longer valid), "revoked" (the delegate is
        blocked by a revocation)."""
        ...

    def certificate(self, serial: str) -> IssuedCertificate | None: ...

    def revoke_certificate(
        self,
        certificate: IssuedCertificate,
        *,
        reason: str,
        now: datetime,
        audit: AuditEntry | None = None,
    ) -> None:
        """For good; with `audit`, the delegate is also blocked from new certificates
        (`DelegateRecord.revocation`) until `lift_revocation`. `WriteRefused`: "previous"
        (it is revoked already)."""
        ...

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
        """Put (or, with None, remove) the delegate's extension with its audit entry, at
        once, provided the extension standing is still `replaces` (what the decision was
        made on: two organisers deciding at once never both win). `WriteRefused`:
        "delegate", "extension" (another decision came first)."""
        ...

    def set_grant(
        self,
        event_id: str,
        delegate_id: str,
        session_id: str,
        decision: Decision | None,
        *,
        audit: AuditEntry,
    ) -> None:
        """Put (or, with None, remove) a grant of evidence with its audit entry, at once.
        `WriteRefused`: "delegate"."""
        ...

    def lift_revocation(self, event_id: str, delegate_id: str, *, audit: AuditEntry) -> None:
        """Remove the delegate's revocation block with its audit entry, at once.
        `WriteRefused`: "delegate"."""
        ...

    def audit_entries(
        self, event_id: str, *, before: str | None, limit: int
    ) -> tuple[list[AuditEntry], str | None]:
        """The event's trail, newest first, from the entry after the position `before`;
        the position to continue from (None at the end)."""
        ...

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
        """Erase the delegate's email and the answers of every evaluation and test attempt
        (an attempt keeps its count of correct answers: `grades`, by attempt id, for those
        stored without one), and mark the profile erased at `now`: an evaluation or an
        attempt that lands afterwards is stored without its answers. With `audit`, the
        first write marks the profile and holds the entry, on the condition that it is not
        erased yet; without, it completes an erasure (what a failed one left, or answers
        that landed meanwhile). `WriteRefused`: "delegate" (not registered, or, with
        `audit`, erased already)."""
        ...


class CertificatePdfs(Protocol):
    """Where certificate PDFs are kept, and short-lived links to them (S3 in Lambda).

    A PDF is written pending: until `keep` says its record is stored, it is removed a day
    later (S3: a tag the bucket's lifecycle rule expires), so a PDF whose record never
    landed does not stay; `discard` removes one at once. Both raise `Throttled` when the
    files cannot be reached."""

    def put(self, key: str, data: bytes, *, title: str) -> None: ...

    def keep(self, key: str) -> None: ...

    def discard(self, key: str) -> None: ...

    def download_url(
        self, key: str, *, filename: str, lifetime: timedelta | None = None
    ) -> str: ...
