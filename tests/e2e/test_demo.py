"""`make demo` end to end: `python -m cme_tools.local.demo --out DIR` starts its own stack,
replays ESHG 2025 and leaves PDFs and verify pages in DIR; the worked example ends at 15.0.
Then ACPM 2025, the variants: its delegates end as their stories say, certificates in
DIR/acpm2025."""

from __future__ import annotations

import csv
import socket
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], Path]:
    folder = tmp_path_factory.mktemp("demo") / "out"
    ran = subprocess.run(
        [sys.executable, "-m", "cme_tools.local.demo", "--out", str(folder)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return ran, folder


def test_the_demo_succeeds(demo: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    ran, _ = demo

    assert ran.returncode == 0, ran.stdout[-3000:] + ran.stderr[-3000:]
    assert "unexpected" not in ran.stderr


def test_the_worked_example_ends_at_15(demo: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    _, folder = demo

    with (folder / "eshg2025-report.csv").open(encoding="utf-8", newline="") as report:
        rows = {row["delegate_id"]: row for row in csv.DictReader(report)}

    d0001 = rows["D0001"]
    assert d0001["name"] == "Łukasz Żółć"
    assert d0001["total"] == "15.0"
    assert [d0001[day] for day in ("2025-05-24", "2025-05-25", "2025-05-26", "2025-05-27")] == [
        "7.5",
        "4.5",
        "3.0",
        "0.0",
    ]
    assert d0001["certificate_status"] == "valid"
    assert len(rows) == 40


def test_certificates_and_verify_pages_lie_side_by_side(
    demo: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    _, folder = demo
    with (folder / "eshg2025-report.csv").open(encoding="utf-8", newline="") as report:
        rows = {row["delegate_id"]: row for row in csv.DictReader(report)}
    certified = {d for d, row in rows.items() if row["certificate_serial"]}

    pdfs = {p.stem for p in folder.glob("*.pdf")}
    pages = {p.stem for p in folder.glob("*.html")} - {"eshg2025-dashboard"}

    assert pdfs == pages == certified
    assert len(certified) >= 30
    assert {"D0030", "D0032"}.isdisjoint(pdfs)  # nothing to certify: skipped, not failed
    for delegate_id in certified:
        assert (folder / f"{delegate_id}.pdf").read_bytes().startswith(b"%PDF-")
        page = (folder / f"{delegate_id}.html").read_text(encoding="utf-8")
        assert rows[delegate_id]["certificate_serial"] in page
    assert "Łukasz Żółć" in (folder / "D0001.html").read_text(encoding="utf-8")


def test_the_second_event_ends_as_its_stories_say(
    demo: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    from cme_tools.local.demo_variants import STORIES

    ran, folder = demo
    with (folder / "acpm2025" / "acpm2025-report.csv").open(encoding="utf-8", newline="") as f:
        rows = {row["delegate_id"]: row for row in csv.DictReader(f)}

    assert {d: Decimal(row["total"]) for d, row in rows.items()} == {
        s.delegate_id: s.total for s in STORIES
    }
    certified = {d for d, row in rows.items() if row["certificate_status"] == "valid"}
    assert certified == {s.delegate_id for s in STORIES if s.total > 0}
    assert {p.stem for p in (folder / "acpm2025").glob("*.pdf")} == certified
    assert {p.stem for p in (folder / "acpm2025").glob("*.html")} == certified
    assert "422 invalid_claim" in ran.stdout


def test_the_third_event_issues_a_nurse_a_physician_and_an_attendance_certificate(
    demo: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    import pypdf

    ran, folder = demo
    cnmi = folder / "ecm2025"
    assert {p.stem for p in cnmi.glob("*.pdf")} == {"E001", "E002", "E004"}
    assert {p.stem for p in cnmi.glob("*.html")} == {"E001", "E002", "E004"}
    text = {p.stem: pypdf.PdfReader(p).pages[0].extract_text() for p in cnmi.glob("*.pdf")}
    assert "Infermiere" in text["E001"] and "AMA" not in text["E001"]
    assert "AMA PRA Category 1 Credits" in text["E002"]
    assert "NO CME CREDITS" in text["E004"] and "Marco Ricci" in text["E004"]
    assert "E003  Francesca Esposito" in ran.stdout and "409 no_attempts_left" in ran.stdout


def test_the_demo_ends_with_the_dashboard_of_eshg(
    demo: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    ran, folder = demo
    page = folder / "eshg2025-dashboard.html"
    assert "<strong>40</strong>Delegates registered" in page.read_text(encoding="utf-8")
    last = [line for line in ran.stdout.splitlines() if line.strip()][-2]
    assert last.startswith("the organiser's dashboard of eshg2025: ")
    assert last.endswith("eshg2025-dashboard.html")


def test_the_stack_was_stopped(demo: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    ran, folder = demo
    log = (folder / "cme-serve.log").read_text(encoding="utf-8")
    url = log.split()[2]
    port = int(url.split(":")[2].split("/")[0])

    with socket.socket() as probe:
        probe.settimeout(1)
        assert probe.connect_ex(("127.0.0.1", port)) != 0
    assert "the local stack is stopped" in ran.stdout


def test_one_decision_of_each_kind_shows_in_the_certificates_the_register_and_the_trail(
    demo: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    ran, folder = demo
    with (folder / "eshg2025-report.csv").open(encoding="utf-8", newline="") as report:
        rows = {row["delegate_id"]: row for row in csv.DictReader(report)}
    with (folder / "eshg2025-register.csv").open(encoding="utf-8", newline="") as register:
        lines = list(csv.DictReader(register))

    # A scanner failure granted: one session credited on the organiser's grant
    granted = [line for line in lines if line["evidence"] == "grant"]
    assert len(granted) == 1 and granted[0]["status"] == "credited"
    # A late delegate extended: her December evaluation of a recording counts
    late = next(line for line in lines if (line["delegate_id"], line["session_id"]) == LATE)
    assert (late["evidence"], late["evaluated_at"]) == ("on_demand_view", "2025-12-10T20:05:00Z")
    assert rows["D0017"]["certificate_status"] == "valid"
    assert "D0017 evaluates S15: 409 claim_deadline_passed" in ran.stdout
    # A name corrected: the first certificate verifies as superseded, its reissue as valid
    assert rows["D0039"]["name"] == "Pieter van den Berg"
    verified = dict(
        line.removeprefix("verify ").split(" (D0039): ")
        for line in ran.stdout.splitlines()
        if line.startswith("verify ")
    )
    assert sorted(verified.values()) == ["superseded", "valid"]
    assert {s for s, status in verified.items() if status == "valid"} == {
        rows["D0039"]["certificate_serial"]
    }
    # The register holds a row per credited session of every delegate in the report
    assert {line["delegate_id"] for line in lines} <= set(rows)
    assert all(Decimal(line["amount"]) > 0 for line in lines)
    # And the trail printed at the end of the ESHG part holds the three decisions
    trail = ran.stdout.split("$ cme audit eshg2025\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert trail[-1] == "3 entries"
    assert [line.split()[2] for line in trail[2:-1]] == [
        "delegate_corrected",
        "extension_granted",
        "evidence_granted",
    ]


LATE = ("D0017", "S15")
