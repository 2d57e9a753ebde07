"""`make demo`: ESHG 2025 replayed against the local stack, end to end.

It starts `cme serve` on a free port (and always stops it), then does what an organiser
does with the `cme` command line: loads the programme, imports the delegates. Next it plays
the virtual-conference platform through a congress, day by day: CME-desk scans each
morning, an offline station syncing late (with duplicates), live views by online delegates,
carts and evaluations, on-demand views in June, and some facts the API must refuse, each
with its code. The worked example of RULES.md (delegate D0001) is replayed exactly as
tests/data/worked-example-facts.json and must end at 15.0. Last, the statement table, the
certificates (PDFs) and, beside each, its verify page: the local stack's links die with it.
Before the certificates, the organiser makes one decision of each kind with the `cme`
commands (a scanner failure granted, a late delegate extended, a name corrected); after
them, the corrected delegate's first certificate verifies as superseded, the attendance
register is saved and the audit trail printed.

Then, on the same stack, a second event: ACPM 2025, a fictional congress under the variants
of RULES.md (time in the hall, a viewing minimum, self-claimed credit), whose delegates each
live a story written out in `cme_tools.local.demo_variants`; its statements are printed
beside what each delegate did, its certificates land in `out/acpm2025/`.

A third event, CNMI 2025 (`cme_tools.local.demo_ecm`), shows professions and learning
tests in the way of Italian ECM: a nurse's and a physician's certificate, a certificate of
attendance for a profession the event is not accredited for, and a physician who failed
the test listed as not ready; its certificates land in `out/ecm2025/`.

Seeded, so every run sends the same facts; `--out` says where the results go. (The bench
generates congresses of its own, `bench.support.Congress`: thousands of delegates written
straight into a store at assumed rates, for sizes and costs, with no story and no
expected answers.)
Exit status 0 when everything went as expected, 1 otherwise, 2 when the stack cannot start.
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from cme.jsonio import loads
from cme.programme import Programme, Session, load_programme_file
from cme_tools.cli import main as cme
from cme_tools.cli.terminal import err, out
from cme_tools.client import ApiError, ApiUnreachable, CmeClient, UnexpectedAnswer, resource
from cme_tools.local.checkout import Checkout

EVENT = "eshg2025"
SEED = 2025
WORKED_EXAMPLE = "D0001"
WORKED_EXAMPLE_TOTAL = Decimal("15.0")
WORKED_EXAMPLE_DAYS = {
    "2025-05-24": Decimal("7.5"),
    "2025-05-25": Decimal("4.5"),
    "2025-05-26": Decimal("3.0"),
    "2025-05-27": Decimal("0"),
}
NO_SHOW = "D0030"
"""Registered, never came, never watched: nothing to certify (409 no_credits)."""
EVALUATES_WITHOUT_WATCHING = "D0032"
"""Answers evaluations but never watched: a full cart worth 0 (409 no_credits)."""
LEAVES_A_CART_ITEM_OPEN = {"D0017": "S15", "D0036": "C37"}
"""Add a session to the cart and never evaluate it (409 evaluations_incomplete)."""
LATE = ("D0017", "S15")
"""Left S15 unevaluated; in December watches its recording and evaluates it: refused
after the deadline until the organiser extends hers."""
EXTENDED_UNTIL = "2026-01-15T23:59:59"
LATE_VIEW = "2025-12-10T19:30:00+01:00"
LATE_EVALUATION = "2025-12-10T21:05:00+01:00"
CORRECTED = ("D0039", "Pieter van den Berg")
"""Registered as "van der Berg": the certificate issued under that name is superseded."""
OFFLINE_STATION = "cme-desk-3"
OFFLINE_DAY = date(2025, 5, 25)
READY_TIMEOUT = 60.0
STOP_GRACE = 4.0


# --------------------------------------------------------------------------- the plan


@dataclass(frozen=True, slots=True)
class Call:
    """One request of the platform: when it is sent, and what the API must answer."""

    at: datetime
    kind: str
    """scan, batch, view, cart or evaluation"""
    method: str
    path: str
    body: Any
    expect: int
    code: str | None = None
    """The problem's code when the API must refuse; the line `story` tells why."""
    story: str = ""
    results: tuple[int, ...] = ()
    """For a batch: the status of each scan, in order."""


@dataclass
class Congress:
    """Builds the platform's calls; every random choice comes from one seeded generator."""

    programme: Programme
    rng: random.Random
    calls: list[Call] = field(default_factory=list)
    held: list[dict[str, str]] = field(default_factory=list)
    """Scans of the offline station, synced in one late batch."""
    stored_scans: list[dict[str, str]] = field(default_factory=list)

    def local(self, on: date, hour: int, minute: int) -> datetime:
        return datetime(on.year, on.month, on.day, hour, minute, tzinfo=self.programme.event.zone)

    def at_local(self, instant: datetime) -> datetime:
        return instant.astimezone(self.programme.event.zone)

    def new_id(self, prefix: str = "") -> str:
        return prefix + str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    # ------------------------------------------------------------------ facts

    def scan(
        self, delegate_id: str, scanned_at: datetime, station: str, *, scan_id: str | None = None
    ) -> dict[str, str]:
        body = {
            "scan_id": scan_id or self.new_id(),
            "delegate_id": delegate_id,
            "station_id": station,
            "scanned_at": self.at_local(scanned_at).isoformat(),
        }
        if station == OFFLINE_STATION and self.at_local(scanned_at).date() == OFFLINE_DAY:
            self.held.append(body)
        else:
            self.calls.append(
                Call(scanned_at, "scan", "POST", resource("events", EVENT, "scans"), body, 201)
            )
            self.stored_scans.append(body)
        return body

    def view(
        self, delegate_id: str, session: Session, kind: str, watched_at: datetime, seconds: int
    ) -> None:
        body = {
            "view_id": self.new_id("v-"),
            "session_id": session.id,
            "kind": kind,
            "watched_at": self.at_local(watched_at).isoformat(),
            "seconds": seconds,
        }
        path = resource("events", EVENT, "delegates", delegate_id, "views")
        self.calls.append(Call(watched_at, "view", "POST", path, body, 201))

    def cart(self, delegate_id: str, session_id: str, at: datetime) -> None:
        path = resource("events", EVENT, "delegates", delegate_id, "cart", session_id)
        self.calls.append(Call(at, "cart", "PUT", path, None, 201))

    def evaluate(self, delegate_id: str, session_id: str, submitted_at: datetime) -> None:
        body = {
            "submitted_at": self.at_local(submitted_at).isoformat(),
            "answers": {
                "relevance": self.rng.randint(3, 5),
                "quality": self.rng.randint(2, 5),
                "bias": "none perceived",
            },
        }
        path = resource("events", EVENT, "delegates", delegate_id, "evaluations", session_id)
        self.calls.append(Call(submitted_at, "evaluation", "PUT", path, body, 201))

    def refused(self, call: Call) -> None:
        self.calls.append(call)

    # ------------------------------------------------------------------ behaviour

    def accredited(self, slot_id: str) -> list[Session]:
        return [s for s in self.programme.sessions_of_slot(slot_id) if s.accredited]

    def minutes(self, low: int, high: int) -> timedelta:
        return timedelta(minutes=self.rng.randint(low, high))

    def in_person(self, delegate_id: str) -> set[str]:
        """Scans each morning it comes, sits in sessions, evaluates most of them."""
        attended: set[str] = set()
        days = [d.date for d in self.programme.days if self.rng.random() < 0.7]
        for day in days or [self.programme.days[0].date]:
            day_slots = self.programme.slots_of_day(day)
            slots = [s for s in day_slots if self.rng.random() < 0.35] or [
                self.rng.choice(day_slots)
            ]
            station = self.rng.choice(
                ["cme-desk-1", "cme-desk-2", OFFLINE_STATION, OFFLINE_STATION]
            )
            self.scan(delegate_id, slots[0].start - self.minutes(4, 55), station)
            for slot in slots:
                choices = self.accredited(slot.id)
                sessions = [self.rng.choice(choices)]
                if len(choices) > 1 and self.rng.random() < 0.08:  # hopped rooms: parallel
                    sessions.append(self.rng.choice([s for s in choices if s != sessions[0]]))
                for session in sessions:
                    attended.add(session.id)
                    if self.rng.random() < 0.15:
                        self.cart(delegate_id, session.id, session.start - self.minutes(1, 50))
                    if self.rng.random() < 0.96:
                        self.evaluate(delegate_id, session.id, session.end + self.minutes(2, 200))
        return attended

    def online(self, delegate_id: str, *, watches: bool = True) -> set[str]:
        """Watches sessions live from home (at least one) and evaluates most of them."""
        slots = [
            slot
            for day in self.programme.days
            if self.rng.random() < 0.5
            for slot in self.programme.slots_of_day(day.date)
            if self.rng.random() < 0.35
        ] or [self.rng.choice(self.programme.slots)]
        watched: set[str] = set()
        for slot in slots:
            session = self.rng.choice(self.accredited(slot.id))
            watched.add(session.id)
            if watches:
                start = session.start + self.minutes(0, 12)
                self.view(delegate_id, session, "live", start, self.rng.randint(1800, 5400))
            if self.rng.random() < 0.9:
                self.evaluate(delegate_id, session.id, session.end + self.minutes(1, 90))
        return watched

    def on_demand(self, delegate_id: str, seen: set[str]) -> None:
        """In June: one or two recordings of sessions it missed, each evaluated after."""
        recorded = [s for s in self.programme.sessions if s.accredited and s.recorded]
        missed = [s for s in recorded if s.id not in seen]
        for session in self.rng.sample(missed, k=min(len(missed), self.rng.randint(1, 2))):
            watched = self.local(date(2025, 6, self.rng.randint(2, 28)), 19, 0) + self.minutes(
                0, 150
            )
            self.view(delegate_id, session, "on_demand", watched, self.rng.randint(2400, 5400))
            self.evaluate(delegate_id, session.id, watched + self.minutes(60, 150))


def plan_congress(
    programme: Programme,
    delegates: list[dict[str, str]],
    worked_example: dict[str, Any],
    *,
    seed: int = SEED,
) -> list[Call]:
    """Every call the platform makes, in the order it makes them."""
    congress = Congress(programme, random.Random(seed))  # noqa: S311 - a replay, not a secret
    seen: dict[str, set[str]] = {}
    for delegate in delegates:
        delegate_id = delegate["delegate_id"]
        if delegate_id in {WORKED_EXAMPLE, NO_SHOW}:
            continue
        if delegate_id == EVALUATES_WITHOUT_WATCHING:
            congress.online(delegate_id, watches=False)
        elif delegate["attendance"] == "in_person":
            seen[delegate_id] = congress.in_person(delegate_id)
        else:
            seen[delegate_id] = congress.online(delegate_id)
    for delegate_id, session_id in LEAVES_A_CART_ITEM_OPEN.items():
        session = programme.session(session_id)
        assert session is not None, session_id
        mine = resource("events", EVENT, "delegates", delegate_id)
        congress.calls = [
            c
            for c in congress.calls
            if not (c.path.startswith(mine) and c.path.endswith("/" + session_id))
        ]
        congress.cart(delegate_id, session_id, session.start - timedelta(minutes=5))
        seen[delegate_id].discard(session_id)
    late_watchers = congress.rng.sample(sorted(seen), k=8)
    for delegate_id in sorted(late_watchers):
        congress.on_demand(delegate_id, seen[delegate_id])
    _replay_worked_example(congress, worked_example)
    _sync_offline_station(congress)
    _refusals(congress, delegates)
    return sorted(congress.calls, key=lambda call: call.at)


def _replay_worked_example(congress: Congress, facts: dict[str, Any]) -> None:
    """RULES.md's worked example, fact for fact (`tests/data/worked-example-facts.json`)."""
    delegate_id = facts["delegate"]["delegate_id"]
    for scan in facts["scans"]:
        scanned_at = datetime.fromisoformat(scan["scanned_at"])
        congress.scan(delegate_id, scanned_at, "cme-desk-1", scan_id=scan["scan_id"])
    for view in facts["views"]:
        path = resource("events", EVENT, "delegates", delegate_id, "views")
        watched_at = datetime.fromisoformat(view["watched_at"])
        congress.calls.append(Call(watched_at, "view", "POST", path, dict(view), 201))
    submitted = {
        e["session_id"]: datetime.fromisoformat(e["submitted_at"]) for e in facts["evaluations"]
    }
    for session_id in facts["cart"]:
        congress.cart(delegate_id, session_id, submitted[session_id] - timedelta(minutes=2))
    for session_id, submitted_at in submitted.items():
        path = resource("events", EVENT, "delegates", delegate_id, "evaluations", session_id)
        body = {"submitted_at": submitted_at.isoformat(), "answers": {"relevance": 5}}
        congress.calls.append(Call(submitted_at, "evaluation", "PUT", path, body, 201))


def _sync_offline_station(congress: Congress) -> None:
    """The offline station's Sunday morning, synced that evening in one batch: the two scans
    it sent before the network dropped come again, and two it had queued twice."""
    held = sorted(congress.held, key=lambda scan: scan["scanned_at"])
    assert len(held) >= 5, "the seed gives the offline station too few scans"
    sent_before, queued = held[:2], held[2:]
    for body in sent_before:
        at = datetime.fromisoformat(body["scanned_at"])
        congress.calls.append(
            Call(at, "scan", "POST", resource("events", EVENT, "scans"), body, 201)
        )
    twice = congress.rng.sample(queued, k=2)
    batch = [*queued[:3], *sent_before, *queued[3:], *twice]
    results = (201,) * 3 + (200,) * 2 + (201,) * (len(queued) - 3) + (200,) * 2
    at = congress.local(OFFLINE_DAY, 19, 40)
    path = resource("events", EVENT, "scans", "batch")
    congress.calls.append(Call(at, "batch", "POST", path, {"scans": batch}, 200, results=results))


def _refusals(congress: Congress, delegates: list[dict[str, str]]) -> None:
    """Facts the API must refuse, each with its contract code."""
    programme = congress.programme
    in_person = [d["delegate_id"] for d in delegates if d["attendance"] == "in_person"]
    online = [d["delegate_id"] for d in delegates if d["attendance"] == "online"]
    early = congress.local(date(2025, 5, 23), 17, 30)
    pickup = congress.rng.choice(in_person[1:])
    body = {
        "scan_id": congress.new_id(),
        "delegate_id": pickup,
        "station_id": "cme-desk-1",
        "scanned_at": early.isoformat(),
    }
    congress.refused(
        Call(
            early,
            "scan",
            "POST",
            resource("events", EVENT, "scans"),
            body,
            422,
            "not_a_conference_day",
            f"{pickup}'s badge scanned at pick-up, Fri 23 May 17:30",
        )
    )
    reused = next(s for s in congress.stored_scans if s["station_id"] == "cme-desk-2")
    other = next(d for d in in_person[1:] if d != reused["delegate_id"])
    at = datetime.fromisoformat(reused["scanned_at"]) + timedelta(minutes=3)
    body = {**reused, "delegate_id": other, "scanned_at": at.isoformat()}
    congress.refused(
        Call(
            at,
            "scan",
            "POST",
            resource("events", EVENT, "scans"),
            body,
            409,
            "id_reused",
            f"cme-desk-2 restarts and reuses scan id {reused['scan_id'][:8]}… for {other}",
        )
    )
    walk_in = congress.local(date(2025, 5, 26), 8, 12)
    body = {
        "scan_id": congress.new_id(),
        "delegate_id": "D0099",
        "station_id": "cme-desk-1",
        "scanned_at": walk_in.isoformat(),
    }
    congress.refused(
        Call(
            walk_in,
            "scan",
            "POST",
            resource("events", EVENT, "scans"),
            body,
            404,
            "unknown_delegate",
            "a walk-in's badge D0099, not registered yet",
        )
    )
    satellite = congress.rng.choice([s for s in programme.sessions if not s.accredited])
    member = congress.rng.choice(in_person[1:])
    at = satellite.start - timedelta(minutes=10)
    congress.refused(
        Call(
            at,
            "cart",
            "PUT",
            resource("events", EVENT, "delegates", member, "cart", satellite.id),
            None,
            422,
            "session_not_accredited",
            f"{member} puts the corporate satellite {satellite.id} in the CME cart",
        )
    )
    session = congress.rng.choice(
        [s for s in programme.sessions if s.accredited and s.date == OFFLINE_DAY]
    )
    eager = congress.rng.choice(online)
    at = congress.at_local(session.end - timedelta(minutes=25))
    evaluation = {"submitted_at": at.isoformat(), "answers": {"relevance": 4}}
    congress.refused(
        Call(
            at,
            "evaluation",
            "PUT",
            resource("events", EVENT, "delegates", eager, "evaluations", session.id),
            evaluation,
            409,
            "evaluation_not_open",
            f"{eager} evaluates {session.id} at {at:%H:%M}, before it ends at "
            f"{congress.at_local(session.end):%H:%M}",
        )
    )
    unrecorded = congress.rng.choice(
        [s for s in programme.sessions if s.accredited and not s.recorded]
    )
    viewer = congress.rng.choice(online)
    at = congress.local(date(2025, 6, 14), 21, 5)
    body = {
        "view_id": congress.new_id("v-"),
        "session_id": unrecorded.id,
        "kind": "on_demand",
        "watched_at": at.isoformat(),
    }
    congress.refused(
        Call(
            at,
            "view",
            "POST",
            resource("events", EVENT, "delegates", viewer, "views"),
            body,
            422,
            "not_recorded",
            f"{viewer} asks for {unrecorded.id} on demand; it was not recorded",
        )
    )


# --------------------------------------------------------------------------- replaying


@dataclass
class Replay:
    counts: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    refused: list[tuple[Call, str]] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)


def phase_of(call: Call, programme: Programme) -> str:
    """A conference day, or the month of the on-demand period."""
    local = call.at.astimezone(programme.event.zone)
    if any(day.date == local.date() for day in programme.days):
        return f"{local:%a %d %b}"
    return f"{local:%B}, on demand"


def replay(client: CmeClient, calls: Sequence[Call], programme: Programme) -> Replay:
    """Send each call in turn and compare the answer with what the contract says."""
    result = Replay()
    for call in calls:
        phase = phase_of(call, programme)
        try:
            reply = client.request(call.method, call.path, body=call.body)
            status, code, answer = reply.status, None, reply.json()
        except ApiError as error:
            status, code, answer = error.status, error.code, None
        if status != call.expect or code != call.code:
            got = f"{status} {code or ''}".strip()
            result.unexpected.append(f"{call.method} {call.path}: {got}, expected {call.expect}")
            continue
        if call.code is not None:
            result.refused.append((call, f"{status} {code}"))
            continue
        if call.kind == "batch":
            statuses = tuple(int(r["status"]) for r in answer["results"])
            if statuses != call.results:
                result.unexpected.append(f"batch: {statuses}, expected {call.results}")
            result.counts[phase]["batch"] += 1
            result.counts[phase]["batch_stored"] += statuses.count(201)
            result.counts[phase]["batch_duplicate"] += statuses.count(200)
            continue
        result.counts[phase][call.kind] += 1
    return result


def phase_lines(result: Replay) -> Iterator[str]:
    names = {
        "scan": ("scan", "scans"),
        "view": ("view", "views"),
        "cart": ("cart item", "cart items"),
        "evaluation": ("evaluation", "evaluations"),
    }
    width = max([16, *(len(phase) for phase in result.counts)])
    for phase, counts in result.counts.items():
        parts = [
            f"{counts[k]} {one if counts[k] == 1 else many}"
            for k, (one, many) in names.items()
            if counts[k]
        ]
        yield f"  {phase:<{width}} {', '.join(parts)}"
        if counts["batch"]:
            yield (
                f"  {'':<{width}} {OFFLINE_STATION} back online at 19:40: a batch of "
                f"{counts['batch_stored'] + counts['batch_duplicate']} scans, "
                f"{counts['batch_stored']} stored, {counts['batch_duplicate']} duplicates"
            )


# --------------------------------------------------------------------------- the stack


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class StackFailed(Exception):
    """`cme serve` did not come up."""


@contextmanager
def local_stack(log_path: Path, api_key: str) -> Iterator[str]:
    """`cme serve` on a free port for the duration, its output in `log_path`; yields the
    base URL. It is stopped (SIGTERM, then SIGKILL) whatever happens."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"AWS_ENDPOINT_URL", "CME_PUBLIC_BASE_URL", "CME_SERVE_ACCESS_LOG"}
    }
    environment["CME_API_KEY"] = api_key
    port = free_port()
    command = [sys.executable, "-m", "cme_tools", "serve", "--port", str(port), "--workers", "2"]
    with log_path.open("w", encoding="utf-8") as log:
        server = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=environment
        )
        try:
            yield _wait_until_ready(server, log_path, port)
        finally:
            _stop(server)


def _wait_until_ready(server: subprocess.Popen[bytes], log_path: Path, port: int) -> str:
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        for line in log_path.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("cme serve: http"):
                return line.split()[2]
        if server.poll() is not None:
            tail = log_path.read_text(encoding="utf-8", errors="replace").strip().splitlines()
            last = tail[-1] if tail else "no output"
            raise StackFailed(f"cme serve exited with {server.returncode} on port {port}: {last}")
        time.sleep(0.05)
    raise StackFailed(f"cme serve was not ready within {READY_TIMEOUT:.0f} s (see {log_path})")


def _stop(server: subprocess.Popen[bytes]) -> None:
    """SIGTERM, as Ctrl-C would: the gateway and its workers stop within a second or two.
    Then SIGKILL if the process still lingers: after a few hundred writes, the embedded
    moto's heap takes many seconds to tear down, and nothing in it outlives the demo."""
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=STOP_GRACE)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


# --------------------------------------------------------------------------- the demo


def read_delegates(path: Path) -> list[dict[str, str]]:
    from cme_tools.cli.organiser import read_delegates_csv

    return [
        {"delegate_id": row.delegate_id, **row.body}
        for row in read_delegates_csv(path)
        if row.problem is None
    ]


def run(args: argparse.Namespace) -> int:
    started = time.monotonic()
    root = Checkout.find().root
    programme_path = root / "programmes" / "eshg2025.yaml"
    delegates_path = root / "programmes" / "eshg2025-delegates.csv"
    facts_path = root / "tests" / "data" / "worked-example-facts.json"
    folder = Path(args.out)
    folder.mkdir(parents=True, exist_ok=True)
    programme = load_programme_file(programme_path).programme
    delegates = read_delegates(delegates_path)
    worked_example = loads(facts_path.read_text(encoding="utf-8"))
    calls = plan_congress(programme, delegates, worked_example, seed=args.seed)
    api_key = secrets.token_urlsafe(16)
    log_path = folder / "cme-serve.log"

    out("ESHG 2025 on the local stack (cme serve, embedded moto)")
    try:
        with local_stack(log_path, api_key) as base_url:
            out(f"  API {base_url}, its log in {log_path}")
            status = _congress(
                args,
                base_url=base_url,
                api_key=api_key,
                programme=programme,
                delegates=delegates,
                calls=calls,
                folder=folder,
            )
            status = max(status, _variants(root, base_url=base_url, api_key=api_key, folder=folder))
            status = max(status, _ecm(root, base_url=base_url, api_key=api_key, folder=folder))
    except StackFailed as error:
        err(f"demo: {error}")
        return 2
    except (ApiError, ApiUnreachable, UnexpectedAnswer) as error:
        err(f"demo: the local API failed: {error}")
        status = 1
    dashboard = folder / f"{EVENT}-dashboard.html"
    if dashboard.is_file():
        out("")
        out(f"the organiser's dashboard of {EVENT}: {_shown(dashboard)}")
    verdict = "as expected" if status == 0 else "WITH SURPRISES (see above)"
    out(f"done {verdict} in {time.monotonic() - started:.1f} s; the local stack is stopped")
    return status


def _congress(
    args: argparse.Namespace,
    *,
    base_url: str,
    api_key: str,
    programme: Programme,
    delegates: list[dict[str, str]],
    calls: Sequence[Call],
    folder: Path,
) -> int:
    from cme_tools.cli.organiser import fetch_report, report_table

    api = ["--api-url", base_url, "--api-key", api_key]
    relative = _shown(folder)
    problems: list[str] = []

    def organiser(*argv: str, shown: str | None = None) -> int:
        return organiser_command(api, *argv, shown=shown)

    if organiser("load-programme", "programmes/eshg2025.yaml") != 0:
        return 1
    if (
        organiser(
            "import-delegates",
            EVENT,
            "programmes/eshg2025-delegates.csv",
            "--quiet",
            shown=f"import-delegates {EVENT} programmes/eshg2025-delegates.csv --quiet",
        )
        != 0
    ):
        return 1

    client = CmeClient(base_url, api_key)
    out("")
    out(f"the platform replays the congress (seed {args.seed}, {len(calls)} requests):")
    result = replay(client, calls, programme)
    for line in phase_lines(result):
        out(line)
    out("  refused, as the contract says:")
    for call, answer in result.refused:
        out(f"    {answer:<28} {call.story}")
    problems.extend(result.unexpected)

    report = fetch_report(client, EVENT)
    out("")
    out(f"$ cme report {EVENT}")
    for line in report_table(report, certificates=False):
        out(line)

    decisions = Decisions(client, api, programme, calls, problems)
    decisions.before_certificates({d["delegate_id"]: d for d in delegates})
    pages, _ = certify_event(api, client, EVENT, (folder, relative), problems=problems)
    problems.extend(_check_worked_example(client, folder))
    decisions.after_certificates(folder, relative)
    dashboard = folder / f"{EVENT}-dashboard.html"
    if (
        organiser(
            "dashboard",
            EVENT,
            "-o",
            str(dashboard),
            "--no-open",
            shown=f"dashboard {EVENT} -o {relative}/{dashboard.name}",
        )
        != 0
    ):
        problems.append("cme dashboard failed")

    pdfs = sorted(folder.glob("*.pdf"))
    out("")
    out(f"in {relative}/:")
    out(f"  {len(pdfs)} certificates as <delegate_id>.pdf, each with its verify page beside it")
    out(f"  ({pages} <delegate_id>.html, saved while the local links still worked)")
    out(f"  {EVENT}-report.csv   the organiser's report")
    out(f"  {EVENT}-register.csv the attendance register (a row per credited session)")
    out(f"  {EVENT}-dashboard.html the organiser's dashboard (open it in a browser)")
    out("  cme-serve.log         the local API's log")
    for problem in problems:
        err(f"demo: unexpected: {problem}")
    return 1 if problems else 0


# --------------------------------------------------------------------------- decisions


@dataclass
class Decisions:
    """One organiser decision of each kind on ESHG (RULES.md, "Organiser decisions"), made
    with the `cme` commands: a scanner failure granted, a late delegate extended, a name
    corrected and its certificate superseded; then the trail."""

    client: CmeClient
    api: Sequence[str]
    programme: Programme
    calls: Sequence[Call]
    problems: list[str]
    superseded: str | None = None

    def expect(self, what: str, status: int, code: str | None, call: Any) -> None:
        try:
            got, got_code = call().status, None
        except ApiError as error:
            got, got_code = error.status, error.code
        shown = f"{got} {got_code or ''}".strip()
        out(f"  {what}: {shown}")
        if (got, got_code) != (status, code):
            self.problems.append(f"{what}: {shown}, expected {status} {code or ''}".strip())

    def cme(self, *argv: str) -> None:
        status = organiser_command(self.api, *argv, shown=shlex.join(argv))
        if status != 0:
            self.problems.append(f"cme {argv[0]} exited with {status}")

    def before_certificates(self, delegates: dict[str, dict[str, str]]) -> None:
        out("")
        out("the organiser decides (each with a reason, in the audit trail):")
        self._scanner_failure()
        self._late_delegate()
        self._name_corrected(delegates)

    def _scanner_failure(self) -> None:
        """An in-person delegate whose badge never reached a desk on a day they attended."""
        found = unscanned_session(self.programme, self.calls)
        if found is None:
            self.problems.append("no in-person delegate lacks a scan")
            return
        delegate_id, session = found
        path = resource("events", EVENT, "delegates", delegate_id)
        submitted = session.end.astimezone(self.programme.event.zone) + timedelta(minutes=20)
        out(f"  {delegate_id} sat in {session.id} on {session.date:%a %d %b}, but desk 2's scanner")
        out("  failed that morning: no scan, so the evaluation stands without evidence")
        body = {"submitted_at": submitted.isoformat(), "answers": {"relevance": 4}}
        self.expect(
            f"{delegate_id} evaluates {session.id}",
            201,
            None,
            lambda: self.client.put(f"{path}/evaluations/{session.id}", body),
        )
        reason = f"desk 2 scanner failed on {session.date:%d %B}; seen in the room"
        self.cme("grant", EVENT, delegate_id, session.id, "--reason", reason)
        cart = {
            i["session_id"]: i["status"] for i in self.client.get(f"{path}/credits").json()["cart"]
        }
        out(f"  {session.id} is now {cart.get(session.id)} for {delegate_id}")
        if cart.get(session.id) not in ("credited", "parallel"):
            self.problems.append(f"the grant of {session.id} did not credit {delegate_id}")

    def _late_delegate(self) -> None:
        delegate_id, session_id = LATE
        path = resource("events", EVENT, "delegates", delegate_id)
        evaluation = {"submitted_at": LATE_EVALUATION, "answers": {"relevance": 5}}
        view = {
            "view_id": f"v-late-{delegate_id}",
            "session_id": session_id,
            "kind": "on_demand",
            "watched_at": LATE_VIEW,
            "seconds": 4200,
        }

        def evaluate() -> Any:
            return self.client.put(f"{path}/evaluations/{session_id}", evaluation)

        out("")
        out(f"  {delegate_id} was ill in November and evaluates {session_id} on 10 December:")
        self.expect(f"{delegate_id} evaluates {session_id}", 409, "claim_deadline_passed", evaluate)
        self.cme(
            "extend", EVENT, delegate_id, EXTENDED_UNTIL, "--reason", "hospitalised in November"
        )
        self.expect(
            f"{delegate_id} watches {session_id}'s recording",
            201,
            None,
            lambda: self.client.post(f"{path}/views", view),
        )
        self.expect(f"{delegate_id} evaluates {session_id}", 201, None, evaluate)

    def _name_corrected(self, delegates: dict[str, dict[str, str]]) -> None:
        delegate_id, name = CORRECTED
        path = resource("events", EVENT, "delegates", delegate_id)
        first = self.client.post(f"{path}/certificate").json()
        self.superseded = first["serial"]
        registered = delegates[delegate_id]
        out("")
        out(f"  {delegate_id} downloaded {first['serial']} and writes: the name is {name},")
        out(f"  not {registered['name']}")
        body = {
            **{k: v for k, v in registered.items() if k != "delegate_id" and v},
            "name": name,
            "reason": "the delegate's own spelling (e-mail of 12 June)",
        }
        self.expect(
            f"PUT {delegate_id} with the name corrected",
            200,
            None,
            lambda: self.client.put(path, body),
        )

    def after_certificates(self, folder: Path, shown: str) -> None:
        """The superseded certificate and its reissue, as the verify endpoint says; the
        register; then the audit trail."""
        if self.superseded is not None:
            delegate_id = CORRECTED[0]
            path = resource("events", EVENT, "delegates", delegate_id, "certificate")
            latest = self.client.get(path).json()["serial"]
            out("")
            expected = {self.superseded: "superseded", latest: "valid"}
            for serial, wanted in expected.items():
                said = self.client.get(resource("certificates", serial)).json()["status"]
                out(f"verify {serial} ({delegate_id}): {said}")
                if said != wanted or latest == self.superseded:
                    self.problems.append(f"{serial} is {said}, not {wanted}")
        register = folder / f"{EVENT}-register.csv"
        exited = organiser_command(
            self.api,
            "register",
            EVENT,
            "-o",
            str(register),
            shown=f"register {EVENT} -o {shown}/{register.name}",
        )
        if exited != 0:
            self.problems.append(f"cme register exited with {exited}")
        self.cme("audit", EVENT)


def unscanned_session(programme: Programme, calls: Sequence[Call]) -> tuple[str, Session] | None:
    """The first in-person delegate (by id, the worked example aside) with a conference
    day without any scan, and the first accredited session of that day they did not
    evaluate: where a failed scanner would have left them."""
    zone = programme.event.zone
    scanned: dict[str, set[date]] = defaultdict(set)
    evaluated: set[str] = set()
    for call in calls:
        bodies = call.body.get("scans", []) if call.kind == "batch" else [call.body]
        if call.kind in ("scan", "batch") and call.code is None:
            for body in bodies:
                at = datetime.fromisoformat(body["scanned_at"]).astimezone(zone)
                scanned[body["delegate_id"]].add(at.date())
        if call.kind == "evaluation":
            evaluated.add(call.path)
    skipped = {WORKED_EXAMPLE, NO_SHOW, EVALUATES_WITHOUT_WATCHING, *LEAVES_A_CART_ITEM_OPEN}
    for delegate_id in sorted(set(scanned) - skipped):
        for day in programme.days:
            if day.date in scanned[delegate_id]:
                continue
            for session in programme.sessions:
                path = resource(
                    "events", EVENT, "delegates", delegate_id, "evaluations", session.id
                )
                if session.date == day.date and session.accredited and path not in evaluated:
                    return delegate_id, session
    return None


def organiser_command(api: Sequence[str], *argv: str, shown: str | None = None) -> int:
    """`cme ARGV` against the stack, as the organiser types it (`shown`, when the real
    arguments carry a temporary path)."""
    out("")
    out(f"$ cme {shown or ' '.join(argv)}")
    sys.stdout.flush()
    return cme([*argv, *api])


def certify_event(
    api: Sequence[str],
    client: CmeClient,
    event_id: str,
    into: tuple[Path, str],
    *,
    problems: list[str],
) -> tuple[int, Path]:
    """`cme issue-certificates` into a folder, each verify page beside its PDF, and `cme
    report` as CSV there too, as an organiser types them (`into`: the folder, and the
    folder as printed).
    The number of verify pages saved, and the report's path."""
    folder, shown = into
    folder.mkdir(parents=True, exist_ok=True)
    status = organiser_command(
        api,
        "issue-certificates",
        event_id,
        "-o",
        str(folder),
        shown=f"issue-certificates {event_id} -o {shown}",
    )
    if status != 0:
        problems.append(f"issue-certificates {event_id} exited with {status}")
    pages = save_verify_pages(client, event_id, folder, problems)
    report = folder / f"{event_id}-report.csv"
    organiser_command(
        api,
        "report",
        event_id,
        "-o",
        str(report),
        shown=f"report {event_id} -o {shown}/{report.name}",
    )
    return pages, report


def save_verify_pages(client: CmeClient, event_id: str, folder: Path, problems: list[str]) -> int:
    """Each certificate's public verify page (as a phone shows it), beside its PDF."""
    from cme_tools.cli.organiser import fetch_report
    from cme_tools.client import HTML

    saved = 0
    for row in fetch_report(client, event_id).delegates:
        serial = row.get("certificate_serial")
        if not serial:
            continue
        try:
            page = client.get(resource("certificates", serial), accept=HTML)
        except ApiError as error:
            problems.append(f"verify page of {row['delegate_id']}: {error}")
            continue
        (folder / f"{row['delegate_id']}.html").write_bytes(page.body)
        saved += 1
    return saved


def _check_worked_example(client: CmeClient, folder: Path) -> list[str]:
    path = resource("events", EVENT, "delegates", WORKED_EXAMPLE, "credits")
    statement = client.get(path).json()
    days = {d["date"]: Decimal(d["credits"]) for d in statement["days"]}
    conversions = ", ".join(f"{c['credits']} {c['name']}" for c in statement["conversions"])
    out("")
    out(
        f"worked example {WORKED_EXAMPLE}: {statement['total']} {statement['unit']} "
        f"({conversions}); by day {', '.join(str(v) for v in days.values())}"
    )
    problems = []
    if Decimal(statement["total"]) != WORKED_EXAMPLE_TOTAL or days != WORKED_EXAMPLE_DAYS:
        problems.append(f"{WORKED_EXAMPLE} has {statement['total']}, not {WORKED_EXAMPLE_TOTAL}")
    for suffix in (".pdf", ".html"):
        if not (folder / f"{WORKED_EXAMPLE}{suffix}").is_file():
            problems.append(f"no {WORKED_EXAMPLE}{suffix} in {folder}")
    return problems


def _variants(root: Path, *, base_url: str, api_key: str, folder: Path) -> int:
    """ACPM 2025 on the same stack: the variants at work (`cme_tools.local.demo_variants`)."""
    from cme_tools.local import demo_variants

    programme = load_programme_file(root / demo_variants.PROGRAMME).programme
    names = {d["delegate_id"]: d["name"] for d in read_delegates(root / demo_variants.DELEGATES)}
    variants = demo_variants.Variants(
        CmeClient(base_url, api_key),
        ["--api-url", base_url, "--api-key", api_key],
        programme,
        folder,
        _shown(folder),
    )
    problems = variants.run(names)
    for problem in problems:
        err(f"demo: unexpected: {problem}")
    return 1 if problems else 0


def _ecm(root: Path, *, base_url: str, api_key: str, folder: Path) -> int:
    """CNMI 2025 on the same stack: professions and learning tests
    (`cme_tools.local.demo_ecm`)."""
    from cme_tools.local import demo_ecm

    programme = load_programme_file(root / demo_ecm.PROGRAMME).programme
    names = {d["delegate_id"]: d["name"] for d in read_delegates(root / demo_ecm.DELEGATES)}
    ecm = demo_ecm.ItalianEcm(
        CmeClient(base_url, api_key),
        ["--api-url", base_url, "--api-key", api_key],
        programme,
        folder,
        _shown(folder),
    )
    problems = ecm.run(names)
    for problem in problems:
        err(f"demo: unexpected: {problem}")
    return 1 if problems else 0


def _shown(folder: Path) -> str:
    try:
        return str(folder.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(folder)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m cme_tools.local.demo",
        description=(
            "Replay ESHG 2025, then ACPM 2025 (the variants) and CNMI 2025 (professions and "
            "learning tests), against a local stack: load "
            "the programmes, import the delegates, play the congresses, print the "
            "statements, issue the certificates."
        ),
    )
    parser.add_argument("--out", default="out", help="where PDFs, verify pages and logs go (out)")
    parser.add_argument("--seed", type=int, default=SEED, help=f"the replay's seed ({SEED})")
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
