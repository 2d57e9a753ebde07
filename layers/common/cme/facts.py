"""What the service records about one delegate: the facts a credit statement is computed from."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, NamedTuple


class Attendance(StrEnum):
    IN_PERSON = "in_person"
    ONLINE = "online"


class ViewKind(StrEnum):
    LIVE = "live"
    ON_DEMAND = "on_demand"


class Direction(StrEnum):
    """Of a hall scan: entering or leaving the room (`time_in_room`)."""

    IN = "in"
    OUT = "out"


class Delegate(NamedTuple):
    delegate_id: str
    name: str
    attendance: Attendance
    email: str | None = None
    profession: str | None = None


class Scan(NamedTuple):
    """A badge scan at a CME station. `scanned_at` is the device's time; `day` is its local
    date in the event's zone, fixed when the scan was accepted."""

    scan_id: str
    scanned_at: datetime
    day: date
    station_id: str = ""
    room: str | None = None
    """The room the station stands at (`session_scan`, `time_in_room`); None at a CME desk."""
    direction: Direction = Direction.IN


class View(NamedTuple):
    view_id: str
    session_id: str
    kind: ViewKind
    watched_at: datetime
    seconds: int | None = None


class Evaluation(NamedTuple):
    session_id: str
    submitted_at: datetime
    answers: Mapping[str, Any]
    claimed_credits: Decimal | None = None
    """What the delegate claims for the session (`self_claimed`); stored and ignored under
    `earned`."""


class Attempt(NamedTuple):
    """An attempt at a learning test: the option chosen for each question (0-based). The
    answers are personal data: never logged."""

    test_id: str
    attempt_id: str
    submitted_at: datetime
    answers: Mapping[str, int]
    correct: int | None = None
    """How many answers were correct when it was graded: what is left of the attempt once
    its answers are erased (empty `answers`), so the delegate's standing stays."""


@dataclass(frozen=True, slots=True)
class DelegateFacts:
    """Every accepted fact of one delegate. Order never matters: the rules see sets."""

    delegate_id: str
    scans: tuple[Scan, ...] = ()
    views: tuple[View, ...] = ()
    cart: frozenset[str] = field(default_factory=frozenset)
    evaluations: Mapping[str, Evaluation] = field(default_factory=dict)
    profession: str | None = None
    """The delegate's profession (registration data): which credits they may earn."""
    test_attempts: tuple[Attempt, ...] = ()
    grants: frozenset[str] = field(default_factory=frozenset)
    """Sessions the organiser granted evidence for (a scanner failed): RULES.md,
    "Organiser decisions"."""
