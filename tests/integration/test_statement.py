"""The credit statement, `GET /events/{event_id}/delegates/{delegate_id}/credits`, computed
from facts recorded through the API: the worked example of RULES.md, a late offline batch,
every cart status, and amounts as exact JSON numbers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.usefixtures("parsed_once")

WORKED_EXAMPLE = Path(__file__).resolve().parents[1] / "data" / "worked-example-facts.json"
D0001 = "/events/eshg2025/delegates/D0001"


def record(client: Any, event_id: str, facts: dict[str, Any]) -> None:
    """Send one delegate's facts through the API, as the platform would, checking each."""
    delegate = facts["delegate"]
    base = f"/events/{event_id}/delegates/{delegate['delegate_id']}"
    registration = {"name": delegate["name"], "attendance": delegate["attendance"]}
    assert client.put(base, registration).status in (200, 201)
    for scan in facts.get("scans", ()):
        body = {"delegate_id": delegate["delegate_id"], "station_id": "cme-desk-1", **scan}
        assert client.post(f"/events/{event_id}/scans", body).status == 201, scan
    for view in facts.get("views", ()):
        assert client.post(f"{base}/views", view).status == 201, view
    for session_id in facts.get("cart", ()):
        assert client.put(f"{base}/cart/{session_id}").status == 201, session_id
    for evaluation in facts.get("evaluations", ()):
        body = {"submitted_at": evaluation["submitted_at"], "answers": {"useful": 5}}
        answer = client.put(f"{base}/evaluations/{evaluation['session_id']}", body)
        assert answer.status == 201, evaluation


def day_credits(statement: dict[str, Any]) -> dict[str, float]:
    return {day["date"]: day["credits"] for day in statement["days"]}


def cart_statuses(statement: dict[str, Any]) -> dict[str, str]:
    return {item["session_id"]: item["status"] for item in statement["cart"]}


# --------------------------------------------------------------------------- worked example


def test_the_worked_example_of_the_rules(eshg):
    record(eshg, "eshg2025", json.loads(WORKED_EXAMPLE.read_text(encoding="utf-8")))

    answer = eshg.get(f"{D0001}/credits")

    assert answer.status == 200
    statement = answer.body
    assert (statement["event_id"], statement["delegate_id"]) == ("eshg2025", "D0001")
    assert (statement["unit"], statement["cap"]) == ("ECMEC", 25.5)
    assert day_credits(statement) == {
        "2025-05-24": 7.5,
        "2025-05-25": 4.5,
        "2025-05-26": 3.0,
        "2025-05-27": 0.0,
    }
    assert [day["cap"] for day in statement["days"]] == [7.5, 7.5, 6.0, 4.5]
    assert statement["total"] == 15.0
    assert statement["conversions"] == [{"name": "AMA PRA Category 1 Credits", "credits": 15.0}]
    assert cart_statuses(statement) == {
        "ES01": "credited",
        "S01": "credited",
        "S02": "parallel",
        "S03": "credited",
        "PL01": "credited",
        "S04": "credited",
        "S05": "credited",
        "PL02": "credited",
        "S07": "credited",
        "C23": "no_evidence",
        "PL03": "credited",
        "S12": "credited",
    }
    assert [item["session_id"] for item in statement["cart"]] == [
        "ES01", "S01", "S02", "S03", "PL01", "S04", "S05", "PL02", "S07", "C23", "PL03", "S12",
    ]  # fmt: skip
    saturday = statement["days"][0]["slots"]
    assert [(s["slot_id"], s["max"], s["credits"], s["sessions"]) for s in saturday] == [
        ("sat-1", 1.5, 1.5, ["ES01"]),
        ("sat-2", 1.5, 1.5, ["S01"]),
        ("sat-3", 1.5, 1.5, ["S03"]),
        ("sat-4", 1.5, 1.5, ["PL01"]),
        ("sat-5", 1.5, 1.5, ["S04"]),
    ]
    assert statement["certificate_ready"] is True
    assert statement["missing_evaluations"] == []
    assert '"total":15.0' in answer.text


def test_a_late_offline_batch_turns_no_evidence_into_credited(delegate, eshg):
    eshg.put(
        f"{D0001}/evaluations/C23", {"submitted_at": "2025-05-26T21:00:00+02:00", "answers": {}}
    )
    before = eshg.get(f"{D0001}/credits").body
    assert cart_statuses(before) == {"C23": "no_evidence"}
    assert before["total"] == 0.0

    # In June, a station that was offline on 26 May syncs its scans.
    batch = {
        "scans": [
            {
                "scan_id": "desk-3-0001",
                "delegate_id": "D0001",
                "station_id": "cme-desk-3",
                "scanned_at": "2025-05-26T08:05:00+02:00",
            }
        ]
    }
    assert eshg.post("/events/eshg2025/scans/batch", batch).body["results"][0]["status"] == 201

    after = eshg.get(f"{D0001}/credits").body
    assert cart_statuses(after) == {"C23": "credited"}
    assert day_credits(after)["2025-05-26"] == 1.5
    assert after["total"] == 1.5


def test_evidence_counts_by_local_day_and_in_either_order(delegate, eshg):
    for scan_id, scanned_at in [
        ("s-1", "2025-05-24T17:00:00+02:00"),  # after the 16:40 evaluation below
        ("s-2", "2025-05-25T22:30:00Z"),  # 00:30 on 26 May in Milan
    ]:
        body = {
            "scan_id": scan_id,
            "delegate_id": "D0001",
            "station_id": "cme-desk-1",
            "scanned_at": scanned_at,
        }
        assert eshg.post("/events/eshg2025/scans", body).status == 201
    for session_id, at in [
        ("PL01", "2025-05-24T16:40:00+02:00"),
        ("S05", "2025-05-25T10:05:00+02:00"),  # 25 May: no scan in Milan's day
        ("S10", "2025-05-26T10:05:00+02:00"),
    ]:
        eshg.put(f"{D0001}/evaluations/{session_id}", {"submitted_at": at, "answers": {}})

    statement = eshg.get(f"{D0001}/credits").body

    assert cart_statuses(statement) == {"PL01": "credited", "S05": "no_evidence", "S10": "credited"}
    assert day_credits(statement) == {
        "2025-05-24": 1.5,
        "2025-05-25": 0.0,
        "2025-05-26": 1.5,
        "2025-05-27": 0.0,
    }


def test_a_live_view_is_evidence_for_an_online_delegate(eshg):
    eshg.put("/events/eshg2025/delegates/D0002", {"name": "Ana Ruiz", "attendance": "online"})
    base = "/events/eshg2025/delegates/D0002"
    view = {
        "view_id": "v-1",
        "session_id": "S01",
        "kind": "live",
        "watched_at": "2025-05-24T10:40:00+02:00",
    }
    eshg.post(f"{base}/views", view)
    eshg.put(
        f"{base}/evaluations/S01", {"submitted_at": "2025-05-24T12:05:00+02:00", "answers": {}}
    )
    eshg.put(
        f"{base}/evaluations/C01", {"submitted_at": "2025-05-24T12:05:00+02:00", "answers": {}}
    )

    statement = eshg.get(f"{base}/credits").body

    assert cart_statuses(statement) == {"S01": "credited", "C01": "no_evidence"}
    assert statement["total"] == 1.5


def test_attendance_is_registration_data_and_never_rewrites_credits(delegate, eshg):
    scan = {
        "scan_id": "s-1",
        "delegate_id": "D0001",
        "station_id": "cme-desk-1",
        "scanned_at": "2025-05-24T08:01:00+02:00",
    }
    eshg.post("/events/eshg2025/scans", scan)
    eshg.put(
        f"{D0001}/evaluations/ES01", {"submitted_at": "2025-05-24T10:05:00+02:00", "answers": {}}
    )
    before = eshg.get(f"{D0001}/credits").text

    eshg.put(D0001, {"name": "Łukasz Żółć", "attendance": "online"})

    assert eshg.get(f"{D0001}/credits").text == before


# --------------------------------------------------------------------------- cart statuses


def test_every_cart_status_and_the_missing_evaluations(delegate, eshg, programme_document):
    scan = {
        "scan_id": "s-1",
        "delegate_id": "D0001",
        "station_id": "cme-desk-1",
        "scanned_at": "2025-05-24T08:01:00+02:00",
    }
    eshg.post("/events/eshg2025/scans", scan)
    for session_id in ("S01", "C01", "S03"):
        body = {"submitted_at": "2025-05-24T14:35:00+02:00", "answers": {}}
        assert eshg.put(f"{D0001}/evaluations/{session_id}", body).status == 201
    eshg.put(
        f"{D0001}/evaluations/S05", {"submitted_at": "2025-05-25T10:05:00+02:00", "answers": {}}
    )
    eshg.put(f"{D0001}/cart/PL01")
    # The organiser corrects the programme: S03 was an industry session after all.
    for session in programme_document["sessions"]:
        if session["id"] == "S03":
            session["accredited"] = False
    assert eshg.put("/events/eshg2025", programme_document).status == 200

    statement = eshg.get(f"{D0001}/credits").body

    assert cart_statuses(statement) == {
        "S01": "parallel",  # C01 comes first in the programme (same start, then id)
        "C01": "credited",
        "S03": "not_accredited",
        "PL01": "not_evaluated",
        "S05": "no_evidence",
    }
    assert statement["missing_evaluations"] == ["PL01"]
    assert statement["certificate_ready"] is False
    assert statement["total"] == 1.5


def test_a_statement_lists_every_day_and_needs_credit_for_a_certificate(delegate, eshg):
    empty = eshg.get(f"{D0001}/credits")

    assert empty.status == 200
    assert day_credits(empty.body) == dict.fromkeys(
        ["2025-05-24", "2025-05-25", "2025-05-26", "2025-05-27"], 0.0
    )
    assert [len(day["slots"]) for day in empty.body["days"]] == [5, 5, 4, 3]
    assert empty.body["cart"] == []
    assert empty.body["certificate_ready"] is False
    assert '"total":0.0' in empty.text

    evaluation = {"submitted_at": "2025-05-24T10:05:00+02:00", "answers": {}}
    eshg.put(f"{D0001}/evaluations/ES01", evaluation)  # evaluated, but no evidence
    statement = eshg.get(f"{D0001}/credits").body

    assert statement["missing_evaluations"] == []
    assert (statement["total"], statement["certificate_ready"]) == (0.0, False)


def test_an_unknown_event_or_delegate_is_404(eshg, expect_problem):
    unknown_delegate = eshg.get("/events/eshg2025/delegates/D0404/credits")
    unknown_event = eshg.get("/events/nope/delegates/D0001/credits")

    expect_problem(unknown_delegate, 404, "unknown_delegate")
    expect_problem(unknown_event, 404, "unknown_event")


# --------------------------------------------------------------------------- exact amounts


def tenths_programme(total: str = "1", conversions: list[dict[str, str]] | None = None) -> dict:
    """Two days; on the first, a slot of three sequential 0.1-credit sessions."""
    return {
        "event": {
            "id": "tenths",
            "name": "Tenths Symposium",
            "city": "Milan",
            "timezone": "Europe/Rome",
            "accreditation": {
                "body": "UEMS-EACCME",
                "unit": "ECMEC",
                "total": total,
                "statement": "Accredited for tenths of a credit.",
            },
            "conversions": conversions or [{"name": "AMA PRA Category 1 Credits", "ratio": "1"}],
            "claim_deadline": "2025-11-30T23:59:59",
            "on_demand": {"start": "2025-05-27T00:00:00", "end": "2025-11-30T23:59:59"},
        },
        "days": [{"date": "2025-05-24", "cap": "0.5"}, {"date": "2025-05-25", "cap": "0.5"}],
        "slots": [
            {"id": "t-1", "date": "2025-05-24", "start": "08:00", "end": "09:00", "max": "0.3"},
            {"id": "t-2", "date": "2025-05-25", "start": "08:00", "end": "09:00", "max": "0.3"},
        ],
        "sessions": [
            *(
                {"id": s, "slot": "t-1", "title": s, "start": start, "end": end, "credits": "0.1"}
                for s, start, end in (
                    ("A", "08:00", "08:20"),
                    ("B", "08:20", "08:40"),
                    ("C", "08:40", "09:00"),
                )
            ),
            {"id": "D", "slot": "t-2", "title": "D"},
        ],
    }


def tenths_delegate(client: Any) -> str:
    base = "/events/tenths/delegates/T1"
    client.put(base, {"name": "Tenths Delegate", "attendance": "in_person"})
    scan = {
        "scan_id": "t-scan",
        "delegate_id": "T1",
        "station_id": "desk",
        "scanned_at": "2025-05-24T07:55:00+02:00",
    }
    assert client.post("/events/tenths/scans", scan).status == 201
    for session_id in ("A", "B", "C"):
        body = {"submitted_at": "2025-05-24T09:05:00+02:00", "answers": {}}
        assert client.put(f"{base}/evaluations/{session_id}", body).status == 201
    return base


def test_amounts_are_exact_json_numbers(client):
    conversions = [
        {"name": "AMA PRA Category 1 Credits", "ratio": "1"},
        {"name": "Thirds", "ratio": "1/3"},
        {"name": "Sevenths", "ratio": "1/7"},
        {"name": "Quarters", "ratio": "0.25"},
    ]
    assert client.put("/events/tenths", tenths_programme(conversions=conversions)).status == 201
    base = tenths_delegate(client)

    answer = client.get(f"{base}/credits")

    assert answer.body["total"] == 0.3
    assert answer.body["days"][0]["slots"][0]["sessions"] == ["A", "B", "C"]
    assert '"total":0.3,' in answer.text
    assert '"credits":0.3,' in answer.text
    assert '"credits":0.0,' in answer.text  # the second day
    assert "0.30000000000000004" not in answer.text
    assert '"0.3"' not in answer.text  # numbers, not strings
    assert answer.body["conversions"] == [
        {"name": "AMA PRA Category 1 Credits", "credits": 0.3},
        {"name": "Thirds", "credits": 0.1},
        {"name": "Sevenths", "credits": 0.04},  # 0.0428571... rounds half-even
        {"name": "Quarters", "credits": 0.075},  # terminates: exact
    ]
    assert '"credits":0.075' in answer.text


def test_the_event_total_caps_the_sum_of_the_days(client):
    client.put("/events/tenths", tenths_programme(total="0.2"))
    base = tenths_delegate(client)

    statement = client.get(f"{base}/credits").body

    assert (statement["total"], statement["cap"]) == (0.2, 0.2)
    assert day_credits(statement) == {"2025-05-24": 0.3, "2025-05-25": 0.0}
    assert statement["conversions"][0]["credits"] == 0.2
    assert statement["capped_by_event_total"] is True


def test_sequential_sessions_add_up_only_for_what_was_credited(client, subtests):
    client.put("/events/tenths", tenths_programme())
    begins = {"A": "08:01", "B": "08:21", "C": "08:41"}
    for delegate_id, session_ids, total in [("T2", ("A", "C"), "0.2"), ("T3", ("B",), "0.1")]:
        with subtests.test(sessions=session_ids):
            base = f"/events/tenths/delegates/{delegate_id}"
            client.put(base, {"name": f"Delegate {delegate_id}", "attendance": "online"})
            for session_id in session_ids:
                view = {
                    "view_id": f"{delegate_id}-{session_id}",
                    "session_id": session_id,
                    "kind": "live",
                    "watched_at": f"2025-05-24T{begins[session_id]}:00+02:00",
                }
                assert client.post(f"{base}/views", view).status == 201
                body = {"submitted_at": "2025-05-24T09:05:00+02:00", "answers": {}}
                assert client.put(f"{base}/evaluations/{session_id}", body).status == 201
            assert f'"total":{total},' in client.get(f"{base}/credits").text
