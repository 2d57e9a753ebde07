"""Races over real HTTP: concurrent identical and conflicting requests end in one
consistent state.

Each race starts its requests together (a thread pool behind a barrier) against a
`cme serve` of four workers, is repeated several times with fresh delegates, and is
judged afterwards through the API (statement, cart, report, certificate, verification)
and, where the API cannot tell, from the table itself: the server here keeps its data in
the serialised moto stand-in run by this test process (`fuzz_support.StoreStandIn`).
"""

from __future__ import annotations

import functools
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest

from tests.e2e.fuzz_support import (
    LoggedServer,
    StoreStandIn,
    start_logged_server,
    stop_logged_server,
)
from tests.e2e.served import Http, Reply, eshg_document

pytestmark = pytest.mark.e2e

EVENT = "eshg-races"
ROUNDS = 5


@dataclass
class Stack:
    server: LoggedServer
    store: StoreStandIn

    @property
    def http(self) -> Http:
        return self.server.http


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    store = StoreStandIn()
    try:
        server = start_logged_server(endpoint_url=store.url, workers=4)
        try:
            assert server.http.put(f"/events/{EVENT}", eshg_document(EVENT)).status == 201
            yield Stack(server, store)
        finally:
            stop_logged_server(server)
    finally:
        store.stop()


@pytest.fixture
def http(stack: Stack) -> Iterator[Http]:
    yield stack.http
    assert stack.server.alive()
    errors = [r for r in stack.server.log_records() if r.get("level") == "ERROR"]
    assert errors == [], errors[:3]


def together(calls: list[Callable[[], Reply]]) -> list[Reply]:
    """Run the calls at the same moment, one thread each; the replies in call order."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], Reply]) -> Reply:
        barrier.wait(timeout=30)
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def base(delegate_id: str) -> str:
    return f"/events/{EVENT}/delegates/{delegate_id}"


def register(http: Http, delegate_id: str, name: str = "Race Delegate") -> None:
    reply = http.put(base(delegate_id), {"name": name, "attendance": "in_person"})
    assert reply.status == 201, reply.data


def scan(scan_id: str, delegate_id: str, at: str = "2025-05-24T08:01:00+02:00") -> dict[str, str]:
    return {
        "scan_id": scan_id,
        "delegate_id": delegate_id,
        "station_id": "cme-desk-1",
        "scanned_at": at,
    }


def evaluation(at: str, **answers: Any) -> dict[str, Any]:
    return {"submitted_at": at, "answers": answers or {"relevance": 5}}


def evaluate(http: Http, delegate_id: str, session: str, at: str) -> None:
    reply = http.put(f"{base(delegate_id)}/evaluations/{session}", evaluation(at))
    assert reply.status == 201, reply.data


def statuses_by_session(http: Http, delegate_id: str) -> dict[str, str]:
    statement = http.get(f"{base(delegate_id)}/credits").body
    return {item["session_id"]: item["status"] for item in statement["cart"]}


def stored(stack: Stack, delegate_id: str, kind: str) -> list[dict[str, Any]]:
    """The delegate's items of one kind in the table (SCAN, EVAL, CART, CERT, ...)."""
    return stack.store.items(EVENT, f"DEL#{delegate_id}#{kind}#")


# --------------------------------------------------------------------------- scans


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_identical_scans_store_one_fact(stack: Stack, http: Http, round_: int) -> None:
    delegate_id = f"R-SAME-{round_}"
    register(http, delegate_id)
    evaluate(http, delegate_id, "S01", "2025-05-24T12:05:00+02:00")
    body = scan(f"same-{round_}", delegate_id)

    replies = together([lambda: http.post(f"/events/{EVENT}/scans", body)] * 12)

    assert sorted(r.status for r in replies) == [200] * 11 + [201]
    assert {r.body["duplicate"] for r in replies if r.status == 200} == {True}
    assert {r.body["day"] for r in replies} == {"2025-05-24"}
    assert statuses_by_session(http, delegate_id) == {"S01": "credited"}
    assert len(stored(stack, delegate_id, "SCAN")) == 1


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_one_scan_id_with_different_content_keeps_one(
    stack: Stack, http: Http, round_: int
) -> None:
    # Three contents for one scan id: other delegates, other days, each observable
    variants = {
        f"R-ID-{round_}-A": ("2025-05-24T08:01:00+02:00", "S01", "2025-05-24T12:05:00+02:00"),
        f"R-ID-{round_}-B": ("2025-05-25T08:01:00+02:00", "S05", "2025-05-25T10:10:00+02:00"),
        f"R-ID-{round_}-C": ("2025-05-26T08:01:00+02:00", "S10", "2025-05-26T10:10:00+02:00"),
    }
    for delegate_id, (_, session, evaluated_at) in variants.items():
        register(http, delegate_id)
        evaluate(http, delegate_id, session, evaluated_at)
    scan_id = f"reused-{round_}"
    bodies = [scan(scan_id, d, at) for d, (at, _, _) in variants.items()] * 4

    replies = together([functools.partial(http.post, f"/events/{EVENT}/scans", b) for b in bodies])

    assert Counter(r.status for r in replies)[201] == 1
    [winner] = [b for b, r in zip(bodies, replies, strict=True) if r.status == 201]
    for body, reply in zip(bodies, replies, strict=True):
        if body == winner:
            assert reply.status in {200, 201}
        else:
            assert (reply.status, reply.code) == (409, "id_reused"), reply.data
    for delegate_id, (_, session, _) in variants.items():
        won = delegate_id == winner["delegate_id"]
        expected = "credited" if won else "no_evidence"
        assert statuses_by_session(http, delegate_id) == {session: expected}
        assert len(stored(stack, delegate_id, "SCAN")) == (1 if won else 0)
    [guard] = stack.store.items(EVENT, f"SCANID#{scan_id}")
    assert guard["delegate_id"] == winner["delegate_id"]


# --------------------------------------------------------------------------- evaluations


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_evaluations_with_different_answers_store_one(
    stack: Stack, http: Http, round_: int
) -> None:
    delegate_id = f"R-EVAL-{round_}"
    register(http, delegate_id)
    at = "2025-05-24T14:40:00+02:00"
    bodies = [evaluation(at, relevance=i, comment=f"answer {i}") for i in range(8)]
    path = f"{base(delegate_id)}/evaluations/S03"

    replies = together([functools.partial(http.put, path, b) for b in bodies])

    assert sorted(r.status for r in replies) == [201] + [409] * 7
    assert {r.code for r in replies if r.status == 409} == {"already_evaluated"}
    [winner] = [b for b, r in zip(bodies, replies, strict=True) if r.status == 201]
    # Only the stored answers are a retry now; every other variant is refused
    for body in bodies:
        again = http.put(path, body)
        if body == winner:
            assert (again.status, again.body["duplicate"]) == (200, True)
        else:
            assert (again.status, again.code) == (409, "already_evaluated")
    [item] = http.get(f"{base(delegate_id)}/cart").body["items"]
    assert (item["session_id"], item["evaluation"]) == ("S03", "done")
    assert statuses_by_session(http, delegate_id) == {"S03": "no_evidence"}
    [stored_evaluation] = stored(stack, delegate_id, "EVAL")
    assert f'"comment":"{winner["answers"]["comment"]}"' in stored_evaluation["answers"]


@pytest.mark.parametrize("in_cart_first", [True, False], ids=["in-cart", "not-in-cart"])
@pytest.mark.parametrize("round_", range(ROUNDS))
def test_cart_removal_racing_the_evaluation(
    stack: Stack, http: Http, round_: int, in_cart_first: bool
) -> None:
    delegate_id = f"R-CART-{round_}-{int(in_cart_first)}"
    register(http, delegate_id)
    item = f"{base(delegate_id)}/cart/S03"
    if in_cart_first:
        assert http.put(item).status == 201
    path = f"{base(delegate_id)}/evaluations/S03"
    body = evaluation("2025-05-24T14:40:00+02:00")
    calls = [lambda: http.delete(item)] * 3 + [lambda: http.put(path, body)]

    replies = together(calls)

    removals, evaluated = replies[:3], replies[3]
    assert evaluated.status == 201, evaluated.data
    assert all(
        r.status == 204 or (r.status, r.code) == (409, "already_evaluated") for r in removals
    ), [(r.status, r.data) for r in removals]
    # Evaluated, so in the cart: over the API...
    [line] = http.get(f"{base(delegate_id)}/cart").body["items"]
    assert (line["session_id"], line["evaluation"]) == ("S03", "done")
    assert statuses_by_session(http, delegate_id) == {"S03": "no_evidence"}
    assert_problem_409 = http.delete(item)
    assert (assert_problem_409.status, assert_problem_409.code) == (409, "already_evaluated")
    # ...and in the table, where the API's reading (cart plus evaluated) cannot tell:
    # never an evaluation whose cart entry a removal deleted
    assert len(stored(stack, delegate_id, "EVAL")) == 1
    assert len(stored(stack, delegate_id, "CART")) == 1


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_cart_addition_racing_removal_agrees_with_the_table(
    stack: Stack, http: Http, round_: int
) -> None:
    delegate_id = f"R-ADD-{round_}"
    register(http, delegate_id)
    item = f"{base(delegate_id)}/cart/S03"
    calls = [lambda: http.put(item), lambda: http.delete(item)] * 3

    replies = together(calls)

    assert {r.status for r in replies[0::2]} <= {200, 201}
    assert {r.status for r in replies[1::2]} == {204}
    listed = [i["session_id"] for i in http.get(f"{base(delegate_id)}/cart").body["items"]]
    in_table = [i["session_id"] for i in stored(stack, delegate_id, "CART")]
    assert listed == in_table
    assert listed in ([], ["S03"])
    assert (statuses_by_session(http, delegate_id) == {"S03": "not_evaluated"}) == bool(listed)


# --------------------------------------------------------------------------- certificates


def ready(http: Http, delegate_id: str) -> None:
    """Registered, scanned on 24 May, S01 evaluated: 1.5 credits, certificate ready."""
    register(http, delegate_id)
    assert (
        http.post(f"/events/{EVENT}/scans", scan(f"scan-{delegate_id}", delegate_id)).status == 201
    )
    evaluate(http, delegate_id, "S01", "2025-05-24T12:05:00+02:00")


def certificates_in_table(stack: Stack, delegate_id: str) -> dict[str, str]:
    return {i["serial"]: i["status"] for i in stored(stack, delegate_id, "CERT")}


def report_row(http: Http, delegate_id: str) -> dict[str, Any]:
    rows = http.get(f"/events/{EVENT}/report?limit=5000").body["delegates"]
    [row] = [r for r in rows if r["delegate_id"] == delegate_id]
    return row


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_concurrent_issuing_gives_one_serial(stack: Stack, http: Http, round_: int) -> None:
    delegate_id = f"R-CERT-{round_}"
    ready(http, delegate_id)
    path = f"{base(delegate_id)}/certificate"

    replies = together([lambda: http.post(path)] * 8)

    assert sorted(r.status for r in replies) == [200] * 7 + [201]
    [serial] = {r.body["serial"] for r in replies}
    assert http.get(path).body["serial"] == serial
    row = report_row(http, delegate_id)
    assert (row["certificate_serial"], row["certificate_status"]) == (serial, "valid")
    assert http.get(f"/certificates/{serial}", key=None).body["status"] == "valid"
    assert certificates_in_table(stack, delegate_id) == {serial.replace("-", ""): "valid"}


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_issuing_racing_a_new_evaluation_states_old_or_new_facts(
    stack: Stack, http: Http, round_: int
) -> None:
    delegate_id = f"R-NEW-{round_}"
    ready(http, delegate_id)
    path = f"{base(delegate_id)}/certificate"
    new_evaluation = f"{base(delegate_id)}/evaluations/S03"
    body = evaluation("2025-05-24T14:40:00+02:00")

    issued, evaluated = together([lambda: http.post(path), lambda: http.put(new_evaluation, body)])

    assert evaluated.status == 201
    assert issued.status == 201, issued.data
    raced = issued.body
    assert (raced["total"], raced["days"][0]["credits"]) in {(1.5, 1.5), (3.0, 3.0)}
    # Asking again: the certificate states the new facts, and an older one is superseded
    latest = http.post(path)
    assert latest.body["total"] == 3.0
    if raced["total"] == 3.0:
        assert (latest.status, latest.body["serial"]) == (200, raced["serial"])
    else:
        assert latest.status == 201
        assert latest.body["serial"] != raced["serial"]
        public = http.get(f"/certificates/{raced['serial']}", key=None).body
        assert (public["status"], public["total"]) == ("superseded", 1.5)
    serial = latest.body["serial"]
    assert http.get(f"/certificates/{serial}", key=None).body["status"] == "valid"
    assert http.get(path).body["serial"] == serial
    assert report_row(http, delegate_id)["certificate_serial"] == serial
    in_table = certificates_in_table(stack, delegate_id)
    assert Counter(in_table.values())["valid"] == 1
    assert in_table[serial.replace("-", "")] == "valid"
