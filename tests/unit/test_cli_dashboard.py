"""`cme dashboard`: the page saved whole at every fetch, reloading itself as often as
`--watch` fetches, until Ctrl-C; the API itself is stood in for (the e2e suite fetches
from a real `cme serve`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cme_tools.cli import build_parser, dashboard
from cme_tools.cli.terminal import EXIT_USAGE

EXIT_INTERRUPTED = 130


def parse(*argv: str) -> Any:
    return build_parser().parse_args(
        ["dashboard", *argv, "--api-url", "http://127.0.0.1:9/v1", "--api-key", "k"]
    )


@pytest.fixture
def fetched(monkeypatch: pytest.MonkeyPatch) -> list[int | None]:
    """The API stood in for: each fetch's `refresh`, in order; page N says so."""
    calls: list[int | None] = []

    def fetch(client: Any, event_id: str, *, refresh: int | None = None) -> str:
        calls.append(refresh)
        return f"<html>page {len(calls)}</html>"

    monkeypatch.setattr(dashboard, "fetch_dashboard", fetch)
    return calls


def test_watch_fetches_again_until_interrupted(tmp_path: Path, fetched: list[int | None]) -> None:
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        if len(sleeps) == 3:
            raise KeyboardInterrupt

    opened: list[str] = []
    target = tmp_path / "nested" / "page.html"
    args = parse("eshg2025", "-o", str(target), "--watch", "30")

    status = dashboard.run(args, sleep=sleep, open_page=opened.append)

    assert status == EXIT_INTERRUPTED
    assert fetched == [30, 30, 30]  # the page reloads itself as often as it is fetched
    assert sleeps == [30, 30, 30]
    assert target.read_text(encoding="utf-8") == "<html>page 3</html>"
    assert opened == [target.resolve().as_uri()]  # opened once, then reloads itself
    assert [p.name for p in target.parent.iterdir()] == ["page.html"]  # no partial file left


def test_without_watch_the_page_is_fetched_once_and_not_opened_when_told(
    tmp_path: Path, fetched: list[int | None]
) -> None:
    args = parse("eshg2025", "-o", str(tmp_path / "page.html"), "--no-open")

    assert dashboard.run(args, sleep=pytest.fail, open_page=pytest.fail) == 0
    assert fetched == [None]


@pytest.mark.parametrize("seconds", ["9", "3601"])
def test_a_watch_period_the_api_does_not_take_is_a_usage_error(seconds: str) -> None:
    from cme_tools.cli import main

    assert main(["dashboard", "e", "--watch", seconds, "--api-url", "http://x/v1"]) == EXIT_USAGE
