"""The OpenAPI document shipped in the layer is the one the functions generate, and it
agrees with the contract's routes."""

from __future__ import annotations

import json
from typing import Any

from cme.api import openapi_document as served_document
from cme.api import problem_codes
from cme_tools.local.checkout import Checkout
from cme_tools.openapi import generate

CONTRACT_ROUTES = {
    ("put", "/events/{event_id}"),
    ("get", "/events/{event_id}"),
    ("put", "/events/{event_id}/delegates/{delegate_id}"),
    ("get", "/events/{event_id}/report"),
    ("get", "/events/{event_id}/dashboard"),
    ("post", "/events/{event_id}/scans"),
    ("post", "/events/{event_id}/scans/batch"),
    ("post", "/events/{event_id}/delegates/{delegate_id}/views"),
    ("put", "/events/{event_id}/delegates/{delegate_id}/cart/{session_id}"),
    ("delete", "/events/{event_id}/delegates/{delegate_id}/cart/{session_id}"),
    ("get", "/events/{event_id}/delegates/{delegate_id}/cart"),
    ("put", "/events/{event_id}/delegates/{delegate_id}/evaluations/{session_id}"),
    ("get", "/events/{event_id}/delegates/{delegate_id}/credits"),
    ("post", "/events/{event_id}/delegates/{delegate_id}/certificate"),
    ("get", "/events/{event_id}/delegates/{delegate_id}/certificate"),
    ("post", "/certificates/{serial}/revoke"),
    ("get", "/certificates/{serial}"),
    ("get", "/openapi.json"),
    # Variants: learning tests
    ("get", "/events/{event_id}/tests/{test_id}"),
    ("post", "/events/{event_id}/delegates/{delegate_id}/tests/{test_id}/attempts"),
    # Organiser decisions (issue 13)
    ("put", "/events/{event_id}/delegates/{delegate_id}/extension"),
    ("delete", "/events/{event_id}/delegates/{delegate_id}/extension"),
    ("put", "/events/{event_id}/delegates/{delegate_id}/grants/{session_id}"),
    ("delete", "/events/{event_id}/delegates/{delegate_id}/grants/{session_id}"),
    ("get", "/events/{event_id}/audit"),
    ("get", "/events/{event_id}/register"),
    ("delete", "/events/{event_id}/delegates/{delegate_id}/revocation"),
    # Beyond the contract, additive: the report of any size as one file (issue 14)
    ("post", "/events/{event_id}/report/exports"),
    ("get", "/events/{event_id}/report/exports/{export_id}"),
    # Privacy (issue 13): a delegate's export and erasure
    ("get", "/events/{event_id}/delegates/{delegate_id}/export"),
    ("delete", "/events/{event_id}/delegates/{delegate_id}"),
}


def test_shipped_document_is_freshly_generated() -> None:
    # Given the document the organiser function serves
    shipped = json.loads(served_document())
    # Then it is what the functions generate now (run `make openapi` after changing a route)
    assert shipped == json.loads(json.dumps(generate(Checkout.find()), sort_keys=True))


def test_document_has_exactly_the_contract_routes() -> None:
    document = json.loads(served_document())
    routes = {(m, p) for p, ops in document["paths"].items() for m in ops}
    assert routes == CONTRACT_ROUTES


def test_only_verification_and_the_document_itself_are_public() -> None:
    document = json.loads(served_document())
    public = {
        (m, p)
        for p, ops in document["paths"].items()
        for m, op in ops.items()
        if op.get("security") == []
    }
    assert public == {("get", "/certificates/{serial}"), ("get", "/openapi.json")}
    assert document["security"] == [{"apiKey": []}]
    scheme = document["components"]["securitySchemes"]["apiKey"]
    assert (scheme["in"], scheme["name"]) == ("header", "x-api-key")


def test_every_error_answer_is_problem_json() -> None:
    document = json.loads(served_document())
    for operations in document["paths"].values():
        for operation in operations.values():
            for status, response in operation["responses"].items():
                if status.startswith(("4", "5")):
                    assert list(response["content"]) == ["application/problem+json"]


def test_the_programme_is_typed_in_and_out() -> None:
    """The programme `PUT` body and the `GET` answer are the programme document's schema
    (so generated clients get types), not an untyped object."""
    document = json.loads(served_document())
    schemas = document["components"]["schemas"]
    operations = document["paths"]["/events/{event_id}"]
    body = operations["put"]["requestBody"]["content"]["application/json"]["schema"]
    answer = operations["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert body == answer == {"$ref": "#/components/schemas/ProgrammeDocument"}

    programme = schemas["ProgrammeDocument"]
    assert programme["additionalProperties"] is False
    assert set(programme["required"]) == {"event", "days", "slots", "sessions"}
    session = schemas["SessionDoc"]
    assert set(session["required"]) == {"id", "slot", "title"}
    assert session["properties"]["id"]["pattern"] == "^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$"
    evidence = schemas["PolicyDoc"]["properties"]["evidence"]  # optional: it may be null
    [allowed] = [choice for choice in evidence["anyOf"] if choice != {"type": "null"}]
    assert allowed.get("enum", [allowed.get("const")]) == [
        "daily_scan",
        "session_scan",
        "time_in_room",
    ]
    event = schemas["EventDoc"]["properties"]
    assert event["claim_deadline"]["pattern"].startswith("^")
    assert event["name"]["maxLength"] == 200


def codes(document: dict[str, Any], method: str, path: str, status: str) -> set[str]:
    return set(problem_codes(document["paths"][path][method]["responses"][status]))


def test_each_route_lists_the_codes_it_answers() -> None:
    """Refusals are per route, each status naming its codes (tests/integration checks every
    answer of the suite against them)."""
    document = json.loads(served_document())
    scans = "/events/{event_id}/scans"
    assert codes(document, "post", scans, "409") == {"id_reused"}
    assert codes(document, "post", scans, "422") == {
        "invalid_request",
        "not_a_conference_day",
        "scanned_in_future",
    }
    assert codes(document, "post", scans, "404") == {
        "not_found",
        "unknown_event",
        "unknown_delegate",
    }
    certificate = "/events/{event_id}/delegates/{delegate_id}/certificate"
    assert codes(document, "post", certificate, "409") == {
        "no_credits",
        "evaluations_incomplete",
        "revoked",
    }
    assert "unprintable_name" in codes(document, "post", certificate, "422")
    assert "409" not in document["paths"][certificate]["get"]["responses"]
    assert codes(document, "get", "/certificates/{serial}", "404") == {
        "not_found",
        "unknown_certificate",
    }
    assert "403" not in document["paths"]["/certificates/{serial}"]["get"]["responses"]


def test_batches_views_the_csv_report_and_the_verify_page_are_described() -> None:
    document = json.loads(served_document())
    schemas = document["components"]["schemas"]
    scans = schemas["ScanBatchIn"]["properties"]["scans"]
    assert scans["items"] == {"$ref": "#/components/schemas/ScanIn"}
    assert (scans["minItems"], scans["maxItems"]) == (1, 500)
    (seconds, _null) = schemas["ViewIn"]["properties"]["seconds"]["anyOf"]
    assert (seconds["minimum"], seconds["maximum"]) == (0, 86400)
    assert "ge" not in seconds and "le" not in seconds
    report = document["paths"]["/events/{event_id}/report"]["get"]["responses"]["200"]
    assert "certificate_status" in report["content"]["text/csv"]["schema"]["description"]
    assert 'rel="next"' in report["headers"]["Link"]["description"]
    verify = document["paths"]["/certificates/{serial}"]["get"]["responses"]["200"]
    assert "Content-Security-Policy" in verify["content"]["text/html"]["schema"]["description"]
