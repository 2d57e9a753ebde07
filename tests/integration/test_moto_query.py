"""The local stack's Query patch (`cme_tools.local.moto_query`) answers exactly what moto
answers, for every kind of key condition the store sends and some it does not: only the
candidates it hands moto change, never the answer."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from cme_tools.local import moto_query

SORT_KEYS = [
    "AUDIT#2025-05-24T08:00:00.000000Z#1",
    "DEL#D1#PROFILE",
    "DEL#D1#SCAN#a",
    "DEL#D1#SCAN#b",
    "DEL#D10#PROFILE",
    "DEL#D2#EVAL#S01",
    "DEL#Zoë#PROFILE",
    "DEL#Ωmega#SCAN#é",
    "PROGRAMME",
    "PROJ#D1",
    "PROJ#D2",
]


@pytest.fixture
def table(aws: dict[str, Any]) -> Iterator[tuple[Any, str]]:
    client, name = aws["dynamodb"], aws["CME_TABLE_NAME"]
    for pk in ("EVENT#a", "EVENT#b", "CERT#X"):
        for sk in SORT_KEYS:
            client.put_item(
                TableName=name, Item={"pk": {"S": pk}, "sk": {"S": sk}, "n": {"N": "1"}}
            )
    yield client, name
    moto_query.uninstall()


CONDITIONS: list[tuple[str, dict[str, Any]]] = [
    ("pk = :p AND begins_with(sk, :s)", {":s": {"S": "DEL#D1#"}}),
    ("pk = :p AND begins_with(sk, :s)", {":s": {"S": "DEL#"}}),
    ("pk = :p AND begins_with(sk, :s)", {":s": {"S": "DEL#Ω"}}),
    ("pk = :p AND begins_with(sk, :s)", {":s": {"S": "nothing"}}),
    ("pk = :p AND sk BETWEEN :a AND :b", {":a": {"S": "DEL#"}, ":b": {"S": "DEL$"}}),
    ("pk = :p AND sk BETWEEN :a AND :b", {":a": {"S": "AUDIT#"}, ":b": {"S": "DEL#D10"}}),
    ("pk = :p AND sk BETWEEN :a AND :b", {":a": {"S": "PROJ#"}, ":b": {"S": "PROJ$"}}),
    ("pk = :p AND sk = :s", {":s": {"S": "PROGRAMME"}}),
    ("pk = :p AND sk > :s", {":s": {"S": "DEL#D2"}}),
    ("pk = :p", {}),
]


def every_page(client: Any, name: str, **query: Any) -> list[list[dict[str, Any]]]:
    pages, start = [], None
    while True:
        answer = client.query(
            TableName=name, **query, **({"ExclusiveStartKey": start} if start else {})
        )
        pages.append(answer["Items"])
        start = answer.get("LastEvaluatedKey")
        if not start:
            return pages


def nonempty(pages: list[list[dict[str, Any]]]) -> list[list[dict[str, Any]]]:
    return [page for page in pages if page]


@pytest.mark.parametrize(("condition", "values"), CONDITIONS)
@pytest.mark.parametrize("forward", [True, False])
def test_the_patched_query_answers_what_moto_answers(
    table: tuple[Any, str], condition: str, values: dict[str, Any], forward: bool
) -> None:
    client, name = table
    query = {
        "KeyConditionExpression": condition,
        "ExpressionAttributeValues": {":p": {"S": "EVENT#a"}, **values},
        "ScanIndexForward": forward,
        "Limit": 3,
    }
    moto_query.uninstall()
    expected = every_page(client, name, **query)
    assert moto_query.install()
    # the same items on the same pages (moto alone may add an empty last page when the
    # limit falls on the last match: it has looked past it, the patch has nothing to look at)
    assert nonempty(every_page(client, name, **query)) == nonempty(expected)
    assert sum(len(page) for page in expected) > 0 or "nothing" in str(values)
