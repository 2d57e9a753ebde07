"""Organiser decisions through the handlers (CONTRACT.md, "Organiser decisions"): a
delegate's own deadline, evidence granted for a session, corrections; each with its reason,
actor and time in the audit trail, written with the change; statements and certificates
follow at once."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from cme_tools.local.events import ORGANISER_KEY_ID, PLATFORM_KEY_ID
from cme_tools.local.functions import Functions

pytestmark = pytest.mark.usefixtures("parsed_once")

D1 = "/events/eshg2025/delegates/D0001"
AFTER_DEADLINE = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


def evaluate(client: Functions, session: str, at: str, path: str = D1) -> Any:
    return client.put(
        f"{path}/evaluations/{session}", {"submitted_at": at, "answers": {"relevance": 5}}
    )


def trail(client: Functions, **query: str) -> Any:
    answer = client.get(
        "/events/eshg2025/audit", query="&".join(f"{k}={v}" for k, v in query.items())
    )
    assert answer.status == 200, answer.body
    assert answer.headers["cache-control"] == "no-store"
    return answer.body


def test_a_grant_credits_a_session_whose_scanner_failed_and_reissues_the_certificate(
    delegate: str, client: Functions
) -> None:
    # Scanned on 24 May, evaluated S01 that day and S05 on 25 May without a scan.
    scan = {"scan_id": "s-1", "delegate_id": "D0001", "station_id": "cme-desk-1"}
    assert (
        client.post(
            "/events/eshg2025/scans", {**scan, "scanned_at": "2025-05-24T08:01:00+02:00"}
        ).status
        == 201
    )
    assert evaluate(client, "S01", "2025-05-24T12:05:00+02:00").status == 201
    assert evaluate(client, "S05", "2025-05-25T10:05:00+02:00").status == 201
    before = client.get(f"{D1}/credits").body
    assert {i["session_id"]: i["status"] for i in before["cart"]}["S05"] == "no_evidence"
    first = client.post(f"{D1}/certificate")
    assert first.status == 201

    granted = client.put(f"{D1}/grants/S05", {"reason": "desk 2 scanner failed on 25 May"})
    assert granted.status == 201
    assert granted.body["changed"] is True
    again = client.put(f"{D1}/grants/S05", {"reason": "asked twice"})
    assert (again.status, again.body["changed"]) == (200, False)

    after = client.get(f"{D1}/credits").body
    assert {i["session_id"]: i["status"] for i in after["cart"]}["S05"] == "credited"
    assert after["total"] == before["total"] + 1.5
    reissued = client.post(f"{D1}/certificate")
    assert reissued.status == 201
    assert reissued.body["serial"] != first.body["serial"]
    old = client.get(f"/certificates/{first.body['serial']}", api_key_id=None).body
    assert old["status"] == "superseded"

    assert client.delete(f"{D1}/grants/S05", body={"reason": "granted by mistake"}).status == 204
    assert client.get(f"{D1}/credits").body["total"] == before["total"]
    entries = trail(client)["entries"]
    assert [e["action"] for e in entries] == ["grant_withdrawn", "evidence_granted"]
    assert entries[1] == {
        "at": "2025-06-15T12:00:00Z",
        "actor": ORGANISER_KEY_ID,
        "action": "evidence_granted",
        "target": "delegates/D0001/grants/S05",
        "reason": "desk 2 scanner failed on 25 May",
    }


def test_an_extension_is_the_delegates_own_claim_deadline(
    delegate: str, client: Functions, clock: list[datetime], expect_problem: Any
) -> None:
    clock[0] = AFTER_DEADLINE
    late = "2026-01-05T10:00:00+01:00"
    expect_problem(evaluate(client, "S01", late), 409, "claim_deadline_passed")
    assert client.put(f"{D1}/cart/S01").status == 201
    assert client.get(f"{D1}/cart").body["items"][0]["evaluation"] == "closed"

    body = {"until": "2026-01-15T23:59:59", "reason": "hospitalised in November"}
    extended = client.put(f"{D1}/extension", body)
    assert (extended.status, extended.body["until"]) == (201, "2026-01-15T23:59:59")
    assert client.put(f"{D1}/extension", body).status == 200
    assert client.get(f"{D1}/cart").body["items"][0]["evaluation"] == "open"
    assert evaluate(client, "S01", late).status == 201
    # Another delegate keeps the event's deadline.
    client.put("/events/eshg2025/delegates/D0002", {"name": "Zoë", "attendance": "online"})
    expect_problem(
        evaluate(client, "S01", late, "/events/eshg2025/delegates/D0002"),
        409,
        "claim_deadline_passed",
    )
    # Past the extension too: refused.
    clock[0] = datetime(2026, 1, 20, 12, 0, tzinfo=UTC)
    expect_problem(
        evaluate(client, "S02", "2026-01-16T00:00:00+01:00"), 409, "claim_deadline_passed"
    )

    assert client.delete(f"{D1}/extension", body={"reason": "entered in error"}).status == 204
    assert client.delete(f"{D1}/extension", body={"reason": "again"}).status == 204
    actions = [e["action"] for e in trail(client)["entries"]]
    assert actions == ["extension_withdrawn", "extension_granted"]


def test_an_extension_on_demand_view_counts_until_the_extension(
    delegate: str, client: Functions, clock: list[datetime], expect_problem: Any
) -> None:
    clock[0] = AFTER_DEADLINE
    view = {"view_id": "v-late", "session_id": "S01", "kind": "on_demand"}
    view["watched_at"] = "2026-01-04T20:00:00+01:00"
    expect_problem(client.post(f"{D1}/views", view), 422, "outside_on_demand_window")
    client.put(f"{D1}/extension", {"until": "2026-01-15T23:59:59", "reason": "ill"})
    assert client.post(f"{D1}/views", view).status == 201


@pytest.mark.parametrize(
    ("until", "status"),
    [
        ("2025-11-30T23:59:59", 422),  # the event's own deadline: no extension
        ("2025-10-01T12:00:00", 422),
        ("2026-01-15T23:59:59+01:00", 422),  # an offset: not a local time
        ("next week", 422),
    ],
)
def test_an_extension_must_run_past_the_events_deadline(
    delegate: str, client: Functions, until: str, status: int, expect_problem: Any
) -> None:
    answer = client.put(f"{D1}/extension", {"until": until, "reason": "r"})
    expect_problem(answer, status, "invalid_request")


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (f"{D1}/extension", {"until": "2026-01-15T23:59:59"}),
        (f"{D1}/extension", {"until": "2026-01-15T23:59:59", "reason": ""}),
        (f"{D1}/extension", {"until": "2026-01-15T23:59:59", "reason": "x" * 501}),
        (f"{D1}/grants/S01", {}),
    ],
)
def test_every_decision_needs_a_reason(
    delegate: str, client: Functions, path: str, body: dict[str, Any], expect_problem: Any
) -> None:
    expect_problem(client.put(path, body), 422, "invalid_request")
    assert trail(client)["entries"] == []


def test_decisions_about_unknown_things_are_404(eshg: Functions, expect_problem: Any) -> None:
    reason = {"reason": "r"}
    expect_problem(
        eshg.put("/events/eshg2025/delegates/NOBODY/grants/S01", reason), 404, "unknown_delegate"
    )
    expect_problem(eshg.put("/events/nope/delegates/D1/grants/S01", reason), 404, "unknown_event")
    eshg.put("/events/eshg2025/delegates/D0001", {"name": "A", "attendance": "online"})
    expect_problem(
        eshg.put("/events/eshg2025/delegates/D0001/grants/NOPE", reason), 404, "unknown_session"
    )
    expect_problem(eshg.get("/events/nope/audit"), 404, "unknown_event")


def test_the_trail_is_complete_after_a_scripted_sequence(
    delegate: str,
    client: Functions,
    programme_document: dict[str, Any],
    stored_items: Any,
    clock: list[datetime],
) -> None:
    """Count entries against actions: each change one entry, each repeat none."""
    expected = 0
    for session in ("S01", "S05", "S02"):
        assert client.put(f"{D1}/grants/{session}", {"reason": f"grant {session}"}).status == 201
        expected += 1
    client.put(f"{D1}/grants/S01", {"reason": "repeat"})  # no entry
    assert client.delete(f"{D1}/grants/S05", body={"reason": "withdrawn"}).status == 204
    expected += 1
    client.delete(f"{D1}/grants/S05", body={"reason": "nothing left"})  # no entry
    extension = {"until": "2026-01-15T23:59:59", "reason": "late"}
    assert client.put(f"{D1}/extension", extension).status == 201
    expected += 1
    extension["until"] = "2026-01-31T23:59:59"
    assert client.put(f"{D1}/extension", extension).status == 201
    expected += 1
    # (a decision on top of another is stamped after it: the clock moves on, as it would)
    clock[0] += timedelta(seconds=1)
    # A correction of the name, by the platform's key: audited with that key's id.
    corrected = {"name": "Łukasz Żółć-Nowak", "attendance": "in_person", "reason": "married"}
    assert client.put(D1, corrected, api_key_id=PLATFORM_KEY_ID).status == 200
    expected += 1
    client.put(D1, corrected)  # the same again: no correction
    client.put(D1, {**corrected, "attendance": "online"})  # attendance: no correction
    # A programme replacement.
    assert client.put("/events/eshg2025", programme_document).status == 200
    expected += 1
    # A revocation.
    client.post(
        "/events/eshg2025/scans",
        {
            "scan_id": "s-1",
            "delegate_id": "D0001",
            "station_id": "cme-desk-1",
            "scanned_at": "2025-05-24T08:01:00+02:00",
        },
    )
    evaluate(client, "S01", "2025-05-24T12:05:00+02:00")
    serial = client.post(f"{D1}/certificate").body["serial"]
    assert client.post(f"/certificates/{serial}/revoke", {"reason": "fraud"}).status == 200
    client.post(f"/certificates/{serial}/revoke", {"reason": "again"})  # no entry
    expected += 1

    entries, cursor, pages = [], None, 0
    while True:
        page = trail(client, limit="3", **({"cursor": cursor} if cursor else {}))
        entries += page["entries"]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(entries) == expected == 9
    assert pages == 3
    assert [e["action"] for e in entries] == [
        "certificate_revoked",
        "programme_replaced",
        "delegate_corrected",
        "extension_granted",
        "extension_granted",
        "grant_withdrawn",
        "evidence_granted",
        "evidence_granted",
        "evidence_granted",
    ]
    assert entries[2]["actor"] == PLATFORM_KEY_ID
    assert entries[2]["reason"] == "married"
    assert [e["at"] for e in entries] == sorted((e["at"] for e in entries), reverse=True)
    audit_items = stored_items("AUDIT#")
    assert len(audit_items) == expected
    text = json.dumps(audit_items)
    assert "lukasz@example.org" not in text
    assert "relevance" not in text


def test_a_bad_cursor_is_refused(eshg: Functions, expect_problem: Any) -> None:
    expect_problem(
        eshg.get("/events/eshg2025/audit", query="cursor=bm9wZQ"), 422, "invalid_request"
    )


def test_a_revocation_holds_until_an_organiser_lifts_it(
    delegate: str, client: Functions, expect_problem: Any
) -> None:
    client.post(
        "/events/eshg2025/scans",
        {
            "scan_id": "s-1",
            "delegate_id": "D0001",
            "station_id": "cme-desk-1",
            "scanned_at": "2025-05-24T08:01:00+02:00",
        },
    )
    evaluate(client, "S01", "2025-05-24T12:05:00+02:00")
    serial = client.post(f"{D1}/certificate").body["serial"]
    expect_problem(client.post(f"/certificates/{serial}/revoke", {}), 422, "invalid_request")
    assert client.post(f"/certificates/{serial}/revoke", {"reason": "fraud"}).status == 200
    expect_problem(client.post(f"{D1}/certificate"), 409, "revoked")
    # Correcting the name by a space does not yield a fresh certificate.
    client.put(D1, {"name": "Łukasz  Żółć", "attendance": "in_person"})
    expect_problem(client.post(f"{D1}/certificate"), 409, "revoked")

    lifted = client.delete(f"{D1}/revocation", body={"reason": "appeal upheld"})
    assert lifted.status == 204
    fresh = client.post(f"{D1}/certificate")
    assert fresh.status == 201
    assert fresh.body["serial"] != serial
    old = client.get(f"/certificates/{serial}", api_key_id=None).body
    assert old["status"] == "revoked"
    actions = [e["action"] for e in trail(client)["entries"]]
    assert actions == ["revocation_lifted", "delegate_corrected", "certificate_revoked"]


def test_answers_with_personal_data_are_not_cached(delegate: str, client: Functions) -> None:
    assert client.get(f"{D1}/credits").headers["cache-control"] == "no-store"
    assert client.get("/events/eshg2025/report").headers["cache-control"] == "no-store"
    csv = client.get("/events/eshg2025/report", headers={"accept": "text/csv"})
    assert csv.headers["cache-control"] == "no-store"


def test_extensions_decided_at_once_one_stands_and_the_trail_says_which(
    delegate: str, client: Functions, store: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Four organisers extend the same delegate at once, each container's clock a second
    apart, every one of them having read "no extension yet"; they store in the order
    opposite to their clocks. Each decision lands on top of the one before it, never
    beside it: the extension that stands is the trail's newest entry."""
    import threading
    import time
    from concurrent.futures import ThreadPoolExecutor

    from cme import api

    deciding = 4
    local = threading.local()
    monkeypatch.setattr(api.runtime, "clock", lambda: AFTER_DEADLINE + local.offset)
    all_read = threading.Barrier(deciding)
    real = store.set_extension

    def set_extension(*args: Any, **kwargs: Any) -> None:
        if not getattr(local, "waited", False):  # the first try: after everyone has read
            local.waited = True
            all_read.wait()
            time.sleep(0.05 * (deciding - local.n))  # the latest clock stores first
        real(*args, **kwargs)

    monkeypatch.setattr(store, "set_extension", set_extension)

    def extend(n: int) -> Any:
        local.n, local.offset = n, timedelta(seconds=n)
        body = {"until": f"2026-01-{10 + n}T23:59:59", "reason": f"organiser {n}"}
        return client.put(f"{D1}/extension", body)

    with ThreadPoolExecutor(deciding) as pool:
        answers = list(pool.map(extend, range(deciding)))

    assert [a.status for a in answers] == [201] * deciding
    entries = trail(client)["entries"]
    assert [e["action"] for e in entries] == ["extension_granted"] * deciding
    standing = store.delegate_record("eshg2025", "D0001", consistent=True).extension
    assert standing.decision.reason == entries[0]["reason"]
    n = int(standing.decision.reason.removeprefix("organiser "))
    assert standing.until == f"2026-01-{10 + n}T23:59:59"


def test_a_decision_read_on_an_earlier_clock_still_comes_after_the_one_it_replaces(
    delegate: str, client: Functions, clock: list[datetime]
) -> None:
    """Two containers whose clocks disagree: the second decision, made on top of the first
    but stamped by a clock 10 s behind, is still the trail's newest entry."""
    ahead, behind = (
        datetime(2025, 6, 15, 12, 0, 10, tzinfo=UTC),
        datetime(2025, 6, 15, 12, 0, 0, tzinfo=UTC),
    )
    clock[0] = ahead
    assert (
        client.put(f"{D1}/extension", {"until": "2026-01-15T23:59:59", "reason": "first"}).status
        == 201
    )
    clock[0] = behind
    assert (
        client.put(f"{D1}/extension", {"until": "2026-01-20T23:59:59", "reason": "second"}).status
        == 201
    )
    entries = trail(client)["entries"]
    assert [e["reason"] for e in entries] == ["second", "first"]
    assert entries[0]["at"] == "2025-06-15T12:00:10Z"  # not before the first
