"""Badge scans: `POST /events/{event_id}/scans` and the offline station's batch
(`POST /events/{event_id}/scans/batch`), through the scan function's handler, on moto."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from cme.facts import Direction
from cme.settings import reset_settings

pytestmark = pytest.mark.usefixtures("parsed_once")

SCANS = "/events/eshg2025/scans"
BATCH = "/events/eshg2025/scans/batch"


def scan(scan_id: str, scanned_at: str, delegate_id: str = "D0001", **extra: Any) -> dict[str, Any]:
    return {
        "scan_id": scan_id,
        "delegate_id": delegate_id,
        "station_id": "cme-desk-1",
        "scanned_at": scanned_at,
        **extra,
    }


# --------------------------------------------------------------------------- one scan


def test_a_scan_is_stored_for_its_local_conference_day(delegate, eshg, stored_items):
    answer = eshg.post(SCANS, scan("9f1c2d0e-0001", "2025-05-24T08:01:00+02:00"))

    assert answer.status == 201
    assert answer.headers["content-type"] == "application/json"
    assert answer.body == {"scan_id": "9f1c2d0e-0001", "day": "2025-05-24", "duplicate": False}
    # The device's time is kept apart from the server's receive time.
    (fact,) = stored_items("DEL#D0001#SCAN#")
    assert fact["scanned_at"]["S"].startswith("2025-05-24T06:01:00")
    assert fact["received_at"]["S"].startswith("2025-06-15T12:00:00")  # the frozen clock
    assert fact["station_id"]["S"] == "cme-desk-1"


def test_the_day_is_the_local_date_in_the_event_timezone(delegate, eshg, subtests):
    for n, (scanned_at, day) in enumerate(
        [
            ("2025-05-25T00:30:00+02:00", "2025-05-25"),  # still 24 May in UTC
            ("2025-05-24T22:30:00Z", "2025-05-25"),  # the same instant stated in UTC
            ("2025-05-24T17:30:00-05:00", "2025-05-25"),  # and from a station set to Chicago
            ("2025-05-24T00:00:00+02:00", "2025-05-24"),  # the first instant of a day
            ("2025-05-27T23:59:59+02:00", "2025-05-27"),  # the last second of the congress
        ]
    ):
        with subtests.test(scanned_at=scanned_at):
            answer = eshg.post(SCANS, scan(f"s-{n}", scanned_at))
            assert (answer.status, answer.body["day"]) == (201, day)


def test_the_same_scan_again_is_a_duplicate(delegate, eshg, subtests):
    assert eshg.post(SCANS, scan("s-1", "2025-05-24T08:01:00+02:00")).status == 201

    for scanned_at in ["2025-05-24T08:01:00+02:00", "2025-05-24T06:01:00Z"]:  # the same instant
        with subtests.test(scanned_at=scanned_at):
            again = eshg.post(SCANS, scan("s-1", scanned_at))
            assert again.status == 200
            assert again.body == {"scan_id": "s-1", "day": "2025-05-24", "duplicate": True}


def test_the_same_scan_id_with_other_content_is_id_reused_and_the_first_stays(
    delegate, eshg, expect_problem, subtests
):
    eshg.put("/events/eshg2025/delegates/D0002", {"name": "Ana Ruiz", "attendance": "in_person"})
    eshg.post(SCANS, scan("s-1", "2025-05-24T08:01:00+02:00"))

    for change in [
        {"scanned_at": "2025-05-25T08:01:00+02:00"},
        {"scanned_at": "2025-05-24T08:01:01+02:00"},
        {"station_id": "cme-desk-2"},
        {"delegate_id": "D0002"},  # a scan_id is unique per event, across delegates
    ]:
        with subtests.test(change=change):
            other = eshg.post(SCANS, {**scan("s-1", "2025-05-24T08:01:00+02:00"), **change})
            expect_problem(other, 409, "id_reused")

    with subtests.test("an unknown delegate comes first"):
        stranger = eshg.post(SCANS, scan("s-1", "2025-05-24T08:01:00+02:00", "D0404"))
        expect_problem(stranger, 404, "unknown_delegate")

    first = eshg.post(SCANS, scan("s-1", "2025-05-24T08:01:00+02:00"))
    assert (first.status, first.body["day"]) == (200, "2025-05-24")


def test_the_same_scan_id_at_another_event_is_another_scan(delegate, eshg, programme_document):
    programme_document["event"]["id"] = "eshg2025b"
    assert eshg.put("/events/eshg2025b", programme_document).status == 201
    eshg.put("/events/eshg2025b/delegates/D0001", {"name": "Łukasz Żółć", "attendance": "online"})
    eshg.post(SCANS, scan("s-1", "2025-05-24T08:01:00+02:00"))

    answer = eshg.post("/events/eshg2025b/scans", scan("s-1", "2025-05-24T08:01:00+02:00"))

    assert (answer.status, answer.body["duplicate"]) == (201, False)


def test_an_unknown_event_or_delegate_is_404(eshg, expect_problem):
    unknown_event = eshg.post("/events/nope/scans", scan("s-1", "2025-05-24T08:01:00+02:00"))
    unknown_delegate = eshg.post(SCANS, scan("s-2", "2025-05-24T08:01:00+02:00", "D9999"))

    expect_problem(unknown_event, 404, "unknown_event")
    expect_problem(unknown_delegate, 404, "unknown_delegate")


def test_a_scan_outside_the_conference_days_is_refused(
    delegate, eshg, expect_problem, subtests, stored_items
):
    for n, scanned_at in enumerate(
        [
            "2025-05-23T23:59:59+02:00",  # the evening before
            "2025-05-23T21:59:59Z",  # the same, in UTC
            "2025-05-28T00:00:00+02:00",  # the night after
            "2025-06-01T10:00:00+02:00",  # on demand is no conference day
        ]
    ):
        with subtests.test(scanned_at=scanned_at):
            answer = eshg.post(SCANS, scan(f"s-{n}", scanned_at))
            expect_problem(answer, 422, "not_a_conference_day")
    assert stored_items("DEL#D0001#SCAN#") == []


def test_a_scan_ahead_of_the_server_clock_by_more_than_the_skew_is_refused(
    delegate, eshg, clock, expect_problem, monkeypatch
):
    clock[0] = datetime(2025, 5, 24, 8, 0, tzinfo=UTC)

    inside = eshg.post(SCANS, scan("s-1", "2025-05-24T08:05:00Z"))
    beyond = eshg.post(SCANS, scan("s-2", "2025-05-24T08:05:01Z"))

    assert inside.status == 201
    expect_problem(beyond, 422, "scanned_in_future")

    # The skew is a setting: one minute now.
    monkeypatch.setenv("CME_CLOCK_SKEW_SECONDS", "60")
    reset_settings()
    inside = eshg.post(SCANS, scan("s-3", "2025-05-24T08:01:00Z"))
    beyond = eshg.post(SCANS, scan("s-4", "2025-05-24T08:01:01Z"))

    assert inside.status == 201
    expect_problem(beyond, 422, "scanned_in_future")


def test_refused_scans_are_kept_with_their_reason(delegate, eshg, store, clock):
    clock[0] = datetime(2025, 5, 24, 8, 0, tzinfo=UTC)
    eshg.post(SCANS, scan("s-future", "2025-05-24T09:00:00Z"))
    eshg.post(SCANS, scan("s-early", "2025-05-23T08:00:00+02:00"))
    eshg.post(SCANS, scan("s-stranger", "2025-05-24T08:00:00+02:00", delegate_id="D0404"))
    eshg.post(SCANS, scan("s-good", "2025-05-24T08:00:00+02:00"))

    refused = {item.scan_id: item for item in store.refused_scans("eshg2025")}

    assert {scan_id: item.code for scan_id, item in refused.items()} == {
        "s-future": "scanned_in_future",
        "s-early": "not_a_conference_day",
        "s-stranger": "unknown_delegate",
    }
    assert refused["s-stranger"].delegate_id == "D0404"
    assert refused["s-early"].scanned_at == datetime(2025, 5, 23, 6, 0, tzinfo=UTC)
    assert refused["s-early"].received_at == clock[0]


# --------------------------------------------------------------------------- hall entrances


def test_a_hall_scan_keeps_its_room_and_direction(delegate, eshg, store, stored_items):
    entry = eshg.post(SCANS, scan("h-in", "2025-05-24T08:25:00+02:00", room="Gold"))
    leaving = eshg.post(
        SCANS, scan("h-out", "2025-05-24T10:00:00+02:00", room="Gold", direction="out")
    )
    desk = eshg.post(SCANS, scan("d-1", "2025-05-24T08:01:00+02:00"))

    assert [a.status for a in (entry, leaving, desk)] == [201, 201, 201]
    assert leaving.body == {"scan_id": "h-out", "day": "2025-05-24", "duplicate": False}
    facts = store.delegate_record("eshg2025", "D0001").facts
    assert {s.scan_id: (s.room, s.direction) for s in facts.scans} == {
        "h-in": ("Gold", Direction.IN),
        "h-out": ("Gold", Direction.OUT),
        "d-1": (None, Direction.IN),
    }
    items = {item["scan_id"]["S"]: item for item in stored_items("DEL#D0001#SCAN#")}
    assert (items["h-out"]["room"]["S"], items["h-out"]["direction"]["S"]) == ("Gold", "out")
    assert "room" not in items["d-1"]


def test_a_hall_scan_again_is_a_duplicate_and_its_room_or_direction_changed_is_id_reused(
    delegate, eshg, expect_problem, subtests
):
    eshg.post(SCANS, scan("h-1", "2025-05-24T08:25:00+02:00", room="Gold"))
    eshg.post(SCANS, scan("d-1", "2025-05-24T08:01:00+02:00"))

    for again in [
        scan("h-1", "2025-05-24T08:25:00+02:00", room="Gold"),
        scan("h-1", "2025-05-24T08:25:00+02:00", room="Gold", direction="in"),  # the default
        scan("d-1", "2025-05-24T08:01:00+02:00", room=None, direction="in"),
    ]:
        with subtests.test(again=again):
            answer = eshg.post(SCANS, again)
            assert (answer.status, answer.body["duplicate"]) == (200, True)

    for other in [
        scan("h-1", "2025-05-24T08:25:00+02:00", room="Silver"),
        scan("h-1", "2025-05-24T08:25:00+02:00", room="gold"),  # rooms compare exactly
        scan("h-1", "2025-05-24T08:25:00+02:00"),  # no room
        scan("h-1", "2025-05-24T08:25:00+02:00", room="Gold", direction="out"),
        scan("d-1", "2025-05-24T08:01:00+02:00", direction="out"),
        scan("d-1", "2025-05-24T08:01:00+02:00", room="Gold"),
    ]:
        with subtests.test(other=other):
            expect_problem(eshg.post(SCANS, other), 409, "id_reused")

    first = eshg.post(SCANS, scan("h-1", "2025-05-24T08:25:00+02:00", room="Gold"))
    assert first.status == 200


def test_hall_scans_reach_the_statement_by_their_room(delegate, eshg, programme_document):
    """Through the handlers to the engine, under `session_scan`: a scan in Gold 5 minutes
    before ES01 (Gold) is evidence for it, not for ES02 (Silver) in the same slot."""
    programme_document["event"]["policy"] = {"evidence": "session_scan"}
    assert eshg.put("/events/eshg2025", programme_document).status == 200
    assert eshg.post(SCANS, scan("h-1", "2025-05-24T08:25:00+02:00", room="Gold")).status == 201
    for session_id in ("ES01", "ES02"):
        body = {"submitted_at": "2025-05-24T10:05:00+02:00", "answers": {"useful": 5}}
        answer = eshg.put(f"/events/eshg2025/delegates/D0001/evaluations/{session_id}", body)
        assert answer.status == 201

    statement = eshg.get("/events/eshg2025/delegates/D0001/credits").body

    assert statement["total"] == 1.5
    assert {i["session_id"]: i["status"] for i in statement["cart"]} == {
        "ES01": "credited",
        "ES02": "no_evidence",
    }


def test_a_refused_hall_scan_is_kept_with_its_room_and_direction(delegate, eshg, store):
    eshg.post(SCANS, scan("h-1", "2025-05-24T08:25:00+02:00", room="Gold"))
    eshg.post(SCANS, scan("h-1", "2025-05-24T08:25:00+02:00", room="Gold", direction="out"))
    eshg.post(SCANS, scan("h-2", "2025-05-28T08:25:00+02:00", room="Silver", direction="out"))

    refused = {(r.scan_id, r.code): (r.room, r.direction) for r in store.refused_scans("eshg2025")}

    assert refused == {
        ("h-1", "id_reused"): ("Gold", Direction.OUT),
        ("h-2", "not_a_conference_day"): ("Silver", Direction.OUT),
    }


def test_a_room_is_printable_text_and_a_direction_in_or_out(
    delegate, eshg, expect_problem, subtests, stored_items
):
    for n, (field, value) in enumerate(
        [
            ("room", ""),
            ("room", "x" * 201),
            ("room", "Gold\nHall"),
            ("room", "Gold\u202e"),
            ("room", "\u200b"),  # nothing visible
            ("room", 5),
            ("room", ["Gold"]),
            ("direction", "sideways"),
            ("direction", "IN"),
            ("direction", None),
            ("direction", 1),
        ]
    ):
        with subtests.test(field=field, value=value):
            body = scan(f"h-{n}", "2025-05-24T08:25:00+02:00", **{field: value})
            problem = expect_problem(eshg.post(SCANS, body), 422, "invalid_request")
            assert {error["path"] for error in problem["errors"]} == {f"body.{field}"}
    longest = eshg.post(SCANS, scan("h-ok", "2025-05-24T08:25:00+02:00", room="Ł" * 200))
    assert longest.status == 201
    assert [item["scan_id"]["S"] for item in stored_items("DEL#D0001#SCAN#")] == ["h-ok"]


# --------------------------------------------------------------------------- batch


def test_a_batch_answers_each_scan_in_request_order_and_stores_the_good_ones(
    delegate, eshg, stored_items
):
    eshg.post(SCANS, scan("s-0", "2025-05-27T08:01:00+02:00"))
    scans = [
        scan("b-1", "2025-05-24T08:01:00+02:00"),
        {"scan_id": "b-2", "delegate_id": "D0001"},  # malformed: judged on its own
        scan("b-3", "2025-05-25T08:12:00+02:00"),
        scan("b-1", "2025-05-24T08:01:00+02:00"),  # a repeat inside the batch
        scan("b-4", "2025-05-23T08:00:00+02:00"),
        scan("b-5", "2025-05-24T08:00:00+02:00", delegate_id="D0404"),
        scan("b-3", "2025-05-26T08:00:00+02:00"),  # the id again, other content
        scan("b-6", "2025-05-24T08:00:00"),  # naive
        "not a scan",
        {"scan_id": 7},
        scan("s-0", "2025-05-27T08:01:00+02:00"),  # stored before the batch
    ]

    answer = eshg.post(BATCH, {"scans": scans})

    assert answer.status == 200
    results = [(r["scan_id"], r["status"], r.get("code")) for r in answer.body["results"]]
    assert results == [
        ("b-1", 201, None),
        ("b-2", 422, "invalid_request"),
        ("b-3", 201, None),
        ("b-1", 200, None),
        ("b-4", 422, "not_a_conference_day"),
        ("b-5", 404, "unknown_delegate"),
        ("b-3", 409, "id_reused"),
        ("b-6", 422, "invalid_request"),
        (None, 422, "invalid_request"),
        (None, 422, "invalid_request"),
        ("s-0", 200, None),
    ]
    assert [r.get("day") for r in answer.body["results"]][:4] == [
        "2025-05-24",
        None,
        "2025-05-25",
        "2025-05-24",
    ]
    stored = sorted(item["scan_id"]["S"] for item in stored_items("DEL#D0001#SCAN#"))
    assert stored == ["b-1", "b-3", "s-0"]


def test_batch_scans_carry_their_room_and_direction(delegate, eshg, store):
    eshg.post(SCANS, scan("h-0", "2025-05-24T08:20:00+02:00", room="Gold"))
    scans = [
        scan("h-1", "2025-05-24T08:25:00+02:00", room="Gold"),
        scan("h-2", "2025-05-24T10:00:00+02:00", room="Gold", direction="out"),
        scan("h-3", "2025-05-24T10:01:00+02:00", room="Silver", direction="sideways"),
        scan("h-4", "2025-05-24T10:02:00+02:00", room=""),
        scan("h-2", "2025-05-24T10:00:00+02:00", room="Gold", direction="out"),  # a repeat
        scan("h-2", "2025-05-24T10:00:00+02:00", room="Gold"),  # the id, another direction
        scan("h-0", "2025-05-24T08:20:00+02:00", room="Silver"),  # the id, another room
        scan("h-0", "2025-05-24T08:20:00+02:00", room="Gold", direction="in"),
    ]

    answer = eshg.post(BATCH, {"scans": scans})

    results = [(r["scan_id"], r["status"], r.get("code")) for r in answer.body["results"]]
    assert results == [
        ("h-1", 201, None),
        ("h-2", 201, None),
        ("h-3", 422, "invalid_request"),
        ("h-4", 422, "invalid_request"),
        ("h-2", 200, None),
        ("h-2", 409, "id_reused"),
        ("h-0", 409, "id_reused"),
        ("h-0", 200, None),
    ]
    facts = store.delegate_record("eshg2025", "D0001").facts
    assert {s.scan_id: (s.room, s.direction) for s in facts.scans} == {
        "h-0": ("Gold", Direction.IN),
        "h-1": ("Gold", Direction.IN),
        "h-2": ("Gold", Direction.OUT),
    }


def test_a_batch_of_500_is_taken(delegate, eshg, stored_items):
    # Mostly scans without a station (judged without a store call): moto copies the whole
    # table on every transaction, so 500 stored scans would only make the test slow.
    scans: list[Any] = [{"scan_id": f"b-{i:03d}", "delegate_id": "D0001"} for i in range(500)]
    for i, day in ((0, 24), (250, 25), (499, 26)):
        scans[i] = scan(f"b-{i:03d}", f"2025-05-{day}T08:01:00+02:00")

    answer = eshg.post(BATCH, {"scans": scans})

    assert answer.status == 200
    results = answer.body["results"]
    assert [r["scan_id"] for r in results] == [f"b-{i:03d}" for i in range(500)]
    assert [i for i, r in enumerate(results) if r["status"] == 201] == [0, 250, 499]
    assert {r.get("code") for r in results if r["status"] != 201} == {"invalid_request"}
    assert len(stored_items("DEL#D0001#SCAN#")) == 3


def test_a_batch_of_0_or_over_500_scans_or_another_envelope_is_refused_as_a_whole(
    delegate, eshg, expect_problem, subtests, stored_items
):
    one = scan("s-1", "2025-05-24T08:01:00+02:00")
    for count in (0, 501):
        with subtests.test(count=count):
            scans = [scan(f"b-{i:03d}", "2025-05-24T08:01:00+02:00") for i in range(count)]
            problem = expect_problem(eshg.post(BATCH, {"scans": scans}), 422, "invalid_request")
            assert [error["path"] for error in problem["errors"]] == ["body.scans"]
    for envelope in [{"scans": "s-1"}, {"scans": [one], "station": "x"}, {}, {"scans": None}]:
        with subtests.test(envelope=envelope):
            expect_problem(eshg.post(BATCH, envelope), 422, "invalid_request")
    assert stored_items("DEL#D0001#SCAN#") == []


def test_a_batch_for_an_unknown_event_is_404(client, expect_problem):
    answer = client.post(
        "/events/nope/scans/batch", {"scans": [scan("s-1", "2025-05-24T08:01:00+02:00")]}
    )

    expect_problem(answer, 404, "unknown_event")


# --------------------------------------------------------------------------- the store is busy


class _Busy:
    """A DynamoDB that throttles the writes naming one key (a botocore before-call hook)."""

    def __init__(self, marker: str) -> None:
        self.marker = marker.encode()
        self.refused = 0

    def __call__(self, params: dict[str, Any], **_: Any) -> Any:
        body = params.get("body") or b""
        body = body.encode() if isinstance(body, str) else body
        if self.marker not in body:
            return None
        self.refused += 1
        error = {
            "Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow down"},
            "ResponseMetadata": {"HTTPStatusCode": 400},
        }
        return _HttpStatus(400), error


class _HttpStatus:
    def __init__(self, status_code: int) -> None:
        self.status_code = status_code
        self.headers: dict[str, str] = {}
        self.content = b""


@pytest.fixture
def busy_on(store):
    """Install a `_Busy` on the store's DynamoDB client; the client outlives the test (it is
    cached with the models), so the hook is removed afterwards."""
    installed: list[_Busy] = []
    events = store.connection().client.meta.events

    def install(marker: str) -> _Busy:
        busy = _Busy(marker + '"')  # the whole key, not a prefix of a longer one
        events.register_first("before-call.dynamodb.TransactWriteItems", busy)
        installed.append(busy)
        return busy

    yield install
    for busy in installed:
        events.unregister("before-call.dynamodb.TransactWriteItems", busy)


@pytest.mark.usefixtures("delegate")
def test_a_scan_the_store_cannot_take_is_503_alone_and_in_a_batch(
    eshg, expect_problem, busy_on, stored_items, store
):
    busy = busy_on("SCANID#s-busy")
    busy_on("SCANID#b-2")

    alone = eshg.post(SCANS, scan("s-busy", "2025-05-24T08:01:00+02:00"))
    batch = [scan(f"b-{i}", "2025-05-24T08:01:00+02:00") for i in (1, 2, 3)]
    answer = eshg.post(BATCH, {"scans": batch})

    expect_problem(alone, 503, "throttled")
    assert int(alone.headers["retry-after"]) >= 1
    assert busy.refused >= 1
    results = [(r["scan_id"], r["status"], r.get("code")) for r in answer.body["results"]]
    assert results == [("b-1", 201, None), ("b-2", 503, "throttled"), ("b-3", 201, None)]
    stored = sorted(item["scan_id"]["S"] for item in stored_items("DEL#D0001#SCAN#"))
    assert stored == ["b-1", "b-3"]
    assert store.refused_scans("eshg2025") == []  # not refused: the station resends them
