"""Hostile input over real HTTP: huge and deeply nested bodies, bytes that are not UTF-8,
names and ids that are too long or hold control characters, timestamps at the edges of
the calendar, impossible `seconds`, path ids with `/`, `..`, `%00`, and requests that bend
HTTP itself.

Every answer is a problem+json 4xx with the contract's code and no stack trace, the
server stays up, and nothing is stored: the delegate under attack has evaluated sessions
on every day but no evidence, so any stored scan or view would show in the statement,
and a refused scan or view id stays free (a second refusal with the same id is judged
by the rules, not answered 409 id_reused).
"""

from __future__ import annotations

import json
import socket
import urllib.parse
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.fuzz_support import (
    LoggedServer,
    assert_problem,
    header,
    problem_faults,
    start_logged_server,
    stop_logged_server,
)
from tests.e2e.served import API_KEY, Http, Reply, eshg_document

pytestmark = pytest.mark.e2e

EVENT = "eshg-hostile"
TARGET = "H-1"  # the delegate under attack: evaluations on every day, no evidence
ONE_MB = 1024 * 1024
EVALUATED = {
    "S01": "2025-05-24T12:05:00+02:00",
    "S05": "2025-05-25T10:10:00+02:00",
    "S10": "2025-05-26T10:10:00+02:00",
    "S14": "2025-05-27T10:10:00+02:00",
}


@pytest.fixture(scope="module")
def hostile_server() -> Iterator[LoggedServer]:
    """A server of this module's own, whose logs the last test reads."""
    server = start_logged_server(workers=2)
    try:
        yield server
    finally:
        stop_logged_server(server)


@pytest.fixture(scope="module")
def http(hostile_server: LoggedServer) -> Http:
    http = hostile_server.http
    assert http.put(f"/events/{EVENT}", eshg_document(EVENT)).status == 201
    assert (
        http.put(delegate(), {"name": "Target Delegate", "attendance": "in_person"}).status == 201
    )
    for session, at in EVALUATED.items():
        evaluation = {"submitted_at": at, "answers": {"q": 1}}
        assert http.put(delegate(f"/evaluations/{session}"), evaluation).status == 201
    return http


def delegate(suffix: str = "", delegate_id: str = TARGET) -> str:
    return f"/events/{EVENT}/delegates/{delegate_id}{suffix}"


def snapshot(http: Http) -> tuple[Any, ...]:
    """Everything stored facts show through: the statement, the cart and the report."""
    statement = http.get(delegate("/credits"))
    cart = http.get(delegate("/cart"))
    report = http.get(f"/events/{EVENT}/report")
    assert (statement.status, cart.status, report.status) == (200, 200, 200)
    return statement.body, cart.body, report.body


VERIFIED: list[tuple[Any, ...]] = []
"""The snapshot the last test checked nothing was stored against, read after that test;
kept only while no other test has run since. The next such test starts from it: asked
again, the server would answer the same, and the snapshot is three requests."""


@pytest.fixture(autouse=True)
def _verified_only_until_another_test(request: pytest.FixtureRequest) -> None:
    if "nothing_stored" not in request.fixturenames:
        VERIFIED.clear()  # this test may store facts (another delegate, a fresh target)


@pytest.fixture
def nothing_stored(http: Http, hostile_server: LoggedServer) -> Iterator[None]:
    before = VERIFIED.pop() if VERIFIED else snapshot(http)
    assert before[0]["total"] == 0.0
    assert {i["status"] for i in before[0]["cart"]} == {"no_evidence"}
    yield
    assert hostile_server.alive(), "cme serve died"
    assert http.get("/openapi.json", key=None).status == 200
    after = snapshot(http)
    assert after == before
    VERIFIED.append(after)


def scan(scan_id: str = "h-scan", **changes: Any) -> dict[str, Any]:
    return {
        "scan_id": scan_id,
        "delegate_id": TARGET,
        "station_id": "cme-desk-1",
        "scanned_at": "2025-05-24T08:01:00+02:00",
        **changes,
    }


def live_view(view_id: str = "h-view", **changes: Any) -> dict[str, Any]:
    """A live view of S01 that would be stored (and credit S01) but for `changes`."""
    return {
        "view_id": view_id,
        "session_id": "S01",
        "kind": "live",
        "watched_at": "2025-05-24T10:45:00+02:00",
        **changes,
    }


def refused(reply: Reply, statuses: set[int], code: str = "invalid_request") -> None:
    assert reply.status in statuses, (reply.status, reply.data[:300])
    assert_problem(reply, reply.status, code)


# --------------------------------------------------------------------------- size


BODY_ROUTES = [
    ("POST", f"/events/{EVENT}/scans"),
    ("POST", f"/events/{EVENT}/scans/batch"),
    ("PUT", f"/events/{EVENT}"),
    ("PUT", delegate()),
    ("POST", delegate("/views")),
    ("PUT", delegate("/evaluations/S02")),
    ("POST", "/certificates/0000-0000-0000-0000-0000/revoke"),
]


@pytest.mark.parametrize(("method", "path"), BODY_ROUTES)
def test_body_over_one_megabyte_is_413(
    http: Http, nothing_stored: None, method: str, path: str
) -> None:
    # A JSON object whose only fault is its size
    body = b'{"pad": "' + b"x" * ONE_MB + b'"}'
    assert_problem(http.request(method, path, raw=body), 413, "invalid_request")


def test_ten_megabyte_body_is_413(http: Http, nothing_stored: None) -> None:
    body = json.dumps(scan()).encode()
    reply = http.post(f"/events/{EVENT}/scans", raw=body + b" " * (10_000_000 - len(body)))
    assert_problem(reply, 413, "invalid_request")


def test_body_of_exactly_one_megabyte_is_read(http: Http) -> None:
    body = json.dumps(scan("h-1mb", delegate_id="H-NOBODY")).encode()
    reply = http.post(f"/events/{EVENT}/scans", raw=body + b" " * (ONE_MB - len(body)))
    # Read and judged: the delegate is not registered
    assert_problem(reply, 404, "unknown_delegate")


def raw_exchange(base_url: str, request: bytes, timeout: float = 10) -> bytes:
    """Send raw bytes and read until the server closes the connection (or goes quiet)."""
    url = urllib.parse.urlsplit(base_url)
    received = b""
    with socket.create_connection((url.hostname, url.port), timeout=timeout) as sock:
        sock.sendall(request)
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except TimeoutError:
            pass
    return received


def responses_in(stream: bytes) -> list[tuple[int, dict[str, str], bytes]]:
    """The HTTP responses in a byte stream (status, headers, body); bytes that follow
    them and are no response count as one more, with status 0."""
    found = []
    rest = stream
    while rest.startswith(b"HTTP/1."):
        head, _, rest = rest.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
        length = int(header(headers, "content-length") or 0)
        found.append((status, headers, rest[:length]))
        rest = rest[length:]
    if rest:
        found.append((0, {}, rest))
    return found


def test_body_over_the_gateway_limit_is_refused_before_it_is_sent(
    http: Http, nothing_stored: None
) -> None:
    # Headers announcing 10 MiB + 1 and no body: the answer comes without reading one
    request = (
        f"POST /v1/events/{EVENT}/scans HTTP/1.1\r\nHost: cme\r\nx-api-key: {API_KEY}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {10 * ONE_MB + 1}\r\n\r\n"
    ).encode()
    [(status, headers, body)] = responses_in(raw_exchange(http.base_url, request))
    assert status == 413
    assert problem_faults(status, headers, body) == []
    assert json.loads(body)["code"] == "invalid_request"


# --------------------------------------------------------------------------- JSON


NESTED = [
    pytest.param(b"[" * 100_000 + b"]" * 100_000, id="100k-nested-arrays"),
    pytest.param(b'{"a":' * 100_000 + b"1" + b"}" * 100_000, id="100k-nested-objects"),
    pytest.param(
        b'{"submitted_at": "2025-05-24T14:40:00+02:00", "answers": {"q": '
        + b"[" * 100_000
        + b"]" * 100_000
        + b"}}",
        id="100k-nested-inside-answers",
    ),
    pytest.param(
        b'{"submitted_at": "2025-05-24T14:40:00+02:00", "answers": {"q": '
        + b"[" * 500
        + b"]" * 500
        + b"}}",
        id="500-nested-inside-answers",
    ),
]


@pytest.mark.parametrize("body", NESTED)
def test_deeply_nested_json_is_refused(http: Http, nothing_stored: None, body: bytes) -> None:
    reply = http.put(delegate("/evaluations/S03"), raw=body)
    refused(reply, {400, 422})


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"   \n", id="whitespace"),
        pytest.param(b"[]", id="array"),
        pytest.param(b'"scan"', id="string"),
        pytest.param(b"42", id="number"),
        pytest.param(b"null", id="null"),
        pytest.param(b"{", id="truncated"),
        pytest.param(b"{'scan_id': 'x'}", id="python-not-json"),
        pytest.param(b'{"scan_id": "x",}', id="trailing-comma"),
    ],
)
def test_body_that_is_not_a_json_object_is_400(
    http: Http, nothing_stored: None, body: bytes
) -> None:
    assert_problem(http.post(f"/events/{EVENT}/scans", raw=body), 400, "invalid_request")


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param(b"\xff\xfe", id="ff-fe"),
        pytest.param(b"\xc0\xaf", id="overlong-slash"),
        pytest.param(b"\xe2\x82", id="truncated-sequence"),
        pytest.param(b"\xed\xa0\x80", id="encoded-surrogate"),
        pytest.param(b"\xf8\x88\x80\x80\x80", id="five-byte-form"),
        pytest.param("Zoë".encode("latin-1"), id="latin-1"),
    ],
)
@pytest.mark.parametrize(
    "route",
    [
        ("PUT", delegate(), b'{"name": "X%s", "attendance": "online"}'),
        ("POST", f"/events/{EVENT}/scans", b'{"scan_id": "h-utf", "station_id": "%s"}'),
        ("PUT", delegate("/evaluations/S03"), b'{"answers": {"q": "%s"}}'),
    ],
    ids=["delegate", "scan", "evaluation"],
)
def test_body_that_is_not_utf8_is_400(
    http: Http, nothing_stored: None, bad: bytes, route: tuple[str, str, bytes]
) -> None:
    method, path, template = route
    reply = http.request(method, path, raw=template % bad)
    assert_problem(reply, 400, "invalid_request")


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b'{"name": "X\\ud800", "attendance": "online"}', id="escaped-lone-surrogate"),
        pytest.param(b'\xef\xbb\xbf{"name": "", "attendance": "online"}', id="utf8-bom"),
        pytest.param(b'{"name": "A", "name": "", "attendance": "online"}', id="duplicate-key"),
    ],
)
def test_json_edge_cases_are_refused(http: Http, nothing_stored: None, body: bytes) -> None:
    refused(http.put(delegate(), raw=body), {400, 422})


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "multipart/form-data", "application/x-www-form-urlencoded", "APPLICATION/JSON"],
)
def test_other_media_types_are_read_as_json(
    http: Http, nothing_stored: None, content_type: str
) -> None:
    # JSON in whatever type it states: the rules judge it (a scan on no conference day)
    body = json.dumps(scan("h-mt", scanned_at="2025-05-28T09:00:00+02:00")).encode()
    reply = http.post(f"/events/{EVENT}/scans", raw=body, headers={"content-type": content_type})
    assert_problem(reply, 422, "not_a_conference_day")
    # and a body that is not JSON is a 400, never a 500
    form = b"scan_id=h-mt&delegate_id=H-1"
    reply = http.post(f"/events/{EVENT}/scans", raw=form, headers={"content-type": content_type})
    assert_problem(reply, 400, "invalid_request")


# --------------------------------------------------------------------------- fields


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("x" * 10_000, id="10000-chars"),
        pytest.param("x" * 201, id="201-chars"),
        pytest.param("", id="empty"),
        pytest.param("界" * 10_000, id="10000-cjk"),
    ],
)
def test_name_of_the_wrong_length_is_422(http: Http, nothing_stored: None, name: str) -> None:
    body = {"name": name, "attendance": "in_person"}
    assert_problem(http.put(delegate(), body), 422, "invalid_request")
    assert_problem(http.put(delegate(delegate_id="H-NEW"), body), 422, "invalid_request")
    assert http.get(delegate("/credits", "H-NEW")).code == "unknown_delegate"


@pytest.mark.parametrize(
    "control",
    [
        pytest.param("\x00", id="NUL"),
        pytest.param("\x07", id="BEL"),
        pytest.param("\x1b[31m", id="ESC-sequence"),
        pytest.param("\n", id="LF"),
        pytest.param("\x7f", id="DEL"),
    ],
)
def test_control_characters_in_names_are_422(http: Http, control: str) -> None:
    body = {"name": f"Ada{control}Lovelace", "attendance": "online"}
    assert_problem(http.put(delegate(delegate_id="H-CTRL"), body), 422, "invalid_request")


CONTROL_IDS = [
    pytest.param("a\x00b", id="NUL"),
    pytest.param("a\nb", id="LF"),
    pytest.param("ab\n", id="trailing-LF"),
    pytest.param("a\tb", id="TAB"),
    pytest.param("a\u202eb", id="RLO"),
    pytest.param("a b", id="space"),
    pytest.param("a#b", id="hash"),
    pytest.param("x" * 65, id="65-chars"),
    pytest.param("x" * 1000, id="1000-chars"),
    pytest.param("", id="empty"),
]


@pytest.mark.parametrize("bad_id", CONTROL_IDS)
@pytest.mark.parametrize("field", ["scan_id", "delegate_id", "station_id"])
def test_bad_ids_in_a_scan_are_422(
    http: Http, nothing_stored: None, field: str, bad_id: str
) -> None:
    assert_problem(
        http.post(f"/events/{EVENT}/scans", scan(**{field: bad_id})), 422, "invalid_request"
    )


@pytest.mark.parametrize("bad_id", CONTROL_IDS)
@pytest.mark.parametrize("field", ["view_id", "session_id"])
def test_bad_ids_in_a_view_are_422(
    http: Http, nothing_stored: None, field: str, bad_id: str
) -> None:
    reply = http.post(delegate("/views"), live_view(**{field: bad_id}))
    assert_problem(reply, 422, "invalid_request")


@pytest.mark.parametrize(
    "answers",
    [
        pytest.param({"q": "x" * 10_001}, id="10001-char-answer"),
        pytest.param({f"q{i}": 1 for i in range(201)}, id="201-answers"),
        pytest.param({"": 1}, id="empty-question"),
        pytest.param({"x" * 201: 1}, id="201-char-question"),
        pytest.param({"q": 1.5}, id="float"),
        pytest.param({"q": True}, id="bool"),
        pytest.param({"q": None}, id="null"),
        pytest.param({"q": ["a"]}, id="list"),
        pytest.param({"q": {"a": 1}}, id="object"),
        pytest.param([], id="not-an-object"),
    ],
)
def test_bad_answers_are_422(http: Http, nothing_stored: None, answers: Any) -> None:
    body = {"submitted_at": "2025-05-24T14:40:00+02:00", "answers": answers}
    assert_problem(http.put(delegate("/evaluations/S03"), body), 422, "invalid_request")


# --------------------------------------------------------------------------- time


OUTSIDE_THE_CALENDAR = [
    pytest.param("0001-01-01T00:00:00+01:00", id="year-1-east-of-utc"),
    pytest.param("9999-12-31T23:59:59-01:00", id="year-9999-west-of-utc"),
    pytest.param("0001-01-01T00:59:59+01:00", id="year-1-last-second-before-utc"),
    pytest.param("0000-01-01T00:00:00Z", id="year-0"),
    pytest.param("2025-02-30T08:00:00Z", id="30-february"),
    pytest.param("2025-05-24T24:00:00Z", id="hour-24"),
    pytest.param("2025-05-24T08:00:60Z", id="second-60"),
    pytest.param("2025-05-24T08:00:00+24:00", id="offset-24h"),
    pytest.param("2025-05-24T08:00:00+01:60", id="offset-minute-60"),
    pytest.param("2025-05-24T08:00:00+00:99", id="offset-minute-99"),
    pytest.param("2025-05-24T08:00:00", id="naive"),
    pytest.param("2025-05-24T08:00:00+02:00\n", id="trailing-LF"),
    pytest.param("2025-05-24 08:00:00+02:00", id="space-separator"),
    pytest.param("2025-W21-6T08:00:00Z", id="week-date"),
    pytest.param("20250524T080000Z", id="basic-format"),
    pytest.param("2025-05-24T08:00:00+02", id="hour-only-offset"),
    pytest.param("1748066400", id="epoch-string"),
    pytest.param("2025-05-24T08:00:00.1234567891Z", id="ten-fraction-digits"),
]


def fresh_target(http: Http, name: str) -> str:
    """A delegate of one test's own, S01 evaluated and no evidence: a scan on 24 May or a
    live view of S01, if stored, would credit S01."""
    delegate_id = f"H-{name}"[:64]
    assert (
        http.put(delegate(delegate_id=delegate_id), {"name": name, "attendance": "online"}).status
        == 201
    )
    evaluation = {"submitted_at": EVALUATED["S01"], "answers": {"q": 1}}
    assert http.put(delegate("/evaluations/S01", delegate_id), evaluation).status == 201
    return delegate_id


def assert_no_evidence(http: Http, delegate_id: str) -> None:
    statement = http.get(delegate("/credits", delegate_id)).body
    assert statement["total"] == 0.0
    assert statement["cart"] == [{"session_id": "S01", "status": "no_evidence", "amount": 0.0}]


@pytest.mark.parametrize("stamp", OUTSIDE_THE_CALENDAR)
def test_timestamp_that_is_not_an_instant_is_422(
    http: Http, request: pytest.FixtureRequest, stamp: str
) -> None:
    target = fresh_target(http, "ts-" + request.node.callspec.id)
    scan_id = "ts-" + request.node.callspec.id
    # Two different refusals with one scan id: the second is judged, never 409 id_reused
    for station in ("cme-desk-1", "cme-desk-2"):
        body = scan(scan_id, delegate_id=target, scanned_at=stamp, station_id=station)
        assert_problem(http.post(f"/events/{EVENT}/scans", body), 422, "invalid_request")
    view = live_view(scan_id, watched_at=stamp)
    assert_problem(http.post(delegate("/views", target), view), 422, "invalid_request")
    evaluation = {"submitted_at": stamp, "answers": {"q": 1}}
    reply = http.put(delegate("/evaluations/S03", target), evaluation)
    assert_problem(reply, 422, "invalid_request")
    assert_no_evidence(http, target)
    assert http.get(delegate("/cart", target)).body["items"][0]["session_id"] == "S01"
    assert len(http.get(delegate("/cart", target)).body["items"]) == 1


def test_timestamps_at_the_ends_of_the_calendar_meet_the_rules(
    http: Http, nothing_stored: None
) -> None:
    first, last = "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z"
    assert_problem(
        http.post(f"/events/{EVENT}/scans", scan("h-edge", scanned_at=first)),
        422,
        "not_a_conference_day",
    )
    assert_problem(
        http.post(f"/events/{EVENT}/scans", scan("h-edge", scanned_at=last)),
        422,
        "scanned_in_future",
    )
    assert_problem(
        http.post(delegate("/views"), live_view("h-edge", watched_at=first)),
        422,
        "view_before_session",
    )
    future_view = http.post(delegate("/views"), live_view("h-edge", watched_at=last))
    assert_problem(future_view, 422, "invalid_request")
    body = {"submitted_at": first, "answers": {"q": 1}}
    reply = http.put(delegate("/evaluations/S03"), body)
    assert_problem(reply, 409, "evaluation_not_open")
    assert reply.body["opens_at"] == "2025-05-24T12:30:00Z"
    body = {"submitted_at": last, "answers": {"q": 1}}
    assert_problem(http.put(delegate("/evaluations/S03"), body), 422, "invalid_request")


@pytest.mark.parametrize(
    "seconds",
    [
        pytest.param(b"-1", id="negative"),
        pytest.param(b"86401", id="over-a-day"),
        pytest.param(b"1.5", id="fraction"),
        pytest.param(b"1.0", id="float-integral"),
        pytest.param(b"1e400", id="1e400"),
        pytest.param(b"-0.0", id="negative-zero"),
        pytest.param(b"100000000000000000000000000000", id="huge"),
        pytest.param(b'"10"', id="string"),
        pytest.param(b"true", id="bool"),
        pytest.param(b"[10]", id="list"),
    ],
)
def test_seconds_that_are_not_0_to_86400_are_422(
    http: Http, nothing_stored: None, seconds: bytes
) -> None:
    body = json.dumps(live_view())[:-1].encode() + b', "seconds": ' + seconds + b"}"
    assert_problem(http.post(delegate("/views"), raw=body), 422, "invalid_request")


@pytest.mark.parametrize("literal", [b"NaN", b"Infinity", b"-Infinity"])
def test_seconds_that_are_not_json_numbers_are_400(
    http: Http, nothing_stored: None, literal: bytes
) -> None:
    body = json.dumps(live_view())[:-1].encode() + b', "seconds": ' + literal + b"}"
    assert_problem(http.post(delegate("/views"), raw=body), 400, "invalid_request")


# --------------------------------------------------------------------------- paths

E, D = EVENT, TARGET
HOSTILE_IDS = {
    "slash": ("a/b", {(404, "not_found")}),
    "dot-dot": ("..", {(422, "invalid_request"), (404, "not_found")}),
    "encoded-dot-dot": ("%2e%2e", {(422, "invalid_request"), (404, "not_found")}),
    # Paths are decoded before routing: a character no route takes is an unknown path
    "nul": ("%00", {(422, "invalid_request"), (404, "not_found")}),
    "id-then-nul": ("S01%00", {(422, "invalid_request"), (404, "not_found")}),
    "encoded-slash": ("a%2Fb", {(422, "invalid_request"), (404, "not_found")}),
    "traversal": ("..%2F..%2Fetc%2Fpasswd", {(422, "invalid_request"), (404, "not_found")}),
    "unicode": ("%C3%A9v%C3%A9nement", {(422, "invalid_request")}),
    "right-to-left-override": ("S01%E2%80%AE", {(422, "invalid_request"), (404, "not_found")}),
    "space": ("S%2001", {(422, "invalid_request"), (404, "not_found")}),
    "newline": ("S01%0A", {(422, "invalid_request"), (404, "not_found")}),
    "1000-chars": ("x" * 1000, {(422, "invalid_request")}),
}
PATH_TEMPLATES = {
    "event": ("GET", "/events/{id}"),
    "delegate-statement": ("GET", f"/events/{E}/delegates/{{id}}/credits"),
    "delegate-cart": ("GET", f"/events/{E}/delegates/{{id}}/cart"),
    "session-cart-add": ("PUT", f"/events/{E}/delegates/{D}/cart/{{id}}"),
    "session-cart-remove": ("DELETE", f"/events/{E}/delegates/{D}/cart/{{id}}"),
    "session-evaluation": ("PUT", f"/events/{E}/delegates/{D}/evaluations/{{id}}"),
    "delegate-certificate": ("POST", f"/events/{E}/delegates/{{id}}/certificate"),
}


@pytest.mark.parametrize("where", PATH_TEMPLATES)
@pytest.mark.parametrize("hostile", HOSTILE_IDS)
def test_hostile_path_ids_are_refused(
    http: Http, nothing_stored: None, where: str, hostile: str
) -> None:
    method, template = PATH_TEMPLATES[where]
    text, answers = HOSTILE_IDS[hostile]
    body = {"submitted_at": "2025-05-24T14:40:00+02:00", "answers": {"q": 1}}
    reply = http.request(method, template.format(id=text), body if method == "PUT" else None)
    assert (reply.status, reply.code) in answers, (reply.status, reply.data[:300])
    assert problem_faults(reply.status, reply.headers, reply.data) == []


UNKNOWN = (404, "unknown_certificate")
NO_ROUTE = (404, "not_found")


@pytest.mark.parametrize(
    ("text", "answers"),
    [
        ("x" * 1000, {(422, "invalid_request")}),
        ("%2F", {UNKNOWN, NO_ROUTE}),
        ("..%2F..%2Fetc%2Fpasswd", {UNKNOWN, NO_ROUTE}),
        ("%00", {UNKNOWN, NO_ROUTE}),
        ("0000-0000-0000-0000-000%00", {UNKNOWN, NO_ROUTE}),
        ("%C3%A9" * 10, {UNKNOWN}),
    ],
)
def test_hostile_serials_are_refused(
    http: Http, nothing_stored: None, text: str, answers: set[tuple[int, str]]
) -> None:
    for reply in (
        http.get(f"/certificates/{text}", key=None),
        http.post(f"/certificates/{text}/revoke", {"reason": "hostile"}),
    ):
        assert (reply.status, reply.code) in answers, (reply.status, reply.data[:300])
        assert problem_faults(reply.status, reply.headers, reply.data) == []


# --------------------------------------------------------------------------- HTTP itself


def test_batches_of_the_wrong_size_are_422(http: Http, nothing_stored: None) -> None:
    too_many = {"scans": [scan(f"h-b{i}") for i in range(501)]}
    assert_problem(http.post(f"/events/{EVENT}/scans/batch", too_many), 422, "invalid_request")
    assert_problem(http.post(f"/events/{EVENT}/scans/batch", {"scans": []}), 422, "invalid_request")


def test_a_batch_of_garbage_is_judged_scan_by_scan(http: Http, nothing_stored: None) -> None:
    garbage: list[Any] = [None, 1, "scan", [], {}, {"scan_id": 7}, scan("h-g", scanned_at="x")]
    garbage += [scan("a\x00b"), {**scan("h-g2"), "extra": 1}, [[[[[[[[[[[]]]]]]]]]]]]
    reply = http.post(f"/events/{EVENT}/scans/batch", {"scans": garbage * 50})
    assert reply.status == 200
    results = reply.body["results"]
    assert len(results) == 500
    assert {(r["status"], r["code"]) for r in results} == {(422, "invalid_request")}


@pytest.mark.parametrize("length", ["abc", "-5", "1e3"])
def test_content_length_that_is_not_a_number_is_400(
    http: Http, nothing_stored: None, length: str
) -> None:
    request = (
        f"POST /v1/events/{EVENT}/scans HTTP/1.1\r\nHost: cme\r\nx-api-key: {API_KEY}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {length}\r\n"
        "Connection: close\r\n\r\n{}"
    ).encode()
    answers = responses_in(raw_exchange(http.base_url, request))
    assert len(answers) == 1, answers
    status, headers, body = answers[0]
    assert status == 400, (status, body)
    assert problem_faults(status, headers, body) == []


def test_chunked_body_gets_exactly_one_answer(http: Http, nothing_stored: None) -> None:
    body = json.dumps(scan("h-chunk", scanned_at="2025-05-28T09:00:00+02:00")).encode()
    request = (
        f"POST /v1/events/{EVENT}/scans HTTP/1.1\r\nHost: cme\r\nx-api-key: {API_KEY}\r\n"
        "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    ).encode() + b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
    answers = responses_in(raw_exchange(http.base_url, request, timeout=3))
    assert len(answers) == 1, [(s, b[:80]) for s, _, b in answers]
    status, headers, data = answers[0]
    assert 400 <= status < 500
    assert problem_faults(status, headers, data) == []


@pytest.mark.parametrize("method", ["TRACE", "PROPFIND", "CONNECT"])
def test_unknown_http_method_is_405(http: Http, method: str) -> None:
    request = (
        f"{method} /v1/events/{EVENT} HTTP/1.1\r\nHost: cme\r\nx-api-key: {API_KEY}\r\n"
        "Connection: close\r\n\r\n"
    ).encode()
    [(status, headers, body)] = responses_in(raw_exchange(http.base_url, request))
    assert status == 405
    assert problem_faults(status, headers, body) == []
    assert json.loads(body)["code"] == "method_not_allowed"


def test_known_methods_on_the_wrong_route_are_405(http: Http, nothing_stored: None) -> None:
    for method in ("PATCH", "DELETE", "POST", "OPTIONS"):
        assert_problem(http.request(method, f"/events/{EVENT}"), 405, "method_not_allowed")
    assert_problem(http.get(delegate("/cart/S01")), 405, "method_not_allowed")


def test_other_methods_on_the_public_routes_are_405_without_a_key(http: Http) -> None:
    for path in ("/certificates/7K3M-9QXD-2HRP-4WZA-6TBN", "/openapi.json"):
        for method in ("HEAD", "OPTIONS", "POST", "PUT", "DELETE"):
            reply = http.request(method, path, key=None)
            assert reply.status == 405, (method, path, reply.status)
            if method != "HEAD":  # a HEAD answer has no body
                assert json.loads(reply.data)["code"] == "method_not_allowed"


def test_refused_ids_stay_free(http: Http) -> None:
    # After every refusal above, the ids they used were never claimed: the same scan id
    # is stored for a registered delegate, judged afresh
    body = {"name": "Second Delegate", "attendance": "online"}
    assert http.put(delegate(delegate_id="H-2"), body).status == 201
    for scan_id in ("ts-naive", "ts-year-0", "h-edge", "h-scan", "h-mt", "h-chunk"):
        reply = http.post(f"/events/{EVENT}/scans", scan(scan_id, delegate_id="H-2"))
        assert reply.status == 201, (scan_id, reply.data)
    view = live_view("h-edge")
    assert http.post(delegate("/views", "H-2"), view).status == 201


def test_the_server_logged_no_unexpected_error(hostile_server: LoggedServer) -> None:
    assert hostile_server.alive()
    unexpected = [r for r in hostile_server.log_records() if r.get("level") == "ERROR"]
    assert unexpected == [], unexpected[:3]
