"""Fixtures for the checks of infra/template.yaml (helpers in infra_support)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.infra.infra_support import TEMPLATE, load_template, run, tool


@pytest.fixture(scope="session")
def template() -> dict[str, Any]:
    return load_template()


@pytest.fixture(scope="session")
def resources(template: dict[str, Any]) -> dict[str, Any]:
    return template["Resources"]


@pytest.fixture(scope="session")
def transformed() -> dict[str, Any]:
    """The CloudFormation that the SAM transform makes of the template (what AWS gets)."""
    python = tool("sam", "python")
    result = run([python, Path(__file__).with_name("sam_transform.py"), TEMPLATE], timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture
def report_size(record_property: Any) -> Iterator[Any]:
    """Record a size for the summary at the end of the run (works under xdist too)."""

    def record(name: str, megabytes: float) -> None:
        record_property(f"size:{name}", megabytes)

    yield record


def pytest_terminal_summary(terminalreporter: Any) -> None:
    sizes = [
        (name.removeprefix("size:"), value)
        for reports in terminalreporter.stats.values()
        for report in reports
        if getattr(report, "when", None) == "call"
        for name, value in getattr(report, "user_properties", ())
        if name.startswith("size:")
    ]
    if sizes:
        terminalreporter.section("sam build, unzipped sizes")
        for name, megabytes in sizes:
            shown = f"{megabytes:.1f} MB" if megabytes >= 1 else f"{megabytes * 1024:.1f} KB"
            terminalreporter.write_line(f"{name:<24} {shown:>10}")
