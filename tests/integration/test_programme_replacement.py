"""After a programme replacement, what states credits never goes back to the older
programme, wherever the requests land. Two containers are two stores, each with its own
programme cache, over the same table: before, the one that had read the programme before
the replacement kept stating it for a minute, so certificate requests alternated between
the old and the new total, a new serial each time, and could leave the old total as the
valid certificate (issue 10, item 8)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from cme import api
from cme.records import Store
from cme.store.repository import DynamoStore
from tests.integration.conftest import scan_body

pytestmark = pytest.mark.usefixtures("parsed_once")

EVENT = "/events/eshg2025"
BASE = f"{EVENT}/delegates/D0001"

Route = Callable[[Store], None]


@pytest.fixture
def route(client: Any, monkeypatch: pytest.MonkeyPatch) -> Route:
    """Send the next requests to the container of `store`."""

    def to(store: Store) -> None:
        monkeypatch.setattr(api.runtime, "store_factory", lambda: store)

    return to


@pytest.fixture
def ready(delegate: str, eshg: Any) -> Any:
    """D0001 scanned on 24 May and evaluated S01 and S03: 3.0 credits."""
    assert eshg.post(f"{EVENT}/scans", scan_body("c-1", "2025-05-24T08:00:00+02:00")).status == 201
    for session, at in (("S01", "2025-05-24T12:05:00+02:00"), ("S03", "2025-05-24T14:35:00+02:00")):
        answer = eshg.put(f"{BASE}/evaluations/{session}", {"submitted_at": at, "answers": {}})
        assert answer.status == 201, answer.text
    return eshg


def corrected(document: dict[str, Any]) -> dict[str, Any]:
    """The programme with S01 worth 1.0 instead of 1.5: D0001's total becomes 2.5."""
    (s01,) = (s for s in document["sessions"] if s["id"] == "S01")
    s01["credits"] = 1.0
    return document


def test_certificates_requested_through_two_containers_never_go_back(
    ready: Any, store: DynamoStore, route: Route
) -> None:
    a, b = store, DynamoStore()
    route(a)
    first = ready.post(f"{BASE}/certificate")
    route(b)
    assert ready.post(f"{BASE}/certificate").body["serial"] == first.body["serial"]
    assert first.body["total"] == 3.0
    route(a)
    assert ready.put(EVENT, corrected(ready.get(EVENT).body)).status == 200

    answers = []
    for container in (b, a, b, a, a, b):
        route(container)
        answers.append(ready.post(f"{BASE}/certificate"))

    assert [x.status for x in answers] == [201, 200, 200, 200, 200, 200]
    assert {x.body["serial"] for x in answers} == {answers[0].body["serial"]}
    assert {x.body["total"] for x in answers} == {2.5}
    for container in (a, b):
        route(container)
        latest = ready.get(f"{BASE}/certificate").body
        assert (latest["serial"], latest["total"], latest["status"]) == (
            answers[0].body["serial"],
            2.5,
            "valid",
        )
        assert ready.get(f"/certificates/{first.body['serial']}").body["status"] == "superseded"
        report = ready.get(f"{EVENT}/report").body["delegates"]
        assert [(r["total"], r["certificate_status"]) for r in report] == [(2.5, "valid")]


def test_a_statement_states_the_programme_as_replaced_in_any_container(
    ready: Any, store: DynamoStore, route: Route
) -> None:
    a, b = store, DynamoStore()
    for container in (a, b):
        route(container)
        assert ready.get(f"{BASE}/credits").body["total"] == 3.0

    route(a)
    assert ready.put(EVENT, corrected(ready.get(EVENT).body)).status == 200

    for container in (b, a, b):
        route(container)
        assert ready.get(f"{BASE}/credits").body["total"] == 2.5


def test_a_programme_saved_before_its_version_had_an_item_is_read_whole(
    ready: Any, store: DynamoStore, route: Route, aws: dict[str, Any]
) -> None:
    """Tables written before this design hold no version item: the programme itself is
    read strongly instead, until its next replacement writes one."""
    b = DynamoStore()
    route(b)
    assert ready.get(f"{BASE}/credits").body["total"] == 3.0
    route(store)
    assert ready.put(EVENT, corrected(ready.get(EVENT).body)).status == 200
    key = {"pk": {"S": "EVENT#eshg2025"}, "sk": {"S": "PROGRAMME#VERSION"}}
    aws["dynamodb"].delete_item(TableName=aws["CME_TABLE_NAME"], Key=key)

    route(b)
    assert ready.get(f"{BASE}/credits").body["total"] == 2.5
    assert ready.post(f"{BASE}/certificate").body["total"] == 2.5
