"""Properties of the computation (RULES.md, "The computation") over random programmes and
random facts.

The programmes are small but shaped like real ones: one to three days with their caps,
non-overlapping slots with a maximum each, sessions in parallel or one after another
with credits in tenths, some not accredited, some recorded; an event total that may cap
the days. The facts are ones the API accepts: scans on conference days, live views
inside a session, on-demand views of recordings, evaluations after the session's end.
"""

from __future__ import annotations

import itertools
import random
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cme.amounts import for_json
from cme.facts import DelegateFacts, Evaluation, Scan, View, ViewKind
from cme.jsonio import dumps
from cme.programme import (
    Programme,
    Session,
    build_programme,
    parse_json_document,
    programme_document,
)
from cme.rules.credits import CartStatus, CreditStatement, compute_statement
from cme_tools.audit import audit_facts

PROPERTY = settings(max_examples=120, deadline=timedelta(seconds=2))
ZONES = ("Europe/Rome", "America/New_York", "Asia/Kolkata")
FIRST_DAY = date(2025, 5, 24)
DEADLINES = ("2025-11-30T23:59:59", "2025-11-30T23:59", "2025-11-30T23:59:59+02:00")


def tenths(low: int, high: int) -> st.SearchStrategy[Decimal]:
    return st.integers(min_value=low, max_value=high).map(lambda n: Decimal(n) / 10)


@st.composite
def programme_documents(draw: st.DrawFn) -> dict[str, Any]:
    days, slots, sessions = [], [], []
    for d in range(draw(st.integers(min_value=1, max_value=3))):
        on = (FIRST_DAY + timedelta(days=d)).isoformat()
        days.append({"date": on, "cap": str(draw(tenths(1, 60)))})
        for s in range(draw(st.integers(min_value=1, max_value=3))):
            slot_id = f"d{d}s{s}"
            slot_start = 8 * 60 + s * 120  # every slot is 90 minutes, 30 minutes apart
            maximum = draw(tenths(1, 30))
            slots.append(
                {
                    "id": slot_id,
                    "date": on,
                    "start": _clock(slot_start),
                    "end": _clock(slot_start + 90),
                    "max": str(maximum),
                }
            )
            for n in range(draw(st.integers(min_value=1, max_value=4))):
                begin = draw(st.integers(min_value=0, max_value=5)) * 15
                length = draw(st.integers(min_value=1, max_value=(90 - begin) // 15)) * 15
                sessions.append(
                    {
                        "id": f"{slot_id}x{n}",
                        "slot": slot_id,
                        "title": f"Session {n} of {slot_id}",
                        "start": _clock(slot_start + begin),
                        "end": _clock(slot_start + begin + length),
                        "credits": str(draw(tenths(1, int(maximum * 10)))),
                        "accredited": draw(st.sampled_from(["true", "true", "true", "false"])),
                        "recorded": draw(st.sampled_from(["true", "false"])),
                    }
                )
    return {
        "event": {
            "id": "random",
            "name": "A random congress",
            "city": "Somewhere",
            "timezone": draw(st.sampled_from(ZONES)),
            "accreditation": {
                "body": "UEMS-EACCME",
                "unit": "ECMEC",
                "total": str(draw(tenths(1, 150))),
                "statement": "Accredited.",
            },
            "conversions": [{"name": "AMA PRA Category 1 Credits", "ratio": "1"}],
            "claim_deadline": draw(st.sampled_from(DEADLINES)),
            "on_demand": {"start": "2025-06-01T00:00:00", "end": draw(st.sampled_from(DEADLINES))},
        },
        "days": days,
        "slots": slots,
        "sessions": sessions,
    }


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _scan(programme: Programme, scan_id: str, on: date) -> Scan:
    instant = datetime.combine(on, time(7, 45), tzinfo=programme.event.zone).astimezone(UTC)
    return Scan(scan_id, instant, on)


def _view(programme: Programme, session: Session, on_demand: bool) -> View:
    if on_demand and session.recorded:
        assert programme.event.on_demand is not None
        return View(
            f"v-{session.id}", session.id, ViewKind.ON_DEMAND, programme.event.on_demand.start
        )
    return View(f"v-{session.id}", session.id, ViewKind.LIVE, session.start)


def _evaluation(session: Session) -> Evaluation:
    return Evaluation(session.id, session.end + timedelta(minutes=3), {"rating": 4})


@st.composite
def delegates(draw: st.DrawFn) -> tuple[Programme, DelegateFacts]:
    """A random programme and one delegate's accepted facts about it."""
    programme = build_programme(draw(programme_documents())).programme
    accredited = [s for s in programme.sessions if s.accredited]
    scanned = draw(st.lists(st.sampled_from(programme.days), unique=True))
    viewed = draw(st.lists(st.sampled_from(programme.sessions), unique=True))
    evaluated = draw(st.lists(st.sampled_from(accredited), unique=True)) if accredited else []
    carted = draw(st.lists(st.sampled_from(accredited), unique=True)) if accredited else []
    facts = DelegateFacts(
        delegate_id="D1",
        scans=tuple(_scan(programme, f"s-{d.date}", d.date) for d in scanned),
        views=tuple(_view(programme, s, draw(st.booleans())) for s in viewed),
        cart=frozenset(s.id for s in carted),
        evaluations={s.id: _evaluation(s) for s in evaluated},
    )
    return programme, facts


def _shuffled(facts: DelegateFacts, rng: random.Random) -> DelegateFacts:
    scans, views = list(facts.scans), list(facts.views)
    evaluations = list(facts.evaluations.items())
    cart = list(facts.cart)
    for items in (scans, views, evaluations, cart):
        rng.shuffle(items)
    return DelegateFacts(
        delegate_id=facts.delegate_id,
        scans=tuple(scans),
        views=tuple(views),
        cart=frozenset(cart),
        evaluations=dict(evaluations),
    )


def _amounts(statement: CreditStatement) -> list[Decimal]:
    found = [statement.total, statement.cap]
    for day in statement.days:
        found += [day.credits, day.cap]
        for slot in day.slots:
            found += [slot.credits, slot.max]
    found += [c.credits for c in statement.conversions]
    return found


# ------------------------------------------------------------------------------- properties


@PROPERTY
@given(delegates(), st.randoms(use_true_random=False))
def test_the_statement_is_the_same_for_any_order_of_the_same_facts(
    delegate: tuple[Programme, DelegateFacts], rng: random.Random
) -> None:
    """RULES.md: 'The result depends only on the set of recorded facts, never on the order
    in which they arrived.'"""
    programme, facts = delegate
    statement = compute_statement(programme, facts)
    again = compute_statement(programme, _shuffled(facts, rng))
    assert again == statement
    assert dumps(again.as_dict()) == dumps(statement.as_dict())


@PROPERTY
@given(delegates(), st.data())
def test_adding_a_credited_session_never_lowers_a_total(
    delegate: tuple[Programme, DelegateFacts], data: st.DataObject
) -> None:
    """A session made credited (cart, evaluation, evidence) never lowers the total, a day
    or a slot."""
    programme, facts = delegate
    accredited = [s for s in programme.sessions if s.accredited]
    if not accredited:
        return
    session = data.draw(st.sampled_from(accredited))
    more = DelegateFacts(
        delegate_id=facts.delegate_id,
        scans=facts.scans,
        views=(*facts.views, View("new-view", session.id, ViewKind.LIVE, session.start)),
        cart=facts.cart | {session.id},
        evaluations={**facts.evaluations, session.id: _evaluation(session)},
    )
    before, after = compute_statement(programme, facts), compute_statement(programme, more)
    assert {i.session_id: i.status for i in after.cart}[session.id] in (
        CartStatus.CREDITED,
        CartStatus.PARALLEL,
    )
    assert after.total >= before.total
    for day_before, day_after in zip(before.days, after.days, strict=True):
        assert day_after.credits >= day_before.credits
        for slot_before, slot_after in zip(day_before.slots, day_after.slots, strict=True):
            assert slot_after.credits >= slot_before.credits


@PROPERTY
@given(delegates())
def test_no_slot_day_or_event_exceeds_its_cap(delegate: tuple[Programme, DelegateFacts]) -> None:
    """Slot credit <= its maximum, day credit = min(day cap, sum of its slots), total =
    min(event total, sum of days)."""
    programme, facts = delegate
    statement = compute_statement(programme, facts)
    assert statement.cap == programme.event.accreditation.total
    for day in statement.days:
        for slot in day.slots:
            assert 0 <= slot.credits <= slot.max
        assert day.credits == min(day.cap, sum((s.credits for s in day.slots), Decimal(0)))
        assert day.credits <= day.cap
    days_sum = sum((d.credits for d in statement.days), Decimal(0))
    assert statement.total == min(statement.cap, days_sum) <= statement.cap
    assert statement.capped_by_event_total == (days_sum > statement.cap)
    assert [d.date for d in statement.days] == [d.date for d in programme.days]


@PROPERTY
@given(delegates())
def test_parallel_sessions_never_add(delegate: tuple[Programme, DelegateFacts]) -> None:
    """The sessions that give a slot its credit never overlap in time; a slot whose credited
    sessions all run in parallel is worth the best one of them alone; every credited
    session that did not give the credit is `parallel`."""
    programme, facts = delegate
    statement = compute_statement(programme, facts)
    status = {i.session_id: i.status for i in statement.cart}
    for day in statement.days:
        for slot in day.slots:
            chosen = [programme.session(sid) for sid in slot.sessions]
            assert all(s is not None for s in chosen)
            for a, b in itertools.combinations(chosen, 2):
                assert a is not None and b is not None
                assert a.end <= b.start or b.end <= a.start
            assert slot.credits == min(
                slot.max, sum((s.credits for s in chosen if s is not None), Decimal(0))
            )
            credited = [
                s
                for s in programme.sessions_of_slot(slot.slot_id)
                if status.get(s.id) in (CartStatus.CREDITED, CartStatus.PARALLEL)
            ]
            assert {s.id for s in credited if status[s.id] is CartStatus.CREDITED} == set(
                slot.sessions
            )
            if all(
                a.start < b.end and b.start < a.end for a, b in itertools.combinations(credited, 2)
            ):
                assert len(slot.sessions) == min(len(credited), 1)
                best = max((s.credits for s in credited), default=Decimal(0))
                assert slot.credits == min(slot.max, best)


@PROPERTY
@given(delegates())
def test_amounts_are_exact_decimals(delegate: tuple[Programme, DelegateFacts]) -> None:
    """'Arithmetic is exact decimal, never binary floating point': every amount is a
    Decimal and equals the exact rational sum of the credits it is made of."""
    programme, facts = delegate
    statement = compute_statement(programme, facts)
    assert all(type(amount) is Decimal for amount in _amounts(statement))
    exact_days = []
    for day in statement.days:
        exact_slots = []
        for slot in day.slots:
            picked = [programme.session(sid) for sid in slot.sessions]
            exact = sum((Fraction(s.credits) for s in picked if s is not None), Fraction(0))
            exact_slots.append(min(Fraction(slot.max), exact))
            assert Fraction(slot.credits) == exact_slots[-1]
        exact_days.append(min(Fraction(day.cap), sum(exact_slots, Fraction(0))))
        assert Fraction(day.credits) == exact_days[-1]
    total = min(Fraction(statement.cap), sum(exact_days, Fraction(0)))
    assert Fraction(statement.total) == total
    assert [Fraction(c.credits) for c in statement.conversions] == [total]


@pytest.fixture(scope="module")
def tenth_sessions() -> Programme:
    """Ten sessions of 0.1 credit one after another in a slot worth 1: binary floating point
    would make 0.1 + 0.2 into 0.30000000000000004."""
    sessions = [
        {
            "id": f"T{n}",
            "slot": "tenths",
            "title": f"Ten minutes {n}",
            "start": _clock(8 * 60 + 10 * n),
            "end": _clock(8 * 60 + 10 * (n + 1)),
            "credits": "0.1",
        }
        for n in range(10)
    ]
    document = {
        "event": {
            "id": "tenths",
            "name": "Tenths",
            "city": "Milan",
            "timezone": "Europe/Rome",
            "accreditation": {"body": "B", "unit": "ECMEC", "total": "1", "statement": "s"},
            "conversions": [{"name": "AMA PRA Category 1 Credits", "ratio": "1"}],
            "claim_deadline": "2025-11-30T23:59:59",
        },
        "days": [{"date": "2025-05-24", "cap": "1"}],
        "slots": [
            {"id": "tenths", "date": "2025-05-24", "start": "08:00", "end": "09:40", "max": "1"}
        ],
        "sessions": sessions,
    }
    return build_programme(document).programme


@PROPERTY
@given(st.sets(st.integers(min_value=0, max_value=9)))
def test_sums_of_tenths_stay_exact(tenth_sessions: Programme, chosen: set[int]) -> None:
    facts = DelegateFacts(
        delegate_id="D1",
        scans=(_scan(tenth_sessions, "s", date(2025, 5, 24)),),
        evaluations={
            f"T{n}": _evaluation(s)
            for n in chosen
            if (s := tenth_sessions.session(f"T{n}")) is not None
        },
    )
    statement = compute_statement(tenth_sessions, facts)
    expected = Decimal(len(chosen)) / 10
    assert statement.total == expected
    assert statement.days[0].slots[0].credits == expected
    assert str(statement.as_dict()["total"]) == str(for_json(expected))
    assert dumps(statement.as_dict()).count(f'"total":{for_json(expected)},') == 1
    if len(chosen) == 3:
        assert str(statement.total) == "0.3"


@settings(max_examples=60, deadline=timedelta(seconds=2))
@given(delegates(), st.randoms(use_true_random=False))
def test_an_audit_of_the_same_facts_in_any_order_gives_the_same_statement(
    delegate: tuple[Programme, DelegateFacts], rng: random.Random
) -> None:
    """The same property through `audit_facts`, where facts are judged one by one in the
    order the file lists them."""
    programme, facts = delegate
    document: dict[str, Any] = {
        "delegate": {"delegate_id": "D1", "name": "Ada", "attendance": "online"},
        "scans": [
            {"scan_id": s.scan_id, "scanned_at": s.scanned_at.isoformat()} for s in facts.scans
        ],
        "views": [
            {
                "view_id": v.view_id,
                "session_id": v.session_id,
                "kind": v.kind.value,
                "watched_at": v.watched_at.isoformat(),
            }
            for v in facts.views
        ],
        "cart": sorted(facts.cart),
        "evaluations": [
            {"session_id": e.session_id, "submitted_at": e.submitted_at.isoformat()}
            for e in facts.evaluations.values()
        ],
    }
    now = datetime(2026, 1, 1, tzinfo=UTC)
    audited = audit_facts(programme, document, now=now)
    assert audited.refusals == ()
    for key in ("scans", "views", "cart", "evaluations"):
        rng.shuffle(document[key])
    shuffled = audit_facts(programme, document, now=now)
    assert compute_statement(programme, shuffled.facts) == compute_statement(
        programme, audited.facts
    )
    assert compute_statement(programme, audited.facts).as_dict()["total"] == for_json(
        compute_statement(programme, facts).total
    )


@PROPERTY
@given(programme_documents())
def test_a_programme_reads_back_from_its_own_document(document: dict[str, Any]) -> None:
    """build_programme(programme_document(p)) == p, also through JSON text."""
    programme = build_programme(document).programme
    assert build_programme(programme_document(programme)).programme == programme
    as_json = parse_json_document(dumps(programme_document(programme)))
    assert build_programme(as_json).programme == programme


# ------------------------------------------------------- the variants at their defaults

DEFAULT_POLICY = {
    "evidence": "daily_scan",
    "scan_grace_minutes": "15",
    "presence": {"minimum": "0", "credit": "full", "step": "0.25"},
    "viewing": {"minimum": "0"},
    "claims": "earned",
    "claim_step": "0.25",
}


def eshg_reference(programme: Programme, facts: DelegateFacts) -> dict[str, Any]:
    """RULES.md's ESHG computation written out the slow way, as the engine computed it
    before the variants: a session is credited when carted or evaluated, accredited,
    evaluated and scanned on its day or viewed; a slot takes the best subset of credited
    sessions that do not overlap (sum capped, fewest sessions, then programme order)."""
    scan_days = {s.day for s in facts.scans}
    viewed = {v.session_id for v in facts.views}
    claimed = facts.cart | facts.evaluations.keys()
    credited = [
        s
        for s in programme.sessions
        if s.id in claimed
        and s.accredited
        and s.id in facts.evaluations
        and (s.date in scan_days or s.id in viewed)
    ]
    days, chosen = [], set()
    for day in programme.days:
        slot_sum = Decimal(0)
        for slot in programme.slots_of_day(day.date):
            mine = [s for s in credited if s.slot_id == slot.id]
            best: tuple[Any, ...] = (Decimal(0), 0, ())
            for size in range(1, len(mine) + 1):
                for subset in itertools.combinations(mine, size):
                    if any(
                        a.start < b.end and b.start < a.end
                        for a, b in itertools.combinations(subset, 2)
                    ):
                        continue
                    value = min(slot.max, sum((s.credits for s in subset), Decimal(0)))
                    key = (value, -size, [-s.order for s in subset])
                    if not best[2] or key > (best[0], -best[1], [-s.order for s in best[2]]):
                        best = (value, size, subset)
            slot_sum += best[0]
            chosen |= {s.id for s in best[2]}
        days.append(min(day.cap, slot_sum))
    total = min(programme.event.accreditation.total, sum(days, Decimal(0)))
    return {
        "total": total,
        "days": days,
        "credited": {s.id for s in credited},
        "chosen": chosen,
    }


@PROPERTY
@given(delegates())
def test_with_every_setting_at_its_default_the_engine_computes_the_eshg_rules(
    delegate: tuple[Programme, DelegateFacts],
) -> None:
    """'A programme that sets none of them is computed exactly as ESHG 2025', and one that
    spells every default out is the same programme."""
    programme, facts = delegate
    document = parse_json_document(dumps(programme_document(programme)))
    document["event"]["policy"] = DEFAULT_POLICY
    spelled = build_programme(document).programme
    expected = eshg_reference(programme, facts)
    for under in (programme, spelled):
        statement = compute_statement(under, facts)
        assert statement.total == expected["total"]
        assert [d.credits for d in statement.days] == expected["days"]
        status = {i.session_id: i.status for i in statement.cart}
        assert {s for s, st in status.items() if st is CartStatus.CREDITED} == expected["chosen"]
        assert {
            s for s, st in status.items() if st in (CartStatus.CREDITED, CartStatus.PARALLEL)
        } == expected["credited"]
        credits = {s.id: s.credits for s in under.sessions}
        assert all(
            i.amount == (credits[i.session_id] if i.session_id in expected["credited"] else 0)
            for i in statement.cart
        )
        on_demand = any(v.kind is ViewKind.ON_DEMAND for v in facts.views)
        assert statement.live <= statement.total
        if not on_demand:
            assert statement.live == statement.total
