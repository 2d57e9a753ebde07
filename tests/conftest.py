"""Suite-wide settings: hypothesis is reproducible in CI (derandomized) and never fails on
timing, because a loaded 2-core machine is not a property of the code."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci" if os.environ.get("CI") else "dev")

# The files that take longest, first: `make test` hands whole files to two workers in
# collection order (`--dist loadfile --no-loadscope-reorder`; by default xdist hands out
# the files with the most tests first, and these few long ones came last, leaving one
# worker to run them alone for four minutes). Longest first as measured in a full run
# (`--durations=0`, summed by file), down to about 15 s: a long file handed out late (the
# unit properties, say, which sort last) would leave one worker alone at the end.
SLOWEST_FIRST = (
    "tests/e2e/test_fuzz.py",
    "tests/e2e/test_demo.py",
    "tests/infra/test_tools.py",
    "tests/e2e/test_hostile.py",
    "tests/e2e/test_races.py",
    "tests/integration/test_faults.py",
    "tests/e2e/test_certificates.py",
    "tests/infra/test_build.py",
    "tests/e2e/test_security.py",
    "tests/unit/test_rules_properties.py",
    "tests/e2e/test_organiser_cli.py",
    "tests/integration/test_scan_batches.py",
    "tests/integration/test_privacy.py",
    "tests/integration/test_scan_batch_equivalence.py",
    "tests/integration/test_certificates.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        path = item.nodeid.split("::", 1)[0]
        return SLOWEST_FIRST.index(path) if path in SLOWEST_FIRST else len(SLOWEST_FIRST)

    items.sort(key=rank)  # stable: every file keeps its tests in order
