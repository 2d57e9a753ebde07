"""A delegate's whole journey over real HTTP against `cme serve`."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.e2e.served import Http, Served, start_server, stop_server

pytestmark = pytest.mark.e2e


def scan(scan_id: str, delegate: str, at: str, station: str = "cme-desk-1") -> dict[str, str]:
    return {"scan_id": scan_id, "delegate_id": delegate, "station_id": station, "scanned_at": at}


def evaluate(http: Http, event: str, delegate: str, session: str, at: str) -> int:
    reply = http.put(
        f"/events/{event}/delegates/{delegate}/evaluations/{session}",
        {"submitted_at": at, "answers": {"relevance": 5, "comment": "useful"}},
    )
    return reply.status


def test_worked_example_over_http(http: Http, event: str) -> None:
    # Given a registered delegate
    base = f"/events/{event}/delegates/D0001"
    assert http.put(base, {"name": "Łukasz Żółć", "attendance": "in_person"}).status == 201
    # When she scans on 24 May and evaluates one session per slot plus a parallel one
    assert (
        http.post(
            f"/events/{event}/scans", scan("w-1", "D0001", "2025-05-24T08:01:00+02:00")
        ).status
        == 201
    )
    for session, at in [
        ("ES01", "2025-05-24T10:05:00+02:00"),
        ("S01", "2025-05-24T12:02:00+02:00"),
        ("S02", "2025-05-24T12:03:00+02:00"),
        ("S03", "2025-05-24T14:35:00+02:00"),
        ("PL01", "2025-05-24T16:40:00+02:00"),
        ("S04", "2025-05-24T18:45:00+02:00"),
    ]:
        assert evaluate(http, event, "D0001", session, at) == 201
    # 25 May: three slots, but the CME desk's scan only arrives later, from an offline station
    for session, at in [
        ("S05", "2025-05-25T10:10:00+02:00"),
        ("PL02", "2025-05-25T12:05:00+02:00"),
        ("S07", "2025-05-25T14:40:00+02:00"),
    ]:
        assert evaluate(http, event, "D0001", session, at) == 201
    before = http.get(f"{base}/credits").body
    assert before["days"][1]["credits"] == 0.0
    assert {i["session_id"]: i["status"] for i in before["cart"]}["S05"] == "no_evidence"
    batch = http.post(
        f"/events/{event}/scans/batch",
        {
            "scans": [
                scan("w-2", "D0001", "2025-05-25T08:12:00+02:00", "offline-3"),
                scan("w-2", "D0001", "2025-05-25T08:12:00+02:00", "offline-3"),
                scan("w-1", "D0001", "2025-05-24T08:01:00+02:00"),
            ]
        },
    )
    assert batch.status == 200
    assert [r["status"] for r in batch.body["results"]] == [201, 200, 200]
    # 26 May: an evaluation without evidence, then two on-demand recordings in June
    assert evaluate(http, event, "D0001", "C23", "2025-05-26T21:00:00+02:00") == 201
    for view_id, session, watched, evaluated in [
        ("v-1", "PL03", "2025-06-10T19:30:00+02:00", "2025-06-10T21:00:00+02:00"),
        ("v-2", "S12", "2025-06-11T20:00:00+02:00", "2025-06-11T21:40:00+02:00"),
    ]:
        view = {
            "view_id": view_id,
            "session_id": session,
            "kind": "on_demand",
            "watched_at": watched,
        }
        assert http.post(f"{base}/views", view).status == 201
        assert http.post(f"{base}/views", view).status == 200
        assert evaluate(http, event, "D0001", session, evaluated) == 201

    statement = http.get(f"{base}/credits")
    assert statement.status == 200
    body = statement.body
    assert [d["credits"] for d in body["days"]] == [7.5, 4.5, 3.0, 0.0]
    assert body["total"] == 15.0
    assert body["conversions"] == [{"name": "AMA PRA Category 1 Credits", "credits": 15.0}]
    statuses = {i["session_id"]: i["status"] for i in body["cart"]}
    assert statuses["S05"] == "credited"
    assert statuses["S02"] == "parallel"
    assert statuses["C23"] == "no_evidence"
    assert body["certificate_ready"] is True
    assert b'"total":15.0' in statement.data  # an exact JSON number, not a string


def test_sixteen_identical_scans_store_one(http: Http, event: str) -> None:
    assert (
        http.put(
            f"/events/{event}/delegates/D0016", {"name": "Zoë Ångström", "attendance": "in_person"}
        ).status
        == 201
    )
    body = scan("race-1", "D0016", "2025-05-26T08:30:00+02:00")
    with ThreadPoolExecutor(16) as pool:
        statuses = sorted(
            pool.map(lambda _: http.post(f"/events/{event}/scans", body).status, range(16))
        )
    assert statuses.count(201) == 1
    assert statuses.count(200) == 15
    cart_days = http.get(f"/events/{event}/delegates/D0016/credits").body["days"]
    assert len(cart_days) == 4


def test_api_key_is_required_except_for_public_routes(http: Http, event: str) -> None:
    assert http.get(f"/events/{event}", key=None).code == "unauthorized"
    assert http.get(f"/events/{event}", key="wrong").status == 403
    assert http.get("/openapi.json", key=None).status == 200
    assert (
        http.get("/certificates/0000-0000-0000-0000-0000", key=None).code == "unknown_certificate"
    )
    assert http.get("/no/such/route").code == "not_found"
    assert http.request("PATCH", f"/events/{event}").code == "method_not_allowed"


def test_server_stops_cleanly_on_sigterm() -> None:
    served: Served = start_server(workers=1)
    assert served.http.get("/openapi.json", key=None).status == 200
    assert stop_server(served) == 0
