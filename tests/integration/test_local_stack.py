"""The embedded AWS stand-in of `cme serve`: serialised, created from the template, and it
does not keep a copy of the table per write."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from moto.core.model_instances import model_data

from cme.local.resources import create_resources
from cme.local.server import EmbeddedMoto


@pytest.fixture
def moto_server() -> Iterator[str]:
    server = EmbeddedMoto().start()
    try:
        yield server.url
    finally:
        server.stop()


def test_transactions_do_not_pile_up_table_copies(moto_server: str) -> None:
    session = boto3.session.Session(
        aws_access_key_id="local", aws_secret_access_key="local", region_name="eu-west-1"
    )
    dynamodb = session.client("dynamodb", endpoint_url=moto_server)
    s3 = session.client("s3", endpoint_url=moto_server)
    create_resources(
        dynamodb=dynamodb, s3=s3, table_name="leak", bucket_name="leak", region="eu-west-1"
    )
    for number in range(30):
        item = {"pk": {"S": "EVENT#x"}, "sk": {"S": f"N#{number}"}}
        dynamodb.transact_write_items(TransactItems=[{"Put": {"TableName": "leak", "Item": item}}])
    # moto deep-copies the table for every transaction; the server forgets those copies
    assert len(model_data["dynamodb"]["Table"].instances_tracked) <= 1
    assert dynamodb.scan(TableName="leak")["Count"] == 30
