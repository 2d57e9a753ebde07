"""Roles (CONTRACT.md, "Roles"): the platform's key on every organiser operation is 403
`forbidden`, decided before the body is read; on every platform operation it acts. The
operations come from the served OpenAPI document, so a route added later is covered."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from cme.api import openapi_document
from cme_tools.local.events import PLATFORM_KEY_ID
from cme_tools.local.functions import Functions

pytestmark = pytest.mark.usefixtures("parsed_once")

DOCUMENT = json.loads(openapi_document())
CONTRACT_PLATFORM = {
    ("POST", "/events/{event_id}/scans"),
    ("POST", "/events/{event_id}/scans/batch"),
    ("POST", "/events/{event_id}/delegates/{delegate_id}/views"),
    ("GET", "/events/{event_id}/delegates/{delegate_id}/cart"),
    ("PUT", "/events/{event_id}/delegates/{delegate_id}/cart/{session_id}"),
    ("DELETE", "/events/{event_id}/delegates/{delegate_id}/cart/{session_id}"),
    ("PUT", "/events/{event_id}/delegates/{delegate_id}/evaluations/{session_id}"),
    ("GET", "/events/{event_id}/delegates/{delegate_id}/credits"),
    ("GET", "/events/{event_id}/delegates/{delegate_id}/certificate"),
    ("POST", "/events/{event_id}/delegates/{delegate_id}/certificate"),
    ("GET", "/events/{event_id}"),
    ("PUT", "/events/{event_id}/delegates/{delegate_id}"),
}
"""What the platform may call today (the tests' routes join when they exist)."""


def operations(role: str) -> list[tuple[str, str]]:
    return sorted(
        (method.upper(), path)
        for path, methods in DOCUMENT["paths"].items()
        for method, operation in methods.items()
        if operation["x-cme-role"] == role
    )


def concrete(path: str) -> str:
    ids = {"event_id": "eshg2025", "delegate_id": "D0001", "session_id": "S01"}
    return re.sub(r"\{(\w+)\}", lambda m: ids.get(m[1], "x1"), path)


def test_every_operation_states_its_role_and_the_platform_gets_the_contracts() -> None:
    roles = {
        (method.upper(), path): operation["x-cme-role"]
        for path, methods in DOCUMENT["paths"].items()
        for method, operation in methods.items()
    }
    assert set(roles.values()) <= {"organiser", "platform", "public"}
    platform = {op for op, role in roles.items() if role == "platform"}
    assert platform >= CONTRACT_PLATFORM
    assert {op for op in platform if "/tests/" not in op[1]} == CONTRACT_PLATFORM
    for (method, path), role in roles.items():
        operation = DOCUMENT["paths"][path][method.lower()]
        if role == "organiser":
            assert operation["security"] == [{"apiKey": []}]
            assert "forbidden" in json.dumps(operation["responses"]["403"])
        elif role == "platform":
            assert {"platformKey": []} in operation["security"]


@pytest.mark.parametrize("operation", operations("organiser"), ids=" ".join)
def test_the_platform_key_on_an_organiser_operation_is_forbidden(
    delegate: str, client: Functions, stored_items: Any, operation: tuple[str, str]
) -> None:
    method, path = operation
    before = stored_items()
    # A body that is not even JSON: the role is decided before the body is read.
    answer = client.call(method, concrete(path), raw=b"\xff{", api_key_id=PLATFORM_KEY_ID)
    assert (answer.status, answer.code) == (403, "forbidden")
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert stored_items() == before


@pytest.mark.parametrize("operation", operations("organiser"), ids=" ".join)
def test_an_unknown_key_id_is_no_organiser(eshg: Functions, operation: tuple[str, str]) -> None:
    method, path = operation
    answer = eshg.call(method, concrete(path), raw=b"{}", api_key_id=None)
    assert (answer.status, answer.code) == (403, "forbidden")


def test_the_platform_key_acts_on_platform_operations(eshg: Functions) -> None:
    body = {"name": "Zoë Ångström", "attendance": "online"}
    answer = eshg.put("/events/eshg2025/delegates/D0002", body, api_key_id=PLATFORM_KEY_ID)
    assert answer.status == 201
    assert eshg.get("/events/eshg2025", api_key_id=PLATFORM_KEY_ID).status == 200
    statement = eshg.get("/events/eshg2025/delegates/D0002/credits", api_key_id=PLATFORM_KEY_ID)
    assert statement.status == 200
    assert statement.body["total"] == 0


def test_public_operations_need_no_key(eshg: Functions) -> None:
    assert eshg.get("/openapi.json", api_key_id=None).status == 200
    answer = eshg.get("/certificates/ABCD-EFGH-IJKL-MNOP", api_key_id=None)
    assert (answer.status, answer.code) == (404, "unknown_certificate")
