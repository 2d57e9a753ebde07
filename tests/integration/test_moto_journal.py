"""The local stack's patch of moto's TransactWriteItems (`cme_tools.local.moto_journal`):
the same answers and the same tables as moto's own method, transaction for transaction,
without copying a table.

Each scenario is played twice, on a fresh moto with moto's method and with the patch,
and everything observable is compared: each call's outcome (the error code, the
cancellation reasons with their items), every table's items, the partitions moto holds
and the stream records."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import dynamodb_backends

from cme_tools.local import moto_journal
from cme_tools.local.resources import create_resources_at
from tests.integration.conftest import CHECKOUT

REGION = "eu-west-1"
TABLE = "facts"  # the template's table: pk + sk
FLAT = "flat"  # a table with a hash key only
STREAMED = "streamed"  # pk + sk, with a stream


@pytest.fixture(autouse=True)
def unpatched_after() -> Iterator[None]:
    yield
    moto_journal.uninstall()


@pytest.fixture
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(key, "testing")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)


def _key(pk: str, sk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def _item(pk: str, sk: str, **more: str) -> dict[str, Any]:
    return {**_key(pk, sk), **{name: {"S": value} for name, value in more.items()}}


def put(item: dict[str, Any], table: str = TABLE, condition: str | None = None) -> dict[str, Any]:
    action: dict[str, Any] = {"TableName": table, "Item": item}
    if condition:
        action["ConditionExpression"] = condition
    return {"Put": action}


def absent(item: dict[str, Any], table: str = TABLE) -> dict[str, Any]:
    return put(item, table, "attribute_not_exists(pk)")


def check(key: dict[str, Any], condition: str, *, old: bool = False) -> dict[str, Any]:
    action: dict[str, Any] = {"TableName": TABLE, "Key": key, "ConditionExpression": condition}
    if old:
        action["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
    return {"ConditionCheck": action}


def update(key: dict[str, Any], expression: str, values: dict[str, Any]) -> dict[str, Any]:
    return {
        "Update": {
            "TableName": TABLE,
            "Key": key,
            "UpdateExpression": expression,
            "ExpressionAttributeValues": values,
        }
    }


def delete(key: dict[str, Any], table: str = TABLE) -> dict[str, Any]:
    return {"Delete": {"TableName": table, "Key": key}}


class Stand:
    """A fresh moto with the three tables; `transact` answers what a caller would see."""

    def __init__(self) -> None:
        clients = create_resources_at(
            CHECKOUT.template, table_name=TABLE, bucket_name="journal", region=REGION
        )
        self.dynamodb = clients.dynamodb
        self.dynamodb.create_table(
            TableName=FLAT,
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
        )
        self.dynamodb.create_table(
            TableName=STREAMED,
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        )

    def transact(self, *actions: dict[str, Any]) -> Any:
        try:
            self.dynamodb.transact_write_items(TransactItems=list(actions))
        except ClientError as error:
            return error.response["Error"]["Code"], error.response.get("CancellationReasons")
        return "ok"

    def state(self) -> dict[str, Any]:
        """Every table's items, the partitions moto holds, the stream's records."""
        backend = dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION]
        found: dict[str, Any] = {}
        for name in (TABLE, FLAT, STREAMED):
            items = self.dynamodb.scan(TableName=name)["Items"]
            found[name] = sorted(items, key=repr)
            found[f"{name} partitions"] = sorted(str(k) for k in backend.tables[name].items)
        shard = backend.tables[STREAMED].stream_shard
        assert shard is not None
        found["stream"] = [
            (r["eventName"], r["dynamodb"].get("Keys")) for r in (i.to_json() for i in shard.items)
        ]
        return found


Scenario = Callable[[Stand], list[Any]]


def played(scenario: Scenario, *, patched: bool) -> tuple[list[Any], dict[str, Any]]:
    """What the scenario's calls answered, and the stand's state after each."""
    if patched:
        assert moto_journal.install()
    else:
        moto_journal.uninstall()
    with mock_aws():
        stand = Stand()
        outcomes = scenario(stand)
        return outcomes, stand.state()


def seeded(stand: Stand) -> None:
    """Items the scenarios change: A and B in partition P, F1 in the flat table."""
    assert stand.transact(put(_item("P", "A", v="a")), put(_item("P", "B", v="b", n="1"))) == "ok"
    assert stand.transact(put({"pk": {"S": "F1"}, "v": {"S": "f"}}, FLAT)) == "ok"
    assert stand.transact(put(_item("S", "1", v="s"), STREAMED)) == "ok"


def every_kind_cancelled_at_the_end(stand: Stand) -> list[Any]:
    """A put, an update, a delete, then a failed check: nothing of it stays."""
    seeded(stand)
    return [
        stand.transact(
            absent(_item("P", "C", v="c")),
            update(_key("P", "B"), "SET v = :v", {":v": {"S": "changed"}}),
            delete(_key("P", "A")),
            check(_key("P", "missing"), "attribute_exists(pk)"),
        ),
        stand.state(),
    ]


def cancelled_with_the_old_item(stand: Stand) -> list[Any]:
    seeded(stand)
    return [
        stand.transact(
            put(_item("P", "C", v="c")),
            check(_key("P", "A"), "attribute_not_exists(pk)", old=True),
            put(_item("Q", "new", v="q")),
        ),
        stand.state(),
    ]


def two_actions_on_one_item(stand: Stand) -> list[Any]:
    seeded(stand)
    return [stand.transact(put(_item("P", "C")), put(_item("P", "C", v="again"))), stand.state()]


def an_unknown_table(stand: Stand) -> list[Any]:
    seeded(stand)
    return [stand.transact(put(_item("P", "C")), put(_item("P", "D"), "nowhere")), stand.state()]


def an_update_that_fails_while_applied(stand: Stand) -> list[Any]:
    """ADD to a string attribute fails inside moto's update, after the put before it."""
    seeded(stand)
    return [
        stand.transact(
            put(_item("P", "C", v="c")),
            update(_key("P", "A"), "ADD v :n", {":n": {"N": "1"}}),
        ),
        stand.state(),
    ]


def flat_and_streamed_tables(stand: Stand) -> list[Any]:
    seeded(stand)
    return [
        stand.transact(
            put({"pk": {"S": "F2"}}, FLAT),
            delete({"pk": {"S": "F1"}}, FLAT),
            put(_item("S", "2", v="t"), STREAMED),
            delete(_key("S", "1"), STREAMED),
            absent(_item("P", "A")),
        ),
        stand.state(),
        stand.transact(put({"pk": {"S": "F2"}}, FLAT), put(_item("S", "2"), STREAMED)),
        stand.state(),
    ]


def applied(stand: Stand) -> list[Any]:
    seeded(stand)
    return [
        stand.transact(
            absent(_item("P", "C", v="c")),
            update(_key("P", "B"), "SET v = :v", {":v": {"S": "changed"}}),
            delete(_key("P", "A")),
            check(_key("P", "B"), "attribute_exists(pk)"),
        ),
        stand.state(),
    ]


SCENARIOS = [
    every_kind_cancelled_at_the_end,
    cancelled_with_the_old_item,
    two_actions_on_one_item,
    an_unknown_table,
    an_update_that_fails_while_applied,
    flat_and_streamed_tables,
    applied,
]


@pytest.mark.usefixtures("credentials")
@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.__name__)
def test_the_patch_answers_and_leaves_the_tables_as_moto_does(scenario: Scenario) -> None:
    assert played(scenario, patched=True) == played(scenario, patched=False)


@pytest.mark.usefixtures("credentials")
@pytest.mark.parametrize("patched", [False, True], ids=["moto", "patched"])
def test_a_failed_condition_in_item_k_leaves_items_before_it_untouched(patched: bool) -> None:
    def scenario(stand: Stand) -> list[Any]:
        seeded(stand)
        before = stand.state()
        outcome = stand.transact(
            put(_item("P", "A", v="overwritten")),
            update(_key("P", "B"), "SET n = :n", {":n": {"S": "2"}}),
            absent(_item("R", "new")),
            check(_key("P", "gone"), "attribute_exists(pk)"),  # item 4 fails
            put(_item("P", "E")),
        )
        return [before, outcome, stand.state()]

    (before, outcome, after), _ = played(scenario, patched=patched)

    code, reasons = outcome
    assert code == "TransactionCanceledException"
    codes = [r["Code"] for r in reasons]
    assert codes == ["None", "None", "None", "ConditionalCheckFailed", "None"]
    assert after == before  # items, partitions (R was new) and stream records


@pytest.mark.usefixtures("credentials")
def test_cancellation_reasons_carry_the_old_item_when_asked() -> None:
    (outcome, _), _ = played(cancelled_with_the_old_item, patched=True)

    code, reasons = outcome
    assert code == "TransactionCanceledException"
    assert [r["Code"] for r in reasons] == ["None", "ConditionalCheckFailed", "None"]
    assert reasons[1]["Item"] == _item("P", "A", v="a")


@pytest.mark.usefixtures("credentials")
@pytest.mark.parametrize("patched", [False, True], ids=["moto", "patched"])
def test_the_patch_copies_items_not_tables(patched: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    copied: list[str] = []
    deepcopy = copy.deepcopy

    def counting(value: Any, memo: Any = None) -> Any:
        copied.append(type(value).__name__)
        return deepcopy(value, memo)

    def scenario(stand: Stand) -> list[Any]:
        seeded(stand)
        monkeypatch.setattr(copy, "deepcopy", counting)
        outcome = stand.transact(absent(_item("P", "C")), absent(_item("P", "A")))
        monkeypatch.setattr(copy, "deepcopy", deepcopy)
        return [outcome]

    played(scenario, patched=patched)

    assert ("Table" in copied) is not patched


def test_the_patch_installs_on_the_locked_moto() -> None:
    from moto.dynamodb.models import DynamoDBBackend

    original = DynamoDBBackend.transact_write_items
    assert moto_journal.install()
    assert DynamoDBBackend.transact_write_items is moto_journal.transact_write_items
    assert moto_journal.installed()
    moto_journal.uninstall()
    assert DynamoDBBackend.transact_write_items is original
    assert moto_journal.upstream_digest() == moto_journal.UPSTREAM_SHA256
