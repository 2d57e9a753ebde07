"""The programme as the rules read it: immutable, every time a UTC instant, every amount an
exact `Decimal`; built from a document that passed the model and every check
(`build_programme`).

`cme.rules`, `cme.recording` and `cme.issuing` read these types; nothing else builds them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from cme.errors import InvalidProgramme, Problem
from cme.programme.checks import check_programme
from cme.programme.document import repeated_keys
from cme.programme.localtime import (
    SECOND,
    closing,
    describe,
    parse_clock,
    parse_date,
    parse_stated,
    resolve,
)
from cme.programme.model import PostTestDoc, ProgrammeDocument, problems_of, salvage


@dataclass(frozen=True, slots=True)
class Accreditation:
    body: str
    unit: str
    total: Decimal
    statement: str


@dataclass(frozen=True, slots=True)
class Conversion:
    name: str
    ratio: Fraction
    statement: str
    professions: frozenset[str] | None = None
    """The professions it is for; None: everyone."""

    def applies_to(self, profession: str | None) -> bool:
        return self.professions is None or profession in self.professions


@dataclass(frozen=True, slots=True)
class Profession:
    id: str
    name: str


@dataclass(frozen=True, slots=True)
class Question:
    id: str
    text: str
    options: tuple[str, ...]
    answer: int
    """The correct option, 0-based: the key, which never leaves the service."""


@dataclass(frozen=True, slots=True)
class LearningTest:
    """A learning test (RULES.md, "Learning tests") of a session, or of the event
    (`session_id` None)."""

    id: str
    session_id: str | None
    pass_mark: Decimal
    attempts: int
    questions: tuple[Question, ...]
    opens_at: datetime
    """The end of its session; for the event's test, of the last session."""


@dataclass(frozen=True, slots=True)
class Window:
    """A half-open window of instants, `[start, end)`."""

    start: datetime
    end: datetime

    def __contains__(self, instant: datetime) -> bool:
        return self.start <= instant < self.end


@dataclass(frozen=True, slots=True)
class Policy:
    """The programme's variants of RULES.md ("Variants"); the defaults are ESHG 2025."""

    evidence: str = "daily_scan"
    scan_grace: timedelta = timedelta(minutes=15)
    presence_minimum: Decimal = Decimal(0)
    presence_credit: str = "full"
    presence_step: Decimal = Decimal("0.25")
    viewing_minimum: Decimal = Decimal(0)
    claims: str = "earned"
    claim_step: Decimal = Decimal("0.25")

    @property
    def self_claimed(self) -> bool:
        return self.claims == "self_claimed"


@dataclass(frozen=True, slots=True)
class Event:
    id: str
    name: str
    city: str
    country: str
    timezone: str
    zone: ZoneInfo
    accreditation: Accreditation
    conversions: tuple[Conversion, ...]
    statements: tuple[str, ...]
    claim_deadline: datetime
    """The deadline as stated (an instant); `claim_closes_at` is when claims actually close."""
    claim_closes_at: datetime
    """The first instant after the deadline: its last stated second (or minute) counts whole,
    even when a DST fold repeats it."""
    on_demand: Window | None
    policy: Policy
    claim_deadline_unit: timedelta = SECOND
    """The deadline's last stated unit: a second, or a minute (`2025-11-30T23:59`)."""
    professions: tuple[Profession, ...] = ()
    """The professions delegates register with; none listed: any."""
    accredited_professions: frozenset[str] | None = None
    """The professions the accreditation covers; None: everyone."""
    attendance_certificates: bool = False
    post_test: LearningTest | None = None
    """The event's test: it gates the total."""

    def covers(self, profession: str | None) -> bool:
        """Whether the accreditation covers a delegate of this profession."""
        return self.accredited_professions is None or profession in self.accredited_professions

    def profession(self, profession_id: str | None) -> Profession | None:
        return next((p for p in self.professions if p.id == profession_id), None)

    def local_date(self, instant: datetime) -> date:
        return instant.astimezone(self.zone).date()

    def describe(self, instant: datetime, unit: timedelta = SECOND) -> str:
        """An instant as the local time a delegate at the event reads it."""
        return describe(instant, self.zone, unit)

    def describe_deadline(self) -> str:
        """The claim deadline as stated, with the offset of its last occurrence."""
        return self.describe(
            self.claim_closes_at - self.claim_deadline_unit, self.claim_deadline_unit
        )

    def describe_on_demand(self) -> str:
        if self.on_demand is None:
            return "this event has no on-demand period"
        start, end = self.on_demand.start, self.on_demand.end - SECOND
        return f"the on-demand period runs from {self.describe(start)} to {self.describe(end)}"


@dataclass(frozen=True, slots=True)
class Day:
    date: date
    cap: Decimal


@dataclass(frozen=True, slots=True)
class Slot:
    id: str
    date: date
    start: datetime
    end: datetime
    max: Decimal


@dataclass(frozen=True, slots=True)
class Session:
    id: str
    slot_id: str
    date: date
    title: str
    start: datetime
    end: datetime
    credits: Decimal
    accredited: bool
    recorded: bool
    room: str
    order: int
    """Position in the programme's order (start, then id): the rules' tie-break."""
    post_test: LearningTest | None = None
    """The session's test: the session is credited once it is passed."""


@dataclass(frozen=True, slots=True)
class Programme:
    event: Event
    days: tuple[Day, ...]
    slots: tuple[Slot, ...]
    sessions: tuple[Session, ...]
    _days: Mapping[date, Day] = field(init=False, repr=False, compare=False)
    _slots: Mapping[str, Slot] = field(init=False, repr=False, compare=False)
    _sessions: Mapping[str, Session] = field(init=False, repr=False, compare=False)
    _slots_of_day: Mapping[date, tuple[Slot, ...]] = field(init=False, repr=False, compare=False)
    _sessions_of_slot: Mapping[str, tuple[Session, ...]] = field(
        init=False, repr=False, compare=False
    )
    _tests: Mapping[str, LearningTest] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        slots_of_day: dict[date, list[Slot]] = {d.date: [] for d in self.days}
        for slot in self.slots:
            slots_of_day.setdefault(slot.date, []).append(slot)
        sessions_of_slot: dict[str, list[Session]] = {s.id: [] for s in self.slots}
        for session in self.sessions:
            sessions_of_slot.setdefault(session.slot_id, []).append(session)
        object.__setattr__(self, "_days", {d.date: d for d in self.days})
        object.__setattr__(self, "_slots", {s.id: s for s in self.slots})
        object.__setattr__(self, "_sessions", {s.id: s for s in self.sessions})
        object.__setattr__(self, "_slots_of_day", {k: tuple(v) for k, v in slots_of_day.items()})
        object.__setattr__(
            self, "_sessions_of_slot", {k: tuple(v) for k, v in sessions_of_slot.items()}
        )
        tests = [self.event.post_test, *(s.post_test for s in self.sessions)]
        object.__setattr__(self, "_tests", {t.id: t for t in tests if t is not None})

    def day(self, on: date) -> Day | None:
        return self._days.get(on)

    def slot(self, slot_id: str) -> Slot | None:
        return self._slots.get(slot_id)

    def session(self, session_id: str) -> Session | None:
        return self._sessions.get(session_id)

    def slots_of_day(self, on: date) -> tuple[Slot, ...]:
        return self._slots_of_day.get(on, ())

    def sessions_of_slot(self, slot_id: str) -> tuple[Session, ...]:
        return self._sessions_of_slot.get(slot_id, ())

    def test(self, test_id: str) -> LearningTest | None:
        return self._tests.get(test_id)

    @property
    def tests(self) -> tuple[LearningTest, ...]:
        """The event's test first, then the sessions' in programme order."""
        return tuple(self._tests.values())


@dataclass(frozen=True, slots=True)
class LoadedProgramme:
    programme: Programme
    warnings: tuple[Problem, ...]


def build_programme(document: Any) -> LoadedProgramme:
    """Validate a parsed document and build the `Programme`; `InvalidProgramme` names every
    problem at once, in document order (with the warnings found on the way): repeated keys,
    each value the model refuses, and the cross-field rules over what the model could read."""
    problems = repeated_keys(document)
    read: ProgrammeDocument | None
    try:
        read = ProgrammeDocument.model_validate(document)
    except ValidationError as refused:
        problems += problems_of(refused)
        read = salvage(document)
    if read is None:
        raise InvalidProgramme(problems)
    findings = check_programme(read)
    problems += findings.errors
    if problems:
        raise InvalidProgramme(in_document_order(problems), findings.warnings)
    return LoadedProgramme(programme_from(read), tuple(findings.warnings))


_PLACE = re.compile(r"^(?P<part>event|days|slots|sessions)(?:\[(?P<index>\d+)\])?")
_PARTS = ("event", "days", "slots", "sessions")


def in_document_order(problems: Sequence[Problem]) -> list[Problem]:
    """Problems in the order of the parts they are about (the event, then each day, slot
    and session by position); the problems of one part keep the order they were found in."""

    def place(problem: Problem) -> tuple[int, int]:
        match = _PLACE.match(problem.path)
        if match is None:
            return (-1, 0)
        return (_PARTS.index(match["part"]), int(match["index"] or -1))

    return sorted(problems, key=place)


def programme_from(document: ProgrammeDocument) -> Programme:
    """The programme of a document that validated and passed every check (`checks`): local
    times resolved on their own date, defaults filled in, lists in programme order (by
    start, then id)."""
    doc = document.event
    zone = ZoneInfo(doc.timezone)
    deadline = parse_stated(doc.claim_deadline)
    on_demand = None
    if doc.on_demand is not None:
        on_demand = Window(
            resolve(parse_stated(doc.on_demand.start).wall, zone),
            closing(parse_stated(doc.on_demand.end), zone),
        )
    event = Event(
        id=doc.id,
        name=doc.name,
        city=doc.city,
        country=doc.country or "",
        timezone=zone.key,
        zone=zone,
        accreditation=Accreditation(
            doc.accreditation.body,
            doc.accreditation.unit,
            doc.accreditation.total,
            doc.accreditation.statement,
        ),
        conversions=tuple(
            Conversion(c.name, c.ratio, c.statement or "", _ids(c.professions))
            for c in doc.conversions
        ),
        statements=tuple(doc.statements),
        claim_deadline=resolve(deadline.wall, zone),
        claim_closes_at=closing(deadline, zone),
        claim_deadline_unit=deadline.unit,
        on_demand=on_demand,
        policy=Policy(
            evidence=doc.policy.evidence,
            scan_grace=timedelta(minutes=doc.policy.scan_grace_minutes),
            presence_minimum=doc.policy.presence.minimum,
            presence_credit=doc.policy.presence.credit,
            presence_step=doc.policy.presence.step,
            viewing_minimum=doc.policy.viewing.minimum,
            claims=doc.policy.claims,
            claim_step=doc.policy.claim_step,
        ),
        professions=tuple(Profession(p.id, p.name) for p in doc.professions),
        accredited_professions=_ids(doc.accreditation.professions),
        attendance_certificates=doc.attendance_certificates,
    )
    days = sorted((Day(parse_date(d.date), d.cap) for d in document.days), key=lambda d: d.date)
    slots: dict[str, Slot] = {}
    for doc_slot in document.slots:
        on = parse_date(doc_slot.date)
        start, end = _at(on, doc_slot.start, zone), _at(on, doc_slot.end, zone)
        slots[doc_slot.id] = Slot(doc_slot.id, on, start, end, doc_slot.max)
    timed = []
    for doc_session in document.sessions:
        slot = slots[doc_session.slot]
        start = _at(slot.date, doc_session.start, zone) if doc_session.start else slot.start
        timed.append((start, doc_session.id, doc_session, slot))
    timed.sort(key=lambda t: (t[0], t[1]))  # programme order: by start, then id
    sessions = [
        Session(
            id=doc_session.id,
            slot_id=slot.id,
            date=slot.date,
            title=doc_session.title,
            start=start,
            end=_at(slot.date, doc_session.end, zone) if doc_session.end else slot.end,
            credits=slot.max if doc_session.credits is None else doc_session.credits,
            accredited=doc_session.accredited,
            recorded=doc_session.recorded,
            room=doc_session.room or "",
            order=order,
        )
        for order, (start, _, doc_session, slot) in enumerate(timed)
    ]
    tested = {d.id: d.post_test for d in document.sessions if d.post_test is not None}
    if tested:
        sessions = [
            replace(s, post_test=_test(tested[s.id], s.id, s.end)) if s.id in tested else s
            for s in sessions
        ]
    if doc.post_test is not None:
        last_end = max((s.end for s in sessions), default=event.claim_deadline)
        event = replace(event, post_test=_test(doc.post_test, None, last_end))
    return Programme(
        event=event,
        days=tuple(days),
        slots=tuple(sorted(slots.values(), key=lambda s: (s.start, s.id))),
        sessions=tuple(sessions),
    )


def _ids(listed: Sequence[str] | None) -> frozenset[str] | None:
    return None if listed is None else frozenset(listed)


def _test(doc: PostTestDoc, session_id: str | None, opens_at: datetime) -> LearningTest:
    return LearningTest(
        id=doc.id,
        session_id=session_id,
        pass_mark=doc.pass_mark,
        attempts=doc.attempts,
        questions=tuple(Question(q.id, q.text, tuple(q.options), q.answer) for q in doc.questions),
        opens_at=opens_at,
    )


def _at(on: date, clock: str, zone: ZoneInfo) -> datetime:
    return resolve(datetime.combine(on, parse_clock(clock)), zone)
