"""Recording what delegates do (scans, views, cart, evaluations) and reading it back as a
credit statement. Domain logic between the handlers and the store: it applies the rules
(`cme.rules`) in the contract's order of precedence and turns the store's conditional
write outcomes into the contract's answers.

Order of precedence (CONTRACT.md): 404 unknown_event / unknown_delegate / unknown_session,
then the idempotent 200, then already_evaluated / id_reused, then the rules. The happy path
costs one conditional write; the checks that order errors run only once a write or a rule
has refused.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from cme.errors import (
    ClaimDeadlinePassed,
    CmeError,
    IdReused,
    OutsideOnDemandWindow,
    UnknownDelegate,
    UnknownEvent,
)
from cme.facts import Direction, Evaluation, Scan, View, ViewKind
from cme.programme import Programme, Session, build_programme
from cme.records import (
    DelegateRecord,
    NewScan,
    RefusedScan,
    Store,
    WriteRefused,
    canonical_answers,
)
from cme.rules.decisions import programme_for
from cme.rules.judge import (
    EvaluationWindow,
    evaluation_window,
    is_repeat,
    is_repeat_evaluation,
    judge_cart_addition,
    judge_cart_removal,
    judge_evaluation,
    judge_scan,
    judge_view,
    require_session,
)

if TYPE_CHECKING:
    from cme.rules.credits import CreditStatement

_built: dict[tuple[str, int], tuple[dict[str, Any], Programme]] = {}


def load_programme(store: Store, event_id: str, *, latest: bool = False) -> Programme:
    """The event's programme (404 `unknown_event`), built once per stored version: as this
    container read it a little earlier, or, with `latest`, as stored now (what states
    credits: never an older programme once a newer one was used).

    The version number alone does not name a document: another table (a test, a stage, a
    table created afresh) has its own version 1. The built programme is reused only for
    the very document it was built from."""
    return versioned_programme(store, event_id, latest=latest)[0]


def versioned_programme(
    store: Store, event_id: str, *, latest: bool = False
) -> tuple[Programme, int]:
    """`load_programme`, and the stored version it was built from."""
    stored = store.latest_programme(event_id) if latest else store.programme(event_id)
    if stored is None:
        raise UnknownEvent(f"no event {event_id}")
    key = (event_id, stored.version)
    cached = _built.get(key)
    if cached is not None and (cached[0] is stored.document or cached[0] == stored.document):
        return cached[1], stored.version
    programme = build_programme(stored.document).programme
    _built.clear()  # one event per deployment is the norm: keep the latest only
    _built[key] = (stored.document, programme)
    return programme, stored.version


def load_delegate(
    store: Store, event_id: str, delegate_id: str, *, consistent: bool = False
) -> DelegateRecord:
    record = store.delegate_record(event_id, delegate_id, consistent=consistent)
    if record is None:
        raise UnknownDelegate(f"no delegate {delegate_id} at {event_id}")
    return record


def _rows_follow(store: Store, event_id: str, *delegates: str) -> None:
    """The delegates' report rows follow the writes just stored (`cme.projection`)."""
    from cme.projection import after_write

    after_write(store, event_id, *delegates)


def _extended(
    store: Store, programme: Programme, delegate_id: str, refusal: CmeError
) -> Programme | None:
    """After the event's deadline (or on-demand window) refused a fact: the programme as
    this delegate's facts are judged when the organiser extended their deadline, else None.
    The delegate is read only then, so the common case costs no extra read."""
    if not isinstance(refusal, ClaimDeadlinePassed | OutsideOnDemandWindow):
        return None
    record = store.delegate_record(programme.event.id, delegate_id)
    if record is None or record.extension is None:
        return None
    return programme_for(programme, record.extension.until)


def _session(store: Store, programme: Programme, delegate_id: str, session_id: str) -> Session:
    """The session, or 404 — `unknown_delegate` first when the delegate is unknown too."""
    session = programme.session(session_id)
    if session is None and not store.delegate_exists(programme.event.id, delegate_id):
        raise UnknownDelegate(f"no delegate {delegate_id} at {programme.event.id}")
    return require_session(programme, session_id)


# --------------------------------------------------------------------------- scans


@dataclass(frozen=True, slots=True)
class ScanRecorded:
    scan_id: str
    day: date
    duplicate: bool


def record_scan(
    store: Store,
    event_id: str,
    *,
    scan_id: str,
    delegate_id: str,
    station_id: str,
    scanned_at: datetime,
    room: str | None = None,
    direction: Direction = Direction.IN,
    now: datetime,
    skew: timedelta,
    rows_follow: bool = True,
) -> ScanRecorded:
    """A badge scan at a CME desk or, with its `room` and `direction`, at a hall entrance.
    A retry is a duplicate, never a second fact; a refused scan stores no fact and is kept
    apart with its reason for the organiser. `rows_follow`: refresh the delegate's report
    row now."""
    programme = load_programme(store, event_id)
    sent = ScanToRecord(scan_id, delegate_id, station_id, scanned_at, room, direction)
    judged = _judged(store, event_id, programme, sent, now=now, skew=skew)
    if isinstance(judged, ScanRecorded):
        return judged
    try:
        store.add_scan(event_id, delegate_id, judged, received_at=now)
    except WriteRefused as refused:
        return _after_refusal(store, event_id, sent, refused, now=now)
    if rows_follow:
        _rows_follow(store, event_id, delegate_id)
    return ScanRecorded(scan_id, judged.day, duplicate=False)


@dataclass(frozen=True, slots=True)
class ScanToRecord:
    """One scan of a batch, as `record_scan` takes it."""

    scan_id: str
    delegate_id: str
    station_id: str
    scanned_at: datetime
    room: str | None = None
    direction: Direction = Direction.IN


def _judged(
    store: Store,
    event_id: str,
    programme: Programme,
    sent: ScanToRecord,
    *,
    now: datetime,
    skew: timedelta,
) -> Scan | ScanRecorded:
    """The fact to store; or, when the rules refuse the scan, the answer to a resend of a
    stored one (raises the refusal otherwise: `unknown_delegate` first)."""
    try:
        day = judge_scan(programme, sent.scanned_at, now=now, skew=skew)
    except CmeError as refusal:
        if not store.delegate_exists(event_id, sent.delegate_id):
            unknown = UnknownDelegate(f"no delegate {sent.delegate_id} at {event_id}")
            raise _refuse(store, event_id, sent, unknown, now=now) from None
        if (seen := _repeat(store, event_id, sent, now=now)) is not None:
            return seen
        raise _refuse(store, event_id, sent, refusal, now=now) from None
    return Scan(sent.scan_id, sent.scanned_at, day, sent.station_id, sent.room, sent.direction)


def _after_refusal(
    store: Store, event_id: str, sent: ScanToRecord, refused: WriteRefused, *, now: datetime
) -> ScanRecorded:
    """The answer to a scan whose write a condition refused: the delegate is unknown, or it
    repeats a stored scan (a duplicate, or `id_reused`)."""
    if "delegate" in refused.failed:
        unknown = UnknownDelegate(f"no delegate {sent.delegate_id} at {event_id}")
        raise _refuse(store, event_id, sent, unknown, now=now) from None
    if (seen := _repeat(store, event_id, sent, now=now)) is not None:
        return seen
    raise refused


def _repeat(
    store: Store, event_id: str, sent: ScanToRecord, *, now: datetime
) -> ScanRecorded | None:
    """A resend of the scan stored under its id (None when none is)."""
    recorded = store.recorded_scan(event_id, sent.scan_id)
    if recorded is None:
        return None
    held = recorded.scan
    stored = (recorded.delegate_id, held.station_id, held.scanned_at, held.room, held.direction)
    content = (sent.delegate_id, sent.station_id, sent.scanned_at, sent.room, sent.direction)
    try:
        is_repeat(stored, content, what=f"scan {sent.scan_id}")
    except IdReused as reused:  # refused like any other: the organiser sees it
        raise _refuse(store, event_id, sent, reused, now=now) from None
    return ScanRecorded(sent.scan_id, held.day, duplicate=True)


def _refuse(
    store: Store, event_id: str, sent: ScanToRecord, error: CmeError, *, now: datetime
) -> CmeError:
    """Keep the refused scan apart, with its reason; the error to raise."""
    refused = RefusedScan(
        sent.scan_id,
        sent.delegate_id,
        sent.station_id,
        sent.scanned_at,
        now,
        error.code,
        error.detail,
        sent.room,
        sent.direction,
    )
    store.refuse_scan(event_id, refused)
    return error


BATCH_CONCURRENCY = 10
"""Writes of a batch sent side by side: each is a round trip to DynamoDB of some
milliseconds. Ten is the store's connection pool (botocore's default); DynamoDB takes many
more."""


def record_scans(
    store: Store,
    event_id: str,
    scans: Sequence[ScanToRecord],
    *,
    now: Callable[[], datetime],
    skew: timedelta,
    concurrency: int | None = None,
) -> list[ScanRecorded | CmeError]:
    """A batch (an offline station syncing): each scan judged as `record_scan` judges it,
    its answer or its refusal in request order, the same answers as one at a time.

    Scans that share a scan id or a delegate (`scan_lanes`) are recorded one after another
    in request order: the first of a repeated id is the one stored and the next is its
    duplicate (or `id_reused`). So the batch goes in rounds: each round takes the next scan
    of every lane, all of distinct ids and delegates, and stores them together
    (`Store.add_scans`: a few transactions, `concurrency` at a time); a scan the store
    refuses is answered as `record_scan` answers it. Each delegate's report row follows
    once, after the last round."""
    programme = load_programme(store, event_id)  # read once, before the threads share it
    side_by_side = BATCH_CONCURRENCY if concurrency is None else concurrency
    results: list[ScanRecorded | CmeError | None] = [None] * len(scans)
    lanes = [deque(lane) for lane in scan_lanes(scans)]
    stored: list[str] = []
    while lanes:
        writes: list[tuple[int, NewScan]] = []
        for index in (lane.popleft() for lane in lanes):
            sent, at = scans[index], now()
            try:
                judged = _judged(store, event_id, programme, sent, now=at, skew=skew)
            except CmeError as error:
                results[index] = error
                continue
            if isinstance(judged, ScanRecorded):
                results[index] = judged
            else:
                writes.append((index, NewScan(sent.delegate_id, judged, at)))
        lanes = [lane for lane in lanes if lane]
        outcomes = store.add_scans(event_id, [w for _, w in writes], side_by_side=side_by_side)
        for (index, new), outcome in zip(writes, outcomes, strict=True):
            if outcome is None:
                results[index] = ScanRecorded(new.scan.scan_id, new.scan.day, duplicate=False)
                stored.append(new.delegate_id)
            elif isinstance(outcome, WriteRefused):
                try:
                    results[index] = _after_refusal(
                        store, event_id, scans[index], outcome, now=new.received_at
                    )
                except CmeError as error:
                    results[index] = error
            else:
                results[index] = outcome
    if stored:  # each delegate's report row once, after the last round
        from cme.projection import after_writes

        after_writes(store, event_id, stored, side_by_side=side_by_side)
    return [result for result in results if result is not None]


def scan_lanes(scans: Sequence[ScanToRecord]) -> list[list[int]]:
    """The batch's positions grouped so that scans sharing a scan id or a delegate (even
    through others) share a group; each group in request order, groups by their first."""
    parent = list(range(len(scans)))

    def root(index: int) -> int:
        while parent[index] != index:
            parent[index] = parent[parent[index]]
            index = parent[index]
        return index

    first: dict[tuple[str, str], int] = {}
    for index, scan in enumerate(scans):
        for key in (("scan", scan.scan_id), ("delegate", scan.delegate_id)):
            seen = first.setdefault(key, index)
            a, b = root(seen), root(index)
            if a != b:
                parent[max(a, b)] = min(a, b)
    lanes: dict[int, list[int]] = {}
    for index in range(len(scans)):
        lanes.setdefault(root(index), []).append(index)
    return list(lanes.values())


# --------------------------------------------------------------------------- views


@dataclass(frozen=True, slots=True)
class ViewRecorded:
    view_id: str
    session_id: str
    duplicate: bool


def record_view(
    store: Store,
    event_id: str,
    delegate_id: str,
    *,
    view_id: str,
    session_id: str,
    kind: ViewKind,
    watched_at: datetime,
    seconds: int | None,
    now: datetime,
    skew: timedelta,
) -> ViewRecorded:
    """A live or on-demand view (`watched_at`: when watching began)."""
    programme = load_programme(store, event_id)
    session = _session(store, programme, delegate_id, session_id)
    view = View(view_id, session.id, kind, watched_at, seconds)

    def repeat() -> ViewRecorded | None:
        recorded = store.recorded_view(event_id, view_id)
        if recorded is None:
            return None
        is_repeat(
            (recorded.delegate_id, recorded.view), (delegate_id, view), what=f"view {view_id}"
        )
        return ViewRecorded(view_id, session.id, duplicate=True)

    try:
        try:
            judge_view(programme, session, kind, watched_at, now=now, skew=skew)
        except CmeError as refusal:
            extended = _extended(store, programme, delegate_id, refusal)
            if extended is None:
                raise
            judge_view(extended, session, kind, watched_at, now=now, skew=skew)
    except CmeError:
        if not store.delegate_exists(event_id, delegate_id):
            raise UnknownDelegate(f"no delegate {delegate_id} at {event_id}") from None
        if (seen := repeat()) is not None:
            return seen
        raise

    try:
        store.add_view(event_id, delegate_id, view, received_at=now)
    except WriteRefused as refused:
        if "delegate" in refused.failed:
            raise UnknownDelegate(f"no delegate {delegate_id} at {event_id}") from None
        if (seen := repeat()) is not None:
            return seen
        raise
    _rows_follow(store, event_id, delegate_id)
    return ViewRecorded(view_id, session.id, duplicate=False)


# --------------------------------------------------------------------------- cart


def add_to_cart(
    store: Store, event_id: str, delegate_id: str, session_id: str, *, now: datetime
) -> bool:
    """Claim a session; True when added, False when it was already in the cart."""
    programme = load_programme(store, event_id)
    session = _session(store, programme, delegate_id, session_id)
    try:
        judge_cart_addition(session)
    except CmeError:
        record = load_delegate(store, event_id, delegate_id)
        if session.id in record.facts.cart:
            return False
        raise
    try:
        store.add_to_cart(event_id, delegate_id, session.id, now=now)
    except WriteRefused as refused:
        if "delegate" in refused.failed:
            raise UnknownDelegate(f"no delegate {delegate_id} at {event_id}") from None
        return False
    _rows_follow(store, event_id, delegate_id)
    return True


def remove_from_cart(store: Store, event_id: str, delegate_id: str, session_id: str) -> None:
    """Drop a session from the cart (done also when it was not there); an evaluated one stays."""
    programme = load_programme(store, event_id)
    session = _session(store, programme, delegate_id, session_id)
    try:
        store.remove_from_cart(event_id, delegate_id, session.id)
    except WriteRefused as refused:
        if "delegate" in refused.failed:
            raise UnknownDelegate(f"no delegate {delegate_id} at {event_id}") from None
        judge_cart_removal(session.id, evaluated="evaluation" in refused.failed)
        raise
    _rows_follow(store, event_id, delegate_id)


@dataclass(frozen=True, slots=True)
class CartLine:
    session_id: str
    title: str
    slot_id: str
    date: date
    evaluation: EvaluationWindow
    evaluation_opens_at: datetime


def cart(store: Store, event_id: str, delegate_id: str, *, now: datetime) -> list[CartLine]:
    """The cart in programme order, with where each evaluation stands right now."""
    programme = load_programme(store, event_id)
    record = load_delegate(store, event_id, delegate_id)
    programme = programme_for(programme, record.extension.until if record.extension else None)
    facts = record.facts
    sessions = sorted(
        (s for sid in facts.cart | facts.evaluations.keys() if (s := programme.session(sid))),
        key=lambda s: s.order,
    )
    return [
        CartLine(
            session_id=s.id,
            title=s.title,
            slot_id=s.slot_id,
            date=s.date,
            evaluation=evaluation_window(
                programme, s, evaluated=s.id in facts.evaluations, now=now
            ),
            evaluation_opens_at=s.end,
        )
        for s in sessions
    ]


# --------------------------------------------------------------------------- evaluations


def record_evaluation(
    store: Store,
    event_id: str,
    delegate_id: str,
    session_id: str,
    *,
    submitted_at: datetime,
    answers: Mapping[str, Any],
    claimed_credits: Decimal | None = None,
    now: datetime,
    skew: timedelta,
) -> bool:
    """A session evaluation, with the credits claimed for it (`self_claimed`): final; the
    session joins the cart. True when stored, False for a retry with the same instant,
    answers and claim."""
    programme = load_programme(store, event_id)
    session = _session(store, programme, delegate_id, session_id)
    incoming = (submitted_at, canonical_answers(answers), claimed_credits)

    def repeat() -> bool:
        record = load_delegate(store, event_id, delegate_id)
        stored = record.facts.evaluations.get(session.id)
        if stored is None:
            return False
        # An erased delegate's evaluation keeps no answers: its instant and claim decide.
        compared = (
            incoming
            if record.erased_at is None
            else (submitted_at, canonical_answers({}), claimed_credits)
        )
        return is_repeat_evaluation(
            (stored.submitted_at, record.answers[session.id], stored.claimed_credits),
            compared,
            session.id,
        )

    try:
        try:
            judge_evaluation(
                programme, session, submitted_at, now=now, claimed=claimed_credits, skew=skew
            )
        except CmeError as refusal:
            extended = _extended(store, programme, delegate_id, refusal)
            if extended is None:
                raise
            judge_evaluation(
                extended, session, submitted_at, now=now, claimed=claimed_credits, skew=skew
            )
    except CmeError:
        if repeat():
            return False
        raise
    try:
        store.add_evaluation(
            event_id,
            delegate_id,
            Evaluation(session.id, submitted_at, dict(answers), claimed_credits),
            received_at=now,
        )
    except WriteRefused as refused:
        if "delegate" in refused.failed:
            raise UnknownDelegate(f"no delegate {delegate_id} at {event_id}") from None
        if repeat():
            return False
        raise
    _rows_follow(store, event_id, delegate_id)
    return True


# --------------------------------------------------------------------------- statements


def statement(store: Store, event_id: str, delegate_id: str) -> CreditStatement:
    """The delegate's credit statement, from the programme as stored now: one Query and one
    read of the programme's version (plus the programme when that changed)."""
    from cme.rules.credits import compute_statement

    programme = load_programme(store, event_id, latest=True)
    record = load_delegate(store, event_id, delegate_id)
    return compute_statement(programme, record.facts)
