"""The AWS resources of `infra/template.yaml`, created in a stand-in (moto) from the template
itself: the tables and buckets tests and `cme serve` use cannot drift from the ones
deployed, because there is no second definition of them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

TABLE = "CreditsTable"
BUCKET = "CertificateBucket"


class _TemplateLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short-form tags (`!Ref X` -> {"Ref": "X"})."""


def _tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if suffix == "GetAtt" and isinstance(value, str):
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {name: value}


_TemplateLoader.add_multi_constructor("!", _tag)


def read_template(path: Path) -> dict[str, Any]:
    """The SAM template, its short-form tags read as the long form."""
    document = yaml.load(path.read_text(encoding="utf-8"), Loader=_TemplateLoader)  # noqa: S506
    if not isinstance(document, dict):
        raise ValueError(f"{path} is not a template")
    return document


def resource(template: Mapping[str, Any], logical_id: str) -> dict[str, Any]:
    return dict(template["Resources"][logical_id])


def table_definition(template: Mapping[str, Any], logical_id: str, name: str) -> dict[str, Any]:
    """CreateTable arguments from an AWS::DynamoDB::Table resource of the template."""
    props = resource(template, logical_id)["Properties"]
    definition: dict[str, Any] = {
        "TableName": name,
        "AttributeDefinitions": props["AttributeDefinitions"],
        "KeySchema": props["KeySchema"],
        "BillingMode": props.get("BillingMode", "PROVISIONED"),
    }
    for index_kind in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        if index_kind in props:
            definition[index_kind] = props[index_kind]
    if "StreamSpecification" in props:
        definition["StreamSpecification"] = {"StreamEnabled": True, **props["StreamSpecification"]}
    return definition


@dataclass(frozen=True, slots=True)
class LocalResources:
    table_name: str
    bucket_name: str


def create_resources(
    template_path: Path, *, dynamodb: Any, s3: Any, table_name: str, bucket_name: str, region: str
) -> LocalResources:
    """Create the template's table and bucket with the given clients (moto)."""
    template = read_template(template_path)
    existing = dynamodb.list_tables().get("TableNames", [])
    if table_name not in existing:
        dynamodb.create_table(**table_definition(template, TABLE, table_name))
    bucket_props = resource(template, BUCKET).get("Properties", {})
    buckets = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    if bucket_name not in buckets:
        create: dict[str, Any] = {"Bucket": bucket_name}
        if region != "us-east-1":
            create["CreateBucketConfiguration"] = {"LocationConstraint": region}
        s3.create_bucket(**create)
    if "VersioningConfiguration" in bucket_props:
        s3.put_bucket_versioning(
            Bucket=bucket_name, VersioningConfiguration=bucket_props["VersioningConfiguration"]
        )
    if "BucketEncryption" in bucket_props:
        s3.put_bucket_encryption(
            Bucket=bucket_name,
            ServerSideEncryptionConfiguration={
                "Rules": [
                    # CloudFormation and the S3 API name this one field differently.
                    {
                        "ApplyServerSideEncryptionByDefault": rule["ServerSideEncryptionByDefault"],
                        **{k: v for k, v in rule.items() if k != "ServerSideEncryptionByDefault"},
                    }
                    for rule in bucket_props["BucketEncryption"][
                        "ServerSideEncryptionConfiguration"
                    ]
                ]
            },
        )
    if "PublicAccessBlockConfiguration" in bucket_props:
        s3.put_public_access_block(
            Bucket=bucket_name,
            PublicAccessBlockConfiguration=bucket_props["PublicAccessBlockConfiguration"],
        )
    return LocalResources(table_name, bucket_name)


@dataclass(frozen=True, slots=True)
class LocalClients:
    dynamodb: Any
    s3: Any


def create_resources_at(
    template_path: Path,
    *,
    table_name: str,
    bucket_name: str,
    region: str,
    endpoint_url: str | None = None,
    credentials: dict[str, str] | None = None,
) -> LocalClients:
    """Clients for a stand-in (an endpoint, or moto in-process when None) with the
    template's table and bucket created there."""
    import boto3

    session = boto3.session.Session(region_name=region, **(credentials or {}))
    clients = LocalClients(
        dynamodb=session.client("dynamodb", endpoint_url=endpoint_url),
        s3=session.client("s3", endpoint_url=endpoint_url),
    )
    create_resources(
        template_path,
        dynamodb=clients.dynamodb,
        s3=clients.s3,
        table_name=table_name,
        bucket_name=bucket_name,
        region=region,
    )
    return clients
