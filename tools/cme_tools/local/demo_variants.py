"""ACPM 2025, the second event of `make demo`: the variants of RULES.md at work.

A fictional congress (`programmes/acpm2025.yaml`) that counts the time in the hall from
entry and exit scans (at least 90 % of a session, credit in proportion to the time),
counts views from half a session, and lets the delegate claim, with each evaluation, the
credit that matches their participation. Its seven delegates
(`programmes/acpm2025-delegates.csv`) each live one story, written out below fact by fact
with the statement it must end in: each shows one rule. The demo replays them on the same
local stack as ESHG 2025 (through the organiser's `cme` commands and the platform's API),
prints every statement beside what the delegate did, and issues the certificates into
`out/acpm2025/`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

from cme.amounts import for_print
from cme.facts import DelegateFacts, Direction, Evaluation, Scan, View, ViewKind
from cme.programme import Programme, Session
from cme.rules.evidence import attended, presence
from cme_tools.cli.terminal import out
from cme_tools.client import ApiError, CmeClient, resource
from cme_tools.local.demo import Call, certify_event, organiser_command, phase_lines, replay

EVENT = "acpm2025"
PROGRAMME = "programmes/acpm2025.yaml"
DELEGATES = "programmes/acpm2025-delegates.csv"
MIRAMARE = "Sala Miramare"
WEDNESDAY = "2025-10-08"


# --------------------------------------------------------------------------- the stories


class HallScan(NamedTuple):
    at: str
    """Local time in the event's zone: `2025-10-08T09:20`."""
    room: str
    direction: Direction


class Watch(NamedTuple):
    session_id: str
    kind: ViewKind
    at: str
    seconds: int


class Claim(NamedTuple):
    """An evaluation, with the credit the delegate claims for the session (None: none)."""

    session_id: str
    at: str
    credits: Decimal | None


class Outcome(NamedTuple):
    """A cart item of the statement: its status and amount."""

    status: str
    amount: Decimal


@dataclass(frozen=True, slots=True)
class Story:
    delegate_id: str
    told: str
    """What the delegate did, in a few words."""
    expect: Mapping[str, Outcome]
    total: Decimal
    live: Decimal | None = None
    """The statement's live part, when it is not the total."""
    scans: tuple[HallScan, ...] = ()
    views: tuple[Watch, ...] = ()
    evaluations: tuple[Claim, ...] = ()


@dataclass(frozen=True, slots=True)
class Refusal:
    """An evaluation the API must refuse, sent before the delegate gets it right."""

    delegate_id: str
    claim: Claim
    status: int
    code: str
    story: str


def on_wednesday(clock: str) -> str:
    return f"{WEDNESDAY}T{clock}"


def enters(clock: str, room: str = MIRAMARE) -> HallScan:
    return HallScan(on_wednesday(clock), room, Direction.IN)


def leaves(clock: str, room: str = MIRAMARE) -> HallScan:
    return HallScan(on_wednesday(clock), room, Direction.OUT)


def claims(session_id: str, clock: str, credits: str | None) -> Claim:
    return Claim(session_id, on_wednesday(clock), None if credits is None else Decimal(credits))


def credited(amount: str) -> Outcome:
    return Outcome("credited", Decimal(amount))


NOTHING_FOR = Decimal(0)
NO_EVIDENCE = Outcome("no_evidence", NOTHING_FOR)

STORIES: tuple[Story, ...] = (
    Story(
        "A001",
        "stays all day in the main hall and claims every session in full",
        scans=(enters("08:52"), leaves("13:04"), enters("14:24"), leaves("16:36")),
        evaluations=(
            claims("P01", "11:05", "2"),
            claims("P02", "13:10", "2"),
            claims("P03", "16:40", "2"),
        ),
        expect={"P01": credited("2"), "P02": credited("2"), "P03": credited("2")},
        total=Decimal(6),
    ),
    Story(
        "A002",
        "arrives twenty minutes late: below the 90 % minimum of P01",
        scans=(enters("09:20"), leaves("13:00")),
        evaluations=(claims("P01", "11:05", "2"), claims("P02", "13:05", "2")),
        expect={"P01": NO_EVIDENCE, "P02": credited("2")},
        total=Decimal(2),
    ),
    Story(
        "A003",
        "steps out for a call: credit in proportion to the time, down to 0.25",
        scans=(enters("08:57"), leaves("09:40"), enters("09:46"), leaves("11:00")),
        evaluations=(claims("P01", "11:10", "2"),),
        expect={"P01": credited("1.75")},
        total=Decimal("1.75"),
    ),
    Story(
        "A004",
        "watches from home: a short look at P01, P02 live, F01 on demand",
        views=(
            Watch("P01", ViewKind.LIVE, on_wednesday("09:10"), 25 * 60),
            Watch("P02", ViewKind.LIVE, on_wednesday("11:01"), 115 * 60),
            Watch("F01", ViewKind.ON_DEMAND, "2025-11-12T20:15", 60 * 60),
        ),
        evaluations=(
            claims("P01", "11:30", "2"),
            claims("P02", "13:05", "2"),
            Claim("F01", "2025-11-12T21:30", Decimal(2)),
        ),
        expect={"P01": NO_EVIDENCE, "P02": credited("2"), "F01": credited("2")},
        total=Decimal(4),
        live=Decimal(2),
    ),
    Story(
        "A005",
        "earns all of P01 and claims 1.5 of its 2 credits",
        scans=(enters("08:55"), leaves("13:02")),
        evaluations=(claims("P01", "11:04", "1.5"), claims("P02", "13:07", "2")),
        expect={"P01": credited("1.5"), "P02": credited("2")},
        total=Decimal("3.5"),
    ),
    Story(
        "A006",
        "evaluates P01 without stating a claim",
        scans=(enters("08:55"), leaves("11:03")),
        evaluations=(claims("P01", "11:06", None),),
        expect={"P01": Outcome("not_claimed", NOTHING_FOR)},
        total=Decimal(0),
    ),
    Story(
        "A007",
        "never scans out: presence ends with the session under way",
        scans=(enters("08:58"),),
        evaluations=(claims("P01", "11:08", "2"),),
        expect={"P01": credited("2")},
        total=Decimal(2),
    ),
)

REFUSALS: tuple[Refusal, ...] = (
    Refusal(
        "A005",
        claims("P02", "13:06", "2.5"),
        422,
        "invalid_claim",
        "A005 claims 2.5 for P02, a session of 2 credits",
    ),
)


# --------------------------------------------------------------------------- the facts


def local(programme: Programme, at: str) -> datetime:
    return datetime.fromisoformat(at).replace(tzinfo=programme.event.zone)


def station(room: str) -> str:
    """The scanner at a hall's doors: `sala-miramare-doors`."""
    return room.lower().replace(" ", "-") + "-doors"


def scan_id(story: Story, index: int) -> str:
    return f"{EVENT}-{story.delegate_id}-scan-{index}"


def view_id(story: Story, index: int) -> str:
    return f"{EVENT}-{story.delegate_id}-view-{index}"


def evaluation_body(programme: Programme, claim: Claim) -> dict[str, Any]:
    body: dict[str, Any] = {
        "submitted_at": local(programme, claim.at).isoformat(),
        "answers": {"relevance": 5, "bias": "none perceived"},
    }
    if claim.credits is not None:
        body["claimed_credits"] = claim.credits
    return body


def plan_calls(
    programme: Programme,
    stories: Sequence[Story] = STORIES,
    refusals: Sequence[Refusal] = REFUSALS,
) -> list[Call]:
    """Every call the platform makes for the stories, in the order it makes them."""
    calls: list[Call] = []
    for story in stories:
        mine = ("events", EVENT, "delegates", story.delegate_id)
        for index, scan in enumerate(story.scans):
            at = local(programme, scan.at)
            body: dict[str, str | int] = {
                "scan_id": scan_id(story, index),
                "delegate_id": story.delegate_id,
                "station_id": station(scan.room),
                "scanned_at": at.isoformat(),
                "room": scan.room,
                "direction": scan.direction.value,
            }
            calls.append(Call(at, "scan", "POST", resource("events", EVENT, "scans"), body, 201))
        for index, watch in enumerate(story.views):
            at = local(programme, watch.at)
            body = {
                "view_id": view_id(story, index),
                "session_id": watch.session_id,
                "kind": watch.kind.value,
                "watched_at": at.isoformat(),
                "seconds": watch.seconds,
            }
            calls.append(Call(at, "view", "POST", resource(*mine, "views"), body, 201))
        for claim in story.evaluations:
            path = resource(*mine, "evaluations", claim.session_id)
            at = local(programme, claim.at)
            calls.append(
                Call(at, "evaluation", "PUT", path, evaluation_body(programme, claim), 201)
            )
    for refusal in refusals:
        claim = refusal.claim
        mine = ("events", EVENT, "delegates", refusal.delegate_id)
        calls.append(
            Call(
                local(programme, claim.at),
                "evaluation",
                "PUT",
                resource(*mine, "evaluations", claim.session_id),
                evaluation_body(programme, claim),
                refusal.status,
                refusal.code,
                refusal.story,
            )
        )
    return sorted(calls, key=lambda call: call.at)


def facts_of(programme: Programme, story: Story) -> DelegateFacts:
    """The story as the facts the service records for it (the rules' own types)."""
    scans = tuple(
        Scan(
            scan_id(story, index),
            local(programme, scan.at),
            local(programme, scan.at).date(),
            station(scan.room),
            room=scan.room,
            direction=scan.direction,
        )
        for index, scan in enumerate(story.scans)
    )
    views = tuple(
        View(view_id(story, index), w.session_id, w.kind, local(programme, w.at), w.seconds)
        for index, w in enumerate(story.views)
    )
    evaluations = {
        c.session_id: Evaluation(
            c.session_id,
            local(programme, c.at),
            evaluation_body(programme, c)["answers"],
            c.credits,
        )
        for c in story.evaluations
    }
    return DelegateFacts(
        story.delegate_id,
        scans=scans,
        views=views,
        cart=frozenset(evaluations),
        evaluations=evaluations,
    )


# --------------------------------------------------------------------------- the statements


def what_happened(programme: Programme, story: Story) -> Iterator[str]:
    """The story's facts, as a delegate's day reads: scans by hall, then views."""
    rooms: list[tuple[str, list[str]]] = []
    for scan in story.scans:
        clock = f"{scan.direction.value} {local(programme, scan.at):%H:%M}"
        if rooms and rooms[-1][0] == scan.room:
            rooms[-1][1].append(clock)
        else:
            rooms.append((scan.room, [clock]))
    for room, clocks in rooms:
        yield f"{room}: {', '.join(clocks)}"
    for watch in story.views:
        at = local(programme, watch.at)
        kind = "live" if watch.kind is ViewKind.LIVE else "on demand"
        yield f"{watch.session_id} {kind} from {at:%d %b %H:%M}, {watch.seconds // 60} min"


def participation(programme: Programme, facts: DelegateFacts, session: Session) -> str:
    """How much of the session the delegate was there for: time in its hall (from the
    rules' presence intervals) or minutes watched."""
    length = session.end - session.start
    minutes = length // timedelta(minutes=1)
    intervals = presence(programme, facts.scans).get(session.room, [])
    if intervals:
        present = attended(intervals, session.start, session.end)
        share = present / length
        return f"in the hall {present // timedelta(minutes=1)} of {minutes} min {_percent(share)}"
    seconds = sum(v.seconds or 0 for v in facts.views if v.session_id == session.id)
    if seconds:
        share = seconds / length.total_seconds()
        return f"watched {seconds // 60} of {minutes} min {_percent(share)}"
    return "no evidence"


def _percent(share: float) -> str:
    """Rounded down, as the minimum reads it: 89.9 % is not 90 %."""
    return f"({int(share * 100)} %)"


def statement_lines(
    programme: Programme, story: Story, name: str, statement: Mapping[str, Any]
) -> Iterator[str]:
    facts = facts_of(programme, story)
    claimed = {c.session_id: c.credits for c in story.evaluations}
    unit = statement["unit"]
    yield f"  {story.delegate_id}  {name}: {story.told}"
    for line in what_happened(programme, story):
        yield f"        {line}"
    for item in statement["cart"]:
        session = programme.session(item["session_id"])
        assert session is not None, item
        claim = claimed.get(session.id)
        stated = f"claims {for_print(claim)}" if claim is not None else "no claim"
        yield (
            f"        {session.id:<4} {participation(programme, facts, session):<36} "
            f"{stated:<12} {item['status']:<12} {for_print(Decimal(item['amount'])):>5}"
        )
    total, live = Decimal(statement["total"]), Decimal(statement["live"])
    of_which = f" (live {for_print(live)}, the rest on demand)" if live != total else ""
    yield f"        total {for_print(total)} {unit}{of_which}"


def unexpected_in(story: Story, statement: Mapping[str, Any]) -> list[str]:
    """Where the statement differs from the story's expected end."""
    got = {i["session_id"]: Outcome(i["status"], Decimal(i["amount"])) for i in statement["cart"]}
    problems = []
    if got != dict(story.expect):
        problems.append(f"{story.delegate_id}'s cart is {got}, not {dict(story.expect)}")
    total, live = Decimal(statement["total"]), Decimal(statement["live"])
    if total != story.total:
        problems.append(f"{story.delegate_id} has {total}, not {story.total}")
    expected_live = story.total if story.live is None else story.live
    if live != expected_live:
        problems.append(f"{story.delegate_id} has {live} live, not {expected_live}")
    return problems


# --------------------------------------------------------------------------- the demo


@dataclass
class Variants:
    """The second event on a running stack: what the demo prints and what went wrong."""

    client: CmeClient
    api: list[str]
    programme: Programme
    folder: Path
    shown_folder: str
    problems: list[str] = field(default_factory=list)

    def run(self, names: Mapping[str, str]) -> list[str]:
        out("")
        out(f"ACPM 2025, a fictional congress under the variants ({PROGRAMME}):")
        out("time in the hall from entry and exit scans, at least 90 % of a session, credit")
        out("in proportion; views from half a session; credit claimed with each evaluation")
        if organiser_command(self.api, "load-programme", PROGRAMME) != 0:
            return [f"cme load-programme {PROGRAMME} failed"]
        shown = f"import-delegates {EVENT} {DELEGATES} --quiet"
        if organiser_command(self.api, "import-delegates", EVENT, DELEGATES, "--quiet") != 0:
            return [f"cme {shown} failed"]
        calls = plan_calls(self.programme)
        out("")
        out(f"the platform replays the congress ({len(calls)} requests):")
        result = replay(self.client, calls, self.programme)
        for line in phase_lines(result):
            out(line)
        out("  refused, as the contract says:")
        for call, answer in result.refused:
            out(f"    {answer:<28} {call.story}")
        self.problems.extend(result.unexpected)
        self.statements(names)
        self.certificates()
        return self.problems

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
            name = names.get(story.delegate_id, "")
            for line in statement_lines(self.programme, story, name, statement):
                out(line)
            self.problems.extend(unexpected_in(story, statement))

    def certificates(self) -> None:
        folder, shown = self.folder / EVENT, f"{self.shown_folder}/{EVENT}"
        pages, report = certify_event(
            self.api, self.client, EVENT, (folder, shown), problems=self.problems
        )
        ready = {s.delegate_id for s in STORIES if s.total > 0}
        pdfs = {p.stem for p in folder.glob("*.pdf")}
        if pdfs != ready:
            self.problems.append(f"certificates of {sorted(pdfs)}, expected {sorted(ready)}")
        out("")
        out(f"in {shown}/:")
        out(f"  {len(pdfs)} certificates as <delegate_id>.pdf, each with its verify page beside it")
        out(f"  ({pages} <delegate_id>.html)")
        out(f"  {report.name}   the organiser's report")
