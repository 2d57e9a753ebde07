"""Projections (`cme.projection`): each delegate's report row, kept on write, is always
what the facts say once read through the report, whatever happened in between: writes in
any order, refreshes that never ran (a timeout after the write), a refresh overtaken by a
later write, a programme replaced.

The facts go through the domain's own recording functions on the in-memory store (held
to the DynamoDB store by the store contract tests); "a refresh that never ran" is the
store's write without the domain's refresh after it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from cme import projection, recording
from cme.errors import CmeError
from cme.facts import Attendance, Delegate, Scan, ViewKind
from cme.organising import put_delegate, put_programme
from cme.programme import Programme, programme_document
from cme.projection import DelegateRow, current_rows, delegate_row
from cme.records import Store
from cme_tools.memory_store import MemoryStore

EVENT = "congress"
NOW = datetime(2025, 6, 15, 12, 0, tzinfo=UTC)
SKEW = timedelta(minutes=5)
DELEGATES = ("A", "B", "C")
SESSIONS = ("AM1", "AM2", "PM1")
INSTANTS = (
    "2025-05-24T08:01:00+02:00",  # before the sessions: a scan of the day
    "2025-05-24T08:45:00+02:00",  # during AM1/AM2: a live view
    "2025-05-24T14:35:00+02:00",  # after every session: evaluations open
    "2025-05-23T10:00:00+02:00",  # not a conference day: refused
)


def fresh_rows(store: Store, programme: Programme) -> list[DelegateRow]:
    """What the facts say now, delegate by delegate, computed from nothing kept."""
    rows = []
    for delegate_id in sorted(DELEGATES):
        record = store.delegate_record(EVENT, delegate_id)
        if record is not None:
            rows.append(delegate_row(programme, record))
    return rows


def report_rows(store: Store) -> list[DelegateRow]:
    programme, version = recording.versioned_programme(store, EVENT, latest=True)
    rows, last = current_rows(store, EVENT, programme, version, after=None, limit=100)
    assert last is None
    return rows


def new_event(make_programme: Callable[..., Programme]) -> tuple[MemoryStore, Programme]:
    """A store holding the small programme as event `congress`, and nothing else."""
    store = MemoryStore()
    document: Any = programme_document(make_programme(timezone="Europe/Rome"))
    document["event"]["id"] = EVENT
    put_programme(store, EVENT, document, now=NOW)
    return store, recording.load_programme(store, EVENT, latest=True)


Step = tuple[str, str, str, str, bool]
"""(what, delegate, session, instant, whether the refresh after the write runs)."""

steps = st.lists(
    st.tuples(
        st.sampled_from(("register", "scan", "view", "cart", "uncart", "evaluate")),
        st.sampled_from(DELEGATES),
        st.sampled_from(SESSIONS),
        st.sampled_from(INSTANTS),
        st.booleans(),
    ),
    max_size=25,
)


def apply(store: MemoryStore, step: Step, n: int) -> None:
    """One write through the domain; with `refresh` False, the bare store write (the
    domain's refresh after it never ran)."""
    what, delegate_id, session_id, instant, refresh = step
    at = datetime.fromisoformat(instant)
    if not refresh:
        _bare_write(store, step, n)
        return
    try:
        match what:
            case "register":
                person = Delegate(delegate_id, f"Name {delegate_id} {n}", Attendance.IN_PERSON)
                put_delegate(store, EVENT, person, now=NOW)
            case "scan":
                recording.record_scan(
                    store,
                    EVENT,
                    scan_id=f"s{n}",
                    delegate_id=delegate_id,
                    station_id="desk",
                    scanned_at=at,
                    now=NOW,
                    skew=SKEW,
                )
            case "view":
                recording.record_view(
                    store,
                    EVENT,
                    delegate_id,
                    view_id=f"v{n}",
                    session_id=session_id,
                    kind=ViewKind.LIVE,
                    watched_at=at,
                    seconds=None,
                    now=NOW,
                    skew=SKEW,
                )
            case "cart":
                recording.add_to_cart(store, EVENT, delegate_id, session_id, now=NOW)
            case "uncart":
                recording.remove_from_cart(store, EVENT, delegate_id, session_id)
            case "evaluate":
                recording.record_evaluation(
                    store,
                    EVENT,
                    delegate_id,
                    session_id,
                    submitted_at=at,
                    answers={"q": n},
                    now=NOW,
                    skew=SKEW,
                )
    except CmeError:
        pass  # refused by a rule: nothing stored, nothing counted


def _bare_write(store: MemoryStore, step: Step, n: int) -> None:
    what, delegate_id, session_id, instant, _ = step
    from cme.records import WriteRefused

    try:
        if what == "register":
            person = Delegate(delegate_id, f"Bare {delegate_id} {n}", Attendance.ONLINE)
            store.save_delegate(EVENT, person, now=NOW)
        elif what == "scan" and instant.startswith("2025-05-24"):
            at = datetime.fromisoformat(instant)
            scan = Scan(f"s{n}", at, at.date(), "desk")
            store.add_scan(EVENT, delegate_id, scan, received_at=NOW)
        elif what == "cart":
            store.add_to_cart(EVENT, delegate_id, session_id, now=NOW)
    except WriteRefused:
        pass


@settings(max_examples=150)
@given(steps=steps)
def test_the_report_always_says_what_the_facts_say(
    make_programme: Callable[..., Programme], steps: list[Step]
) -> None:
    store, programme = new_event(make_programme)
    for n, step in enumerate(steps):
        apply(store, step, n)
        assert report_rows(store) == fresh_rows(store, programme)
    # Once read through the report, every row is kept current: the next read computes none.
    _, version = recording.versioned_programme(store, EVENT, latest=True)
    for delegate_id in DELEGATES:
        kept = store.projection(EVENT, delegate_id)
        assert kept is None or kept.current(version)


@settings(max_examples=100)
@given(steps=steps.map(lambda s: [(w, d, x, i, True) for w, d, x, i, _ in s]))
def test_with_every_refresh_run_the_kept_rows_are_current_without_the_report(
    make_programme: Callable[..., Programme], steps: list[Step]
) -> None:
    store, programme = new_event(make_programme)
    _, version = recording.versioned_programme(store, EVENT, latest=True)
    for n, step in enumerate(steps):
        apply(store, step, n)
    fresh = {row.delegate_id: row for row in fresh_rows(store, programme)}
    for delegate_id, row in fresh.items():
        kept = store.projection(EVENT, delegate_id)
        assert kept is not None and kept.current(version) and kept.row is not None
        assert DelegateRow.from_document(delegate_id, kept.row) == row


def test_a_refresh_overtaken_by_a_later_write_keeps_nothing(
    make_programme: Callable[..., Programme],
) -> None:
    store, programme = new_event(make_programme)
    store.save_delegate(EVENT, Delegate("A", "Ana", Attendance.IN_PERSON), now=NOW)
    # A refresh reads the count, then the facts...
    counted = store.projection(EVENT, "A")
    record = store.delegate_record(EVENT, "A", consistent=True)
    assert counted is not None and record is not None
    # ...and a scan lands before it keeps the row it computed:
    scan_at = datetime.fromisoformat(INSTANTS[0])
    store.add_scan(EVENT, "A", Scan("s1", scan_at, scan_at.date(), "desk"), received_at=NOW)
    stale = delegate_row(programme, record)
    assert not store.save_projection(
        EVENT, "A", stale.document(), pending=counted.pending, programme_version=1
    )
    kept = store.projection(EVENT, "A")
    assert kept is not None and kept.row is None and not kept.current(1)
    assert report_rows(store) == fresh_rows(store, programme)


def test_a_replaced_programme_makes_every_row_computed_again(
    make_programme: Callable[..., Programme], make_document: Callable[..., dict[str, Any]]
) -> None:
    store, _ = new_event(make_programme)
    put_delegate(store, EVENT, Delegate("A", "Ana", Attendance.IN_PERSON), now=NOW)
    recording.record_scan(
        store,
        EVENT,
        scan_id="s1",
        delegate_id="A",
        station_id="desk",
        scanned_at=datetime.fromisoformat(INSTANTS[0]),
        now=NOW,
        skew=SKEW,
    )
    for session_id in ("AM1", "PM1"):
        recording.record_evaluation(
            store,
            EVENT,
            "A",
            session_id,
            submitted_at=datetime.fromisoformat(INSTANTS[2]),
            answers={"q": 1},
            now=NOW,
            skew=SKEW,
        )
    (before,) = report_rows(store)
    assert before.total == 3

    document = make_document(total="2")  # the event total lowered to 2
    document["event"]["id"] = EVENT
    put_programme(store, EVENT, document, now=NOW)
    kept = store.projection(EVENT, "A")
    assert kept is not None and not kept.current(2)
    (after,) = report_rows(store)
    assert after.total == 2
    kept = store.projection(EVENT, "A")
    assert kept is not None and kept.row is not None and kept.current(2)
    assert projection.DelegateRow.from_document("A", kept.row) == after
