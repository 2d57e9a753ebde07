"""The embedded AWS stand-in of `cme serve`: serialised, created from the template, and it
does not keep a copy of the table per write."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from moto.core.model_instances import model_data

from cme_tools.local.resources import create_resources_at
from cme_tools.local.server import EmbeddedMoto
from tests.integration.conftest import CHECKOUT


@pytest.fixture
def moto_server() -> Iterator[str]:
    server = EmbeddedMoto().start()
    try:
        yield server.url
    finally:
        server.stop()


def test_transactions_do_not_pile_up_table_copies(moto_server: str) -> None:
    dynamodb = create_resources_at(
        CHECKOUT.template,
        table_name="leak",
        bucket_name="leak",
        region="eu-west-1",
        endpoint_url=moto_server,
        credentials={"aws_access_key_id": "local", "aws_secret_access_key": "local"},
    ).dynamodb
    for number in range(30):
        item = {"pk": {"S": "EVENT#x"}, "sk": {"S": f"N#{number}"}}
        dynamodb.transact_write_items(TransactItems=[{"Put": {"TableName": "leak", "Item": item}}])
    # moto deep-copies the table for every transaction; the server forgets those copies
    table: Any = model_data["dynamodb"]["Table"]
    assert len(table.instances_tracked) <= 1
    assert dynamodb.scan(TableName="leak")["Count"] == 30


def test_requests_side_by_side_in_one_process_each_keep_their_own(eshg: Any) -> None:
    """The race tests call the handlers from several threads of one process: each request
    must be answered with its own path and body (powertools keeps the current request on
    a class; `in_process.requests_side_by_side` and `Functions.container` give each
    thread its own), as separate Lambda containers would."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    count = 8
    start = threading.Barrier(count)

    def register(n: int) -> Any:
        start.wait()
        body = {"name": f"Delegate {n}", "attendance": "online" if n % 2 else "in_person"}
        return eshg.put(f"/events/eshg2025/delegates/T{n}", body)

    for _round in range(3):
        with ThreadPoolExecutor(count) as pool:
            answers = list(pool.map(register, range(count)))
        assert [(a.body["delegate_id"], a.body["name"]) for a in answers] == [
            (f"T{n}", f"Delegate {n}") for n in range(count)
        ]
