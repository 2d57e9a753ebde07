"""Shared by the infra checks: the template, the tools and an offline environment.

The SAM CLI and checkov live in their own venvs (`make infra-tools`), never in the
project's: their dependency pins fight the project's. Without them a developer's run
skips those checks with the command to install them; with CI=true it fails instead.
Every tool runs offline: dummy credentials and region, no telemetry.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from cme_tools.local.resources import read_template

REPO = Path(__file__).resolve().parents[2]
TEMPLATE = REPO / "infra" / "template.yaml"
TOOLS = REPO / ".venv" / "tools"

FUNCTIONS = ("ScanFunction", "EvaluateFunction", "CertificateFunction", "OrganiserFunction")


# The contract's routes (paths inside the stage), the function that owns each, and
# whether it is public (no x-api-key).
DELEGATE = "/events/{event_id}/delegates/{delegate_id}"
ROUTES: dict[tuple[str, str], tuple[str, bool]] = {
    ("POST", "/events/{event_id}/scans"): ("ScanFunction", False),
    ("POST", "/events/{event_id}/scans/batch"): ("ScanFunction", False),
    ("POST", f"{DELEGATE}/views"): ("ScanFunction", False),
    ("PUT", f"{DELEGATE}/cart/{{session_id}}"): ("EvaluateFunction", False),
    ("DELETE", f"{DELEGATE}/cart/{{session_id}}"): ("EvaluateFunction", False),
    ("GET", f"{DELEGATE}/cart"): ("EvaluateFunction", False),
    ("PUT", f"{DELEGATE}/evaluations/{{session_id}}"): ("EvaluateFunction", False),
    ("GET", f"{DELEGATE}/credits"): ("EvaluateFunction", False),
    ("GET", "/events/{event_id}/tests/{test_id}"): ("EvaluateFunction", False),
    ("POST", f"{DELEGATE}/tests/{{test_id}}/attempts"): ("EvaluateFunction", False),
    ("POST", f"{DELEGATE}/certificate"): ("CertificateFunction", False),
    ("GET", f"{DELEGATE}/certificate"): ("CertificateFunction", False),
    ("GET", "/certificates/{serial}"): ("CertificateFunction", True),
    ("POST", "/certificates/{serial}/revoke"): ("CertificateFunction", False),
    ("PUT", "/events/{event_id}"): ("OrganiserFunction", False),
    ("GET", "/events/{event_id}"): ("OrganiserFunction", False),
    ("PUT", DELEGATE): ("OrganiserFunction", False),
    ("GET", "/events/{event_id}/report"): ("OrganiserFunction", False),
    ("GET", "/events/{event_id}/register"): ("OrganiserFunction", False),
    ("GET", "/events/{event_id}/dashboard"): ("OrganiserFunction", False),
    ("POST", "/events/{event_id}/report/exports"): ("OrganiserFunction", False),
    ("GET", "/events/{event_id}/report/exports/{export_id}"): ("OrganiserFunction", False),
    ("GET", "/openapi.json"): ("OrganiserFunction", True),
    ("PUT", f"{DELEGATE}/extension"): ("OrganiserFunction", False),
    ("DELETE", f"{DELEGATE}/extension"): ("OrganiserFunction", False),
    ("PUT", f"{DELEGATE}/grants/{{session_id}}"): ("OrganiserFunction", False),
    ("DELETE", f"{DELEGATE}/grants/{{session_id}}"): ("OrganiserFunction", False),
    ("GET", "/events/{event_id}/audit"): ("OrganiserFunction", False),
    ("GET", f"{DELEGATE}/export"): ("OrganiserFunction", False),
    ("DELETE", DELEGATE): ("OrganiserFunction", False),
    ("DELETE", f"{DELEGATE}/revocation"): ("CertificateFunction", False),
}
PUBLIC_ROUTES = {route for route, (_, public) in ROUTES.items() if public}
KEYLESS_ROUTES = PUBLIC_ROUTES | {("ANY", path) for _, path in PUBLIC_ROUTES}
"""The public routes, and their paths' other methods: the function answers those 405."""


def load_template(path: Path = TEMPLATE) -> dict[str, Any]:
    return read_template(path)


def ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def missing(what: str) -> None:
    """A tool the check needs is not there: fail in CI, skip with the fix elsewhere."""
    message = f"{what}; run `make infra-tools`"
    if ci():
        pytest.fail(f"CI=true: {message}")
    pytest.skip(message)


def tool(venv: str, name: str) -> Path:
    path = TOOLS / venv / "bin" / name
    if not os.access(path, os.X_OK):
        missing(f"{path.relative_to(REPO)} is not installed")
    return path


PROBE = "import sys; print(sys.version_info[:2] == (3, 13), sys.executable)"


def find_python313() -> Path | None:
    """A Python 3.13 interpreter outside any venv: `sam build` runs pip with it."""
    candidates: list[str] = []
    if sys.version_info[:2] == (3, 13):
        candidates.append(getattr(sys, "_base_executable", sys.executable))
    if found := shutil.which("python3.13"):
        candidates.append(found)
    for root in (Path.home() / ".pyenv" / "versions", Path("/root/.pyenv/versions")):
        candidates += [str(p) for p in sorted(root.glob("3.13*/bin/python3.13"), reverse=True)]
    candidates += ["/usr/local/bin/python3.13", "/usr/bin/python3.13"]
    for candidate in candidates:
        try:
            answer = subprocess.run(
                [candidate, "-c", PROBE],
                capture_output=True,
                text=True,
                timeout=30,
                check=False,
            )
        except OSError:
            continue
        ok, _, executable = answer.stdout.strip().partition(" ")
        if answer.returncode == 0 and ok == "True":
            return Path(executable)
    return None


def offline_env(extra_path: Path | None = None) -> dict[str, str]:
    """The environment of a tool run: no telemetry, no credentials, no proxy to the world."""
    keep = (
        "PATH",
        "HOME",
        "LANG",
        "LC_ALL",
        "TMPDIR",
        "PIP_INDEX_URL",
        "PIP_EXTRA_INDEX_URL",
        "PIP_FIND_LINKS",
        "PIP_CONFIG_FILE",
        "PIP_CERT",
        "SSL_CERT_FILE",
        "REQUESTS_CA_BUNDLE",
    )
    env = {name: os.environ[name] for name in keep if name in os.environ}
    env.update(
        SAM_CLI_TELEMETRY="0",
        SAM_CLI_CONTAINER_CONNECTION_TIMEOUT="1",
        AWS_DEFAULT_REGION="eu-west-1",
        AWS_REGION="eu-west-1",
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_EC2_METADATA_DISABLED="true",
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        BC_SKIP_MAPPING="TRUE",
        CHECKOV_RUN_SCA_PACKAGE_SCAN_V2="false",
        PYTHONUTF8="1",
    )
    env.setdefault("PATH", os.defpath)
    if extra_path is not None:
        env["PATH"] = f"{extra_path}{os.pathsep}{env['PATH']}"
    return env


def run(
    command: list[str | Path],
    *,
    cwd: Path = REPO,
    env: Mapping[str, str] | None = None,
    timeout: float = 300,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=dict(env) if env is not None else offline_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
