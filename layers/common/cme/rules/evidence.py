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
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from operator import attrgetter
from typing import NamedTuple, Protocol

from cme.facts import DelegateFacts, Direction, Scan, ViewKind
from cme.programme import Policy, Programme, Session

ZERO = Decimal(0)
_MICROSECOND = timedelta(microseconds=1)


class Worth(NamedTuple):
    """What the sessions with evidence are worth to the delegate (session id -> amount,
    above 0): from every kind of evidence, and from live evidence only (scans and live
    views). The two are the same mapping when everything was live."""

    amounts: dict[str, Decimal]
    live: dict[str, Decimal]


class EvidencePolicy(Protocol):
    name: str

    def scan_amounts(
        self, programme: Programme, facts: DelegateFacts, sessions: Sequence[Session]
    ) -> dict[str, Decimal]:
        """The amount, above 0, the delegate's scans are worth for each of `sessions` with
        evidence."""
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
    share of each session attended, full or proportional credits at a minimum share.

    Shares are compared and multiplied as exact integers (microseconds, and each setting
    as a ratio of integers), never rounded."""

    name = "time_in_room"

    def scan_amounts(
        self, programme: Programme, facts: DelegateFacts, sessions: Sequence[Session]
    ) -> dict[str, Decimal]:
        policy = programme.event.policy
        rooms = _spans(programme, facts.scans)
        least, of = policy.presence_minimum.as_integer_ratio()
        proportional = policy.presence_credit == "proportional"
        step = policy.presence_step
        per, step_of = step.as_integer_ratio()
        amounts: dict[str, Decimal] = {}
        for session in sessions:
            spans = rooms.get(session.room)
            if spans is None:
                continue
            here = _attended(spans, session.start, session.end) // _MICROSECOND
            length = (session.end - session.start) // _MICROSECOND
            # Evidence: a share above 0 and at least the minimum (here/length >= least/of).
            if here <= 0 or here * of < least * length:
                continue
            if not proportional:
                amounts[session.id] = session.credits
                continue
            # credits x share / step, rounded down: how many whole steps it is worth.
            worth, worth_of = session.credits.as_integer_ratio()
            steps = (worth * here * step_of) // (worth_of * length * per)
            if steps:
                amounts[session.id] = min(step * steps, session.credits)
        return amounts


POLICIES: Mapping[str, EvidencePolicy] = {
    policy.name: policy for policy in (DailyScan(), SessionScan(), TimeInRoom())
}


def evidence_policy(name: str) -> EvidencePolicy:
    return POLICIES[name]


def session_worth(programme: Programme, facts: DelegateFacts, sessions: Sequence[Session]) -> Worth:
    """What each of `sessions` with evidence is worth to the delegate, before any claim,
    slot, day or event cap: from every kind of evidence, and from live evidence alone."""
    policy = programme.event.policy
    by_scans = evidence_policy(policy.evidence).scan_amounts(programme, facts, sessions)
    if facts.grants:
        # An organiser's grant (a scanner failed) is evidence of taking part live, worth the
        # session's full amount (RULES.md, "Organiser decisions").
        by_scans = {**by_scans, **{s.id: s.credits for s in sessions if s.id in facts.grants}}
    if not facts.views:
        return Worth(by_scans, by_scans)  # scans are live evidence
    watched: dict[str, dict[ViewKind, int]] = defaultdict(lambda: defaultdict(int))
    for view in facts.views:
        watched[view.session_id][view.kind] += view.seconds or 0
    amounts: dict[str, Decimal] = {}
    live: dict[str, Decimal] = {}
    for session in sessions:
        sid = session.id
        scans = by_scans.get(sid, ZERO)
        seconds = watched.get(sid)
        by_views = by_live_views = ZERO
        if seconds is not None:
            by_views = _viewed_enough(session, True, sum(seconds.values()), policy)
            by_live_views = _viewed_enough(
                session, ViewKind.LIVE in seconds, seconds.get(ViewKind.LIVE, 0), policy
            )
        if scans or by_views:
            amounts[sid] = max(scans, by_views)
        if scans or by_live_views:
            live[sid] = max(scans, by_live_views)
    return Worth(amounts, live)


class Evidence(StrEnum):
    """The kind of evidence a credited session's amount rests on, as the attendance
    register states it (CONTRACT.md, "the attendance register")."""

    SCAN = "scan"
    """A badge scan: the day's scan at a CME desk (`daily_scan`), or a scan at the hall's
    entrance (`session_scan`)."""
    TIME_IN_ROOM = "time_in_room"
    """Entry and exit scans: the share of the session spent in its room."""
    LIVE_VIEW = "live_view"
    """Watched live (online)."""
    ON_DEMAND_VIEW = "on_demand_view"
    """Watched as a recording, in the on-demand period (with any live viewing)."""
    GRANT = "grant"
    """No recorded evidence: an organiser granted it (a scanner failed)."""


def evidence_of(
    programme: Programme, facts: DelegateFacts, credited: Mapping[str, Decimal]
) -> dict[str, Evidence]:
    """For each credited session (session id -> its amount in the statement), the
    evidence that gives that amount: the first of scans (or time in the room), live views,
    views with on-demand ones, and an organiser's grant whose worth reaches it. Recorded
    evidence comes before a grant, so a grant shows only where nothing else would credit
    the session; live before on demand, as an accreditor tells live from enduring
    learning. Reads the evidence exactly as `session_worth` does."""
    sessions = [s for sid in credited if (s := programme.session(sid)) is not None]
    policy = programme.event.policy
    scanned = evidence_policy(policy.evidence).scan_amounts(programme, facts, sessions)
    by_scan = Evidence.TIME_IN_ROOM if policy.evidence == "time_in_room" else Evidence.SCAN
    watched: dict[str, dict[ViewKind, int]] = defaultdict(lambda: defaultdict(int))
    for view in facts.views:
        watched[view.session_id][view.kind] += view.seconds or 0
    found: dict[str, Evidence] = {}
    for session in sessions:
        seconds = watched.get(session.id, {})
        worth = (
            (by_scan, scanned.get(session.id, ZERO)),
            (
                Evidence.LIVE_VIEW,
                _viewed_enough(
                    session, ViewKind.LIVE in seconds, seconds.get(ViewKind.LIVE, 0), policy
                ),
            ),
            (
                Evidence.ON_DEMAND_VIEW,
                _viewed_enough(
                    session, ViewKind.ON_DEMAND in seconds, sum(seconds.values()), policy
                ),
            ),
            (Evidence.GRANT, session.credits if session.id in facts.grants else ZERO),
        )
        amount = credited[session.id]
        found[session.id] = next(
            (kind for kind, value in worth if value > 0 and value >= amount),
            max(worth, key=lambda pair: pair[1])[0],  # never: the amount came from these
        )
    return found


def _viewed_enough(session: Session, viewed: bool, seconds: int, policy: Policy) -> Decimal:
    """Views are evidence (full credits) when their seconds add up to the viewing minimum's
    share of the session; with a minimum of 0 any accepted view counts. (For the live part,
    only live views and their seconds.)"""
    if not viewed:
        return ZERO
    least, of = policy.viewing_minimum.as_integer_ratio()
    length = (session.end - session.start) // _MICROSECOND
    return session.credits if seconds * 1_000_000 * of >= least * length else ZERO


# --------------------------------------------------------------------------- presence


class Interval(NamedTuple):
    start: datetime
    end: datetime


_INSTANT = attrgetter("scanned_at")
_DIRECTION = attrgetter("direction")
_ROOM_AND_ID = attrgetter("room", "scan_id")


def presence(programme: Programme, scans: Iterable[Scan]) -> dict[str, list[Interval]]:
    """The delegate's presence per room, as sorted, disjoint intervals (RULES.md,
    `time_in_room`); see `_spans`."""
    return {
        room: [Interval(start, end) for start, end in zip(starts, ends, strict=True)]
        for room, (starts, ends) in _spans(programme, scans).items()
    }


Spans = tuple[list[datetime], list[datetime]]
"""Sorted, disjoint intervals as the list of their starts and the list of their ends."""


def _spans(programme: Programme, scans: Iterable[Scan]) -> dict[str, Spans]:
    """The delegate's presence per room.

    Scans with a room, in instant order (at one instant, exits before entries, then by
    room and id, so the result depends only on the set of scans): an `in` at t closes any
    open presence at t and opens one in its room; an `out` closes the presence open in its
    room, and is ignored when there is none. A presence still open after the last scan
    closes at the latest end of the sessions of its room in progress at its opening
    (`S.start - grace <= t < S.end`), or at once when none was.

    One presence is open at a time, so the intervals come in order and never overlap:
    each is appended (or joined to the one it touches) as it closes.
    """
    ordered = sorted((s for s in scans if s.room is not None), key=_INSTANT)
    if len({s.scanned_at for s in ordered}) < len(ordered):
        # Scans at one instant: exits first, then by room and id. Python's sort is stable
        # (also reversed), so sorting by the last key first leaves that order among equals.
        ordered.sort(key=_ROOM_AND_ID)
        ordered.sort(key=_DIRECTION, reverse=True)  # "out" before "in"
        ordered.sort(key=_INSTANT)
    spans: dict[str, Spans] = {}

    def close(room: str, opened: datetime, closed: datetime) -> None:
        if closed <= opened:
            return
        starts, ends = spans.setdefault(room, ([], []))
        if ends and ends[-1] >= opened:
            ends[-1] = closed
        else:
            starts.append(opened)
            ends.append(closed)

    room: str | None = None
    opened = datetime.min.replace(tzinfo=UTC)  # read only while a presence is open
    for scan in ordered:
        if scan.direction is Direction.IN:
            if room is not None:
                close(room, opened, scan.scanned_at)
            room, opened = scan.room, scan.scanned_at
        elif room is not None and scan.room == room:
            close(room, opened, scan.scanned_at)
            room = None
    if room is not None:
        grace = programme.event.policy.scan_grace
        closes = max(
            (
                s.end
                for s in programme.sessions
                if s.room == room and s.start - grace <= opened < s.end
            ),
            default=opened,
        )
        close(room, opened, closes)
    return spans


def attended(intervals: Sequence[Interval], start: datetime, end: datetime) -> timedelta:
    """How much of `intervals` (sorted and disjoint, as `presence` gives them) lies inside
    `[start, end)`: a session's presence."""
    return _attended(([i.start for i in intervals], [i.end for i in intervals]), start, end)


def _attended(
    spans: tuple[list[datetime], list[datetime]], start: datetime, end: datetime
) -> timedelta:
    """How much of the intervals (their starts and ends, sorted and disjoint) lies inside
    `[start, end)`."""
    starts, ends = spans
    total = timedelta()
    i = bisect_right(ends, start)
    while i < len(starts) and starts[i] < end:
        total += min(ends[i], end) - max(starts[i], start)
        i += 1
    return total
