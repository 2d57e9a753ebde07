"""Retention in infra/template.yaml (issue 13, privacy and retention): one `RetentionYears`
parameter drives DynamoDB's TTL on the table (through every function's
`CME_RETENTION_YEARS`, stamped on each item as `expires_at`) and the lifecycle rule that
expires the certificate PDFs; the rule for overwritten versions stays."""

from __future__ import annotations

from typing import Any

from cme.store.files import pdf_key
from cme.store.models import Item
from tests.infra.infra_support import FUNCTIONS

DAYS_A_YEAR = 366
"""The lifecycle rule counts days: a leap year's worth each, never shorter than a year."""


def test_the_retention_is_a_parameter_of_six_years_at_least_one(template: dict[str, Any]) -> None:
    parameter = template["Parameters"]["RetentionYears"]
    assert parameter["Type"] == "Number"
    assert (parameter["Default"], parameter["MinValue"]) == (6, 1)


def test_the_table_expires_items_by_the_attribute_the_store_stamps(
    resources: dict[str, Any],
) -> None:
    ttl = resources["CreditsTable"]["Properties"]["TimeToLiveSpecification"]
    assert ttl == {"AttributeName": "expires_at", "Enabled": True}
    assert Item.expires_at.attr_name == ttl["AttributeName"]


def test_every_function_writing_items_is_told_the_retention(template: dict[str, Any]) -> None:
    shared = template["Globals"]["Function"]["Environment"]["Variables"]
    assert shared["CME_RETENTION_YEARS"] == {"Ref": "RetentionYears"}
    for function in FUNCTIONS:  # each writes items (facts, certificates, decisions)
        own = template["Resources"][function]["Properties"].get("Environment", {})
        assert "CME_RETENTION_YEARS" not in own.get("Variables", {}), function


def test_certificate_pdfs_expire_after_the_retention_in_days(
    template: dict[str, Any], resources: dict[str, Any]
) -> None:
    rules = {
        rule["Id"]: rule
        for rule in resources["CertificateBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
    }
    assert rules["expire-overwritten-versions"]["NoncurrentVersionExpiration"] == {
        "NoncurrentDays": 30
    }
    expiring = rules["expire-certificates-after-retention"]
    assert expiring["Status"] == "Enabled"
    assert pdf_key("eshg2025", "ABC").startswith(expiring["Prefix"])
    assert expiring["ExpirationInDays"] == {
        "Fn::FindInMap": ["RetentionDays", {"Ref": "RetentionYears"}, "Days"]
    }
    # The mapping holds every value the parameter may take, in days.
    parameter = template["Parameters"]["RetentionYears"]
    years = range(parameter["MinValue"], parameter["MaxValue"] + 1)
    assert template["Mappings"]["RetentionDays"] == {
        str(n): {"Days": n * DAYS_A_YEAR} for n in years
    }
