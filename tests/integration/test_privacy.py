"""Privacy and retention through the handlers (CONTRACT.md, "Organiser decisions": export
and erasure; issue 13): an export holds everything stored about the delegate; an erasure
leaves no email and no answer anywhere in the table, keeps the facts, the certificates and
verification, and cannot be outrun by an evaluation or a test attempt; every item of an
event expires at its last day plus the retention period."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest

from cme.jsonio import dumps
from cme.settings import reset_settings
from cme.store.repository import DynamoStore
from cme_tools.local.events import PLATFORM_KEY_ID
from cme_tools.local.functions import Answer, Functions
from tests import ecm
from tests.integration import test_learning_tests

pytestmark = pytest.mark.usefixtures("parsed_once")

EVENT = ecm.EVENT
DELEGATES = f"/events/{EVENT}/delegates"
N1 = f"{DELEGATES}/N1"
EMAIL = "infermiera.n1@example.org"
COMMENT = "Relatore chiarissimo, grazie N1"
"""A free-text answer, unique in the table: found nowhere once erased."""
EXPIRES = int(datetime(2031, 6, 12, 22, 0, tzinfo=UTC).timestamp())
"""The worked variant's last day, 12 June 2025, ends at 00:00 in Rome (22:00 UTC); six
years later."""


def as_json(document: dict[str, Any]) -> dict[str, Any]:
    return json.loads(dumps(document))


def hall_scan(scan_id: str, clock: str, direction: str, day: str = "2025-06-12") -> dict[str, Any]:
    return {
        "scan_id": scan_id,
        "delegate_id": "N1",
        "station_id": "aula-1",
        "scanned_at": f"{day}T{clock}:00+02:00",
        "room": "Aula 1",
        "direction": direction,
    }


def evaluate(client: Functions, session_id: str, path: str = N1) -> Answer:
    body = {
        "submitted_at": ecm.EVALUATED.isoformat(),
        "answers": {"comment": f"{COMMENT} {session_id}", "rating": 5},
    }
    return client.put(f"{path}/evaluations/{session_id}", body)


def take_test(client: Functions, path: str = N1, attempt_id: str = "t-1") -> Answer:
    body = {
        "attempt_id": attempt_id,
        "submitted_at": ecm.TESTED.isoformat(),
        "answers": ecm.PASSING,
    }
    return client.post(f"{path}/tests/final/attempts", body)


def register(client: Functions, delegate_id: str = "N1") -> None:
    body = {"name": "Anna Rossi", "email": EMAIL, "attendance": "in_person", "profession": "nurse"}
    assert client.put(f"{DELEGATES}/{delegate_id}", body).status == 201


def scripted(client: Functions, *, revoke: bool = True) -> str:
    """One of every kind of item: a nurse registered with an email, entry and exit scans,
    a refused scan, a live view, the cart, two evaluations with answers, a passed test, a
    grant, an extension, a certificate and (with `revoke`) its revocation. The serial."""
    assert client.put(f"/events/{EVENT}", as_json(ecm.document())).status == 201
    register(client)
    assert client.post(f"/events/{EVENT}/scans", hall_scan("s-in", "08:50", "in")).status == 201
    assert client.post(f"/events/{EVENT}/scans", hall_scan("s-out", "12:58", "out")).status == 201
    late = hall_scan("s-late", "09:00", "in", day="2025-06-13")
    assert client.post(f"/events/{EVENT}/scans", late).code == "not_a_conference_day"
    view = {"view_id": "v-1", "session_id": "A", "kind": "live", "watched_at": ecm.at("09:30")}
    assert client.post(f"{N1}/views", as_json(view)).status == 201
    assert client.put(f"{N1}/cart/A").status == 201
    assert evaluate(client, "A").status == 201
    assert evaluate(client, "B").status == 201
    assert take_test(client).status == 201
    assert client.put(f"{N1}/grants/B", {"reason": "the exit scanner failed"}).status == 201
    extension = {"until": "2025-07-31T23:59:59", "reason": "late registration"}
    assert client.put(f"{N1}/extension", extension).status == 201
    issued = client.post(f"{N1}/certificate")
    assert issued.status == 201, issued.body
    serial = str(issued.body["serial"])
    if revoke:
        assert (
            client.post(f"/certificates/{serial}/revoke", {"reason": "issued twice"}).status == 200
        )
    return serial


def event_items(stored_items: Any) -> list[dict[str, Any]]:
    """Every item of the event: its partition, and its certificates by serial."""
    return [
        item
        for item in stored_items()
        if item["pk"]["S"] == f"EVENT#{EVENT}" or item.get("event_id", {}).get("S") == EVENT
    ]


def kinds(items: list[dict[str, Any]]) -> set[str]:
    """What each item is, from its sort key: `PROFILE`, `SCAN`, `AUDIT`, `CERT`..."""
    found = set()
    for item in items:
        parts = item["sk"]["S"].split("#")
        found.add(parts[2] if parts[0] == "DEL" else parts[0])
    return found


EVERY_KIND = {
    "PROGRAMME",
    "PROFILE",
    "SCAN",
    "VIEW",
    "CART",
    "EVAL",
    "ATTEMPT",
    "TESTS",
    "GRANT",
    "EXTENSION",
    "REVOKED",
    "CERT",
    "CERTHEAD",
    "AUDIT",
    "SCANID",
    "VIEWID",
    "REFUSED",
    "PROJ",
}


def erase(client: Functions, path: str = N1, **kw: Any) -> Answer:
    return client.delete(path, body={"reason": "the delegate asked (GDPR art. 17)"}, **kw)


def erasures(client: Functions) -> list[dict[str, Any]]:
    entries = client.get(f"/events/{EVENT}/audit").body["entries"]
    return [e for e in entries if e["action"] == "delegate_erased"]


def no_personal_data_left(stored_items: Any) -> None:
    """No email and no answer anywhere in the table (every item, every attribute)."""
    items = stored_items()
    text = json.dumps(items, ensure_ascii=False, default=str)  # the programme is binary
    assert EMAIL not in text
    assert COMMENT not in text
    assert [item["sk"]["S"] for item in items if "answers" in item] == []


# --------------------------------------------------------------------------- retention


def test_every_item_of_an_event_expires_at_its_last_day_plus_the_retention(
    client: Functions, stored_items: Any
) -> None:
    # Given one of every kind of item of an event
    scripted(client)

    # Then every one of them, the certificate by serial too, expires six years after the
    # end of the event's last day in its zone
    items = event_items(stored_items)
    assert kinds(items) == EVERY_KIND | {"CERT"}
    assert any(item["pk"]["S"].startswith("CERT#") for item in items)
    assert {int(item["expires_at"]["N"]) for item in items} == {EXPIRES}
    assert len(items) == len(stored_items())  # nothing of the table was left out


@pytest.fixture
def two_years(aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The stack deployed with RetentionYears 2 (requested before the store is made)."""
    monkeypatch.setenv("CME_RETENTION_YEARS", "2")
    reset_settings()
    yield
    reset_settings()


def test_the_retention_is_the_stacks(two_years: None, client: Functions, stored_items: Any) -> None:
    scripted(client, revoke=False)

    expected = int(datetime(2027, 6, 12, 22, 0, tzinfo=UTC).timestamp())
    assert {int(item["expires_at"]["N"]) for item in stored_items()} == {expected}


def with_a_second_day(document: dict[str, Any]) -> dict[str, Any]:
    document["days"].append({"date": "2025-06-13", "cap": "4"})
    document["slots"].append(
        {"id": "am2", "date": "2025-06-13", "start": "09:00", "end": "13:00", "max": "4"}
    )
    document["sessions"].append(
        {"id": "C", "slot": "am2", "title": "Sessione C", "start": "09:00", "end": "11:00"}
    )
    return as_json(document)


def test_a_replacement_that_moves_the_last_day_restamps_every_item(
    client: Functions, stored_items: Any
) -> None:
    # Given an event with one of every kind of item
    scripted(client)
    count = len(stored_items())

    # When a replacement adds a day after the last one
    assert client.put(f"/events/{EVENT}", with_a_second_day(ecm.document())).status == 200

    # Then every item (the entry of the replacement too) expires a day later
    a_day_later = EXPIRES + 24 * 3600
    assert {int(item["expires_at"]["N"]) for item in stored_items()} == {a_day_later}
    assert len(stored_items()) == count + 1  # its audit entry

    # And when the day is dropped again, they go back; a fact written since follows too
    assert client.put(f"/events/{EVENT}", as_json(ecm.document())).status == 200
    register(client, "N2")
    assert {int(item["expires_at"]["N"]) for item in stored_items()} == {EXPIRES}


# --------------------------------------------------------------------------- export


def test_the_export_holds_everything_stored_about_the_delegate(client: Functions) -> None:
    serial = scripted(client)

    answer = client.get(f"{N1}/export")

    assert answer.status == 200
    assert answer.headers["cache-control"] == "no-store"
    exported = answer.body
    assert exported["profile"] == {
        "name": "Anna Rossi",
        "email": EMAIL,
        "attendance": "in_person",
        "profession": "nurse",
        "erased_at": None,
    }
    assert [(s["scan_id"], s["direction"]) for s in exported["scans"]] == [
        ("s-in", "in"),
        ("s-out", "out"),
    ]
    assert [v["view_id"] for v in exported["views"]] == ["v-1"]
    assert exported["cart"] == ["A", "B"]
    assert [e["answers"]["comment"] for e in exported["evaluations"]] == [
        f"{COMMENT} A",
        f"{COMMENT} B",
    ]
    (attempt,) = exported["test_attempts"]
    assert (attempt["answers"], attempt["score"], attempt["passed"]) == (ecm.PASSING, 1, True)
    assert exported["tests"] == [
        {"test_id": "final", "passed": True, "attempts_used": 1, "attempts_left": 0}
    ]
    assert exported["decisions"]["extension"]["until"] == "2025-07-31T23:59:59"
    assert [g["session_id"] for g in exported["decisions"]["grants"]] == ["B"]
    assert exported["decisions"]["revocation"]["reason"] == "issued twice"
    (certificate,) = exported["certificates"]
    assert (certificate["serial"], certificate["status"], certificate["total"]) == (
        serial,
        "revoked",
        4.0,
    )
    assert [r["code"] for r in exported["refused_scans"]] == ["not_a_conference_day"]
    assert [e["action"] for e in exported["audit"]] == [
        "certificate_revoked",
        "extension_granted",
        "evidence_granted",
    ]


def test_an_unknown_event_or_delegate_has_no_export_and_no_erasure(
    client: Functions, expect_problem: Any
) -> None:
    expect_problem(client.get(f"{N1}/export"), 404, "unknown_event")
    expect_problem(erase(client), 404, "unknown_event")
    assert client.put(f"/events/{EVENT}", as_json(ecm.document())).status == 201
    expect_problem(client.get(f"{N1}/export"), 404, "unknown_delegate")
    expect_problem(erase(client), 404, "unknown_delegate")
    expect_problem(client.delete(N1, body={"reason": ""}), 422, "invalid_request")


def test_both_routes_are_the_organisers(client: Functions, expect_problem: Any) -> None:
    assert client.put(f"/events/{EVENT}", as_json(ecm.document())).status == 201
    register(client)
    platform = {"api_key_id": PLATFORM_KEY_ID}
    expect_problem(client.get(f"{N1}/export", **platform), 403, "forbidden")
    expect_problem(erase(client, **platform), 403, "forbidden")
    assert client.get(f"{N1}/export").body["profile"]["email"] == EMAIL  # nothing erased


# --------------------------------------------------------------------------- erasure


def test_an_erasure_leaves_no_email_and_no_answer_and_keeps_the_rest(
    client: Functions, stored_items: Any
) -> None:
    # Given a delegate with every kind of fact and a valid certificate
    serial = scripted(client, revoke=False)
    statement = client.get(f"{N1}/credits").body
    report = client.get(f"/events/{EVENT}/report").body
    before = client.get(f"{N1}/export").body
    assert EMAIL in json.dumps(stored_items(), default=str)

    # When the organiser erases the delegate
    answer = erase(client)

    # Then no email and no answer is left anywhere in the table
    assert answer.status == 204
    no_personal_data_left(stored_items)
    # and the export shows what is left: the name, the facts, the scores, the certificate
    after = client.get(f"{N1}/export").body
    assert after["profile"] == {
        **before["profile"],
        "email": None,
        "erased_at": "2025-06-15T12:00:00Z",
    }
    assert after["evaluations"] == [{**e, "answers": {}} for e in before["evaluations"]]
    assert after["test_attempts"] == [{**a, "answers": {}} for a in before["test_attempts"]]
    for unchanged in ("scans", "views", "cart", "tests", "decisions", "certificates"):
        assert after[unchanged] == before[unchanged], unchanged
    assert after["audit"][0]["action"] == "delegate_erased"
    assert after["audit"][1:] == before["audit"]
    # and credits, the report and verification do not move
    assert client.get(f"{N1}/credits").body == statement
    assert client.get(f"/events/{EVENT}/report").body == report
    (row,) = stored_items("PROJ#N1")
    assert row["pending"] == row["projected"]  # the kept row is still current
    verified = client.get(f"/certificates/{serial}", api_key_id=None)
    assert verified.status == 200
    assert (verified.body["status"], verified.body["delegate_name"]) == ("valid", "Anna Rossi")
    # and the trail says who erased, when and why, with no email or answer in it
    (entry,) = erasures(client)
    assert (entry["target"], entry["reason"]) == (
        "delegates/N1",
        "the delegate asked (GDPR art. 17)",
    )


def test_erasing_again_completes_what_was_left_and_writes_no_second_entry(
    client: Functions, aws: dict[str, Any], stored_items: Any
) -> None:
    # Given an erasure that left an answer behind (it failed after its first transaction)
    scripted(client)
    assert erase(client).status == 204
    key = {"pk": {"S": f"EVENT#{EVENT}"}, "sk": {"S": "DEL#N1#EVAL#B"}}
    aws["dynamodb"].update_item(
        TableName=aws["CME_TABLE_NAME"],
        Key=key,
        UpdateExpression="SET answers = :a",
        ExpressionAttributeValues={":a": {"S": json.dumps({"comment": COMMENT})}},
    )

    # When the organiser erases again
    answer = erase(client)

    # Then it is done, and the trail holds one erasure
    assert answer.status == 204
    no_personal_data_left(stored_items)
    assert len(erasures(client)) == 1


serialised_moto = test_learning_tests.serialised_moto
"""moto answering one request at a time, as DynamoDB applies a transaction whole."""


def ready_to_answer(client: Functions, delegate_id: str) -> str:
    """A registered nurse of the worked variant, who has not yet evaluated or taken the test."""
    register(client, delegate_id)
    return f"{DELEGATES}/{delegate_id}"


@pytest.mark.usefixtures("serialised_moto")
def test_evaluations_and_attempts_racing_an_erasure_keep_no_answer(
    client: Functions, stored_items: Any
) -> None:
    # Given delegates about to evaluate two sessions and take the test
    assert client.put(f"/events/{EVENT}", as_json(ecm.document())).status == 201
    paths = [ready_to_answer(client, f"R{n}") for n in range(4)]

    # When each one's answers and their erasure arrive at once
    def race(path: str) -> list[Answer]:
        barrier = threading.Barrier(4)

        def at_once(call: Callable[[], Answer]) -> Answer:
            barrier.wait()
            return call()

        calls: list[Callable[[], Answer]] = [
            lambda: evaluate(client, "A", path),
            lambda: evaluate(client, "B", path),
            lambda: take_test(client, path),
            lambda: erase(client, path),
        ]
        with ThreadPoolExecutor(4) as pool:
            return list(pool.map(at_once, calls))

    answers = [race(path) for path in paths]
    outcomes = [[a.status for a in answered] for answered in answers]
    assert all(a.status < 400 for answered in answers for a in answered), [
        (a.status, a.text) for answered in answers for a in answered if a.status >= 400
    ]

    # Then every one was taken, and no answer is stored, whatever the order
    assert outcomes == [[201, 201, 201, 204]] * len(paths)
    no_personal_data_left(stored_items)
    assert len(stored_items("DEL#R")) > 0
    for path in paths:
        exported = client.get(f"{path}/export").body
        assert [e["answers"] for e in exported["evaluations"]] == [{}, {}]
        assert [(a["answers"], a["passed"]) for a in exported["test_attempts"]] == [({}, True)]
        assert client.get(f"{path}/credits").body["test_passed"] is True
        assert take_test(client, path).status == 200  # a resend: its test and instant decide
    assert len(erasures(client)) == len(paths)


@pytest.mark.parametrize("lands", ["after_the_read", "after_the_mark", "after_it"])
def test_an_evaluation_landing_inside_an_erasure_keeps_no_answer(
    client: Functions, store: DynamoStore, stored_items: Any, lands: str
) -> None:
    # Given a delegate who evaluated A, and whose evaluation of B arrives exactly while
    # the erasure runs (after it read the delegate's answers, or after it marked the
    # profile), or once it is done
    assert client.put(f"/events/{EVENT}", as_json(ecm.document())).status == 201
    register(client)
    assert evaluate(client, "A").status == 201
    transact = store.transact
    landed: list[Answer] = []

    def erasure_meets_an_evaluation(writes: Any, **kw: Any) -> None:
        first_of_erasure = {"delegate", "audit"} <= {w.label for w in writes}
        if first_of_erasure and not landed and lands == "after_the_read":
            landed.append(evaluate(client, "B"))
        transact(writes, **kw)
        if first_of_erasure and not landed and lands == "after_the_mark":
            landed.append(evaluate(client, "B"))

    store.transact = erasure_meets_an_evaluation  # type: ignore[method-assign]

    # When the organiser erases the delegate
    assert erase(client).status == 204
    if lands == "after_it":
        landed.append(evaluate(client, "B"))

    # Then the evaluation counts as a fact, and its answers are nowhere
    assert [a.status for a in landed] == [201]
    no_personal_data_left(stored_items)
    assert client.get(f"{N1}/export").body["cart"] == ["A", "B"]
    # and resending it is answered as the first time: its instant decides
    assert evaluate(client, "B").status == 200


def test_the_restamp_is_a_task_of_its_own_that_can_run_twice(
    client: Functions, stored_items: Any, store: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An ESHG-sized event holds some 140,000 items: their new expiry is not written within
    the replacement's request but handed to the tasks function, which may run it twice."""
    from cme import api

    scripted(client)
    tasks: list[dict[str, Any]] = []
    monkeypatch.setattr(api.runtime, "launch", tasks.append)

    # When a replacement moves the last day: answered at once, the task handed on
    assert client.put(f"/events/{EVENT}", with_a_second_day(ecm.document())).status == 200
    assert tasks == [{"cme_task": "restamp", "event_id": EVENT}]
    stale = [i for i in stored_items() if int(i["expires_at"]["N"]) == EXPIRES]
    assert len(stale) == len(stored_items()) - 3  # all but what the replacement wrote

    # Then the task stamps what is left, and a second run finds nothing to do
    client.run_task(tasks[0])
    assert {int(i["expires_at"]["N"]) for i in stored_items()} == {EXPIRES + 24 * 3600}
    assert store.restamp(EVENT) == 0

    # And a replacement that keeps the last day hands on nothing
    assert client.put(f"/events/{EVENT}", with_a_second_day(ecm.document())).status in (200,)
    assert len(tasks) == 1
