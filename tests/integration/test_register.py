"""The attendance register (`GET /events/{e}/register`, CONTRACT.md "Organiser decisions"):
one row per delegate and credited session with its evidence, amount and evaluation time,
as JSON or CSV, in pages like the report, for organisers only (a missing key is the
gateway's 403, enumerated over HTTP by tests/e2e/test_roles.py); and always what the
delegates' statements say."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from typing import Any

import pytest

from cme_tools.local.events import PLATFORM_KEY_ID
from cme_tools.local.functions import Functions
from tests.integration.conftest import ROOT, scan_body

pytestmark = pytest.mark.usefixtures("parsed_once")

EVENT = "/events/eshg2025"
REGISTER = f"{EVENT}/register"
WORKED_EXAMPLE = json.loads(
    (ROOT / "tests" / "data" / "worked-example-facts.json").read_text(encoding="utf-8")
)


def replay(client: Functions, facts: dict[str, Any]) -> str:
    """A FACTS.json document through the API, as the platform sends it."""
    delegate = facts["delegate"]
    delegate_id = delegate["delegate_id"]
    path = f"{EVENT}/delegates/{delegate_id}"
    assert client.put(path, {k: v for k, v in delegate.items() if k != "delegate_id"}).status == 201
    for scan in facts.get("scans", []):
        body = scan_body(scan["scan_id"], scan["scanned_at"], delegate_id)
        assert client.post(f"{EVENT}/scans", body).status == 201
    for view in facts.get("views", []):
        assert client.post(f"{path}/views", view).status == 201
    for session_id in facts.get("cart", []):
        assert client.put(f"{path}/cart/{session_id}").status == 201
    for evaluation in facts.get("evaluations", []):
        body = {"submitted_at": evaluation["submitted_at"], "answers": {"relevance": 5}}
        assert client.put(f"{path}/evaluations/{evaluation['session_id']}", body).status == 201
    return str(delegate_id)


ONLINE = {
    "delegate": {"delegate_id": "D0002", "name": "=cmd|' /C calc'!A0", "attendance": "online"},
    "views": [
        {
            "view_id": "v-live",
            "session_id": "S05",
            "kind": "live",
            "watched_at": "2025-05-25T08:35:00+02:00",
            "seconds": 3600,
        }
    ],
    "evaluations": [
        {"session_id": "S05", "submitted_at": "2025-05-25T10:10:00.250+02:00"},
        {"session_id": "PL02", "submitted_at": "2025-05-25T12:05:00+02:00"},
    ],
}


@pytest.fixture
def sample(eshg: Functions) -> Functions:
    """The worked example (D0001: scans, parallel sessions, on-demand views), an online
    delegate whose name is a formula (D0002: a live view; PL02 granted by the organiser,
    its scanner failed), and a delegate with nothing credited (D0003)."""
    replay(eshg, WORKED_EXAMPLE)
    replay(eshg, ONLINE)
    reason = {"reason": "the Sunday plenary's scanner failed"}
    assert eshg.put(f"{EVENT}/delegates/D0002/grants/PL02", reason).status == 201
    assert eshg.put(f"{EVENT}/delegates/D0003", {"name": "Nobody", "attendance": "online"}).status
    return eshg


def lines(rows: list[dict[str, Any]], delegate_id: str) -> dict[str, tuple[str, str, Any]]:
    return {
        r["session_id"]: (r["status"], r["evidence"], r["amount"])
        for r in rows
        if r["delegate_id"] == delegate_id
    }


def test_each_credited_session_is_a_row_with_its_evidence_and_amount(sample: Functions) -> None:
    # When the organiser asks for the register
    answer = sample.get(REGISTER)

    # Then it is never kept by a cache, and lists each delegate's credited sessions
    assert answer.status == 200
    assert answer.headers["cache-control"] == "no-store"
    rows = answer.body["rows"]
    assert answer.body["next_cursor"] is None
    assert [r["delegate_id"] for r in rows] == sorted(r["delegate_id"] for r in rows)
    assert lines(rows, "D0001") == {
        "ES01": ("credited", "scan", 1.5),
        "S01": ("credited", "scan", 1.5),
        "S02": ("parallel", "scan", 1.5),
        "S03": ("credited", "scan", 1.5),
        "PL01": ("credited", "scan", 1.5),
        "S04": ("credited", "scan", 1.5),
        "S05": ("credited", "scan", 1.5),
        "PL02": ("credited", "scan", 1.5),
        "S07": ("credited", "scan", 1.5),
        "PL03": ("credited", "on_demand_view", 1.5),
        "S12": ("credited", "on_demand_view", 1.5),
    }
    assert lines(rows, "D0002") == {
        "S05": ("credited", "live_view", 1.5),
        "PL02": ("credited", "grant", 1.5),
    }
    assert lines(rows, "D0003") == {}
    s05 = next(r for r in rows if r["delegate_id"] == "D0002" and r["session_id"] == "S05")
    assert s05 == {
        "delegate_id": "D0002",
        "name": "=cmd|' /C calc'!A0",
        "profession": None,
        "session_id": "S05",
        "date": "2025-05-25",
        "evidence": "live_view",
        "amount": 1.5,
        "evaluated_at": "2025-05-25T08:10:00Z",
        "status": "credited",
    }


def test_the_register_says_what_fresh_statements_say_at_once(sample: Functions) -> None:
    # Given every delegate's statement, computed now from the facts
    rows = sample.get(REGISTER).body["rows"]
    for delegate_id in ("D0001", "D0002", "D0003"):
        statement = sample.get(f"{EVENT}/delegates/{delegate_id}/credits").body
        # Then the register holds exactly its credited and parallel cart items, amounts equal
        expected = {
            item["session_id"]: (item["status"], Decimal(str(item["amount"])))
            for item in statement["cart"]
            if item["status"] in ("credited", "parallel")
        }
        got = {
            sid: (status, Decimal(str(amount)))
            for sid, (status, _, amount) in lines(rows, delegate_id).items()
        }
        assert got == expected, delegate_id
    # And each evaluation time is the one recorded
    submitted = {e["session_id"]: e["submitted_at"] for e in WORKED_EXAMPLE["evaluations"]}
    from cme.timestamps import format_utc, parse_aware

    for row in rows:
        if row["delegate_id"] == "D0001":
            assert row["evaluated_at"] == format_utc(parse_aware(submitted[row["session_id"]]))

    # When the organiser withdraws D0002's grant
    reason = {"reason": "granted by mistake"}
    assert sample.delete(f"{EVENT}/delegates/D0002/grants/PL02", body=reason).status == 204
    # Then PL02 is no longer credited to D0002
    assert set(lines(sample.get(REGISTER).body["rows"], "D0002")) == {"S05"}


def test_the_csv_register_is_one_line_per_row_and_never_a_formula(sample: Functions) -> None:
    answer = sample.get(REGISTER, headers={"accept": "text/csv"})

    assert answer.status == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert answer.headers["cache-control"] == "no-store"
    assert "link" not in answer.headers
    assert answer.text.endswith("\r\n") and "\n" not in answer.text.replace("\r\n", "")
    table = list(csv.reader(io.StringIO(answer.text, newline="")))
    assert table[0] == [
        "delegate_id",
        "name",
        "profession",
        "session_id",
        "date",
        "evidence",
        "amount",
        "evaluated_at",
        "status",
    ]
    assert len(table) == 1 + len(sample.get(REGISTER).body["rows"])
    online = [row for row in table[1:] if row[0] == "D0002"]
    named = ["D0002", "'=cmd|' /C calc'!A0", ""]
    assert online == [
        [*named, "S05", "2025-05-25", "live_view", "1.5", "2025-05-25T08:10:00Z", "credited"],
        [*named, "PL02", "2025-05-25", "grant", "1.5", "2025-05-25T10:05:00Z", "credited"],
    ]


def test_pages_count_delegates_and_follow_on(sample: Functions) -> None:
    # Given pages of one delegate each
    first = sample.get(REGISTER, query="limit=1").body
    assert {r["delegate_id"] for r in first["rows"]} == {"D0001"}
    second = sample.get(REGISTER, query=f"limit=1&cursor={first['next_cursor']}").body
    assert {r["delegate_id"] for r in second["rows"]} == {"D0002"}
    third = sample.get(REGISTER, query=f"limit=1&cursor={second['next_cursor']}").body
    # Then a delegate with nothing credited is a page of no row, and the pages add up
    assert third["rows"] == []
    whole = sample.get(REGISTER).body["rows"]
    assert first["rows"] + second["rows"] == whole
    # And CSV pages link to the next one
    csv_page = sample.get(REGISTER, query="limit=2", headers={"accept": "text/csv"})
    assert csv_page.headers["link"].startswith("</v1/events/eshg2025/register?limit=2&cursor=")


def test_only_organisers_read_the_register(eshg: Functions, expect_problem: Any) -> None:
    expect_problem(eshg.get(REGISTER, api_key_id=PLATFORM_KEY_ID), 403, "forbidden")
    csv_accept = {"accept": "text/csv"}
    refused = eshg.get(REGISTER, api_key_id=PLATFORM_KEY_ID, headers=csv_accept)
    expect_problem(refused, 403, "forbidden")
    expect_problem(eshg.get(REGISTER, query="cursor=%21%21"), 422, "invalid_request")
    expect_problem(eshg.get("/events/nope/register"), 404, "unknown_event")
