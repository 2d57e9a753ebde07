"""The organiser's dashboard end to end: `cme dashboard` fetches it from `cme serve` over
real HTTP and saves it, and headless Chromium opens the saved file (no server, no
network: it must stand alone) and draws it: the DOM holds the numbers, the screenshot is
a page, not a blank."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from cme_tools.cli import main as cme
from tests.e2e.browser import chromium
from tests.e2e.served import API_KEY, Http
from tests.e2e.test_certificates import ready_delegate

pytestmark = pytest.mark.e2e


def test_the_dashboard_opens_in_a_browser_from_a_file(
    http: Http, event: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ready_delegate(http, event, "DB0001", "Ana Dashboard")
    ready_delegate(http, event, "DB0002", "Bo Dashboard")
    page = tmp_path / "dashboard.html"
    api = ["--api-url", http.base_url, "--api-key", API_KEY]
    assert cme(["dashboard", event, "-o", str(page), "--no-open", *api]) == 0
    assert str(page) in capsys.readouterr().out

    dom = chromium("--dump-dom", page.as_uri())
    assert "Delegates registered" in dom
    assert "<strong>2</strong>Ready for a certificate" in dom
    assert "Ana Dashboard" not in dom

    shot = tmp_path / "dashboard.png"
    chromium(f"--screenshot={shot}", "--window-size=1280,1800", page.as_uri())
    with Image.open(shot) as image:
        assert image.size == (1280, 1800)
        colours = image.convert("RGB").getcolors(maxcolors=1 << 16)
    # Text, cards and bars in several colours: far from a blank (one colour) page.
    assert colours is None or len(colours) > 50
