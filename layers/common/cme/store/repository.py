"""The store: the only code that talks to DynamoDB. It writes and reads facts; it never
decides a rule. A conditional write that cannot happen raises `WriteRefused` naming which
condition failed, and the caller (domain logic) decides what that means."""

from __future__ import annotations

import time
import uuid
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import PynamoDBException, TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from cme.errors import Throttled
from cme.facts import Attendance, Delegate, DelegateFacts, Evaluation, Scan, View, ViewKind
from cme.jsonio import dumps, loads
from cme.settings import Settings, settings
from cme.store import keys
from cme.store.models import (
    CartEntryItem,
    CertificateCopyItem,
    CertificateHeadItem,
    CertificateItem,
    EvaluationItem,
    Item,
    ProfileItem,
    ProgrammeItem,
    RefusedScanItem,
    ScanGuardItem,
    ScanItem,
    ViewGuardItem,
    ViewItem,
    bind,
)

TRANSIENT_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
        "TransactionInProgressException",
    }
)


MAX_DOCUMENT_BYTES = 380_000
"""A stored programme stays under DynamoDB's 400 KB item limit, with room for its keys."""


class DocumentTooLarge(Exception):
    """The programme does not fit one item even compressed."""


class WriteRefused(Exception):
    """A conditional write did not happen; `failed` names the conditions that failed."""

    def __init__(self, failed: frozenset[str]) -> None:
        super().__init__(", ".join(sorted(failed)))
        self.failed = failed


@dataclass(frozen=True, slots=True)
class StoredProgramme:
    event_id: str
    document: dict[str, Any]
    version: int
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class DelegateRecord:
    """Everything stored under one delegate, from one Query."""

    delegate: Delegate
    facts: DelegateFacts
    answers: dict[str, str] = field(default_factory=dict, repr=False)
    """Canonical JSON of each evaluation's answers, by session (for retry comparison)."""
    certificates: dict[str, CertificateCopyItem] = field(default_factory=dict, repr=False)
    """The delegate's certificates by serial (the delegate's copies)."""
    head: CertificateHeadItem | None = None
    """The latest certificate and the fingerprint of its facts."""

    @property
    def latest_certificate(self) -> CertificateCopyItem | None:
        return self.certificates.get(self.head.serial) if self.head else None


@dataclass(frozen=True, slots=True)
class References:
    """What stored facts of an event refer to (a programme replacement may not drop them)."""

    any_facts: bool = False
    days: frozenset[date] = frozenset()
    sessions: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Write:
    """One item of a transaction: a label to report a failed condition by, and its action."""

    label: str
    apply: Callable[[TransactWrite], None]


TRANSIENT_REASONS = frozenset(
    {"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded"}
)
"""Why DynamoDB cancels a transaction that may well pass when sent again."""


def _cancelled_transiently(error: BaseException) -> bool:
    """A transaction cancelled by contention or throttling. botocore does not retry these
    (a cancellation is an answer, not a failure), so the store does, a little."""
    if not isinstance(error, TransactWriteError):
        return False
    reasons = error.cancellation_reasons or []
    return any(r is not None and r.code in TRANSIENT_REASONS for r in reasons)


def _unavailable(error: PynamoDBException) -> bool:
    """The store could not answer now (after botocore's own retries): a 503 for the caller."""
    return (
        _cancelled_transiently(error)
        or error.cause_response_code in TRANSIENT_CODES
        or _is_connection_failure(error)
    )


class Store:
    """Repository of one table. Create one per container (`Store.default()`)."""

    _programmes: dict[str, tuple[float, StoredProgramme]]

    def __init__(
        self, config: Settings | None = None, *, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self.config = config or settings()
        bind(self.config)
        self._monotonic = monotonic
        self._programmes = {}
        self._connection: Connection | None = None

    _default: Store | None = None

    @classmethod
    def default(cls) -> Store:
        """The container's store, created on first use (never at import)."""
        if cls._default is None or cls._default.config != settings():
            cls._default = cls()
        return cls._default

    # ------------------------------------------------------------------ plumbing

    def connection(self) -> Connection:
        if self._connection is None:
            self._connection = Item._get_connection().connection
        return self._connection

    def _calling[T](self, call: Callable[[], T]) -> T:
        """Run a store call. Throttling and server errors are retried by botocore itself
        (standard mode); a transaction cancelled by contention is retried here; what still
        fails surfaces as `Throttled` (HTTP 503 with Retry-After): the caller retries later."""
        try:
            try:
                return call()
            except TransactWriteError as error:
                if not _cancelled_transiently(error):
                    raise
            return _retrying(call)
        except PynamoDBException as error:
            if _unavailable(error):
                raise Throttled("the store is busy; retry shortly", retry_after=1) from error
            raise

    def transact(self, writes: Sequence[Write]) -> None:
        """All or nothing. `WriteRefused` names the labels whose conditions failed."""

        def run() -> None:
            # The token makes botocore's own re-sends of this call (after a timeout) harmless:
            # DynamoDB answers a repeat of an applied transaction with success instead of
            # failing its conditions, which would read as someone else's earlier write.
            token = uuid.uuid4().hex
            with TransactWrite(
                connection=self.connection(), client_request_token=token
            ) as transaction:
                for write in writes:
                    write.apply(transaction)

        try:
            self._calling(run)
        except TransactWriteError as error:
            reasons = error.cancellation_reasons or []
            failed = frozenset(
                write.label
                for write, reason in zip(writes, reasons, strict=False)
                if reason is not None and reason.code == "ConditionalCheckFailed"
            )
            if not failed:
                raise
            raise WriteRefused(failed) from error

    # ------------------------------------------------------------------ programmes

    def programme(self, event_id: str) -> StoredProgramme | None:
        """The event's programme, reused for `programme_cache` within this container."""
        now = self._monotonic()
        cached = self._programmes.get(event_id)
        if cached is not None and cached[0] > now:
            return cached[1]
        item = self._calling(lambda: _get(ProgrammeItem, keys.event_key(event_id), keys.PROGRAMME))
        if item is None:
            return None
        stored = StoredProgramme(
            event_id, loads(zlib.decompress(item.document)), int(item.version), item.updated_at
        )
        self._programmes[event_id] = (now + self.config.programme_cache.total_seconds(), stored)
        return stored

    def programme_fresh(self, event_id: str) -> StoredProgramme | None:
        """The programme as stored right now (for replacing it), bypassing the cache."""
        self._programmes.pop(event_id, None)
        return self.programme(event_id)

    def save_programme(
        self, event_id: str, document: dict[str, Any], *, replaces: int | None, now: datetime
    ) -> StoredProgramme:
        """Create (`replaces=None`) or replace the programme at version `replaces`;
        `WriteRefused({"programme"})` when someone else wrote in between."""
        version = 1 if replaces is None else replaces + 1
        compressed = zlib.compress(dumps(document).encode(), 6)
        if len(compressed) > MAX_DOCUMENT_BYTES:
            raise DocumentTooLarge(f"{len(compressed)} bytes compressed")
        item = ProgrammeItem(
            pk=keys.event_key(event_id),
            sk=keys.PROGRAMME,
            document=compressed,
            version=version,
            updated_at=now,
        )
        condition = (
            ProgrammeItem.pk.does_not_exist()
            if replaces is None
            else ProgrammeItem.version == replaces
        )
        self.transact([Write("programme", lambda tx: tx.save(item, condition=condition))])
        self._programmes.pop(event_id, None)
        return StoredProgramme(event_id, document, version, now)

    def references(self, event_id: str) -> References:
        """Every day and session that stored facts of the event refer to. Reads the event's
        delegate items; only a replacement that removes something needs it."""
        days: set[date] = set()
        sessions: set[str] = set()
        any_facts = False
        for item in self._query(
            keys.event_key(event_id), Item.sk.between(keys.DELEGATES_FROM, keys.DELEGATES_UNTIL)
        ):
            if isinstance(item, ScanItem):
                days.add(date.fromisoformat(item.day))
            elif isinstance(item, ViewItem | CartEntryItem | EvaluationItem):
                sessions.add(item.session_id)
            else:
                continue
            any_facts = True
        return References(any_facts, frozenset(days), frozenset(sessions))

    # ------------------------------------------------------------------ delegates

    def save_delegate(self, event_id: str, delegate: Delegate, *, now: datetime) -> bool:
        """Register or update a delegate; True when created."""
        pk, sk = keys.event_key(event_id), keys.profile(delegate.delegate_id)
        existing = self._calling(lambda: _get(ProfileItem, pk, sk))
        item = ProfileItem(
            pk=pk,
            sk=sk,
            delegate_id=delegate.delegate_id,
            name=delegate.name,
            attendance=delegate.attendance.value,
            email=delegate.email,
            profession=delegate.profession,
            created_at=existing.created_at if existing else now,
            updated_at=now,
        )
        self._calling(item.save)
        return existing is None

    def delegate_record(self, event_id: str, delegate_id: str) -> DelegateRecord | None:
        """One Query: the delegate's registration and every fact; None if not registered."""
        items = list(
            self._query(
                keys.event_key(event_id), Item.sk.startswith(keys.delegate_prefix(delegate_id))
            )
        )
        return _record(delegate_id, items)

    def delegate_records(
        self,
        event_id: str,
        *,
        after: str | None,
        limit: int,
        enough: Callable[[], bool] = lambda: False,
    ) -> tuple[list[DelegateRecord], str | None]:
        """A page of the event's delegates in id order, from the one after `after`; returns
        the records and the id to continue from (None at the end). Reads only as many
        DynamoDB pages as the delegates asked for need, and ends the page early, at a
        delegate boundary, once `enough()` says so (a time budget)."""
        start = keys.delegate_prefix(after) + "\uffff" if after else keys.DELEGATES_FROM
        records: list[DelegateRecord] = []
        current: str | None = None
        batch: list[Item] = []
        condition = Item.sk.between(start, keys.DELEGATES_UNTIL)
        for item in self._query(keys.event_key(event_id), condition):
            owner = keys.delegate_of(item.sk)
            if owner != current:
                if current is not None and (record := _record(current, batch)) is not None:
                    records.append(record)
                    if len(records) == limit or enough():
                        return records, current
                current, batch = owner, []
            batch.append(item)
        if current is not None and (record := _record(current, batch)) is not None:
            records.append(record)
        return records, None

    # ------------------------------------------------------------------ facts

    def profile_exists(self, event_id: str, delegate_id: str) -> Write:
        return Write(
            "delegate",
            lambda tx: tx.condition_check(
                Item,
                keys.event_key(event_id),
                keys.profile(delegate_id),
                condition=Item.pk.exists(),
            ),
        )

    def add_scan(
        self, event_id: str, delegate_id: str, scan: Scan, *, received_at: datetime
    ) -> None:
        """Store an accepted scan and claim its id for the event, if the delegate exists.
        `WriteRefused` names "delegate" and/or "scan_id"."""
        pk = keys.event_key(event_id)
        guard = ScanGuardItem(
            pk=pk,
            sk=keys.scan_guard(scan.scan_id),
            scan_id=scan.scan_id,
            delegate_id=delegate_id,
            station_id=scan.station_id,
            scanned_at=scan.scanned_at,
            day=scan.day.isoformat(),
        )
        fact = ScanItem(
            pk=pk,
            sk=keys.scan(delegate_id, scan.scan_id),
            scan_id=scan.scan_id,
            station_id=scan.station_id,
            scanned_at=scan.scanned_at,
            received_at=received_at,
            day=scan.day.isoformat(),
        )
        self.transact(
            [
                self.profile_exists(event_id, delegate_id),
                Write("scan_id", lambda tx: tx.save(guard, condition=Item.pk.does_not_exist())),
                Write("fact", lambda tx: tx.save(fact, condition=Item.pk.does_not_exist())),
            ]
        )

    def scan_guard(self, event_id: str, scan_id: str) -> ScanGuardItem | None:
        return self._calling(
            lambda: _get(ScanGuardItem, keys.event_key(event_id), keys.scan_guard(scan_id))
        )

    def delegate_exists(self, event_id: str, delegate_id: str) -> bool:
        key = (keys.event_key(event_id), keys.profile(delegate_id))
        return self._calling(lambda: _get(ProfileItem, *key)) is not None

    def refuse_scan(
        self,
        event_id: str,
        *,
        scan_id: str,
        delegate_id: str,
        station_id: str,
        scanned_at: datetime,
        received_at: datetime,
        code: str,
        detail: str,
    ) -> None:
        """Keep a refused scan apart, with its reason, for the organiser."""
        item = RefusedScanItem(
            pk=keys.event_key(event_id),
            sk=keys.refused_scan(received_at.isoformat(), scan_id),
            scan_id=scan_id,
            delegate_id=delegate_id,
            station_id=station_id,
            scanned_at=scanned_at,
            received_at=received_at,
            code=code,
            detail=detail,
        )
        self._calling(item.save)

    def refused_scans(self, event_id: str) -> list[RefusedScanItem]:
        return [
            item
            for item in self._query(keys.event_key(event_id), Item.sk.startswith("REFUSED#"))
            if isinstance(item, RefusedScanItem)
        ]

    def add_view(
        self, event_id: str, delegate_id: str, view: View, *, received_at: datetime
    ) -> None:
        """Store an accepted view and claim its id. `WriteRefused`: "delegate", "view_id"."""
        pk = keys.event_key(event_id)
        seconds = view.seconds
        guard = ViewGuardItem(
            pk=pk,
            sk=keys.view_guard(view.view_id),
            delegate_id=delegate_id,
            view_id=view.view_id,
            session_id=view.session_id,
            view_kind=view.kind.value,
            watched_at=view.watched_at,
            seconds=seconds,
        )
        fact = ViewItem(
            pk=pk,
            sk=keys.view(delegate_id, view.view_id),
            view_id=view.view_id,
            session_id=view.session_id,
            view_kind=view.kind.value,
            watched_at=view.watched_at,
            seconds=seconds,
            received_at=received_at,
        )
        self.transact(
            [
                self.profile_exists(event_id, delegate_id),
                Write("view_id", lambda tx: tx.save(guard, condition=Item.pk.does_not_exist())),
                Write("fact", lambda tx: tx.save(fact, condition=Item.pk.does_not_exist())),
            ]
        )

    def view_guard(self, event_id: str, view_id: str) -> ViewGuardItem | None:
        return self._calling(
            lambda: _get(ViewGuardItem, keys.event_key(event_id), keys.view_guard(view_id))
        )

    def add_to_cart(
        self, event_id: str, delegate_id: str, session_id: str, *, now: datetime
    ) -> None:
        """`WriteRefused`: "delegate" (not registered), "cart" (already there)."""
        entry = CartEntryItem(
            pk=keys.event_key(event_id),
            sk=keys.cart(delegate_id, session_id),
            session_id=session_id,
            added_at=now,
        )
        self.transact(
            [
                self.profile_exists(event_id, delegate_id),
                Write("cart", lambda tx: tx.save(entry, condition=Item.pk.does_not_exist())),
            ]
        )

    def remove_from_cart(self, event_id: str, delegate_id: str, session_id: str) -> None:
        """Remove unless evaluated. `WriteRefused`: "delegate", "evaluation"."""
        pk = keys.event_key(event_id)
        entry = CartEntryItem(pk=pk, sk=keys.cart(delegate_id, session_id))
        self.transact(
            [
                self.profile_exists(event_id, delegate_id),
                Write(
                    "evaluation",
                    lambda tx: tx.condition_check(
                        Item,
                        pk,
                        keys.evaluation(delegate_id, session_id),
                        condition=Item.pk.does_not_exist(),
                    ),
                ),
                Write("cart", lambda tx: tx.delete(entry)),
            ]
        )

    def add_evaluation(
        self,
        event_id: str,
        delegate_id: str,
        evaluation: Evaluation,
        *,
        received_at: datetime,
    ) -> None:
        """Store the (final) evaluation and put its session in the cart, together.
        `WriteRefused`: "delegate", "evaluation" (one exists already)."""
        pk = keys.event_key(event_id)
        item = EvaluationItem(
            pk=pk,
            sk=keys.evaluation(delegate_id, evaluation.session_id),
            session_id=evaluation.session_id,
            submitted_at=evaluation.submitted_at,
            answers=canonical_answers(evaluation.answers),
            received_at=received_at,
        )
        # The session joins the cart (or stays there, keeping when it was added).
        entry = CartEntryItem(pk=pk, sk=keys.cart(delegate_id, evaluation.session_id))
        self.transact(
            [
                self.profile_exists(event_id, delegate_id),
                Write("evaluation", lambda tx: tx.save(item, condition=Item.pk.does_not_exist())),
                Write(
                    "cart",
                    lambda tx: tx.update(
                        entry,
                        actions=[
                            CartEntryItem.kind.set(CartEntryItem),
                            CartEntryItem.session_id.set(evaluation.session_id),
                            CartEntryItem.added_at.set(CartEntryItem.added_at | received_at),
                        ],
                    ),
                ),
            ]
        )

    # ------------------------------------------------------------------ certificates

    def certificate(self, serial: str) -> CertificateItem | None:
        return self._calling(
            lambda: _get(CertificateItem, keys.serial_key(serial), keys.SERIAL_SORT)
        )

    def add_certificate(
        self,
        certificate: CertificateItem,
        copy: CertificateCopyItem,
        *,
        head_version: int | None,
        supersedes: str | None,
        now: datetime,
    ) -> None:
        """Record a newly issued certificate (its PDF is already in S3) as the delegate's
        latest, superseding the previous valid one, all at once. `WriteRefused` names
        "head" when another certificate was recorded for the delegate in between, and
        "previous" when the previous one is no longer valid (revoked meanwhile)."""
        event_pk = keys.event_key(certificate.event_id)
        delegate_id = certificate.delegate_id
        head = CertificateHeadItem(
            pk=event_pk,
            sk=keys.certificate_head(delegate_id),
            serial=certificate.serial,
            fingerprint=certificate.fingerprint,
            version=(head_version or 0) + 1,
        )
        head_condition = (
            CertificateHeadItem.pk.does_not_exist()
            if head_version is None
            else CertificateHeadItem.version == head_version
        )
        writes = [
            Write("head", lambda tx: tx.save(head, condition=head_condition)),
            Write("serial", lambda tx: tx.save(certificate, condition=Item.pk.does_not_exist())),
            Write("copy", lambda tx: tx.save(copy, condition=Item.pk.does_not_exist())),
        ]
        if supersedes is not None:
            writes.extend(
                self._status_change(
                    certificate.event_id,
                    delegate_id,
                    supersedes,
                    "superseded",
                    now,
                    only_from="valid",
                )
            )
        self.transact(writes)

    def revoke_certificate(
        self, certificate: CertificateItem, *, reason: str, now: datetime
    ) -> None:
        """Mark a certificate revoked, for good (both copies at once)."""
        self.transact(
            self._status_change(
                certificate.event_id,
                certificate.delegate_id,
                certificate.serial,
                "revoked",
                now,
                reason=reason,
            )
        )

    def _status_change(
        self,
        event_id: str,
        delegate_id: str,
        serial: str,
        status: str,
        now: datetime,
        *,
        reason: str | None = None,
        only_from: str | None = None,
    ) -> list[Write]:
        """Both copies of a certificate change status together: from `only_from` when
        given, else from anything but `status` itself (revoked stays revoked)."""
        by_serial = CertificateItem(pk=keys.serial_key(serial), sk=keys.SERIAL_SORT)
        copy = CertificateCopyItem(
            pk=keys.event_key(event_id), sk=keys.certificate(delegate_id, serial)
        )
        actions: list[Action] = [
            CertificateItem.status.set(status),
            CertificateItem.changed_at.set(now),
        ]
        if reason is not None:
            actions.append(CertificateItem.reason.set(reason))
        if only_from is not None:
            condition, copy_condition = (
                CertificateItem.status == only_from,
                CertificateCopyItem.status == only_from,
            )
        else:
            condition, copy_condition = (
                CertificateItem.status != status,
                CertificateCopyItem.status != status,
            )
        return [
            Write(
                "previous", lambda tx: tx.update(by_serial, actions=actions, condition=condition)
            ),
            Write(
                "previous_copy",
                lambda tx: tx.update(
                    copy,
                    actions=[CertificateCopyItem.status.set(status)],
                    condition=copy_condition,
                ),
            ),
        ]

    # ------------------------------------------------------------------ reading

    def _query(self, hash_key: str, condition: Condition) -> Iterator[Item]:
        """Items of a partition in sort-key order, page by page as iteration needs them
        (each page a Query call; transient failures surface as `Throttled`)."""
        iterator = iter(Item.query(hash_key, condition))
        while True:
            try:
                # The common case costs nothing extra: only a failed page goes through the
                # retrying, error-mapping path (and asks for that page again).
                item = next(iterator, None)
            except PynamoDBException:
                item = self._calling(lambda: next(iterator, None))
            if item is None:
                return
            yield item


def _retrying[T](call: Callable[[], T]) -> T:
    """Two more tries, with jitter, of a transaction that contention cancelled (tenacity is
    imported on this rare path only: cold start matters)."""
    from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_random_exponential

    for attempt in Retrying(
        retry=retry_if_exception(_cancelled_transiently),
        stop=stop_after_attempt(2),
        wait=wait_random_exponential(multiplier=0.02, max=0.2),
        reraise=True,
    ):
        with attempt:
            return call()
    raise AssertionError("unreachable")  # pragma: no cover


def canonical_answers(answers: Any) -> str:
    """Answers as canonical JSON: equal answers give equal text, whatever the key order."""
    return dumps(dict(sorted(dict(answers).items())))


def _get[M: Item](model: type[M], pk: str, sk: str) -> M | None:
    try:
        return model.get(pk, sk)
    except model.DoesNotExist:
        return None


def _is_connection_failure(error: PynamoDBException) -> bool:
    cause = error.__cause__ or error.cause
    return cause is not None and type(cause).__name__ in {
        "EndpointConnectionError",
        "ConnectTimeoutError",
        "ReadTimeoutError",
        "ConnectionClosedError",
    }


def _record(delegate_id: str, items: list[Item]) -> DelegateRecord | None:
    profile: ProfileItem | None = None
    scans: list[Scan] = []
    views: list[View] = []
    cart: set[str] = set()
    evaluations: dict[str, Evaluation] = {}
    answers: dict[str, str] = {}
    certificates: dict[str, CertificateCopyItem] = {}
    head: CertificateHeadItem | None = None
    for item in items:
        match item:
            case ProfileItem():
                profile = item
            case ScanItem():
                scans.append(
                    Scan(
                        item.scan_id, item.scanned_at, date.fromisoformat(item.day), item.station_id
                    )
                )
            case ViewItem():
                views.append(
                    View(
                        item.view_id,
                        item.session_id,
                        ViewKind(item.view_kind),
                        item.watched_at,
                        None if item.seconds is None else int(item.seconds),
                    )
                )
            case CartEntryItem():
                cart.add(item.session_id)
            case EvaluationItem():
                evaluations[item.session_id] = Evaluation(
                    item.session_id, item.submitted_at, loads(item.answers)
                )
                answers[item.session_id] = item.answers
            case CertificateCopyItem():
                certificates[item.serial] = item
            case CertificateHeadItem():
                head = item
    if profile is None:
        return None
    delegate = Delegate(
        delegate_id=delegate_id,
        name=profile.name,
        attendance=Attendance(profile.attendance),
        email=profile.email,
        profession=profile.profession,
    )
    facts = DelegateFacts(
        delegate_id=delegate_id,
        scans=tuple(scans),
        views=tuple(views),
        cart=frozenset(cart),
        evaluations=evaluations,
    )
    return DelegateRecord(delegate, facts, answers, certificates, head)
