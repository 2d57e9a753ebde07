"""`cme statement` under professions and learning tests: FACTS.json's
`delegate.profession` and `test_attempts` judged as the API judges them (CONTRACT.md,
"`cme statement` reads the same additions"), reproducing RULES.md's worked variant."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from cme.jsonio import dumps, loads
from cme_tools.cli import main
from tests import ecm


def facts(
    profession: str,
    scans: Iterable[tuple[str, str]],
    attempts: Iterable[dict[str, Any]] = (),
) -> dict[str, Any]:
    return {
        "delegate": {
            "delegate_id": f"{profession[:1].upper()}1",
            "name": f"A {profession}",
            "attendance": "in_person",
            "profession": profession,
        },
        "scans": [
            {
                "scan_id": f"s{i}",
                "scanned_at": ecm.at(clock).isoformat(),
                "room": "Aula 1",
                "direction": direction,
            }
            for i, (clock, direction) in enumerate(scans)
        ],
        "evaluations": [
            {"session_id": s, "submitted_at": ecm.EVALUATED.isoformat(), "answers": {}}
            for s in ("A", "B")
        ],
        "test_attempts": list(attempts),
    }


def attempt(attempt_id: str, answers: dict[str, int], clock: str = "13:40") -> dict[str, Any]:
    return {
        "test_id": "final",
        "attempt_id": attempt_id,
        "submitted_at": ecm.at(clock).isoformat(),
        "answers": answers,
    }


@pytest.fixture
def programme(tmp_path: Path) -> Path:
    path = tmp_path / "ecm-worked-variant.json"
    path.write_text(dumps(ecm.document()), encoding="utf-8")
    return path


def statement(
    capsys: pytest.CaptureFixture[str], programme: Path, tmp_path: Path, document: dict[str, Any]
) -> tuple[dict[str, Any], str]:
    path = tmp_path / "FACTS.json"
    path.write_text(dumps(document), encoding="utf-8")
    assert main(["statement", str(programme), str(path)]) == 0
    captured = capsys.readouterr()
    return loads(captured.out), captured.err


def test_the_worked_variant(
    capsys: pytest.CaptureFixture[str], programme: Path, tmp_path: Path
) -> None:
    nurse, _ = statement(
        capsys,
        programme,
        tmp_path,
        facts("nurse", ecm.NURSE_SCANS, [attempt("n", ecm.PASSING)]),
    )
    assert (nurse["total"], nurse["conversions"], nurse["test_passed"]) == (Decimal(4), [], True)
    physician, _ = statement(
        capsys,
        programme,
        tmp_path,
        facts("physician", ecm.PHYSICIAN_SCANS, [attempt("p", ecm.FAILING)]),
    )
    assert (physician["total"], physician["test_passed"]) == (0, False)
    assert physician["certificate_ready"] is False
    pharmacist, _ = statement(
        capsys,
        programme,
        tmp_path,
        facts("pharmacist", ecm.NURSE_SCANS, [attempt("f", ecm.PASSING)]),
    )
    assert (pharmacist["eligible"], pharmacist["total"]) == (False, 0)


def test_refused_attempts_and_professions_go_to_stderr_with_their_code(
    capsys: pytest.CaptureFixture[str], programme: Path, tmp_path: Path
) -> None:
    document = facts(
        "nurse",
        ecm.NURSE_SCANS,
        [
            attempt("late-but-listed-first", ecm.PASSING, "13:50"),
            attempt("early", ecm.PASSING, "12:00"),
            attempt("first", ecm.FAILING),
            attempt("unknown", ecm.PASSING) | {"test_id": "nope"},
            attempt("short", {"q1": 1}),
            attempt("first", ecm.PASSING),
        ],
    )
    document["delegate"]["profession"] = "dentist"
    said, stderr = statement(capsys, programme, tmp_path, document)
    codes = {line.split()[2]: line.split()[3] for line in stderr.splitlines()}
    assert codes == {
        "N1:": "unknown_profession",
        "early:": "test_not_open",
        "unknown:": "unknown_test",
        "short:": "invalid_request",
        "late-but-listed-first:": "no_attempts_left",  # made after "first", the only one
        "first:": "id_reused",
    }
    assert (said["eligible"], said["test_passed"]) == (False, False)
    assert said["tests"][0]["attempts_used"] == 1
