"""The computation of RULES.md: credited sessions -> slot, day and event credits, exactly.

Pure: no I/O, no clock. The statement depends only on the set of facts, never on the
order they arrived in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from operator import attrgetter
from typing import Any, NamedTuple

from cme.amounts import convert, for_json
from cme.facts import DelegateFacts, Evaluation
from cme.programme import Programme, Session
from cme.rules.evidence import session_worth
from cme.rules.learning import Standing, standing

ZERO = Decimal(0)


class CartStatus(StrEnum):
    CREDITED = "credited"
    NOT_EVALUATED = "not_evaluated"
    NO_EVIDENCE = "no_evidence"
    NOT_ACCREDITED = "not_accredited"
    NOT_CLAIMED = "not_claimed"
    TEST_NOT_PASSED = "test_not_passed"
    PARALLEL = "parallel"


class SlotCredit(NamedTuple):
    slot_id: str
    max: Decimal
    credits: Decimal
    sessions: tuple[str, ...]
    """The sessions that gave the slot its credit."""


class DayCredit(NamedTuple):
    date: date
    cap: Decimal
    credits: Decimal
    slots: tuple[SlotCredit, ...]


class CartItem(NamedTuple):
    session_id: str
    status: CartStatus
    amount: Decimal = Decimal(0)
    """What the session is worth to the delegate before the slot, day and event caps; 0
    unless credited or parallel."""


class ConvertedCredit(NamedTuple):
    name: str
    credits: Decimal


@dataclass(frozen=True, slots=True)
class CreditStatement:
    event_id: str
    delegate_id: str
    unit: str
    total: Decimal
    live: Decimal
    """The part of `total` earned live: the same computation on scans and live views."""
    cap: Decimal
    days: tuple[DayCredit, ...]
    cart: tuple[CartItem, ...]
    conversions: tuple[ConvertedCredit, ...]
    certificate_ready: bool
    missing_evaluations: tuple[str, ...]
    capped_by_event_total: bool
    """True when the event total, not the days, limited the total."""
    eligible: bool = True
    """Whether the accreditation covers the delegate's profession (RULES.md,
    "Professions"): when not, the total is 0 and every cart item keeps its status."""
    test_passed: bool | None = None
    """The event's test: passed, not (yet) passed (the total is then 0), None without one."""
    tests: tuple[Standing, ...] = ()
    """Where the delegate stands with each of the programme's tests."""
    attended: tuple[date, ...] | None = None
    """The days attended, when the delegate is due a certificate of attendance instead of
    credits (`attendance_certificates`, not eligible, a fully evaluated non-empty cart and
    evidence for at least one session); None otherwise."""

    @property
    def certificate_kind(self) -> str | None:
        """`credits` or `attendance` when a certificate can be issued now; None otherwise."""
        if self.attended is not None:
            return "attendance"
        return "credits" if self.certificate_ready else None

    def as_dict(self) -> dict[str, Any]:
        """The contract's statement JSON (amounts stay `Decimal`; see `cme.jsonio`)."""
        return {
            "event_id": self.event_id,
            "delegate_id": self.delegate_id,
            "unit": self.unit,
            "total": for_json(self.total),
            "live": for_json(self.live),
            "cap": for_json(self.cap),
            "capped_by_event_total": self.capped_by_event_total,
            "days": [
                {
                    "date": day.date.isoformat(),
                    "credits": for_json(day.credits),
                    "cap": for_json(day.cap),
                    "slots": [
                        {
                            "slot_id": slot.slot_id,
                            "max": for_json(slot.max),
                            "credits": for_json(slot.credits),
                            "sessions": list(slot.sessions),
                        }
                        for slot in day.slots
                    ],
                }
                for day in self.days
            ],
            "cart": [
                {"session_id": i.session_id, "status": i.status.value, "amount": for_json(i.amount)}
                for i in self.cart
            ],
            "conversions": [
                {"name": c.name, "credits": for_json(c.credits)} for c in self.conversions
            ],
            "certificate_ready": self.certificate_ready,
            "missing_evaluations": list(self.missing_evaluations),
            "eligible": self.eligible,
            "test_passed": self.test_passed,
            "tests": [t.as_dict() for t in self.tests],
        }


def compute_statement(programme: Programme, facts: DelegateFacts) -> CreditStatement:
    """A delegate's credits (RULES.md, "The computation" and "The computation with
    amounts").

    A session is credited when it is in the cart, evaluated, accredited, claimed (under
    `self_claimed`) and has evidence; it is worth its amount: what its evidence gives
    (`cme.rules.evidence`), at most the claim. Slot credit: the best set of
    non-overlapping credited sessions by amount, capped at the slot's maximum. Day credit:
    min(day cap, sum of its slots). Total: min(event total, sum of days). Conversions:
    total x ratio. The `live` part is the same computation on live evidence alone.
    """
    evaluated = facts.evaluations
    # Evaluating a session adds it to the cart.
    in_cart = sorted(
        (s for sid in facts.cart | evaluated.keys() if (s := programme.session(sid)) is not None),
        key=_PROGRAMME_ORDER,
    )
    claimable = [s for s in in_cart if s.accredited and s.id in evaluated]
    claims = _claims(programme, claimable, evaluated)
    amounts, live_amounts = session_worth(programme, facts, claimable)
    with_evidence = amounts
    if claims is not None:
        amounts = _claimed(amounts, claims)
        live_amounts = _claimed(live_amounts, claims)
    event = programme.event
    tests = tuple(standing(t, facts.test_attempts) for t in programme.tests)
    untested: frozenset[str] = frozenset()
    if tests:
        # A session's test gates the session (RULES.md, "Learning tests").
        passed = {t.test_id for t in tests if t.passed}
        untested = frozenset(
            s.id for s in claimable if s.post_test is not None and s.post_test.id not in passed
        )
        if untested:
            amounts = {sid: a for sid, a in amounts.items() if sid not in untested}
            live_amounts = {sid: a for sid, a in live_amounts.items() if sid not in untested}
    days, chosen = _days(programme, claimable, amounts)
    # Usually everything was earned live: the live part is then the total, computed once.
    live_days = (
        days
        if live_amounts is amounts or live_amounts == amounts
        else _days(programme, claimable, live_amounts)[0]
    )

    missing = tuple(s.id for s in in_cart if s.id not in evaluated)
    cart = tuple(
        _cart_item(s, evaluated, claims, amounts, chosen, untested=untested) for s in in_cart
    )
    eligible = event.covers(facts.profession)
    event_test = event.post_test
    test_passed = None if event_test is None else tests[0].passed
    attended = None
    if not (eligible and test_passed is not False):
        # Not covered, or the event's test not passed: nothing is earned, though every
        # cart item keeps its status and amount (RULES.md, "Professions", "Learning tests").
        days = live_days = _nothing_earned(days)
        if not eligible and event.attendance_certificates and in_cart and not missing:
            attended = tuple(sorted({s.date for s in claimable if s.id in with_evidence})) or None
    days_sum = sum((d.credits for d in days), ZERO)
    event_cap = event.accreditation.total
    total = min(event_cap, days_sum)
    return CreditStatement(
        event_id=event.id,
        delegate_id=facts.delegate_id,
        unit=event.accreditation.unit,
        total=total,
        live=min(event_cap, sum((d.credits for d in live_days), ZERO)),
        cap=event_cap,
        days=tuple(days),
        cart=cart,
        conversions=tuple(
            ConvertedCredit(c.name, convert(total, c.ratio))
            for c in event.conversions
            if c.applies_to(facts.profession)
        ),
        certificate_ready=(bool(in_cart) and not missing and total > 0) or attended is not None,
        missing_evaluations=missing,
        capped_by_event_total=days_sum > event_cap,
        eligible=eligible,
        test_passed=test_passed,
        tests=tests,
        attended=attended,
    )


def _nothing_earned(days: Sequence[DayCredit]) -> list[DayCredit]:
    """Every day and slot at 0, with no session giving credit."""
    return [
        DayCredit(
            d.date, d.cap, ZERO, tuple(SlotCredit(s.slot_id, s.max, ZERO, ()) for s in d.slots)
        )
        for d in days
    ]


def _claims(
    programme: Programme, claimable: Sequence[Session], evaluated: Mapping[str, Evaluation]
) -> dict[str, Decimal] | None:
    """Under `self_claimed`, what the delegate claimed for each claimable session with its
    evaluation (0: not claimed); None under `earned`, where a session may be worth its
    credits, which no amount exceeds."""
    if not programme.event.policy.self_claimed:
        return None
    return {s.id: evaluated[s.id].claimed_credits or ZERO for s in claimable}


def _claimed(amounts: Mapping[str, Decimal], claims: Mapping[str, Decimal]) -> dict[str, Decimal]:
    """Each amount at most its claim; a session not claimed is worth nothing."""
    return {sid: min(amount, claims[sid]) for sid, amount in amounts.items() if claims[sid] > 0}


def _days(
    programme: Programme, claimable: Sequence[Session], amounts: Mapping[str, Decimal]
) -> tuple[list[DayCredit], set[str]]:
    """Slot and day credits from each credited session's amount; the sessions that gave
    them."""
    credited_by_slot: dict[str, list[Session]] = {}
    for session in claimable:
        if session.id in amounts:
            credited_by_slot.setdefault(session.slot_id, []).append(session)
    chosen: set[str] = set()
    days: list[DayCredit] = []
    for day in programme.days:
        slots: list[SlotCredit] = []
        for slot in programme.slots_of_day(day.date):
            credit, picked = best_sessions(credited_by_slot.get(slot.id, ()), slot.max, amounts)
            ids = tuple(s.id for s in picked)
            chosen.update(ids)
            slots.append(SlotCredit(slot.id, slot.max, credit, ids))
        day_sum = sum((s.credits for s in slots), ZERO)
        days.append(DayCredit(day.date, day.cap, min(day.cap, day_sum), tuple(slots)))
    return days, chosen


def _cart_item(
    session: Session,
    evaluated: Mapping[str, Evaluation],
    claims: Mapping[str, Decimal] | None,
    amounts: Mapping[str, Decimal],
    chosen: set[str],
    *,
    untested: frozenset[str] = frozenset(),
) -> CartItem:
    """The first status that applies: not_accredited, not_evaluated, not_claimed,
    test_not_passed, no_evidence, then credited, or parallel when another session of its
    slot gave the credit; with the amount of a credited or parallel session."""
    sid = session.id
    if not session.accredited:
        return CartItem(sid, CartStatus.NOT_ACCREDITED)
    if sid not in evaluated:
        return CartItem(sid, CartStatus.NOT_EVALUATED)
    if claims is not None and not claims[sid]:
        return CartItem(sid, CartStatus.NOT_CLAIMED)
    if sid in untested:
        return CartItem(sid, CartStatus.TEST_NOT_PASSED)
    amount = amounts.get(sid)
    if amount is None:
        return CartItem(sid, CartStatus.NO_EVIDENCE)
    return CartItem(sid, CartStatus.CREDITED if sid in chosen else CartStatus.PARALLEL, amount)


_PROGRAMME_ORDER = attrgetter("order")


def _best_alone(
    credited: Sequence[Session], worth: Sequence[Decimal], maximum: Decimal
) -> tuple[Decimal, tuple[Session, ...]]:
    """Of sessions that all overlap, the first in programme order of those worth the most."""
    best, value = 0, min(worth[0], maximum)
    for i in range(1, len(credited)):
        if (capped := min(worth[i], maximum)) > value:
            best, value = i, capped
    return value, (credited[best],)


def best_sessions(
    credited: Sequence[Session],
    maximum: Decimal,
    amounts: Mapping[str, Decimal] | None = None,
) -> tuple[Decimal, tuple[Session, ...]]:
    """The slot rule: among sets of credited sessions that do not overlap in time (half-open
    intervals), the one with the largest sum of amounts (each session's `credits` unless
    `amounts` says otherwise) capped at `maximum`; on a tie the set with the fewest
    sessions, then the one whose sessions come first in the programme.

    `credited` comes in programme order (start, then id). Sets of sessions that do not
    overlap are chains in that order (each starts at or after the previous one's end), so
    a dynamic programme over "best sum of a chain of k sessions starting at i" finds the
    answer in O(n^3) for n credited sessions of the slot, instead of trying every subset.
    """
    n = len(credited)
    if n == 0:
        return ZERO, ()
    worth = [s.credits if amounts is None else amounts[s.id] for s in credited]
    if n == 1 or max(s.start for s in credited) < min(s.end for s in credited):
        # Every pair overlaps (the usual case: parallel sessions): the best single one.
        return _best_alone(credited, worth, maximum)

    # chain[i][k]: the largest sum of a chain of exactly k sessions whose first is i.
    chain: list[dict[int, Decimal]] = [{} for _ in range(n)]
    for i in range(n - 1, -1, -1):
        here = credited[i]
        chain[i][1] = worth[i]
        for j in range(i + 1, n):
            if credited[j].start >= here.end:
                for k, total in chain[j].items():
                    if chain[i].get(k + 1, Decimal(-1)) < worth[i] + total:
                        chain[i][k + 1] = worth[i] + total
    best_of_size: dict[int, Decimal] = {}
    for sums in chain:
        for k, total in sums.items():
            best_of_size[k] = max(best_of_size.get(k, total), total)
    value = max(min(total, maximum) for total in best_of_size.values())
    size = min(k for k, total in best_of_size.items() if min(total, maximum) == value)

    # The chain of that size reaching `value` whose sessions come first in the programme.
    picked: list[Session] = []
    need, remaining, start_at = value, size, 0
    while remaining:
        for i in range(start_at, n):
            fits = not picked or credited[i].start >= picked[-1].end
            if fits and chain[i].get(remaining, Decimal(-1)) >= need:
                picked.append(credited[i])
                need -= worth[i]
                remaining -= 1
                start_at = i + 1
                break
    return value, tuple(picked)
