"""The lock files: what `make venv` and `sam build` install is exactly what pyproject.toml
pins, with a hash for every file, and the layer runs the versions the tests ran."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from tests.infra.infra_support import REPO

PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
DEV_LOCK = REPO / "requirements" / "dev.txt"
LAYER_LOCK = REPO / "layers" / "common" / "requirements.txt"
UV_LOCK = REPO / "requirements" / "uv.txt"
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^ ;\\]+)")


def locked(path: Path) -> dict[str, str]:
    """Package -> version of a lock file (uv pip compile's format)."""
    found: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if match := PIN.match(line):
            found[canonicalize_name(match[1])] = str(Version(match[2]))
    return found


def hashed(path: Path) -> dict[str, int]:
    """Package -> the number of file hashes the lock gives for it."""
    counts: dict[str, int] = {}
    current = None
    for line in path.read_text(encoding="utf-8").splitlines():
        if match := PIN.match(line):
            current = canonicalize_name(match[1])
            counts[current] = 0
        elif current and line.strip().startswith("--hash=sha256:"):
            counts[current] += 1
    return counts


def pins(*extras: str) -> dict[str, str]:
    """Package -> version pinned by pyproject.toml (the project's own extras left out)."""
    project = PYPROJECT["project"]
    requirements = [*project["dependencies"]]
    for extra in extras:
        requirements += project["optional-dependencies"][extra]
    found: dict[str, str] = {}
    for text in requirements:
        requirement = Requirement(text)
        if canonicalize_name(requirement.name) == "cme-credits":
            continue
        (specifier,) = requirement.specifier
        assert specifier.operator == "==", f"{text}: pyproject pins exactly"
        found[canonicalize_name(requirement.name)] = str(Version(specifier.version))
    return found


@pytest.mark.parametrize("lock", [DEV_LOCK, LAYER_LOCK, UV_LOCK], ids=["dev", "layer", "uv"])
def test_every_locked_package_has_its_hashes(lock: Path) -> None:
    counts = hashed(lock)
    assert counts, f"{lock} locks nothing"
    assert [name for name, count in counts.items() if count == 0] == []


def test_the_installer_lock_is_uv_as_the_development_lock_pins_it() -> None:
    # make venv installs uv alone with pip, then everything else with uv.
    assert locked(UV_LOCK) == {"uv": locked(DEV_LOCK)["uv"]}


def test_the_development_lock_holds_every_pin_of_pyproject() -> None:
    dev = locked(DEV_LOCK)
    wanted = pins(*PYPROJECT["project"]["optional-dependencies"])
    assert {name: dev.get(name) for name in wanted} == wanted, "run `make lock`"


def test_the_layer_lock_is_the_service_and_runs_what_the_tests_ran() -> None:
    layer, dev = locked(LAYER_LOCK), locked(DEV_LOCK)
    wanted = pins("service")
    assert {name: layer.get(name) for name in wanted} == wanted, "run `make lock`"
    assert "botocore" in wanted, "botocore is pinned, not left to boto3's range"
    assert {name: dev.get(name) for name in layer} == layer, "layer and tests differ"
    # Nothing of the tools or the tests ships in the layer.
    for name in ("moto", "pytest", "tqdm", "mypy", "uv"):
        assert name not in layer


def test_the_command_line_installs_without_the_service() -> None:
    # pip install 'cme-credits[cli]': an HTTP client's needs and the domain, no fonts, no
    # AWS SDK, no PDF library (cme serve says what it lacks instead).
    cli = set(pins("cli"))
    assert cli.isdisjoint(pins("service").keys() - cli - pins().keys())
    for name in ("fpdf2", "boto3", "botocore", "pynamodb", "aws-lambda-powertools"):
        assert name not in cli
    assert not any(name.startswith(("fontpkg", "cvttf", "manimgx")) for name in cli)
