"""`cme extend`, `grant`, `revoke`, `audit` and `register` against a stand-in of the API
(the e2e suite runs them against a real `cme serve`): what each sends, what it says, and
the exit statuses of the contract (0 done, 2 could not run, one line with the code)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from cme.jsonio import dumps, loads
from cme_tools.cli import decisions, main
from cme_tools.cli.terminal import EXIT_OK, EXIT_USAGE
from cme_tools.client import ApiError, Reply

API = ["--api-url", "http://127.0.0.1:9/v1", "--api-key", "k"]


@dataclass
class FakeApi:
    """Answers each (method, path) from `answers` (a body, or an ApiError to raise) and
    remembers every request as (method, path, query, body)."""

    answers: dict[tuple[str, str], Any] = field(default_factory=dict)
    sent: list[tuple[str, str, Mapping[str, Any] | None, Any]] = field(default_factory=list)

    def answer(self, method: str, path: str, query: Mapping[str, Any] | None, body: Any) -> Any:
        self.sent.append((method, path, query, body))
        found = self.answers[(method, path)]
        answer = found(query) if callable(found) else found
        if isinstance(answer, ApiError):
            raise answer
        return answer

    # The slice of `CmeClient` the commands use.
    def request(self, method: str, path: str, *, body: Any = None, **kw: Any) -> Reply:
        return _reply(self.answer(method, path, kw.get("query"), body))

    def put(self, path: str, body: Any) -> Reply:
        return self.request("PUT", path, body=body)

    def post(self, path: str, body: Any = None) -> Reply:
        return self.request("POST", path, body=body)

    def get(self, path: str, *, query: Mapping[str, Any] | None = None, **kw: Any) -> Reply:
        return self.request("GET", path, query=query)

    def pages(self, path: str, *, query: Mapping[str, Any] | None = None) -> Iterator[Any]:
        cursor = None
        while True:
            page = self.get(path, query={**(query or {}), "cursor": cursor}).json()
            yield page
            cursor = page.get("next_cursor")
            if not cursor:
                return

    def linked_pages(self, path: str, *, query: Mapping[str, Any] | None = None) -> Iterator[Reply]:
        reply = self.request("GET", path, query=query)
        yield reply
        while reply.headers.get("link"):
            reply = self.request("GET", reply.headers["link"])
            yield reply


def _reply(answer: Any) -> Reply:
    if isinstance(answer, Reply):
        return answer
    return Reply(200, "http://fake", {}, b"" if answer is None else dumps(answer).encode())


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> FakeApi:
    fake = FakeApi()
    monkeypatch.setattr(decisions, "client_from", lambda args: fake)
    return fake


@pytest.fixture
def cme(capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str, str]]:
    def run(*argv: str) -> tuple[int, str, str]:
        capsys.readouterr()
        status = main([*argv, *API])
        captured = capsys.readouterr()
        return status, captured.out, captured.err

    return run


EXTENSION = "events/eshg2025/delegates/D0007/extension"
GRANT = "events/eshg2025/delegates/D0007/grants/S05"


def test_extend_sends_the_local_time_and_the_reason(api: FakeApi, cme: Any) -> None:
    api.answers[("PUT", EXTENSION)] = {"delegate_id": "D0007", "changed": True}

    status, out, _ = cme("extend", "eshg2025", "D0007", "2026-01-15T23:59:59", "--reason", "ill")

    assert status == EXIT_OK
    assert api.sent == [("PUT", EXTENSION, None, {"until": "2026-01-15T23:59:59", "reason": "ill"})]
    assert "2026-01-15T23:59:59" in out


def test_the_same_decision_again_says_nothing_changed(api: FakeApi, cme: Any) -> None:
    api.answers[("PUT", GRANT)] = {"delegate_id": "D0007", "changed": False}

    status, out, _ = cme("grant", "eshg2025", "D0007", "S05", "--reason", "scanner")

    assert status == EXIT_OK
    assert out.startswith("unchanged: ")
    assert api.sent == [("PUT", GRANT, None, {"reason": "scanner"})]


@pytest.mark.parametrize(
    ("argv", "path"),
    [
        (["extend", "eshg2025", "D0007", "--withdraw"], EXTENSION),
        (["grant", "eshg2025", "D0007", "S05", "--withdraw"], GRANT),
    ],
)
def test_withdrawing_deletes_with_the_reason(
    api: FakeApi, cme: Any, argv: list[str], path: str
) -> None:
    api.answers[("DELETE", path)] = None

    status, out, _ = cme(*argv, "--reason", "by mistake")

    assert status == EXIT_OK
    assert api.sent == [("DELETE", path, None, {"reason": "by mistake"})]
    assert out.startswith("withdrew ")


@pytest.mark.parametrize(
    "argv",
    [
        ["extend", "eshg2025", "D0007", "--reason", "r"],  # no UNTIL
        ["extend", "eshg2025", "D0007", "2026-01-15", "--withdraw", "--reason", "r"],
        ["grant", "eshg2025", "D0007", "S05", "--reason", "   "],  # blank reason
        ["grant", "eshg2025", "D0007", "S05", "--reason", "x" * 501],
        ["register", "eshg2025", "--page-size", "0"],
    ],
)
def test_what_cannot_be_sent_is_a_usage_error_and_nothing_is_sent(
    api: FakeApi, cme: Any, argv: list[str]
) -> None:
    status, out, err = cme(*argv)

    assert status == EXIT_USAGE
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert api.sent == []


def test_a_missing_reason_is_refused_by_the_parser(api: FakeApi) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["grant", "eshg2025", "D0007", "S05", *API])
    assert exited.value.code == EXIT_USAGE


@pytest.mark.parametrize(
    ("error", "says"),
    [
        (ApiError(404, "unknown_delegate", "no delegate D0007"), "404 unknown_delegate"),
        (ApiError(422, "invalid_request", "until is after"), "422 invalid_request"),
        (ApiError(403, "forbidden", "organisers only"), "403 forbidden"),
        (ApiError(403, "unauthorized", "no key"), "403 unauthorized"),
    ],
)
def test_a_refusal_is_one_line_with_the_code_and_exit_2(
    api: FakeApi, cme: Any, error: ApiError, says: str
) -> None:
    api.answers[("PUT", EXTENSION)] = error

    status, out, err = cme("extend", "eshg2025", "D0007", "2026-01-15T23:59:59", "--reason", "r")

    assert status == EXIT_USAGE
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert says in err


def test_revoke_posts_the_reason_and_names_the_certificate(api: FakeApi, cme: Any) -> None:
    path = "certificates/CME-7KQ2-M9XD-4HTA/revoke"
    api.answers[("POST", path)] = {
        "serial": "CME-7KQ2-M9XD-4HTA",
        "delegate_name": "Ana Lima",
        "event_id": "eshg2025",
        "status": "revoked",
    }

    status, out, _ = cme("revoke", "CME-7KQ2-M9XD-4HTA", "--reason", "wrong person")

    assert status == EXIT_OK
    assert api.sent == [("POST", path, None, {"reason": "wrong person"})]
    assert "CME-7KQ2-M9XD-4HTA" in out and "Ana Lima" in out


def test_lifting_a_revocation_deletes_it_with_the_reason(api: FakeApi, cme: Any) -> None:
    path = "events/eshg2025/delegates/D0007/revocation"
    api.answers[("DELETE", path)] = None

    status, out, _ = cme("lift-revocation", "eshg2025", "D0007", "--reason", "revoked in error")

    assert status == EXIT_OK
    assert api.sent == [("DELETE", path, None, {"reason": "revoked in error"})]
    assert "D0007" in out


def test_lifting_a_revocation_needs_a_reason_before_anything_is_sent(
    api: FakeApi, cme: Any
) -> None:
    status, _, err = cme("lift-revocation", "eshg2025", "D0007", "--reason", "  ")

    assert status == EXIT_USAGE
    assert api.sent == []
    assert len(err.strip().splitlines()) == 1


def _entry(n: int) -> dict[str, str]:
    return {
        "at": f"2025-06-{30 - n:02d}T12:00:00Z",
        "actor": "key-organiser",
        "action": "evidence_granted",
        "target": f"delegates/D{n:04d}/grants/S05",
        "reason": f"reason {n}\nwith a line break",
    }


def _audit_pages(query: Mapping[str, Any] | None) -> dict[str, Any]:
    assert query is not None
    if query.get("cursor") is None:
        return {"entries": [_entry(1), _entry(2)], "next_cursor": "page-2"}
    return {"entries": [_entry(3)], "next_cursor": None}


def test_audit_shows_the_first_page_as_a_table_newest_first(api: FakeApi, cme: Any) -> None:
    api.answers[("GET", "events/eshg2025/audit")] = _audit_pages

    status, out, _ = cme("audit", "eshg2025")

    assert status == EXIT_OK
    lines = out.splitlines()
    assert lines[0].split() == ["at", "actor", "action", "target", "reason"]
    assert [line.split()[0] for line in lines[2:4]] == [
        "2025-06-29T12:00:00Z",
        "2025-06-28T12:00:00Z",
    ]
    assert lines[2].endswith("reason 1 with a line break")  # one line per entry
    assert lines[-1] == "2 entries"
    assert len(api.sent) == 1


def test_audit_all_follows_the_pages_and_prints_json(api: FakeApi, cme: Any) -> None:
    api.answers[("GET", "events/eshg2025/audit")] = _audit_pages

    status, out, _ = cme("audit", "eshg2025", "--all", "--json")

    assert status == EXIT_OK
    document = json.loads(out)
    assert [e["target"] for e in document["entries"]] == [
        "delegates/D0001/grants/S05",
        "delegates/D0002/grants/S05",
        "delegates/D0003/grants/S05",
    ]


ROW = {
    "delegate_id": "D0001",
    "name": "Łukasz Żółć",
    "profession": None,
    "session_id": "S01",
    "date": "2025-05-24",
    "evidence": "scan",
    "amount": Decimal("1.5"),
    "evaluated_at": "2025-05-24T10:02:00Z",
    "status": "credited",
}
HEADER = "delegate_id,name,profession,session_id,date,evidence,amount,evaluated_at,status\r\n"


def test_register_as_json_follows_every_page_with_exact_amounts(
    api: FakeApi, cme: Any, tmp_path: Path
) -> None:
    def pages(query: Mapping[str, Any] | None) -> dict[str, Any]:
        assert query is not None and query["limit"] == 1000
        if query.get("cursor") is None:
            return {"rows": [ROW], "next_cursor": "c2"}
        return {"rows": [{**ROW, "delegate_id": "D0002"}], "next_cursor": None}

    api.answers[("GET", "events/eshg2025/register")] = pages
    target = tmp_path / "register.json"

    status, out, _ = cme("register", "eshg2025", "-o", str(target))

    assert status == EXIT_OK
    assert out.strip() == f"wrote {target}"
    document = loads(target.read_text(encoding="utf-8"))
    assert [r["delegate_id"] for r in document["rows"]] == ["D0001", "D0002"]
    assert document["rows"][0]["amount"] == Decimal("1.5")


def test_register_as_csv_keeps_one_header_across_pages(
    api: FakeApi, cme: Any, tmp_path: Path
) -> None:
    first = Reply(
        200,
        "u",
        {"link": "next-page"},
        (HEADER + "D0001,A,,S01,2025-05-24,scan,1.5,2025-05-24T10:02:00Z,credited\r\n").encode(),
    )
    second = Reply(
        200,
        "u",
        {},
        (HEADER + "D0002,B,,S02,2025-05-24,grant,1.5,2025-05-24T10:03:00Z,parallel\r\n").encode(),
    )
    api.answers[("GET", "events/eshg2025/register")] = first
    api.answers[("GET", "next-page")] = second
    target = tmp_path / "register.csv"

    status, _, _ = cme("register", "eshg2025", "-o", str(target), "--format", "csv")

    assert status == EXIT_OK
    text = target.read_bytes().decode("utf-8")
    assert text.startswith(HEADER)
    assert text.count("delegate_id,") == 1
    assert text.splitlines()[1:] == [
        "D0001,A,,S01,2025-05-24,scan,1.5,2025-05-24T10:02:00Z,credited",
        "D0002,B,,S02,2025-05-24,grant,1.5,2025-05-24T10:03:00Z,parallel",
    ]
