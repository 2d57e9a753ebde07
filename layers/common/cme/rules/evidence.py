"""Evidence that a delegate took part in a session, and what the session is then worth to
them (RULES.md, "Evidence ..." and "Variants"): a policy the programme chooses.

Every policy answers one question per session: the **amount** its evidence is worth, 0 for
none. Under the ESHG rules that is the session's full credits or nothing; time in the room
with `presence.credit: proportional` gives part of them. Views keep their meaning under
every policy, with the programme's viewing minimum; when several kinds of evidence exist
for a session, the largest amount counts. Each amount comes twice: from every kind of
evidence, and from live evidence alone (scans and live views), for the statement's `live`
part.

The cap logic (`cme.rules.credits`) reads only these amounts, so a new way of proving
participation is a new policy here and nothing else.

Costs per delegate, for k scans, v views and c sessions asked about (the claimable ones
of the cart): `daily_scan` O(k + v + c); `session_scan` O(k + v + c·r) for r scans in
a session's room; `time_in_room` O(k log k) to order the scans and build the presence
intervals, then O(log k + i) per session for the i intervals that meet it, so
O(k log k + c·(log k + i) + v) in all, plus one pass over the programme's sessions to
close a presence left open.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import NamedTuple, Protocol

from cme.facts import DelegateFacts, Direction, Scan, ViewKind
from cme.programme import Policy, Programme, Session

ZERO = Decimal(0)
_MICROSECOND = timedelta(microseconds=1)


class Worth(NamedTuple):
    """What a session's evidence is worth to the delegate: from every kind of evidence, and
    from live evidence only (scans and live views). 0 is no evidence."""

    amount: Decimal
    live: Decimal


NOTHING = Worth(ZERO, ZERO)


class EvidencePolicy(Protocol):
    name: str

    def scan_amounts(
        self, programme: Programme, facts: DelegateFacts, sessions: Sequence[Session]
    ) -> dict[str, Decimal]:
        """The amount the delegate's scans are worth for each of `sessions` (absent: 0)."""
        ...


class DailyScan:
    """ESHG's rule (RULES.md, Evidence 1): a badge scan on the session's local day, whatever
    its room or direction, is evidence for every session of that day: full credits."""

    name = "daily_scan"

    def scan_amounts(
        self, programme: Programme, facts: DelegateFacts, sessions: Sequence[Session]
    ) -> dict[str, Decimal]:
        scan_days = {scan.day for scan in facts.scans}
        return {s.id: s.credits for s in sessions if s.date in scan_days}


class SessionScan:
    """A scan at each hall entrance: a scan in room R at t is evidence for S when S is in R
    and `S.start - grace <= t < S.end` (either direction: leaving a hall proves presence as
    much as entering it). A scan without a room is evidence of nothing: full credits."""

    name = "session_scan"

    def scan_amounts(
        self, programme: Programme, facts: DelegateFacts, sessions: Sequence[Session]
    ) -> dict[str, Decimal]:
        grace = programme.event.policy.scan_grace
        by_room: dict[str, list[datetime]] = defaultdict(list)
        for scan in facts.scans:
            if scan.room is not None:
                by_room[scan.room].append(scan.scanned_at)
        return {
            s.id: s.credits
            for s in sessions
            if any(s.start - grace <= t < s.end for t in by_room.get(s.room, ()))
        }


class TimeInRoom:
    """Entry and exit scans (RULES.md, `time_in_room`): presence intervals per room, the
    share of each session attended, full or proportional credits at a minimum share."""

    name = "time_in_room"

    def scan_amounts(
        self, programme: Programme, facts: DelegateFacts, sessions: Sequence[Session]
    ) -> dict[str, Decimal]:
        policy = programme.event.policy
        intervals = presence(programme, facts.scans)
        amounts: dict[str, Decimal] = {}
        for session in sessions:
            share = Fraction(
                attended(intervals.get(session.room, ()), session.start, session.end),
                (session.end - session.start) // _MICROSECOND,
            )
            amount = _amount_for_share(session, share, policy)
            if amount > 0:
                amounts[session.id] = amount
        return amounts


POLICIES: Mapping[str, EvidencePolicy] = {
    policy.name: policy for policy in (DailyScan(), SessionScan(), TimeInRoom())
}


def evidence_policy(name: str) -> EvidencePolicy:
    return POLICIES[name]


def session_worth(
    programme: Programme, facts: DelegateFacts, sessions: Sequence[Session]
) -> dict[str, Worth]:
    """What each of `sessions` is worth to the delegate on their evidence (absent: nothing),
    before any claim, slot, day or event cap."""
    policy = programme.event.policy
    by_scans = evidence_policy(policy.evidence).scan_amounts(programme, facts, sessions)
    watched: dict[str, dict[ViewKind, int]] = defaultdict(lambda: defaultdict(int))
    viewed: dict[str, set[ViewKind]] = defaultdict(set)
    for view in facts.views:
        watched[view.session_id][view.kind] += view.seconds or 0
        viewed[view.session_id].add(view.kind)
    worth: dict[str, Worth] = {}
    for session in sessions:
        scans = by_scans.get(session.id, ZERO)
        kinds = viewed.get(session.id, set())
        seconds = watched.get(session.id, {})
        by_views = _viewed_enough(session, bool(kinds), sum(seconds.values()), policy)
        by_live_views = _viewed_enough(
            session, ViewKind.LIVE in kinds, seconds.get(ViewKind.LIVE, 0), policy
        )
        if scans or by_views:
            worth[session.id] = Worth(max(scans, by_views), max(scans, by_live_views))
    return worth


def _viewed_enough(session: Session, viewed: bool, seconds: int, policy: Policy) -> Decimal:
    """Views are evidence (full credits) when their seconds add up to the viewing minimum's
    share of the session; with a minimum of 0 any accepted view counts. (For the live part,
    only live views and their seconds.)"""
    if not viewed:
        return ZERO
    if policy.viewing_minimum == 0:
        return session.credits
    length = Fraction((session.end - session.start) // _MICROSECOND, 1_000_000)
    return session.credits if seconds >= Fraction(policy.viewing_minimum) * length else ZERO


def _amount_for_share(session: Session, share: Fraction, policy: Policy) -> Decimal:
    """The amount a share of presence is worth: nothing at 0 or below the minimum; full
    credits, or credits x share rounded down to a multiple of the step."""
    if share <= 0 or share < Fraction(policy.presence_minimum):
        return ZERO
    if policy.presence_credit == "full":
        return session.credits
    step = policy.presence_step
    steps = (Fraction(session.credits) * share) // Fraction(step)
    return min(step * steps, session.credits)


# --------------------------------------------------------------------------- presence


class Interval(NamedTuple):
    start: datetime
    end: datetime


def presence(programme: Programme, scans: Iterable[Scan]) -> dict[str, list[Interval]]:
    """The delegate's presence per room, as sorted, disjoint intervals (RULES.md,
    `time_in_room`).

    Scans with a room, in instant order (at one instant, exits before entries, then by
    room and id, so the result depends only on the set of scans): an `in` at t closes any
    open presence at t and opens one in its room; an `out` closes the presence open in its
    room, and is ignored when there is none. A presence still open after the last scan
    closes at the latest end of the sessions of its room in progress at its opening
    (`S.start - grace <= t < S.end`), or at once when none was.
    """
    ordered = sorted(
        (s for s in scans if s.room is not None),
        key=lambda s: (s.scanned_at, s.direction is Direction.IN, s.room, s.scan_id),
    )
    intervals: dict[str, list[Interval]] = defaultdict(list)
    room: str | None = None
    opened: datetime | None = None
    for scan in ordered:
        assert scan.room is not None
        if scan.direction is Direction.IN:
            if room is not None and opened is not None:
                intervals[room].append(Interval(opened, scan.scanned_at))
            room, opened = scan.room, scan.scanned_at
        elif scan.room == room and opened is not None:
            intervals[room].append(Interval(opened, scan.scanned_at))
            room, opened = None, None
    if room is not None and opened is not None:
        grace = programme.event.policy.scan_grace
        closes = max(
            (
                s.end
                for s in programme.sessions
                if s.room == room and s.start - grace <= opened < s.end
            ),
            default=opened,
        )
        intervals[room].append(Interval(opened, closes))
    return {r: merged for r, spans in intervals.items() if (merged := _merged(spans))}


def _merged(spans: list[Interval]) -> list[Interval]:
    """Sorted, disjoint intervals covering the same instants (empty ones dropped)."""
    merged: list[Interval] = []
    for span in sorted(s for s in spans if s.end > s.start):
        if merged and span.start <= merged[-1].end:
            if span.end > merged[-1].end:
                merged[-1] = Interval(merged[-1].start, span.end)
        else:
            merged.append(span)
    return merged


def attended(intervals: Sequence[Interval], start: datetime, end: datetime) -> int:
    """Microseconds of `intervals` (sorted, disjoint) inside `[start, end)`."""
    total = timedelta()
    for interval in intervals[bisect_right(intervals, start, key=lambda i: i.end) :]:
        if interval.start >= end:
            break
        total += min(interval.end, end) - max(interval.start, start)
    return total // _MICROSECOND
