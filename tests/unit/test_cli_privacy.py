"""`cme export-delegate` and `cme erase-delegate` against a stub API: what goes on the wire
(the organiser's key, the reason in a DELETE body), what comes out, and the contract's exit
statuses with one line on stderr when the API refuses."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cme_tools.cli import main
from cme_tools.cli.terminal import EXIT_OK, EXIT_USAGE
from tests.unit import test_client
from tests.unit.test_client import Answer, Stub

api = test_client.stub
"""The fixture of a stub API in a thread (shared with the client's tests)."""
DELEGATE = "/v1/events/e1/delegates/D1"
EXPORTED = {"event_id": "e1", "delegate_id": "D1", "profile": {"email": None}, "total": 25.5}


def cme(api: Stub, *argv: str) -> int:
    return main([*argv, "--api-url", f"{api.url}/v1", "--api-key", "organiser-key"])


def test_export_writes_the_document_to_stdout_or_a_file(
    api: Stub, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    api.answer("GET", f"{DELEGATE}/export", Answer(200, json.dumps(EXPORTED)))

    assert cme(api, "export-delegate", "e1", "D1") == EXIT_OK
    printed = capsys.readouterr().out
    target = tmp_path / "D1.json"
    assert cme(api, "export-delegate", "e1", "D1", "-o", str(target)) == EXIT_OK

    assert json.loads(printed) == EXPORTED
    assert json.loads(target.read_text(encoding="utf-8")) == EXPORTED
    assert "25.5" in printed  # amounts stay exact
    assert [(r.method, r.path, r.headers["x-api-key"]) for r in api.received] == [
        ("GET", f"{DELEGATE}/export", "organiser-key")
    ] * 2


def test_erase_sends_the_reason_and_says_what_it_did(
    api: Stub, capsys: pytest.CaptureFixture[str]
) -> None:
    api.answer("DELETE", DELEGATE, Answer(204))

    status = cme(api, "erase-delegate", "e1", "D1", "--reason", "asked on 3 March")

    assert status == EXIT_OK
    (request,) = api.received
    assert (request.method, request.path) == ("DELETE", DELEGATE)
    assert json.loads(request.body) == {"reason": "asked on 3 March"}
    assert capsys.readouterr().out.count("\n") == 1


@pytest.mark.parametrize(
    "refused",
    [
        (404, "unknown_delegate", "D1"),
        (404, "unknown_event", "e1"),
        (403, "forbidden", "organiser"),
    ],
)
@pytest.mark.parametrize("command", ["export", "erase"])
def test_a_refusal_is_one_line_and_exit_status_2(
    api: Stub, capsys: pytest.CaptureFixture[str], refused: tuple[int, str, str], command: str
) -> None:
    status, code, names = refused
    refusal = Answer(status, {"status": status, "code": code, "title": "x", "detail": "x"})
    api.answer("GET", f"{DELEGATE}/export", refusal)
    api.answer("DELETE", DELEGATE, refusal)
    argv: list[Any] = (
        ["export-delegate", "e1", "D1"]
        if command == "export"
        else ["erase-delegate", "e1", "D1", "--reason", "asked"]
    )

    assert cme(api, *argv) == EXIT_USAGE

    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1
    assert code in captured.err and names in captured.err


def test_a_reason_out_of_bounds_sends_nothing(
    api: Stub, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cme(api, "erase-delegate", "e1", "D1", "--reason", "x" * 501) == EXIT_USAGE
    assert cme(api, "erase-delegate", "e1", "D1", "--reason", "") == EXIT_USAGE
    with pytest.raises(SystemExit) as usage:
        cme(api, "erase-delegate", "e1", "D1")  # --reason is required
    assert usage.value.code == EXIT_USAGE
    assert api.received == []
