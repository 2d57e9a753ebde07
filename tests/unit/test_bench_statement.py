"""The bench's statement delegates (`bench.bench_statement`): the one timed under
`time_in_room` is the one timed under `daily_scan`, with four hall scans a session, and
earns the same."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

from bench.bench_statement import every_session, every_session_in_the_halls, in_the_halls
from cme.facts import Direction
from cme.programme import Programme
from cme.rules.credits import CartStatus, compute_statement


def test_the_delegate_in_the_halls_scans_in_and_out_twice_a_session(eshg: Programme) -> None:
    halls = in_the_halls(eshg)
    daily = every_session(eshg, 7)
    in_halls = every_session_in_the_halls(halls, 7)

    assert halls.event.policy.evidence == "time_in_room"
    assert in_halls.evaluations == daily.evaluations and in_halls.cart == daily.cart
    assert len(in_halls.scans) == 4 * len(daily.evaluations)
    rooms = {s.id: s.room for s in eshg.sessions}
    per_session = Counter(scan.scan_id.rsplit("-", 1)[0] for scan in in_halls.scans)
    assert set(per_session.values()) == {4}
    for scan in in_halls.scans:
        session_id = scan.scan_id.split("-")[2]
        assert scan.room == rooms[session_id]
    assert Counter(s.direction for s in in_halls.scans) == {
        Direction.IN: 2 * len(daily.evaluations),
        Direction.OUT: 2 * len(daily.evaluations),
    }


def test_both_delegates_earn_the_congress_total(eshg: Programme) -> None:
    halls = in_the_halls(eshg)
    by_desk = compute_statement(eshg, every_session(eshg, 7))
    by_halls = compute_statement(halls, every_session_in_the_halls(halls, 7))

    assert by_desk.total == by_halls.total == Decimal("25.5")
    assert {i.status for i in by_halls.cart} == {CartStatus.CREDITED, CartStatus.PARALLEL}
    assert [d.credits for d in by_halls.days] == [d.credits for d in by_desk.days]
