"""Certificates through the certificate function with moto: gating, same serial when
nothing changed, supersede on change, PDF before record, presigned links."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from botocore.exceptions import ClientError

from cme.store.files import CertificateFiles
from cme.timestamps import parse_aware

pytestmark = pytest.mark.usefixtures("parsed_once")

BASE = "/events/eshg2025/delegates/D0001"


def scan(client: Any, scan_id: str, at: str) -> None:
    body = {"scan_id": scan_id, "delegate_id": "D0001", "station_id": "desk-1", "scanned_at": at}
    assert client.post("/events/eshg2025/scans", body).status == 201


def evaluate(client: Any, session: str, at: str) -> None:
    reply = client.put(f"{BASE}/evaluations/{session}", {"submitted_at": at, "answers": {"q": 1}})
    assert reply.status == 201, reply.body


@pytest.fixture
def ready(delegate: str, eshg: Any) -> Any:
    """D0001 scanned on 24 May and evaluated two sessions: 3.0 credits."""
    scan(eshg, "c-1", "2025-05-24T08:00:00+02:00")
    evaluate(eshg, "S01", "2025-05-24T12:05:00+02:00")
    evaluate(eshg, "S03", "2025-05-24T14:35:00+02:00")
    return eshg


def test_empty_cart_is_no_credits(delegate: str, eshg: Any, expect_problem: Any) -> None:
    expect_problem(eshg.post(f"{BASE}/certificate"), 409, "no_credits")


def test_unevaluated_cart_lists_what_is_missing(ready: Any, expect_problem: Any) -> None:
    assert ready.put(f"{BASE}/cart/S04").status == 201
    assert ready.put(f"{BASE}/cart/ES01").status == 201
    problem = expect_problem(ready.post(f"{BASE}/certificate"), 409, "evaluations_incomplete")
    assert problem["missing"] == ["ES01", "S04"]


def test_zero_total_is_no_credits(delegate: str, eshg: Any, expect_problem: Any) -> None:
    evaluate(eshg, "S01", "2025-05-24T12:05:00+02:00")  # evaluated, but no evidence
    expect_problem(eshg.post(f"{BASE}/certificate"), 409, "no_credits")


def test_unknown_delegate_and_event(eshg: Any, expect_problem: Any) -> None:
    expect_problem(
        eshg.post("/events/eshg2025/delegates/NOBODY/certificate"), 404, "unknown_delegate"
    )
    expect_problem(eshg.post("/events/nope/delegates/D0001/certificate"), 404, "unknown_event")
    expect_problem(
        eshg.get("/events/eshg2025/delegates/NOBODY/certificate"), 404, "unknown_delegate"
    )


def test_get_before_any_certificate_is_no_certificate(ready: Any, expect_problem: Any) -> None:
    expect_problem(ready.get(f"{BASE}/certificate"), 404, "no_certificate")


def test_issue_then_same_serial_while_nothing_changes(ready: Any, aws: dict[str, Any]) -> None:
    first = ready.post(f"{BASE}/certificate")
    assert first.status == 201
    assert first.body["total"] == 3.0
    assert first.body["days"] == [
        {"date": "2025-05-24", "credits": 3.0},
        {"date": "2025-05-25", "credits": 0.0},
        {"date": "2025-05-26", "credits": 0.0},
        {"date": "2025-05-27", "credits": 0.0},
    ]
    second = ready.post(f"{BASE}/certificate")
    latest = ready.get(f"{BASE}/certificate")
    assert (second.status, latest.status) == (200, 200)
    assert first.body["serial"] == second.body["serial"] == latest.body["serial"]
    assert second.body["days"] == first.body["days"]
    objects = aws["s3"].list_objects_v2(Bucket=aws["CME_BUCKET_NAME"])
    assert objects["KeyCount"] == 1


def test_a_change_supersedes_and_never_deletes(ready: Any, aws: dict[str, Any]) -> None:
    first = ready.post(f"{BASE}/certificate").body
    evaluate(ready, "PL01", "2025-05-24T16:35:00+02:00")
    second = ready.post(f"{BASE}/certificate")
    assert second.status == 201
    assert second.body["serial"] != first["serial"]
    assert second.body["total"] == 4.5
    old = ready.get(f"/certificates/{first['serial']}")
    new = ready.get(f"/certificates/{second.body['serial']}")
    assert (old.body["status"], old.body["total"]) == ("superseded", 3.0)
    assert (new.body["status"], new.body["total"]) == ("valid", 4.5)
    keys = [o["Key"] for o in aws["s3"].list_objects_v2(Bucket=aws["CME_BUCKET_NAME"])["Contents"]]
    assert len(keys) == 2
    report = ready.get("/events/eshg2025/report").body["delegates"][0]
    assert (report["certificate_serial"], report["certificate_status"]) == (
        second.body["serial"],
        "valid",
    )


def test_a_corrected_name_issues_a_new_certificate(ready: Any) -> None:
    first = ready.post(f"{BASE}/certificate").body["serial"]
    assert ready.put(BASE, {"name": "Łukasz Żółć-Nowak", "attendance": "in_person"}).status == 200
    renamed = ready.post(f"{BASE}/certificate")
    assert renamed.status == 201
    verified = ready.get(f"/certificates/{renamed.body['serial']}").body
    assert verified["delegate_name"] == "Łukasz Żółć-Nowak"
    assert ready.get(f"/certificates/{first}").body["delegate_name"] == "Łukasz Żółć"


def test_every_record_has_its_pdf(ready: Any, aws: dict[str, Any], stored_items: Any) -> None:
    ready.post(f"{BASE}/certificate")
    evaluate(ready, "PL01", "2025-05-24T16:35:00+02:00")
    ready.post(f"{BASE}/certificate")
    records = [i for i in stored_items() if i["kind"]["S"] == "certificate"]
    assert len(records) == 2
    for record in records:
        body = aws["s3"].get_object(Bucket=aws["CME_BUCKET_NAME"], Key=record["pdf_key"]["S"])[
            "Body"
        ]
        assert body.read().startswith(b"%PDF")


def test_s3_failure_leaves_no_record_and_a_retry_works(
    ready: Any, stored_items: Any, monkeypatch: pytest.MonkeyPatch, expect_problem: Any
) -> None:
    def failing_put(*args: Any, **kwargs: Any) -> None:
        raise ClientError({"Error": {"Code": "SlowDown", "Message": "slow down"}}, "PutObject")

    files = CertificateFiles.default()
    monkeypatch.setattr(files.client(), "put_object", failing_put)
    problem = expect_problem(ready.post(f"{BASE}/certificate"), 503, "throttled")
    assert problem  # a problem document; Retry-After is asserted below
    assert ready.post(f"{BASE}/certificate").headers["retry-after"].isdigit()
    assert [i for i in stored_items() if "CERT" in i["sk"]["S"]] == []
    monkeypatch.undo()
    retried = ready.post(f"{BASE}/certificate")
    assert retried.status == 201


def test_download_link_expires_as_configured(ready: Any, clock: list[Any]) -> None:
    issued = ready.post(f"{BASE}/certificate").body
    query = parse_qs(urlsplit(issued["url"]).query)
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert query["X-Amz-Expires"] == ["900"]
    assert "eu-west-1" in query["X-Amz-Credential"][0]
    assert parse_aware(issued["url_expires_at"]) == clock[0] + timedelta(seconds=900)


def test_download_link_lifetime_is_a_setting(
    ready: Any, monkeypatch: pytest.MonkeyPatch, clock: list[Any]
) -> None:
    from cme.settings import reset_settings

    monkeypatch.setenv("CME_URL_TTL_SECONDS", "120")
    reset_settings()
    issued = ready.post(f"{BASE}/certificate").body
    assert parse_qs(urlsplit(issued["url"]).query)["X-Amz-Expires"] == ["120"]
    assert parse_aware(issued["url_expires_at"]) == clock[0] + timedelta(seconds=120)


def test_verification_ignores_case_and_hyphens(ready: Any, expect_problem: Any) -> None:
    serial = ready.post(f"{BASE}/certificate").body["serial"]
    for form in (serial, serial.lower(), serial.replace("-", "")):
        answer = ready.get(f"/certificates/{form}")
        assert answer.status == 200
        assert answer.body["serial"] == serial
    assert set(answer.body) == {
        "serial",
        "event_id",
        "event_name",
        "delegate_name",
        "total",
        "unit",
        "issued_at",
        "status",
        "kind",  # credits, or attendance (issue 12)
    }
    assert answer.body["kind"] == "credits"
    expect_problem(ready.get("/certificates/0000-0000-0000-0000-0000"), 404, "unknown_certificate")
    expect_problem(ready.get("/certificates/not-a-serial"), 404, "unknown_certificate")


def test_verification_page_for_browsers(ready: Any) -> None:
    serial = ready.post(f"{BASE}/certificate").body["serial"]
    page = ready.get(f"/certificates/{serial}", headers={"accept": "text/html,*/*"})
    assert page.status == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "Łukasz Żółć" in page.text
    assert "lukasz@example.org" not in page.text
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["x-content-type-options"] == "nosniff"
    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy
    assert "frame-ancestors 'none'" in policy


def test_revoke_is_for_good(ready: Any, expect_problem: Any) -> None:
    serial = ready.post(f"{BASE}/certificate").body["serial"]
    revoked = ready.post(f"/certificates/{serial}/revoke", {"reason": "issued in error"})
    assert (revoked.status, revoked.body["status"]) == (200, "revoked")
    again = ready.post(f"/certificates/{serial}/revoke", {"reason": "again"})
    assert (again.status, again.body["status"]) == (200, "revoked")
    # A revocation holds (CONTRACT.md, "Organiser decisions"): no fresh valid certificate
    expect_problem(ready.post(f"{BASE}/certificate"), 409, "revoked")
    expect_problem(
        ready.post("/certificates/0000-0000-0000-0000-0000/revoke", {"reason": "x"}),
        404,
        "unknown_certificate",
    )
    expect_problem(ready.post(f"/certificates/{serial}/revoke", {}), 422, "invalid_request")


def test_links_use_the_stage_url_when_no_public_base_url_is_set(
    ready: Any, monkeypatch: pytest.MonkeyPatch, stored_items: Any
) -> None:
    from cme.jsonio import loads
    from cme.settings import reset_settings

    monkeypatch.setenv("CME_PUBLIC_BASE_URL", "")
    reset_settings()
    serial = ready.post(f"{BASE}/certificate").body["serial"]
    record = next(i for i in stored_items() if i["kind"]["S"] == "certificate")
    facts = loads(record["facts"]["S"])
    assert facts["verify_url"] == f"https://localhost/v1/certificates/{serial}"


# --------------------------------------------------------------------------- unprintable names


UNPRINTABLE = [("Anna \ue000 Kowalska", "U+E000"), ("Anna \u0378 Kowalska", "U+0378")]


@pytest.mark.parametrize("case", UNPRINTABLE, ids=["private use", "unassigned"])
def test_a_name_no_font_prints_is_refused_and_nothing_is_stored(
    ready: Any, aws: dict[str, Any], stored_items: Any, expect_problem: Any, case: tuple[str, str]
) -> None:
    # Given a ready delegate whose corrected name holds a character no bundled font has
    name, code_point = case
    renamed = ready.put(BASE, {"name": name, "attendance": "in_person"})
    assert renamed.status == 200
    assert [(w["path"], w["code"]) for w in renamed.body["warnings"]] == [
        ("name", "unprintable_name")
    ]

    # When the certificate is asked for
    problem = expect_problem(ready.post(f"{BASE}/certificate"), 422, "unprintable_name")

    # Then the problem names the text and the character, and nothing is stored
    assert [(e["path"], e["code"]) for e in problem["errors"]] == [("name", "unprintable_name")]
    assert code_point in problem["errors"][0]["detail"]
    assert code_point in problem["detail"]
    assert aws["s3"].list_objects_v2(Bucket=aws["CME_BUCKET_NAME"])["KeyCount"] == 0
    assert [i for i in stored_items() if "CERT" in i["sk"]["S"]] == []
    expect_problem(ready.get(f"{BASE}/certificate"), 404, "no_certificate")

    # Once the organiser corrects the name, the certificate is issued
    assert ready.put(BASE, {"name": "Anna Kowalska", "attendance": "in_person"}).status == 200
    assert ready.post(f"{BASE}/certificate").status == 201


def test_an_unprintable_name_is_logged_by_code_point(
    ready: Any, caplog: pytest.LogCaptureFixture
) -> None:
    assert ready.put(BASE, {"name": "Anna \ue000", "attendance": "in_person"}).status == 200
    caplog.clear()

    assert ready.post(f"{BASE}/certificate").status == 422

    refusal = next(r for r in caplog.records if hasattr(r, "problems"))
    assert (refusal.levelname, getattr(refusal, "code", None)) == ("WARNING", "unprintable_name")
    assert "U+E000" in refusal.problems[0]["detail"]
    assert not any("lukasz@example.org" in str(r.__dict__) for r in caplog.records)


def test_event_texts_no_font_prints_refuse_every_certificate(
    delegate: str, eshg: Any, programme_document: dict[str, Any], expect_problem: Any
) -> None:
    # Given a programme whose statement no bundled font prints: stored, with a warning
    programme_document["event"]["statements"] = ["Claim only \U0001f642 hours."]
    replaced = eshg.put("/events/eshg2025", programme_document)
    assert replaced.status == 200
    assert [(w["path"], w["code"]) for w in replaced.body["warnings"]] == [
        ("event.statements[0]", "unprintable_name")
    ]
    scan(eshg, "c-1", "2025-05-24T08:00:00+02:00")
    evaluate(eshg, "S01", "2025-05-24T12:05:00+02:00")

    problem = expect_problem(eshg.post(f"{BASE}/certificate"), 422, "unprintable_name")

    assert [e["path"] for e in problem["errors"]] == ["event.statements[0]"]
    assert "U+1F642" in problem["errors"][0]["detail"]
