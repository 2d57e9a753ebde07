"""`best_sessions`, the slot rule of RULES.md, against a brute-force reference.

'Slot credit = the largest sum of credits over a set of credited sessions of that slot
that do not overlap in time, capped at the slot maximum. When several sets give the same
capped credit, the one with the fewest sessions wins, then the one whose sessions come
first in the programme.'

"Come first in the programme" is read as: list each set's sessions in programme order
(start, then id) and compare the lists position by position; the earlier session wins at
the first position where they differ.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from cme.programme import Session
from cme.rules.credits import best_sessions

ORIGIN = datetime(2025, 5, 24, 6, 0, tzinfo=UTC)
TICK = timedelta(minutes=10)
CREDITS = [Decimal(x) for x in ("0.25", "0.5", "0.75", "1", "1.5", "2")]
MAXIMA = [Decimal(x) for x in ("0.5", "1", "1.5", "2", "3", "5")]


def in_programme_order(raw: Sequence[tuple[str, int, int, Decimal]]) -> list[Session]:
    """Sessions (id, start tick, length in ticks, credits) sorted by start then id, each
    with its position as `order`, the way `build_programme` numbers them."""
    ordered = sorted(raw, key=lambda r: (r[1], r[0]))
    return [
        Session(
            id=session_id,
            slot_id="slot",
            date=date(2025, 5, 24),
            title=session_id,
            start=ORIGIN + start * TICK,
            end=ORIGIN + (start + length) * TICK,
            credits=credits,
            accredited=True,
            recorded=False,
            room="",
            order=position,
        )
        for position, (session_id, start, length, credits) in enumerate(ordered)
    ]


def overlap(a: Session, b: Session) -> bool:
    return a.start < b.end and b.start < a.end


def reference(sessions: Sequence[Session], maximum: Decimal) -> tuple[Decimal, tuple[Session, ...]]:
    """Every subset, the rule read literally."""
    best: tuple[tuple[Decimal, int, tuple[int, ...]], tuple[Session, ...]] | None = None
    for size in range(1, len(sessions) + 1):
        for chosen in itertools.combinations(sessions, size):
            if any(overlap(a, b) for a, b in itertools.combinations(chosen, 2)):
                continue
            value = min(sum((s.credits for s in chosen), Decimal(0)), maximum)
            key = (-value, size, tuple(sorted(s.order for s in chosen)))
            if best is None or key < best[0]:
                best = (key, chosen)
    if best is None:
        return Decimal(0), ()
    return -best[0][0], tuple(sorted(best[1], key=lambda s: s.order))


@st.composite
def slots(draw: st.DrawFn) -> tuple[list[Session], Decimal]:
    count = draw(st.integers(min_value=1, max_value=7))
    ids = draw(st.permutations("ABCDEFG"))[:count]
    raw = [
        (
            session_id,
            draw(st.integers(min_value=0, max_value=9)),
            draw(st.integers(min_value=1, max_value=5)),
            draw(st.sampled_from(CREDITS)),
        )
        for session_id in ids
    ]
    return in_programme_order(raw), draw(st.sampled_from(MAXIMA))


@settings(max_examples=400, deadline=timedelta(seconds=2))
@given(slots())
def test_best_sessions_agrees_with_every_subset(slot: tuple[list[Session], Decimal]) -> None:
    sessions, maximum = slot
    value, picked = best_sessions(sessions, maximum)
    expected_value, expected = reference(sessions, maximum)
    assert value == expected_value
    assert len(picked) == len(expected)
    assert [s.id for s in picked] == [s.id for s in expected]


def test_no_credited_session_gives_nothing() -> None:
    assert best_sessions([], Decimal("1.5")) == (Decimal(0), ())


def test_parallel_sessions_give_the_best_single_one_capped() -> None:
    sessions = in_programme_order(
        [("A", 0, 9, Decimal("1")), ("B", 1, 3, Decimal("2")), ("C", 2, 5, Decimal("2"))]
    )
    value, picked = best_sessions(sessions, Decimal("1.5"))
    assert (value, [s.id for s in picked]) == (Decimal("1.5"), ["B"])


def test_a_later_session_may_beat_an_earlier_one_that_blocks_a_better_chain() -> None:
    """A greedy earliest-first choice would take A (1.0) then nothing; B + C give 2.0."""
    sessions = in_programme_order(
        [("A", 0, 4, Decimal("1")), ("B", 1, 2, Decimal("1")), ("C", 3, 2, Decimal("1"))]
    )
    value, picked = best_sessions(sessions, Decimal("3"))
    assert (value, [s.id for s in picked]) == (Decimal(2), ["B", "C"])


def test_the_tie_between_sets_of_equal_size_goes_to_the_earlier_sessions() -> None:
    """{A, D} and {B, C} both reach the cap with two sessions; A comes before B."""
    sessions = in_programme_order(
        [
            ("A", 0, 2, Decimal("0.5")),
            ("B", 0, 3, Decimal("1")),
            ("C", 3, 3, Decimal("0.5")),
            ("D", 4, 2, Decimal("1")),
        ]
    )
    value, picked = best_sessions(sessions, Decimal("1.5"))
    assert (value, [s.id for s in picked]) == (Decimal("1.5"), ["A", "D"])
