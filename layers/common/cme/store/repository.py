"""`DynamoStore`: the `cme.records.Store` of the service, on one DynamoDB table (the only
code that talks to DynamoDB, with `cme.store.files` for S3). It writes and reads facts and
never decides a rule; it owns every key (`cme.store.keys`) and answers in the types of
`cme.records`, so no pynamodb item leaves it. Each fact is one TransactWriteItems with its
guards; a condition that fails raises `WriteRefused` naming it."""

from __future__ import annotations

import contextlib
import io
import threading
import time
import uuid
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from pynamodb.attributes import UTCDateTimeAttribute
from pynamodb.connection import Connection
from pynamodb.exceptions import PynamoDBException, TransactWriteError, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from cme.errors import Throttled
from cme.facts import (
    Attempt,
    Attendance,
    Delegate,
    DelegateFacts,
    Direction,
    Evaluation,
    Scan,
    View,
    ViewKind,
)
from cme.jsonio import dumps, loads
from cme.privacy import document_expiry
from cme.records import (
    AuditEntry,
    Certificate,
    CertificateStatus,
    Decision,
    DelegateRecord,
    DocumentTooLarge,
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
from cme.settings import Settings, settings
from cme.store import keys
from cme.store.models import (
    AttemptItem,
    AuditItem,
    CartEntryItem,
    CertificateCopyItem,
    CertificateHeadItem,
    CertificateItem,
    EvaluationItem,
    ExtensionItem,
    GrantItem,
    Item,
    ProfileItem,
    ProgrammeItem,
    ProgrammeVersionItem,
    ProjectionItem,
    RefusedScanItem,
    RevocationItem,
    ScanGuardItem,
    ScanItem,
    TestStandingItem,
    ViewGuardItem,
    ViewItem,
    bind,
    reset_connection,
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


_connecting = threading.Lock()

MAX_DOCUMENT_BYTES = 380_000
"""A stored programme stays under DynamoDB's 400 KB item limit, with room for its keys."""


@dataclass(frozen=True, slots=True)
class Write:
    """One item of a transaction: a label to report a failed condition by, and its action."""

    label: str
    apply: Callable[[TransactWrite], None]


class _Transaction(TransactWrite):
    """A transaction that stamps every item it puts or updates with its event's expiry
    (DynamoDB TTL: `expires_at`, the one place it is written), and notes each action's
    label in the order DynamoDB gets them (pynamodb sends condition checks, then deletes,
    puts and updates), so that a cancellation reason names the right write."""

    def __init__(self, *, stamp: Callable[[Item], int | None], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._stamp = stamp
        self.label = ""
        self._labels: dict[str, list[str]] = {"check": [], "delete": [], "put": [], "update": []}

    def labels(self) -> list[str]:
        return [
            label for kind in ("check", "delete", "put", "update") for label in self._labels[kind]
        ]

    def condition_check(
        self, model_cls: Any, hash_key: Any, range_key: Any = None, condition: Any = None
    ) -> None:
        self._labels["check"].append(self.label)
        super().condition_check(model_cls, hash_key, range_key, condition)

    def delete(
        self, model: Any, condition: Any = None, *, add_version_condition: bool = True
    ) -> None:
        self._labels["delete"].append(self.label)
        super().delete(model, condition, add_version_condition=add_version_condition)

    def save(self, model: Any, condition: Any = None, return_values: Any = None) -> None:
        self._labels["put"].append(self.label)
        model.expires_at = self._stamp(model)
        super().save(model, condition, return_values)

    def update(
        self,
        model: Any,
        actions: list[Action],
        condition: Any = None,
        return_values: Any = None,
        *,
        add_version_condition: bool = True,
    ) -> None:
        self._labels["update"].append(self.label)
        expires_at = self._stamp(model)
        if expires_at is not None:
            actions = [*actions, Item.expires_at.set(expires_at)]
        super().update(
            model, actions, condition, return_values, add_version_condition=add_version_condition
        )


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
    # Not pynamodb's `cause_response_code`: it fails on a cause whose `response` is None
    # (met under a batch's side-by-side reads of a slow local stack).
    response = getattr(error.cause, "response", None) or {}
    return (
        _cancelled_transiently(error)
        or response.get("Error", {}).get("Code") in TRANSIENT_CODES
        or _is_connection_failure(error)
    )


class DynamoStore:
    """The store on one table. One per container (`DynamoStore.default()`), created on first
    use: no client exists before the first call."""

    _programmes: dict[str, tuple[float, StoredProgramme]]

    def __init__(
        self, config: Settings | None = None, *, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self.config = config or settings()
        bind(self.config)
        self._monotonic = monotonic
        self._programmes = {}

    _default: DynamoStore | None = None

    @classmethod
    def default(cls) -> DynamoStore:
        """The container's store, created on first use (never at import)."""
        if cls._default is None or cls._default.config != settings():
            cls._default = cls()
        return cls._default

    # ------------------------------------------------------------------ plumbing

    @staticmethod
    def reset_connections() -> None:
        """Forget the table's connection: the next call makes a new botocore client."""
        reset_connection()

    def connection(self) -> Connection:
        # pynamodb makes the table's connection and its botocore client on first use, with
        # nothing to stop two threads (a batch's) making one each: made under a lock. The
        # client itself is thread-safe.
        with _connecting:
            connection: Connection = Item._get_connection().connection
            connection.client  # noqa: B018 - made now, once
        return connection

    def client(self) -> Any:
        """The botocore client every call of this store goes through."""
        return self.connection().client

    def rehearse(self) -> None:
        """Run the reads every request starts with (a programme, a delegate's record) once,
        answered by botocore's `before-send` hook with empty answers: nothing is sent,
        read or kept, but the code on their way (pynamodb, botocore's serialisers, signer,
        parsers and its event caches) has run once. Before a SnapStart snapshot
        (`cme.snapstart`); the answers are unhooked whatever happens."""
        events = self.client().meta.events
        events.register_first("before-send.dynamodb", _empty_answer, unique_id=_REHEARSAL)
        try:
            self._read_programme("rehearsal", consistent=False)
            self.delegate_record("rehearsal", "rehearsal")
        finally:
            events.unregister("before-send.dynamodb", unique_id=_REHEARSAL)

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

    def transact(
        self,
        writes: Sequence[Write],
        *,
        touching: tuple[str, str] | None = None,
        expires_at: int | None = None,
    ) -> None:
        """All or nothing. `WriteRefused` names the labels whose conditions failed.
        `touching` (event, delegate): the writes change what the delegate's report row
        depends on, so its projection's count goes up in the same transaction. Every item
        put or updated gets its event's expiry (`expires_at` when given: a programme being
        saved)."""
        if touching is not None:
            writes = [*writes, _count_write(*touching)]
        stamp = self._expiry_of if expires_at is None else (lambda _: expires_at)
        labels: list[str] = []

        def run() -> None:
            # The token makes botocore's own re-sends of this call (after a timeout) harmless:
            # DynamoDB answers a repeat of an applied transaction with success instead of
            # failing its conditions, which would read as someone else's earlier write.
            token = uuid.uuid4().hex
            with _Transaction(
                connection=self.connection(), client_request_token=token, stamp=stamp
            ) as transaction:
                for write in writes:
                    transaction.label = write.label
                    write.apply(transaction)
                labels[:] = transaction.labels()

        try:
            self._calling(run)
        except TransactWriteError as error:
            reasons = error.cancellation_reasons or []
            failed = frozenset(
                label
                for label, reason in zip(labels, reasons, strict=False)
                if reason is not None and reason.code == "ConditionalCheckFailed"
            )
            if not failed:
                raise
            raise WriteRefused(failed) from error

    # ------------------------------------------------------------------ programmes

    def programme(self, event_id: str) -> StoredProgramme | None:
        """The event's programme, reused for `programme_cache` within this container. An
        eventually consistent read that answers with an older version than the one kept
        (just after a replacement) is made again strongly: never back to an older one."""
        cached = self._programmes.get(event_id)
        if cached is not None and cached[0] > self._monotonic():
            return cached[1]
        item = self._read_programme(event_id, consistent=False)
        if item is not None and cached is not None and int(item.version) < cached[1].version:
            item = self._read_programme(event_id, consistent=True)
        return None if item is None else self._keep(_programme(event_id, item))

    def latest_programme(self, event_id: str) -> StoredProgramme | None:
        """The programme as stored now: a strongly consistent read of its version (one
        read unit), and of the document only when that is not the version kept."""
        key = (keys.event_key(event_id), keys.PROGRAMME_VERSION)
        version = self._calling(lambda: _get(ProgrammeVersionItem, *key, consistent=True))
        cached = self._programmes.get(event_id)
        if version is not None and cached is not None and cached[1].version == version.version:
            return self._keep(cached[1])
        # A newer version, or a programme saved before its version had an item of its own.
        item = self._read_programme(event_id, consistent=True)
        return None if item is None else self._keep(_programme(event_id, item))

    def _read_programme(self, event_id: str, *, consistent: bool) -> ProgrammeItem | None:
        key = (keys.event_key(event_id), keys.PROGRAMME)
        return self._calling(lambda: _get(ProgrammeItem, *key, consistent=consistent))

    def _keep(self, programme: StoredProgramme) -> StoredProgramme:
        expires = self._monotonic() + self.config.programme_cache.total_seconds()
        self._programmes[programme.event_id] = (expires, programme)
        return programme

    def _expiry(self, event_id: str) -> int | None:
        """When the event's items expire, from the programme this store read last (facts
        are judged by it too), read now when it has none."""
        kept = self._programmes.get(event_id)
        programme = kept[1] if kept is not None else self.programme(event_id)
        if programme is None:
            return None
        return document_expiry(programme.document, self.config.retention_years)

    def _expiry_of(self, item: Item) -> int | None:
        """The expiry of an item of an event: its partition's, or a certificate's event's."""
        event_id = keys.event_of(item.pk) or getattr(item, "event_id", None)
        return None if event_id is None else self._expiry(event_id)

    def restamp(self, event_id: str) -> int:
        """Every item of the event (and each certificate by serial) that does not carry
        the expiry of the event's programme as stored gets it: a replacement moved the
        event's last day. One write per such item, so running it again (a retried task)
        only finishes what is left; an item gone meanwhile is skipped. How many items
        were stamped."""
        programme = self._read_programme(event_id, consistent=True)
        if programme is None:
            return 0
        expires_at = document_expiry(
            _programme(event_id, programme).document, self.config.retention_years
        )
        if expires_at is None:
            return 0
        stamped = 0

        def stamp(item: Item) -> None:
            def run() -> None:
                with contextlib.suppress(UpdateError):
                    item.update(
                        actions=[Item.expires_at.set(expires_at)], condition=Item.pk.exists()
                    )

            self._calling(run)

        for item in self._query(keys.event_key(event_id), None, consistent=True):
            if item.expires_at == expires_at:
                continue
            stamp(item)
            stamped += 1
            if isinstance(item, CertificateCopyItem):
                stamp(CertificateItem(pk=keys.serial_key(item.serial), sk=keys.SERIAL_SORT))
        return stamped

    def save_programme(
        self,
        event_id: str,
        document: dict[str, Any],
        *,
        replaces: int | None,
        now: datetime,
        audit: AuditEntry | None = None,
    ) -> StoredProgramme:
        version = 1 if replaces is None else replaces + 1
        compressed = zlib.compress(dumps(document).encode(), 6)
        if len(compressed) > MAX_DOCUMENT_BYTES:
            raise DocumentTooLarge(f"{len(compressed)} bytes compressed")
        pk = keys.event_key(event_id)
        item = ProgrammeItem(
            pk=pk, sk=keys.PROGRAMME, document=compressed, version=version, updated_at=now
        )
        stamp = ProgrammeVersionItem(pk=pk, sk=keys.PROGRAMME_VERSION, version=version)
        condition = (
            ProgrammeItem.pk.does_not_exist()
            if replaces is None
            else ProgrammeItem.version == replaces
        )
        writes = [
            Write("programme", lambda tx: tx.save(item, condition=condition)),
            Write("version", lambda tx: tx.save(stamp)),
        ]
        if audit is not None:
            writes.append(_audit_write(event_id, audit))
        expires_at = document_expiry(document, self.config.retention_years)
        self.transact(writes, expires_at=expires_at)
        return self._keep(StoredProgramme(event_id, document, version, now))

    def references(self, event_id: str) -> References:
        """Every day and session that stored facts of the event refer to. Reads the event's
        delegate items; only a replacement that removes something needs it."""
        days: set[date] = set()
        sessions: set[str] = set()
        professions: set[str] = set()
        any_facts = False
        for item in self._query(
            keys.event_key(event_id), Item.sk.between(keys.DELEGATES_FROM, keys.DELEGATES_UNTIL)
        ):
            if isinstance(item, ScanItem):
                days.add(date.fromisoformat(item.day))
            elif isinstance(item, ViewItem | CartEntryItem | EvaluationItem):
                sessions.add(item.session_id)
            else:
                if isinstance(item, ProfileItem) and item.profession is not None:
                    professions.add(item.profession)
                continue
            any_facts = True
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
        writes = [Write("profile", lambda tx: tx.save(item))]
        if audit is not None:
            writes.append(_audit_write(event_id, audit))
        self.transact(writes, touching=(event_id, delegate.delegate_id))
        return existing is None

    def delegate_exists(self, event_id: str, delegate_id: str) -> bool:
        key = (keys.event_key(event_id), keys.profile(delegate_id))
        return self._calling(lambda: _get(ProfileItem, *key)) is not None

    def delegate_record(
        self, event_id: str, delegate_id: str, *, consistent: bool = False
    ) -> DelegateRecord | None:
        """One Query: the delegate's registration and every fact."""
        prefix = Item.sk.startswith(keys.delegate_prefix(delegate_id))
        items = list(self._query(keys.event_key(event_id), prefix, consistent=consistent))
        return _record(event_id, delegate_id, items)

    def delegate_records(
        self,
        event_id: str,
        *,
        after: str | None,
        limit: int,
        enough: Callable[[], bool] = lambda: False,
    ) -> tuple[list[DelegateRecord], str | None]:
        """Reads only as many DynamoDB pages as the delegates asked for need."""
        start = keys.delegate_prefix(after) + "\uffff" if after else keys.DELEGATES_FROM
        records: list[DelegateRecord] = []
        current: str | None = None
        batch: list[Item] = []
        condition = Item.sk.between(start, keys.DELEGATES_UNTIL)
        for item in self._query(keys.event_key(event_id), condition):
            owner = keys.delegate_of(item.sk)
            if owner != current:
                if current is not None and (record := _record(event_id, current, batch)):
                    records.append(record)
                    if len(records) == limit or enough():
                        return records, current
                current, batch = owner, []
            batch.append(item)
        if current is not None and (record := _record(event_id, current, batch)):
            records.append(record)
        return records, None

    # ------------------------------------------------------------------ projections

    def projections(
        self, event_id: str, *, after: str | None, limit: int
    ) -> tuple[list[StoredProjection], str | None]:
        start = keys.projection(after) + "\x00" if after else keys.PROJECTIONS_FROM
        condition = Item.sk.between(start, keys.PROJECTIONS_UNTIL)
        found: list[StoredProjection] = []
        for item in self._query(keys.event_key(event_id), condition, consistent=True):
            if not isinstance(item, ProjectionItem):
                continue
            if len(found) == limit:  # one more exists: the page ends with a cursor
                return found, found[-1].delegate_id
            found.append(_projection(item))
        return found, None

    def projection(self, event_id: str, delegate_id: str) -> StoredProjection | None:
        key = (keys.event_key(event_id), keys.projection(delegate_id))
        item = self._calling(lambda: _get(ProjectionItem, *key, consistent=True))
        return None if item is None else _projection(item)

    def projections_of(self, event_id: str, delegates: Sequence[str]) -> list[StoredProjection]:
        """BatchGetItem, strongly consistent: 100 keys a request (pynamodb sends again
        what DynamoDB left unprocessed)."""
        pk = keys.event_key(event_id)
        wanted = [(pk, keys.projection(d)) for d in dict.fromkeys(delegates)]
        items = self._calling(lambda: list(ProjectionItem.batch_get(wanted, consistent_read=True)))
        return [_projection(item) for item in items]

    def save_projections(
        self, event_id: str, rows: Sequence[RowToKeep], *, programme_version: int
    ) -> list[bool]:
        """The rows' conditional updates, 100 to a transaction (one round trip where one
        UpdateItem each would be a hundred; two write units a KB instead of one). A row
        whose count moved cancels the transaction: it is not kept, the others are sent
        again."""
        kept = [True] * len(rows)
        for first in range(0, len(rows), 100):
            chunk = list(range(first, min(first + 100, len(rows))))
            while chunk:
                writes = [_row_write(event_id, str(i), rows[i], programme_version) for i in chunk]
                try:
                    self.transact(writes)
                except WriteRefused as refused:
                    moved = {int(label) for label in refused.failed}
                    for index in moved:
                        kept[index] = False
                    chunk = [index for index in chunk if index not in moved]
                else:
                    break
        return kept

    def save_projection(
        self,
        event_id: str,
        delegate_id: str,
        row: Mapping[str, Any],
        *,
        pending: int,
        programme_version: int,
    ) -> bool:
        item = ProjectionItem(pk=keys.event_key(event_id), sk=keys.projection(delegate_id))
        actions: list[Action] = [
            ProjectionItem.projected.set(pending),
            ProjectionItem.programme_version.set(programme_version),
            ProjectionItem.row.set(dumps(row)),
        ]
        try:
            self._calling(
                lambda: item.update(actions=actions, condition=ProjectionItem.pending == pending)
            )
        except UpdateError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        return True

    # ------------------------------------------------------------------ facts

    def _profile_exists(self, event_id: str, delegate_id: str) -> Write:
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
        """The delegate exists, the scan id is claimed for the event, the fact is put."""
        (outcome,) = self.add_scans(event_id, [NewScan(delegate_id, scan, received_at)])
        if outcome is not None:
            raise outcome

    def add_scans(
        self, event_id: str, scans: Sequence[NewScan], *, side_by_side: int = 1
    ) -> list[WriteRefused | Throttled | None]:
        """Each scan as four actions of a transaction (its delegate exists, its id claimed,
        its fact, its delegate's count), `SCANS_PER_TRANSACTION` scans to a transaction and
        `side_by_side` transactions at once: a batch of 500 is 20 round trips, not 500.

        The hot path of an offline station's batch, so its requests are built as the
        low-level client takes them (no pynamodb item per scan; `_scan_actions`, checked
        against the models in tests/unit/test_scan_actions.py). A transaction cancelled by
        some scans' conditions stores nothing: those scans are refused, the others sent
        again; one the store cannot take now is halved until each scan it cannot take is
        alone, and that one answers `Throttled`."""
        if len({s.scan.scan_id for s in scans}) + len({s.delegate_id for s in scans}) < 2 * len(
            scans
        ):
            raise ValueError("two actions on one item: scan ids and delegates must differ")
        table, pk = self.config.table_name, keys.event_key(event_id)
        expires_at = self._expiry(event_id)
        actions = [_scan_actions(table, pk, new, expires_at) for new in scans]
        outcomes: list[WriteRefused | Throttled | None] = [None] * len(scans)
        chunks = [
            range(first, min(first + SCANS_PER_TRANSACTION, len(scans)))
            for first in range(0, len(scans), SCANS_PER_TRANSACTION)
        ]
        workers = min(side_by_side, len(chunks))
        if workers <= 1:
            for chunk in chunks:
                self._send_scans(list(chunk), actions, outcomes)
            return outcomes
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="scans") as pool:
            sent = [pool.submit(self._send_scans, list(c), actions, outcomes) for c in chunks]
            for done in sent:
                done.result()
        return outcomes

    def _send_scans(
        self,
        pending: list[int],
        actions: list[list[dict[str, Any]]],
        outcomes: list[WriteRefused | Throttled | None],
    ) -> None:
        """Store the scans at `pending` in one transaction, their outcomes in `outcomes`."""
        while pending:
            try:
                reasons = self._transact_raw([a for i in pending for a in actions[i]])
            except Throttled as busy:
                if len(pending) == 1:
                    outcomes[pending[0]] = busy
                    return
                half = len(pending) // 2
                self._send_scans(pending[:half], actions, outcomes)
                self._send_scans(pending[half:], actions, outcomes)
                return
            if reasons is None:
                return
            refused: dict[int, WriteRefused] = {}
            for position, index in enumerate(pending):
                codes = reasons[SCAN_ACTIONS * position : SCAN_ACTIONS * (position + 1)]
                failed = frozenset(
                    label
                    for label, code in zip(SCAN_LABELS, codes, strict=False)
                    if code == "ConditionalCheckFailed"
                )
                if failed:
                    refused[index] = WriteRefused(failed)
            if not refused:  # cancelled, but by no condition: not a refusal
                raise RuntimeError(f"transaction cancelled: {reasons}")
            for index, refusal in refused.items():
                outcomes[index] = refusal
            pending = [index for index in pending if index not in refused]

    def _transact_raw(self, items: list[dict[str, Any]]) -> list[str] | None:
        """One TransactWriteItems through the low-level client: None when it was applied,
        else the cancellation reason of each action (`None` for one that passed). Contention
        is retried as `transact` does; what the store cannot take now raises `Throttled`."""
        from botocore.exceptions import BotoCoreError, ClientError

        token = uuid.uuid4().hex  # see `transact`: botocore's re-sends stay harmless
        client = self.client()

        def send() -> list[str] | None:
            try:
                client.transact_write_items(TransactItems=items, ClientRequestToken=token)
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
                    raise
                reasons = error.response.get("CancellationReasons") or []
                codes = [str(r.get("Code", "None")) for r in reasons]
                if any(code in TRANSIENT_REASONS for code in codes):
                    raise _Contended(codes) from error
                return codes
            return None

        try:
            try:
                return send()
            except _Contended:
                pass
            return _retrying(send, retry=lambda e: isinstance(e, _Contended))
        except _Contended as error:
            raise Throttled("the store is busy; retry shortly", retry_after=1) from error
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in TRANSIENT_CODES:
                raise Throttled("the store is busy; retry shortly", retry_after=1) from error
            raise
        except BotoCoreError as error:
            if type(error).__name__ in CONNECTION_FAILURES:
                raise Throttled("the store is unreachable; retry shortly", retry_after=1) from error
            raise

    def recorded_scan(self, event_id: str, scan_id: str) -> RecordedScan | None:
        key = (keys.event_key(event_id), keys.scan_guard(scan_id))
        guard = self._calling(lambda: _get(ScanGuardItem, *key))
        if guard is None:
            return None
        return RecordedScan(guard.delegate_id, _scan(guard))

    def refuse_scan(self, event_id: str, refused: RefusedScan) -> None:
        item = RefusedScanItem(
            pk=keys.event_key(event_id),
            sk=keys.refused_scan(refused.received_at.isoformat(), refused.scan_id),
            scan_id=refused.scan_id,
            delegate_id=refused.delegate_id,
            station_id=refused.station_id,
            scanned_at=refused.scanned_at,
            received_at=refused.received_at,
            code=refused.code,
            detail=refused.detail,
            room=refused.room,
            direction=refused.direction.value,
        )
        self.transact([Write("refused", lambda tx: tx.save(item))])  # stamped like the rest

    def refused_scans(self, event_id: str) -> list[RefusedScan]:
        return [
            RefusedScan(
                scan_id=item.scan_id,
                delegate_id=item.delegate_id,
                station_id=item.station_id,
                scanned_at=item.scanned_at,
                received_at=item.received_at,
                code=item.code,
                detail=item.detail,
                room=item.room,
                direction=_direction(item.direction),
            )
            for item in self._query(
                keys.event_key(event_id), Item.sk.startswith(keys.REFUSED_SCANS)
            )
            if isinstance(item, RefusedScanItem)
        ]

    def add_view(
        self, event_id: str, delegate_id: str, view: View, *, received_at: datetime
    ) -> None:
        """The delegate exists, the view id is claimed for the event, the fact is put."""
        pk = keys.event_key(event_id)
        guard = ViewGuardItem(
            pk=pk,
            sk=keys.view_guard(view.view_id),
            delegate_id=delegate_id,
            view_id=view.view_id,
            session_id=view.session_id,
            view_kind=view.kind.value,
            watched_at=view.watched_at,
            seconds=view.seconds,
        )
        fact = ViewItem(
            pk=pk,
            sk=keys.view(delegate_id, view.view_id),
            view_id=view.view_id,
            session_id=view.session_id,
            view_kind=view.kind.value,
            watched_at=view.watched_at,
            seconds=view.seconds,
            received_at=received_at,
        )
        self.transact(
            [
                self._profile_exists(event_id, delegate_id),
                Write("view_id", lambda tx: tx.save(guard, condition=Item.pk.does_not_exist())),
                Write("fact", lambda tx: tx.save(fact, condition=Item.pk.does_not_exist())),
            ],
            touching=(event_id, delegate_id),
        )

    def recorded_view(self, event_id: str, view_id: str) -> RecordedView | None:
        key = (keys.event_key(event_id), keys.view_guard(view_id))
        guard = self._calling(lambda: _get(ViewGuardItem, *key))
        if guard is None:
            return None
        seconds = None if guard.seconds is None else int(guard.seconds)
        view = View(
            guard.view_id, guard.session_id, ViewKind(guard.view_kind), guard.watched_at, seconds
        )
        return RecordedView(guard.delegate_id, view)

    def add_to_cart(
        self, event_id: str, delegate_id: str, session_id: str, *, now: datetime
    ) -> None:
        entry = CartEntryItem(
            pk=keys.event_key(event_id),
            sk=keys.cart(delegate_id, session_id),
            session_id=session_id,
            added_at=now,
        )
        self.transact(
            [
                self._profile_exists(event_id, delegate_id),
                Write("cart", lambda tx: tx.save(entry, condition=Item.pk.does_not_exist())),
            ],
            touching=(event_id, delegate_id),
        )

    def remove_from_cart(self, event_id: str, delegate_id: str, session_id: str) -> None:
        pk = keys.event_key(event_id)
        entry = CartEntryItem(pk=pk, sk=keys.cart(delegate_id, session_id))
        self.transact(
            [
                self._profile_exists(event_id, delegate_id),
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
            ],
            touching=(event_id, delegate_id),
        )

    def _with_answers(
        self, event_id: str, delegate_id: str, writes: Callable[[bool], list[Write]]
    ) -> None:
        """A fact that holds answers (`writes(keep_answers)`): stored with them while the
        delegate is not erased, on that condition, and without them once erased, even when
        the erasure lands between the caller's read and this write."""
        pk, sk = keys.event_key(event_id), keys.profile(delegate_id)
        not_erased = Write(
            "delegate",
            lambda tx: tx.condition_check(
                ProfileItem,
                pk,
                sk,
                condition=ProfileItem.pk.exists() & ProfileItem.erased_at.does_not_exist(),
            ),
        )
        try:
            self.transact([not_erased, *writes(True)], touching=(event_id, delegate_id))
        except WriteRefused as refused:
            if "delegate" not in refused.failed:
                raise
            profile = self._calling(lambda: _get(ProfileItem, pk, sk, consistent=True))
            if profile is None or profile.erased_at is None:
                raise
            self.transact(
                [self._profile_exists(event_id, delegate_id), *writes(False)],
                touching=(event_id, delegate_id),
            )

    def add_evaluation(
        self, event_id: str, delegate_id: str, evaluation: Evaluation, *, received_at: datetime
    ) -> None:
        pk = keys.event_key(event_id)
        item = EvaluationItem(
            pk=pk,
            sk=keys.evaluation(delegate_id, evaluation.session_id),
            session_id=evaluation.session_id,
            submitted_at=evaluation.submitted_at,
            answers=canonical_answers(evaluation.answers),
            claimed_credits=evaluation.claimed_credits,
            received_at=received_at,
        )
        # The session joins the cart (or stays there, keeping when it was added).
        entry = CartEntryItem(pk=pk, sk=keys.cart(delegate_id, evaluation.session_id))

        def writes(keep_answers: bool) -> list[Write]:
            item.answers = item.answers if keep_answers else None
            return [
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

        self._with_answers(event_id, delegate_id, writes)

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
        """One transaction: the delegate exists, the attempt id is new, and the standing
        item (created by the first attempt) counts one more attempt on the condition that
        the test is not passed and fewer than `allowed` are used: two simultaneous last
        attempts cannot both land."""
        pk = keys.event_key(event_id)
        item = AttemptItem(
            pk=pk,
            sk=keys.attempt(delegate_id, attempt.attempt_id),
            attempt_id=attempt.attempt_id,
            test_id=attempt.test_id,
            submitted_at=attempt.submitted_at,
            answers=canonical_answers(attempt.answers),
            correct=attempt.correct,
            received_at=received_at,
        )
        standing = TestStandingItem(pk=pk, sk=keys.test_standing(delegate_id, attempt.test_id))
        open_to_attempts = TestStandingItem.pk.does_not_exist() | (
            (TestStandingItem.used < allowed) & (TestStandingItem.passed == False)  # noqa: E712
        )

        def writes(keep_answers: bool) -> list[Write]:
            item.answers = item.answers if keep_answers else None
            return [
                Write("attempt", lambda tx: tx.save(item, condition=Item.pk.does_not_exist())),
                Write(
                    "standing",
                    lambda tx: tx.update(
                        standing,
                        actions=[
                            TestStandingItem.kind.set(TestStandingItem),
                            TestStandingItem.test_id.set(attempt.test_id),
                            TestStandingItem.used.add(1),
                            TestStandingItem.passed.set(passed),
                        ],
                        condition=open_to_attempts,
                    ),
                ),
            ]

        self._with_answers(event_id, delegate_id, writes)

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
        """Three items at once: the certificate by serial (for verification), its copy
        under the delegate (for the statement and report Query) and the delegate's head."""
        event_pk = keys.event_key(certificate.event_id)
        delegate_id = certificate.delegate_id
        by_serial = CertificateItem(
            pk=keys.serial_key(certificate.serial),
            sk=keys.SERIAL_SORT,
            serial=certificate.serial,
            event_id=certificate.event_id,
            delegate_id=delegate_id,
            status=certificate.status.value,
            fingerprint=certificate.fingerprint,
            facts=dumps(stated),
            pdf_key=certificate.pdf_key,
            issued_at=certificate.issued_at,
        )
        copy = CertificateCopyItem(
            pk=event_pk,
            sk=keys.certificate(delegate_id, certificate.serial),
            serial=certificate.serial,
            status=certificate.status.value,
            total=certificate.total,
            days=dumps([list(day) for day in certificate.days]),
            issued_at=certificate.issued_at,
            pdf_key=certificate.pdf_key,
            certificate_kind=None if certificate.kind == "credits" else certificate.kind,
        )
        head = CertificateHeadItem(
            pk=event_pk,
            sk=keys.certificate_head(delegate_id),
            serial=certificate.serial,
            fingerprint=certificate.fingerprint,
        )
        head_condition = (
            CertificateHeadItem.pk.does_not_exist()
            if latest is None
            else CertificateHeadItem.serial == latest.serial
        )
        writes = [
            Write(
                "revoked",
                lambda tx: tx.condition_check(
                    Item,
                    event_pk,
                    keys.revocation(delegate_id),
                    condition=Item.pk.does_not_exist(),
                ),
            ),
            Write("head", lambda tx: tx.save(head, condition=head_condition)),
            Write("serial", lambda tx: tx.save(by_serial, condition=Item.pk.does_not_exist())),
            Write("copy", lambda tx: tx.save(copy, condition=Item.pk.does_not_exist())),
        ]
        if supersede and latest is not None:
            writes.extend(
                self._status_change(
                    latest.event_id,
                    latest.delegate_id,
                    latest.serial,
                    CertificateStatus.SUPERSEDED,
                    now,
                    only_from=CertificateStatus.VALID,
                )
            )
        self.transact(writes, touching=(certificate.event_id, delegate_id))

    def certificate(self, serial: str) -> IssuedCertificate | None:
        key = (keys.serial_key(serial), keys.SERIAL_SORT)
        item = self._calling(lambda: _get(CertificateItem, *key))
        if item is None:
            return None
        return IssuedCertificate(
            serial=item.serial,
            event_id=item.event_id,
            delegate_id=item.delegate_id,
            status=CertificateStatus(item.status),
            issued_at=item.issued_at,
            stated=loads(item.facts),
        )

    def revoke_certificate(
        self,
        certificate: IssuedCertificate,
        *,
        reason: str,
        now: datetime,
        audit: AuditEntry | None = None,
    ) -> None:
        """Both copies at once, with the audit entry."""
        writes = self._status_change(
            certificate.event_id,
            certificate.delegate_id,
            certificate.serial,
            CertificateStatus.REVOKED,
            now,
            reason=reason,
        )
        if audit is not None:
            block = RevocationItem(
                pk=keys.event_key(certificate.event_id),
                sk=keys.revocation(certificate.delegate_id),
                serial=certificate.serial,
                actor=audit.actor,
                decided_at=audit.at,
                reason=reason,
            )
            writes.append(Write("revocation", lambda tx: tx.save(block)))
            writes.append(_audit_write(certificate.event_id, audit))
        self.transact(writes, touching=(certificate.event_id, certificate.delegate_id))

    def lift_revocation(self, event_id: str, delegate_id: str, *, audit: AuditEntry) -> None:
        block = RevocationItem(pk=keys.event_key(event_id), sk=keys.revocation(delegate_id))
        self.transact(
            [
                self._profile_exists(event_id, delegate_id),
                Write("revocation", lambda tx: tx.delete(block)),
                _audit_write(event_id, audit),
            ]
        )

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
        pk, sk = keys.event_key(event_id), keys.extension(delegate_id)
        standing = (
            ExtensionItem.sk.does_not_exist()
            if replaces is None
            else (ExtensionItem.until == replaces.until)
            & (ExtensionItem.decided_at == replaces.decision.at)
        )
        if extension is None:
            change = Write(
                "extension",
                lambda tx: tx.delete(ExtensionItem(pk=pk, sk=sk), condition=standing),
            )
        else:
            item = ExtensionItem(
                pk=pk,
                sk=sk,
                until=extension.until,
                actor=extension.decision.actor,
                decided_at=extension.decision.at,
                reason=extension.decision.reason,
            )
            change = Write("extension", lambda tx: tx.save(item, condition=standing))
        self.transact(
            [self._profile_exists(event_id, delegate_id), change, _audit_write(event_id, audit)]
        )

    def set_grant(
        self,
        event_id: str,
        delegate_id: str,
        session_id: str,
        decision: Decision | None,
        *,
        audit: AuditEntry,
    ) -> None:
        pk, sk = keys.event_key(event_id), keys.grant(delegate_id, session_id)
        if decision is None:
            change = Write("grant", lambda tx: tx.delete(GrantItem(pk=pk, sk=sk)))
        else:
            item = GrantItem(
                pk=pk,
                sk=sk,
                session_id=session_id,
                actor=decision.actor,
                decided_at=decision.at,
                reason=decision.reason,
            )
            change = Write("grant", lambda tx: tx.save(item))
        self.transact(
            [self._profile_exists(event_id, delegate_id), change, _audit_write(event_id, audit)],
            touching=(event_id, delegate_id),
        )

    def audit_entries(
        self, event_id: str, *, before: str | None, limit: int
    ) -> tuple[list[AuditEntry], str | None]:
        """Newest first: the trail's keys sort by time, read backwards."""
        pk = keys.event_key(event_id)
        condition = (
            Item.sk.between(keys.AUDIT, before) if before else Item.sk.startswith(keys.AUDIT)
        )
        entries: list[AuditEntry] = []
        last: str | None = None
        query = Item.query(pk, condition, scan_index_forward=False, page_size=limit + 1)
        for item in query:
            if not isinstance(item, AuditItem) or (before and item.sk >= before):
                continue
            if len(entries) == limit:
                return entries, last
            entries.append(AuditEntry(item.at, item.actor, item.action, item.target, item.reason))
            last = item.sk
        return entries, None

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
        """The profile is marked erased and loses its email in the first transaction, with
        the audit entry and the first answers; the rest go in transactions of 100. Read
        again (strongly) after the mark until none is left: answers that landed between the
        first read and the mark are found then, and none can land after it. The report row
        does not change (no email or answer is in it), so nothing is counted."""
        pk = keys.event_key(event_id)
        profile = ProfileItem(pk=pk, sk=keys.profile(delegate_id))
        condition = ProfileItem.pk.exists()
        if audit is not None:
            condition &= ProfileItem.erased_at.does_not_exist()
        actions: list[Action] = [
            ProfileItem.email.remove(),
            ProfileItem.erased_at.set(ProfileItem.erased_at | now),
        ]
        first = [Write("delegate", lambda tx: tx.update(profile, actions, condition=condition))]
        if audit is not None:
            first.append(_audit_write(event_id, audit))
        prefix = Item.sk.startswith(keys.delegate_prefix(delegate_id))
        while True:
            held = [
                _unanswered(item, grades)
                for item in self._query(pk, prefix, consistent=True)
                if isinstance(item, EvaluationItem | AttemptItem) and item.answers is not None
            ]
            writes = [*first, *held]
            for start in range(0, len(writes), TRANSACTION_ITEMS):
                self.transact(writes[start : start + TRANSACTION_ITEMS])
            if not held and not first:
                return
            first = []

    def _status_change(
        self,
        event_id: str,
        delegate_id: str,
        serial: str,
        status: CertificateStatus,
        now: datetime,
        *,
        reason: str | None = None,
        only_from: CertificateStatus | None = None,
    ) -> list[Write]:
        """Both copies of a certificate change status together: from `only_from` when
        given, else from anything but `status` itself (revoked stays revoked)."""
        by_serial = CertificateItem(
            pk=keys.serial_key(serial), sk=keys.SERIAL_SORT, event_id=event_id
        )  # its event: for the expiry
        copy = CertificateCopyItem(
            pk=keys.event_key(event_id), sk=keys.certificate(delegate_id, serial)
        )
        actions: list[Action] = [
            CertificateItem.status.set(status.value),
            CertificateItem.changed_at.set(now),
        ]
        if reason is not None:
            actions.append(CertificateItem.reason.set(reason))
        if only_from is not None:
            condition, copy_condition = (
                CertificateItem.status == only_from.value,
                CertificateCopyItem.status == only_from.value,
            )
        else:
            condition, copy_condition = (
                CertificateItem.status != status.value,
                CertificateCopyItem.status != status.value,
            )
        return [
            Write(
                "previous", lambda tx: tx.update(by_serial, actions=actions, condition=condition)
            ),
            Write(
                "previous_copy",
                lambda tx: tx.update(
                    copy,
                    actions=[CertificateCopyItem.status.set(status.value)],
                    condition=copy_condition,
                ),
            ),
        ]

    # ------------------------------------------------------------------ reading

    def _query(
        self, hash_key: str, condition: Condition | None, *, consistent: bool = False
    ) -> Iterator[Item]:
        """Items of a partition in sort-key order, page by page as iteration needs them
        (each page a Query call; transient failures surface as `Throttled`)."""
        iterator = iter(Item.query(hash_key, condition, consistent_read=consistent))
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


def _audit_write(event_id: str, entry: AuditEntry) -> Write:
    """The entry of the audit trail that goes in the same transaction as its change."""
    at = entry.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    item = AuditItem(
        pk=keys.event_key(event_id),
        # Entries at one instant (a frozen clock, a burst) keep the order they were written.
        sk=keys.audit(at, f"{time.time_ns():020d}{uuid.uuid4().hex[:12]}"),
        at=entry.at,
        actor=entry.actor,
        action=entry.action,
        target=entry.target,
        reason=entry.reason,
    )
    return Write("audit", lambda tx: tx.save(item, condition=Item.pk.does_not_exist()))


TRANSACTION_ITEMS = 100
"""DynamoDB's limit of actions in one TransactWriteItems."""


def _unanswered(item: EvaluationItem | AttemptItem, grades: Mapping[str, int]) -> Write:
    """The evaluation or attempt without its answers (an attempt keeps how many were
    correct: as stored, else `grades`)."""
    actions: list[Action] = [type(item).answers.remove()]
    if isinstance(item, AttemptItem):
        kept: float | None = item.correct
        if kept is None and item.attempt_id in grades:
            actions.append(AttemptItem.correct.set(grades[item.attempt_id]))
    return Write("answers", lambda tx: tx.update(item, actions, condition=Item.pk.exists()))


def _retrying[T](
    call: Callable[[], T], retry: Callable[[BaseException], bool] = _cancelled_transiently
) -> T:
    """Two more tries, with jitter, of a transaction that contention cancelled (tenacity is
    imported on this rare path only: cold start matters)."""
    from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_random_exponential

    for attempt in Retrying(
        retry=retry_if_exception(retry),
        stop=stop_after_attempt(2),
        wait=wait_random_exponential(multiplier=0.02, max=0.2),
        reraise=True,
    ):
        with attempt:
            return call()
    raise AssertionError("unreachable")  # pragma: no cover


def _get[M: Item](model: type[M], pk: str, sk: str, *, consistent: bool = False) -> M | None:
    try:
        return model.get(pk, sk, consistent_read=consistent)
    except model.DoesNotExist:
        return None


def _programme(event_id: str, item: ProgrammeItem) -> StoredProgramme:
    document = loads(zlib.decompress(item.document))
    return StoredProgramme(event_id, document, int(item.version), item.updated_at)


CONNECTION_FAILURES = frozenset(
    {"EndpointConnectionError", "ConnectTimeoutError", "ReadTimeoutError", "ConnectionClosedError"}
)
"""botocore's errors for a request that found no answer (after its own retries)."""


_REHEARSAL = "cme-rehearsal"
_EMPTY = {"Query": b'{"Items": [], "Count": 0, "ScannedCount": 0}'}
"""What DynamoDB answers an operation that finds nothing (`{}` unless named here)."""


def _empty_answer(event_name: str, **_: Any) -> Any:
    """A `before-send` handler: DynamoDB's answer when nothing is found, in place of
    sending the request (botocore uses a response a `before-send` handler returns)."""
    from botocore.awsrequest import AWSResponse

    body = _EMPTY.get(event_name.rsplit(".", 1)[-1], b"{}")
    return AWSResponse("https://dynamodb.rehearsal", 200, {}, _Body(body))


class _Body(io.BytesIO):
    """A response body as botocore reads one (`stream`)."""

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.getvalue()


def _is_connection_failure(error: PynamoDBException) -> bool:
    cause = error.__cause__ or error.cause
    return cause is not None and type(cause).__name__ in CONNECTION_FAILURES


class _Contended(Exception):
    """A raw transaction cancelled by contention or throttling (`TRANSIENT_REASONS`)."""

    def __init__(self, codes: list[str]) -> None:
        super().__init__(", ".join(codes))


SCAN_LABELS = ("delegate", "scan_id", "fact", "projection")
"""The actions of one scan in a transaction, in order, by the labels `add_scan` refuses with."""
SCAN_ACTIONS = len(SCAN_LABELS)
SCANS_PER_TRANSACTION = 100 // SCAN_ACTIONS
"""DynamoDB takes up to 100 actions in a transaction."""
_UTC = UTCDateTimeAttribute()


def _instant(value: datetime) -> str:
    """An instant as `UTCDateTimeAttribute` stores it."""
    text: str = _UTC.serialize(value)  # type: ignore[no-untyped-call,unused-ignore]
    return text


_NEW = {
    "ConditionExpression": "attribute_not_exists (#0)",
    "ExpressionAttributeNames": {"#0": "pk"},
}


def _scan_actions(
    table: str, pk: str, new: NewScan, expires_at: int | None = None
) -> list[dict[str, Any]]:
    """The four actions of `SCAN_LABELS` as TransactWriteItems takes them: the requests
    pynamodb's models would make (`ScanGuardItem`, `ScanItem`, the profile's check, the
    projection's count), built directly; each item put or updated carries the event's
    expiry, as `_Transaction` stamps the models' (`expires_at`)."""
    scan, delegate_id = new.scan, new.delegate_id
    stamp: dict[str, Any] = {} if expires_at is None else {"expires_at": {"N": str(expires_at)}}
    shared: dict[str, Any] = {
        "scan_id": {"S": scan.scan_id},
        "station_id": {"S": scan.station_id},
        "scanned_at": {"S": _instant(scan.scanned_at)},
        "day": {"S": scan.day.isoformat()},
        "direction": {"S": scan.direction.value},
    }
    if scan.room is not None:
        shared["room"] = {"S": scan.room}
    shared.update(stamp)
    event = {"S": pk}
    guard = {
        "pk": event,
        "sk": {"S": keys.scan_guard(scan.scan_id)},
        "kind": {"S": "scan_id"},
        "delegate_id": {"S": delegate_id},
        **shared,
    }
    fact = {
        "pk": event,
        "sk": {"S": keys.scan(delegate_id, scan.scan_id)},
        "kind": {"S": "scan"},
        "received_at": {"S": _instant(new.received_at)},
        **shared,
    }
    return [
        {
            "ConditionCheck": {
                "TableName": table,
                "Key": {"pk": event, "sk": {"S": keys.profile(delegate_id)}},
                "ConditionExpression": "attribute_exists (#0)",
                "ExpressionAttributeNames": {"#0": "pk"},
            }
        },
        {"Put": {"TableName": table, "Item": guard, **_NEW}},
        {"Put": {"TableName": table, "Item": fact, **_NEW}},
        {
            "Update": {
                "TableName": table,
                "Key": {"pk": event, "sk": {"S": keys.projection(delegate_id)}},
                **_counted(stamp),
            }
        },
    ]


def _counted(stamp: dict[str, Any]) -> dict[str, Any]:
    """The projection's count update (`_count_write`), with the expiry when there is one."""
    if not stamp:
        return {
            "UpdateExpression": "SET #0 = :0 ADD #1 :1",
            "ExpressionAttributeNames": {"#0": "kind", "#1": "pending"},
            "ExpressionAttributeValues": {":0": {"S": "projection"}, ":1": {"N": "1"}},
        }
    return {
        "UpdateExpression": "SET #0 = :0, #1 = :1 ADD #2 :2",
        "ExpressionAttributeNames": {"#0": "kind", "#1": "expires_at", "#2": "pending"},
        "ExpressionAttributeValues": {
            ":0": {"S": "projection"},
            ":1": stamp["expires_at"],
            ":2": {"N": "1"},
        },
    }


def _direction(stored: str | None) -> Direction:
    """A scan item written before scans had a direction was an entry."""
    return Direction.IN if stored is None else Direction(stored)


def _scan(item: ScanItem | ScanGuardItem) -> Scan:
    return Scan(
        scan_id=item.scan_id,
        scanned_at=item.scanned_at,
        day=date.fromisoformat(item.day),
        station_id=item.station_id,
        room=item.room,
        direction=_direction(item.direction),
    )


def _decisions(
    items: list[Item],
) -> tuple[Extension | None, dict[str, Decision], Decision | None]:
    """The organiser's decisions among a delegate's items: extension, grants, revocation."""
    extension: Extension | None = None
    grants: dict[str, Decision] = {}
    revocation: Decision | None = None
    for item in items:
        if isinstance(item, ExtensionItem | GrantItem | RevocationItem):
            decision = Decision(item.actor, item.decided_at, item.reason)
            if isinstance(item, ExtensionItem):
                extension = Extension(item.until, decision)
            elif isinstance(item, GrantItem):
                grants[item.session_id] = decision
            else:
                revocation = decision
    return extension, grants, revocation


def _record(event_id: str, delegate_id: str, items: list[Item]) -> DelegateRecord | None:
    profile: ProfileItem | None = None
    scans: list[Scan] = []
    views: list[View] = []
    cart: set[str] = set()
    evaluations: dict[str, Evaluation] = {}
    attempts: list[Attempt] = []
    answers: dict[str, str] = {}
    copies: dict[str, CertificateCopyItem] = {}
    head: CertificateHeadItem | None = None
    extension, grants, revocation = _decisions(items)
    for item in items:
        match item:
            case ProfileItem():
                profile = item
            case ScanItem():
                scans.append(_scan(item))
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
                given = item.answers or canonical_answers({})  # none once erased
                evaluations[item.session_id] = Evaluation(
                    item.session_id, item.submitted_at, loads(given), item.claimed_credits
                )
                answers[item.session_id] = given
            case AttemptItem():
                attempts.append(
                    Attempt(
                        item.test_id,
                        item.attempt_id,
                        item.submitted_at,
                        loads(item.answers or "{}"),
                        None if item.correct is None else int(item.correct),
                    )
                )
            case CertificateCopyItem():
                copies[item.serial] = item
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
        profession=profile.profession,
        test_attempts=tuple(attempts),
        grants=frozenset(grants),
    )
    certificates = {
        serial: Certificate(
            serial=copy.serial,
            event_id=event_id,
            delegate_id=delegate_id,
            status=CertificateStatus(copy.status),
            total=copy.total,
            days=tuple((date.fromisoformat(d), Decimal(c)) for d, c in loads(copy.days)),
            issued_at=copy.issued_at,
            pdf_key=copy.pdf_key,
            fingerprint=head.fingerprint if head is not None and head.serial == serial else "",
            kind=copy.certificate_kind or "credits",
        )
        for serial, copy in copies.items()
    }
    latest = None if head is None else certificates.get(head.serial)
    return DelegateRecord(
        delegate,
        facts,
        answers,
        latest,
        extension,
        grants,
        revocation,
        erased_at=profile.erased_at,
        certificates=tuple(sorted(certificates.values(), key=lambda c: (c.issued_at, c.serial))),
    )


def _count_write(event_id: str, delegate_id: str) -> Write:
    """The delegate's projection counts one more write (created at 1 by the first)."""
    item = ProjectionItem(pk=keys.event_key(event_id), sk=keys.projection(delegate_id))
    return Write(
        "projection",
        lambda tx: tx.update(
            item,
            actions=[ProjectionItem.kind.set(ProjectionItem), ProjectionItem.pending.add(1)],
        ),
    )


def _row_write(event_id: str, label: str, kept: RowToKeep, programme_version: int) -> Write:
    """Keep a row computed at `kept.pending` writes, if the count has not moved since."""
    item = ProjectionItem(pk=keys.event_key(event_id), sk=keys.projection(kept.delegate_id))
    actions: list[Action] = [
        ProjectionItem.projected.set(kept.pending),
        ProjectionItem.programme_version.set(programme_version),
        ProjectionItem.row.set(dumps(kept.row)),
    ]
    condition = ProjectionItem.pending == kept.pending
    return Write(label, lambda tx: tx.update(item, actions=actions, condition=condition))


def _projection(item: ProjectionItem) -> StoredProjection:
    return StoredProjection(
        delegate_id=keys.projected_delegate(item.sk),
        pending=int(item.pending or 0),
        projected=None if item.projected is None else int(item.projected),
        programme_version=None if item.programme_version is None else int(item.programme_version),
        row=None if item.row is None else loads(item.row),
    )
