"""SnapStart: the hooks a function registers with Lambda's `snapshot_restore_py`, and what
they do when the runtime calls them before a snapshot and after a restore (simulated here:
Lambda's module exists only in its Python runtime, so a stand-in records what is
registered, with the arguments the runtime would call it with)."""

from __future__ import annotations

import random
import sys
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import botocore.endpoint
import botocore.session
import pytest

from cme import snapstart
from cme.store.files import CertificateFiles
from cme.store.repository import DynamoStore
from cme_tools.local.functions import load_function
from tests.integration.conftest import CHECKOUT

Hook = tuple[Callable[..., Any], tuple[Any, ...]]


@dataclass
class LambdaRuntime:
    """Lambda's `snapshot_restore_py` as far as a function sees it."""

    before_snapshot: list[Hook] = field(default_factory=list)
    after_restore: list[Hook] = field(default_factory=list)

    def snapshot(self) -> None:
        for hook, args in reversed(self.before_snapshot):  # the runtime's order
            hook(*args)

    def restore(self) -> None:
        for hook, args in self.after_restore:
            hook(*args)


@pytest.fixture
def lambda_runtime(monkeypatch: pytest.MonkeyPatch) -> Iterator[LambdaRuntime]:
    recorded = LambdaRuntime()
    module = types.ModuleType("snapshot_restore_py")
    module.register_before_snapshot = (  # type: ignore[attr-defined]
        lambda hook, *args: recorded.before_snapshot.append((hook, args))
    )
    module.register_after_restore = (  # type: ignore[attr-defined]
        lambda hook, *args: recorded.after_restore.append((hook, args))
    )
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", module)
    monkeypatch.setattr(snapstart, "_registered", [])
    yield recorded


@pytest.fixture
def no_request_sent(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any request a botocore client tries to send fails the test."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a request was sent before the snapshot")

    monkeypatch.setattr(botocore.endpoint.Endpoint, "make_request", refuse)


@pytest.mark.parametrize("name", ["scan", "evaluate", "certificate", "organiser"])
def test_each_function_registers_its_hooks_once(lambda_runtime: LambdaRuntime, name: str) -> None:
    # Given Lambda's runtime with SnapStart
    # When the function's module is imported (Lambda's init, before the snapshot), twice
    load_function(CHECKOUT, name, fresh=True)
    load_function(CHECKOUT, name, fresh=True)
    # Then one hook runs before the snapshot and one after each restore
    assert [hook for hook, _ in lambda_runtime.before_snapshot] == [snapstart.before_snapshot]
    assert lambda_runtime.after_restore == [(snapstart.after_restore, ())]


def test_nothing_is_registered_outside_lambda(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a Python without Lambda's runtime module (a laptop, the tests, `cme serve`)
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", None)
    monkeypatch.setattr(snapstart, "_registered", [])
    # When a function registers its hooks, then there is nothing to register
    assert snapstart.register() is False


@pytest.fixture
def clients_made(monkeypatch: pytest.MonkeyPatch) -> Callable[[], list[str]]:
    """From when it is called: the services botocore makes a client for."""

    def counting() -> list[str]:
        made: list[str] = []
        create_client = botocore.session.Session.create_client

        def counted(self: botocore.session.Session, service: str, *a: Any, **k: Any) -> Any:
            made.append(service)
            return create_client(self, service, *a, **k)

        monkeypatch.setattr(botocore.session.Session, "create_client", counted)
        return made

    return counting


@pytest.mark.parametrize("name", ["scan", "evaluate", "organiser"])
def test_the_snapshot_holds_the_store_client(
    aws: dict[str, Any],
    lambda_runtime: LambdaRuntime,
    no_request_sent: None,
    clients_made: Callable[[], list[str]],
    name: str,
) -> None:
    # Given the function imported in Lambda's init
    load_function(CHECKOUT, name, fresh=True)
    DynamoStore.reset_connections()
    # When Lambda takes the snapshot (no request may be sent: nothing to go stale)
    lambda_runtime.snapshot()
    # Then the store's client is made: the first request makes none
    made = clients_made()
    DynamoStore.default().client()
    assert made == []


def test_the_snapshot_holds_the_certificate_functions_clients_and_its_drawing_code(
    aws: dict[str, Any],
    lambda_runtime: LambdaRuntime,
    no_request_sent: None,
    clients_made: Callable[[], list[str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given the certificate function imported in Lambda's init, fpdf2 not yet loaded
    for module in [m for m in sys.modules if m == "fpdf" or m.startswith("fpdf.")]:
        monkeypatch.delitem(sys.modules, module)
    load_function(CHECKOUT, "certificate", fresh=True)
    # When Lambda takes the snapshot
    lambda_runtime.snapshot()
    # Then fpdf2 is loaded, and the store's and S3's clients are made: the first request
    # makes none
    assert "fpdf" in sys.modules
    made = clients_made()
    DynamoStore.default().client()
    CertificateFiles.default().client()
    assert made == []


def test_a_restore_keeps_the_clients_and_seeds_random_again(
    aws: dict[str, Any], lambda_runtime: LambdaRuntime
) -> None:
    # Given an environment initialised before the snapshot: the clients made, and
    # `random` in the state the snapshot froze
    assert snapstart.register(CertificateFiles.default().client) is True
    lambda_runtime.snapshot()
    dynamodb_before = DynamoStore.default().client()
    s3_before = CertificateFiles.default().client()
    frozen = random.getstate()
    # When the runtime restores the snapshot and runs the registered hooks
    lambda_runtime.restore()
    # Then the clients are the snapshot's (its credentials refresh themselves; nothing was
    # connected), and they still answer
    assert DynamoStore.default().client() is dynamodb_before
    assert CertificateFiles.default().client() is s3_before
    DynamoStore.default().client().describe_table(TableName=DynamoStore.default().config.table_name)
    # And `random` no longer continues from the snapshot's state
    after = [random.random() for _ in range(3)]
    random.setstate(frozen)
    assert after != [random.random() for _ in range(3)]
