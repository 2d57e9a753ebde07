"""moto's TransactWriteItems with a journal instead of a copy of every table: the local
stack's patch, written to be offered upstream.

moto 5.2.5 (`DynamoDBBackend.transact_write_items`) deep-copies each table a transaction
names once per action, before applying any, so that a cancelled transaction can put the
copies back. A fact of cme-credits is a transaction of three actions on one table: with
1,500 items in it a scan took 117 ms, and an ESHG-sized event (140,000 items) seconds a
scan. Here each action first remembers the one item it is about to touch (a copy of that
item alone, and whether its partition existed), and a cancelled transaction puts those
back, newest first: the cost of a transaction no longer grows with the table.

Everything else is upstream's, line for line: actions are applied in order, each
condition judged against the table as the earlier actions left it (no item may appear
twice, so that is the state before the transaction); a failed condition or an action
that raises is a cancellation reason in the action's place (`None` for the others, the
old item with `ALL_OLD`), and the transaction is rolled back then; a validation error or
a second action on one item rolls back and is raised as it is. One difference: upstream
raises `TransactWriteSingleOpException` (an action with two operations) without rolling
back the actions before it; here every exception leaves the tables as they were, which is
what DynamoDB does.

Stream records the cancelled actions appended are dropped as well (upstream restores the
copied shard). Applied by the local stack only (`cme serve`, the bench), never in the
layer: `install()` patches moto's backend class in this process, and refuses to when
moto's method is not the one this was derived from (then the local stack stays correct,
only slow).
"""

from __future__ import annotations

import copy
import hashlib
import inspect
import logging
from dataclasses import dataclass, field
from typing import Any

_log = logging.getLogger(__name__)

DERIVED_FROM = "moto 5.2.5"
UPSTREAM_SHA256 = "81db2cb7d94e39c90b3a2077e1f4bb41a449c558ef9b1b1e2910fdaa39978ad4"
"""The source of the method this replaces, as in `DERIVED_FROM` (checked by `install`)."""

_patched: dict[str, Any] = {}
"""While installed: "original", moto's own method."""


@dataclass(slots=True)
class _Before:
    """One item as it was before an action of the transaction touched it."""

    table: Any
    hash_key: Any
    range_key: Any
    partition_existed: bool
    item: Any
    """A copy of the item, or None when there was none."""


@dataclass(slots=True)
class Journal:
    """What the actions of one transaction changed, to undo them all."""

    before: list[_Before] = field(default_factory=list)
    streams: dict[int, tuple[Any, int]] = field(default_factory=dict)
    """id(table) -> (its stream shard, how many records it held before)."""

    def remember(self, table: Any, hash_key: Any, range_key: Any) -> None:
        """Before an action on this key: keep the item (and its partition's existence)."""
        shard = table.stream_shard
        if shard is not None and id(table) not in self.streams:
            self.streams[id(table)] = (shard, len(shard.items))
        existed = hash_key in table.items
        if table.has_range_key:
            current = table.items[hash_key].get(range_key) if existed else None
        else:
            current = table.items.get(hash_key)
        self.before.append(_Before(table, hash_key, range_key, existed, copy.deepcopy(current)))

    def undo(self) -> None:
        """Every remembered item back as it was, the last action's first."""
        for entry in reversed(self.before):
            items = entry.table.items
            if not entry.table.has_range_key:
                if entry.item is None:
                    items.pop(entry.hash_key, None)
                else:
                    items[entry.hash_key] = entry.item
                continue
            if entry.item is not None:
                items[entry.hash_key][entry.range_key] = entry.item
                continue
            partition = items.get(entry.hash_key)
            if partition is not None:
                partition.pop(entry.range_key, None)
                if not entry.partition_existed and not partition:
                    del items[entry.hash_key]
        for shard, length in self.streams.values():
            # A shard handed its records to a Lambda event source mapping starts afresh:
            # those were delivered, as upstream's restored copy would not undo either.
            if len(shard.items) >= length:
                del shard.items[length:]
        self.before.clear()
        self.streams.clear()


def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:  # noqa: PLR0912, PLR0915 - upstream's shape, kept for the diff
    """`DynamoDBBackend.transact_write_items`, rolled back by a `Journal`."""
    from moto.dynamodb.comparisons import get_filter_expression
    from moto.dynamodb.exceptions import (
        ConditionalCheckFailed,
        MockValidationException,
        MultipleTransactionsException,
        TooManyTransactionsException,
        TransactionCanceledException,
        TransactWriteSingleOpException,
    )

    if len(transact_items) > 100:
        raise TooManyTransactionsException()
    journal = Journal()
    target_items: set[tuple[str, str]] = set()

    def check_unicity(table_name: str, key: dict[str, Any]) -> None:
        item = (str(table_name), str(dict(sorted(key.items()))))
        if item in target_items:
            raise MultipleTransactionsException()
        target_items.add(item)

    errors: list[tuple[str, str, dict[str, Any]] | tuple[None, None, None]] = []
    try:
        for item in transact_items:
            original_item: dict[str, Any] | None = None
            if len(list(item.keys())) > 1:
                raise TransactWriteSingleOpException
            try:
                op_type, op = next(iter(item.items()))
                if op_type not in {"ConditionCheck", "Put", "Delete", "Update"}:
                    raise ValueError("Unsupported transaction operation")

                table_name = op["TableName"]
                condition_expression = op.get("ConditionExpression")
                expression_attribute_names = op.get("ExpressionAttributeNames")
                expression_attribute_values = op.get("ExpressionAttributeValues")
                return_values_on_condition_check_failure = op.get(
                    "ReturnValuesOnConditionCheckFailure"
                )

                if op_type == "Put":
                    attrs = op["Item"]
                    table = self.get_table(table_name)
                    key = {table.hash_key_attr: attrs[table.hash_key_attr]}
                    if table.range_key_attr is not None:
                        key[table.range_key_attr] = attrs[table.range_key_attr]
                else:
                    key = op["Key"]

                check_unicity(table_name, key)
                table = self.get_table(table_name)
                hash_key, range_key = self.get_keys_value(table, key)
                journal.remember(table, hash_key, range_key)

                current = table.get_item(hash_key, range_key)
                if condition_expression is not None:
                    condition_op = get_filter_expression(
                        condition_expression,
                        expression_attribute_names,
                        expression_attribute_values,
                    )
                    if not condition_op.expr(current):
                        if return_values_on_condition_check_failure == "ALL_OLD" and current:
                            original_item = current.to_json()["Attributes"]
                        raise ConditionalCheckFailed(item=original_item)

                if op_type == "Put":
                    self.put_item(
                        table_name,
                        op["Item"],
                        condition_expression=condition_expression,
                        expression_attribute_names=expression_attribute_names,
                        expression_attribute_values=expression_attribute_values,
                    )
                elif op_type == "Delete":
                    self.delete_item(
                        table_name,
                        key,
                        condition_expression=condition_expression,
                        expression_attribute_names=expression_attribute_names,
                        expression_attribute_values=expression_attribute_values,
                    )
                elif op_type == "Update":
                    self.update_item(
                        table_name,
                        key,
                        update_expression=op["UpdateExpression"],
                        condition_expression=condition_expression,
                        expression_attribute_names=expression_attribute_names,
                        expression_attribute_values=expression_attribute_values,
                    )
                errors.append((None, None, None))
            except (MultipleTransactionsException, MockValidationException):
                raise
            except ConditionalCheckFailed as e:
                errors.append(("ConditionalCheckFailed", str(e.message), original_item))  # type: ignore[arg-type]
            except Exception as e:  # noqa: BLE001 - upstream's: any other failure is a reason
                errors.append((type(e).__name__, str(e), original_item))  # type: ignore[arg-type]
    except BaseException:
        journal.undo()
        raise

    if any(code is not None for code, _, _ in errors):
        journal.undo()
        raise TransactionCanceledException(errors)


def upstream_digest() -> str | None:
    """The sha256 of moto's own method's source (None when moto ships no source)."""
    from moto.dynamodb.models import DynamoDBBackend

    method = _patched.get("original", DynamoDBBackend.transact_write_items)
    try:
        source = inspect.getsource(method)
    except (OSError, TypeError):
        return None
    return hashlib.sha256(source.encode()).hexdigest()


def installed() -> bool:
    return "original" in _patched


def install() -> bool:
    """Patch moto's DynamoDB backend in this process; True when it is (or already was)."""
    from moto.dynamodb.models import DynamoDBBackend

    if installed():
        return True
    if upstream_digest() != UPSTREAM_SHA256:
        _log.warning(
            "moto's transact_write_items is not the one of %s: left unpatched (slow)",
            DERIVED_FROM,
        )
        return False
    _patched["original"] = DynamoDBBackend.transact_write_items
    backend: Any = DynamoDBBackend
    backend.transact_write_items = transact_write_items
    return True


def uninstall() -> None:
    """moto's own method back (for tests that compare the two)."""
    from moto.dynamodb.models import DynamoDBBackend

    if not installed():
        return
    backend: Any = DynamoDBBackend
    backend.transact_write_items = _patched.pop("original")
