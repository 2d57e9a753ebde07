"""`cme serve` where the service itself is not installed (`pip install 'cme-credits[cli]'`
alone): a usage error saying what to install, not a traceback."""

from __future__ import annotations

import pytest

from cme_tools.cli import main


def test_serve_without_the_local_stack_installed_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "moto" else real(name, *a)
    )
    assert main(["serve", "--port", "3999"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("cme: ") and "moto" in err and "cme-credits[local]" in err
