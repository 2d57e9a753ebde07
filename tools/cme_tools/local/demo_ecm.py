"""CNMI 2025, the third event of `make demo`: professions and learning tests (Italian ECM).

A fictional one-day congress in Rome (`programmes/ecm2025.yaml`) accredited for physicians
and nurses only, counting time in the hall at 90 %, with a learning test of 4 questions
(75 % to pass, 2 attempts) that gates the total, the AMA conversion for physicians only
and certificates of attendance for the professions it does not cover. Its four delegates
(`programmes/ecm2025-delegates.csv`) each live one story, written out below with the
statement it must end in; the demo replays them on the same local stack (the organiser's
`cme` commands and the platform's API), prints each statement, and issues the
certificates into `out/ecm2025/`: a nurse's, a physician's and a certificate of
attendance, while the physician who failed the test is listed as not ready.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

from cme.amounts import for_print
from cme.facts import Direction
from cme.programme import Programme
from cme_tools.cli.terminal import out
from cme_tools.client import ApiError, CmeClient, resource
from cme_tools.local.demo import Call, certify_event, organiser_command, phase_lines, replay

EVENT = "ecm2025"
PROGRAMME = "programmes/ecm2025.yaml"
DELEGATES = "programmes/ecm2025-delegates.csv"
TEST = "cnmi-final"
HALL = "Aula Magna"
DAY = "2025-10-16"

RIGHT = {"q1": 0, "q2": 1, "q3": 2, "q4": 0}
"""Every answer right: 4 of 4."""
THREE_RIGHT = {**RIGHT, "q4": 1}
"""3 of 4: 75 %, exactly the pass mark."""
TWO_RIGHT = {**RIGHT, "q3": 0, "q4": 1}
ONE_RIGHT = {"q1": 0, "q2": 0, "q3": 0, "q4": 1}


class Attempt(NamedTuple):
    clock: str
    answers: Mapping[str, int]
    expect: int = 201
    code: str | None = None
    story: str = ""


@dataclass(frozen=True, slots=True)
class Story:
    delegate_id: str
    told: str
    scans: tuple[tuple[str, Direction], ...]
    evaluated: tuple[tuple[str, str], ...]
    """(session, local time of the evaluation)."""
    attempts: tuple[Attempt, ...]
    expect: Mapping[str, str]
    """Each cart item's status."""
    total: Decimal
    eligible: bool = True
    test_passed: bool | None = True
    conversions: Mapping[str, Decimal] = field(default_factory=dict)
    certificate: str | None = "credits"
    """The kind of certificate the delegate gets; None: not ready."""


def _in(clock: str) -> tuple[str, Direction]:
    return (clock, Direction.IN)


def _out(clock: str) -> tuple[str, Direction]:
    return (clock, Direction.OUT)


EVALUATED_ALL = (("M1", "11:05"), ("M2", "13:05"), ("P1", "16:05"))
CREDITED = "credited"

STORIES: tuple[Story, ...] = (
    Story(
        "E001",
        "a nurse, in the hall all day; passes the test at the first attempt",
        scans=(_in("08:50"), _out("13:02"), _in("13:55"), _out("16:01")),
        evaluated=EVALUATED_ALL,
        attempts=(
            Attempt(
                "12:30",
                RIGHT,
                409,
                "test_not_open",
                "E001 tries the test at 12:30, before it opens",
            ),
            Attempt("16:10", RIGHT),
        ),
        expect={"M1": CREDITED, "M2": CREDITED, "P1": CREDITED},
        total=Decimal(6),
    ),
    Story(
        "E002",
        "a physician, the morning only; fails the test once, passes at 75 %",
        scans=(_in("08:55"), _out("13:05")),
        evaluated=EVALUATED_ALL[:2],
        attempts=(
            Attempt("16:15", TWO_RIGHT),
            Attempt("16:20", THREE_RIGHT),
            Attempt(
                "16:25", RIGHT, 409, "already_passed", "E002 tries again once the test is passed"
            ),
        ),
        expect={"M1": CREDITED, "M2": CREDITED},
        total=Decimal(4),
        conversions={"AMA PRA Category 1 Credits": Decimal(4)},
    ),
    Story(
        "E003",
        "a physician, 20 minutes late; fails the test twice: nothing, not ready",
        scans=(_in("09:20"), _out("16:00")),
        evaluated=EVALUATED_ALL,
        attempts=(
            Attempt("16:12", TWO_RIGHT),
            Attempt("16:30", ONE_RIGHT),
            Attempt(
                "16:40", RIGHT, 409, "no_attempts_left", "E003 tries a third time: 2 attempts only"
            ),
        ),
        expect={"M1": "no_evidence", "M2": CREDITED, "P1": CREDITED},
        total=Decimal(0),
        test_passed=False,
        conversions={"AMA PRA Category 1 Credits": Decimal(0)},
        certificate=None,
    ),
    Story(
        "E004",
        "a physiotherapist, the morning: not accredited, a certificate of attendance",
        scans=(_in("08:55"), _out("13:00")),
        evaluated=EVALUATED_ALL[:2],
        attempts=(),
        expect={"M1": CREDITED, "M2": CREDITED},
        total=Decimal(0),
        eligible=False,
        test_passed=False,
        certificate="attendance",
    ),
)

REFUSED_PROFESSION = ("E099", "a dentist's registration")
"""A registration the API refuses: the programme lists no such profession."""


# --------------------------------------------------------------------------- the calls


def local(programme: Programme, clock: str) -> datetime:
    return datetime.fromisoformat(f"{DAY}T{clock}").replace(tzinfo=programme.event.zone)


def plan_calls(programme: Programme, stories: Sequence[Story] = STORIES) -> list[Call]:
    """Every call the platform makes for the stories, in the order it makes them."""
    calls: list[Call] = []
    for story in stories:
        mine = ("events", EVENT, "delegates", story.delegate_id)
        for index, (clock, direction) in enumerate(story.scans):
            at = local(programme, clock)
            body: dict[str, Any] = {
                "scan_id": f"{EVENT}-{story.delegate_id}-scan-{index}",
                "delegate_id": story.delegate_id,
                "station_id": "aula-magna-doors",
                "scanned_at": at.isoformat(),
                "room": HALL,
                "direction": direction.value,
            }
            calls.append(Call(at, "scan", "POST", resource("events", EVENT, "scans"), body, 201))
        for session_id, clock in story.evaluated:
            at = local(programme, clock)
            body = {"submitted_at": at.isoformat(), "answers": {"utilita": 5}}
            path = resource(*mine, "evaluations", session_id)
            calls.append(Call(at, "evaluation", "PUT", path, body, 201))
        for index, attempt in enumerate(story.attempts):
            at = local(programme, attempt.clock)
            body = {
                "attempt_id": f"{EVENT}-{story.delegate_id}-test-{index}",
                "submitted_at": at.isoformat(),
                "answers": dict(attempt.answers),
            }
            path = resource(*mine, "tests", TEST, "attempts")
            calls.append(
                Call(at, "test", "POST", path, body, attempt.expect, attempt.code, attempt.story)
            )
    return sorted(calls, key=lambda call: call.at)


# --------------------------------------------------------------------------- the statements


def statement_lines(story: Story, name: str, statement: Mapping[str, Any]) -> Iterator[str]:
    unit = statement["unit"]
    yield f"  {story.delegate_id}  {name}: {story.told}"
    cart = ", ".join(f"{i['session_id']} {i['status']}" for i in statement["cart"])
    yield f"        cart: {cart}"
    tests = "; ".join(
        f"{t['test_id']} {'passed' if t['passed'] else 'not passed'}, "
        f"{t['attempts_used']} attempt{'s' if t['attempts_used'] != 1 else ''} used"
        for t in statement["tests"]
    )
    yield f"        eligible {str(statement['eligible']).lower()}; test: {tests}"
    conversions = "".join(
        f", {for_print(Decimal(c['credits']))} {c['name']}" for c in statement["conversions"]
    )
    ready = "ready" if statement["certificate_ready"] else "not ready"
    yield f"        total {for_print(Decimal(statement['total']))} {unit}{conversions}; {ready}"


def unexpected_in(story: Story, statement: Mapping[str, Any]) -> list[str]:
    """Where the statement differs from the story's expected end."""
    problems = []
    got = {i["session_id"]: i["status"] for i in statement["cart"]}
    if got != dict(story.expect):
        problems.append(f"{story.delegate_id}'s cart is {got}, not {dict(story.expect)}")
    said = (Decimal(statement["total"]), statement["eligible"], statement["test_passed"])
    if said != (story.total, story.eligible, story.test_passed):
        expected = (story.total, story.eligible, story.test_passed)
        problems.append(f"{story.delegate_id}: (total, eligible, test_passed) {said}, {expected}")
    conversions = {c["name"]: Decimal(c["credits"]) for c in statement["conversions"]}
    if conversions != dict(story.conversions):
        problems.append(f"{story.delegate_id}'s conversions are {conversions}")
    if statement["certificate_ready"] != (story.certificate is not None):
        problems.append(f"{story.delegate_id} certificate_ready {statement['certificate_ready']}")
    return problems


# --------------------------------------------------------------------------- the demo


@dataclass
class ItalianEcm:
    """The third event on a running stack: what the demo prints and what went wrong."""

    client: CmeClient
    api: list[str]
    programme: Programme
    folder: Path
    shown_folder: str
    problems: list[str] = field(default_factory=list)

    def run(self, names: Mapping[str, str]) -> list[str]:
        out("")
        out(f"CNMI 2025, a fictional Italian ECM-style congress ({PROGRAMME}):")
        out("credits for physicians and nurses only, 90 % of each session in the hall, a")
        out("learning test passed with 75 % (2 attempts); AMA credits for physicians only;")
        out("a certificate of attendance for a profession the event is not accredited for")
        if organiser_command(self.api, "load-programme", PROGRAMME) != 0:
            return [f"cme load-programme {PROGRAMME} failed"]
        if organiser_command(self.api, "import-delegates", EVENT, DELEGATES, "--quiet") != 0:
            return [f"cme import-delegates {EVENT} {DELEGATES} failed"]
        self.refused_registration()
        calls = plan_calls(self.programme)
        out("")
        out(f"the platform replays the congress ({len(calls)} requests):")
        result = replay(self.client, calls, self.programme)
        for line in phase_lines(result):
            out(line)
        tests = sum(counts["test"] for counts in result.counts.values())
        out(f"  {'':<16} {tests} test attempts graded by the service")
        out("  refused, as the contract says:")
        for call, answer in result.refused:
            out(f"    {answer:<28} {call.story}")
        self.problems.extend(result.unexpected)
        self.statements(names)
        self.certificates()
        return self.problems

    def refused_registration(self) -> None:
        delegate_id, story = REFUSED_PROFESSION
        path = resource("events", EVENT, "delegates", delegate_id)
        body = {"name": "Sara Greco", "attendance": "in_person", "profession": "dentist"}
        try:
            self.client.request("PUT", path, body=body)
        except ApiError as error:
            out(f"  {error.status} {error.code}: {story} (dentist is not a listed profession)")
            if error.code != "unknown_profession":
                self.problems.append(f"{story}: {error.status} {error.code}")
            return
        self.problems.append(f"{story} was accepted")

    def statements(self, names: Mapping[str, str]) -> None:
        out("")
        out(f"statements (GET .../{EVENT}/delegates/<id>/credits):")
        for story in STORIES:
            path = resource("events", EVENT, "delegates", story.delegate_id, "credits")
            try:
                statement = self.client.get(path).json()
            except ApiError as error:
                self.problems.append(f"statement of {story.delegate_id}: {error}")
                continue
            for line in statement_lines(story, names.get(story.delegate_id, ""), statement):
                out(line)
            self.problems.extend(unexpected_in(story, statement))

    def certificates(self) -> None:
        folder, shown = self.folder / EVENT, f"{self.shown_folder}/{EVENT}"
        pages, report = certify_event(
            self.api, self.client, EVENT, (folder, shown), problems=self.problems
        )
        expected = {s.delegate_id: s.certificate for s in STORIES if s.certificate}
        kinds = {}
        for delegate_id in sorted(p.stem for p in folder.glob("*.pdf")):
            path = resource("events", EVENT, "delegates", delegate_id, "certificate")
            kinds[delegate_id] = self.client.get(path).json()["kind"]
        if kinds != expected:
            self.problems.append(f"certificates {kinds}, expected {expected}")
        out("")
        out(f"in {shown}/:")
        for delegate_id, kind in kinds.items():
            out(f"  {delegate_id}.pdf  a certificate of {kind}, its verify page beside it")
        out(f"  ({pages} <delegate_id>.html)  {report.name}   the organiser's report")
