"""A Query of moto costs what it reads, not a sort of the whole table.

moto's `Table.query` starts from `Table.all_items()`, which lists and sorts every item of
the table, then keeps the partition's and compares each one's sort key: about a second a
Query once an event holds 140,000 items (one partition), where DynamoDB reads only the
items the key condition names. A delegate's record is one such Query, and a batch of
scans refreshes the report rows of its 125 delegates with one each.

The patch hands moto's own `query` only the candidates: the items of the queried
partition whose sort key satisfies a `begins_with` or `between` condition (string keys,
compared as DynamoDB compares them, by code point, which is UTF-8 byte order). Everything
after (ordering, paging, filters, projections) stays moto's. Other conditions, indexes,
and tables without a sort key go through unchanged. Equivalence with moto's own answer is
tested (`tests/integration/test_moto_query.py`). Installed with `moto_journal` by the local
stack; `uninstall` restores moto.
"""

from __future__ import annotations

import functools
import threading
from typing import Any

_state: dict[str, Any] = {}
_narrowed = threading.local()
"""The candidates of the Query this thread is answering: (table, items)."""

NARROWED = {"BEGINS_WITH", "BETWEEN"}


def _candidates(table: Any, hash_key: Any, comparison: str, bounds: list[Any]) -> list[Any]:
    values = [bound.value for bound in bounds]
    if any(not isinstance(value, str) for value in values):
        return list(_state["all_items"](table))
    partition: dict[Any, Any] = next(
        (items for key, items in table.items.items() if key == hash_key), {}
    )
    if comparison == "BEGINS_WITH":
        (prefix,) = values
        return [item for item in partition.values() if item.range_key.value.startswith(prefix)]
    low, high = values
    return [item for item in partition.values() if low <= item.range_key.value <= high]


def install() -> bool:
    """Patch moto's Table.query (idempotent); False when moto's Table has changed shape."""
    from moto.dynamodb.models.table import Table

    if "query" in _state:
        return True
    if not hasattr(Table, "query") or not hasattr(Table, "all_items"):
        return False
    original, listed = Table.query, Table.all_items
    _state.update(query=original, all_items=listed)

    @functools.wraps(listed)
    def all_items(self: Any) -> Any:
        narrowed = getattr(_narrowed, "table", None)
        return _narrowed.items if narrowed is self else listed(self)

    @functools.wraps(original)
    def query(
        self: Any, hash_key: Any, range_comparison: Any, range_objs: Any, *args: Any, **kw: Any
    ) -> Any:
        index_name = kw.get("index_name", args[4] if len(args) > 4 else None)
        if (
            index_name is not None
            or not self.range_key_attr
            or hash_key is None
            or range_comparison not in NARROWED
        ):
            return original(self, hash_key, range_comparison, range_objs, *args, **kw)
        _narrowed.items = _candidates(self, hash_key, range_comparison, range_objs)
        _narrowed.table = self
        try:
            return original(self, hash_key, range_comparison, range_objs, *args, **kw)
        finally:
            _narrowed.table = _narrowed.items = None

    table: Any = Table
    table.all_items = all_items
    table.query = query
    return True


def uninstall() -> None:
    from moto.dynamodb.models.table import Table

    original = _state.pop("query", None)
    if original is not None:
        table: Any = Table
        table.query = original
        table.all_items = _state.pop("all_items")
