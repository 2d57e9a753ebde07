"""Request shape, the same on every route of the scan, evaluate and organiser functions:
400 when the body is not UTF-8 JSON or not an object, 413 over 1 MB, 422 when it does not
fit the schema (naming the fields), 404 `not_found` for unknown paths, 405
`method_not_allowed` with an Allow header, always problem+json and never a stack trace."""

from __future__ import annotations

import json
from typing import Any

import pytest

SCAN = {
    "scan_id": "s-1",
    "delegate_id": "D0001",
    "station_id": "cme-desk-1",
    "scanned_at": "2025-05-24T08:01:00+02:00",
}
VIEW = {
    "view_id": "v-1",
    "session_id": "ES01",
    "kind": "on_demand",
    "watched_at": "2025-06-10T19:30:00+02:00",
}
EVALUATION = {"submitted_at": "2025-05-24T10:05:00+02:00", "answers": {"useful": 5}}
DELEGATE = {"name": "Ana Ruiz", "attendance": "online"}

BODY_ROUTES = [
    ("POST", "/events/eshg2025/scans", SCAN),
    ("POST", "/events/eshg2025/scans/batch", {"scans": [SCAN]}),
    ("POST", "/events/eshg2025/delegates/D0001/views", VIEW),
    ("PUT", "/events/eshg2025/delegates/D0001/evaluations/ES01", EVALUATION),
    ("PUT", "/events/eshg2025/delegates/D0002", DELEGATE),
    ("PUT", "/events/eshg2025", None),  # the programme: filled in by the test
]
ROUTE_IDS = ["scan", "batch", "view", "evaluation", "delegate", "programme"]


def body_for(route: tuple[str, str, Any], programme_document: dict[str, Any]) -> Any:
    return programme_document if route[2] is None else route[2]


# --------------------------------------------------------------------------- 400 / 413


@pytest.mark.parametrize("route", BODY_ROUTES, ids=ROUTE_IDS)
def test_a_body_that_is_not_json_is_400(delegate, eshg, expect_problem, route):
    method, path, _ = route
    for raw in ["{", '{"scan_id": "s-1",}', "{'a': 1}", "NaN", '{"a": Infinity}', "[" * 100_000]:
        expect_problem(eshg.call(method, path, raw=raw), 400, "invalid_request")


@pytest.mark.parametrize("route", BODY_ROUTES, ids=ROUTE_IDS)
def test_a_body_that_is_not_an_object_is_400(delegate, eshg, expect_problem, route):
    method, path, _ = route
    for raw in ["[]", "[1]", '"text"', "12", "true", "null", ""]:
        expect_problem(eshg.call(method, path, raw=raw), 400, "invalid_request")
    expect_problem(eshg.call(method, path), 400, "invalid_request")  # no body at all


@pytest.mark.parametrize("route", BODY_ROUTES, ids=ROUTE_IDS)
def test_a_body_that_is_not_utf8_is_400(delegate, eshg, expect_problem, route):
    method, path, _ = route
    for raw in [b"\xff", b'{"name": "\xc5"}', '{"name": "Ł"}'.encode("utf-16")]:
        expect_problem(eshg.call(method, path, raw=raw), 400, "invalid_request")


@pytest.mark.parametrize("route", BODY_ROUTES, ids=ROUTE_IDS)
def test_a_body_over_1_mb_is_413(delegate, eshg, expect_problem, route, stored_items):
    method, path, _ = route
    before = len(stored_items())
    padding = "x" * (1024 * 1024)

    expect_problem(
        eshg.call(method, path, raw=json.dumps({"pad": padding})), 413, "invalid_request"
    )
    expect_problem(eshg.call(method, path, raw=b"\xff" * (1024 * 1024 + 1)), 413, "invalid_request")

    assert len(stored_items()) == before


def test_a_body_of_exactly_1_mb_is_read(delegate, eshg, expect_problem):
    body = json.dumps({**SCAN, "pad": ""})
    raw = body.replace('"pad": ""', '"pad": "' + "x" * (1024 * 1024 - len(body)) + '"')
    assert len(raw.encode()) == 1024 * 1024

    problem = expect_problem(eshg.post("/events/eshg2025/scans", raw=raw), 422, "invalid_request")

    assert [e["path"] for e in problem["errors"]] == ["body.pad"]


def test_utf8_text_is_taken(eshg):
    raw = json.dumps({"name": "Łukasz Żółć 李小龍", "attendance": "online"}, ensure_ascii=False)

    answer = eshg.put("/events/eshg2025/delegates/D0009", raw=raw.encode("utf-8"))

    assert (answer.status, answer.body["name"]) == (201, "Łukasz Żółć 李小龍")


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "application/json; charset=utf-8", "Application/JSON", "text/plain"],
)
def test_the_body_is_read_as_json_whatever_the_stated_content_type(delegate, eshg, content_type):
    answer = eshg.post(
        "/events/eshg2025/scans", raw=json.dumps(SCAN), headers={"Content-Type": content_type}
    )

    assert answer.status == 201


def test_a_form_body_is_not_json(delegate, eshg, expect_problem):
    answer = eshg.post(
        "/events/eshg2025/scans",
        raw="scan_id=s-1&delegate_id=D0001&station_id=x&scanned_at=2025-05-24T08:01:00Z",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )

    expect_problem(answer, 400, "invalid_request")


# --------------------------------------------------------------------------- 422 schema


@pytest.mark.parametrize(
    ("route", "change"),
    [
        (BODY_ROUTES[0], {"scan_id": None}),
        (BODY_ROUTES[0], {"delegate_id": 7}),
        (BODY_ROUTES[0], {"scanned_at": "yesterday"}),
        (BODY_ROUTES[2], {"kind": "LIVE"}),
        (BODY_ROUTES[2], {"watched_at": 1748066460}),
        (BODY_ROUTES[3], {"answers": "5"}),
        (BODY_ROUTES[3], {"submitted_at": "2025-02-30T10:00:00Z"}),
        (BODY_ROUTES[4], {"attendance": None}),
    ],
)
def test_a_body_that_does_not_fit_the_schema_names_the_field(
    delegate, eshg, expect_problem, route, change
):
    method, path, body = route
    (field,) = change

    answer = eshg.call(method, path, {**body, **change})

    problem = expect_problem(answer, 422, "invalid_request")
    assert [e["path"] for e in problem["errors"]] == [f"body.{field}"]


def test_every_missing_field_is_named(delegate, eshg, expect_problem):
    problem = expect_problem(eshg.post("/events/eshg2025/scans", {}), 422, "invalid_request")

    assert sorted(e["path"] for e in problem["errors"]) == [
        "body.delegate_id",
        "body.scan_id",
        "body.scanned_at",
        "body.station_id",
    ]


@pytest.mark.parametrize("route", BODY_ROUTES[:5], ids=ROUTE_IDS[:5])
def test_an_extra_field_is_422(delegate, eshg, expect_problem, route):
    method, path, body = route

    problem = expect_problem(eshg.call(method, path, {**body, "note": "x"}), 422, "invalid_request")

    assert [e["path"] for e in problem["errors"]] == ["body.note"]


@pytest.mark.parametrize(
    "naive", ["2025-05-24T08:01:00", "2025-05-24T08:01:00.123", "2025-05-24", "2025-05-24T08:01"]
)
def test_a_timestamp_without_an_offset_is_422(delegate, eshg, expect_problem, naive):
    for path, body, field in [
        ("/events/eshg2025/scans", {**SCAN, "scanned_at": naive}, "scanned_at"),
        ("/events/eshg2025/delegates/D0001/views", {**VIEW, "watched_at": naive}, "watched_at"),
    ]:
        problem = expect_problem(eshg.post(path, body), 422, "invalid_request")
        assert [e["path"] for e in problem["errors"]] == [f"body.{field}"]
    answer = eshg.put(
        "/events/eshg2025/delegates/D0001/evaluations/ES01", {**EVALUATION, "submitted_at": naive}
    )
    problem = expect_problem(answer, 422, "invalid_request")
    assert [e["path"] for e in problem["errors"]] == ["body.submitted_at"]


def test_a_naive_timestamp_in_a_batch_fails_only_its_scan(delegate, eshg):
    scans = [{**SCAN, "scanned_at": "2025-05-24T08:01:00"}, {**SCAN, "scan_id": "s-2"}]

    answer = eshg.post("/events/eshg2025/scans/batch", {"scans": scans})

    assert [(r["status"], r.get("code")) for r in answer.body["results"]] == [
        (422, "invalid_request"),
        (201, None),
    ]


@pytest.mark.parametrize(
    "bad_id", ["-leading-dash", ".dot", "with space", "a#b", "a/b", "x" * 65, "", "Ł"]
)
def test_ids_in_the_body_must_match_the_pattern(delegate, eshg, expect_problem, bad_id):
    for field in ("scan_id", "delegate_id", "station_id"):
        answer = eshg.post("/events/eshg2025/scans", {**SCAN, field: bad_id})
        problem = expect_problem(answer, 422, "invalid_request")
        assert [e["path"] for e in problem["errors"]] == [f"body.{field}"]
    answer = eshg.post("/events/eshg2025/delegates/D0001/views", {**VIEW, "view_id": bad_id})
    expect_problem(answer, 422, "invalid_request")


def test_an_id_of_64_characters_is_taken(delegate, eshg):
    long_id = "A" + "b:c.d_e-" * 7 + "0123456"
    assert len(long_id) == 64

    answer = eshg.post("/events/eshg2025/scans", {**SCAN, "scan_id": long_id})

    assert (answer.status, answer.body["scan_id"]) == (201, long_id)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/events/-bad/scans"),
        ("POST", "/events/eshg2025/delegates/" + "x" * 65 + "/views"),
        ("PUT", "/events/eshg2025/delegates/D0001/cart/.S01"),
        ("DELETE", "/events/eshg2025/delegates/D0001/cart/S%2001"),
        ("GET", "/events/eshg2025/delegates/-D/cart"),
        ("PUT", "/events/eshg2025/delegates/D0001/evaluations/:x"),
        ("GET", "/events/eshg2025/delegates/_x/credits"),
        ("GET", "/events/-eshg"),
        ("PUT", "/events/eshg2025/delegates/-D"),
        ("GET", "/events/-eshg/report"),
    ],
)
def test_ids_in_the_path_must_match_the_pattern(delegate, eshg, expect_problem, method, path):
    body = {
        "/scans": SCAN,
        "/views": VIEW,
        "/cart/.S01": None,
        "/evaluations/:x": EVALUATION,
        "/delegates/-D": DELEGATE,
    }
    payload = next((v for k, v in body.items() if path.endswith(k)), None)

    answer = eshg.call(method, path, payload)

    problem = expect_problem(answer, 422, "invalid_request")
    assert all(e["path"].startswith("path.") for e in problem["errors"])


# --------------------------------------------------------------------------- 404 / 405


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/"),
        ("GET", "/nope"),
        ("GET", "/events"),
        ("POST", "/v1/events/eshg2025/scans"),  # the stage is not part of the path
        ("POST", "/events/eshg2025/scans/batch/more"),
        ("GET", "/events/eshg2025/delegates"),
        ("PUT", "/events/eshg2025/delegates/D0001/cart/ES01/extra"),
        ("GET", "/events/eshg2025/delegates/D0001/credits/2025-05-24"),
        ("PUT", "/events/eshg2025/delegates/D0001/evaluations"),
        ("GET", "/events/eshg2025/report/csv"),
    ],
)
def test_an_unknown_path_is_404_not_found(delegate, eshg, expect_problem, method, path):
    expect_problem(eshg.call(method, path), 404, "not_found")


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("GET", "/events/eshg2025/scans", {"POST"}),
        ("PUT", "/events/eshg2025/scans/batch", {"POST"}),
        ("GET", "/events/eshg2025/delegates/D0001/views", {"POST"}),
        ("POST", "/events/eshg2025/delegates/D0001/cart/ES01", {"PUT", "DELETE"}),
        ("PATCH", "/events/eshg2025/delegates/D0001/cart/ES01", {"PUT", "DELETE"}),
        ("DELETE", "/events/eshg2025/delegates/D0001/cart", {"GET"}),
        ("POST", "/events/eshg2025/delegates/D0001/evaluations/ES01", {"PUT"}),
        ("PUT", "/events/eshg2025/delegates/D0001/credits", {"GET"}),
        ("DELETE", "/events/eshg2025", {"GET", "PUT"}),
        ("GET", "/events/eshg2025/delegates/D0001", {"PUT"}),
        ("POST", "/events/eshg2025/report", {"GET"}),
    ],
)
def test_a_wrong_method_is_405_with_an_allow_header(eshg, expect_problem, method, path, allowed):
    answer = eshg.call(method, path)

    expect_problem(answer, 405, "method_not_allowed")
    assert {m.strip() for m in answer.headers["allow"].split(",")} == allowed


# --------------------------------------------------------------------------- never a trace


def test_an_unexpected_failure_is_a_problem_without_a_trace(delegate, eshg, store, monkeypatch):
    def explode(*_: Any, **__: Any) -> None:
        raise RuntimeError("boom in /secret/store.py line 42")

    monkeypatch.setattr(store, "delegate_record", explode)

    answer = eshg.get("/events/eshg2025/delegates/D0001/credits")

    assert answer.status == 500
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.body["status"] == 500
    assert isinstance(answer.body["code"], str)
    assert "boom" not in answer.text
    assert "secret" not in answer.text
    assert "Traceback" not in answer.text
