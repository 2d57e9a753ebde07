"""Headless Chromium (Debian's package, installed by `make test` through
.ci/ensure-chromium) for the tests that look at pages as a browser draws them."""

from __future__ import annotations

import shutil
import subprocess
import tempfile

import pytest

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
)
"""Without the background-networking flags, Chromium keeps reaching for Google's hosts
(refused on a closed network)."""


def chromium(*args: str) -> str:
    """Chromium run once with `args` in a new profile; what it printed."""
    binary = shutil.which("chromium")
    if binary is None:
        pytest.fail("chromium is missing: `make test` installs it (.ci/ensure-chromium)")
    with tempfile.TemporaryDirectory() as profile:
        result = subprocess.run(
            [binary, *FLAGS, f"--user-data-dir={profile}", *args],
            capture_output=True,
            text=True,
            timeout=90,
            check=True,
        )
    return result.stdout


def rendered_text(url: str) -> str:
    """The page as headless Chromium renders it (its DOM after load)."""
    return chromium("--dump-dom", url)
