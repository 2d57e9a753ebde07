"""The `SnapStart` parameter, after the SAM transform, in both settings: the API invokes
each function's alias `live` (a published version: SnapStart applies to nothing else), and
the parameter alone decides whether those versions are snapshotted."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.infra.infra_support import TEMPLATE, run, tool
from tests.infra.test_transformed import integrated_function, openapi_routes

FUNCTIONS = ("ScanFunction", "EvaluateFunction", "CertificateFunction", "OrganiserFunction")


@pytest.fixture(scope="module", params=["true", "false"])
def setting(request: pytest.FixtureRequest) -> tuple[str, dict[str, Any]]:
    python = tool("sam", "python")
    script = Path(__file__).with_name("sam_transform.py")
    result = run([python, script, TEMPLATE, f"SnapStart={request.param}"], timeout=120)
    assert result.returncode == 0, result.stderr
    return request.param, json.loads(result.stdout)


def evaluated(node: Any, template: dict[str, Any], parameters: dict[str, str]) -> Any:
    """What CloudFormation makes of Ref / Fn::Equals / Fn::If over the template's
    parameters and conditions (enough for the SnapStart switch)."""
    if isinstance(node, dict) and len(node) == 1:
        ((key, value),) = node.items()
        if key == "Ref" and value in parameters:
            return parameters[value]
        if key == "Fn::Equals":
            left, right = (evaluated(v, template, parameters) for v in value)
            return left == right
        if key == "Fn::If":
            name, when_true, when_false = value
            holds = evaluated(template["Conditions"][name], template, parameters)
            return evaluated(when_true if holds else when_false, template, parameters)
    return node


def test_the_parameter_is_off_by_default(setting: tuple[str, dict[str, Any]]) -> None:
    _, template = setting
    parameter = template["Parameters"]["SnapStart"]
    assert parameter["Default"] == "false"
    assert parameter["AllowedValues"] == ["true", "false"]


def test_versions_are_snapshotted_only_when_on(setting: tuple[str, dict[str, Any]]) -> None:
    value, template = setting
    resources = template["Resources"]
    for name in FUNCTIONS:
        snapstart = resources[name]["Properties"]["SnapStart"]
        applied = evaluated(snapstart["ApplyOn"], template, {"SnapStart": value})
        assert applied == ("PublishedVersions" if value == "true" else "None"), name


def test_the_api_invokes_each_functions_alias(setting: tuple[str, dict[str, Any]]) -> None:
    _, template = setting
    resources = template["Resources"]
    aliases = {
        alias["Properties"]["FunctionName"]["Ref"]: logical_id
        for logical_id, alias in resources.items()
        if alias["Type"] == "AWS::Lambda::Alias"
    }
    # every function, the organiser's tasks too (invoked by the organiser function)
    assert set(aliases) == {*FUNCTIONS, "OrganiserTasksFunction"}
    for logical_id in aliases.values():
        alias = resources[logical_id]["Properties"]
        assert alias["Name"] == "live"
        version = alias["FunctionVersion"]["Fn::GetAtt"][0]
        assert resources[version]["Type"] == "AWS::Lambda::Version"
    api_aliases = {aliases[name] for name in FUNCTIONS}
    invoked = {integrated_function(op, alias=True) for op in openapi_routes(template).values()}
    assert invoked == api_aliases
    permitted = {
        r["Properties"]["FunctionName"]["Ref"]
        for r in resources.values()
        if r["Type"] == "AWS::Lambda::Permission"
    }
    assert permitted == api_aliases


def versions(template: dict[str, Any]) -> set[str]:
    return {k for k, r in template["Resources"].items() if r["Type"] == "AWS::Lambda::Version"}


def test_a_new_layer_publishes_new_versions(
    setting: tuple[str, dict[str, Any]], tmp_path: Path
) -> None:
    # The cme code lives in the layer: were a new layer not to publish new versions, the
    # alias would keep answering with the old code. (A changed description stands for a
    # changed layer: the transform sees the layer's properties, not its zip.)
    value, template = setting
    text = TEMPLATE.read_text(encoding="utf-8")
    assert "Description: cme-credits shared code" in text
    variant = tmp_path / "template.yaml"
    variant.write_text(text.replace("cme-credits shared code", "cme-credits next code"), "utf-8")
    script = Path(__file__).with_name("sam_transform.py")
    result = run([tool("sam", "python"), script, variant, f"SnapStart={value}"], timeout=120)
    assert result.returncode == 0, result.stderr
    assert versions(json.loads(result.stdout)).isdisjoint(versions(template))
