"""RFC 3339 timestamps in and out: an explicit offset is required, output is UTC to the second."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]

RFC3339 = (
    r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-](?:[01]\d|2[0-3]):[0-5]\d)$"
)
"""RFC 3339 date-time with an explicit offset (as the API and FACTS files take them)."""
_RFC3339 = re.compile(RFC3339)
_FRACTION = re.compile(r"\.(\d+)")


def system_clock() -> datetime:
    return datetime.now(UTC)


def parse_aware(text: str) -> datetime:
    """An RFC 3339 timestamp with an explicit offset. ValueError for anything else: a naive
    time, other ISO 8601 forms (week dates, basic format, `+02`), or an instant outside
    the calendar once in UTC (year 1 or 9999 with an offset)."""
    if not isinstance(text, str) or not _RFC3339.match(text):
        raise ValueError("expected an RFC 3339 timestamp with an explicit UTC offset")
    normal = text.upper()
    fraction = _FRACTION.search(normal)
    if fraction and len(fraction.group(1)) > 6:  # Python keeps microseconds
        normal = normal.replace(fraction.group(0), "." + fraction.group(1)[:6])
    try:
        value = datetime.fromisoformat(normal)
        value.astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        raise ValueError("expected a timestamp inside the calendar") from exc
    return value


def format_utc(value: datetime) -> str:
    """`2025-05-24T06:01:00Z`: UTC, to the second."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
