"""Two roles in the template (CONTRACT.md, "Roles"): two API keys of the one usage plan,
the organiser key's id in every function's environment, both ids in the outputs."""

from __future__ import annotations

from typing import Any


def test_the_organiser_key_is_a_second_key_of_the_usage_plan(resources: dict[str, Any]) -> None:
    key = resources["OrganiserApiKey"]
    assert key["Type"] == "AWS::ApiGateway::ApiKey"
    assert key["Properties"]["Enabled"] is True
    # No stage keys: a function referring to the key must not depend on the API.
    assert "StageKeys" not in key["Properties"]
    link = resources["OrganiserUsagePlanKey"]
    assert link["Type"] == "AWS::ApiGateway::UsagePlanKey"
    assert link["Properties"] == {
        "KeyId": {"Ref": "OrganiserApiKey"},
        "KeyType": "API_KEY",
        "UsagePlanId": {"Ref": "ApiUsagePlan"},
    }


def test_every_function_knows_the_organiser_keys_id(template: dict[str, Any]) -> None:
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["CME_ORGANISER_KEY_ID"] == {"Ref": "OrganiserApiKey"}


def test_outputs_give_both_key_ids(template: dict[str, Any]) -> None:
    outputs = template["Outputs"]
    assert outputs["OrganiserApiKeyId"]["Value"] == {"Ref": "OrganiserApiKey"}
    assert outputs["PlatformApiKeyId"]["Value"] == {"Ref": "ApiApiKey"}
