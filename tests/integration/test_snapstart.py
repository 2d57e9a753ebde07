"""SnapStart: the hooks a function registers with Lambda's `snapshot_restore_py`, and what
they do when the runtime calls them after a restore (simulated here: Lambda's module exists
only in its Python runtime, so a stand-in records what is registered)."""

from __future__ import annotations

import random
import sys
import types
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from cme import snapstart
from cme.store.files import CertificateFiles
from cme.store.repository import DynamoStore
from cme_tools.local.functions import load_function
from tests.integration.conftest import CHECKOUT


@pytest.fixture
def lambda_runtime(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Callable[[], Any]]]:
    """Lambda's `snapshot_restore_py`: the hooks registered after a restore, in order."""
    hooks: list[Callable[[], Any]] = []
    runtime = types.ModuleType("snapshot_restore_py")
    runtime.register_after_restore = hooks.append  # type: ignore[attr-defined]
    runtime.register_before_snapshot = lambda hook: None  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", runtime)
    monkeypatch.setattr(snapstart, "_registered", [])
    yield hooks


@pytest.mark.parametrize("name", ["scan", "evaluate", "certificate", "organiser"])
def test_each_function_registers_the_restore_hook_once(
    lambda_runtime: list[Callable[[], Any]], name: str
) -> None:
    # Given Lambda's runtime with SnapStart
    # When the function's module is imported (Lambda's init, before the snapshot)
    load_function(CHECKOUT, name, fresh=True)
    load_function(CHECKOUT, name, fresh=True)
    # Then the hook that makes clients and seeds again is registered, once
    assert lambda_runtime == [snapstart.after_restore]


def test_nothing_is_registered_outside_lambda(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a Python without Lambda's runtime module (a laptop, the tests, `cme serve`)
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", None)
    monkeypatch.setattr(snapstart, "_registered", [])
    # When a function registers its hooks, then there is nothing to register
    assert snapstart.register() is False


def test_a_restore_makes_new_clients_and_seeds_random_again(
    aws: dict[str, Any], lambda_runtime: list[Callable[[], Any]]
) -> None:
    # Given an environment initialised before the snapshot: a store and an S3 client made,
    # and `random` in the state the snapshot froze
    assert snapstart.register() is True
    store = DynamoStore.default()
    dynamodb_before = store.client()
    s3_before = CertificateFiles.default().client()
    frozen = random.getstate()
    # When the runtime restores the snapshot and runs the registered hooks
    for hook in lambda_runtime:
        hook()
    # Then the store and the certificate files make new clients on their next call
    assert DynamoStore.default().client() is not dynamodb_before
    assert CertificateFiles.default().client() is not s3_before
    # And `random` no longer continues from the snapshot's state
    after = [random.random() for _ in range(3)]
    random.setstate(frozen)
    assert after != [random.random() for _ in range(3)]
