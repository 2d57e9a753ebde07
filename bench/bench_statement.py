"""The credit statement: one ESHG 2025 delegate who evaluated every accredited session
(and scanned their badge every day), then 3,500 such delegates, the size of the congress.

`compute_statement` is what the credits endpoint, the report and certificate issuing run
for each delegate; the JSON row adds turning the statement into the contract's JSON. The
same delegate is timed again under `time_in_room` (the ESHG programme with that policy,
four hall scans for each session evaluated), beside the `daily_scan` figure: building the
presence intervals is the costliest evidence there is.
"""

from __future__ import annotations

import statistics
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from bench.harness import Row, median_ms
from cme.facts import DelegateFacts, Direction, Evaluation, Scan
from cme.jsonio import dumps
from cme.programme import Programme, build_programme, load_programme_file, programme_document
from cme.rules.credits import compute_statement

PROGRAMME = Path(__file__).resolve().parents[1] / "programmes" / "eshg2025.yaml"
DELEGATES = 3500
ONE_TARGET_MS = 0.2
ALL_TARGET_S = 2.0


def every_session(programme: Programme, number: int) -> DelegateFacts:
    """A delegate who scanned every morning and evaluated every accredited session."""
    accredited = [s for s in programme.sessions if s.accredited]
    morning = timedelta(hours=6, minutes=number % 60)
    scans = tuple(
        Scan(
            f"scan-{number}-{day.date}",
            datetime.combine(day.date, datetime.min.time(), tzinfo=UTC) + morning,
            day.date,
            "cme-desk-1",
        )
        for day in programme.days
    )
    evaluations = {
        s.id: Evaluation(s.id, s.end + timedelta(minutes=5 + number % 30), {"relevance": 5})
        for s in accredited
    }
    return DelegateFacts(
        delegate_id=f"D{number:05d}",
        scans=scans,
        cart=frozenset(evaluations),
        evaluations=evaluations,
    )


def in_the_halls(programme: Programme) -> Programme:
    """The same programme with hall scans as evidence (`time_in_room`, its defaults: any
    presence counts, for the session's full credits)."""
    document = programme_document(programme)
    document["event"]["policy"] = {"evidence": "time_in_room"}
    return build_programme(document).programme


def every_session_in_the_halls(programme: Programme, number: int) -> DelegateFacts:
    """The delegate of `every_session`, in person under `time_in_room`: in each slot they
    move between the halls of its parallel sessions (a share of each session), scanning in
    and out twice in each (a short break in the middle): four scans a session evaluated."""
    daily = every_session(programme, number)
    scans: list[Scan] = []
    for slot in programme.slots:
        sessions = [s for s in programme.sessions_of_slot(slot.id) if s.id in daily.evaluations]
        for index, session in enumerate(sessions):
            share = (session.end - session.start) / len(sessions)
            start = session.start + index * share
            times = (start, start + share * 0.45, start + share * 0.55, start + share)
            directions = (Direction.IN, Direction.OUT, Direction.IN, Direction.OUT)
            scans.extend(
                Scan(
                    f"scan-{number}-{session.id}-{i}",
                    at,
                    session.date,
                    "hall-door",
                    room=session.room,
                    direction=direction,
                )
                for i, (at, direction) in enumerate(zip(times, directions, strict=True))
            )
    return DelegateFacts(
        delegate_id=daily.delegate_id,
        scans=tuple(scans),
        cart=daily.cart,
        evaluations=daily.evaluations,
    )


def _seconds_for_all(programme: Programme, delegates: list[DelegateFacts], rounds: int) -> float:
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        for facts in delegates:
            compute_statement(programme, facts)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def run() -> list[Row]:
    programme = load_programme_file(PROGRAMME).programme
    one = every_session(programme, 1)
    statement = compute_statement(programme, one)
    if statement.total != Decimal("25.5") or not statement.certificate_ready:
        raise AssertionError(f"the benchmark delegate should earn 25.5, not {statement.total}")
    sessions = f"{len(one.evaluations)} sessions evaluated, 4 scans"

    single = median_ms(lambda: compute_statement(programme, one), repeat=2000, warmup=50)
    halls = in_the_halls(programme)
    in_halls = every_session_in_the_halls(halls, 1)
    statement = compute_statement(halls, in_halls)
    if statement.total != Decimal("25.5") or not statement.certificate_ready:
        raise AssertionError(f"the delegate in the halls should earn 25.5, not {statement.total}")
    timed = median_ms(lambda: compute_statement(halls, in_halls), repeat=2000, warmup=50)
    as_json = median_ms(
        lambda: dumps(compute_statement(programme, one).as_dict()), repeat=1000, warmup=20
    )
    delegates = [every_session(programme, n) for n in range(DELEGATES)]
    everyone = _seconds_for_all(programme, delegates, rounds=3)
    return [
        Row(
            "statement",
            "one ESHG delegate, every accredited session (median)",
            single,
            "ms",
            f"<= {ONE_TARGET_MS} ms",
            single <= ONE_TARGET_MS,
            sessions,
        ),
        Row(
            "statement",
            "the same delegate under time_in_room (median)",
            timed,
            "ms",
            f"<= {ONE_TARGET_MS} ms",
            timed <= ONE_TARGET_MS,
            f"{len(in_halls.scans)} hall scans, in/out twice a session; "
            f"{timed / single:.1f}x daily_scan",
        ),
        Row(
            "statement",
            "the same, as contract JSON (median)",
            as_json,
            "ms",
            note="compute_statement + as_dict + dumps",
        ),
        Row(
            "statement",
            f"{DELEGATES:,} such delegates (median of 3 rounds)",
            everyone,
            "s",
            f"<= {ALL_TARGET_S} s",
            everyone <= ALL_TARGET_S,
            f"{everyone / DELEGATES * 1000:.3f} ms per statement",
        ),
    ]
