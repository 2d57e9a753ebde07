"""The programme's cross-field rules: a pure function of the document model that names every
problem (and warning) with its path and code.

CONTRACT.md, "The programme document": validation names every problem at once. The rules
run on whatever the document lets them read: on a salvaged document (`model.salvage`) they
skip only the fields that were refused, and without a known timezone they still compare
the times of one day as the clock reads them (overlaps, a session outside its slot, an end
before a start) and the amounts; what needs the zone (a time the clocks skip, a time that
happens twice, an offset that disagrees) waits for it.
"""

from __future__ import annotations

from collections.abc import Container, Iterable
from datetime import date, datetime, time
from decimal import Decimal
from typing import NamedTuple
from zoneinfo import ZoneInfo

from cme.errors import Problem
from cme.programme.localtime import (
    Stated,
    offset_text,
    parse_clock,
    parse_date,
    parse_stated,
    resolve_checked,
)
from cme.programme.model import EventDoc, OnDemandDoc, PostTestDoc, ProgrammeDocument


class Findings:
    """What the rules found: errors, and warnings that do not stop the programme."""

    __slots__ = ("errors", "warnings")

    def __init__(self) -> None:
        self.errors: list[Problem] = []
        self.warnings: list[Problem] = []

    def error(self, path: str, code: str, detail: str) -> None:
        self.errors.append(Problem(path, code, detail))

    def warn(self, path: str, code: str, detail: str) -> None:
        self.warnings.append(Problem(path, code, detail))


class _Clock:
    """Wall-clock times of the programme as comparable moments: UTC instants when the zone
    is known, the naive wall-clock reading when it is not (all on one clock either way)."""

    __slots__ = ("found", "zone")

    def __init__(self, zone: ZoneInfo | None, found: Findings) -> None:
        self.zone = zone
        self.found = found

    def at(self, wall: datetime, path: str) -> datetime | None:
        zone = self.zone
        if zone is None:
            return wall
        instant, ambiguous = resolve_checked(wall, zone)
        if instant is None:
            self.found.error(
                path,
                "nonexistent_local_time",
                f"{wall:%Y-%m-%d %H:%M} does not exist in {zone.key} (clocks move forward)",
            )
        elif ambiguous:
            self.found.warn(
                path,
                "ambiguous_local_time",
                f"{wall:%Y-%m-%d %H:%M} happens twice in {zone.key}; the first is used",
            )
        return instant

    def stated(self, stated: Stated, path: str) -> datetime | None:
        moment = self.at(stated.wall, path)
        zone = self.zone
        if moment is not None and zone is not None and stated.offset is not None:
            expected = stated.wall.replace(tzinfo=zone).utcoffset()
            if stated.offset != expected:
                self.found.warn(
                    path,
                    "offset_mismatch",
                    f"the stated offset {stated.offset_text} disagrees with {zone.key} on "
                    f"{stated.wall:%Y-%m-%d} (UTC{offset_text(expected)}); the local time "
                    f"in {zone.key} is used",
                )
        return moment


class _TimedSlot(NamedTuple):
    id: str
    date: date
    start: datetime
    end: datetime
    max: Decimal


def check_programme(document: ProgrammeDocument) -> Findings:
    """Every cross-field problem of the document: duplicate ids, references (a slot on an
    unlisted day, a session in an unknown slot), times (a time the clocks skip, an end not
    after its start, overlapping slots of a day, a session outside its slot), credits above
    the slot's maximum, the claim deadline before the last session's end and the on-demand
    window; warnings for times that happen twice and offsets that disagree with the zone."""
    found = Findings()
    event = document.event if document.intact("event") else None
    zone = ZoneInfo(event.timezone) if event is not None and event.intact("timezone") else None
    clock = _Clock(zone, found)
    days = _days(document, found) if document.intact("days") else set()
    # Without readable slots, no session is blamed for naming an unknown one.
    declared, slots = (
        _slots(document, days, clock, found) if document.intact("slots") else (None, {})
    )
    ends = _sessions(document, declared, slots, clock, found) if document.intact("sessions") else []
    if event is not None:
        _deadline(event, ends, clock, found)
        if event.intact("on_demand") and event.on_demand is not None:
            _on_demand(event.on_demand, clock, found)
        _professions(event, found)
    _tests(document, found)
    return found


def _days(document: ProgrammeDocument, found: Findings) -> set[date]:
    """Every date listed, whatever its cap: a slot on a day whose cap is wrong is not blamed
    for being on an unlisted day."""
    listed: set[date] = set()
    for i, day in enumerate(document.days):
        if not day.intact("date"):
            continue
        on = parse_date(day.date)
        if not _again(listed, on, f"days[{i}].date", f"{on} is listed twice", found):
            listed.add(on)
    return listed


def _slots(
    document: ProgrammeDocument, days: set[date], clock: _Clock, found: Findings
) -> tuple[dict[str, str], dict[str, _TimedSlot]]:
    """The slot ids declared (with their paths), valid or not, so that a session in a
    faulty slot is not blamed for the slot's own problem; and the slots whose times hold."""
    declared: dict[str, str] = {}
    timed: dict[str, _TimedSlot] = {}
    for i, slot in enumerate(document.slots):
        path = f"slots[{i}]"
        if slot.intact("id"):
            if _again(declared, slot.id, f"{path}.id", f"slot {slot.id} is defined twice", found):
                continue
            declared[slot.id] = path
        on = parse_date(slot.date) if slot.intact("date") else None
        if on is not None and days and on not in days:
            found.error(f"{path}.date", "slot_on_unlisted_day", f"{on} is not a conference day")
        if on is None or not slot.intact("id", "start", "end", "max"):
            continue
        begins = clock.at(_wall(on, slot.start), f"{path}.start")
        ends = clock.at(_wall(on, slot.end), f"{path}.end")
        if begins is None or ends is None:
            continue
        if ends <= begins:
            found.error(f"{path}.end", "end_not_after_start", "a slot ends after it starts")
            continue
        timed[slot.id] = _TimedSlot(slot.id, on, begins, ends, slot.max)
    _overlaps(timed.values(), declared, found)
    return declared, timed


def _overlaps(slots: Iterable[_TimedSlot], paths: dict[str, str], found: Findings) -> None:
    """Slots of one day never overlap. Each slot is compared with the one that ends last so
    far, not only with its neighbour: 08:00-12:00 overlaps 11:00-11:30 even with 09:00-10:00
    in between."""
    by_day: dict[date, list[_TimedSlot]] = {}
    for slot in slots:
        by_day.setdefault(slot.date, []).append(slot)
    for day_slots in by_day.values():
        day_slots.sort(key=lambda s: (s.start, s.end, s.id))
        last = day_slots[0]
        for later in day_slots[1:]:
            if later.start < last.end:
                found.error(
                    f"{paths[later.id]}.start",
                    "overlapping_slots",
                    f"slot {later.id} overlaps slot {last.id} on {later.date}",
                )
            if later.end > last.end:
                last = later


def _sessions(
    document: ProgrammeDocument,
    declared: dict[str, str] | None,
    slots: dict[str, _TimedSlot],
    clock: _Clock,
    found: Findings,
) -> list[datetime]:
    """Sessions lie inside their slot and give no more than its maximum. Returns the ends
    of the sessions whose times hold."""
    seen: set[str] = set()
    ends: list[datetime] = []
    for i, session in enumerate(document.sessions):
        path = f"sessions[{i}]"
        if session.intact("id"):
            if _again(
                seen, session.id, f"{path}.id", f"session {session.id} is defined twice", found
            ):
                continue
            seen.add(session.id)
        if not session.intact("slot"):
            continue
        if declared is not None and session.slot not in declared:
            found.error(f"{path}.slot", "unknown_slot", f"no slot {session.slot} in this programme")
        slot = slots.get(session.slot)
        if slot is None or not session.intact("start", "end", "credits"):
            continue
        begins = (
            clock.at(_wall(slot.date, session.start), f"{path}.start")
            if session.start
            else slot.start
        )
        ends_at = (
            clock.at(_wall(slot.date, session.end), f"{path}.end") if session.end else slot.end
        )
        if begins is None or ends_at is None:
            continue
        if ends_at <= begins:
            found.error(f"{path}.end", "end_not_after_start", "a session ends after it starts")
            continue
        if begins < slot.start or ends_at > slot.end:
            where = f"{path}.start" if begins < slot.start else f"{path}.end"
            found.error(where, "session_outside_slot", f"outside slot {slot.id}")
            continue
        ends.append(ends_at)
        if session.credits is not None and session.credits > slot.max:
            found.error(
                f"{path}.credits",
                "credits_above_slot_max",
                f"{session.credits} is above slot {slot.id}'s maximum of {slot.max}",
            )
    return ends


def _deadline(event: EventDoc, ends: list[datetime], clock: _Clock, found: Findings) -> None:
    if not event.intact("claim_deadline"):
        return
    deadline = clock.stated(parse_stated(event.claim_deadline), "event.claim_deadline")
    if deadline is not None and ends and deadline < max(ends):
        found.error(
            "event.claim_deadline",
            "deadline_before_last_session",
            "claims would close before the last session ends",
        )


def _on_demand(window: OnDemandDoc, clock: _Clock, found: Findings) -> None:
    if not window.intact("start", "end"):
        return
    start = clock.stated(parse_stated(window.start), "event.on_demand.start")
    end = clock.stated(parse_stated(window.end), "event.on_demand.end")
    if start is None or end is None:
        return
    if end < start:
        found.error(
            "event.on_demand.end", "on_demand_window_inverted", "the window ends before it starts"
        )
    elif end == start:
        found.error(
            "event.on_demand.end",
            "on_demand_window_inverted",
            "the window is empty: it ends when it starts",
        )


def _professions(event: EventDoc, found: Findings) -> None:
    """Profession ids are unique, and the accreditation and conversions name only listed
    ones (RULES.md, "Professions")."""
    if not event.intact("professions"):
        return  # the list itself was refused: nothing to compare with
    listed: set[str] = set()
    for i, profession in enumerate(event.professions):
        path = f"event.professions[{i}].id"
        if profession.intact("id") and not _again(
            listed, profession.id, path, f"{profession.id} is listed twice", found
        ):
            listed.add(profession.id)
    named: list[tuple[str, list[str] | None]] = []
    if event.intact("accreditation") and event.accreditation.intact("professions"):
        named.append(("event.accreditation.professions", event.accreditation.professions))
    if event.intact("conversions"):
        named += [
            (f"event.conversions[{i}].professions", conversion.professions)
            for i, conversion in enumerate(event.conversions)
            if conversion.intact("professions")
        ]
    for path, ids in named:
        _profession_list(path, ids or [], listed, found)


def _profession_list(path: str, ids: list[str], listed: set[str], found: Findings) -> None:
    seen: set[str] = set()
    for j, profession_id in enumerate(ids):
        where = f"{path}[{j}]"
        if _again(seen, profession_id, where, f"{profession_id} is named twice", found):
            continue
        seen.add(profession_id)
        if profession_id not in listed:
            found.error(
                where,
                "unknown_profession",
                f"{profession_id} is not one of event.professions"
                if listed
                else "event.professions lists no professions",
            )


def _tests(document: ProgrammeDocument, found: Findings) -> None:
    """Learning tests: ids unique among the programme's tests, and each test's questions
    (`_questions`)."""
    tests: list[tuple[str, PostTestDoc]] = []
    event = document.event if document.intact("event") else None
    if event is not None and event.intact("post_test") and event.post_test is not None:
        tests.append(("event.post_test", event.post_test))
    if document.intact("sessions"):
        tests += [
            (f"sessions[{i}].post_test", session.post_test)
            for i, session in enumerate(document.sessions)
            if session.intact("post_test") and session.post_test is not None
        ]
    test_ids: set[str] = set()
    for path, test in tests:
        if test.intact("id") and not _again(
            test_ids, test.id, f"{path}.id", f"test {test.id} is defined twice", found
        ):
            test_ids.add(test.id)
        if test.intact("questions"):
            _questions(path, test, found)


def _questions(path: str, test: PostTestDoc, found: Findings) -> None:
    """At least one question, question ids unique in the test, at least two options, the
    answer one of them (0-based)."""
    if not test.questions:
        found.error(f"{path}.questions", "no_questions", "a test has at least one question")
    question_ids: set[str] = set()
    for j, question in enumerate(test.questions):
        where = f"{path}.questions[{j}]"
        if question.intact("id") and not _again(
            question_ids,
            question.id,
            f"{where}.id",
            f"question {question.id} is asked twice",
            found,
        ):
            question_ids.add(question.id)
        if not question.intact("options"):
            continue
        if len(question.options) < 2:
            found.error(
                f"{where}.options", "too_few_options", "a question offers at least two options"
            )
        if question.intact("answer") and question.answer >= len(question.options):
            found.error(
                f"{where}.answer",
                "answer_outside_options",
                f"answer {question.answer} is not one of the {len(question.options)} "
                "options (0-based)",
            )


def _again[K](seen: Container[K], key: K, path: str, detail: str, found: Findings) -> bool:
    """Whether an id (or date) was defined before: then `path` is a duplicate_id."""
    if key in seen:
        found.error(path, "duplicate_id", detail)
        return True
    return False


def _wall(on: date, clock_text: str) -> datetime:
    at: time = parse_clock(clock_text)
    return datetime.combine(on, at)
