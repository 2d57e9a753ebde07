"""`cme statement` with the organiser's decisions in FACTS.json (CONTRACT.md, "cme
statement"): `"grants": ["S05", ...]` and `"extension": "2026-01-15T23:59:59"` (local),
applied exactly as the service applies them; a decision the API would refuse goes to
stderr with its code and is left out."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from cme import deciding, recording
from cme.facts import ViewKind
from cme.jsonio import dumps, loads
from cme.programme import Programme
from cme.rules.credits import compute_statement
from cme_tools.audit import audit_facts
from cme_tools.cli import main
from cme_tools.memory_store import MemoryStore

IN_JANUARY = datetime(2026, 1, 20, 12, 0, tzinfo=UTC)
"""After the event's deadline (30 November 2025), after the extension below."""
UNTIL = "2026-01-15T23:59:59"
SKEW = timedelta(minutes=5)

LATE: dict[str, Any] = {
    "delegate": {"delegate_id": "D0001", "name": "Łukasz Żółć", "attendance": "in_person"},
    "scans": [{"scan_id": "s-24", "scanned_at": "2025-05-24T08:01:00+02:00"}],
    "views": [
        {
            "view_id": "v-dec",
            "session_id": "PL03",
            "kind": "on_demand",
            "watched_at": "2025-12-10T19:30:00+01:00",
        }
    ],
    "evaluations": [
        {"session_id": "S01", "submitted_at": "2025-05-24T12:02:00+02:00"},
        {"session_id": "S05", "submitted_at": "2025-05-25T10:10:00+02:00"},
        {"session_id": "PL03", "submitted_at": "2026-01-15T23:59:59.500+01:00"},
    ],
    "grants": ["S05"],
    "extension": UNTIL,
}


def statuses(statement: Any) -> dict[str, str]:
    return {item.session_id: item.status.value for item in statement.cart}


def test_grants_and_an_extension_count_as_the_service_counts_them(
    eshg: Programme, memory: MemoryStore
) -> None:
    # Given the service's store with the same facts and decisions, recorded in January
    deciding.extend(
        memory, "eshg2025", "D0001", until=UNTIL, reason="ill", actor="k", now=IN_JANUARY
    )
    deciding.grant(memory, "eshg2025", "D0001", "S05", reason="scanner", actor="k", now=IN_JANUARY)
    recording.record_scan(
        memory,
        "eshg2025",
        scan_id="s-24",
        delegate_id="D0001",
        station_id="cme-desk-1",
        scanned_at=datetime.fromisoformat("2025-05-24T08:01:00+02:00"),
        now=IN_JANUARY,
        skew=SKEW,
    )
    recording.record_view(
        memory,
        "eshg2025",
        "D0001",
        view_id="v-dec",
        session_id="PL03",
        kind=ViewKind.ON_DEMAND,
        watched_at=datetime.fromisoformat("2025-12-10T19:30:00+01:00"),
        seconds=None,
        now=IN_JANUARY,
        skew=SKEW,
    )
    for evaluation in LATE["evaluations"]:
        recording.record_evaluation(
            memory,
            "eshg2025",
            "D0001",
            evaluation["session_id"],
            submitted_at=datetime.fromisoformat(evaluation["submitted_at"]),
            answers={},
            now=IN_JANUARY,
            skew=SKEW,
        )
    service = recording.statement(memory, "eshg2025", "D0001")

    # When the same facts are judged offline
    audited = audit_facts(eshg, LATE, now=IN_JANUARY)
    offline = compute_statement(eshg, audited.facts)

    # Then nothing is refused and the statements are the same
    assert audited.refusals == ()
    assert offline.as_dict() == service.as_dict()
    assert statuses(offline) == {"S01": "credited", "S05": "credited", "PL03": "credited"}


def test_without_the_decisions_the_same_facts_are_refused_or_earn_nothing(
    eshg: Programme,
) -> None:
    document = {k: v for k, v in LATE.items() if k not in ("grants", "extension")}

    audited = audit_facts(eshg, document, now=IN_JANUARY)

    assert {(r.kind, r.code) for r in audited.refusals} == {
        ("view", "outside_on_demand_window"),
        ("evaluation", "claim_deadline_passed"),
    }
    assert statuses(compute_statement(eshg, audited.facts)) == {
        "S01": "credited",
        "S05": "no_evidence",
    }


@pytest.mark.parametrize(
    ("extension", "grants", "refused"),
    [
        ("2025-11-30T12:00:00", [], ("extension", "invalid_request")),  # not after the deadline
        ("2026-01-15T23:59:59+01:00", [], ("extension", "invalid_request")),  # an offset
        ("15/01/2026", [], ("extension", "invalid_request")),
        (UNTIL, ["NOPE"], ("grant", "unknown_session")),
        (UNTIL, ["not an id!"], ("grant", "invalid_request")),
    ],
)
def test_a_decision_the_api_would_refuse_is_reported_and_left_out(
    eshg: Programme, extension: str, grants: list[str], refused: tuple[str, str]
) -> None:
    document = {**LATE, "extension": extension, "grants": [*grants, "S05"]}

    audited = audit_facts(eshg, document, now=IN_JANUARY)

    assert refused in {(r.kind, r.code) for r in audited.refusals}
    assert "S05" in audited.facts.grants  # the good grant stays


@pytest.mark.parametrize(("key", "value"), [("grants", "S05"), ("extension", 20260115)])
def test_a_decision_of_the_wrong_type_refuses_the_file(
    capsys: pytest.CaptureFixture[str],
    eshg_path: Path,
    tmp_path: Path,
    key: str,
    value: Any,
) -> None:
    facts = tmp_path / "facts.json"
    facts.write_text(json.dumps({**json.loads(dumps(LATE)), key: value}), encoding="utf-8")

    status = main(["statement", str(eshg_path), str(facts)])

    captured = capsys.readouterr()
    assert status == 2
    assert captured.out == ""
    assert key in captured.err and len(captured.err.strip().splitlines()) == 1


def test_the_command_reads_the_decisions_from_the_file(
    capsys: pytest.CaptureFixture[str],
    eshg_path: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import cme.timestamps

    monkeypatch.setattr(cme.timestamps, "system_clock", lambda: IN_JANUARY)
    facts = tmp_path / "facts.json"
    facts.write_text(dumps(LATE), encoding="utf-8")

    status = main(["statement", str(eshg_path), str(facts)])

    captured = capsys.readouterr()
    assert status == 0, captured.err
    statement = loads(captured.out)
    credited = {i["session_id"] for i in statement["cart"] if i["status"] == "credited"}
    assert credited == {"S01", "S05", "PL03"}
    assert "refused" not in captured.err
