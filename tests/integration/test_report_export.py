"""The report of any size as one CSV in S3 behind a presigned link: asked for with `POST
.../report/exports`, written by the export function (here at once, on the request's
thread), looked at with `GET` until done. The file is the paged CSV report joined."""

from __future__ import annotations

import csv
import io
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from cme_tools.local.events import PLATFORM_KEY_ID

pytestmark = pytest.mark.usefixtures("parsed_once")

EXPORTS = "/events/eshg2025/report/exports"


def register(client: Any, count: int) -> None:
    for number in range(count):
        body = {"name": f"Délégué {number}", "attendance": "in_person"}
        assert client.put(f"/events/eshg2025/delegates/X{number:03d}", body).status == 201


def scan(client: Any, delegate: str, day: str) -> None:
    body = {
        "scan_id": f"s-{delegate}-{day}",
        "delegate_id": delegate,
        "station_id": "desk",
        "scanned_at": f"2025-05-{day}T09:00:00+02:00",
    }
    assert client.post("/events/eshg2025/scans", body).status in (200, 201)


def paged_csv(client: Any, limit: int) -> bytes:
    """The report as `GET .../report` gives it in CSV, page after page, joined."""
    rows: list[list[str]] = []
    query = f"limit={limit}"
    while True:
        answer = client.get("/events/eshg2025/report", query=query, headers={"accept": "text/csv"})
        assert answer.status == 200
        page = list(csv.reader(io.StringIO(answer.text, newline="")))
        rows.extend(page if not rows else page[1:])
        link = answer.headers.get("link")
        if not link:
            break
        query = urlsplit(link.split(">")[0].lstrip("<")).query
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode()


def stored(aws: dict[str, Any], key: str) -> bytes:
    body: bytes = aws["s3"].get_object(Bucket=aws["CME_BUCKET_NAME"], Key=key)["Body"].read()
    return body


def test_an_export_is_the_paged_report_in_one_file(
    eshg: Any, aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from cme import exports

    # Given 7 delegates, some with scans, and exports read 3 delegates a page
    register(eshg, 7)
    scan(eshg, "X001", "24")
    scan(eshg, "X004", "25")
    monkeypatch.setattr(exports, "PAGE", 3)

    # When the organiser asks for an export
    started = eshg.post(EXPORTS)

    # Then it is accepted with where to look, and once looked at it is done, with a link
    assert started.status == 202
    export_id = started.body["export_id"]
    assert started.body["status"] == "running"
    assert started.headers["location"] == f"/v1{EXPORTS}/{export_id}"  # the path as called
    assert started.headers["cache-control"] == "no-store"
    done = eshg.get(f"{EXPORTS}/{export_id}")
    assert done.status == 200
    assert done.body["status"] == "done"
    assert done.body["delegates"] == 7
    assert done.body["requested_by"] == "local-organiser"
    link = urlsplit(done.body["url"])
    assert link.path.endswith(f"/exports/eshg2025/{export_id}.csv")
    assert parse_qs(link.query)["X-Amz-Expires"] == ["900"]
    assert done.body["url_expires_at"] == "2025-06-15T12:15:00Z"
    # and the file is exactly the report's pages joined: one header, every delegate
    data = stored(aws, f"exports/eshg2025/{export_id}.csv")
    assert data == paged_csv(eshg, limit=2)
    assert data.count(b"\r\n") == 1 + 7
    assert "Délégué 6".encode() in data


def test_an_export_of_an_unknown_event_or_export_is_refused(
    client: Any, eshg: Any, expect_problem: Any
) -> None:
    expect_problem(client.post("/events/nosuch/report/exports"), 404, "unknown_event")
    expect_problem(eshg.get(f"{EXPORTS}/abcdef"), 404, "not_found")
    expect_problem(eshg.get(f"{EXPORTS}/not%20an%20id"), 422, "invalid_request")


def test_the_platform_key_cannot_export(eshg: Any, expect_problem: Any) -> None:
    expect_problem(eshg.post(EXPORTS, api_key_id=PLATFORM_KEY_ID), 403, "forbidden")
    export_id = eshg.post(EXPORTS).body["export_id"]
    answer = eshg.get(f"{EXPORTS}/{export_id}", api_key_id=PLATFORM_KEY_ID)
    expect_problem(answer, 403, "forbidden")


def test_an_export_that_cannot_be_written_says_failed_and_leaves_no_file(
    eshg: Any, aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from cme.errors import Throttled
    from cme.store.exports import ReportExports

    register(eshg, 2)

    def refused(*_: Any, **__: Any) -> None:
        raise Throttled("S3 said no", retry_after=2)

    monkeypatch.setattr(ReportExports, "put_csv", refused)
    export_id = eshg.post(EXPORTS).body["export_id"]
    answer = eshg.get(f"{EXPORTS}/{export_id}")
    assert answer.body["status"] == "failed"
    assert "url" not in answer.body
    listed = aws["s3"].list_objects_v2(Bucket=aws["CME_BUCKET_NAME"], Prefix="exports/")
    assert [o["Key"] for o in listed["Contents"]] == [f"exports/eshg2025/{export_id}.json"]


def test_a_task_delivered_twice_runs_once(eshg: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from cme import api, exports

    # Given the task is kept instead of run
    tasks: list[dict[str, Any]] = []
    monkeypatch.setattr(api.runtime, "launch", tasks.append)
    register(eshg, 1)
    export_id = eshg.post(EXPORTS).body["export_id"]
    assert eshg.get(f"{EXPORTS}/{export_id}").body["status"] == "running"
    (task,) = tasks
    assert task == {"cme_task": "report_export", "event_id": "eshg2025", "export_id": export_id}

    # When Lambda delivers it twice (asynchronous invocations are at least once)
    runs: list[int] = []
    real = exports.write_report_csv

    def counted(*args: Any, **kwargs: Any) -> int:
        runs.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(exports, "write_report_csv", counted)
    eshg.run_task(task)
    eshg.run_task(task)

    # Then the report was written once, and the export is done
    assert runs == [1]
    assert eshg.get(f"{EXPORTS}/{export_id}").body["status"] == "done"
