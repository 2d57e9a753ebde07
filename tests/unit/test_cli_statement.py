"""`cme statement PROGRAMME FACTS.json`: the offline credit statement (CONTRACT.md).

The statement JSON goes to stdout; each fact the API would refuse goes to stderr with its
code and is left out, and that is not a failure (exit 0); a usage error, such as a bad
programme, exits 2 with every problem listed.
"""

from __future__ import annotations

import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from cme.jsonio import dumps, loads
from cme_tools.cli import main

DATA = Path(__file__).resolve().parents[1] / "data"
REFUSED_FACTS = DATA / "rules-refused-facts.json"
BAD_PROGRAMME = DATA / "rules-bad-programme.yaml"
CONSOLE_SCRIPT = Path(sys.executable).parent / "cme"


def tokens(line: str) -> set[str]:
    return set(re.findall(r"[\w.\[\]-]+", line))


def run(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    status = main(["statement", *map(str, args)])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def check_worked_example(statement: dict[str, Any]) -> None:
    assert statement["event_id"] == "eshg2025"
    assert statement["delegate_id"] == "D0001"
    assert statement["total"] == Decimal("15.0")
    assert [(d["date"], d["credits"]) for d in statement["days"]] == [
        ("2025-05-24", Decimal("7.5")),
        ("2025-05-25", Decimal("4.5")),
        ("2025-05-26", Decimal("3.0")),
        ("2025-05-27", Decimal("0.0")),
    ]
    assert statement["conversions"] == [
        {"name": "AMA PRA Category 1 Credits", "credits": Decimal("15.0")}
    ]
    statuses = {item["session_id"]: item["status"] for item in statement["cart"]}
    assert (statuses["S02"], statuses["C23"]) == ("parallel", "no_evidence")
    assert [s for s, status in statuses.items() if status != "credited"] == ["S02", "C23"]
    assert statement["certificate_ready"] is True
    assert statement["missing_evaluations"] == []


def test_the_worked_example(
    capsys: pytest.CaptureFixture[str], eshg_path: Path, worked_example_facts: Path
) -> None:
    status, out, err = run(capsys, eshg_path, worked_example_facts)
    assert (status, err) == (0, "")
    check_worked_example(loads(out))
    assert '"total": 15.0,' in out  # a JSON number written exactly, not "15" nor 15.000001


def test_the_installed_console_script(
    capsys: pytest.CaptureFixture[str], eshg_path: Path, worked_example_facts: Path
) -> None:
    assert CONSOLE_SCRIPT.exists(), "the venv has no cme console script (pip install -e .)"
    done = subprocess.run(
        [CONSOLE_SCRIPT, "statement", eshg_path, worked_example_facts],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stderr) == (0, "")
    check_worked_example(loads(done.stdout))
    status, out, _ = run(capsys, eshg_path, worked_example_facts)
    assert (status, out) == (0, done.stdout)


def test_refused_facts_go_to_stderr_with_their_code_and_the_status_stays_0(
    capsys: pytest.CaptureFixture[str], eshg_path: Path
) -> None:
    status, out, err = run(capsys, eshg_path, REFUSED_FACTS)
    assert status == 0
    lines = err.splitlines()
    expected = [
        ("scan", "scan-after-the-congress", "not_a_conference_day"),
        ("scan", "scan-naive", "invalid_request"),
        ("view", "view-too-late", "view_after_session"),
        ("view", "view-not-recorded", "not_recorded"),
        ("view", "view-unknown", "unknown_session"),
        ("cart", "CS01", "session_not_accredited"),
        ("evaluation", "S01", "already_evaluated"),
        ("evaluation", "PL01", "evaluation_not_open"),
        ("evaluation", "S04", "claim_deadline_passed"),
    ]
    assert len(lines) == len(expected)
    for line, fact in zip(lines, expected, strict=True):
        assert set(fact) <= tokens(line), (line, fact)
    statement = loads(out)
    assert statement["total"] == Decimal("1.5")
    assert statement["cart"] == [{"session_id": "S01", "status": "credited", "amount": 1.5}]
    assert statement["certificate_ready"] is True


def test_a_bad_programme_exits_2_with_every_problem_listed(
    capsys: pytest.CaptureFixture[str], worked_example_facts: Path
) -> None:
    status, out, err = run(capsys, BAD_PROGRAMME, worked_example_facts)
    assert (status, out) == (2, "")
    listed = {tuple(line.strip().split(": ")[:2]) for line in err.splitlines()[1:]}
    assert listed == {
        ("days[1].date", "duplicate_id"),
        ("slots[1].start", "overlapping_slots"),
        ("slots[2].date", "slot_on_unlisted_day"),
        ("sessions[0].start", "session_outside_slot"),
        ("sessions[1].credits", "credits_above_slot_max"),
        ("sessions[2].id", "duplicate_id"),
        ("sessions[3].slot", "unknown_slot"),
    }


def test_a_bad_programme_exits_2_from_the_console_script(worked_example_facts: Path) -> None:
    done = subprocess.run(
        [CONSOLE_SCRIPT, "statement", BAD_PROGRAMME, worked_example_facts],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stdout) == (2, "")
    assert "overlapping_slots" in tokens(done.stderr)


@pytest.fixture
def bad_files(tmp_path: Path, worked_example_facts: Path) -> Path:
    (tmp_path / "not-json.json").write_text("{not json", encoding="utf-8")
    (tmp_path / "list.json").write_text("[]", encoding="utf-8")
    (tmp_path / "bad-delegate.json").write_text(
        '{"delegate": {"delegate_id": "not an id", "name": "Ada"}}', encoding="utf-8"
    )
    (tmp_path / "not-utf8.yaml").write_bytes(b"event:\n  name: \xff\xfe\n")
    (tmp_path / "list.yaml").write_text("- event\n", encoding="utf-8")
    (tmp_path / "facts.json").write_text(
        worked_example_facts.read_text(encoding="utf-8"), encoding="utf-8"
    )
    worked = loads(worked_example_facts.read_text(encoding="utf-8"))
    misspelt = {**worked, "evaluation": worked["evaluations"]}
    del misspelt["evaluations"]
    (tmp_path / "misspelt-key.json").write_text(dumps(misspelt), encoding="utf-8")
    (tmp_path / "null-scans.json").write_text(dumps({**worked, "scans": None}), encoding="utf-8")
    odd_delegate = {**worked, "delegate": {**worked["delegate"], "nmae": "x"}}
    (tmp_path / "delegate-unknown-key.json").write_text(dumps(odd_delegate), encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(
    ("programme", "facts"),
    [
        pytest.param("missing.yaml", "facts.json", id="no-programme-file"),
        pytest.param("eshg", "missing.json", id="no-facts-file"),
        pytest.param("eshg", "not-json.json", id="facts-not-json"),
        pytest.param("eshg", "list.json", id="facts-not-an-object"),
        pytest.param("eshg", "bad-delegate.json", id="delegate-id-not-an-id"),
        pytest.param("eshg", "misspelt-key.json", id="facts-key-misspelt"),
        pytest.param("eshg", "null-scans.json", id="facts-list-null"),
        pytest.param("eshg", "delegate-unknown-key.json", id="delegate-key-misspelt"),
        pytest.param("not-utf8.yaml", "facts.json", id="programme-not-utf8"),
        pytest.param("list.yaml", "facts.json", id="programme-not-a-mapping"),
    ],
)
def test_usage_errors_exit_2_with_one_line_and_no_traceback(
    capsys: pytest.CaptureFixture[str],
    bad_files: Path,
    eshg_path: Path,
    programme: str,
    facts: str,
) -> None:
    programme_path = eshg_path if programme == "eshg" else bad_files / programme
    status, out, err = run(capsys, programme_path, bad_files / facts)
    assert (status, out) == (2, "")
    assert err.startswith("cme: ")
    assert "Traceback" not in err


def test_a_fact_with_an_unknown_field_is_refused_like_a_body_and_left_out(
    capsys: pytest.CaptureFixture[str], eshg_path: Path, tmp_path: Path
) -> None:
    facts = {
        "delegate": {"delegate_id": "D1", "name": "Ada", "attendance": "in_person"},
        "scans": [
            {"scan_id": "s1", "scanned_at": "2025-05-24T08:00:00+02:00"},
            {"scan_id": "s2", "scaned_at": "2025-05-25T08:00:00+02:00"},
        ],
        "evaluations": [
            {"session_id": "S01", "submitted_at": "2025-05-24T12:00:00+02:00", "answer": {}}
        ],
    }
    path = tmp_path / "facts.json"
    path.write_text(dumps(facts), encoding="utf-8")
    status, out, err = run(capsys, eshg_path, path)
    assert status == 0
    refused = [tokens(line) for line in err.splitlines()]
    assert len(refused) == 2
    assert {"scan", "s2", "invalid_request"} <= refused[0]
    assert {"evaluation", "S01", "invalid_request"} <= refused[1]
    assert loads(out)["total"] == Decimal("0")


def test_the_programmes_warnings_reach_stderr(
    capsys: pytest.CaptureFixture[str], eshg_path: Path, worked_example_facts: Path, tmp_path: Path
) -> None:
    text = eshg_path.read_text(encoding="utf-8")
    stated = 'claim_deadline: "2025-11-30T23:59:59"'
    assert stated in text
    offset = tmp_path / "offset.yaml"
    offset.write_text(text.replace(stated, stated[:-1] + '+02:00"'), encoding="utf-8")
    status, out, err = run(capsys, offset, worked_example_facts)
    assert status == 0
    assert [
        {"warning", "event.claim_deadline", "offset_mismatch"} <= tokens(line)
        for line in err.splitlines()
    ] == [True]
    check_worked_example(loads(out))


def test_an_invalid_claim_goes_to_stderr_with_its_code_and_is_left_out(
    capsys: pytest.CaptureFixture[str], eshg_path: Path, tmp_path: Path
) -> None:
    text = eshg_path.read_text(encoding="utf-8")
    assert "policy: {evidence: daily_scan}" in text
    programme = tmp_path / "self-claimed.yaml"
    programme.write_text(
        text.replace(
            "policy: {evidence: daily_scan}",
            "policy: {evidence: daily_scan, claims: self_claimed, claim_step: 0.25}",
        ),
        encoding="utf-8",
    )
    facts = tmp_path / "facts.json"
    facts.write_text(
        '{"delegate": {"delegate_id": "D1", "name": "Ada"},'
        ' "scans": [{"scan_id": "s1", "scanned_at": "2025-05-24T08:25:00+02:00",'
        ' "room": "Gold", "direction": "in"}],'
        ' "evaluations": ['
        '{"session_id": "ES01", "submitted_at": "2025-05-24T10:05:00+02:00",'
        ' "claimed_credits": 0.3},'
        '{"session_id": "S01", "submitted_at": "2025-05-24T12:05:00+02:00",'
        ' "claimed_credits": 1.25}]}',
        encoding="utf-8",
    )
    status, out, err = run(capsys, programme, facts)
    assert status == 0
    [line] = err.splitlines()
    assert {"evaluation", "ES01", "invalid_claim"} <= tokens(line)
    cart = [item["session_id"] for item in loads(out)["cart"]]
    assert cart == ["S01"]
