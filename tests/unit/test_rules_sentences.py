"""One test per sentence of RULES.md, in the order the rules state them.

Each test's docstring quotes the sentence it checks. Facts go through `audit_facts` (the
API's judgement) before the statement is computed, so a test also fails when a fact the
rule accepts is refused. The small programme of `make_document` is one day, 24 May 2025
in Europe/Rome (UTC+2): slot `am` 08:30-10:00 with the parallel recorded sessions AM1 and
AM2, slot `pm` 13:00-14:30 with PM1 (not recorded); day cap 3, event total 25.5.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest

from cme.errors import CmeError, InvalidProgramme
from cme.facts import DelegateFacts, Evaluation, Scan, View, ViewKind
from cme.programme import EVIDENCE_POLICIES, Programme, build_programme
from cme.rules.credits import CartStatus, CreditStatement, compute_statement
from cme.rules.evidence import POLICIES, DailyScan, evidence_policy
from cme.rules.judge import (
    judge_cart_addition,
    judge_cart_removal,
    judge_evaluation,
    judge_scan,
    judge_view,
)
from cme.timestamps import parse_aware
from cme_tools.audit import audit_facts

Judge = Callable[..., tuple[CreditStatement, Any]]
MILAN = "+02:00"
SCAN_24 = f"2025-05-24T08:01:00{MILAN}"
AM_DONE = f"2025-05-24T10:05:00{MILAN}"
PM_DONE = f"2025-05-24T14:35:00{MILAN}"


def utc(text: str) -> datetime:
    return parse_aware(text).astimezone(UTC)


def statuses(statement: CreditStatement) -> dict[str, CartStatus]:
    return {item.session_id: item.status for item in statement.cart}


def refusals(audited: Any) -> set[tuple[str, str, str]]:
    return {(r.kind, r.fact_id, r.code) for r in audited.refusals}


def code_of(call: Callable[[], object]) -> str:
    with pytest.raises(CmeError) as raised:
        call()
    return raised.value.code


def problems(document: Any) -> set[tuple[str, str]]:
    with pytest.raises(InvalidProgramme) as raised:
        build_programme(document)
    return {(p.path, p.code) for p in raised.value.problems}


# --------------------------------------------------------------------- the published rules


def test_in_person_delegates_scan_once_a_day_and_answer_the_evaluations(
    make_programme: Callable[..., Programme], statement_of: Judge
) -> None:
    """'In-person delegates scan their badge once a day at the CME station and answer the
    session evaluations': one scan covers every session of that day."""
    statement, audited = statement_of(
        make_programme(), scans=[SCAN_24], evaluations=[("AM1", AM_DONE), ("PM1", PM_DONE)]
    )
    assert audited.refusals == ()
    assert statement.total == Decimal("3.0")
    assert statuses(statement) == {"AM1": CartStatus.CREDITED, "PM1": CartStatus.CREDITED}


def test_online_only_delegates_watch_the_sessions_and_answer_the_same_evaluations(
    make_programme: Callable[..., Programme], statement_of: Judge
) -> None:
    """'Online-only delegates watch the sessions and answer the same evaluations.'"""
    statement, audited = statement_of(
        make_programme(),
        attendance="online",
        views=[
            ("AM1", "live", f"2025-05-24T08:40:00{MILAN}"),
            ("PM1", "live", f"2025-05-24T13:00:00{MILAN}"),
        ],
        evaluations=[("AM1", AM_DONE), ("PM1", PM_DONE)],
    )
    assert audited.refusals == ()
    assert statement.total == Decimal("3.0")


def test_an_evaluation_opens_when_the_live_session_ends_and_closes_at_the_claim_deadline(
    eshg: Programme,
) -> None:
    """'An evaluation opens once the live session has concluded, and closes at the claim
    deadline: 30 November 2025, 23:59 Milan time.'"""
    session = eshg.session("PL04")
    assert session is not None
    now = datetime(2026, 1, 1, tzinfo=UTC)

    def evaluate(at: datetime) -> None:
        judge_evaluation(eshg, session, at, now=now)

    with pytest.raises(CmeError) as too_early:
        evaluate(session.end - timedelta(microseconds=1))
    assert too_early.value.code == "evaluation_not_open"
    assert too_early.value.extra() == {"opens_at": "2025-05-27T12:00:00Z"}
    evaluate(session.end)
    evaluate(datetime(2025, 11, 30, 22, 59, 59, tzinfo=UTC))
    assert code_of(lambda: evaluate(datetime(2025, 11, 30, 23, 0, tzinfo=UTC))) == (
        "claim_deadline_passed"
    )


def test_credits_accumulate_per_slot_and_each_slot_has_a_maximum(
    make_programme: Callable[..., Programme], statement_of: Judge
) -> None:
    """'Credits accumulate per programme slot; each slot has a maximum.'"""
    programme = make_programme(
        sessions=[
            {"id": "A", "slot": "am", "title": "First", "end": "09:15", "credits": "1"},
            {"id": "B", "slot": "am", "title": "Second", "start": "09:15", "credits": "1"},
        ]
    )
    statement, _ = statement_of(
        programme, scans=[SCAN_24], evaluations=[("A", AM_DONE), ("B", AM_DONE)]
    )
    [am, pm] = statement.days[0].slots
    assert (am.slot_id, am.max, am.credits) == ("am", Decimal("1.5"), Decimal("1.5"))
    assert pm.credits == 0
    assert statement.total == Decimal("1.5")


def test_the_full_amount_for_a_day_needs_an_evaluated_session_in_every_slot(
    make_programme: Callable[..., Programme], statement_of: Judge
) -> None:
    """'The full amount for a day needs at least one evaluated session in every slot of
    that day.'"""
    programme = make_programme()
    one_slot, _ = statement_of(programme, scans=[SCAN_24], evaluations=[("AM1", AM_DONE)])
    every_slot, _ = statement_of(
        programme, scans=[SCAN_24], evaluations=[("AM1", AM_DONE), ("PM1", PM_DONE)]
    )
    assert one_slot.days[0].credits == Decimal("1.5") < one_slot.days[0].cap
    assert every_slot.days[0].credits == every_slot.days[0].cap == Decimal(3)


def test_sessions_that_run_in_parallel_never_add_up(
    make_programme: Callable[..., Programme], statement_of: Judge
) -> None:
    """'Sessions that run in parallel never add up.'"""
    statement, _ = statement_of(
        make_programme(), scans=[SCAN_24], evaluations=[("AM1", AM_DONE), ("AM2", AM_DONE)]
    )
    assert statement.total == Decimal("1.5")
    assert statuses(statement) == {"AM1": CartStatus.CREDITED, "AM2": CartStatus.PARALLEL}


def test_a_recording_watched_on_demand_earns_the_credits_of_its_live_slot(
    make_programme: Callable[..., Programme], statement_of: Judge
) -> None:
    """'On-demand period (27 May - 30 November 2025): watching a recording and answering
    that session's evaluation earns the credits of the live programme slot it belonged to.'"""
    statement, audited = statement_of(
        make_programme(),
        views=[("AM2", "on_demand", "2025-06-10T19:30:00+02:00")],
        evaluations=[("AM2", "2025-06-10T21:00:00+02:00")],
    )
    assert audited.refusals == ()
    assert statement.days[0].date.isoformat() == "2025-05-24"
    assert [(s.slot_id, s.credits, s.sessions) for s in statement.days[0].slots] == [
        ("am", Decimal("1.5"), ("AM2",)),
        ("pm", Decimal(0), ()),
    ]


def test_the_certificate_needs_every_session_of_the_cart_evaluated(
    make_programme: Callable[..., Programme], statement_of: Judge
) -> None:
    """'Delegates add sessions to a "CME cart", evaluate every session in it, and only then
    can they download their certificate.'"""
    programme = make_programme()
    half, _ = statement_of(
        programme, scans=[SCAN_24], cart=["AM1", "PM1"], evaluations=[("AM1", AM_DONE)]
    )
    assert half.total == Decimal("1.5")
    assert (half.certificate_ready, half.missing_evaluations) == (False, ("PM1",))
    assert statuses(half)["PM1"] is CartStatus.NOT_EVALUATED
    done, _ = statement_of(
        programme,
        scans=[SCAN_24],
        cart=["AM1", "PM1"],
        evaluations=[("AM1", AM_DONE), ("PM1", PM_DONE)],
    )
    assert (done.certificate_ready, done.missing_evaluations) == (True, ())


def test_eaccme_credits_convert_one_to_one_to_ama_pra_category_1(
    eshg: Programme, make_programme: Callable[..., Programme], statement_of: Judge
) -> None:
    """'EACCME credits convert 1:1 to AMA PRA Category 1 Credits.' (The RCPSC sentence is
    wording the organiser prints from `event.statements`; it carries no number.)"""
    assert [(c.name, c.ratio) for c in eshg.event.conversions] == [
        ("AMA PRA Category 1 Credits", Fraction(1))
    ]
    statement, _ = statement_of(
        make_programme(), scans=[SCAN_24], evaluations=[("AM1", AM_DONE), ("PM1", PM_DONE)]
    )
    assert [(c.name, c.credits) for c in statement.conversions] == [
        ("AMA PRA Category 1 Credits", Decimal("3.0"))
    ]


def test_a_variant_of_the_rules_is_a_policy_setting_not_a_fork(
    make_document: Callable[..., dict[str, Any]],
) -> None:
    """'The engine is written so that such a variant is a policy setting, not a fork': the
    programme names its evidence policy, and only known policies are accepted."""
    document = make_document()
    programme = build_programme(document).programme
    assert programme.event.policy.evidence == "daily_scan"
    assert isinstance(evidence_policy(programme.event.policy.evidence), DailyScan)
    assert set(EVIDENCE_POLICIES) == set(POLICIES)  # every policy a programme may name exists
    document["event"]["policy"] = {"evidence": "hall_scans"}
    assert problems(document) == {("event.policy.evidence", "unknown_policy")}


# --------------------------------------------------------------------------------- terms


def test_every_time_in_a_programme_is_local_to_the_event_timezone(
    make_programme: Callable[..., Programme],
) -> None:
    """'Event timezone: an IANA name. Every time in a programme is local to it.'"""
    rome = make_programme().slot("am")
    new_york = make_programme(timezone="America/New_York").slot("am")
    assert rome is not None and new_york is not None
    assert rome.start == datetime(2025, 5, 24, 6, 30, tzinfo=UTC)
    assert new_york.start == datetime(2025, 5, 24, 12, 30, tzinfo=UTC)


def test_a_naive_timestamp_is_rejected(
    make_programme: Callable[..., Programme], statement_of: Judge
) -> None:
    """'Every timestamp that arrives over the API carries an explicit UTC offset; a naive
    timestamp is rejected.'"""
    with pytest.raises(ValueError):
        parse_aware("2025-05-24T08:01:00")
    statement, audited = statement_of(
        make_programme(),
        scans=["2025-05-24T08:01:00"],
        views=[("PM1", "live", "2025-05-24T13:10:00")],
        evaluations=[("AM1", "2025-05-24T10:05:00")],
    )
    assert refusals(audited) == {
        ("scan", "scan-0", "invalid_request"),
        ("view", "view-0", "invalid_request"),
        ("evaluation", "AM1", "invalid_request"),
    }
    assert statement.cart == ()


def test_a_conference_day_is_a_local_date_listed_in_the_programme_with_a_cap(
    make_programme: Callable[..., Programme],
) -> None:
    """'Conference day: a local date listed in the programme, with a credit cap.'"""
    programme = make_programme()
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert [(d.date.isoformat(), d.cap) for d in programme.days] == [("2025-05-24", Decimal(3))]
    assert judge_scan(programme, utc("2025-05-24T23:59:59+02:00"), now=now).isoformat() == (
        "2025-05-24"
    )
    assert code_of(lambda: judge_scan(programme, utc("2025-05-25T00:00:00+02:00"), now=now)) == (
        "not_a_conference_day"
    )


def test_slots_of_one_day_never_overlap(make_document: Callable[..., dict[str, Any]]) -> None:
    """'Slot: a time window on one day with a maximum credit. Slots of one day never
    overlap.'"""
    document = make_document()
    document["slots"][1]["start"] = "09:59"
    assert problems(document) == {("slots[1].start", "overlapping_slots")}
    document["slots"][1]["start"] = "10:00"  # half-open: touching is not overlapping
    assert build_programme(document).programme.slot("pm") is not None


def test_a_session_is_a_block_inside_one_slot(
    make_document: Callable[..., dict[str, Any]],
) -> None:
    """'Session: a block inside one slot (its start and end lie inside the slot).'"""
    document = make_document()
    document["sessions"][0]["start"] = "08:00"
    document["sessions"][2]["end"] = "14:31"
    assert problems(document) == {
        ("sessions[0].start", "session_outside_slot"),
        ("sessions[2].end", "session_outside_slot"),
    }


def test_a_session_defaults_to_the_slot_maximum_accredited_and_not_recorded(
    make_document: Callable[..., dict[str, Any]],
) -> None:
    """'It carries credits (default: the slot's maximum), accredited (industry sessions are
    not) and recorded (available on demand).'"""
    document = make_document(
        sessions=[
            {"id": "PLAIN", "slot": "pm", "title": "Defaults"},
            {"id": "IND", "slot": "am", "title": "Industry", "accredited": "false"},
            {"id": "REC", "slot": "am", "title": "Recorded", "recorded": "true", "credits": "1"},
        ]
    )
    programme = build_programme(document).programme
    plain, industry, recorded = (programme.session(i) for i in ("PLAIN", "IND", "REC"))
    assert plain is not None and industry is not None and recorded is not None
    assert (plain.credits, plain.accredited, plain.recorded) == (Decimal("1.5"), True, False)
    assert (plain.start, plain.end) == (
        datetime(2025, 5, 24, 11, 0, tzinfo=UTC),
        datetime(2025, 5, 24, 12, 30, tzinfo=UTC),
    )
    assert industry.accredited is False
    assert (recorded.credits, recorded.recorded) == (Decimal(1), True)


def test_sessions_of_one_slot_may_run_one_after_another_and_add_up(
    eshg: Programme, statement_of: Judge
) -> None:
    """'Sessions of one slot may run in parallel (their times overlap) or one after
    another.' ES05 (0.75) and ES06 (0.75) follow each other in slot sat-3 of ESHG."""
    statement, _ = statement_of(
        eshg,
        scans=[SCAN_24],
        evaluations=[("ES05", "2025-05-24T14:31:00+02:00"), ("ES06", "2025-05-24T14:31:00+02:00")],
    )
    [sat3] = [s for s in statement.days[0].slots if s.slot_id == "sat-3"]
    assert (sat3.credits, sat3.sessions) == (Decimal("1.50"), ("ES05", "ES06"))


def test_times_are_half_open_so_a_session_ending_at_14_does_not_overlap_one_starting_at_14(
    make_programme: Callable[..., Programme], statement_of: Judge
) -> None:
    """'Times are half-open, [start, end): a session ending at 14:00 and one starting at
    14:00 do not overlap.'"""
    programme = make_programme(
        slots=[{"id": "pm", "date": "2025-05-24", "start": "13:00", "end": "15:00", "max": "2"}],
        sessions=[
            {"id": "EARLY", "slot": "pm", "title": "Early", "end": "14:00", "credits": "1"},
            {"id": "LATE", "slot": "pm", "title": "Late", "start": "14:00", "credits": "1"},
            {
                "id": "ONE",
                "slot": "pm",
                "title": "t",
                "start": "13:59",
                "end": "14:01",
                "credits": "1",
            },
        ],
    )
    statement, _ = statement_of(
        programme,
        scans=[SCAN_24],
        evaluations=[(s, "2025-05-24T15:00:00+02:00") for s in ("EARLY", "LATE", "ONE")],
    )
    assert statement.days[0].slots[0].sessions == ("EARLY", "LATE")
    assert statement.total == Decimal(2)
    assert statuses(statement)["ONE"] is CartStatus.PARALLEL


def test_only_accredited_sessions_can_be_added_to_the_cart(
    eshg: Programme, statement_of: Judge
) -> None:
    """'Cart: the sessions a delegate claims. Only accredited sessions can be added.'"""
    industry = eshg.session("CS01")
    assert industry is not None
    assert code_of(lambda: judge_cart_addition(industry)) == "session_not_accredited"
    statement, audited = statement_of(eshg, cart=["CS01", "S01"])
    assert refusals(audited) == {("cart", "CS01", "session_not_accredited")}
    assert [item.session_id for item in statement.cart] == ["S01"]


def test_evaluating_a_session_adds_it_to_the_cart_and_is_refused_for_industry_sessions(
    eshg: Programme, statement_of: Judge
) -> None:
    """'Evaluating a session adds it to the cart, so evaluating a non-accredited session is
    refused the same way.'"""
    statement, audited = statement_of(
        eshg,
        scans=[SCAN_24],
        evaluations=[("S01", "2025-05-24T12:05:00+02:00"), ("CS01", "2025-05-24T12:05:00+02:00")],
    )
    assert refusals(audited) == {("evaluation", "CS01", "session_not_accredited")}
    assert statuses(statement) == {"S01": CartStatus.CREDITED}


def test_an_evaluated_session_cannot_be_removed_from_the_cart() -> None:
    """'An evaluated session cannot be removed.'"""
    assert code_of(lambda: judge_cart_removal("S01", evaluated=True)) == "already_evaluated"
    judge_cart_removal("S01", evaluated=False)


# ------------------------------------------------------------------------------ evidence


def test_a_daily_scan_is_evidence_for_the_sessions_of_its_local_date(
    eshg: Programme, statement_of: Judge
) -> None:
    """'Daily badge scan: a scan at a CME station whose local date, in the event timezone,
    is S's day.' (The 00:30 case is in test_rules_timezones.)"""
    statement, _ = statement_of(
        eshg,
        scans=[SCAN_24],
        evaluations=[("S01", "2025-05-24T12:05:00+02:00"), ("S05", "2025-05-25T10:05:00+02:00")],
    )
    assert statuses(statement) == {"S01": CartStatus.CREDITED, "S05": CartStatus.NO_EVIDENCE}


def test_a_live_view_is_evidence_when_watching_began_inside_the_session(
    make_programme: Callable[..., Programme], statement_of: Judge
) -> None:
    """'Live view: a view of S of kind live whose watched_at lies in [S.start, S.end).'"""
    programme = make_programme()
    session = programme.session("AM1")
    assert session is not None
    now = datetime(2026, 1, 1, tzinfo=UTC)

    def live(at: datetime) -> None:
        judge_view(programme, session, ViewKind.LIVE, at, now=now)

    live(session.start)
    live(session.end - timedelta(microseconds=1))
    assert code_of(lambda: live(session.start - timedelta(microseconds=1))) == (
        "view_before_session"
    )
    assert code_of(lambda: live(session.end)) == "view_after_session"
    statement, audited = statement_of(
        programme,
        views=[("AM1", "live", "2025-05-24T08:30:00+02:00")],
        evaluations=[("AM1", AM_DONE)],
    )
    assert audited.refusals == ()
    assert statuses(statement) == {"AM1": CartStatus.CREDITED}


def test_an_on_demand_view_is_of_a_recording_in_the_window_and_not_before_its_end(
    eshg: Programme,
) -> None:
    """'On-demand view: a view of S of kind on_demand, S recorded, watched inside the
    on-demand window and not before S's end.'"""
    now = datetime(2026, 1, 1, tzinfo=UTC)

    def on_demand(session_id: str, at: str) -> None:
        session = eshg.session(session_id)
        assert session is not None
        judge_view(eshg, session, ViewKind.ON_DEMAND, utc(at), now=now)

    on_demand("S01", "2025-05-27T00:00:00+02:00")
    on_demand("S01", "2025-11-30T23:59:59+01:00")
    # C05 is not recorded; S14 (27 May, 08:30-10:00) is recorded but still running.
    assert code_of(lambda: on_demand("C05", "2025-06-01T10:00:00+02:00")) == "not_recorded"
    assert code_of(lambda: on_demand("S14", "2025-05-27T09:00:00+02:00")) == ("view_before_session")
    on_demand("S14", "2025-05-27T10:00:00+02:00")
    assert code_of(lambda: on_demand("S01", "2025-05-26T23:59:59+02:00")) == (
        "outside_on_demand_window"
    )
    assert code_of(lambda: on_demand("S01", "2025-12-01T00:00:00+01:00")) == (
        "outside_on_demand_window"
    )


def test_evidence_of_any_kind_counts_for_any_delegate_whatever_their_attendance(
    make_programme: Callable[..., Programme], statement_of: Judge
) -> None:
    """'Evidence of any kind counts for any delegate: attendance (in person / online) is
    registration data, not a rule, so editing it never rewrites credits.'"""
    programme = make_programme()
    facts: dict[str, Any] = {
        "scans": [SCAN_24],
        "views": [("AM2", "on_demand", "2025-06-01T10:00:00+02:00")],
        "evaluations": [("AM2", AM_DONE), ("PM1", PM_DONE)],
    }
    in_person, _ = statement_of(programme, attendance="in_person", **facts)
    online, _ = statement_of(programme, attendance="online", **facts)
    assert in_person == online
    assert online.total == Decimal(3)


def test_evidence_and_evaluation_may_come_in_either_order(
    make_programme: Callable[..., Programme], statement_of: Judge
) -> None:
    """'Evidence and evaluation may come in either order (a 17:00 scan counts for a 16:00
    evaluation; an evaluation in May counts once an on-demand view arrives in June).'"""
    statement, audited = statement_of(
        make_programme(),
        scans=["2025-05-24T17:00:00+02:00"],
        views=[("AM1", "on_demand", "2025-06-15T09:00:00+02:00")],
        evaluations=[("PM1", "2025-05-24T16:00:00+02:00"), ("AM1", "2025-05-24T10:01:00+02:00")],
    )
    assert audited.refusals == ()
    assert statuses(statement) == {"AM1": CartStatus.CREDITED, "PM1": CartStatus.CREDITED}
    assert statement.total == Decimal(3)


# ---------------------------------------------------------------------------- evaluation


@pytest.mark.parametrize("deadline", ["2025-11-30T23:59:59", "2025-11-30T23:59"])
def test_an_evaluation_is_valid_from_the_live_end_and_the_deadline_last_second_counts_whole(
    make_programme: Callable[..., Programme], deadline: str
) -> None:
    """'Valid when submitted_at is at or after S's live end and at or before the claim
    deadline; the deadline's last second counts whole (23:59:59 local admits anything
    before 00:00:00 of the next local day).' Stated to the minute, the last minute counts
    whole the same way."""
    programme = make_programme(claim_deadline=deadline)
    session = programme.session("PM1")
    assert session is not None
    now = datetime(2026, 1, 1, tzinfo=UTC)

    def evaluate(at: datetime) -> None:
        judge_evaluation(programme, session, at, now=now)

    evaluate(session.end)
    evaluate(utc("2025-11-30T23:59:59.999999+01:00"))
    assert code_of(lambda: evaluate(utc("2025-12-01T00:00:00+01:00"))) == ("claim_deadline_passed")
    assert code_of(lambda: evaluate(session.end - timedelta(microseconds=1))) == (
        "evaluation_not_open"
    )


def test_an_evaluation_is_final_and_only_an_identical_retry_is_not_an_error(
    make_programme: Callable[..., Programme], audit_clock: datetime
) -> None:
    """'An evaluation is final: one per delegate and session. A retry with the same instant
    and the same answers is not an error; anything else is already_evaluated.'"""
    first = {"session_id": "AM1", "submitted_at": AM_DONE, "answers": {"q1": 5, "q2": "ok"}}
    retries = [
        dict(first),
        dict(first, submitted_at="2025-05-24T08:05:00Z"),  # the same instant, written in UTC
        dict(first, answers={"q2": "ok", "q1": 5}),  # the same answers, another key order
        dict(first, submitted_at="2025-05-24T10:06:00+02:00"),
        dict(first, answers={"q1": 4, "q2": "ok"}),
    ]
    document = {
        "delegate": {"delegate_id": "D1", "name": "Ada", "attendance": "online"},
        "evaluations": [first, *retries],
    }
    audited = audit_facts(make_programme(), document, now=audit_clock)
    assert [r.code for r in audited.refusals] == ["already_evaluated", "already_evaluated"]
    assert audited.facts.evaluations["AM1"].submitted_at == utc(AM_DONE)


# ------------------------------------------------------------------------ the computation


def test_a_session_is_credited_when_in_the_cart_evaluated_accredited_and_with_evidence(
    make_programme: Callable[..., Programme],
) -> None:
    """'A session is credited when it is in the cart, evaluated, accredited, and has
    evidence.' The contract's order of statuses: not_accredited, not_evaluated,
    no_evidence, then credited or parallel. (A session in a cart can lose its
    accreditation when the programme is corrected, hence facts built directly.)"""
    programme = make_programme(
        slots=[
            {
                "id": f"s{i}",
                "date": "2025-05-24",
                "start": f"{8 + i:02d}:00",
                "end": f"{8 + i:02d}:30",
                "max": "1",
            }
            for i in range(5)
        ],
        sessions=[
            {"id": "INDUSTRY", "slot": "s0", "title": "t", "accredited": "false"},
            {"id": "UNCLAIMED", "slot": "s0", "title": "t", "accredited": "false"},
            {"id": "UNEVALUATED", "slot": "s1", "title": "t"},
            {"id": "UNSEEN", "slot": "s2", "title": "t"},
            {"id": "GOOD", "slot": "s3", "title": "t"},
            {"id": "TWIN", "slot": "s3", "title": "t"},
            {"id": "ALONE", "slot": "s4", "title": "t"},
        ],
        days=[{"date": "2025-05-24", "cap": "10"}],
    )
    late = datetime(2025, 5, 24, 20, tzinfo=UTC)
    evaluated = ("INDUSTRY", "UNSEEN", "GOOD", "TWIN", "ALONE")
    facts = DelegateFacts(
        delegate_id="D1",
        views=tuple(
            View(f"v-{sid}", sid, ViewKind.LIVE, late)
            for sid in ("INDUSTRY", "UNEVALUATED", "GOOD", "TWIN")
        ),
        cart=frozenset(("INDUSTRY", "UNCLAIMED", "UNEVALUATED", "UNSEEN", "GOOD", "TWIN")),
        evaluations={sid: Evaluation(sid, late, {}) for sid in evaluated},
    )
    statement = compute_statement(programme, facts)
    assert statuses(statement) == {
        "INDUSTRY": CartStatus.NOT_ACCREDITED,
        "UNCLAIMED": CartStatus.NOT_ACCREDITED,  # neither accredited nor evaluated
        "UNEVALUATED": CartStatus.NOT_EVALUATED,
        "UNSEEN": CartStatus.NO_EVIDENCE,
        "GOOD": CartStatus.CREDITED,
        "TWIN": CartStatus.PARALLEL,
        "ALONE": CartStatus.NO_EVIDENCE,
    }
    assert statement.total == Decimal(1)


def test_slot_credit_is_the_best_sum_of_sessions_that_do_not_overlap_capped_at_the_maximum(
    make_programme: Callable[..., Programme], statement_of: Judge
) -> None:
    """'Slot credit = the largest sum of credits over a set of credited sessions of that
    slot that do not overlap in time, capped at the slot maximum.'"""
    programme = make_programme(
        slots=[{"id": "am", "date": "2025-05-24", "start": "08:30", "end": "10:00", "max": "2"}],
        sessions=[
            {"id": "LONG", "slot": "am", "title": "Whole slot", "credits": "1.5"},
            {"id": "FIRST", "slot": "am", "title": "First half", "end": "09:15", "credits": "1"},
            {"id": "SECOND", "slot": "am", "title": "Second", "start": "09:15", "credits": "1.25"},
        ],
    )
    statement, _ = statement_of(
        programme, scans=[SCAN_24], evaluations=[(s, AM_DONE) for s in ("LONG", "FIRST", "SECOND")]
    )
    [am] = statement.days[0].slots
    assert (am.credits, am.sessions) == (Decimal(2), ("FIRST", "SECOND"))
    assert statuses(statement)["LONG"] is CartStatus.PARALLEL


@pytest.mark.parametrize(
    ("sessions", "expected"),
    [
        pytest.param(
            [
                {"id": "HALF1", "slot": "am", "title": "t", "end": "09:15", "credits": "0.75"},
                {"id": "HALF2", "slot": "am", "title": "t", "start": "09:15", "credits": "0.75"},
                {"id": "WHOLE", "slot": "am", "title": "t", "credits": "1.5"},
            ],
            ("WHOLE",),
            id="fewest-sessions-win",
        ),
        pytest.param(
            [
                {"id": "B", "slot": "am", "title": "t", "start": "08:30"},
                {"id": "A", "slot": "am", "title": "t", "start": "08:45"},
                {"id": "C", "slot": "am", "title": "t", "start": "08:30"},
            ],
            ("B",),
            id="earliest-start-then-id",
        ),
        pytest.param(
            [
                {"id": "X1", "slot": "am", "title": "t", "end": "09:00", "credits": "0.5"},
                {"id": "X2", "slot": "am", "title": "t", "start": "09:00", "credits": "1"},
                {"id": "Y1", "slot": "am", "title": "t", "end": "09:10", "credits": "1"},
                {"id": "Y2", "slot": "am", "title": "t", "start": "09:10", "credits": "0.5"},
            ],
            ("X1", "X2"),
            id="sets-of-two-compare-by-their-first-session",
        ),
    ],
)
def test_a_tie_goes_to_the_fewest_sessions_then_to_those_first_in_the_programme(
    make_programme: Callable[..., Programme],
    statement_of: Judge,
    sessions: list[dict[str, str]],
    expected: tuple[str, ...],
) -> None:
    """'When several sets give the same capped credit, the one with the fewest sessions
    wins, then the one whose sessions come first in the programme; its sessions are
    credited, the other credited-on-their-own sessions of the slot are parallel.'"""
    programme = make_programme(sessions=sessions)
    statement, _ = statement_of(
        programme, scans=[SCAN_24], evaluations=[(s["id"], AM_DONE) for s in sessions]
    )
    am = statement.days[0].slots[0]
    assert (am.credits, am.sessions) == (Decimal("1.5"), expected)
    assert {
        sid for sid, status in statuses(statement).items() if status is CartStatus.CREDITED
    } == (set(expected))
    assert {sid for sid, st in statuses(statement).items() if st is CartStatus.PARALLEL} == (
        {s["id"] for s in sessions} - set(expected)
    )


def test_day_credit_is_the_day_cap_or_the_sum_of_its_slots_whichever_is_less(
    make_programme: Callable[..., Programme], statement_of: Judge
) -> None:
    """'Day credit = min(day cap, sum of its slot credits).'"""
    evaluations = [("AM1", AM_DONE), ("PM1", PM_DONE)]
    capped, _ = statement_of(
        make_programme(days=[{"date": "2025-05-24", "cap": "2.25"}]),
        scans=[SCAN_24],
        evaluations=evaluations,
    )
    assert (capped.days[0].credits, capped.total) == (Decimal("2.25"), Decimal("2.25"))
    assert sum(s.credits for s in capped.days[0].slots) == Decimal(3)
    roomy, _ = statement_of(
        make_programme(days=[{"date": "2025-05-24", "cap": "4"}]),
        scans=[SCAN_24],
        evaluations=evaluations,
    )
    assert roomy.days[0].credits == Decimal(3)


def test_the_total_is_the_event_total_or_the_sum_of_the_days_whichever_is_less(
    eshg_document: Any, statement_of: Judge
) -> None:
    """'Total = min(event total, sum of day credits).' When the event total caps the sum of
    the days, the statement says so (RULES.md, Certificate)."""
    everything = [
        (s["id"], "2025-11-01T12:00:00+01:00")
        for s in eshg_document["sessions"]
        if s.get("accredited") != "false"
    ]
    scans = [f"2025-05-{day}T08:00:00+02:00" for day in (24, 25, 26, 27)]
    eshg_document["event"]["accreditation"]["total"] = "20"
    capped, _ = statement_of(
        build_programme(eshg_document).programme, scans=scans, evaluations=everything
    )
    assert sum(d.credits for d in capped.days) == Decimal("25.5")
    assert (capped.total, capped.cap, capped.capped_by_event_total) == (
        Decimal(20),
        Decimal(20),
        True,
    )
    eshg_document["event"]["accreditation"]["total"] = "25.5"
    full, _ = statement_of(
        build_programme(eshg_document).programme, scans=scans, evaluations=everything
    )
    assert (full.total, full.capped_by_event_total) == (Decimal("25.5"), False)


def test_a_conversion_is_the_total_times_its_ratio(
    make_programme: Callable[..., Programme], statement_of: Judge
) -> None:
    """'Conversions (AMA PRA Category 1 at ratio 1, ...) = total x ratio.' A conversion
    that does not terminate rounds half-even to two decimals (CONTRACT.md)."""
    programme = make_programme(
        conversions=[
            {"name": "one to one", "ratio": "1"},
            {"name": "half", "ratio": "0.5"},
            {"name": "two thirds", "ratio": "2/3"},
            {"name": "a seventh", "ratio": "1/7"},
        ]
    )
    statement, _ = statement_of(
        programme, scans=[SCAN_24], evaluations=[("AM1", AM_DONE), ("PM1", PM_DONE)]
    )
    assert statement.total == 3
    assert [(c.name, c.credits) for c in statement.conversions] == [
        ("one to one", Decimal(3)),
        ("half", Decimal("1.5")),
        ("two thirds", Decimal(2)),
        ("a seventh", Decimal("0.43")),
    ]


def test_arithmetic_is_exact_decimal_so_7_5_plus_7_5_plus_6_plus_4_5_is_25_5(
    eshg: Programme, statement_of: Judge
) -> None:
    """'Arithmetic is exact decimal, never binary floating point: 7.5 + 7.5 + 6 + 4.5 is
    25.5.'"""
    everything = [(s.id, "2025-11-01T12:00:00+01:00") for s in eshg.sessions if s.accredited]
    scans = [f"2025-05-{day}T08:00:00+02:00" for day in (24, 25, 26, 27)]
    statement, _ = statement_of(eshg, scans=scans, evaluations=everything)
    assert [d.credits for d in statement.days] == [Decimal(x) for x in ("7.5", "7.5", "6", "4.5")]
    assert isinstance(statement.total, Decimal)
    assert statement.total == Decimal("25.5")
    assert str(statement.as_dict()["total"]) == "25.5"


def test_the_result_depends_only_on_the_set_of_facts_never_on_their_arrival_order(
    make_programme: Callable[..., Programme],
) -> None:
    """'The result depends only on the set of recorded facts, never on the order in which
    they arrived: a scan synced late from an offline station counts as if it had come on
    time.' (The property over any order is in test_rules_properties.)"""
    programme = make_programme()
    scan = Scan("late-sync", utc(SCAN_24), utc(SCAN_24).astimezone(programme.event.zone).date())
    evaluation = {"PM1": Evaluation("PM1", utc(PM_DONE), {})}
    before = compute_statement(
        programme, DelegateFacts("D1", scans=(scan,), cart=frozenset(), evaluations=evaluation)
    )
    assert before.total == Decimal("1.5")
    other = Scan("other", utc("2025-05-24T18:00:00+02:00"), scan.day)
    after = compute_statement(
        programme, DelegateFacts("D1", scans=(other, scan), evaluations=evaluation)
    )
    assert after == compute_statement(
        programme, DelegateFacts("D1", scans=(scan, other), evaluations=evaluation)
    )
    assert after == before


# ----------------------------------------------------------------- when the programme changes


def test_a_corrected_programme_applies_to_everyone_at_once(
    make_document: Callable[..., dict[str, Any]], statement_of: Judge
) -> None:
    """'Statements are always computed from the stored facts and the current programme, so
    a corrected credit, cap, time or accredited flag applies to everyone at once.'"""
    document = make_document()
    original, audited = statement_of(
        build_programme(document).programme,
        scans=[SCAN_24],
        evaluations=[("AM1", AM_DONE), ("PM1", PM_DONE)],
    )
    stored = audited.facts
    assert original.total == Decimal(3)

    document["sessions"][0]["credits"] = "1.25"
    assert compute_statement(build_programme(document).programme, stored).total == (Decimal("2.75"))
    document["days"][0]["cap"] = "2.5"
    assert compute_statement(build_programme(document).programme, stored).total == (Decimal("2.5"))
    document["days"][0]["cap"] = "3"
    document["sessions"][2]["accredited"] = "false"
    statement = compute_statement(build_programme(document).programme, stored)
    assert statement.total == Decimal("1.25")
    assert statuses(statement)["PM1"] is CartStatus.NOT_ACCREDITED


def test_facts_that_were_accepted_stay_accepted(
    make_document: Callable[..., dict[str, Any]], statement_of: Judge
) -> None:
    """'Facts that were accepted stay accepted.' A live view accepted at 08:40 still counts
    after the session is moved to 09:00-10:00, and so does the evaluation."""
    document = make_document()
    _, audited = statement_of(
        build_programme(document).programme,
        views=[("AM1", "live", "2025-05-24T08:40:00+02:00")],
        evaluations=[("AM1", "2025-05-24T10:00:00+02:00")],
    )
    assert audited.refusals == ()
    document["sessions"][0]["start"] = "09:00"
    document["slots"][0]["end"] = "10:30"
    document["sessions"][0]["end"] = "10:30"
    moved = build_programme(document).programme
    statement = compute_statement(moved, audited.facts)
    assert statuses(statement) == {"AM1": CartStatus.CREDITED}
    assert statement.total == Decimal("1.5")


# ------------------------------------------------------------------------------ certificate


def test_a_certificate_needs_a_cart_every_evaluation_and_a_total_above_zero(
    make_programme: Callable[..., Programme], statement_of: Judge
) -> None:
    """'A delegate may obtain a certificate when the cart is not empty, every session in it
    is evaluated, and the total is above zero.'"""
    programme = make_programme()
    empty, _ = statement_of(programme, scans=[SCAN_24])
    missing, _ = statement_of(
        programme, scans=[SCAN_24], cart=["PM1"], evaluations=[("AM1", AM_DONE)]
    )
    nothing_earned, _ = statement_of(programme, evaluations=[("AM1", AM_DONE)])
    ready, _ = statement_of(programme, scans=[SCAN_24], evaluations=[("AM1", AM_DONE)])
    assert [s.certificate_ready for s in (empty, missing, nothing_earned, ready)] == [
        False,
        False,
        False,
        True,
    ]
    assert (missing.total, nothing_earned.total, nothing_earned.missing_evaluations) == (
        Decimal("1.5"),
        Decimal(0),
        (),
    )


# ------------------------------------------------------------------ a slip in the published rules


def test_the_claim_deadline_is_a_local_time_in_the_event_timezone(eshg: Programme) -> None:
    """'The programme therefore states the deadline as a local time in the event timezone
    (2025-11-30T23:59:59, i.e. 22:59:59 UTC)'."""
    assert eshg.event.claim_deadline == datetime(2025, 11, 30, 22, 59, 59, tzinfo=UTC)
    assert eshg.event.claim_closes_at == datetime(2025, 11, 30, 23, 0, 0, tzinfo=UTC)


def test_a_stated_offset_that_disagrees_with_the_timezone_is_a_warning(
    make_document: Callable[..., dict[str, Any]],
) -> None:
    """'... and programme validation warns when a stated offset disagrees with the event
    timezone on that date.' The published '23:59 CEST' (+02:00) is read as Milan's 23:59."""
    document = make_document(claim_deadline="2025-11-30T23:59:59+02:00")
    loaded = build_programme(document)
    assert [(w.path, w.code) for w in loaded.warnings] == [
        ("event.claim_deadline", "offset_mismatch")
    ]
    assert loaded.programme.event.claim_deadline == datetime(2025, 11, 30, 22, 59, 59, tzinfo=UTC)
    agreeing = build_programme(make_document(claim_deadline="2025-11-30T23:59:59+01:00"))
    assert agreeing.warnings == ()
