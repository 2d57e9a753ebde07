"""Local times of a programme: the text forms the document uses, and wall-clock times in the
event's zone resolved to instants.

A wall-clock time is resolved on its own date (a DST day has two offsets). One that happens
twice (a fold) resolves to its first occurrence; one that does not exist (a gap) is a
problem of the programme, never silently moved.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import NamedTuple
from zoneinfo import ZoneInfo

SECOND = timedelta(seconds=1)
MINUTE = timedelta(minutes=1)

DATE_REGEX = r"^\d{4}-\d{2}-\d{2}$"
CLOCK_REGEX = r"^\d{2}:\d{2}(?::\d{2})?$"
LOCAL_DATETIME_REGEX = r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2})?(?:Z|[+-]\d{2}:\d{2})?$"
"""A local date-time in the event's zone; a stated UTC offset is checked, never used."""

_DATE = re.compile(DATE_REGEX)
_CLOCK = re.compile(CLOCK_REGEX)
_LOCAL_DATETIME = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})[T ](?P<clock>\d{2}:\d{2}(?::\d{2})?)"
    r"(?P<offset>Z|[+-]\d{2}:\d{2})?$"
)


class Stated(NamedTuple):
    """A local date-time as the document states it."""

    wall: datetime
    """Naive: the wall-clock reading in the event's zone."""
    unit: timedelta
    """The last unit it states (a second, or a minute when the seconds are left out)."""
    offset: timedelta | None
    """The UTC offset written after it, if any."""

    @property
    def offset_text(self) -> str:
        return "" if self.offset is None else offset_text(self.offset)


@lru_cache(maxsize=4096)
def parse_date(text: str) -> date:
    """`2025-05-24`; ValueError otherwise."""
    if not _DATE.fullmatch(text):
        raise ValueError(text)
    return date.fromisoformat(text)


@lru_cache(maxsize=4096)
def parse_clock(text: str) -> time:
    """`08:30` or `08:30:15`; ValueError otherwise (`24:00` included)."""
    if not _CLOCK.fullmatch(text):
        raise ValueError(text)
    return time.fromisoformat(text)


def parse_stated(text: str) -> Stated:
    """`2025-11-30T23:59:59`, `2025-11-30T23:59`, with an offset or not. ValueError when the
    form is wrong; `InvalidPart` when the form is right but its date or time is not one."""
    match = _LOCAL_DATETIME.fullmatch(text)
    if match is None:
        raise ValueError(text)
    try:
        on = parse_date(match["date"])
    except ValueError:
        raise InvalidPart("date") from None
    try:
        at = parse_clock(match["clock"])
    except ValueError:
        raise InvalidPart("time") from None
    offset = None
    if match["offset"]:
        offset = timedelta(0)
        if match["offset"] != "Z":
            sign = -1 if match["offset"][0] == "-" else 1
            hours, minutes = match["offset"][1:].split(":")
            offset = sign * timedelta(hours=int(hours), minutes=int(minutes))
    unit = SECOND if match["clock"].count(":") == 2 else MINUTE
    return Stated(datetime.combine(on, at), unit, offset)


class InvalidPart(ValueError):
    """A local date-time of the right form whose date or time does not exist (`2025-02-30`)."""

    def __init__(self, part: str) -> None:
        super().__init__(part)
        self.part = part


def resolve(wall: datetime, zone: ZoneInfo) -> datetime:
    """The UTC instant of a wall-clock time: its first occurrence when it happens twice."""
    return wall.replace(tzinfo=zone).astimezone(UTC)


def resolve_checked(wall: datetime, zone: ZoneInfo) -> tuple[datetime | None, bool]:
    """`resolve`, or None for a wall-clock time the clocks skip (moving forward); and
    whether it happens twice (the clocks move back over it)."""
    local = wall.replace(tzinfo=zone)
    instant = local.astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) != wall:
        return None, False
    return instant, local.replace(fold=1).utcoffset() != local.utcoffset()


def closing(stated: Stated, zone: ZoneInfo) -> datetime:
    """The first instant after a stated deadline: its last stated unit counts whole, so it is
    the moment the local clock passes `wall + unit` for the last time (RULES.md,
    "Evaluation"). `23:59:59` on a day whose last hour a fold repeats closes at the next
    day's 00:00:00, after the repeated hour; a closing time the clocks skip closes when they
    skip it."""
    after = stated.wall + stated.unit
    return max(resolve(after, zone), after.replace(tzinfo=zone, fold=1).astimezone(UTC))


def offset_text(offset: timedelta | None) -> str:
    minutes = int((offset or timedelta()).total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def describe(instant: datetime, zone: ZoneInfo, unit: timedelta = SECOND) -> str:
    """An instant as a delegate at the event reads it: `2025-11-30 23:59:59 Europe/Rome
    (UTC+01:00)`."""
    wall = instant.astimezone(zone)
    clock = wall.strftime("%H:%M" if unit == MINUTE else "%H:%M:%S")
    return f"{wall:%Y-%m-%d} {clock} {zone.key} (UTC{offset_text(wall.utcoffset())})"
