"""What AWS will get: the template after the SAM transform (samtranslator, offline).

The routes are read from the generated OpenAPI body, so a wrong method, a route on the
wrong function or a missing API key shows here exactly as API Gateway would see it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.infra.infra_support import KEYLESS_ROUTES, ROUTES, TEMPLATE, run, tool

SUB_NAME = re.compile(r"\$\{([A-Za-z0-9:]+)(?:\.[A-Za-z0-9.]+)?\}")
ANY = "x-amazon-apigateway-any-method"


def references(node: Any) -> Iterator[str]:
    """Logical ids (and parameters) a piece of template refers to."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref" and isinstance(value, str):
                yield value
            elif key == "Fn::GetAtt":
                yield value[0] if isinstance(value, list) else value.split(".", 1)[0]
            elif key == "Fn::Sub":
                text, variables = (value, {}) if isinstance(value, str) else value
                yield from (n for n in SUB_NAME.findall(text) if n not in variables)
                yield from references(variables)
            else:
                yield from references(value)
    elif isinstance(node, list):
        for value in node:
            yield from references(value)


def dependencies(template: dict[str, Any]) -> dict[str, set[str]]:
    resources = template["Resources"]
    graph: dict[str, set[str]] = {}
    for name, resource in resources.items():
        needs = set(references(resource.get("Properties", {})))
        depends_on = resource.get("DependsOn", [])
        needs |= {depends_on} if isinstance(depends_on, str) else set(depends_on)
        graph[name] = {need for need in needs if need in resources}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, str] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        stack.append(node)
        for need in sorted(graph[node]):
            if state.get(need) == "open":
                return [*stack[stack.index(need) :], need]
            if need not in state and (cycle := visit(need)):
                return cycle
        state[node] = "done"
        stack.pop()
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def openapi_routes(transformed: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    body = transformed["Resources"]["Api"]["Properties"]["Body"]
    return {
        ("ANY" if method == ANY else method.upper(), path): operation
        for path, operations in body["paths"].items()
        for method, operation in operations.items()
    }


def integrated_function(operation: dict[str, Any], *, alias: bool = False) -> str:
    """The function an operation invokes (through its alias `live`: the logical id of the
    alias when `alias`)."""
    integration = operation["x-amazon-apigateway-integration"]
    assert integration["type"] == "aws_proxy"
    assert integration["httpMethod"] == "POST"
    uri = integration["uri"]["Fn::Sub"]
    (function,) = {name for name in SUB_NAME.findall(uri) if not name.startswith("AWS::")}
    return function if alias else function.removesuffix("Aliaslive")


def test_no_circular_dependency(transformed: dict[str, Any]) -> None:
    assert find_cycle(dependencies(transformed)) is None


def test_stage_url_in_the_functions_environment_would_be_circular(tmp_path: Path) -> None:
    """Why CME_PUBLIC_BASE_URL cannot default to the stage URL inside the template."""
    text = TEMPLATE.read_text(encoding="utf-8").replace(
        "CME_PUBLIC_BASE_URL: !Ref PublicBaseUrl",
        'CME_PUBLIC_BASE_URL: !Sub "https://${Api}.execute-api.${AWS::Region}.${AWS::URLSuffix}"',
    )
    variant = tmp_path / "template.yaml"
    variant.write_text(text, encoding="utf-8")
    result = run([tool("sam", "python"), Path(__file__).with_name("sam_transform.py"), variant])
    assert result.returncode == 0, result.stderr
    cycle = find_cycle(dependencies(json.loads(result.stdout)))
    assert cycle is not None
    assert "Api" in cycle


def test_every_reference_resolves(transformed: dict[str, Any]) -> None:
    known = set(transformed["Resources"]) | set(transformed["Parameters"])
    for name in set(references(transformed["Resources"])) | set(references(transformed["Outputs"])):
        assert name.startswith("AWS::") or name in known, f"dangling reference to {name}"


def test_openapi_has_exactly_the_contract_routes_and_an_any_per_path(
    transformed: dict[str, Any],
) -> None:
    routes = openapi_routes(transformed)
    specific = {route: op for route, op in routes.items() if route[0] != "ANY"}
    assert {route: integrated_function(op) for route, op in specific.items()} == {
        route: function for route, (function, _) in ROUTES.items()
    }
    owners = {path: function for (_, path), (function, _) in ROUTES.items()}
    anys = {path: integrated_function(op) for (verb, path), op in routes.items() if verb == "ANY"}
    assert anys == owners


def test_openapi_requires_the_key_everywhere_but_the_public_routes(
    transformed: dict[str, Any],
) -> None:
    body = transformed["Resources"]["Api"]["Properties"]["Body"]
    assert body["components"]["securitySchemes"]["api_key"] == {
        "type": "apiKey",
        "name": "x-api-key",
        "in": "header",
    }
    public = set()
    for route, operation in openapi_routes(transformed).items():
        if operation.get("security") == [{"api_key": []}]:
            continue
        assert not operation.get("security"), f"{route} has another kind of security"
        public.add(route)
    assert public == KEYLESS_ROUTES


def test_usage_plan_key_and_stage_are_generated(transformed: dict[str, Any]) -> None:
    resources = transformed["Resources"]
    assert resources["ApiApiKey"]["Type"] == "AWS::ApiGateway::ApiKey"
    assert resources["ApiApiKey"]["Properties"]["Enabled"] is True
    assert resources["ApiUsagePlan"]["Type"] == "AWS::ApiGateway::UsagePlan"
    assert resources["ApiUsagePlanKey"]["Properties"]["KeyId"] == {"Ref": "ApiApiKey"}
    stages = [r for r in resources.values() if r["Type"] == "AWS::ApiGateway::Stage"]
    assert len(stages) == 1, "SAM's extra 'Stage' stage is back (set OpenApiVersion)"
    assert stages[0]["Properties"]["StageName"] == {"Ref": "StageName"}


@pytest.mark.parametrize(
    "kind", ["MISSING_AUTHENTICATION_TOKEN", "INVALID_API_KEY", "REQUEST_TOO_LARGE", "THROTTLED"]
)
def test_gateway_responses_reach_the_api(transformed: dict[str, Any], kind: str) -> None:
    body = transformed["Resources"]["Api"]["Properties"]["Body"]
    response = body["x-amazon-apigateway-gateway-responses"][kind]
    assert response["responseParameters"]["gatewayresponse.header.Content-Type"] == (
        "'application/problem+json'"
    )
    problem = json.loads(response["responseTemplates"]["application/json"])
    assert problem["status"] == int(response["statusCode"])


def test_lambda_permissions_are_scoped_to_the_api(transformed: dict[str, Any]) -> None:
    resources = transformed["Resources"].values()
    permissions = [r["Properties"] for r in resources if r["Type"] == "AWS::Lambda::Permission"]
    assert permissions
    for permission in permissions:
        assert permission["Principal"] == "apigateway.amazonaws.com"
        assert permission["Action"] == "lambda:InvokeFunction"
        text, variables = permission["SourceArn"]["Fn::Sub"]
        assert text.startswith("arn:aws:execute-api:${AWS::Region}:${AWS::AccountId}:${__ApiId__}/")
        assert variables["__ApiId__"] == {"Ref": "Api"}
