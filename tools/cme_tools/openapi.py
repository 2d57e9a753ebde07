"""The OpenAPI document of the whole API (every function's routes), generated from the
functions' own resolvers by `python -m cme_tools.openapi --write` (`make openapi`) and
shipped in the layer as `cme/openapi.json`, so that serving it costs nothing
(`cme.api.openapi_document`); a test keeps it equal to a fresh generation."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from cme_tools.local.checkout import Checkout
from cme_tools.local.functions import FUNCTIONS, load_function

PUBLIC_OPERATIONS = {("/certificates/{serial}", "get"), ("/openapi.json", "get")}
GENERIC_PROBLEMS = {
    "400": ("invalid_request", "The body is not UTF-8 JSON or not an object"),
    "403": ("unauthorized", "Missing or wrong x-api-key"),
    "404": ("not_found", "No such route"),
    "405": ("method_not_allowed", "Method not allowed on this path"),
    "413": ("invalid_request", "Body over 1 MB"),
    "422": (
        "invalid_request",
        "The request does not fit the schema (the problem names the fields)",
    ),
    "429": ("throttled", "Throttled by the API's usage plan"),
    "500": ("internal_error", "Something went wrong on our side (logged; never a trace)"),
    "503": ("throttled", "The store is busy: retry after Retry-After seconds"),
}
"""What any operation may answer, by the conventions of the contract; each route adds the
refusals of its own rules (`cme.api.answers(refusals=...)`)."""


ANSWER_HEADERS = {
    "405": {"Allow": {"description": "The methods this path takes", "schema": {"type": "string"}}},
    "429": {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}},
    "503": {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}},
}


def _describe_untyped_answers(responses: dict[str, Any]) -> None:
    """powertools gives a route whose answer it cannot type an empty "Return" schema: a
    204 has no body at all, and the other untyped answers are JSON objects."""
    for status, response in responses.items():
        content = response.get("content", {})
        if status == "204":
            response.pop("content", None)
            continue
        for body in content.values():
            if body.get("schema") == {"title": "Return"}:
                body["schema"] = {"type": "object"}


def _generic_statuses(path: str, method: str, operation: dict[str, Any]) -> list[str]:
    body = "requestBody" in operation
    statuses = ["404", "405", "429", "500"]
    if (path, method) not in PUBLIC_OPERATIONS:
        statuses.append("403")
    if body:
        statuses += ["400", "413"]
    if body or operation.get("parameters"):
        statuses.append("422")
    if path != "/openapi.json":
        statuses.append("503")
    return statuses


def _add_generic_problems(path: str, method: str, operation: dict[str, Any]) -> None:
    """Each problem answer the operation may give with its codes: the route's own refusals
    merged with what any operation may answer."""
    from cme.api import problem_answer, problem_codes

    responses = operation["responses"]
    # powertools documents its validation error on every route; ours say what they answer.
    if "HTTPValidationError" in json.dumps(responses.get("422", {})):
        del responses["422"]
    for status in _generic_statuses(path, method, operation):
        code, description = GENERIC_PROBLEMS[status]
        own = problem_codes(responses.get(status, {}))
        if own:
            description = f"{description}; or refused: {', '.join(sorted(own))}"
        responses[status] = dict(problem_answer([code, *own], description))
    for status, answer in responses.items():
        if status in ANSWER_HEADERS and problem_codes(answer):
            answer["headers"] = ANSWER_HEADERS[status]


SECURITY_SCHEMES: dict[str, Any] = {
    "apiKey": {"type": "apiKey", "in": "header", "name": "x-api-key"},
    "platformKey": {
        "type": "apiKey",
        "in": "header",
        "name": "x-api-key",
        "description": "The conference platform's key: the operations that list it "
        "(scans, views, carts, evaluations, statements, certificates, reading the "
        "programme, registering delegates); any other answers 403 forbidden.",
    },
}
"""Two roles (CONTRACT.md, "Roles"), one header: an operation's `security` lists the keys it
takes. `apiKey` is the organiser's key (CME_API_KEY), which every operation takes; the
document's default is that key alone."""


def _state_role(operation: dict[str, Any]) -> None:
    """`x-cme-role`: the role an operation needs, said in a word beside its `security`;
    organiser operations also document 403 `forbidden` (the platform's key)."""
    from cme.api import ORGANISER, problem_answer, problem_codes, route_role

    security = operation.get("security")
    role = route_role(security)
    operation["x-cme-role"] = role
    if role == ORGANISER:
        operation["security"] = [{"apiKey": []}]
        responses = operation["responses"]
        codes = problem_codes(responses.get("403", {})) or ["unauthorized"]
        description = "Missing or wrong x-api-key (unauthorized), or the platform's key "
        description += "on an organiser operation (forbidden)"
        responses["403"] = dict(problem_answer([*codes, "forbidden"], description))


def build_document(apps: dict[str, Any]) -> dict[str, Any]:
    """Merge the functions' OpenAPI schemas into one document with the API-key security
    scheme and the contract's problem responses on every operation."""
    from cme import __version__

    document: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {
            "title": "cme-credits",
            "version": __version__,
            "description": "CME credits at medical congresses: scans, views, carts, "
            "evaluations, credit statements and verifiable certificates.",
        },
        "servers": [{"url": "/v1"}],
        "paths": {},
        "components": {
            "schemas": {},
            "securitySchemes": SECURITY_SCHEMES,
        },
        "security": [{"apiKey": []}],
    }
    for name in sorted(apps):
        schema = (
            apps[name]
            .get_openapi_schema(
                title="cme-credits",
                version=__version__,
                security_schemes=SECURITY_SCHEMES,
            )
            .model_dump(mode="json", by_alias=True, exclude_none=True)
        )
        for path, operations in schema.get("paths", {}).items():
            document["paths"].setdefault(path, {}).update(operations)
        document["components"]["schemas"].update(schema.get("components", {}).get("schemas", {}))
    from cme.answers import Problem

    document["components"]["schemas"]["Problem"] = Problem.model_json_schema()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            _describe_untyped_answers(responses)
            _add_generic_problems(path, method, operation)
            if (path, method) in PUBLIC_OPERATIONS:
                operation["security"] = []
            _state_role(operation)
    for unused in ("HTTPValidationError", "ValidationError", "ResponseValidationError"):
        document["components"]["schemas"].pop(unused, None)
    return document


def generate(checkout: Checkout) -> dict[str, Any]:
    """The document of the checkout's functions as they are now: each loaded afresh with
    its routes naming their response models (`cme.api.DOCUMENTING`)."""
    from cme import api

    api.DOCUMENTING = True
    try:
        apps = {
            name: load_function(checkout, name, fresh=True).app
            for name in FUNCTIONS
            if checkout.function_source(name).is_file()
        }
    finally:
        api.DOCUMENTING = False
    return build_document(apps)


def document_text(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=1, ensure_ascii=False, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", action="store_true", help="write the layer's openapi.json")
    args = parser.parse_args(argv)
    checkout = Checkout.find()
    text = document_text(generate(checkout))
    if args.write:
        (checkout.layer / "openapi.json").write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
