"""Integration fixtures: the real handlers over moto (in-process), with tables and buckets
built from infra/template.yaml and a frozen clock."""

from __future__ import annotations

import contextlib
import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from moto import mock_aws

from cme import api
from cme.api import openapi_document, problem_codes
from cme.jsonio import dumps
from cme.settings import reset_settings
from cme.store.repository import DynamoStore
from cme_tools.local.checkout import Checkout
from cme_tools.local.functions import Answer, Functions
from cme_tools.local.in_process import serialise_moto_calls
from cme_tools.local.resources import create_resources

CHECKOUT = Checkout.find(Path(__file__).parent)
ROOT = CHECKOUT.root
ESHG = ROOT / "programmes" / "eshg2025.yaml"
FROZEN_NOW = datetime(2025, 6, 15, 12, 0, tzinfo=UTC)
"""Mid-June 2025: after the congress, inside the on-demand window, before the deadline."""


class DocumentedFunctions(Functions):
    """The four functions in-process, called as API Gateway calls them; every answer must
    be one the served OpenAPI document gives for its operation: the status, and for a
    problem its code (so that the document's lists of codes cannot fall behind)."""

    def call(self, method: str, path: str, body: Any = None, **kw: Any) -> Answer:
        answer = super().call(method, path, body, **kw)
        operation = self.operation(method, path)
        if operation is None:  # no route: the gateway's 404, or a wrong method's 405
            assert (answer.status, answer.code) in {(404, "not_found"), (405, "method_not_allowed")}
            return answer
        responses = DOCUMENT["paths"][operation][method.lower()]["responses"]
        assert str(answer.status) in responses, (method, operation, answer.status)
        if answer.code is not None:
            documented = problem_codes(responses[str(answer.status)])
            assert answer.code in documented, (method, operation, answer.status, answer.code)
        return answer


DOCUMENT = json.loads(openapi_document())


@pytest.fixture(scope="session")
def functions() -> Functions:
    return DocumentedFunctions(CHECKOUT)


REGION = "eu-west-1"
CREDENTIALS = {
    "aws_access_key_id": "testing",
    "aws_secret_access_key": "testing",
    "aws_session_token": "testing",
}


@dataclass
class _Moto:
    """moto in-process for one test module, with clients made once (a botocore client
    costs more than a whole test's DynamoDB calls)."""

    dynamodb: Any
    s3: Any
    buckets: Iterator[int]


@pytest.fixture(scope="module")
def _moto() -> Iterator[_Moto]:
    """One moto per test module, not per test: starting moto, making clients and loading
    their service models was most of what an integration test cost. Each test still gets
    a table of its own (dropped and created again from the template) and a bucket of its
    own; the mock ends with the module, so no other file's tests run under it."""
    import boto3

    with mock_aws():
        session = boto3.session.Session(region_name=REGION, **CREDENTIALS)
        yield _Moto(session.client("dynamodb"), session.client("s3"), itertools.count(1))


@pytest.fixture
def aws(_moto: _Moto, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """moto in-process with the template's table and bucket, both empty and new."""
    env = {
        "AWS_ACCESS_KEY_ID": CREDENTIALS["aws_access_key_id"],
        "AWS_SECRET_ACCESS_KEY": CREDENTIALS["aws_secret_access_key"],
        "AWS_SESSION_TOKEN": CREDENTIALS["aws_session_token"],
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "CME_TABLE_NAME": "cme-credits-test",
        "CME_BUCKET_NAME": f"cme-certificates-test-{next(_moto.buckets)}",
        "CME_PUBLIC_BASE_URL": "https://cme.example.org/v1",
        "CME_PROGRAMME_CACHE_SECONDS": "60",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    reset_settings()
    serialise_moto_calls()  # batches record scans side by side
    resources = {"dynamodb": _moto.dynamodb, "s3": _moto.s3, **env}
    empty_table(resources)
    yield resources
    reset_settings()


def empty_table(aws: dict[str, Any]) -> None:
    """The template's table, dropped and created again (empty), and the test's bucket."""
    dynamodb = aws["dynamodb"]
    with contextlib.suppress(dynamodb.exceptions.ResourceNotFoundException):
        dynamodb.delete_table(TableName=aws["CME_TABLE_NAME"])
    create_resources(
        CHECKOUT.template,
        dynamodb=dynamodb,
        s3=aws["s3"],
        table_name=aws["CME_TABLE_NAME"],
        bucket_name=aws["CME_BUCKET_NAME"],
        region=REGION,
    )


@pytest.fixture
def clock() -> list[datetime]:
    """The server's clock, frozen; tests move it by assigning clock[0]."""
    return [FROZEN_NOW]


@pytest.fixture
def store(aws: dict[str, Any]) -> DynamoStore:
    return DynamoStore()


@pytest.fixture
def client(
    functions: Functions, store: DynamoStore, clock: list[datetime], monkeypatch: pytest.MonkeyPatch
) -> Functions:
    monkeypatch.setattr(api.runtime, "clock", lambda: clock[0])
    monkeypatch.setattr(api.runtime, "store_factory", lambda: store)
    monkeypatch.setattr(api.runtime, "launch", functions.run_task)  # tasks run at once
    return functions


def eshg_document() -> dict[str, Any]:
    from cme.programme import load_programme_file, programme_document

    document = programme_document(load_programme_file(ESHG).programme)
    return json.loads(dumps(document))


@pytest.fixture
def eshg(client: Functions) -> Functions:
    """The ESHG 2025 programme loaded through the API."""
    answer = client.put("/events/eshg2025", eshg_document())
    assert answer.status == 201, answer.body
    return client


@pytest.fixture
def delegate(eshg: Functions) -> str:
    answer = eshg.put(
        "/events/eshg2025/delegates/D0001",
        {"name": "Łukasz Żółć", "email": "lukasz@example.org", "attendance": "in_person"},
    )
    assert answer.status == 201, answer.body
    return "D0001"


# --------------------------------------------------------------------------- contract helpers


@pytest.fixture
def programme_document() -> dict[str, Any]:
    """A fresh copy of the ESHG 2025 document as the API takes it (safe to edit)."""
    return eshg_document()


@pytest.fixture
def expect_problem() -> Any:
    """Check an error answer the way the contract states it: the status, the stable `code`,
    problem+json with its fields, and nothing that looks like a stack trace. Returns the
    problem document."""

    def check(answer: Answer, status: int, code: str) -> dict[str, Any]:
        assert (answer.status, answer.code) == (status, code), answer.text
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert answer.body["status"] == status
        assert isinstance(answer.body["title"], str)
        assert isinstance(answer.body["detail"], str)
        assert "Traceback" not in answer.text
        assert 'File "' not in answer.text
        return dict(answer.body)

    return check


@pytest.fixture
def stored_items(aws: dict[str, Any]) -> Any:
    """Every item of the table as moto holds it (a full Scan, for counting facts)."""

    def items(prefix: str = "") -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        pages = aws["dynamodb"].get_paginator("scan").paginate(TableName=aws["CME_TABLE_NAME"])
        for page in pages:
            found.extend(page["Items"])
        return [item for item in found if item["sk"]["S"].startswith(prefix)]

    return items


@pytest.fixture(scope="module")
def parsed_once() -> Iterator[None]:
    """Parse infra/template.yaml and the ESHG programme once per module rather than once per
    test (pure YAML, about half of what the `aws` and `eshg` fixtures cost). Opt in with
    `pytestmark = pytest.mark.usefixtures("parsed_once")`; a file that changes on disk is
    read again."""
    import copy
    import functools

    from cme import programme
    from cme_tools.local import resources

    read_template, load_programme_file = resources.read_template, programme.load_programme_file

    @functools.cache
    def parsed(reader: Any, path: Path, stamp: tuple[int, int]) -> Any:
        return reader(path)

    def stamp(path: Path) -> tuple[int, int]:
        stat = path.stat()
        return stat.st_mtime_ns, stat.st_size

    def cached_template(path: Path) -> dict[str, Any]:
        return copy.deepcopy(parsed(read_template, path, stamp(path)))

    def cached_programme(path: str | Path) -> Any:
        return parsed(load_programme_file, Path(path), stamp(Path(path)))  # immutable

    patch = pytest.MonkeyPatch()
    patch.setattr(resources, "read_template", cached_template)
    patch.setattr(programme, "load_programme_file", cached_programme)
    yield
    patch.undo()


@pytest.fixture(scope="module")
def journaled_transactions() -> Iterator[None]:
    """moto's TransactWriteItems with the local stack's journal (`moto_journal`, checked
    equal to moto's own in test_moto_journal.py) instead of a copy of the whole table for
    every action of a transaction: for the files of batches, whose transactions of 100
    actions on a table of hundreds of items were most of their time. Opt in with
    `pytestmark`, like `parsed_once`; moto's own method is back after the module."""
    from cme_tools.local import moto_journal

    already = moto_journal.installed()
    moto_journal.install()  # False on another moto: then moto's own, only slower
    yield
    if not already:
        moto_journal.uninstall()


def scan_body(scan_id: str, scanned_at: str, delegate_id: str = "D0001") -> dict[str, Any]:
    """A scan as the platform posts it, from the first CME desk."""
    return {
        "scan_id": scan_id,
        "delegate_id": delegate_id,
        "station_id": "cme-desk-1",
        "scanned_at": scanned_at,
    }
