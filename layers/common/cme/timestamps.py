"""RFC 3339 timestamps in and out: an explicit offset is required, output is UTC to the second."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


def parse_aware(text: str) -> datetime:
    """An RFC 3339 timestamp with an explicit offset; ValueError for a naive one."""
    value = datetime.fromisoformat(text.strip().replace("z", "Z"))
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"timestamp without a UTC offset: {text!r}")
    return value


def format_utc(value: datetime) -> str:
    """`2025-05-24T06:01:00Z`: UTC, to the second."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
