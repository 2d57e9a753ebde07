"""Roles over real HTTP (`cme serve` with CME_API_KEY and CME_PLATFORM_KEY): every
organiser operation of the served OpenAPI document answers the platform's key 403
`forbidden` and changes nothing; every platform operation takes it; no key is 403
`unauthorized` on both."""

from __future__ import annotations

import json
import re
import urllib.parse
from typing import Any

import pytest

from tests.e2e.fuzz_support import assert_problem
from tests.e2e.served import PLATFORM_KEY, Http
from tests.e2e.test_security import example_body, make_ready, observable_state, path_of

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def document(http: Http) -> dict[str, Any]:
    reply = http.get("/openapi.json", key=None)
    assert reply.status == 200
    return json.loads(reply.data)


@pytest.fixture(scope="module")
def ids(http: Http, event: str) -> dict[str, str]:
    make_ready(http, event, "ROLE-1", "Role Delegate")
    serial = http.post(f"{path_of('ROLE-1', event)}/certificate").body["serial"]
    return {"event_id": event, "delegate_id": "ROLE-1", "session_id": "S03", "serial": serial}


def of_role(document: dict[str, Any], role: str) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
        if operation["x-cme-role"] == role
    ]


def concrete(template: str, ids: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: urllib.parse.quote(ids.get(m[1], "x1")), template)


def test_the_platform_key_is_forbidden_on_every_organiser_operation(
    http: Http, event: str, document: dict[str, Any], ids: dict[str, str]
) -> None:
    before = observable_state(http, event, ids)
    organiser = of_role(document, "organiser")
    assert len(organiser) >= 3
    for method, template, operation in organiser:
        body = example_body(operation, ids)
        reply = http.request(method, concrete(template, ids), body, key=PLATFORM_KEY)
        assert_problem(reply, 403, "forbidden")
        reply = http.request(method, concrete(template, ids), body, key=None)
        assert_problem(reply, 403, "unauthorized")
    assert observable_state(http, event, ids) == before


def test_the_platform_key_acts_on_platform_operations(
    http: Http, event: str, document: dict[str, Any], ids: dict[str, str]
) -> None:
    platform = of_role(document, "platform")
    assert len(platform) >= 12
    reply = http.get(f"{path_of('ROLE-1', event)}/credits", key=PLATFORM_KEY)
    assert reply.status == 200
    assert reply.body["total"] > 0
    reply = http.put(
        path_of("ROLE-2", event),
        {"name": "Platform Registered", "attendance": "online"},
        key=PLATFORM_KEY,
    )
    assert reply.status == 201


def test_two_extensions_at_once_leave_one_of_them_and_both_entries(
    http: Http, event: str, ids: dict[str, str]
) -> None:
    """Two organisers extend the same delegate at the same moment (races over real HTTP,
    several workers): both decisions land with their entries; the one stored is one of
    them; the trail has no entry without its change."""
    from concurrent.futures import ThreadPoolExecutor

    delegate = path_of(ids["delegate_id"], event)
    untils = ["2026-01-15T23:59:59", "2026-02-15T23:59:59"]
    before = len(http.get(f"/events/{event}/audit", key="default").body["entries"])

    def extend(until: str) -> int:
        return http.put(f"{delegate}/extension", {"until": until, "reason": "race"}).status

    with ThreadPoolExecutor(2) as pool:
        statuses = list(pool.map(extend, untils))
    assert statuses == [201, 201]
    entries = http.get(f"/events/{event}/audit").body["entries"]
    assert len(entries) == before + 2
    assert {e["action"] for e in entries[:2]} == {"extension_granted"}
    stored = http.put(f"{delegate}/extension", {"until": untils[0], "reason": "again"})
    assert stored.status in {200, 201}
