"""The programme document: YAML or JSON in, an immutable `Programme` out, every problem named.

Every time in a programme is local to the event's IANA zone. Each local time is resolved on
its own date (a DST day has two offsets) and kept as a UTC instant, so that comparisons and
durations never depend on wall-clock arithmetic. Amounts are read from the document's text,
never through float.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cme.amounts import parse_decimal, parse_ratio
from cme.errors import InvalidProgramme, Problem
from cme.text import ID_PATTERN, ID_RULE, UNPRINTABLE

EVIDENCE_POLICIES = ("daily_scan",)
"""Evidence policies a programme may choose (`policy.evidence`); see `cme.rules.evidence`."""

_LOCAL_DATETIME = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})[T ](?P<h>\d{2}):(?P<m>\d{2})(?::(?P<s>\d{2}))?"
    r"(?P<offset>Z|[+-]\d{2}:\d{2})?$"
)
_CLOCK_TIME = re.compile(r"^(?P<h>\d{2}):(?P<m>\d{2})(?::(?P<s>\d{2}))?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TEXT_LIMIT = 200
_STATEMENT_LIMIT = 2000


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


@dataclass(frozen=True, slots=True)
class Window:
    """A half-open window of instants, `[start, end)`."""

    start: datetime
    end: datetime

    def __contains__(self, instant: datetime) -> bool:
        return self.start <= instant < self.end


@dataclass(frozen=True, slots=True)
class Policy:
    evidence: str = "daily_scan"


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
    """The first instant after the deadline: its last stated second (or minute) counts whole."""
    on_demand: Window | None
    policy: Policy

    def local_date(self, instant: datetime) -> date:
        return instant.astimezone(self.zone).date()


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


@dataclass(frozen=True, slots=True)
class LoadedProgramme:
    programme: Programme
    warnings: tuple[Problem, ...]


# --------------------------------------------------------------------------- loading


def read_document(text: str, *, suffix: str = ".yaml") -> Any:
    """Parse a programme file's text with every scalar kept as text (no float, no sexagesimal).

    PyYAML's default loader would turn `1.5` into a float and `08:30` into 510; its
    BaseLoader keeps every scalar a string, and the builder converts each on purpose.
    """
    if suffix.lower() == ".json":
        return parse_json_document(text)
    import yaml  # only the command line reads YAML; Lambda functions receive JSON

    try:
        return yaml.load(text, Loader=yaml.BaseLoader)  # noqa: S506 - BaseLoader builds no objects
    except yaml.YAMLError as exc:
        raise InvalidProgramme([Problem("", "not_yaml", f"not a YAML document: {exc}")]) from exc


def parse_json_document(text: str | bytes) -> Any:
    """Parse JSON with numbers kept exact (`Decimal`), as the API receives programmes."""
    try:
        return json.loads(text, parse_float=Decimal, parse_constant=_reject_constant)
    except ValueError as exc:
        raise InvalidProgramme([Problem("", "not_json", f"not a JSON document: {exc}")]) from exc


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number")


def load_programme_file(path: str | Path) -> LoadedProgramme:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        code = "not_json" if path.suffix.lower() == ".json" else "not_yaml"
        raise InvalidProgramme(
            [Problem("", code, f"{path.name} is not UTF-8 text: {exc}")]
        ) from exc
    return build_programme(read_document(text, suffix=path.suffix))


def build_programme(document: Any) -> LoadedProgramme:
    """Validate a parsed document and build the `Programme`; `InvalidProgramme` names every
    problem at once (with the warnings found on the way)."""
    builder = _Builder()
    programme = builder.build(document)
    if builder.errors or programme is None:
        raise InvalidProgramme(builder.errors, builder.warnings)
    return LoadedProgramme(programme, tuple(builder.warnings))


class _Builder:
    def __init__(self) -> None:
        self.errors: list[Problem] = []
        self.warnings: list[Problem] = []
        self.declared_slots: set[str] = set()
        """Every slot id the document declares, valid or not: a session in a faulty slot is
        not blamed for the slot's own problem."""
        self.declared_days: set[date] = set()
        """Every date the document lists, whatever its cap: a slot on a day whose cap is
        wrong is not blamed for being on an unlisted day."""
        self.zone: ZoneInfo | None = None
        """The event's zone as soon as it is known, even when another event field is wrong:
        slots and sessions are still checked against it."""

    # -- reporting
    def error(self, path: str, code: str, detail: str) -> None:
        self.errors.append(Problem(path, code, detail))

    def warn(self, path: str, code: str, detail: str) -> None:
        self.warnings.append(Problem(path, code, detail))

    # -- typed readers: each returns None after reporting what is wrong
    def fields(
        self, node: Any, path: str, required: Iterable[str], optional: Iterable[str] = ()
    ) -> dict[str, Any] | None:
        if not isinstance(node, Mapping):
            self.error(path, "invalid_type", "expected a mapping of fields")
            return None
        required, optional = tuple(required), tuple(optional)
        known = set(required) | set(optional)
        for key in node:
            if key not in known:
                self.error(
                    _join(path, str(key)),
                    "unknown_field",
                    f"unknown field {key!r}; expected one of {', '.join(sorted(known))}",
                )
        present = {k: v for k, v in node.items() if k in known and not _is_blank(v)}
        for key in required:
            if key not in present:
                self.error(_join(path, key), "missing", f"{key} is required")
        return present

    def items(self, node: Any, path: str) -> list[Any]:
        if node is None:
            return []
        if not isinstance(node, list):
            self.error(path, "invalid_type", "expected a list")
            return []
        return node

    def text(self, value: Any, path: str, limit: int = _TEXT_LIMIT) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            self.error(path, "invalid_type", "expected text")
            return None
        if len(value) > limit:
            self.error(path, "too_long", f"at most {limit} characters")
            return None
        if UNPRINTABLE.search(value):
            self.error(
                path,
                "unprintable_text",
                "control characters and bidirectional overrides cannot be printed",
            )
            return None
        return value.strip()

    def ident(self, value: Any, path: str) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str) or not ID_PATTERN.match(value):
            self.error(path, "invalid_id", ID_RULE)
            return None
        return value

    def amount(self, value: Any, path: str, *, positive: bool = False) -> Decimal | None:
        if value is None:
            return None
        parsed = self._convert(value, path, _to_decimal, "expected a decimal number like 1.5")
        if parsed is not None and positive and parsed <= 0:
            self.error(path, "not_positive", "must be greater than 0")
            return None
        return parsed

    def ratio(self, value: Any, path: str) -> Fraction | None:
        parsed = self._convert(value, path, _to_ratio, "expected a ratio like 1, 0.5 or 2/3")
        if parsed is not None and parsed <= 0:
            self.error(path, "not_positive", "must be greater than 0")
            return None
        return parsed

    def flag(self, value: Any, path: str, default: bool) -> bool:
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        self.error(path, "invalid_type", "expected true or false")
        return default

    def day(self, value: Any, path: str) -> date | None:
        if value is None:
            return None
        if isinstance(value, str) and _DATE.match(value):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        self.error(path, "invalid_date", "expected a date like 2025-05-24")
        return None

    def clock(self, value: Any, path: str) -> time | None:
        if value is None:
            return None
        match = _CLOCK_TIME.match(value) if isinstance(value, str) else None
        if match:
            try:
                return time(int(match["h"]), int(match["m"]), int(match["s"] or 0))
            except ValueError:
                pass
        self.error(path, "invalid_time", "expected a local time like 08:30")
        return None

    def _convert[T](
        self, value: Any, path: str, convert: Callable[[Any], T], expected: str
    ) -> T | None:
        try:
            return convert(value)
        except (ValueError, TypeError, ArithmeticError):
            self.error(path, "invalid_number", expected)
            return None

    # -- local times in the event's zone
    def instant(self, on: date, at: time, zone: ZoneInfo, path: str) -> datetime | None:
        """The UTC instant of a wall-clock time on a date in the zone, or None (reported)."""
        local = datetime.combine(on, at, tzinfo=zone)
        as_utc = local.astimezone(UTC)
        if as_utc.astimezone(zone).replace(tzinfo=None) != local.replace(tzinfo=None):
            self.error(
                path,
                "nonexistent_local_time",
                f"{on} {at:%H:%M} does not exist in {zone.key} (clocks move forward)",
            )
            return None
        if local.replace(fold=1).utcoffset() != local.utcoffset():
            self.warn(
                path,
                "ambiguous_local_time",
                f"{on} {at:%H:%M} happens twice in {zone.key}; the first is used",
            )
        return as_utc

    def local_datetime(
        self, value: Any, path: str, zone: ZoneInfo | None
    ) -> tuple[datetime, timedelta] | None:
        """A local date-time; returns the instant and the precision it was stated with."""
        if value is None:
            return None
        match = _LOCAL_DATETIME.match(value) if isinstance(value, str) else None
        if not match:
            self.error(path, "invalid_datetime", "expected a local time like 2025-11-30T23:59:59")
            return None
        on = self.day(match["date"], path)
        at = self.clock(f"{match['h']}:{match['m']}:{match['s'] or '00'}", path)
        if on is None or at is None or zone is None:
            return None
        instant = self.instant(on, at, zone, path)
        if instant is None:
            return None
        if match["offset"]:
            stated = datetime.fromisoformat(f"{match['date']}T{at:%H:%M:%S}{match['offset']}")
            expected = datetime.combine(on, at, tzinfo=zone).utcoffset()
            if stated.utcoffset() != expected:
                self.warn(
                    path,
                    "offset_mismatch",
                    f"the stated offset {match['offset']} disagrees with {zone.key} on {on} "
                    f"(UTC{_offset_text(expected)}); the local time in {zone.key} is used",
                )
        precision = timedelta(seconds=1) if match["s"] else timedelta(minutes=1)
        return instant, precision

    # -- the document
    def build(self, document: Any) -> Programme | None:
        top = self.fields(document, "", ("event", "days", "slots", "sessions"))
        if top is None:
            return None
        event = self.event(top.get("event"))
        zone = self.zone
        days = self.days(top.get("days"))
        slots = self.slots(top.get("slots"), zone)
        sessions = self.sessions(top.get("sessions"), zone, slots)
        if event is None:
            return None
        self.check_deadline(event, sessions)
        slot_list = sorted(slots.values(), key=lambda s: (s.start, s.id))
        ordered = sorted(sessions, key=lambda s: (s.start, s.id))
        return Programme(
            event=event,
            days=tuple(sorted(days.values(), key=lambda d: d.date)),
            slots=tuple(slot_list),
            sessions=tuple(replace(s, order=i) for i, s in enumerate(ordered)),
        )

    def event(self, node: Any) -> Event | None:
        required = ("id", "name", "city", "timezone", "accreditation", "claim_deadline")
        optional = ("country", "conversions", "statements", "on_demand", "policy")
        found = self.fields(node, "event", required, optional)
        if found is None:
            return None
        zone = self.zone = self.timezone(found.get("timezone"))
        accreditation = self.accreditation(found.get("accreditation"))
        conversions = tuple(
            c
            for i, node in enumerate(self.items(found.get("conversions"), "event.conversions"))
            if (c := self.conversion(node, f"event.conversions[{i}]")) is not None
        )
        statements = tuple(
            s
            for i, text in enumerate(self.items(found.get("statements"), "event.statements"))
            if (s := self.text(text, f"event.statements[{i}]", _STATEMENT_LIMIT)) is not None
        )
        deadline = self.local_datetime(found.get("claim_deadline"), "event.claim_deadline", zone)
        on_demand = self.on_demand(found.get("on_demand"), zone)
        policy = self.policy(found.get("policy"))
        event_id = self.ident(found.get("id"), "event.id")
        name = self.text(found.get("name"), "event.name")
        city = self.text(found.get("city"), "event.city")
        country = self.text(found.get("country"), "event.country") or ""
        if None in (event_id, name, city, zone, accreditation, deadline):
            return None
        assert event_id and name and city and zone and accreditation and deadline
        return Event(
            id=event_id,
            name=name,
            city=city,
            country=country,
            timezone=zone.key,
            zone=zone,
            accreditation=accreditation,
            conversions=conversions,
            statements=statements,
            claim_deadline=deadline[0],
            claim_closes_at=deadline[0] + deadline[1],
            on_demand=on_demand,
            policy=policy,
        )

    def timezone(self, value: Any) -> ZoneInfo | None:
        if value is None:
            return None
        try:
            if not isinstance(value, str) or not value or value.startswith(("/", ".")):
                raise ValueError(value)
            return ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            self.error("event.timezone", "unknown_timezone", f"{value!r} is not an IANA time zone")
            return None

    def accreditation(self, node: Any) -> Accreditation | None:
        path = "event.accreditation"
        found = self.fields(node, path, ("body", "unit", "total", "statement"))
        if found is None:
            return None
        body = self.text(found.get("body"), f"{path}.body")
        unit = self.text(found.get("unit"), f"{path}.unit")
        total = self.amount(found.get("total"), f"{path}.total", positive=True)
        statement = self.text(found.get("statement"), f"{path}.statement", _STATEMENT_LIMIT)
        if body is None or unit is None or total is None or statement is None:
            return None
        return Accreditation(body, unit, total, statement)

    def conversion(self, node: Any, path: str) -> Conversion | None:
        found = self.fields(node, path, ("name", "ratio"), ("statement",))
        if found is None:
            return None
        name = self.text(found.get("name"), f"{path}.name")
        ratio = self.ratio(found.get("ratio"), f"{path}.ratio") if "ratio" in found else None
        statement = self.text(found.get("statement"), f"{path}.statement", _STATEMENT_LIMIT)
        if name is None or ratio is None:
            return None
        return Conversion(name, ratio, statement or "")

    def on_demand(self, node: Any, zone: ZoneInfo | None) -> Window | None:
        if node is None:
            return None
        path = "event.on_demand"
        found = self.fields(node, path, ("start", "end"))
        if found is None:
            return None
        start = self.local_datetime(found.get("start"), f"{path}.start", zone)
        end = self.local_datetime(found.get("end"), f"{path}.end", zone)
        if start is None or end is None:
            return None
        if end[0] <= start[0]:
            self.error(
                f"{path}.end", "on_demand_window_inverted", "the window ends before it starts"
            )
            return None
        return Window(start[0], end[0] + end[1])

    def policy(self, node: Any) -> Policy:
        if node is None:
            return Policy()
        found = self.fields(node, "event.policy", (), ("evidence",))
        evidence = (found or {}).get("evidence", "daily_scan")
        if evidence not in EVIDENCE_POLICIES:
            self.error(
                "event.policy.evidence",
                "unknown_policy",
                f"{evidence!r} is not an evidence policy; known: {', '.join(EVIDENCE_POLICIES)}",
            )
        return Policy(evidence=str(evidence))

    def days(self, node: Any) -> dict[date, Day]:
        days: dict[date, Day] = {}
        nodes = self.items(node, "days")
        if not nodes:
            self.error("days", "missing", "a programme lists at least one conference day")
        for i, item in enumerate(nodes):
            path = f"days[{i}]"
            found = self.fields(item, path, ("date", "cap"))
            if found is None:
                continue
            on = self.day(found.get("date"), f"{path}.date")
            cap = self.amount(found.get("cap"), f"{path}.cap", positive=True)
            if on is not None and on in self.declared_days:
                self.error(f"{path}.date", "duplicate_id", f"{on} is listed twice")
            elif on is not None:
                self.declared_days.add(on)
                if cap is not None:
                    days[on] = Day(on, cap)
        return days

    def slots(self, node: Any, zone: ZoneInfo | None) -> dict[str, Slot]:
        slots: dict[str, Slot] = {}
        paths: dict[str, str] = {}
        for i, item in enumerate(self.items(node, "slots")):
            path = f"slots[{i}]"
            found = self.fields(item, path, ("id", "date", "start", "end", "max"))
            if found is None:
                continue
            slot_id = self.ident(found.get("id"), f"{path}.id")
            on = self.day(found.get("date"), f"{path}.date")
            start = self.clock(found.get("start"), f"{path}.start")
            end = self.clock(found.get("end"), f"{path}.end")
            most = self.amount(found.get("max"), f"{path}.max", positive=True)
            if slot_id is not None:
                if slot_id in self.declared_slots:
                    self.error(f"{path}.id", "duplicate_id", f"slot {slot_id} is defined twice")
                    continue
                self.declared_slots.add(slot_id)
            if on is not None and self.declared_days and on not in self.declared_days:
                self.error(f"{path}.date", "slot_on_unlisted_day", f"{on} is not a conference day")
            if None in (slot_id, on, start, end, most, zone):
                continue
            assert slot_id and on and start and end and most and zone
            begins = self.instant(on, start, zone, f"{path}.start")
            ends = self.instant(on, end, zone, f"{path}.end")
            if begins is None or ends is None:
                continue
            if ends <= begins:
                self.error(f"{path}.end", "end_not_after_start", "a slot ends after it starts")
                continue
            slots[slot_id] = Slot(slot_id, on, begins, ends, most)
            paths[slot_id] = path
        self.check_overlaps(slots, paths)
        return slots

    def check_overlaps(self, slots: Mapping[str, Slot], paths: Mapping[str, str]) -> None:
        """Slots of one day never overlap. Each slot is compared with the one that ends last
        so far, not only with its neighbour: 08:00-12:00 overlaps 11:00-11:30 even with
        09:00-10:00 in between."""
        by_day: dict[date, list[Slot]] = {}
        for slot in slots.values():
            by_day.setdefault(slot.date, []).append(slot)
        for day_slots in by_day.values():
            day_slots.sort(key=lambda s: (s.start, s.end, s.id))
            last = day_slots[0]
            for later in day_slots[1:]:
                if later.start < last.end:
                    self.error(
                        f"{paths[later.id]}.start",
                        "overlapping_slots",
                        f"slot {later.id} overlaps slot {last.id} on {later.date}",
                    )
                if later.end > last.end:
                    last = later

    def sessions(
        self, node: Any, zone: ZoneInfo | None, slots: Mapping[str, Slot]
    ) -> list[Session]:
        sessions: list[Session] = []
        seen: set[str] = set()
        required = ("id", "slot", "title")
        optional = ("start", "end", "credits", "accredited", "recorded", "room")
        for i, item in enumerate(self.items(node, "sessions")):
            path = f"sessions[{i}]"
            found = self.fields(item, path, required, optional)
            if found is None:
                continue
            session_id = self.ident(found.get("id"), f"{path}.id")
            slot_id = self.ident(found.get("slot"), f"{path}.slot")
            title = self.text(found.get("title"), f"{path}.title", 500)
            room = self.text(found.get("room"), f"{path}.room") or ""
            start = self.clock(found.get("start"), f"{path}.start")
            end = self.clock(found.get("end"), f"{path}.end")
            credits = self.amount(found.get("credits"), f"{path}.credits", positive=True)
            accredited = self.flag(found.get("accredited"), f"{path}.accredited", True)
            recorded = self.flag(found.get("recorded"), f"{path}.recorded", False)
            if session_id is not None:
                if session_id in seen:
                    self.error(
                        f"{path}.id", "duplicate_id", f"session {session_id} is defined twice"
                    )
                    continue
                seen.add(session_id)
            slot = slots.get(slot_id) if slot_id else None
            if slot_id is not None and slot_id not in self.declared_slots:
                self.error(f"{path}.slot", "unknown_slot", f"no slot {slot_id} in this programme")
            if session_id is None or title is None or slot is None or zone is None:
                continue
            if any(
                key in found and value is None
                for key, value in (("start", start), ("end", end), ("credits", credits))
            ):
                continue
            begins = self.instant(slot.date, start, zone, f"{path}.start") if start else slot.start
            ends = self.instant(slot.date, end, zone, f"{path}.end") if end else slot.end
            if begins is None or ends is None:
                continue
            if ends <= begins:
                self.error(f"{path}.end", "end_not_after_start", "a session ends after it starts")
                continue
            if begins < slot.start or ends > slot.end:
                where = f"{path}.start" if begins < slot.start else f"{path}.end"
                self.error(where, "session_outside_slot", f"outside slot {slot.id}")
                continue
            if credits is None:
                credits = slot.max
            elif credits > slot.max:
                self.error(
                    f"{path}.credits",
                    "credits_above_slot_max",
                    f"{credits} is above slot {slot.id}'s maximum of {slot.max}",
                )
                continue
            sessions.append(
                Session(
                    id=session_id,
                    slot_id=slot.id,
                    date=slot.date,
                    title=title,
                    start=begins,
                    end=ends,
                    credits=credits,
                    accredited=accredited,
                    recorded=recorded,
                    room=room,
                    order=0,
                )
            )
        return sessions

    def check_deadline(self, event: Event, sessions: list[Session]) -> None:
        if sessions:
            last_end = max(s.end for s in sessions)
            if event.claim_deadline < last_end:
                self.error(
                    "event.claim_deadline",
                    "deadline_before_last_session",
                    "claims would close before the last session ends",
                )


def _to_decimal(value: Any) -> Decimal:
    if isinstance(value, bool | float):
        raise TypeError("binary floating point is not an exact amount")
    return parse_decimal(str(value) if isinstance(value, Decimal | int) else value)


def _to_ratio(value: Any) -> Fraction:
    if isinstance(value, bool | float):
        raise TypeError("binary floating point is not an exact ratio")
    return parse_ratio(str(value))


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() in ("", "~", "null"))


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _offset_text(offset: timedelta | None) -> str:
    minutes = int((offset or timedelta()).total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


# --------------------------------------------------------------------------- writing


def programme_document(programme: Programme) -> dict[str, Any]:
    """The canonical document of a programme (defaults filled in, lists in programme order):
    what the API stores and returns, and what `build_programme` reads back unchanged."""
    event = programme.event
    zone = event.zone

    def local(instant: datetime) -> str:
        return instant.astimezone(zone).strftime("%Y-%m-%dT%H:%M:%S")

    def clock(instant: datetime) -> str:
        wall = instant.astimezone(zone)
        return wall.strftime("%H:%M:%S" if wall.second else "%H:%M")

    def closing(window_end: datetime) -> str:
        # A window ends just after its last stated second (or minute), which counts whole:
        # stating that last second again reads back as the same window.
        return local(window_end - timedelta(seconds=1))

    def deadline() -> str:
        # The deadline is kept as stated (with its precision), so it is written the same way.
        if event.claim_closes_at - event.claim_deadline == timedelta(minutes=1):
            return event.claim_deadline.astimezone(zone).strftime("%Y-%m-%dT%H:%M")
        return closing(event.claim_closes_at)

    document: dict[str, Any] = {
        "event": {
            "id": event.id,
            "name": event.name,
            "city": event.city,
            "country": event.country,
            "timezone": event.timezone,
            "accreditation": {
                "body": event.accreditation.body,
                "unit": event.accreditation.unit,
                "total": event.accreditation.total,
                "statement": event.accreditation.statement,
            },
            "conversions": [
                {"name": c.name, "ratio": _ratio_text(c.ratio), "statement": c.statement}
                for c in event.conversions
            ],
            "statements": list(event.statements),
            "claim_deadline": deadline(),
            "policy": {"evidence": event.policy.evidence},
        },
        "days": [{"date": d.date.isoformat(), "cap": d.cap} for d in programme.days],
        "slots": [
            {
                "id": s.id,
                "date": s.date.isoformat(),
                "start": clock(s.start),
                "end": clock(s.end),
                "max": s.max,
            }
            for s in programme.slots
        ],
        "sessions": [
            {
                "id": s.id,
                "slot": s.slot_id,
                "title": s.title,
                "start": clock(s.start),
                "end": clock(s.end),
                "credits": s.credits,
                "accredited": s.accredited,
                "recorded": s.recorded,
                **({"room": s.room} if s.room else {}),
            }
            for s in programme.sessions
        ],
    }
    if event.on_demand is not None:
        document["event"]["on_demand"] = {
            "start": local(event.on_demand.start),
            "end": closing(event.on_demand.end),
        }
    return document


def _ratio_text(ratio: Fraction) -> str:
    if ratio.denominator == 1:
        return str(ratio.numerator)
    decimal = Decimal(ratio.numerator) / Decimal(ratio.denominator)
    return str(decimal) if Fraction(decimal) == ratio else f"{ratio.numerator}/{ratio.denominator}"
