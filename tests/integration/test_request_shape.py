"""Request shape, the same on every route of the scan, evaluate and organiser functions:
400 when the body is not UTF-8 JSON or not an object, 413 over 1 MB, 422 when it does not
fit the schema (naming the fields), 404 `not_found` for unknown paths, 405
`method_not_allowed` with an Allow header, always problem+json and never a stack trace.

Cases that share one stored state run as subtests of one test: each test builds a moto
table, and the cases do not change what the others see."""

from __future__ import annotations

import json
from typing import Any

import pytest

pytestmark = pytest.mark.usefixtures("parsed_once")

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

SCANS = "/events/eshg2025/scans"
VIEWS = "/events/eshg2025/delegates/D0001/views"
EVALUATIONS = "/events/eshg2025/delegates/D0001/evaluations/ES01"
BODY_ROUTES = [
    ("POST", SCANS),
    ("POST", "/events/eshg2025/scans/batch"),
    ("POST", VIEWS),
    ("PUT", EVALUATIONS),
    ("PUT", "/events/eshg2025/delegates/D0002"),
    ("PUT", "/events/eshg2025"),  # the programme
]
NOT_JSON = [
    "{",
    '{"scan_id": "s-1",}',
    "{'a': 1}",
    "NaN",
    '{"a": Infinity}',
    "[" * 100_000,
    '{"seconds": ' + "9" * 5000 + "}",  # more digits than Python turns into an int
]
NOT_AN_OBJECT = ["[]", "[1]", '"text"', "12", "true", "null", "", None]
NOT_UTF8 = [b"\xff", b'{"name": "\xc5"}', '{"name": "Ł"}'.encode("utf-16")]


# --------------------------------------------------------------------------- 400 / 413


def test_a_body_that_is_not_json_or_not_an_object_or_not_utf8_is_400(
    delegate, eshg, expect_problem, subtests, stored_items
):
    before = stored_items()
    for method, path in BODY_ROUTES:
        for raw in [*NOT_JSON, *NOT_AN_OBJECT, *NOT_UTF8]:
            with subtests.test(method=method, path=path, body=repr(raw)[:40]):
                expect_problem(eshg.call(method, path, raw=raw), 400, "invalid_request")
    assert stored_items() == before


def test_a_body_over_1_mb_is_413(delegate, eshg, expect_problem, subtests, stored_items):
    before = stored_items()
    too_large = [json.dumps({"pad": "x" * (1024 * 1024)}), b"\xff" * (1024 * 1024 + 1)]
    for method, path in BODY_ROUTES:
        for raw in too_large:
            with subtests.test(method=method, path=path, body=type(raw).__name__):
                expect_problem(eshg.call(method, path, raw=raw), 413, "invalid_request")
    assert stored_items() == before


def test_a_body_of_exactly_1_mb_is_read(delegate, eshg, expect_problem):
    body = json.dumps({**SCAN, "pad": ""})
    raw = body.replace('"pad": ""', '"pad": "' + "x" * (1024 * 1024 - len(body)) + '"')
    assert len(raw.encode()) == 1024 * 1024

    problem = expect_problem(eshg.post(SCANS, raw=raw), 422, "invalid_request")

    assert [e["path"] for e in problem["errors"]] == ["body.pad"]


def test_utf8_text_is_taken(eshg):
    raw = json.dumps({"name": "Łukasz Żółć 李小龍", "attendance": "online"}, ensure_ascii=False)

    answer = eshg.put("/events/eshg2025/delegates/D0009", raw=raw.encode("utf-8"))

    assert (answer.status, answer.body["name"]) == (201, "Łukasz Żółć 李小龍")


def test_the_body_is_read_as_json_whatever_the_stated_content_type(
    delegate, eshg, expect_problem, subtests
):
    for n, content_type in enumerate(
        ["application/json", "application/json; charset=utf-8", "Application/JSON", "text/plain"]
    ):
        with subtests.test(content_type=content_type):
            raw = json.dumps({**SCAN, "scan_id": f"s-{n}"})
            answer = eshg.post(SCANS, raw=raw, headers={"Content-Type": content_type})
            assert answer.status == 201
    with subtests.test(content_type="application/x-www-form-urlencoded"):
        answer = eshg.post(
            SCANS,
            raw="scan_id=s-9&delegate_id=D0001&station_id=x&scanned_at=2025-05-24T08:01:00Z",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        expect_problem(answer, 400, "invalid_request")  # not JSON


# --------------------------------------------------------------------------- 422 schema


def test_a_body_that_does_not_fit_the_schema_names_the_field(
    delegate, eshg, expect_problem, subtests
):
    cases = [
        ("POST", SCANS, SCAN, {"scan_id": None}),
        ("POST", SCANS, SCAN, {"delegate_id": 7}),
        ("POST", SCANS, SCAN, {"scanned_at": "yesterday"}),
        ("POST", SCANS, SCAN, {"scanned_at": "0001-01-01T00:30:00+01:00"}),
        ("POST", SCANS, SCAN, {"scanned_at": "2025-06-30T23:59:60Z"}),
        ("POST", VIEWS, VIEW, {"kind": "LIVE"}),
        ("POST", VIEWS, VIEW, {"watched_at": 1748066460}),
        ("POST", VIEWS, VIEW, {"watched_at": "2025-06-10T19:30:00+25:00"}),
        ("PUT", EVALUATIONS, EVALUATION, {"answers": "5"}),
        ("PUT", EVALUATIONS, EVALUATION, {"submitted_at": "2025-02-30T10:00:00Z"}),
        ("PUT", "/events/eshg2025/delegates/D0002", DELEGATE, {"attendance": None}),
    ]
    for method, path, body, change in cases:
        (field,) = change
        with subtests.test(path=path, change=change):
            answer = eshg.call(method, path, {**body, **change})
            problem = expect_problem(answer, 422, "invalid_request")
            assert [e["path"] for e in problem["errors"]] == [f"body.{field}"]
    with subtests.test("every missing field is named"):
        problem = expect_problem(eshg.post(SCANS, {}), 422, "invalid_request")
        assert sorted(e["path"] for e in problem["errors"]) == [
            "body.delegate_id",
            "body.scan_id",
            "body.scanned_at",
            "body.station_id",
        ]


def test_an_extra_field_is_422(delegate, eshg, expect_problem, subtests):
    for method, path, body in [
        ("POST", SCANS, SCAN),
        ("POST", "/events/eshg2025/scans/batch", {"scans": [SCAN]}),
        ("POST", VIEWS, VIEW),
        ("PUT", EVALUATIONS, EVALUATION),
        ("PUT", "/events/eshg2025/delegates/D0002", DELEGATE),
    ]:
        with subtests.test(path=path):
            answer = eshg.call(method, path, {**body, "note": "x"})
            problem = expect_problem(answer, 422, "invalid_request")
            assert [e["path"] for e in problem["errors"]] == ["body.note"]


def test_a_timestamp_without_an_offset_is_422(delegate, eshg, expect_problem, subtests):
    for naive in ["2025-05-24T08:01:00", "2025-05-24T08:01:00.123", "2025-05-24", "2025-05-24T08"]:
        for method, path, body, field in [
            ("POST", SCANS, SCAN, "scanned_at"),
            ("POST", VIEWS, VIEW, "watched_at"),
            ("PUT", EVALUATIONS, EVALUATION, "submitted_at"),
        ]:
            with subtests.test(naive=naive, field=field):
                answer = eshg.call(method, path, {**body, field: naive})
                problem = expect_problem(answer, 422, "invalid_request")
                assert [e["path"] for e in problem["errors"]] == [f"body.{field}"]


def test_a_naive_timestamp_in_a_batch_fails_only_its_scan(delegate, eshg):
    scans = [{**SCAN, "scanned_at": "2025-05-24T08:01:00"}, {**SCAN, "scan_id": "s-2"}]

    answer = eshg.post("/events/eshg2025/scans/batch", {"scans": scans})

    assert [(r["status"], r.get("code")) for r in answer.body["results"]] == [
        (422, "invalid_request"),
        (201, None),
    ]


def test_ids_in_the_body_must_match_the_pattern(delegate, eshg, expect_problem, subtests):
    for bad_id in ["-leading-dash", ".dot", "with space", "a#b", "a/b", "x" * 65, "", "Ł"]:
        for path, body, field in [
            (SCANS, SCAN, "scan_id"),
            (SCANS, SCAN, "delegate_id"),
            (VIEWS, VIEW, "view_id"),
            (VIEWS, VIEW, "session_id"),
        ]:
            with subtests.test(bad_id=bad_id, field=field):
                answer = eshg.post(path, {**body, field: bad_id})
                problem = expect_problem(answer, 422, "invalid_request")
                assert [e["path"] for e in problem["errors"]] == [f"body.{field}"]


def test_an_id_of_64_characters_is_taken(delegate, eshg):
    long_id = "A" + "b:c.d_e-" * 7 + "0123456"
    assert len(long_id) == 64

    answer = eshg.post(SCANS, {**SCAN, "scan_id": long_id})

    assert (answer.status, answer.body["scan_id"]) == (201, long_id)


def test_ids_in_the_path_must_match_the_pattern(delegate, eshg, expect_problem, subtests):
    for method, path, body in [
        ("POST", "/events/-bad/scans", SCAN),
        ("POST", "/events/eshg2025/delegates/" + "x" * 65 + "/views", VIEW),
        ("PUT", "/events/eshg2025/delegates/D0001/cart/.S01", None),
        ("DELETE", "/events/eshg2025/delegates/D0001/cart/S%2001", None),
        ("GET", "/events/eshg2025/delegates/-D/cart", None),
        ("PUT", "/events/eshg2025/delegates/D0001/evaluations/:x", EVALUATION),
        ("GET", "/events/eshg2025/delegates/_x/credits", None),
        ("GET", "/events/-eshg", None),
        ("PUT", "/events/eshg2025/delegates/-D", DELEGATE),
        ("GET", "/events/-eshg/report", None),
    ]:
        with subtests.test(method=method, path=path):
            problem = expect_problem(eshg.call(method, path, body), 422, "invalid_request")
            assert all(e["path"].startswith("path.") for e in problem["errors"])


# --------------------------------------------------------------------------- 404 / 405


def test_an_unknown_path_is_404_not_found(delegate, eshg, expect_problem, subtests):
    for method, path in [
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
    ]:
        with subtests.test(method=method, path=path):
            expect_problem(eshg.call(method, path), 404, "not_found")


def test_a_wrong_method_is_405_with_an_allow_header(eshg, expect_problem, subtests):
    for method, path, allowed in [
        ("GET", "/events/eshg2025/scans", {"POST"}),
        ("PUT", "/events/eshg2025/scans/batch", {"POST"}),
        ("GET", "/events/eshg2025/delegates/D0001/views", {"POST"}),
        ("POST", "/events/eshg2025/delegates/D0001/cart/ES01", {"PUT", "DELETE"}),
        ("PATCH", "/events/eshg2025/delegates/D0001/cart/ES01", {"PUT", "DELETE"}),
        ("DELETE", "/events/eshg2025/delegates/D0001/cart", {"GET"}),
        ("POST", "/events/eshg2025/delegates/D0001/evaluations/ES01", {"PUT"}),
        ("PUT", "/events/eshg2025/delegates/D0001/credits", {"GET"}),
        ("DELETE", "/events/eshg2025", {"GET", "PUT"}),
        ("GET", "/events/eshg2025/delegates/D0001", {"DELETE", "PUT"}),
        ("POST", "/events/eshg2025/report", {"GET"}),
    ]:
        with subtests.test(method=method, path=path):
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
