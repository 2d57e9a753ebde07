"""The template passes cfn-lint, `sam validate --lint` and checkov, offline.

checkov may only pass over a finding the template skips with a written reason; a skip
that no longer matches a finding is stale and fails too.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.infra.infra_support import REPO, TEMPLATE, run, tool

pytestmark = pytest.mark.slow


def test_cfn_lint_is_clean() -> None:
    cfn_lint = Path(sys.executable).with_name("cfn-lint")  # the project's dev dependency
    assert cfn_lint.exists(), "cfn-lint is missing from the project's venv"
    result = run([cfn_lint, "--", TEMPLATE])
    assert result.returncode == 0, result.stdout + result.stderr


def test_sam_validate_lint_passes_offline() -> None:
    sam = tool("sam", "sam")
    result = run([sam, "validate", "--lint", "--template-file", TEMPLATE, "--region", "eu-west-1"])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "is a valid SAM Template" in result.stdout + result.stderr


@pytest.fixture(scope="module")
def checkov_results() -> dict[str, Any]:
    result = run(
        [
            tool("checkov", "checkov"),
            "--file",
            TEMPLATE.relative_to(REPO),
            "--framework",
            "cloudformation",
            "--skip-download",
            "--output",
            "json",
        ]
    )
    assert result.returncode in {0, 1}, result.stderr
    report = json.loads(result.stdout)
    assert report["summary"]["parsing_errors"] == 0
    return report["results"]


def test_checkov_finds_nothing_unskipped(checkov_results: dict[str, Any]) -> None:
    failed = [
        f"{check['check_id']} {check['resource']}: {check['check_name']}"
        for check in checkov_results["failed_checks"]
    ]
    assert failed == []
    assert len(checkov_results["passed_checks"]) > 40, "checkov read the template"


def test_checkov_skips_are_exactly_the_templates_and_each_has_its_reason(
    checkov_results: dict[str, Any], resources: dict[str, Any]
) -> None:
    declared = {
        (name, skip["id"])
        for name, resource in resources.items()
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", [])
    }
    applied = set()
    for check in checkov_results["skipped_checks"]:
        name = check["resource"].rsplit(".", 1)[1]
        applied.add((name, check["check_id"]))
        reason = check["check_result"].get("suppress_comment", "")
        assert len(reason.split()) >= 8, f"{name} skips {check['check_id']} without a reason"
    assert applied == declared, "stale or undeclared checkov skips"
