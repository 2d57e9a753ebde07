"""The attendance register's `evidence` (`cme.rules.evidence.evidence_of`): for each credited
session, the evidence its amount rests on, read as the statement reads it, under every
policy; and a report row kept in an older shape is computed again, so the register never
lacks its lines.

The programme is the one of test_rules_variants.py: one day in Milan, A1 and B1 in
parallel (08:30-10:00, 1.5), A2 then A3 (1 each), P1 recorded (14:00-16:00, 2)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from cme import organising, recording
from cme.facts import DelegateFacts, Evaluation, Scan, View, ViewKind
from cme.programme import Programme
from cme.projection import ROW_FORMAT
from cme.rules.credits import CartStatus, compute_statement
from cme.rules.evidence import POLICIES, Evidence, evidence_of, session_worth
from cme_tools.memory_store import MemoryStore
from tests.unit.test_rules_variants import (
    EVERY_SESSION,
    PROPORTIONAL,
    at,
    live,
    on_demand,
    programme,
    scan,
)


def facts(
    *,
    scans: tuple[Scan, ...] = (),
    views: tuple[View, ...] = (),
    grants: frozenset[str] = frozenset(),
    claims: dict[str, str] | None = None,
) -> DelegateFacts:
    """A delegate who evaluated every session (with `claims`, if any)."""
    claimed = {sid: Decimal(c) for sid, c in (claims or {}).items()}
    evaluations = {
        sid: Evaluation(sid, at("23:00"), {"rating": 5}, claimed.get(sid)) for sid in EVERY_SESSION
    }
    return DelegateFacts("D1", scans, views, frozenset(), evaluations, grants=grants)


def register(under: Programme, of: DelegateFacts) -> dict[str, Evidence]:
    """Each credited or parallel session's evidence, as the register lists it."""
    credited = {
        i.session_id: i.amount
        for i in compute_statement(under, of).cart
        if i.status in (CartStatus.CREDITED, CartStatus.PARALLEL)
    }
    found = evidence_of(under, of, credited)
    assert set(found) == set(credited)  # every credited session has its evidence
    return found


def test_a_daily_scan_is_a_scan_for_every_session_of_its_day() -> None:
    found = register(programme(), facts(scans=(scan("08:00"),)))
    assert found == dict.fromkeys(EVERY_SESSION, Evidence.SCAN)


def test_a_hall_scan_is_a_scan_and_entry_and_exit_are_time_in_the_room() -> None:
    at_the_door = facts(scans=(scan("08:31", "Hall A"),))
    assert register(programme(evidence="session_scan"), at_the_door) == {"A1": Evidence.SCAN}
    stay = facts(scans=(scan("08:40", "Hall A"), scan("10:00", "Hall A", "out")))
    assert register(programme(**PROPORTIONAL), stay) == {"A1": Evidence.TIME_IN_ROOM}


def test_live_before_on_demand_and_recorded_evidence_before_a_grant() -> None:
    views = (live("A1", "08:31"), on_demand("P1"))
    granted = frozenset({"A1", "A2"})
    found = register(programme(), facts(views=views, grants=granted))
    assert found == {
        "A1": Evidence.LIVE_VIEW,  # watched live and granted: the view is the evidence
        "A2": Evidence.GRANT,  # nothing recorded: the grant
        "P1": Evidence.ON_DEMAND_VIEW,
    }


def test_a_grant_shows_where_time_in_the_room_gave_only_part_of_the_credits() -> None:
    # 80 of 90 minutes in proportion is 1.25 of A1's 1.5; the grant is worth all of it
    stay = (scan("08:40", "Hall A"), scan("10:00", "Hall A", "out"))
    found = register(programme(**PROPORTIONAL), facts(scans=stay, grants=frozenset({"A1"})))
    assert found == {"A1": Evidence.GRANT}


def test_views_that_need_the_recording_to_reach_the_minimum_are_on_demand() -> None:
    half = programme(viewing={"minimum": "0.5"})
    alone = facts(views=(live("P1", "14:00", 3600),))
    assert register(half, alone) == {"P1": Evidence.LIVE_VIEW}
    together = facts(views=(live("P1", "14:00", 1800), on_demand("P1", 1800)))
    assert register(half, together) == {"P1": Evidence.ON_DEMAND_VIEW}


def test_under_a_claim_the_evidence_that_covers_the_claimed_amount() -> None:
    claimed = programme(evidence="time_in_room", claims="self_claimed", claim_step="0.25")
    stay = (scan("08:40", "Hall A"), scan("10:00", "Hall A", "out"))
    of = facts(scans=stay, claims={"A1": "0.5"})
    assert register(claimed, of) == {"A1": Evidence.TIME_IN_ROOM}


SCANS = st.lists(
    st.sampled_from(
        [
            scan("08:00"),
            scan("08:35", "Hall A"),
            scan("09:40", "Hall A", "out"),
            scan("10:40", "Hall A"),
            scan("11:50", "Hall B"),
            scan("14:10", "Hall C"),
            scan("15:00", "Hall C", "out"),
        ]
    ),
    unique=True,
    max_size=5,
)
VIEWS = st.lists(
    st.sampled_from(
        [
            live("A1", "08:31", 600),
            live("B1", "08:40", 5400),
            live("P1", "14:00", 1800),
            on_demand("P1", 3600),
            on_demand("A3", 60),
        ]
    ),
    unique=True,
    max_size=3,
)


@settings(max_examples=150, deadline=None)
@given(
    policy=st.sampled_from(sorted(POLICIES)),
    proportional=st.booleans(),
    scans=SCANS,
    views=VIEWS,
    grants=st.frozensets(st.sampled_from(EVERY_SESSION), max_size=2),
)
def test_the_evidence_named_is_worth_at_least_the_amount_it_credits(
    policy: str,
    proportional: bool,
    scans: list[Scan],
    views: list[View],
    grants: frozenset[str],
) -> None:
    """Whatever the facts: each credited session's evidence is one the delegate has, and
    on its own it is worth the amount the statement credits."""
    presence = {"credit": "proportional"} if proportional else {"credit": "full"}
    under = programme(evidence=policy, presence=presence, viewing={"minimum": "0.5"})
    of = facts(scans=tuple(scans), views=tuple(views), grants=grants)
    statement = compute_statement(under, of)
    found = register(under, of)
    for item in statement.cart:
        if item.session_id not in found:
            continue
        kind = found[item.session_id]
        alone = _only(of, kind)
        worth = session_worth(under, alone, [s for s in under.sessions if s.id == item.session_id])
        assert worth.amounts.get(item.session_id, Decimal(0)) >= item.amount, (kind, item)


def _only(of: DelegateFacts, kind: Evidence) -> DelegateFacts:
    """The delegate's facts of one kind of evidence only."""
    none = replace(of, scans=(), views=(), grants=frozenset())
    if kind in (Evidence.SCAN, Evidence.TIME_IN_ROOM):
        return replace(none, scans=of.scans)
    if kind is Evidence.LIVE_VIEW:
        return replace(none, views=tuple(v for v in of.views if v.kind is ViewKind.LIVE))
    if kind is Evidence.ON_DEMAND_VIEW:
        return replace(none, views=of.views)
    return replace(none, grants=of.grants)


def test_a_row_kept_before_the_register_is_computed_again_with_its_lines(
    memory: MemoryStore,
) -> None:
    now = datetime(2025, 6, 15, 12, 0, tzinfo=UTC)
    recording.record_scan(
        memory,
        "eshg2025",
        scan_id="s-1",
        delegate_id="D0001",
        station_id="desk",
        scanned_at=datetime.fromisoformat("2025-05-24T08:01:00+02:00"),
        now=now,
        skew=timedelta(minutes=5),
    )
    recording.record_evaluation(
        memory,
        "eshg2025",
        "D0001",
        "S01",
        submitted_at=datetime.fromisoformat("2025-05-24T12:02:00+02:00"),
        answers={},
        now=now,
        skew=timedelta(minutes=5),
    )
    # Given the delegate's row as an older version kept it: current, without its lines
    kept = memory.projection("eshg2025", "D0001")
    assert kept is not None and kept.row is not None and kept.row["format"] == ROW_FORMAT
    old = {k: v for k, v in kept.row.items() if k not in ("format", "sessions")}
    memory.save_projection(
        "eshg2025",
        "D0001",
        old,
        pending=kept.pending,
        programme_version=kept.programme_version or 0,
    )
    stale = memory.projection("eshg2025", "D0001")
    assert stale is not None and stale.current(kept.programme_version or 0)

    # When the register's page is read
    page = organising.report_page(memory, "eshg2025", limit=10, cursor=None)

    # Then the row is computed again, with the register's line, and kept so
    assert [line.session_id for line in page.rows[0].sessions] == ["S01"]
    again = memory.projection("eshg2025", "D0001")
    assert again is not None and again.row is not None and again.row["format"] == ROW_FORMAT
