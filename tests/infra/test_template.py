"""What infra/template.yaml promises, read from the template itself.

Each function's role allows exactly what its code does (issue 6); the certificate
function's S3 rights are exactly PutObject/GetObject under certificates/ (issue 5), with
tagging and DeleteObject for PDFs whose record never landed (issue 14); the
routes are the contract's, each on the function that owns it, and only the verify page
and the OpenAPI document go without an API key.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.contract import CONTRACT_CODES
from tests.infra.infra_support import FUNCTIONS, KEYLESS_ROUTES, PUBLIC_ROUTES, REPO, ROUTES

# What each function's code does with the table and the bucket (writes go through
# TransactWriteItems, which IAM authorises per item).
DYNAMODB_ACTIONS = {
    # UpdateItem everywhere: each write counts on the delegate's report row (PROJ#), and
    # the row is then kept with a conditional update (cme.projection).
    "ScanFunction": {"GetItem", "Query", "PutItem", "UpdateItem", "ConditionCheckItem"},
    "EvaluateFunction": {
        "GetItem",
        "Query",
        "PutItem",
        "UpdateItem",
        "DeleteItem",
        "ConditionCheckItem",
    },
    "CertificateFunction": {
        "GetItem",
        "Query",
        "PutItem",
        "UpdateItem",
        "DeleteItem",  # lifting a revocation
        "ConditionCheckItem",
    },
    "OrganiserFunction": {
        "GetItem",
        "Query",
        "PutItem",
        "UpdateItem",
        "DeleteItem",  # withdrawing a decision
        "ConditionCheckItem",
    },
}
S3_ACTIONS = {
    "CertificateFunction": {
        "s3:PutObject",
        "s3:GetObject",
        "s3:PutObjectTagging",
        "s3:DeleteObjectTagging",
        "s3:DeleteObject",
    },
    # a report export's record and link (test_report_exports_...)
    "OrganiserFunction": {"s3:PutObject", "s3:GetObject"},
}
OTHER_SERVICES = {"OrganiserFunction": {"lambda"}}
"""The organiser function starts the organiser tasks function (and nothing else)."""


def walk(node: Any) -> Iterator[Any]:
    yield node
    if isinstance(node, dict):
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def api_events(resources: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for name, resource in resources.items():
        if resource["Type"] == "AWS::Serverless::Function":
            for event_name, event in resource["Properties"].get("Events", {}).items():
                if event["Type"] == "Api":
                    yield name, event_name, event["Properties"]


def role_statements(resources: dict[str, Any], function: str) -> list[dict[str, Any]]:
    role = resources[function]["Properties"]["Role"]
    assert role == {"Fn::GetAtt": [f"{function}Role", "Arn"]}, f"{function} has no role of its own"
    policies = resources[f"{function}Role"]["Properties"]["Policies"]
    return [statement for policy in policies for statement in policy["PolicyDocument"]["Statement"]]


def allowed(resources: dict[str, Any], function: str, service: str) -> dict[str, list[Any]]:
    """Action -> the resources it is allowed on, for one service's actions in a role."""
    found: dict[str, list[Any]] = {}
    for statement in role_statements(resources, function):
        assert statement["Effect"] == "Allow"
        for action in as_list(statement["Action"]):
            if action.startswith(f"{service}:"):
                found.setdefault(action, []).extend(as_list(statement["Resource"]))
    return found


# --- the data stores other code builds from this template -----------------------------


def test_table_keeps_its_key_schema_on_demand_with_pitr_and_sse(resources: dict[str, Any]) -> None:
    table = resources["CreditsTable"]
    assert table["Type"] == "AWS::DynamoDB::Table"
    properties = table["Properties"]
    assert properties["KeySchema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]
    definitions = properties["AttributeDefinitions"]
    attributes = {(a["AttributeName"], a["AttributeType"]) for a in definitions}
    assert attributes == {("pk", "S"), ("sk", "S")}
    assert "GlobalSecondaryIndexes" not in properties
    assert "LocalSecondaryIndexes" not in properties
    assert properties["BillingMode"] == "PAY_PER_REQUEST"
    assert properties["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert properties["SSESpecification"]["SSEEnabled"] is True
    assert table["DeletionPolicy"] == table["UpdateReplacePolicy"] == "Retain"


def test_only_one_table_and_one_bucket(resources: dict[str, Any]) -> None:
    types = [resource["Type"] for resource in resources.values()]
    assert types.count("AWS::DynamoDB::Table") == 1
    assert types.count("AWS::S3::Bucket") == 1


def test_bucket_is_private_encrypted_versioned(resources: dict[str, Any]) -> None:
    bucket = resources["CertificateBucket"]["Properties"]
    assert bucket["PublicAccessBlockConfiguration"] == dict.fromkeys(
        ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"), True
    )
    (rule,) = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in {"AES256", "aws:kms"}
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    assert bucket["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    for lifecycle in bucket.get("LifecycleConfiguration", {}).get("Rules", []):
        assert "ExpirationDate" not in lifecycle
        # A kept PDF expires only after the retention period (test_retention_template); a
        # PDF still pending (no record) after a day; report exports after a week.
        if (
            "ExpirationInDays" in lifecycle
            and lifecycle["Id"] != "expire-certificates-after-retention"
        ):
            assert lifecycle.get("Prefix") == "exports/" or lifecycle["TagFilters"] == [PENDING]


def test_report_exports_expire_and_only_the_organisers_functions_touch_them(
    resources: dict[str, Any],
) -> None:
    rules = resources["CertificateBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
    (exports,) = [rule for rule in rules if rule.get("Prefix") == "exports/"]
    assert exports["ExpirationInDays"] == 7
    export = resources["OrganiserTasksFunction"]["Properties"]
    assert export["CodeUri"] == resources["OrganiserFunction"]["Properties"]["CodeUri"]
    assert export["Timeout"] == 900
    assert "Events" not in export, "no route: only the organiser function starts it"
    organiser = resources["OrganiserFunction"]["Properties"]
    variables = organiser["Environment"]["Variables"]
    assert variables["CME_TASKS_FUNCTION"] == {"Ref": "OrganiserTasksFunction.Alias"}
    for role in ("OrganiserFunctionRole", "OrganiserTasksFunctionRole"):
        (policy,) = resources[role]["Properties"]["Policies"]
        statements = policy["PolicyDocument"]["Statement"]
        s3 = [s for s in statements if any(a.startswith("s3:") for a in _actions(s))]
        assert [s["Resource"] for s in s3] == [{"Fn::Sub": "${CertificateBucket.Arn}/exports/*"}]
    (invoke,) = [
        s
        for s in resources["OrganiserFunctionRole"]["Properties"]["Policies"][0]["PolicyDocument"][
            "Statement"
        ]
        if "lambda:InvokeFunction" in _actions(s)
    ]
    assert invoke["Resource"] == {"Ref": "OrganiserTasksFunction.Alias"}


def _actions(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return [action] if isinstance(action, str) else list(action)


PENDING = {"Key": "cme-pending", "Value": "true"}


def test_pending_pdfs_expire_after_a_day_in_a_rule_of_their_own(
    resources: dict[str, Any],
) -> None:
    from cme.store.files import PENDING_TAG

    assert PENDING["Key"] == PENDING_TAG
    rules = resources["CertificateBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
    (rule,) = [r for r in rules if r.get("TagFilters")]
    assert rule["Status"] == "Enabled"
    assert rule["Prefix"] == "certificates/"
    assert rule["TagFilters"] == [PENDING]
    assert rule["ExpirationInDays"] == 1
    assert rule["NoncurrentVersionExpiration"] == {"NoncurrentDays": 1}


def test_bucket_policy_denies_everything_without_tls(resources: dict[str, Any]) -> None:
    policy = resources["CertificateBucketPolicy"]["Properties"]
    assert policy["Bucket"] == {"Ref": "CertificateBucket"}
    statements = policy["PolicyDocument"]["Statement"]
    assert all(statement["Effect"] == "Deny" for statement in statements), "no Allow in the bucket"
    (tls,) = [s for s in statements if "aws:SecureTransport" in s["Condition"].get("Bool", {})]
    assert tls["Condition"]["Bool"]["aws:SecureTransport"] in {"false", False}
    assert tls["Principal"] == "*"
    assert tls["Action"] == "s3:*"
    assert tls["Resource"] == [
        {"Fn::GetAtt": ["CertificateBucket", "Arn"]},
        {"Fn::Sub": "${CertificateBucket.Arn}/*"},
    ]


# --- functions and the layer -----------------------------------------------------------


def function_settings(template: dict[str, Any], name: str) -> dict[str, Any]:
    """A function's properties with the template's Globals under them, as SAM merges them."""
    merged = dict(template.get("Globals", {}).get("Function", {}))
    own = template["Resources"][name]["Properties"]
    merged.update(own)
    if "Environment" in own:  # SAM merges the variables, the function's own winning
        variables = {**merged_variables(template), **own["Environment"]["Variables"]}
        merged["Environment"] = {"Variables": variables}
    return merged


def merged_variables(template: dict[str, Any]) -> dict[str, Any]:
    variables: dict[str, Any] = template["Globals"]["Function"]["Environment"]["Variables"]
    return variables


@pytest.mark.parametrize("name", FUNCTIONS)
def test_function_runs_python313_arm64_with_the_layer(template: dict[str, Any], name: str) -> None:
    function = function_settings(template, name)
    assert template["Resources"][name]["Type"] == "AWS::Serverless::Function"
    assert function["Runtime"] == "python3.13"
    assert function["Architectures"] == ["arm64"]
    assert function["Handler"] == "app.lambda_handler"
    assert function["Layers"] == [{"Ref": "CommonLayer"}]
    code = function["CodeUri"].rstrip("/")
    folder = name.removesuffix("Function").lower()
    assert code == f"../functions/{folder}"
    assert (REPO / "functions" / folder).is_dir()
    assert 128 <= function["MemorySize"] <= 3008
    assert 3 <= function["Timeout"] <= 28, "API Gateway gives up after 29 s"


def test_certificate_function_has_the_most_memory_and_organiser_the_longest_timeout(
    template: dict[str, Any],
) -> None:
    memory = {name: function_settings(template, name)["MemorySize"] for name in FUNCTIONS}
    timeout = {name: function_settings(template, name)["Timeout"] for name in FUNCTIONS}
    assert memory["CertificateFunction"] == max(memory.values())  # the scans' batch too
    assert max(timeout, key=timeout.__getitem__) == "OrganiserFunction"


@pytest.mark.parametrize("name", FUNCTIONS)
def test_function_environment(template: dict[str, Any], name: str) -> None:
    variables = function_settings(template, name)["Environment"]["Variables"]
    assert variables["CME_TABLE_NAME"] == {"Ref": "CreditsTable"}
    assert variables["CME_BUCKET_NAME"] == {"Ref": "CertificateBucket"}
    assert variables["CME_PUBLIC_BASE_URL"] == {"Ref": "PublicBaseUrl"}
    assert variables["CME_URL_TTL_SECONDS"] == {"Ref": "UrlTtlSeconds"}
    assert variables["POWERTOOLS_SERVICE_NAME"] == "cme-credits"
    assert variables["POWERTOOLS_METRICS_NAMESPACE"]
    assert variables["LOG_LEVEL"] == {"Ref": "LogLevel"}


@pytest.mark.parametrize("name", FUNCTIONS)
def test_function_logs_to_its_own_group(resources: dict[str, Any], name: str) -> None:
    group = f"{name}LogGroup"
    assert resources[name]["Properties"]["LoggingConfig"]["LogGroup"] == {"Ref": group}
    assert resources[group]["Type"] == "AWS::Logs::LogGroup"
    assert resources[group]["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}


def test_layer_builds_from_the_lock_for_python313_arm64(resources: dict[str, Any]) -> None:
    layer = resources["CommonLayer"]
    assert layer["Type"] == "AWS::Serverless::LayerVersion"
    # layers/common/Makefile: pip with the lock's hashes, arm64 wheels for Python 3.13
    assert layer["Metadata"]["BuildMethod"] == "makefile"
    recipe = (REPO / "layers" / "common" / "Makefile").read_text(encoding="utf-8")
    for option in ("--require-hashes", "--python-version 3.13", "manylinux2014_aarch64"):
        assert option in recipe
    assert layer["Metadata"]["BuildArchitecture"] == "arm64"
    properties = layer["Properties"]
    assert properties["ContentUri"].rstrip("/") == "../layers/common"
    assert properties["CompatibleRuntimes"] == ["python3.13"]
    assert properties["CompatibleArchitectures"] == ["arm64"]
    assert (REPO / "layers" / "common" / "requirements.txt").is_file()


# --- least privilege -------------------------------------------------------------------


@pytest.mark.parametrize("name", FUNCTIONS)
def test_role_is_assumable_by_lambda_only(resources: dict[str, Any], name: str) -> None:
    role = resources[f"{name}Role"]
    assert role["Type"] == "AWS::IAM::Role"
    (trust,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust == {
        "Effect": "Allow",
        "Principal": {"Service": "lambda.amazonaws.com"},
        "Action": "sts:AssumeRole",
    }
    # Managed policies grant on "*": the one allowed is X-Ray's, while tracing is on (below).


def test_every_function_has_a_role_of_its_own(resources: dict[str, Any]) -> None:
    roles = [resources[name]["Properties"]["Role"]["Fn::GetAtt"][0] for name in FUNCTIONS]
    assert len(set(roles)) == len(FUNCTIONS)
    all_roles = {name for name, r in resources.items() if r["Type"] == "AWS::IAM::Role"}
    assert all_roles == {*roles, "OrganiserTasksFunctionRole"}, "a role no function uses"


@pytest.mark.parametrize("name", FUNCTIONS)
def test_role_allows_only_what_the_function_does(resources: dict[str, Any], name: str) -> None:
    services = {
        action.split(":", 1)[0]
        for statement in role_statements(resources, name)
        for action in as_list(statement["Action"])
    }
    assert services <= {"logs", "dynamodb", "s3", "lambda"}
    expected = {"logs", "dynamodb"} | ({"s3"} if name in S3_ACTIONS else set())
    assert services == expected | OTHER_SERVICES.get(name, set())

    assert allowed(resources, name, "logs") == {
        "logs:CreateLogStream": [{"Fn::GetAtt": [f"{name}LogGroup", "Arn"]}],
        "logs:PutLogEvents": [{"Fn::GetAtt": [f"{name}LogGroup", "Arn"]}],
    }
    table = allowed(resources, name, "dynamodb")
    assert {action.removeprefix("dynamodb:") for action in table} == DYNAMODB_ACTIONS[name]
    for action, on in table.items():
        assert on == [{"Fn::GetAtt": ["CreditsTable", "Arn"]}], f"{name} {action} beyond the table"


@pytest.mark.parametrize("name", FUNCTIONS)
def test_tracing_and_its_permission_follow_the_api_tracing_parameter(
    template: dict[str, Any], resources: dict[str, Any], name: str
) -> None:
    # The functions trace actively exactly when the API does (ApiTracing) ...
    tracing = template["Globals"]["Function"]["Tracing"]
    assert tracing == {"Fn::If": ["ApiTracingOn", "Active", "PassThrough"]}
    assert "Tracing" not in resources[name]["Properties"]
    api = resources["Api"]["Properties"]
    assert api["TracingEnabled"] == {"Fn::If": ["ApiTracingOn", True, False]}
    # ... and only then may the role write trace segments, through nothing broader
    managed = resources[f"{name}Role"]["Properties"]["ManagedPolicyArns"]
    xray = {"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/AWSXRayDaemonWriteAccess"}
    assert managed == {"Fn::If": ["ApiTracingOn", [xray], {"Ref": "AWS::NoValue"}]}


def test_certificate_s3_rights_are_exactly_put_and_get_under_certificates(
    resources: dict[str, Any],
) -> None:
    s3 = allowed(resources, "CertificateFunction", "s3")
    assert set(s3) == S3_ACTIONS["CertificateFunction"]
    for on in s3.values():
        assert on == [{"Fn::Sub": "${CertificateBucket.Arn}/certificates/*"}]
    for name in set(FUNCTIONS) - set(S3_ACTIONS):
        assert allowed(resources, name, "s3") == {}


def test_no_resource_star_and_no_wildcard_action(template: dict[str, Any]) -> None:
    for resource in template["Resources"].values():
        for node in walk(resource):
            if isinstance(node, dict) and "Resource" in node:
                for target in as_list(node["Resource"]):
                    assert target != "*", f"Resource '*' in {node}"
            if isinstance(node, dict) and node.get("Effect") == "Allow":
                for action in as_list(node.get("Action", [])):
                    assert "*" not in action, f"wildcard action {action} allowed"
    for resource in template["Resources"].values():
        properties = resource.get("Properties", {})
        assert "Policies" not in properties or resource["Type"] == "AWS::IAM::Role", (
            "SAM policy templates would add roles beside the explicit ones"
        )


# --- the API ---------------------------------------------------------------------------


def test_every_contract_route_is_on_its_function(resources: dict[str, Any]) -> None:
    routes = {
        (event["Method"].upper(), event["Path"]): function
        for function, _, event in api_events(resources)
        if event["Method"].upper() != "ANY"
    }
    assert routes == {route: function for route, (function, _) in ROUTES.items()}
    for function, _, event in api_events(resources):
        assert event["RestApiId"] == {"Ref": "Api"}, f"{function} {event['Path']} off the API"


def test_each_path_has_an_any_method_on_its_owner_for_405(resources: dict[str, Any]) -> None:
    owners = {path: function for (_, path), (function, _) in ROUTES.items()}
    anys = {
        event["Path"]: function
        for function, _, event in api_events(resources)
        if event["Method"].upper() == "ANY"
    }
    assert anys == owners


def test_no_catch_all_proxy_path(resources: dict[str, Any]) -> None:
    for _, _, event in api_events(resources):
        assert "+}" not in event["Path"]


def test_api_keys_are_required_except_on_the_two_public_routes(resources: dict[str, Any]) -> None:
    api = resources["Api"]["Properties"]
    assert api["Auth"]["ApiKeyRequired"] is True
    public = {
        (event["Method"].upper(), event["Path"])
        for _, _, event in api_events(resources)
        if event.get("Auth", {}).get("ApiKeyRequired") is False
    }
    assert {("GET", "/certificates/{serial}"), ("GET", "/openapi.json")} == PUBLIC_ROUTES
    assert public == KEYLESS_ROUTES
    for _, _, event in api_events(resources):
        assert event.get("Auth", {}).get("ApiKeyRequired", False) is False, "true is the default"


def test_usage_plan_throttles_and_sets_a_quota(resources: dict[str, Any]) -> None:
    plan = resources["Api"]["Properties"]["Auth"]["UsagePlan"]
    assert plan["CreateUsagePlan"] == "PER_API"
    assert set(plan["Throttle"]) == {"RateLimit", "BurstLimit"}
    assert set(plan["Quota"]) == {"Limit", "Period"}
    (stage,) = resources["Api"]["Properties"]["MethodSettings"]
    assert {"ThrottlingRateLimit", "ThrottlingBurstLimit"} <= set(stage), "public routes need it"


def test_stage_is_a_parameter_defaulting_to_v1(template: dict[str, Any]) -> None:
    assert template["Parameters"]["StageName"]["Default"] == "v1"
    assert template["Resources"]["Api"]["Properties"]["StageName"] == {"Ref": "StageName"}


GATEWAY_RESPONSES = {
    "MISSING_AUTHENTICATION_TOKEN": (404, "not_found"),
    "RESOURCE_NOT_FOUND": (404, "not_found"),
    "INVALID_API_KEY": (403, "unauthorized"),
    "ACCESS_DENIED": (403, "unauthorized"),
    "REQUEST_TOO_LARGE": (413, "invalid_request"),
    "THROTTLED": (429, "throttled"),
    "QUOTA_EXCEEDED": (429, "throttled"),
}


def test_gateway_responses_speak_problem_json(resources: dict[str, Any]) -> None:
    responses = resources["Api"]["Properties"]["GatewayResponses"]
    assert {"DEFAULT_4XX", "DEFAULT_5XX"} | set(GATEWAY_RESPONSES) <= set(responses)
    for kind, response in responses.items():
        headers = response["ResponseParameters"]["Headers"]
        assert headers["Content-Type"] == "'application/problem+json'", kind
        (body,) = response["ResponseTemplates"].values()
        problem = json.loads(body)
        assert set(problem) == {"status", "title", "detail", "code"}, kind
        assert problem["status"] == int(response["StatusCode"]), kind
        assert problem["code"] in CONTRACT_CODES, kind
        if kind in GATEWAY_RESPONSES:
            assert (problem["status"], problem["code"]) == GATEWAY_RESPONSES[kind]
        if problem["code"] == "throttled":
            assert int(headers["Retry-After"].strip("'")) > 0


# --- parameters, alarms, outputs -------------------------------------------------------


def test_url_lifetime_parameter_defaults_to_15_minutes(template: dict[str, Any]) -> None:
    parameter = template["Parameters"]["UrlTtlSeconds"]
    assert parameter["Type"] == "Number"
    assert parameter["Default"] == 900
    assert template["Parameters"]["PublicBaseUrl"]["Default"] == ""


def metrics_watched(resources: dict[str, Any]) -> set[tuple[str, str, str]]:
    """(namespace, metric, dimension value) for every metric an alarm watches."""
    watched = set()
    for resource in resources.values():
        if resource["Type"] != "AWS::CloudWatch::Alarm":
            continue
        alarm = resource["Properties"]
        stats = [m["MetricStat"]["Metric"] for m in alarm.get("Metrics", []) if "MetricStat" in m]
        metrics = [alarm, *stats]
        for metric in metrics:
            if "MetricName" in metric:
                for dimension in metric["Dimensions"]:
                    value = dimension["Value"]
                    key = value["Ref"] if isinstance(value, dict) and "Ref" in value else value
                    watched.add((metric["Namespace"], metric["MetricName"], str(key)))
    return watched


def test_alarms_on_5xx_throttles_and_each_function_errors(resources: dict[str, Any]) -> None:
    watched = metrics_watched(resources)
    assert ("AWS/ApiGateway", "5XXError", "StageName") in watched
    for name in FUNCTIONS:
        assert ("AWS/Lambda", "Errors", name) in watched
        assert ("AWS/Lambda", "Throttles", name) in watched


def test_api_alarm_names_the_api_as_the_stack(resources: dict[str, Any]) -> None:
    assert resources["Api"]["Properties"]["Name"] == {"Ref": "AWS::StackName"}
    dimensions = resources["Api5xxAlarm"]["Properties"]["Dimensions"]
    assert {"Name": "ApiName", "Value": {"Ref": "AWS::StackName"}} in dimensions


def test_outputs_give_the_api_url_and_key_id(template: dict[str, Any]) -> None:
    outputs = template["Outputs"]
    assert outputs["ApiUrl"]["Value"] == {
        "Fn::Sub": "https://${Api}.execute-api.${AWS::Region}.${AWS::URLSuffix}/${StageName}"
    }
    assert outputs["ApiKeyId"]["Value"] == {"Ref": "ApiApiKey"}


# --- checkov skips ---------------------------------------------------------------------


def test_every_checkov_skip_says_why(resources: dict[str, Any]) -> None:
    for name, resource in resources.items():
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", []):
            assert skip["id"].startswith(("CKV_", "CKV2_")), name
            reason = skip.get("comment", "")
            assert len(reason.split()) >= 8, f"{name} skips {skip['id']} without a reason"
