"""Each delegate's report row kept current, so that the report reads one small item per
delegate instead of every fact (issue 14: the report of an ESHG-sized congress in
seconds, an ESC-sized one in pages that stay fast).

Design: kept on write, checked on read.

- Every write that changes what a delegate's row depends on (registration, a scan, a
  view, the cart, an evaluation, a certificate issued or revoked) adds 1 to the delegate's
  count (`pending`, on the `PROJ#<delegate>` item) in the same DynamoDB transaction as
  the write itself: a change never lands without its count.
- After the write, `refresh` reads the count, then the delegate's facts (strongly), then
  keeps the row computed from them with the count it read, on the condition that the
  count has not moved meanwhile. A later write that raced it has its own refresh, so the
  row kept is always the one of the latest count, never an older one.
- A row is current when its count is the delegate's count and it was computed against
  the programme stored now. The report takes current rows as they are and computes the
  others afresh (and keeps them): a refresh that never ran (a timeout between the write
  and the refresh), a programme replaced since, or a row never computed cost that
  delegate's facts once, and the answer is always what the facts say now.

The delegate's own statement and certificate stay computed fresh from the facts.

The row also holds what the attendance register (`GET .../register`) lists of each
credited session: its date, status, evidence, amount and evaluation time. A row kept in
an older shape (`ROW_FORMAT`) is not current either: the report computes it again.

Cost per fact: one more action in its transaction (a counter update: 2 write units, as
every transactional write), then one strongly consistent read of the count (1 unit), one
of the facts (about 2 units for a delegate of 35 items) and one conditional write of the
row (1 unit); and about 0.4 ms to compute the statement.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, NamedTuple

from cme.amounts import for_json
from cme.facts import ViewKind
from cme.programme import Programme
from cme.readiness import Readiness, readiness
from cme.records import CertificateStatus, DelegateRecord, RowToKeep, Store, StoredProjection
from cme.rules.credits import CartItem, CartStatus, compute_statement
from cme.rules.evidence import Evidence, evidence_of

RowDocument = Mapping[str, Any]
ROW_FORMAT = 2
"""The shape of a kept row. Raise it when the row gains what older rows lack: rows of
another format are computed again when read (2: the register's sessions, which also give
`credited`)."""


class CreditedSession(NamedTuple):
    """A line of the attendance register: a session credited to the delegate (or
    parallel: credited on its own, but another session of its slot gave the slot's
    credit), what proves the delegate took part, and what the session is worth to them
    (the statement's cart `amount`, before the slot, day and event caps)."""

    session_id: str
    date: date
    status: CartStatus
    evidence: Evidence
    amount: Decimal
    evaluated_at: datetime
    """When the evaluation was submitted, to the second (UTC)."""

    def document(self) -> list[Any]:
        """Kept as a short list, not an object: a delegate's lines are most of the row,
        and the row is written after every fact (each 1 KB more is a write unit more)."""
        return [
            self.session_id,
            self.date.isoformat(),
            self.status.value,
            self.evidence.value,
            str(for_json(self.amount)),
            int(self.evaluated_at.timestamp()),
        ]

    @classmethod
    def from_document(cls, doc: Sequence[Any]) -> CreditedSession:
        session_id, on, status, evidence, amount, evaluated_at = doc
        return cls(
            session_id=session_id,
            date=date.fromisoformat(on),
            status=CartStatus(status),
            evidence=Evidence(evidence),
            amount=Decimal(amount),
            evaluated_at=datetime.fromtimestamp(evaluated_at, UTC),
        )


@dataclass(frozen=True, slots=True)
class DelegateRow:
    """What the report (and the dashboard) know of one delegate."""

    delegate_id: str
    name: str
    attendance: str
    profession: str | None
    total: Decimal
    live: Decimal
    days: dict[date, Decimal]
    readiness: Readiness
    credited: tuple[str, ...]
    """The sessions credited, or parallel (credited on their own)."""
    certificate_serial: str | None
    certificate_status: CertificateStatus | None
    eligible: bool = True
    """Whether the accreditation covers the delegate's profession."""
    test_passed: bool | None = None
    """The event's learning test: passed, not (yet), or None without one."""
    present: tuple[date, ...] = ()
    """The days with an accepted scan or a live view (local dates)."""
    scans_by_hour: Mapping[str, int] = field(default_factory=dict)
    """Accepted scans by local hour (`2025-05-24T08`, in the event's zone)."""
    sessions: tuple[CreditedSession, ...] = ()
    """The register's lines: each credited or parallel session, in programme order."""

    def document(self) -> dict[str, Any]:
        return {
            "format": ROW_FORMAT,
            "name": self.name,
            "attendance": self.attendance,
            "profession": self.profession,
            "total": for_json(self.total),
            "live": for_json(self.live),
            "days": {d.isoformat(): for_json(v) for d, v in self.days.items()},
            "readiness": self.readiness.value,
            "certificate_serial": self.certificate_serial,
            "certificate_status": self.certificate_status,
            "eligible": self.eligible,
            "test_passed": self.test_passed,
            "present": [d.isoformat() for d in self.present],
            "scans_by_hour": dict(self.scans_by_hour),
            "sessions": [line.document() for line in self.sessions],
        }

    @classmethod
    def from_document(cls, delegate_id: str, doc: RowDocument) -> DelegateRow:
        status = doc.get("certificate_status")
        return cls(
            delegate_id=delegate_id,
            name=doc["name"],
            attendance=doc["attendance"],
            profession=doc.get("profession"),
            total=Decimal(doc["total"]),
            live=Decimal(doc["live"]),
            days={date.fromisoformat(d): Decimal(v) for d, v in doc["days"].items()},
            readiness=Readiness(doc["readiness"]),
            credited=tuple(line[0] for line in doc["sessions"]),
            certificate_serial=doc.get("certificate_serial"),
            certificate_status=None if status is None else CertificateStatus(status),
            eligible=doc.get("eligible", True),
            test_passed=doc.get("test_passed"),
            present=tuple(date.fromisoformat(d) for d in doc.get("present", ())),
            scans_by_hour=dict(doc.get("scans_by_hour", {})),
            sessions=tuple(CreditedSession.from_document(line) for line in doc["sessions"]),
        )


def delegate_row(programme: Programme, record: DelegateRecord) -> DelegateRow:
    """The row of a delegate's record under the programme (pure)."""
    from cme.serials import display

    statement = compute_statement(programme, record.facts)
    latest = record.latest_certificate
    sessions = _credited_sessions(programme, record, statement.cart)
    return DelegateRow(
        delegate_id=record.delegate.delegate_id,
        name=record.delegate.name,
        attendance=record.delegate.attendance.value,
        profession=record.delegate.profession,
        total=statement.total,
        live=statement.live,
        days={d.date: d.credits for d in statement.days},
        readiness=readiness(record.facts, statement),
        credited=tuple(line.session_id for line in sessions),
        certificate_serial=display(latest.serial) if latest else None,
        certificate_status=latest.status if latest else None,
        eligible=statement.eligible,
        test_passed=statement.test_passed,
        present=_present(programme, record),
        scans_by_hour=dict(
            sorted(
                Counter(
                    s.scanned_at.astimezone(programme.event.zone).strftime("%Y-%m-%dT%H")
                    for s in record.facts.scans
                ).items()
            )
        ),
        sessions=sessions,
    )


def _credited_sessions(
    programme: Programme, record: DelegateRecord, cart: Sequence[CartItem]
) -> tuple[CreditedSession, ...]:
    """The cart's credited and parallel sessions as register lines (RULES.md, "The
    computation": credited sessions are evaluated, so each has its evaluation's time)."""
    credited = [i for i in cart if i.status in (CartStatus.CREDITED, CartStatus.PARALLEL)]
    evidence = evidence_of(programme, record.facts, {i.session_id: i.amount for i in credited})
    evaluations = record.facts.evaluations
    return tuple(
        CreditedSession(
            session_id=item.session_id,
            date=session.date,
            status=item.status,
            evidence=evidence[item.session_id],
            amount=item.amount,
            evaluated_at=evaluations[item.session_id]
            .submitted_at.astimezone(UTC)
            .replace(microsecond=0),
        )
        for item in credited
        if (session := programme.session(item.session_id)) is not None
    )


def _present(programme: Programme, record: DelegateRecord) -> tuple[date, ...]:
    days = {scan.day for scan in record.facts.scans}
    days.update(
        programme.event.local_date(view.watched_at)
        for view in record.facts.views
        if view.kind is ViewKind.LIVE
    )
    return tuple(sorted(days))


def refresh(
    store: Store, event_id: str, delegate_id: str, programme: Programme, version: int
) -> DelegateRow | None:
    """The delegate's row as the facts say now, kept unless a later write overtook it
    (its own refresh keeps the later row). None: not registered."""
    kept = store.projection(event_id, delegate_id)
    if kept is None:
        return None
    if kept.row is not None and _current(kept, version):
        return DelegateRow.from_document(delegate_id, kept.row)
    record = store.delegate_record(event_id, delegate_id, consistent=True)
    if record is None:
        return None
    row = delegate_row(programme, record)
    store.save_projection(
        event_id, delegate_id, row.document(), pending=kept.pending, programme_version=version
    )
    return row


def _current(kept: StoredProjection, version: int) -> bool:
    """Kept at the delegate's latest write, against this programme, in this shape."""
    return kept.current(version) and kept.row is not None and kept.row.get("format") == ROW_FORMAT


def after_write(store: Store, event_id: str, *delegates: str) -> None:
    """Bring the rows of the delegates a write just changed up to date. A failure here
    never undoes the write (it is stored and counted): the report computes the row then."""
    from cme.errors import CmeError
    from cme.observability import logger
    from cme.recording import versioned_programme

    try:
        programme, version = versioned_programme(store, event_id, latest=True)
        for delegate_id in dict.fromkeys(delegates):
            refresh(store, event_id, delegate_id, programme, version)
    except CmeError as error:  # the store was busy: the fact is kept, the row catches up
        logger.warning(
            "projection not refreshed",
            extra={"event_id": event_id, "delegates": delegates, "code": error.code},
        )


def after_writes(
    store: Store, event_id: str, delegates: Sequence[str], *, side_by_side: int = 1
) -> None:
    """`after_write` for many delegates at once (a batch of scans): their counts in one
    read, their facts read `side_by_side` at a time, the rows kept in as few writes as
    the store can. The same rows as one `refresh` each."""
    from cme.errors import CmeError
    from cme.observability import logger
    from cme.recording import versioned_programme

    try:
        programme, version = versioned_programme(store, event_id, latest=True)
        stale = [
            kept
            for kept in store.projections_of(event_id, delegates)
            if not (kept.current(version) and kept.row is not None)
        ]

        def row_of(kept: StoredProjection) -> RowToKeep | None:
            record = store.delegate_record(event_id, kept.delegate_id, consistent=True)
            if record is None:
                return None
            row = delegate_row(programme, record).document()
            return RowToKeep(kept.delegate_id, row, kept.pending)

        if side_by_side > 1 and len(stale) > 1:
            from concurrent.futures import ThreadPoolExecutor

            workers = min(side_by_side, len(stale))
            with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="rows") as pool:
                rows = list(pool.map(row_of, stale))
        else:
            rows = [row_of(kept) for kept in stale]
        store.save_projections(
            event_id, [row for row in rows if row is not None], programme_version=version
        )
    except CmeError as error:  # the store was busy: the facts are kept, the rows catch up
        logger.warning(
            "projections not refreshed",
            extra={"event_id": event_id, "delegates": len(delegates), "code": error.code},
        )


def current_rows(
    store: Store,
    event_id: str,
    programme: Programme,
    version: int,
    *,
    after: str | None,
    limit: int,
    enough: Callable[[], bool] = lambda: False,
) -> tuple[list[DelegateRow], str | None]:
    """A page of rows in delegate order: as kept when current, else computed from the
    facts now (and kept). Ends early, after a delegate, once `enough()` says so."""
    kept, last = store.projections(event_id, after=after, limit=limit)
    rows: list[DelegateRow] = []
    for projection in kept:
        if projection.row is not None and _current(projection, version):
            rows.append(DelegateRow.from_document(projection.delegate_id, projection.row))
        else:
            row = refresh(store, event_id, projection.delegate_id, programme, version)
            if row is not None:
                rows.append(row)
        if enough() and projection is not kept[-1]:
            return rows, projection.delegate_id
    return rows, last
