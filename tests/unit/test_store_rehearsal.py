"""The store's rehearsal before a SnapStart snapshot (`DynamoStore.rehearse`): its reads run
once against empty answers and nothing leaves the process; afterwards reads go out again."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import botocore.endpoint
import pytest
from botocore.exceptions import EndpointConnectionError

from cme.errors import Throttled
from cme.settings import reset_settings
from cme.store.repository import DynamoStore


@pytest.fixture
def unreachable_table(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """A store's settings whose table nobody answers for: every request that would leave the
    process is recorded and fails as an unreachable endpoint does."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "rehearsal",
        "AWS_SECRET_ACCESS_KEY": "rehearsal",
        "AWS_REGION": "eu-west-1",
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
        "CME_TABLE_NAME": "cme-rehearsal",
    }.items():
        monkeypatch.setenv(name, value)
    reset_settings()
    DynamoStore.reset_connections()
    sent: list[Any] = []

    def send(self: botocore.endpoint.Endpoint, request: Any) -> Any:
        sent.append(request)
        raise EndpointConnectionError(endpoint_url=request.url)

    monkeypatch.setattr(botocore.endpoint.Endpoint, "_send", send)
    yield sent
    reset_settings()
    DynamoStore.reset_connections()


def test_the_rehearsal_sends_nothing_and_keeps_nothing(unreachable_table: list[Any]) -> None:
    # Given a store whose table cannot be reached
    store = DynamoStore()
    # When it rehearses its reads
    store.rehearse()
    # Then nothing was sent, and no programme is kept from the empty answers
    assert unreachable_table == []
    assert store._programmes == {}


def test_reads_go_out_again_after_the_rehearsal(unreachable_table: list[Any]) -> None:
    # Given a store that has rehearsed
    store = DynamoStore()
    store.rehearse()
    # When it reads a delegate's record, then the request is sent (and fails here)
    with pytest.raises(Throttled):  # the store cannot reach its table: 503, retry later
        store.delegate_record("eshg2025", "D0001")
    assert unreachable_table != []
