"""Business metrics leave as CloudWatch embedded metric format (EMF) lines in the function's
output: counted per request, refusals split by their code, nothing for a request that
counted nothing."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest

from tests.integration.conftest import scan_body as scan

pytestmark = pytest.mark.usefixtures("parsed_once")

SCANS = "/events/eshg2025/scans"


def emf(output: str) -> Counter[tuple[str, str | None]]:
    """(metric, its code dimension or None) -> the sum of its values in these lines."""
    found: Counter[tuple[str, str | None]] = Counter()
    for line in output.splitlines():
        if not line.startswith("{"):
            continue
        document = json.loads(line)
        if "_aws" not in document:
            continue  # a log line
        (directive,) = document["_aws"]["CloudWatchMetrics"]
        assert directive["Namespace"] == "CmeCredits"
        for metric in directive["Metrics"]:
            assert metric["Unit"] == "Count"
            values = document[metric["Name"]]
            found[metric["Name"], document.get("code")] += sum(
                values if isinstance(values, list) else [values]
            )
    return found


def test_scans_recorded_repeated_and_refused_by_code(
    delegate: str, eshg: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert eshg.post(SCANS, scan("m-1", "2025-05-24T08:00:00+02:00")).status == 201
    assert eshg.post(SCANS, scan("m-1", "2025-05-24T08:00:00+02:00")).status == 200
    assert eshg.post(SCANS, scan("m-2", "2025-05-23T08:00:00+02:00")).status == 422
    batch = {
        "scans": [
            scan("m-3", "2025-05-25T08:00:00+02:00"),
            scan("m-1", "2025-05-24T08:00:00+02:00"),
            scan("m-4", "2025-05-23T09:00:00+02:00"),
            scan("m-5", "2025-05-25T08:00:00+02:00", delegate_id="NOBODY"),
            {"scan_id": "m-6"},
        ]
    }
    assert eshg.post(SCANS + "/batch", batch).status == 200
    assert emf(capsys.readouterr().out) == {
        ("ScansRecorded", None): 2,
        ("ScansRepeated", None): 2,
        ("ScansRefused", "not_a_conference_day"): 2,
        ("ScansRefused", "unknown_delegate"): 1,
        ("ScansRefused", "invalid_request"): 1,
    }


def test_facts_and_report_pages_are_counted_and_reads_count_nothing(
    delegate: str, eshg: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    base = "/events/eshg2025/delegates/D0001"
    view = {
        "view_id": "mv-1",
        "session_id": "ES01",
        "kind": "on_demand",
        "watched_at": "2025-06-10T19:30:00+02:00",
    }
    assert eshg.post(base + "/views", view).status == 201
    assert eshg.post(base + "/views", view).status == 200
    assert eshg.put(base + "/cart/ES01").status == 201
    assert eshg.put(base + "/cart/ES01").status == 200
    evaluation = {"submitted_at": "2025-06-10T21:00:00+02:00", "answers": {"useful": 5}}
    assert eshg.put(base + "/evaluations/ES01", evaluation).status == 201
    assert eshg.put(base + "/evaluations/ES01", evaluation).status == 200
    assert eshg.get("/events/eshg2025/report").status == 200
    assert eshg.get("/events/eshg2025/report", headers={"accept": "text/csv"}).status == 200
    assert eshg.get(base + "/credits").status == 200
    assert eshg.get(base + "/cart").status == 200
    assert emf(capsys.readouterr().out) == {
        ("ViewsRecorded", None): 1,
        ("CartItemsAdded", None): 1,
        ("EvaluationsRecorded", None): 1,
        ("ReportPages", None): 2,
    }


def test_certificates_issued_superseded_and_revoked(
    delegate: str, eshg: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.integration.test_certificates import BASE, evaluate, scan

    scan(eshg, "mc-1", "2025-05-24T08:00:00+02:00")
    evaluate(eshg, "S01", "2025-05-24T12:05:00+02:00")
    capsys.readouterr()
    first = eshg.post(f"{BASE}/certificate").body["serial"]
    assert eshg.post(f"{BASE}/certificate").status == 200  # unchanged: nothing issued
    evaluate(eshg, "S03", "2025-05-24T14:35:00+02:00")
    second = eshg.post(f"{BASE}/certificate").body["serial"]
    for serial in (first, second, second):  # a superseded one, the valid one, again
        assert eshg.post(f"/certificates/{serial}/revoke", {"reason": "test"}).status == 200
    counted = emf(capsys.readouterr().out)
    assert {name: n for (name, _), n in counted.items() if name.startswith("Cert")} == {
        "CertificatesIssued": 2,
        "CertificatesSuperseded": 1,
        "CertificatesRevoked": 2,
    }
