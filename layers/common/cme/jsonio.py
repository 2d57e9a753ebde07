"""JSON out with exact amounts: `Decimal` leaves as a JSON number (`7.5`), never via float.

The standard library cannot write a Decimal as a number; simplejson's `use_decimal` does,
and it is small, pure-Python-capable and long maintained.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import simplejson

from cme.timestamps import format_utc


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return format_utc(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, frozenset | set | tuple):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def dumps(value: Any, *, indent: int | None = None) -> str:
    return simplejson.dumps(
        value,
        use_decimal=True,
        ensure_ascii=False,
        default=_default,
        indent=indent,
        separators=None if indent else (",", ":"),
        allow_nan=False,
    )


def loads(text: str | bytes) -> Any:
    """JSON in with every non-integer number as an exact `Decimal`."""
    return simplejson.loads(text, use_decimal=True, allow_nan=False)
