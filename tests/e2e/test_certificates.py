"""Certificates over real HTTP: issue, download through the presigned link with no headers,
verify in a real browser, issue concurrently, revoke."""

from __future__ import annotations

import io
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from pypdf import PdfReader

from tests.e2e.browser import rendered_text
from tests.e2e.served import Http
from tests.names import NAMES_BY_SCRIPT
from tests.unit.test_certificate_scripts import expected_letters, name_letters

pytestmark = pytest.mark.e2e

NAME = "Ólafur Þór Gunnarsson"


def ready_delegate(
    http: Http, event: str, delegate: str, name: str, *, registered: bool = False
) -> None:
    base = f"/events/{event}/delegates/{delegate}"
    if not registered:
        assert http.put(base, {"name": name, "attendance": "in_person"}).status == 201
    scan = {
        "scan_id": f"scan-{delegate}",
        "delegate_id": delegate,
        "station_id": "cme-desk-2",
        "scanned_at": "2025-05-24T08:15:00+02:00",
    }
    assert http.post(f"/events/{event}/scans", scan).status == 201
    for session, at in [("S01", "2025-05-24T12:05:00+02:00"), ("S03", "2025-05-24T14:40:00+02:00")]:
        reply = http.put(f"{base}/evaluations/{session}", {"submitted_at": at, "answers": {"q": 4}})
        assert reply.status == 201


def test_issue_download_and_verify_in_a_browser(http: Http, event: str) -> None:
    ready_delegate(http, event, "B0001", NAME)
    issued = http.post(f"/events/{event}/delegates/B0001/certificate")
    assert issued.status == 201
    certificate = issued.body
    assert certificate["status"] == "valid"
    assert certificate["total"] == 3.0

    # The presigned link works with no headers at all, and the PDF states the facts
    with urllib.request.urlopen(certificate["url"], timeout=30) as response:
        pdf = response.read()
    assert pdf.startswith(b"%PDF")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert NAME in text
    assert certificate["serial"] in text
    assert "3.0" in text

    # Asking again with nothing changed: the same certificate, a fresh link
    again = http.post(f"/events/{event}/delegates/B0001/certificate")
    assert again.status == 200
    assert again.body["serial"] == certificate["serial"]

    # A board opens the verify link (as printed on the PDF) in a browser
    verify_url = f"{http.base_url}/certificates/{certificate['serial']}"
    page = rendered_text(verify_url)
    assert NAME in page
    assert "3.0" in page
    assert "valid" in page.lower()


def test_concurrent_requests_end_with_one_serial(http: Http, event: str) -> None:
    ready_delegate(http, event, "B0002", "李小龍")
    with ThreadPoolExecutor(8) as pool:
        replies = list(
            pool.map(lambda _: http.post(f"/events/{event}/delegates/B0002/certificate"), range(8))
        )
    assert {r.status for r in replies} <= {200, 201}
    assert len({r.body["serial"] for r in replies}) == 1
    assert [r.status for r in replies].count(201) == 1


def test_revoked_certificate_verifies_as_revoked(http: Http, event: str) -> None:
    ready_delegate(http, event, "B0003", "محمد عبد الله")
    serial = http.post(f"/events/{event}/delegates/B0003/certificate").body["serial"]
    revoked = http.post(f"/certificates/{serial.lower()}/revoke", {"reason": "issued in error"})
    assert revoked.status == 200
    assert revoked.body["status"] == "revoked"
    public = http.get(f"/certificates/{serial.replace('-', '')}", key=None)
    assert public.body["status"] == "revoked"
    assert "revoked" in rendered_text(f"{http.base_url}/certificates/{serial}").lower()


@pytest.mark.parametrize(
    ("number", "script"), list(enumerate(NAMES_BY_SCRIPT, start=1)), ids=NAMES_BY_SCRIPT
)
def test_a_name_in_every_script_is_issued_and_downloaded(
    http: Http, event: str, number: int, script: str
) -> None:
    # Given a delegate registered with a name in this script (no warning), ready
    name = NAMES_BY_SCRIPT[script]
    delegate = f"W{number:04d}"
    registered = http.put(
        f"/events/{event}/delegates/{delegate}", {"name": name, "attendance": "online"}
    )
    assert registered.status == 201
    assert registered.body["warnings"] == []
    ready_delegate(http, event, delegate, name, registered=True)

    # When the certificate is issued and downloaded through its link
    issued = http.post(f"/events/{event}/delegates/{delegate}/certificate")
    assert issued.status == 201
    with urllib.request.urlopen(issued.body["url"], timeout=30) as response:
        pdf = response.read()

    # Then every letter of the name is in the PDF, and verification names the holder
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert not expected_letters(name) - name_letters(text)
    verified = http.get(f"/certificates/{issued.body['serial']}", key=None)
    assert verified.body["delegate_name"] == name


def test_the_verify_page_of_a_right_to_left_name_in_a_browser(http: Http, event: str) -> None:
    name = NAMES_BY_SCRIPT["Hebrew"]
    ready_delegate(http, event, "B0004", name)
    serial = http.post(f"/events/{event}/delegates/B0004/certificate").body["serial"]
    url = f"{http.base_url}/certificates/{serial}"

    served = http.get(url, headers={"accept": "text/html"}, key=None)
    page = rendered_text(url)

    assert "default-src 'none'" in served.headers["Content-Security-Policy"]
    assert served.headers["X-Frame-Options"] == "DENY"
    assert f'<dd dir="rtl">{name}</dd>' in page
