"""Timezone edges: the local day of a scan, days with a clock change, the CET deadline.

RULES.md: 'A scan at 00:30 local on 25 May counts for 25 May even though it is still
24 May in UTC'; every time in a programme is local to the event zone and resolved on its
own date; the deadline 2025-11-30T23:59:59 in Milan is 22:59:59 UTC (CET, not CEST).
CONTRACT.md: an ambiguous local time in a DST fold is a warning; a time that does not
exist is a problem of the programme.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from cme.errors import CmeError, InvalidProgramme
from cme.facts import ViewKind
from cme.programme import Programme, build_programme
from cme.rules.credits import CartStatus, CreditStatement
from cme.rules.judge import (
    EvaluationWindow,
    evaluation_window,
    judge_evaluation,
    judge_scan,
    judge_view,
)
from cme.timestamps import parse_aware

Judge = Callable[..., tuple[CreditStatement, Any]]
NOW = datetime(2026, 6, 1, tzinfo=UTC)


def at(text: str) -> datetime:
    return parse_aware(text)


def code_of(call: Callable[[], object]) -> str:
    with pytest.raises(CmeError) as raised:
        call()
    return raised.value.code


def statuses(statement: CreditStatement) -> dict[str, CartStatus]:
    return {item.session_id: item.status for item in statement.cart}


# ------------------------------------------------------------------- the local day of a scan


@pytest.mark.parametrize(
    "scanned_at", ["2025-05-25T00:30:00+02:00", "2025-05-24T22:30:00Z", "2025-05-24T18:30:00-04:00"]
)
def test_a_scan_at_0030_local_counts_for_that_local_day(eshg: Programme, scanned_at: str) -> None:
    """RULES.md Evidence 1: 'A scan at 00:30 local on 25 May counts for 25 May even though
    it is still 24 May in UTC' (whatever offset the station wrote it with)."""
    instant = at(scanned_at)
    assert instant.astimezone(UTC).date() == date(2025, 5, 24)
    assert judge_scan(eshg, instant, now=NOW) == date(2025, 5, 25)


def test_a_scan_at_0030_local_is_evidence_for_that_day_and_not_the_previous_one(
    eshg: Programme, statement_of: Judge
) -> None:
    statement, audited = statement_of(
        eshg,
        scans=["2025-05-24T22:30:00Z"],
        evaluations=[("S01", "2025-05-24T12:05:00+02:00"), ("S05", "2025-05-25T10:05:00+02:00")],
    )
    assert audited.refusals == ()
    assert [s.day for s in audited.facts.scans] == [date(2025, 5, 25)]
    assert statuses(statement) == {"S01": CartStatus.NO_EVIDENCE, "S05": CartStatus.CREDITED}
    assert [d.credits for d in statement.days] == [0, Decimal("1.5"), 0, 0]


def test_the_last_minute_of_a_local_day_belongs_to_that_day(eshg: Programme) -> None:
    assert judge_scan(eshg, at("2025-05-24T21:59:59Z"), now=NOW) == date(2025, 5, 24)
    assert judge_scan(eshg, at("2025-05-24T22:00:00Z"), now=NOW) == date(2025, 5, 25)


def test_0030_local_after_the_last_day_is_not_a_conference_day(eshg: Programme) -> None:
    """Still 27 May (the last day) in UTC, but 28 May in Milan."""
    assert code_of(lambda: judge_scan(eshg, at("2025-05-27T22:30:00Z"), now=NOW)) == (
        "not_a_conference_day"
    )
    assert code_of(lambda: judge_scan(eshg, at("2025-05-23T21:59:00Z"), now=NOW)) == (
        "not_a_conference_day"
    )


# ---------------------------------------------------------------- a day with a clock change

SPRING = "2025-03-09"  # New York: 02:00 EST becomes 03:00 EDT
FALL = "2025-11-02"  # New York: 02:00 EDT becomes 01:00 EST


def new_york_document(make_document: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    return make_document(
        timezone="America/New_York",
        claim_deadline="2025-12-31T23:59:59",
        on_demand={"start": "2025-03-10T00:00:00", "end": "2025-12-31T23:59:59"},
        days=[{"date": SPRING, "cap": "3"}, {"date": FALL, "cap": "3"}],
        slots=[
            {"id": "spring", "date": SPRING, "start": "00:30", "end": "04:00", "max": "3"},
            {"id": "fall", "date": FALL, "start": "00:30", "end": "03:00", "max": "3"},
        ],
        sessions=[
            {"id": "N1", "slot": "spring", "title": "t", "end": "01:45", "credits": "1"},
            {
                "id": "N2",
                "slot": "spring",
                "title": "t",
                "start": "01:45",
                "end": "03:15",
                "credits": "1",
            },
            {"id": "N3", "slot": "spring", "title": "t", "start": "03:15", "credits": "1"},
            {"id": "F3", "slot": "fall", "title": "t", "start": "02:30", "credits": "1"},
            {"id": "F1", "slot": "fall", "title": "t", "end": "01:30", "credits": "1"},
            {
                "id": "F2",
                "slot": "fall",
                "title": "t",
                "start": "01:30",
                "end": "02:30",
                "credits": "1",
            },
        ],
    )


@pytest.fixture
def new_york(make_document: Callable[..., dict[str, Any]]) -> Programme:
    return build_programme(new_york_document(make_document)).programme


def test_durations_are_real_time_across_the_clock_change(new_york: Programme) -> None:
    def length(item_id: str) -> timedelta:
        found = new_york.session(item_id) or new_york.slot(item_id)
        assert found is not None
        return found.end - found.start

    assert length("spring") == timedelta(hours=2, minutes=30)  # 00:30 EST to 04:00 EDT
    assert length("N2") == timedelta(minutes=30)  # 01:45 EST to 03:15 EDT
    assert length("fall") == timedelta(hours=3, minutes=30)  # 00:30 EDT to 03:00 EST
    assert length("F2") == timedelta(hours=2)  # 01:30 EDT (the first) to 02:30 EST
    n2 = new_york.session("N2")
    assert n2 is not None
    assert (n2.start, n2.end) == (
        datetime(2025, 3, 9, 6, 45, tzinfo=UTC),
        datetime(2025, 3, 9, 7, 15, tzinfo=UTC),
    )


def test_sessions_are_ordered_by_instant_across_the_clock_change(new_york: Programme) -> None:
    assert [s.id for s in new_york.sessions] == ["N1", "N2", "N3", "F1", "F2", "F3"]
    assert [s.order for s in new_york.sessions] == list(range(6))
    starts = [s.start for s in new_york.sessions]
    assert starts == sorted(starts)


def test_an_ambiguous_local_time_is_a_warning_and_the_first_occurrence_is_used(
    make_document: Callable[..., dict[str, Any]],
) -> None:
    loaded = build_programme(new_york_document(make_document))
    assert {(w.path, w.code) for w in loaded.warnings} == {
        ("sessions[4].end", "ambiguous_local_time"),
        ("sessions[5].start", "ambiguous_local_time"),
    }
    f2 = loaded.programme.session("F2")
    assert f2 is not None
    assert f2.start == datetime(2025, 11, 2, 5, 30, tzinfo=UTC)  # 01:30 EDT


@pytest.mark.parametrize(
    ("timezone", "day", "field", "value"),
    [
        ("America/New_York", SPRING, "start", "02:30"),
        ("America/New_York", SPRING, "end", "02:00"),
        ("America/Sao_Paulo", "2018-11-04", "start", "00:30"),  # that midnight never happened
    ],
)
def test_a_local_time_that_does_not_exist_is_a_problem(
    make_document: Callable[..., dict[str, Any]], timezone: str, day: str, field: str, value: str
) -> None:
    slot = {"id": "s", "date": day, "start": "00:00", "end": "06:00", "max": "1"}
    if timezone == "America/Sao_Paulo":
        slot["start"] = "01:00"
    document = make_document(
        timezone=timezone,
        claim_deadline="2025-12-31T23:59:59",
        on_demand={"start": "2025-12-01T00:00:00", "end": "2025-12-31T23:59:59"},
        days=[{"date": day, "cap": "1"}],
        slots=[slot, {**slot, "id": "bad", field: value}],
        sessions=[{"id": "S", "slot": "s", "title": "t", field: value}],
    )
    with pytest.raises(InvalidProgramme) as raised:
        build_programme(document)
    assert {(p.path, p.code) for p in raised.value.problems} == {
        (f"slots[1].{field}", "nonexistent_local_time"),
        (f"sessions[0].{field}", "nonexistent_local_time"),
    }


def test_an_ambiguous_local_time_in_sao_paulo_is_a_warning(
    make_document: Callable[..., dict[str, Any]],
) -> None:
    """Brazil's last DST ended at 00:00 on 17 February 2019: 23:30 on the 16th happened twice."""
    document = make_document(
        timezone="America/Sao_Paulo",
        claim_deadline="2019-12-31T23:59:59",
        on_demand={"start": "2019-03-01T00:00:00", "end": "2019-12-31T23:59:59"},
        days=[{"date": "2019-02-16", "cap": "1"}],
        slots=[{"id": "s", "date": "2019-02-16", "start": "22:00", "end": "23:30", "max": "1"}],
        sessions=[{"id": "S", "slot": "s", "title": "t"}],
    )
    loaded = build_programme(document)
    assert [(w.path, w.code) for w in loaded.warnings] == [("slots[0].end", "ambiguous_local_time")]
    slot = loaded.programme.slot("s")
    assert slot is not None
    assert slot.end - slot.start == timedelta(hours=1, minutes=30)


def test_sequential_sessions_add_up_across_the_clock_change(
    new_york: Programme, statement_of: Judge
) -> None:
    """F1 ends at the first 01:30 and F2 starts then: half-open, they do not overlap."""
    statement, audited = statement_of(
        new_york,
        scans=["2025-11-02T01:30:00-05:00"],  # the second 01:30, still 2 November
        evaluations=[(s, "2025-11-02T03:00:00-05:00") for s in ("F1", "F2", "F3")],
    )
    assert audited.refusals == ()
    fall = statement.days[1]
    assert (fall.date, fall.credits, fall.slots[0].sessions) == (
        date(2025, 11, 2),
        Decimal(3),
        ("F1", "F2", "F3"),
    )


def test_a_live_view_in_the_repeated_hour_is_judged_by_its_instant(new_york: Programme) -> None:
    """01:15 EST (the second 01:15) is 06:15 UTC: after F1 (which ended at the first 01:30),
    inside F2 (01:30 EDT to 02:30 EST)."""
    f1, f2 = new_york.session("F1"), new_york.session("F2")
    assert f1 is not None and f2 is not None
    second_0115 = at("2025-11-02T01:15:00-05:00")
    assert code_of(lambda: judge_view(new_york, f1, ViewKind.LIVE, second_0115, now=NOW)) == (
        "view_after_session"
    )
    judge_view(new_york, f2, ViewKind.LIVE, second_0115, now=NOW)


def test_scans_on_a_clock_change_day_count_for_its_local_date(new_york: Programme) -> None:
    assert judge_scan(new_york, at("2025-11-02T04:00:00Z"), now=NOW) == date(2025, 11, 2)
    assert judge_scan(new_york, at("2025-11-03T04:59:59Z"), now=NOW) == date(2025, 11, 2)
    assert judge_scan(new_york, at("2025-03-09T05:00:00Z"), now=NOW) == date(2025, 3, 9)
    assert judge_scan(new_york, at("2025-03-10T03:59:59Z"), now=NOW) == date(2025, 3, 9)
    assert code_of(lambda: judge_scan(new_york, at("2025-11-02T03:59:59Z"), now=NOW)) == (
        "not_a_conference_day"
    )


# --------------------------------------------------------------------------- the CET deadline


@pytest.mark.parametrize(
    ("submitted_at", "accepted"),
    [
        ("2025-11-30T22:30:00Z", True),
        ("2025-11-30T22:59:59.999Z", True),
        ("2025-11-30T23:59:59.999999+01:00", True),
        ("2025-11-30T23:00:00Z", False),
        ("2025-12-01T00:00:00+01:00", False),
        ("2025-12-01T01:00:00+02:00", False),  # '23:59 CEST' read literally would admit this
    ],
)
def test_the_cet_claim_deadline(eshg: Programme, submitted_at: str, accepted: bool) -> None:
    """RULES.md, 'A slip in the published rules': the deadline is 23:59:59 CET on 30
    November 2025, 22:59:59 UTC, and its last second counts whole."""
    session = eshg.session("S01")
    assert session is not None
    instant = at(submitted_at)
    if accepted:
        judge_evaluation(eshg, session, instant, now=NOW)
        assert evaluation_window(eshg, session, evaluated=False, now=instant) is (
            EvaluationWindow.OPEN
        )
    else:
        assert code_of(lambda: judge_evaluation(eshg, session, instant, now=NOW)) == (
            "claim_deadline_passed"
        )
        assert evaluation_window(eshg, session, evaluated=False, now=instant) is (
            EvaluationWindow.CLOSED
        )


def test_the_on_demand_window_closes_with_the_claim_deadline(eshg: Programme) -> None:
    session = eshg.session("S01")
    assert session is not None
    judge_view(eshg, session, ViewKind.ON_DEMAND, at("2025-11-30T22:59:59.999Z"), now=NOW)
    assert (
        code_of(
            lambda: judge_view(
                eshg, session, ViewKind.ON_DEMAND, at("2025-11-30T23:00:00Z"), now=NOW
            )
        )
        == "outside_on_demand_window"
    )


def test_the_deadline_through_an_audit(eshg: Programme, statement_of: Judge) -> None:
    statement, audited = statement_of(
        eshg,
        views=[
            ("S01", "on_demand", "2025-11-30T22:00:00Z"),
            ("S02", "on_demand", "2025-11-30T22:30:00Z"),
        ],
        evaluations=[("S01", "2025-11-30T22:59:59.999Z"), ("S02", "2025-11-30T23:00:00Z")],
    )
    assert [(r.fact_id, r.code) for r in audited.refusals] == [("S02", "claim_deadline_passed")]
    assert statuses(statement) == {"S01": CartStatus.CREDITED}


# ------------------------------------------------------------- a deadline inside a DST fold

CAIRO_DEADLINE = "2025-10-30T23:59:59"
"""Cairo's clocks go back at midnight that night: 23:00-23:59:59 happens twice, first at
UTC+3 (20:00-20:59:59 UTC), then at UTC+2 (21:00-21:59:59 UTC)."""


@pytest.fixture
def cairo(make_document: Callable[..., dict[str, Any]]) -> Programme:
    document = make_document(
        timezone="Africa/Cairo",
        claim_deadline=CAIRO_DEADLINE,
        on_demand={"start": "2025-05-27T00:00:00", "end": CAIRO_DEADLINE},
    )
    loaded = build_programme(document)
    assert [(w.path, w.code) for w in loaded.warnings] == [
        ("event.claim_deadline", "ambiguous_local_time"),
        ("event.on_demand.end", "ambiguous_local_time"),
    ]
    return loaded.programme


@pytest.mark.parametrize(
    ("instant", "accepted"),
    [
        ("2025-10-30T23:30:00+03:00", True),  # the first 23:30
        ("2025-10-30T23:30:00+02:00", True),  # the repeated hour: still before 00:00
        ("2025-10-30T23:59:59.999+02:00", True),
        ("2025-10-31T00:00:00+02:00", False),  # the next local day
    ],
)
def test_a_deadline_inside_a_fold_admits_the_repeated_last_hour(
    cairo: Programme, instant: str, accepted: bool
) -> None:
    """RULES.md, "Evaluation": `23:59:59` admits anything before 00:00:00 of the next local
    day, even when a DST fold repeats the last hour; the on-demand window's end alike."""
    session = cairo.session("AM1")
    assert session is not None
    when = at(instant)

    def evaluate() -> None:
        judge_evaluation(cairo, session, when, now=NOW)

    def watch() -> None:
        judge_view(cairo, session, ViewKind.ON_DEMAND, when, now=NOW)

    if accepted:
        evaluate()
        watch()
    else:
        assert code_of(evaluate) == "claim_deadline_passed"
        assert code_of(watch) == "outside_on_demand_window"
    assert cairo.event.claim_closes_at == at("2025-10-31T00:00:00+02:00")


def test_a_deadline_inside_a_fold_reads_back_as_stated(cairo: Programme) -> None:
    from cme.programme import programme_document

    document = programme_document(cairo)
    assert document["event"]["claim_deadline"] == CAIRO_DEADLINE
    assert document["event"]["on_demand"]["end"] == CAIRO_DEADLINE
    assert build_programme(document).programme == cairo


def test_a_refusal_says_the_deadline_as_a_delegate_at_the_event_reads_it(
    eshg: Programme, cairo: Programme
) -> None:
    """The refusal names the local deadline with its offset (what the delegate was told),
    not the first refused instant in UTC."""
    for programme, late, local in [
        (eshg, "2025-12-01T09:00:00Z", "2025-11-30 23:59:59 Europe/Rome (UTC+01:00)"),
        (cairo, "2025-10-31T09:00:00Z", "2025-10-30 23:59:59 Africa/Cairo (UTC+02:00)"),
    ]:
        session = programme.sessions[0]
        with pytest.raises(CmeError) as raised:
            judge_evaluation(programme, session, at(late), now=NOW)
        assert local in raised.value.detail
        assert not re.search(r"\dZ", raised.value.detail)  # no instant in UTC
