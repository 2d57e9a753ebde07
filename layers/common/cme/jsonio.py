"""JSON out with exact amounts: `Decimal` leaves as a JSON number (`7.5`), never via float.

The standard library cannot write a Decimal as a number; simplejson's `use_decimal` does,
and it is small, pure-Python-capable and long maintained.
"""

from __future__ import annotations

from collections import Counter
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


class RepeatedKeys(dict[str, Any]):
    """An object read from text that names some keys more than once: the last value of each
    is kept, as JSON parsers do, and `repeated` says which, for a reader that must refuse
    it (the programme: `cme.programme.document.repeated_keys`)."""

    repeated: tuple[str, ...] = ()


def object_from(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """An object from its key-value pairs as read, noting repeated keys (`RepeatedKeys`)."""
    fields = dict(pairs)
    if len(fields) == len(pairs):
        return fields
    noted = RepeatedKeys(fields)
    noted.repeated = tuple(k for k, n in Counter(k for k, _ in pairs).items() if n > 1)
    return noted


def loads(text: str | bytes, *, note_repeats: bool = False) -> Any:
    """JSON in with every non-integer number as an exact `Decimal`; with `note_repeats`, an
    object that repeats a key comes as `RepeatedKeys`."""
    return simplejson.loads(
        text,
        use_decimal=True,
        allow_nan=False,
        object_pairs_hook=object_from if note_repeats else None,
    )
