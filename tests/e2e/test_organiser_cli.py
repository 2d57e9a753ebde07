"""The organiser's command line against a real `cme serve` (one per module): load-programme,
import-delegates, report, issue-certificates, and the exit statuses of the contract
(0 all good, 1 some rows or delegates failed, 2 usage errors), plus `cme statement`."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from cme.jsonio import dumps, loads
from cme.programme import load_programme_file, programme_document
from cme_tools.cli import main
from cme_tools.client import ApiError, CmeClient, resource
from cme_tools.local.demo import free_port, local_stack

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
ESHG = ROOT / "programmes" / "eshg2025.yaml"
WORKED_EXAMPLE_FACTS = ROOT / "tests" / "data" / "worked-example-facts.json"
CME = Path(sys.executable).with_name("cme")
HEADER = "delegate_id,name,email,attendance,profession"


@dataclass(frozen=True)
class Stack:
    url: str
    key: str

    @property
    def api(self) -> list[str]:
        return ["--api-url", self.url, "--api-key", self.key]

    def client(self) -> CmeClient:
        return CmeClient(self.url, self.key)


@dataclass(frozen=True)
class Ran:
    status: int
    out: str
    err: str

    @property
    def lines(self) -> list[str]:
        return self.out.splitlines()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    folder = tmp_path_factory.mktemp("organiser-stack")
    key = "organiser-e2e-key"
    with local_stack(folder / "cme-serve.log", key) as url:
        yield Stack(url, key)


@pytest.fixture(autouse=True)
def _no_api_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CME_API_URL", raising=False)
    monkeypatch.delenv("CME_API_KEY", raising=False)


@pytest.fixture
def cme(capsys: pytest.CaptureFixture[str]) -> Any:
    """`cme ARGS...` in this process: its exit status, stdout and stderr."""

    def run(*argv: str) -> Ran:
        capsys.readouterr()
        try:
            status = main(list(argv))
        except SystemExit as exit_:  # argparse's own usage errors
            status = int(exit_.code or 0)
        captured = capsys.readouterr()
        return Ran(status, captured.out, captured.err)

    return run


def programme_file(folder: Path, event_id: str, **change: Any) -> Path:
    """The ESHG 2025 programme as another event (a JSON document, as the API takes it)."""
    document = programme_document(load_programme_file(ESHG).programme)
    document["event"]["id"] = event_id
    for key, value in change.items():
        document[key] = value(document[key]) if callable(value) else value
    path = folder / f"{event_id}.json"
    path.write_text(dumps(document, indent=2), encoding="utf-8")
    return path


def delegates_file(
    folder: Path, rows: list[str], *, bom: bool = False, name: str = "d.csv"
) -> Path:
    path = folder / name
    text = "\r\n".join([HEADER, *rows]) + "\r\n"
    path.write_bytes(("\ufeff" if bom else "").encode() + text.encode("utf-8"))
    return path


def setup_event(cme: Any, stack: Stack, folder: Path, event_id: str, rows: list[str]) -> None:
    assert cme("load-programme", str(programme_file(folder, event_id)), *stack.api).status == 0
    ran = cme("import-delegates", event_id, str(delegates_file(folder, rows)), *stack.api)
    assert ran.status == 0, ran.out


def report_rows(stack: Stack, event_id: str) -> dict[str, dict[str, Any]]:
    client = stack.client()
    rows: dict[str, dict[str, Any]] = {}
    for page in client.pages(resource("events", event_id, "report")):
        rows.update({row["delegate_id"]: row for row in page["delegates"]})
    return rows


def earn(stack: Stack, event_id: str, delegate_id: str, *sessions: str, day: str = "24") -> None:
    """A scan on 2025-05-<day> and an evaluation of each session (after its end)."""
    client = stack.client()
    client.post(
        resource("events", event_id, "scans"),
        {
            "scan_id": f"scan-{delegate_id}-{day}",
            "delegate_id": delegate_id,
            "station_id": "cme-desk-1",
            "scanned_at": f"2025-05-{day}T08:00:00+02:00",
        },
    )
    for session_id in sessions:
        client.put(
            resource("events", event_id, "delegates", delegate_id, "evaluations", session_id),
            {"submitted_at": f"2025-05-{day}T20:00:00+02:00", "answers": {"q1": 5}},
        )


# --------------------------------------------------------------------------- load-programme


def test_load_programme_creates_then_replaces(cme: Any, stack: Stack, tmp_path: Path) -> None:
    path = programme_file(tmp_path, "cli-load")

    first = cme("load-programme", str(path), *stack.api)
    second = cme("load-programme", str(path), *stack.api)

    assert (first.status, second.status) == (0, 0)
    assert first.out.startswith("created cli-load")
    assert second.out.startswith("replaced cli-load")
    stored = stack.client().get(resource("events", "cli-load")).json()
    assert stored["event"]["accreditation"]["total"] == Decimal("25.5")
    assert len(stored["sessions"]) == len(load_programme_file(ESHG).programme.sessions)


def test_warnings_are_printed_and_the_programme_is_stored(
    cme: Any, stack: Stack, tmp_path: Path
) -> None:
    # Given the published slip: "23:59 CEST" on 30 November, when Milan is on CET
    path = programme_file(
        tmp_path,
        "cli-warn",
        event=lambda event: {**event, "claim_deadline": "2025-11-30T23:59:59+02:00"},
    )

    ran = cme("load-programme", str(path), *stack.api)

    assert ran.status == 0
    assert ran.out.startswith("created cli-warn")
    assert ran.err.startswith("warning: event.claim_deadline: offset_mismatch: ")


def test_the_yaml_file_itself_loads(cme: Any, stack: Stack) -> None:
    ran = cme("load-programme", str(ESHG), "--check")

    assert ran.status == 0
    assert "eshg2025" in ran.out


def test_every_problem_is_named_at_once_and_nothing_is_sent(
    cme: Any, stack: Stack, tmp_path: Path
) -> None:
    def broken_slots(slots: list[dict[str, Any]]) -> list[dict[str, Any]]:
        slots[1] = {**slots[1], "start": "09:30"}  # overlaps sat-1
        slots[2] = {**slots[2], "date": "2025-05-30"}  # not a conference day
        return slots

    path = programme_file(tmp_path, "cli-broken", slots=broken_slots)

    ran = cme("load-programme", str(path), *stack.api)

    assert ran.status == 2
    problems = {
        tuple(line.strip().split(": ")[:2]) for line in ran.err.splitlines() if line[:2] == "  "
    }
    assert problems == {
        ("slots[1].start", "overlapping_slots"),
        ("slots[2].date", "slot_on_unlisted_day"),
    }
    with pytest.raises(ApiError) as raised:
        stack.client().get(resource("events", "cli-broken"))
    assert raised.value.code == "unknown_event"


def test_a_refused_replacement_names_the_api_problems(
    cme: Any, stack: Stack, tmp_path: Path
) -> None:
    setup_event(cme, stack, tmp_path, "cli-replace", ["P1,Pat,,online,"])
    cart = resource("events", "cli-replace", "delegates", "P1", "cart", "S01")
    assert stack.client().put(cart, None).status == 201
    without_s01 = programme_file(
        tmp_path, "cli-replace", sessions=lambda ss: [s for s in ss if s["id"] != "S01"]
    )

    ran = cme("load-programme", str(without_s01), *stack.api)

    assert ran.status == 2
    assert "referenced_session_removed" in ran.err


# --------------------------------------------------------------------------- import-delegates


def test_a_bad_row_never_stops_the_good_ones(cme: Any, stack: Stack, tmp_path: Path) -> None:
    assert (
        cme("load-programme", str(programme_file(tmp_path, "cli-import")), *stack.api).status == 0
    )
    rows = [
        "I1,Łukasz Żółć,lukasz@example.org,in_person,physician",
        "I2,Bad Row,,hybrid,",
        '"I3","Pérez, Ana Lucía",,online,',
        "I4,李小龍,,In person,",
        "I/5,Slash,,online,",
        "I1,Twice,,online,",
        "I6,محمد عبد الله,,online,nurse",
    ]
    path = delegates_file(tmp_path, rows, bom=True)

    ran = cme("import-delegates", "cli-import", str(path), *stack.api)

    assert ran.status == 1
    outcome = {line.split(": ")[0]: line.split(": ", 2)[2] for line in ran.lines[:-1]}
    assert outcome["line 2"] == "created"
    assert outcome["line 3"].startswith("error invalid_request")
    assert outcome["line 4"] == "created"
    assert outcome["line 5"] == "created"
    assert outcome["line 6"].startswith("error invalid_request")
    assert outcome["line 7"].startswith("error invalid_request")
    assert outcome["line 8"] == "created"
    assert ran.lines[-1] == "7 rows: 4 created, 0 updated, 3 failed"
    stored = report_rows(stack, "cli-import")
    assert sorted(stored) == ["I1", "I3", "I4", "I6"]
    assert stored["I1"]["name"] == "Łukasz Żółć"  # the BOM is not part of the first column
    assert stored["I3"]["name"] == "Pérez, Ana Lucía"
    assert stored["I4"]["attendance"] == "in_person"
    assert stored["I6"]["name"] == "محمد عبد الله"

    again = cme("import-delegates", "cli-import", str(path), "--quiet", *stack.api)

    assert again.status == 1
    assert again.lines[-1] == "7 rows: 0 created, 4 updated, 3 failed"
    assert len(again.lines) == 4  # only the failed rows and the summary


def test_a_clean_file_without_bom_exits_0(cme: Any, stack: Stack, tmp_path: Path) -> None:
    assert cme("load-programme", str(programme_file(tmp_path, "cli-clean")), *stack.api).status == 0
    path = delegates_file(tmp_path, ["C1,Zoë Ångström,,in_person,", "C2,山田 花子,,online,"])

    ran = cme("import-delegates", "cli-clean", str(path), *stack.api)

    assert ran.status == 0
    assert ran.lines[-1] == "2 rows: 2 created, 0 updated, 0 failed"


def test_names_that_print_blank_fail_and_unprintable_ones_warn_per_row(
    cme: Any, stack: Stack, tmp_path: Path
) -> None:
    assert cme("load-programme", str(programme_file(tmp_path, "cli-names")), *stack.api).status == 0
    rows = [
        "N1,\u200b\u200b,,online,",  # zero-width spaces only
        "N2,Anna \ue000,,online,",  # a private-use character
        "N3,שרה לוי,,online,",
        "N4,\u0301,,online,",  # a combining mark without a base
    ]
    path = delegates_file(tmp_path, rows)

    ran = cme("import-delegates", "cli-names", str(path), "--quiet", *stack.api)

    assert ran.status == 1
    outcome = {line.split(": ")[0]: line.split(": ", 2)[2] for line in ran.lines[:-1]}
    assert outcome["line 2"].startswith("error invalid_request: name: ")
    assert outcome["line 3"].startswith("created; warning unprintable_name: name: ")
    assert "U+E000" in outcome["line 3"]
    assert "line 4" not in outcome  # quiet: a clean row is not printed
    assert outcome["line 5"].startswith("error invalid_request: name: ")
    assert ran.lines[-1] == "4 rows: 2 created, 0 updated, 1 with a warning, 2 failed"
    assert sorted(report_rows(stack, "cli-names")) == ["N2", "N3"]


def test_a_file_that_is_not_a_delegates_csv_is_a_usage_error(
    cme: Any, stack: Stack, tmp_path: Path
) -> None:
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes(f"{HEADER}\nL1,Zoë,,online,\n".encode("latin-1"))
    no_attendance = tmp_path / "columns.csv"
    no_attendance.write_text("delegate_id,name\nX1,Y\n", encoding="utf-8")

    for path in (latin1, no_attendance, tmp_path / "missing.csv"):
        ran = cme("import-delegates", "cli-clean", str(path), *stack.api)
        assert ran.status == 2
        assert ran.out == ""
        assert len(ran.err.splitlines()) == 1


# --------------------------------------------------------------------------- report


def test_the_report_follows_every_page(cme: Any, stack: Stack, tmp_path: Path) -> None:
    rows = [f"R{n:02d},Delegate {n},,online," for n in range(1, 8)]
    setup_event(cme, stack, tmp_path, "cli-report", rows)
    earn(stack, "cli-report", "R03", "ES01", "S01")

    as_json = cme("report", "cli-report", "--json", "--page-size", "2", *stack.api)
    as_csv = cme("report", "cli-report", "--csv", "--page-size", "3", *stack.api)
    as_table = cme("report", "cli-report", "--page-size", "5", *stack.api)

    assert as_json.status == as_csv.status == as_table.status == 0
    document = loads(as_json.out)
    assert [row["delegate_id"] for row in document["delegates"]] == [
        f"R{n:02d}" for n in range(1, 8)
    ]
    r03 = document["delegates"][2]
    assert r03["total"] == Decimal("3.0")
    assert r03["days"]["2025-05-24"] == Decimal("3.0")
    table = list(csv.reader(io.StringIO(as_csv.out)))
    assert table[0][:4] == ["delegate_id", "name", "attendance", "total"]
    assert [row[0] for row in table[1:]] == [f"R{n:02d}" for n in range(1, 8)]  # header once
    assert table[3][3] == "3.0"
    assert sum(1 for line in as_table.lines if line.startswith("R0")) == 7


def test_the_report_written_to_files(cme: Any, stack: Stack, tmp_path: Path) -> None:
    setup_event(cme, stack, tmp_path, "cli-report-file", ["F1,Ólafur Þór,,online,"])

    to_csv = cme("report", "cli-report-file", "-o", str(tmp_path / "r.csv"), *stack.api)
    to_json = cme("report", "cli-report-file", "-o", str(tmp_path / "r.json"), *stack.api)

    assert to_csv.status == to_json.status == 0
    data = (tmp_path / "r.csv").read_bytes()
    assert data.startswith(b"delegate_id,name,attendance,total,2025-05-24,")
    assert b"\r\nF1,\xc3\x93lafur \xc3\x9e\xc3\xb3r,online,0.0," in data
    assert json.loads((tmp_path / "r.json").read_text("utf-8"))["delegates"][0]["total"] == 0.0


def test_the_report_exported_whole_is_the_paged_report(
    cme: Any, stack: Stack, tmp_path: Path
) -> None:
    rows = [f"X{n:02d},Délégué {n},,online," for n in range(1, 6)]
    setup_event(cme, stack, tmp_path, "cli-export", rows)
    earn(stack, "cli-export", "X02", "ES01", "S01")

    # the service writes the CSV to S3 on a thread of its own; the CLI waits for the link
    exported = cme("report", "cli-export", "--export", "-o", str(tmp_path / "x.csv"), *stack.api)
    paged_file = str(tmp_path / "p.csv")
    paged = cme("report", "cli-export", "--page-size", "2", "-o", paged_file, *stack.api)
    to_stdout = cme("report", "cli-export", "--export", *stack.api)

    assert exported.status == paged.status == to_stdout.status == 0
    data = (tmp_path / "x.csv").read_bytes()
    assert data == (tmp_path / "p.csv").read_bytes()
    assert data.count(b"\r\n") == 6 and "Délégué 5".encode() in data
    assert to_stdout.out.replace("\n", "\r\n") == data.decode()
    assert cme("report", "cli-export", "--export", "-o", "x.json", *stack.api).status == 2


# --------------------------------------------------------------------------- issue-certificates


def test_issue_certificates_is_safe_to_rerun(cme: Any, stack: Stack, tmp_path: Path) -> None:
    rows = ["K1,Ready Reader,,in_person,", "K2,Open Cart,,in_person,", "K3,Never Came,,online,"]
    setup_event(cme, stack, tmp_path, "cli-issue", rows)
    earn(stack, "cli-issue", "K1", "ES01", "S01", "S03")
    earn(stack, "cli-issue", "K2", "ES01")
    cart = resource("events", "cli-issue", "delegates", "K2", "cart", "S04")
    assert stack.client().put(cart, None).status == 201
    folder = tmp_path / "certificates"

    first = cme("issue-certificates", "cli-issue", "-o", str(folder), *stack.api)

    assert first.status == 0, first.err
    assert first.lines[0] == "3 delegates: 1 issued, 0 unchanged, 2 skipped (not ready), 0 failed"
    skipped = {line.split()[0]: line for line in first.lines if line.startswith("  K")}
    assert skipped["K2"].endswith("evaluations_incomplete (S04)")
    assert skipped["K3"].endswith("no_credits")
    assert sorted(p.name for p in folder.iterdir()) == ["K1.pdf"]
    assert (folder / "K1.pdf").read_bytes().startswith(b"%PDF-")
    serial = report_rows(stack, "cli-issue")["K1"]["certificate_serial"]
    assert serial

    second = cme("issue-certificates", "cli-issue", "-o", str(folder), *stack.api)

    assert second.status == 0
    assert second.lines[0] == "3 delegates: 0 issued, 1 unchanged, 2 skipped (not ready), 0 failed"
    assert report_rows(stack, "cli-issue")["K1"]["certificate_serial"] == serial

    earn(stack, "cli-issue", "K1", "S05", day="25")
    third = cme("issue-certificates", "cli-issue", "-o", str(folder), *stack.api)

    assert third.status == 0
    assert third.lines[0].startswith("3 delegates: 1 issued (1 replacing an earlier one)")
    latest = report_rows(stack, "cli-issue")["K1"]
    assert latest["certificate_serial"] != serial
    assert latest["total"] == Decimal("6.0")
    verified = stack.client().get(resource("certificates", serial)).json()
    assert verified["status"] == "superseded"


def test_a_delegate_whose_pdf_cannot_be_saved_fails_with_exit_1(
    cme: Any, stack: Stack, tmp_path: Path
) -> None:
    setup_event(cme, stack, tmp_path, "cli-issue-fail", ["X1,Ok,,online,", "X2,Blocked,,online,"])
    for delegate_id in ("X1", "X2"):
        earn(stack, "cli-issue-fail", delegate_id, "ES01")
    folder = tmp_path / "out"
    (folder / "X2.pdf").mkdir(parents=True)  # a folder where the PDF should go

    ran = cme("issue-certificates", "cli-issue-fail", "-o", str(folder), *stack.api)

    assert ran.status == 1
    assert ran.lines[0] == "2 delegates: 1 issued, 0 unchanged, 0 skipped (not ready), 1 failed"
    assert ran.err.startswith("failed X2: not_saved: ")
    assert (folder / "X1.pdf").read_bytes().startswith(b"%PDF-")


def test_a_name_the_certificate_cannot_print_is_listed_apart(
    cme: Any, stack: Stack, tmp_path: Path
) -> None:
    rows = ["U1,Ready Reader,,online,", "U2,Anna \ue000 Nowak,,online,"]
    setup_event(cme, stack, tmp_path, "cli-unprintable", rows)
    for delegate_id in ("U1", "U2"):
        earn(stack, "cli-unprintable", delegate_id, "ES01")
    folder = tmp_path / "out"

    ran = cme("issue-certificates", "cli-unprintable", "-o", str(folder), *stack.api)

    assert ran.status == 1
    assert ran.lines[0] == (
        "2 delegates: 1 issued, 0 unchanged, 0 skipped (not ready),"
        " 1 refused (name not printable), 0 failed"
    )
    refused = ran.lines.index(
        "refused, the certificate cannot print the name (correct it, then run again):"
    )
    assert ran.lines[refused + 1].split()[0] == "U2"
    assert "name: no bundled font prints U+E000" in ran.lines[refused + 1]
    assert sorted(p.name for p in folder.iterdir()) == ["U1.pdf"]
    assert not ran.err  # not a failure


# --------------------------------------------------------------------------- statement


def test_statement_exit_codes(cme: Any, tmp_path: Path) -> None:
    facts = loads(WORKED_EXAMPLE_FACTS.read_text("utf-8"))
    facts["scans"].append({"scan_id": "early", "scanned_at": "2025-05-23T17:30:00+02:00"})
    with_refusal = tmp_path / "facts.json"
    with_refusal.write_text(dumps(facts), encoding="utf-8")
    not_json = tmp_path / "not.json"
    not_json.write_text("{", encoding="utf-8")

    worked = cme("statement", str(ESHG), str(WORKED_EXAMPLE_FACTS))
    refused = cme("statement", str(ESHG), str(with_refusal))
    missing = cme("statement", str(ESHG), str(tmp_path / "none.json"))
    broken = cme("statement", str(ESHG), str(not_json))

    assert worked.status == 0
    assert loads(worked.out)["total"] == Decimal("15.0")
    assert refused.status == 0  # a refused fact is reported, not a failure
    assert loads(refused.out)["total"] == Decimal("15.0")
    assert "not_a_conference_day" in refused.err
    assert (missing.status, broken.status) == (2, 2)


# --------------------------------------------------------------------------- usage errors


def test_usage_errors_exit_2_with_one_line(cme: Any, stack: Stack, tmp_path: Path) -> None:
    closed = f"http://127.0.0.1:{free_port()}/v1"
    cases = {
        "no url": cme("report", "eshg2025"),
        "no key": cme("report", "eshg2025", "--api-url", stack.url),
        "bad url": cme("report", "eshg2025", "--api-url", "localhost:3000", "--api-key", "k"),
        "unreachable": cme("report", "eshg2025", "--api-url", closed, "--api-key", "k"),
        "wrong key": cme("report", "eshg2025", "--api-url", stack.url, "--api-key", "nope"),
        "unknown event": cme("report", "no-such-event", *stack.api),
        "missing file": cme("load-programme", str(tmp_path / "none.yaml"), *stack.api),
        "bad option": cme("report", "eshg2025", "--page-size", "0", *stack.api),
        "bad workers": cme("issue-certificates", "eshg2025", "--workers", "0", *stack.api),
    }

    for case, ran in cases.items():
        assert ran.status == 2, case
        assert ran.out == "", case
        assert len(ran.err.strip().splitlines()) == 1, (case, ran.err)


def test_argparse_usage_errors_exit_2(cme: Any) -> None:
    assert cme("report").status == 2
    assert cme("issue-certificates", "e", "--unknown").status == 2


@pytest.mark.parametrize(
    "command", ["load-programme", "import-delegates", "report", "issue-certificates"]
)
def test_help_names_the_api_options(command: str) -> None:
    ran = subprocess.run(
        [str(CME), command, "--help"], capture_output=True, text=True, timeout=60, check=False
    )

    assert ran.returncode == 0
    assert "--api-url" in ran.stdout
    assert "CME_API_KEY" in ran.stdout


def test_the_console_script_reads_the_environment(stack: Stack, tmp_path: Path) -> None:
    setup_path = programme_file(tmp_path, "cli-env")
    environment = {**os.environ, "CME_API_URL": stack.url, "CME_API_KEY": stack.key}

    loaded = subprocess.run(
        [str(CME), "load-programme", str(setup_path)],
        capture_output=True,
        text=True,
        timeout=60,
        env=environment,
        check=False,
    )
    refused = subprocess.run(
        [str(CME), "load-programme", str(setup_path)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**environment, "CME_API_KEY": "wrong"},
        check=False,
    )

    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.startswith("created cli-env")
    assert refused.returncode == 2
    assert refused.stderr.count("\n") == 1


# --------------------------------------------------------------------------- professions


def test_professions_are_checked_per_row_and_reported(
    cme: Any, stack: Stack, tmp_path: Path
) -> None:
    """CNMI 2025 lists professions and has an event test: a row with another profession
    fails on its own (unknown_profession) and the report shows profession, eligibility
    and test status."""
    document = programme_document(load_programme_file(ESHG.with_name("ecm2025.yaml")).programme)
    document["event"]["id"] = "cli-ecm"
    path = tmp_path / "cli-ecm.json"
    path.write_text(dumps(document), encoding="utf-8")
    assert cme("load-programme", str(path), *stack.api).status == 0
    rows = [
        "P1,Luca Romano,,in_person,physician",
        "P2,Sara Greco,,in_person,dentist",
        "P3,Marco Ricci,,in_person,physiotherapist",
    ]

    ran = cme("import-delegates", "cli-ecm", str(delegates_file(tmp_path, rows)), *stack.api)

    assert ran.status == 1
    outcome = {line.split(": ")[0]: line.split(": ", 2)[2] for line in ran.lines[:-1]}
    assert outcome["line 3"].startswith("error unknown_profession")
    assert ran.lines[-1] == "3 rows: 2 created, 0 updated, 1 failed"
    table = cme("report", "cli-ecm", *stack.api)
    header, _, first, second, _summary = table.lines
    assert header.split()[-4:] == ["profession", "eligible", "test", "certificate"]
    assert first.split()[-5:] == ["physician", "yes", "not", "passed", "-"]
    assert second.split()[-5:] == ["physiotherapist", "no", "not", "passed", "-"]
    stored = report_rows(stack, "cli-ecm")
    assert (stored["P3"]["eligible"], stored["P3"]["test_passed"]) == (False, False)


# --------------------------------------------------------------------------- decisions


def test_decisions_the_trail_and_the_register_from_the_command_line(
    cme: Any, stack: Stack, tmp_path: Path
) -> None:
    event = "cli-decisions"
    setup_event(cme, stack, tmp_path, event, ["M1,Scanner Failed,,in_person,", "M2,Late,,online,"])
    earn(stack, event, "M1", "ES01")
    client = stack.client()
    late = resource("events", event, "delegates", "M2", "evaluations", "PL03")
    s05 = resource("events", event, "delegates", "M1", "evaluations", "S05")
    client.put(s05, {"submitted_at": "2025-05-25T20:00:00+02:00", "answers": {"q1": 5}})

    # A scanner failed on Sunday: M1's S05 is granted
    granted = cme("grant", event, "M1", "S05", "--reason", "desk 2 scanner failed", *stack.api)
    assert granted.status == 0, granted.err
    again = cme("grant", event, "M1", "S05", "--reason", "asked twice", *stack.api)
    assert (again.status, again.out.split()[0]) == (0, "unchanged:")
    # M2 evaluates in December: refused, then accepted once extended
    evaluation = {"submitted_at": "2025-12-10T21:00:00+01:00", "answers": {"q1": 4}}
    view = {
        "view_id": "m2-view",
        "session_id": "PL03",
        "kind": "on_demand",
        "watched_at": "2025-12-10T19:00:00+01:00",
    }
    with pytest.raises(ApiError) as refused:
        client.put(late, evaluation)
    assert refused.value.code == "claim_deadline_passed"
    extended = cme(
        "extend", event, "M2", "2026-01-15T23:59:59", "--reason", "hospitalised", *stack.api
    )
    assert extended.status == 0, extended.err
    client.post(resource("events", event, "delegates", "M2", "views"), view)
    assert client.put(late, evaluation).status == 201
    # A deadline before the event's is the API's refusal, one line with its code
    early = cme("extend", event, "M2", "2025-11-01T00:00:00", "--reason", "r", *stack.api)
    assert early.status == 2
    assert "422 invalid_request" in early.err and len(early.err.strip().splitlines()) == 1

    register = cme("register", event, "--format", "json", *stack.api)
    assert register.status == 0, register.err
    rows = {(r["delegate_id"], r["session_id"]): r for r in loads(register.out)["rows"]}
    assert {k: r["evidence"] for k, r in rows.items()} == {
        ("M1", "ES01"): "scan",
        ("M1", "S05"): "grant",
        ("M2", "PL03"): "on_demand_view",
    }
    assert rows[("M2", "PL03")]["evaluated_at"] == "2025-12-10T20:00:00Z"
    target = tmp_path / "register.csv"
    assert cme("register", event, "-o", str(target), "--page-size", "1", *stack.api).status == 0
    assert len(target.read_text(encoding="utf-8").splitlines()) == 1 + 3

    serial = client.post(resource("events", event, "delegates", "M1", "certificate")).json()
    revoked = cme("revoke", serial["serial"], "--reason", "issued in error", *stack.api)
    assert revoked.status == 0, revoked.err
    assert client.get(resource("certificates", serial["serial"])).json()["status"] == "revoked"
    withdrawn = cme("extend", event, "M2", "--withdraw", "--reason", "recovered", *stack.api)
    assert withdrawn.status == 0, withdrawn.err

    trail = cme("audit", event, "--all", "--json", *stack.api)
    actions = [e["action"] for e in loads(trail.out)["entries"]]
    assert actions == [
        "extension_withdrawn",
        "certificate_revoked",
        "extension_granted",
        "evidence_granted",
    ]
    table = cme("audit", event, *stack.api)
    assert table.status == 0
    assert table.lines[0].split() == ["at", "actor", "action", "target", "reason"]
    assert table.lines[-1] == "4 entries"
