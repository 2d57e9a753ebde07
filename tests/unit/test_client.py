"""The API client against a stub HTTP server in a thread: exact decimals both ways, problem
documents as `ApiError`, retries that honour Retry-After, pages followed to the end."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from cme_tools.client import (
    ApiError,
    ApiUnreachable,
    CmeClient,
    InvalidApiUrl,
    UnexpectedAnswer,
    check_base_url,
    resource,
)

PROBLEM = "application/problem+json"


@dataclass
class Answer:
    status: int = 200
    body: bytes | str | dict[str, Any] = b""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class Stub(ThreadingHTTPServer):
    """Answers each (method, path) from a script: one answer after the other, the last
    one again once the script runs out. Remembers every request."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), StubHandler)
        self.script: dict[tuple[str, str], list[Answer]] = {}
        self.received: list[Received] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def answer(self, method: str, path: str, *answers: Answer) -> None:
        self.script[(method, path)] = list(answers)

    def next_answer(self, method: str, path: str) -> Answer:
        answers = self.script.get((method, path))
        if not answers:
            return Answer(404, {"status": 404, "code": "not_found", "detail": path})
        return answers.pop(0) if len(answers) > 1 else answers[0]


class StubHandler(BaseHTTPRequestHandler):
    server: Stub

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        self.server.received.append(Received(self.command, self.path, headers, body))
        answer = self.server.next_answer(self.command, self.path)
        payload = answer.body
        content_type = "application/json"
        if isinstance(payload, dict):
            content_type = PROBLEM if answer.status >= 400 else content_type
            payload = json.dumps(payload)
        data = payload.encode() if isinstance(payload, str) else payload
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.headers.pop("Content-Type", content_type))
        for key, value in answer.headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_POST = do_PUT = do_DELETE = do_GET


@pytest.fixture
def stub() -> Iterator[Stub]:
    server = Stub()
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def client(stub: Stub, sleeps: list[float]) -> CmeClient:
    return CmeClient(f"{stub.url}/v1/", "secret-key", timeout=5, attempts=4, sleep=sleeps.append)


def test_amounts_travel_as_exact_decimals_both_ways(stub: Stub, client: CmeClient) -> None:
    # Given an API answering with amounts that binary floating point cannot hold
    stub.answer("PUT", "/v1/things/t1", Answer(201, '{"total": 25.5, "tenth": 0.1, "n": 3}'))

    # When a body with decimals goes out
    reply = client.put("things/t1", {"credits": Decimal("7.5"), "ratio": Decimal("0.1")})

    # Then the wire carries the exact digits, and the answer comes back as Decimal
    assert stub.received[0].body == b'{"credits":7.5,"ratio":0.1}'
    assert stub.received[0].headers["content-type"].startswith("application/json")
    assert reply.status == 201
    assert reply.json() == {"total": Decimal("25.5"), "tenth": Decimal("0.1"), "n": 3}
    assert isinstance(reply.json()["total"], Decimal)


def test_the_key_goes_to_the_api_only(stub: Stub, client: CmeClient) -> None:
    stub.answer("GET", "/v1/events/e1", Answer(200, "{}"))
    stub.answer("GET", "/bucket/cert.pdf?X-Amz-Signature=abc", Answer(200, b"%PDF-1.7"))

    client.get("events/e1")
    pdf = client.fetch_public(f"{stub.url}/bucket/cert.pdf?X-Amz-Signature=abc")

    assert stub.received[0].headers["x-api-key"] == "secret-key"
    assert "x-api-key" not in stub.received[1].headers
    assert pdf.body == b"%PDF-1.7"


def test_a_problem_document_becomes_an_api_error_with_status_and_code(
    stub: Stub, client: CmeClient
) -> None:
    problem = {
        "status": 409,
        "title": "Conflict",
        "detail": "every session in the cart must be evaluated first",
        "code": "evaluations_incomplete",
        "missing": ["S03", "C12"],
    }
    stub.answer("POST", "/v1/events/e1/delegates/d1/certificate", Answer(409, problem))

    with pytest.raises(ApiError) as raised:
        client.post(resource("events", "e1", "delegates", "d1", "certificate"))

    assert raised.value.status == 409
    assert raised.value.code == "evaluations_incomplete"
    assert raised.value.problem["missing"] == ["S03", "C12"]
    assert len(stub.received) == 1  # a refusal is not retried


def test_an_error_that_is_not_a_problem_document_keeps_its_status(
    stub: Stub, client: CmeClient
) -> None:
    page = "<html><body>Bad Gateway</body></html>"
    stub.answer("GET", "/v1/events/e1", Answer(502, page, {"Content-Type": "text/html"}))

    with pytest.raises(ApiError) as raised:
        client.get("events/e1")

    assert (raised.value.status, raised.value.code) == (502, "http_502")


def test_throttling_is_retried_after_the_time_the_api_asks_for(
    stub: Stub, client: CmeClient, sleeps: list[float]
) -> None:
    throttled = {"status": 429, "code": "throttled", "detail": "slow down"}
    stub.answer(
        "POST",
        "/v1/events/e1/scans",
        Answer(429, throttled, {"Retry-After": "7"}),
        Answer(503, {**throttled, "status": 503}, {"Retry-After": "2"}),
        Answer(201, '{"scan_id": "s1", "duplicate": false}'),
    )

    reply = client.post("events/e1/scans", {"scan_id": "s1"})

    assert reply.status == 201
    assert sleeps == [7.0, 2.0]
    assert [r.body for r in stub.received] == [b'{"scan_id":"s1"}'] * 3


def test_retry_after_as_an_http_date(stub: Stub, client: CmeClient, sleeps: list[float]) -> None:
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=20), usegmt=True)
    stub.answer(
        "GET",
        "/v1/events/e1",
        Answer(503, {"status": 503, "code": "throttled", "detail": ""}, {"Retry-After": later}),
        Answer(200, "{}"),
    )

    client.get("events/e1")

    assert len(sleeps) == 1
    assert 15 <= sleeps[0] <= 20


def test_throttling_that_lasts_gives_up_after_the_attempts(
    stub: Stub, client: CmeClient, sleeps: list[float]
) -> None:
    stub.answer(
        "GET",
        "/v1/events/e1",
        Answer(503, {"status": 503, "code": "throttled", "detail": ""}, {"Retry-After": "100"}),
    )

    with pytest.raises(ApiError) as raised:
        client.get("events/e1")

    assert (raised.value.status, raised.value.code) == (503, "throttled")
    assert len(stub.received) == 4
    assert sleeps == [30.0, 30.0, 30.0]  # never longer than max_wait


def test_without_retry_after_the_wait_doubles(
    stub: Stub, client: CmeClient, sleeps: list[float]
) -> None:
    stub.answer("GET", "/v1/events/e1", Answer(429, {"status": 429, "code": "throttled"}))

    with pytest.raises(ApiError):
        client.get("events/e1")

    assert sleeps == [0.5, 1.0, 2.0]


def test_pages_are_followed_through_next_cursor(stub: Stub, client: CmeClient) -> None:
    stub.answer(
        "GET", "/v1/events/e1/report?limit=2", Answer(200, '{"rows": [1, 2], "next_cursor": "Yw"}')
    )
    stub.answer(
        "GET",
        "/v1/events/e1/report?limit=2&cursor=Yw",
        Answer(200, '{"rows": [3], "next_cursor": null}'),
    )

    pages = list(client.pages("events/e1/report", query={"limit": 2}))

    assert [row for page in pages for row in page["rows"]] == [1, 2, 3]


def test_pages_are_followed_through_link_headers(stub: Stub, client: CmeClient) -> None:
    first = '</v1/events/e1/report?limit=1&cursor=Yg>; rel="next"'
    stub.answer("GET", "/v1/events/e1/report?limit=1", Answer(200, "a\r\n1\r\n", {"Link": first}))
    stub.answer("GET", "/v1/events/e1/report?limit=1&cursor=Yg", Answer(200, "a\r\n2\r\n"))

    pages = [reply.text() for reply in client.linked_pages("events/e1/report", query={"limit": 1})]

    assert pages == ["a\r\n1\r\n", "a\r\n2\r\n"]
    assert all(r.headers["accept"] == "text/csv" for r in stub.received)


def test_a_next_link_to_another_host_never_gets_the_key(stub: Stub, client: CmeClient) -> None:
    elsewhere = '<http://example.invalid/steal?cursor=x>; rel="next"'
    stub.answer("GET", "/v1/events/e1/report", Answer(200, "a\r\n", {"Link": elsewhere}))

    with pytest.raises(UnexpectedAnswer):
        list(client.linked_pages("events/e1/report"))

    assert len(stub.received) == 1


def test_redirects_are_not_followed(stub: Stub, client: CmeClient) -> None:
    stub.answer("GET", "/v1/events/e1", Answer(302, "", {"Location": "http://example.invalid/"}))

    with pytest.raises(ApiError) as raised:
        client.get("events/e1")

    assert raised.value.status == 302


def test_a_body_that_is_not_json_is_an_unexpected_answer(stub: Stub, client: CmeClient) -> None:
    stub.answer("GET", "/v1/events/e1", Answer(200, "<html>login</html>"))

    with pytest.raises(UnexpectedAnswer):
        client.get("events/e1").json()


def test_no_server_at_all_is_unreachable() -> None:
    with ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler) as probe:
        port = probe.server_address[1]
    client = CmeClient(f"http://127.0.0.1:{port}/v1", "k", timeout=2)

    with pytest.raises(ApiUnreachable):
        client.get("events/e1")


@pytest.mark.parametrize(
    "url",
    [
        "",
        "127.0.0.1:3000/v1",
        "ftp://host/v1",
        "file:///etc/passwd",
        "http:///v1",
        "http://h/v1?x=1",
    ],
)
def test_a_base_url_must_be_http(url: str) -> None:
    with pytest.raises(InvalidApiUrl):
        check_base_url(url)


def test_a_download_link_must_be_http(client: CmeClient) -> None:
    with pytest.raises(UnexpectedAnswer):
        client.fetch_public("file:///etc/passwd")


def test_ids_are_encoded_whole_in_paths() -> None:
    assert resource("events", "e1", "delegates", "a/../b c") == "events/e1/delegates/a%2F..%2Fb%20c"
