"""One test per sentence of RULES.md, "Variants" (evidence policies, viewing minimum,
self-claimed credit, the computation with amounts, live and on-demand), in the order the
rules state them. Each docstring quotes the sentence it checks.

The programme: one day, 24 May 2025 in Europe/Rome (UTC+2), three halls.
- slot `am` 08:30-10:00, max 1.5: A1 in Hall A and B1 in Hall B, in parallel (1.5 each);
- slot `mid` 10:30-12:30, max 2: A2 10:30-11:30 then A3 11:30-12:30 in Hall A (1 each);
- slot `pm` 14:00-16:00, max 2: P1 in Hall C (2), recorded.
Day cap 5.5, event total 25.5.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cme.errors import CmeError
from cme.facts import DelegateFacts, Direction, Evaluation, Scan, View, ViewKind
from cme.programme import Programme, build_programme
from cme.rules.credits import CartStatus, CreditStatement, compute_statement
from cme.rules.evidence import POLICIES, presence
from cme.rules.judge import judge_claim

DAY = date(2025, 5, 24)
LATER = datetime(2025, 6, 2, 12, 0, tzinfo=UTC)
EVERY_SESSION = ("A1", "B1", "A2", "A3", "P1")


def at(clock: str) -> datetime:
    """24 May 2025, local time in Milan (UTC+2), as a UTC instant."""
    hours, minutes = clock.split(":")[:2]
    seconds = int(clock.split(":")[2]) if clock.count(":") == 2 else 0
    local = datetime(2025, 5, 24, int(hours), int(minutes), seconds)
    return (local - timedelta(hours=2)).replace(tzinfo=UTC)


def document(policy: Mapping[str, Any] | None = None) -> dict[str, Any]:
    event: dict[str, Any] = {
        "id": "halls",
        "name": "A congress with halls",
        "city": "Milan",
        "timezone": "Europe/Rome",
        "accreditation": {
            "body": "UEMS-EACCME",
            "unit": "ECMEC",
            "total": "25.5",
            "statement": "Accredited for testing.",
        },
        "conversions": [{"name": "AMA PRA Category 1 Credits", "ratio": "1"}],
        "claim_deadline": "2025-11-30T23:59:59",
        "on_demand": {"start": "2025-05-24T16:00:00", "end": "2025-11-30T23:59:59"},
    }
    if policy is not None:
        event["policy"] = dict(policy)
    return {
        "event": event,
        "days": [{"date": "2025-05-24", "cap": "5.5"}],
        "slots": [
            {"id": "am", "date": "2025-05-24", "start": "08:30", "end": "10:00", "max": "1.5"},
            {"id": "mid", "date": "2025-05-24", "start": "10:30", "end": "12:30", "max": "2"},
            {"id": "pm", "date": "2025-05-24", "start": "14:00", "end": "16:00", "max": "2"},
        ],
        "sessions": [
            {"id": "A1", "slot": "am", "title": "Hall A, morning", "room": "Hall A"},
            {"id": "B1", "slot": "am", "title": "Hall B, morning", "room": "Hall B"},
            {"id": "A2", "slot": "mid", "title": "Hall A, first", "start": "10:30",
             "end": "11:30", "credits": "1", "room": "Hall A"},
            {"id": "A3", "slot": "mid", "title": "Hall A, second", "start": "11:30",
             "end": "12:30", "credits": "1", "room": "Hall A"},
            {"id": "P1", "slot": "pm", "title": "Hall C, afternoon", "room": "Hall C",
             "recorded": "true"},
        ],
    }  # fmt: skip


def programme(**policy: Any) -> Programme:
    return build_programme(document(policy or None)).programme


def scan(clock: str, room: str | None = None, direction: str = "in", n: int = 0) -> Scan:
    return Scan(f"s{clock}{room}{direction}{n}", at(clock), DAY, "desk", room, Direction(direction))


def live(session: str, clock: str, seconds: int | None = None) -> View:
    return View(f"live-{session}-{clock}", session, ViewKind.LIVE, at(clock), seconds)


def on_demand(session: str, seconds: int | None = None) -> View:
    return View(f"od-{session}-{seconds}", session, ViewKind.ON_DEMAND, LATER, seconds)


def statement(
    under: Programme,
    *,
    scans: tuple[Scan, ...] = (),
    views: tuple[View, ...] = (),
    evaluated: tuple[str, ...] = EVERY_SESSION,
    claims: Mapping[str, str] | None = None,
) -> CreditStatement:
    """The statement of a delegate who evaluated `evaluated` (with `claims`, if any)."""
    claimed = {sid: Decimal(c) for sid, c in (claims or {}).items()}
    evaluations = {
        sid: Evaluation(sid, at("23:00"), {"rating": 5}, claimed.get(sid)) for sid in evaluated
    }
    return compute_statement(under, DelegateFacts("D1", scans, views, frozenset(), evaluations))


def amounts(result: CreditStatement) -> dict[str, Decimal]:
    """Each credited or parallel session's amount."""
    return {i.session_id: i.amount for i in result.cart if i.amount}


def statuses(result: CreditStatement) -> dict[str, CartStatus]:
    return {i.session_id: i.status for i in result.cart}


TIME_IN_ROOM = {"evidence": "time_in_room"}
AT_90 = {"evidence": "time_in_room", "presence": {"minimum": "0.9"}}
PROPORTIONAL = {"evidence": "time_in_room", "presence": {"credit": "proportional"}}


# ------------------------------------------------------------------ the evidence policy


def test_every_setting_has_a_default_and_a_programme_without_them_is_eshg() -> None:
    """'Every setting below is optional; its default is the ESHG behaviour above.'"""
    plain = programme()
    spelled = programme(
        evidence="daily_scan",
        scan_grace_minutes="15",
        presence={"minimum": "0", "credit": "full", "step": "0.25"},
        viewing={"minimum": "0"},
        claims="earned",
        claim_step="0.25",
    )
    assert plain.event.policy == spelled.event.policy
    assert set(POLICIES) == {"daily_scan", "session_scan", "time_in_room"}


def test_under_daily_scan_room_and_direction_are_ignored() -> None:
    """'Scans may carry a room ... and a direction (in or out, default in). Under
    daily_scan both are ignored.'"""
    result = statement(programme(), scans=(scan("07:50", "Hall Z", "out"),))
    assert amounts(result) == {
        "A1": Decimal("1.5"), "B1": Decimal("1.5"), "A2": 1, "A3": 1, "P1": 2
    }  # fmt: skip
    assert result.total == Decimal("5.5")


def test_session_scan_counts_a_scan_in_the_room_from_the_grace_before_start_to_the_end() -> None:
    """'session_scan: a scan in room R at instant t is evidence for session S when
    S.room = R and S.start - grace <= t < S.end.'"""
    halls = programme(evidence="session_scan")
    assert "A1" in amounts(statement(halls, scans=(scan("08:15", "Hall A"),)))
    assert amounts(statement(halls, scans=(scan("08:14:59", "Hall A"),))) == {}
    assert amounts(statement(halls, scans=(scan("09:59:59", "Hall A", "out"),))) == {
        "A1": Decimal("1.5")
    }
    # At A1's end Hall A's next session (A2, from 10:15 with the grace) has not begun.
    assert amounts(statement(halls, scans=(scan("10:00", "Hall A"),))) == {}
    assert amounts(statement(halls, scans=(scan("09:00", "Hall B"),))) == {"B1": Decimal("1.5")}
    # One scan at 11:20 in Hall A: inside A2, and inside A3's grace.
    assert amounts(statement(halls, scans=(scan("11:20", "Hall A"),))) == {"A2": 1, "A3": 1}


def test_the_grace_is_the_programmes_setting() -> None:
    """'... where grace is policy.scan_grace_minutes (default 15).'"""
    five = programme(evidence="session_scan", scan_grace_minutes="5")
    assert amounts(statement(five, scans=(scan("08:24", "Hall A"),))) == {}
    assert amounts(statement(five, scans=(scan("08:25", "Hall A"),))) == {"A1": Decimal("1.5")}


def test_under_session_scan_a_scan_without_a_room_is_evidence_of_nothing() -> None:
    """'A scan without a room is stored but is evidence of nothing under this policy.'"""
    result = statement(programme(evidence="session_scan"), scans=(scan("09:00"),))
    assert result.total == 0
    assert set(statuses(result).values()) == {CartStatus.NO_EVIDENCE}


def test_presence_pairs_an_entry_with_the_exit_of_its_room() -> None:
    """'An in at t opens presence in its room ... An out closes the presence open in its
    room.' Presence in S is the length of the intervals in S's room within [start, end)."""
    result = statement(
        programme(**AT_90), scans=(scan("08:30", "Hall A"), scan("09:51", "Hall A", "out"))
    )
    assert statuses(result)["A1"] is CartStatus.CREDITED  # 81 of 90 minutes: exactly 90 %


def test_a_share_just_below_the_minimum_is_no_evidence() -> None:
    """'S has evidence when its share is above 0 and at least policy.presence.minimum.'"""
    result = statement(
        programme(**AT_90), scans=(scan("08:30", "Hall A"), scan("09:50:59", "Hall A", "out"))
    )
    assert statuses(result)["A1"] is CartStatus.NO_EVIDENCE
    assert result.total == 0


def test_an_83_percent_presence_is_refused_at_a_90_percent_minimum() -> None:
    result = statement(
        programme(**AT_90), scans=(scan("08:45", "Hall A"), scan("10:00", "Hall A", "out"))
    )
    assert statuses(result)["A1"] is CartStatus.NO_EVIDENCE  # 75 of 90 minutes


def test_an_entry_never_closed_closes_at_the_end_of_the_session_in_progress() -> None:
    """'A presence still open when the delegate has no later scan closes at the end of the
    session of that room in progress at its opening.'"""
    intervals = presence(programme(**TIME_IN_ROOM), (scan("08:40", "Hall A"),))
    assert intervals == {"Hall A": [(at("08:40"), at("10:00"))]}


def test_an_entry_inside_the_grace_counts_from_the_start() -> None:
    """'... in progress at its opening (S.start - grace <= t < S.end)'."""
    result = statement(programme(**AT_90), scans=(scan("08:20", "Hall A"),))
    assert statuses(result)["A1"] is CartStatus.CREDITED  # 08:20 until A1's end: 100 %


def test_an_open_presence_closes_at_the_latest_end_of_the_sessions_in_progress() -> None:
    """'... (S.start - grace <= t < S.end; the latest such end)': at 11:20 A2 runs and A3
    (11:30, grace 15) has begun for this rule, so the presence lasts until 12:30."""
    intervals = presence(programme(**TIME_IN_ROOM), (scan("11:20", "Hall A"),))
    assert intervals == {"Hall A": [(at("11:20"), at("12:30"))]}


def test_an_entry_with_no_session_in_progress_closes_at_once() -> None:
    """'... or at once if none was.'"""
    halls = programme(**TIME_IN_ROOM)
    assert presence(halls, (scan("10:05", "Hall A"),)) == {}  # A2 opens at 10:15 (grace)
    assert statement(halls, scans=(scan("10:05", "Hall A"),)).total == 0


def test_an_exit_with_nothing_open_is_ignored() -> None:
    """'an out with nothing open there is ignored.'"""
    halls = programme(**TIME_IN_ROOM)
    assert presence(halls, (scan("09:00", "Hall A", "out"),)) == {}
    # Open in Hall B, an exit from Hall A changes nothing: B1 runs until its end.
    both = presence(halls, (scan("08:30", "Hall B"), scan("09:00", "Hall A", "out")))
    assert both == {"Hall B": [(at("08:30"), at("10:00"))]}


def test_an_entry_elsewhere_closes_the_open_presence() -> None:
    """'An in at t opens presence in its room (and closes any presence open elsewhere at
    t).'"""
    intervals = presence(
        programme(**TIME_IN_ROOM), (scan("08:30", "Hall A"), scan("09:00", "Hall B"))
    )
    assert intervals == {
        "Hall A": [(at("08:30"), at("09:00"))],
        "Hall B": [(at("09:00"), at("10:00"))],
    }


def test_presence_outside_the_session_does_not_count() -> None:
    """'Presence in S is the total length of the presence intervals in S's room within
    [S.start, S.end).' A stay from 08:00 to 09:15 is 45 minutes of A1: a half."""
    result = statement(
        programme(evidence="time_in_room", presence={"minimum": "0.5"}),
        scans=(scan("08:00", "Hall A"), scan("09:15", "Hall A", "out")),
    )
    assert statuses(result)["A1"] is CartStatus.CREDITED
    at_51 = programme(evidence="time_in_room", presence={"minimum": "0.51"})
    assert (
        statuses(statement(at_51, scans=(scan("08:00", "Hall A"), scan("09:15", "Hall A", "out"))))[
            "A1"
        ]
        is CartStatus.NO_EVIDENCE
    )


def test_one_stay_across_sessions_of_a_room_counts_for_each() -> None:
    result = statement(
        programme(**AT_90), scans=(scan("10:25", "Hall A"), scan("12:30", "Hall A", "out"))
    )
    assert amounts(result) == {"A2": 1, "A3": 1}
    assert result.days[0].slots[1].credits == 2


def test_full_credit_is_the_default() -> None:
    """'policy.presence.credit: full (default): S's credits'."""
    result = statement(
        programme(**TIME_IN_ROOM), scans=(scan("09:00", "Hall A"), scan("09:10", "Hall A", "out"))
    )
    assert amounts(result) == {"A1": Decimal("1.5")}  # 10 minutes, no minimum: full credits


def test_proportional_credit_is_rounded_down_to_the_step() -> None:
    """'proportional: S's credits x share, rounded down to a multiple of
    policy.presence.step (default 0.25)'. 80 of 90 minutes of 1.5 is 1.333...: 1.25."""
    facts = (scan("08:40", "Hall A"), scan("10:00", "Hall A", "out"))
    assert amounts(statement(programme(**PROPORTIONAL), scans=facts)) == {"A1": Decimal("1.25")}
    by_halves = programme(
        evidence="time_in_room", presence={"credit": "proportional", "step": "0.5"}
    )
    assert amounts(statement(by_halves, scans=facts)) == {"A1": Decimal("1.0")}


def test_a_proportional_amount_of_zero_is_no_evidence() -> None:
    """'an amount of 0 is no evidence.' 5 of 90 minutes of 1.5 is 0.083: 0."""
    result = statement(
        programme(**PROPORTIONAL), scans=(scan("09:55", "Hall A"), scan("10:00", "Hall A", "out"))
    )
    assert statuses(result)["A1"] is CartStatus.NO_EVIDENCE


def test_shares_are_exact_to_the_microsecond() -> None:
    """'Durations are exact (seconds)': 81 minutes less a microsecond is below 90 %."""
    almost = Scan("out", at("09:51") - timedelta(microseconds=1), DAY, "", "Hall A", Direction.OUT)
    result = statement(programme(**AT_90), scans=(scan("08:30", "Hall A"), almost))
    assert statuses(result)["A1"] is CartStatus.NO_EVIDENCE


# ------------------------------------------------------------------------------ views


def test_views_keep_their_meaning_under_every_policy() -> None:
    """'Views keep their meaning under every policy.'"""
    for policy in POLICIES:
        result = statement(programme(evidence=policy), views=(live("A1", "08:31"),))
        assert amounts(result) == {"A1": Decimal("1.5")}, policy


def test_views_add_up_live_and_on_demand_to_the_viewing_minimum() -> None:
    """'views are evidence for S only when the seconds of the delegate's accepted views of
    S, live and on-demand together, add up to at least m x S's length'. P1 is 2 hours;
    half of it is 3600 seconds."""
    half = programme(viewing={"minimum": "0.5"})
    enough = (live("P1", "14:00", 1800), on_demand("P1", 1800))
    assert amounts(statement(half, views=enough)) == {"P1": 2}
    short = (live("P1", "14:00", 1800), on_demand("P1", 1799))
    assert statuses(statement(half, views=short))["P1"] is CartStatus.NO_EVIDENCE


def test_a_view_without_seconds_counts_zero_under_a_minimum_and_counts_without_one() -> None:
    """'(a view without seconds counts 0 then; with m = 0 any accepted view counts)'."""
    bare = (live("P1", "14:00"),)
    assert (
        statuses(statement(programme(viewing={"minimum": "0.1"}), views=bare))["P1"]
        is CartStatus.NO_EVIDENCE
    )
    assert amounts(statement(programme(), views=(live("P1", "14:00", 0),))) == {"P1": 2}


def test_of_several_kinds_of_evidence_the_largest_amount_counts() -> None:
    """'When several kinds of evidence exist for S, the largest amount counts.'"""
    facts = (scan("08:40", "Hall A"), scan("10:00", "Hall A", "out"))  # 1.25 by presence
    result = statement(programme(**PROPORTIONAL), scans=facts, views=(on_demand("A1"),))
    assert amounts(result) == {"A1": Decimal("1.5")}


# --------------------------------------------------------------------- self-claimed credit


def test_under_earned_a_stated_claim_is_ignored() -> None:
    """'earned (default): a credited session is worth its amount ... Under earned, a
    stated claim is stored and ignored.'"""
    result = statement(programme(), scans=(scan("08:00"),), claims={"A1": "0.25"})
    assert amounts(result)["A1"] == Decimal("1.5")
    judge_claim(programme(), programme().sessions[0], Decimal("99"))  # not refused


def test_a_self_claimed_session_is_worth_the_claim_at_most_what_was_earned() -> None:
    """'self_claimed: ... the session is worth min(claimed, amount).'"""
    claiming = programme(evidence="time_in_room", presence={"credit": "proportional"},
                         claims="self_claimed")  # fmt: skip
    facts = (scan("08:40", "Hall A"), scan("10:00", "Hall A", "out"))  # earned 1.25
    below = statement(claiming, scans=facts, evaluated=("A1",), claims={"A1": "0.75"})
    assert amounts(below) == {"A1": Decimal("0.75")}
    above = statement(claiming, scans=facts, evaluated=("A1",), claims={"A1": "1.5"})
    assert amounts(above) == {"A1": Decimal("1.25")}
    assert above.total == Decimal("1.25")


def test_a_session_evaluated_without_a_claim_is_not_claimed_and_worth_nothing() -> None:
    """'A session evaluated without a claim is not_claimed and worth nothing'; it comes
    before no_evidence in the order of statuses."""
    claiming = programme(claims="self_claimed")
    result = statement(claiming, scans=(scan("08:00"),), evaluated=("A1", "B1"),
                       claims={"B1": "1"})  # fmt: skip
    assert statuses(result) == {"A1": CartStatus.NOT_CLAIMED, "B1": CartStatus.CREDITED}
    assert amounts(result) == {"B1": Decimal("1")}
    nothing = statement(claiming, evaluated=("A1",))
    assert statuses(nothing) == {"A1": CartStatus.NOT_CLAIMED}


@pytest.mark.parametrize(
    ("claim", "code"),
    [("1.25", None), ("1.5", None), ("0.25", None), ("0.3", "invalid_claim"),
     ("0", "invalid_claim"), ("1.75", "invalid_claim")],
)  # fmt: skip
def test_a_claim_is_a_positive_multiple_of_the_step_not_above_the_credits(
    claim: str, code: str | None
) -> None:
    """'the evaluation carries claimed_credits, a positive multiple of policy.claim_step
    (default 0.25) not above S's credits'."""
    claiming = programme(claims="self_claimed")
    session = claiming.sessions[0]  # A1, 1.5
    if code is None:
        judge_claim(claiming, session, Decimal(claim))
    else:
        with pytest.raises(CmeError) as raised:
            judge_claim(claiming, session, Decimal(claim))
        assert raised.value.code == code


def test_the_claim_step_is_the_programmes_setting() -> None:
    halves = programme(claims="self_claimed", claim_step="0.5")
    with pytest.raises(CmeError):
        judge_claim(halves, halves.sessions[0], Decimal("0.25"))
    judge_claim(halves, halves.sessions[0], Decimal("1"))


# ------------------------------------------------------------ the computation with amounts


def test_the_slot_takes_the_largest_sum_of_amounts_of_sessions_that_do_not_overlap() -> None:
    """'the slot takes the largest sum of amounts over non-overlapping credited sessions,
    capped, with the same tie-break'. Proportional: A2 0.5, A3 1."""
    result = statement(
        programme(**PROPORTIONAL),
        scans=(scan("11:00", "Hall A"), scan("12:30", "Hall A", "out")),
    )
    assert amounts(result) == {"A2": Decimal("0.5"), "A3": 1}
    assert result.days[0].slots[1].credits == Decimal("1.5")


def test_parallel_sessions_take_the_larger_amount_and_the_other_is_parallel() -> None:
    """In parallel, the session worth more gives the slot its credit, whatever the
    programme order; equal amounts go to the first."""
    result = statement(
        programme(**PROPORTIONAL),
        scans=(scan("08:30", "Hall B"), scan("09:00", "Hall A"), scan("10:00", "Hall A", "out")),
    )
    assert amounts(result) == {"A1": Decimal("1.0"), "B1": Decimal("0.5")}
    assert statuses(result) == {
        "A1": CartStatus.CREDITED, "B1": CartStatus.PARALLEL, "A2": CartStatus.NO_EVIDENCE,
        "A3": CartStatus.NO_EVIDENCE, "P1": CartStatus.NO_EVIDENCE,
    }  # fmt: skip
    assert result.days[0].slots[0].credits == Decimal("1.0")


def test_a_cart_item_is_worth_nothing_unless_credited_or_parallel() -> None:
    """Each cart item's amount: 'what it is worth to this delegate before the slot, day and
    event caps; 0 unless credited or parallel' (CONTRACT.md)."""
    result = statement(programme(), scans=(scan("08:00"),), evaluated=("A1", "B1"))
    assert {i.session_id: i.amount for i in result.cart} == {
        "A1": Decimal("1.5"), "B1": Decimal("1.5")
    }  # fmt: skip
    none = statement(programme(), evaluated=("A1",))
    assert [i.amount for i in none.cart] == [0]
    assert none.as_dict()["cart"] == [{"session_id": "A1", "status": "no_evidence", "amount": 0}]


# ----------------------------------------------------------------- live and on-demand


def test_the_live_part_uses_only_scans_and_live_views() -> None:
    """'The statement also gives the live credit: the same computation using only scans
    and live views as evidence. The rest of the total came from recordings.'"""
    result = statement(
        programme(), scans=(), views=(live("A1", "08:31"), on_demand("P1")), evaluated=("A1", "P1")
    )
    assert (result.total, result.live) == (Decimal("3.5"), Decimal("1.5"))
    assert result.as_dict()["live"] == Decimal("1.5")
    scanned = statement(programme(), scans=(scan("08:00"),), views=(on_demand("P1"),))
    assert scanned.live == scanned.total == Decimal("5.5")


def test_the_live_part_meets_the_viewing_minimum_with_live_seconds_alone() -> None:
    half = programme(viewing={"minimum": "0.5"})
    result = statement(
        half, views=(live("P1", "14:00", 1800), on_demand("P1", 1800)), evaluated=("P1",)
    )
    assert (result.total, result.live) == (2, 0)


def test_the_live_part_is_capped_like_the_total() -> None:
    """Day caps and the event total apply to the live computation as to the total."""
    capped = document()
    capped["days"][0]["cap"] = "2"
    result = statement(
        build_programme(capped).programme, views=(live("A1", "08:31"), live("P1", "14:00"))
    )
    assert (result.total, result.live) == (2, 2)


# ------------------------------------------------------------------------- properties


STAYS = st.lists(
    st.tuples(
        st.integers(min_value=7 * 60, max_value=17 * 60),
        st.sampled_from(["Hall A", "Hall B", "Hall C", None]),
        st.sampled_from(["in", "out"]),
    ),
    max_size=12,
)
POLICY = st.fixed_dictionaries(
    {
        "evidence": st.sampled_from(sorted(POLICIES)),
        "presence": st.fixed_dictionaries(
            {
                "minimum": st.sampled_from(["0", "0.5", "0.9", "1"]),
                "credit": st.sampled_from(["full", "proportional"]),
                "step": st.sampled_from(["0.1", "0.25", "0.5"]),
            }
        ),
        "viewing": st.fixed_dictionaries({"minimum": st.sampled_from(["0", "0.5"])}),
    }
)


def _scans(stays: list[tuple[int, str | None, str]]) -> tuple[Scan, ...]:
    return tuple(
        scan(f"{m // 60:02d}:{m % 60:02d}", room, direction, n)
        for n, (m, room, direction) in enumerate(stays)
    )


@settings(max_examples=150, deadline=None)
@given(
    policy=POLICY,
    stays=STAYS,
    order=st.randoms(use_true_random=False),
    seconds=st.integers(0, 7200),
)
def test_amounts_never_exceed_credits_live_never_exceeds_total_and_order_never_matters(
    policy: dict[str, Any], stays: list[tuple[int, str | None, str]], order: Any, seconds: int
) -> None:
    under = build_programme(document(policy)).programme
    scans = _scans(stays)
    views = (live("P1", "14:10", seconds), on_demand("A2", seconds))
    result = statement(under, scans=scans, views=views)
    credits = {s.id: s.credits for s in under.sessions}
    assert all(0 <= item.amount <= credits[item.session_id] for item in result.cart)
    assert 0 <= result.live <= result.total <= result.cap
    shuffled = list(scans)
    order.shuffle(shuffled)
    assert statement(under, scans=tuple(shuffled), views=views[::-1]) == result
