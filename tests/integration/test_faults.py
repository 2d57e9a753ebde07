"""AWS faults: DynamoDB throttling, server errors, lost connections and lost responses, and
S3 failures while issuing, through the real handlers on moto.

The faults sit where AWS would be: around moto's request handler, itself a hook on
botocore's `before-send` event, so a faulted request never reaches moto (or, for a lost
answer, reaches it and the answer is dropped). botocore parses the fault's HTTP answer and
retries it as it would against AWS, pynamodb wraps it, and the store's own retries run;
only botocore's back-off sleeps are recorded instead of slept. After every fault the table
is read back: a write that answered 503 left nothing behind, and what is stored is whole
(no scan guard without its fact, no evaluation without its cart entry, no certificate
record without its PDF).
"""

from __future__ import annotations

import json
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import botocore.endpoint
import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import EndpointConnectionError, ReadTimeoutError
from moto.core.botocore_stubber import BotocoreStubber, MockRawResponse

from cme.store.files import CertificateFiles
from cme.store.repository import DynamoStore

pytestmark = pytest.mark.usefixtures("parsed_once")

EVENT = "/events/eshg2025"
BASE = f"{EVENT}/delegates/D0001"
WRITES = frozenset({"TransactWriteItems", "PutItem", "UpdateItem", "DeleteItem"})
READS = frozenset({"GetItem", "Query", "BatchGetItem"})

# --------------------------------------------------------------------------- the faults


@dataclass(frozen=True)
class Fault:
    """What AWS answers instead of doing the request (`status`, `code`), or, for `raises`,
    the connection error botocore meets. `applied` faults let the request through to moto
    and then lose the answer: the write happened, the caller never heard."""

    name: str
    status: int = 0
    code: str = ""
    raises: Callable[[str], Exception] | None = None
    applied: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


THROUGHPUT = Fault("throughput", 400, "ProvisionedThroughputExceededException")
THROTTLING = Fault("throttling", 400, "ThrottlingException")
INTERNAL = Fault("internal", 500, "InternalServerError")
UNREACHABLE = Fault("unreachable", raises=lambda url: EndpointConnectionError(endpoint_url=url))
LOST = Fault(
    "lost-response",
    raises=lambda url: ReadTimeoutError(endpoint_url=url, error="read timed out"),
    applied=True,
)
DYNAMODB_FAULTS = [THROUGHPUT, THROTTLING, INTERNAL, UNREACHABLE]


def cancelled(reason: str) -> Fault:
    """A transaction DynamoDB cancelled because one of its items was throttled."""
    return Fault(
        f"cancelled-{reason}",
        400,
        "TransactionCanceledException",
        extra={
            "CancellationReasons": [
                {"Code": "None"},
                {"Code": reason, "Message": "Throughput exceeds the current capacity"},
                {"Code": "None"},
            ]
        },
    )


S3_SLOW_DOWN = Fault("s3-slow-down", 503, "SlowDown")
S3_INTERNAL = Fault("s3-internal", 500, "InternalError")


@dataclass
class Rule:
    fault: Fault
    service: str
    operations: frozenset[str] | None
    touching: str | None
    skip: int
    times: int | None
    seen: int = 0
    failed: int = 0

    def applies(self, service: str, operation: str, body: str) -> bool:
        if service != self.service:
            return False
        if self.operations is not None and operation not in self.operations:
            return False
        if self.touching is not None and self.touching not in body:
            return False
        self.seen += 1
        if self.seen <= self.skip or (self.times is not None and self.failed >= self.times):
            return False
        self.failed += 1
        return True


class AwsFaults:
    """The fault plan: which requests fail and how; counts every request sent."""

    def __init__(self) -> None:
        self.rules: list[Rule] = []
        self.sent: Counter[str] = Counter()
        self.failed: Counter[str] = Counter()
        self.backoff: list[float] = []
        self.counting = threading.Lock()

    def fail(
        self,
        fault: Fault,
        *,
        service: str = "dynamodb",
        operations: frozenset[str] | None = None,
        touching: str | None = None,
        skip: int = 0,
        times: int | None = None,
    ) -> None:
        """From now on, requests to `service` (of `operations`, whose body mentions
        `touching`) fail with `fault`: after `skip` of them pass, `times` times (None: until
        `clear`)."""
        self.rules.append(Rule(fault, service, operations, touching, skip, times))

    def clear(self) -> None:
        self.rules.clear()

    def send(self, event_name: str, request: Any, forward: Callable[[], Any]) -> Any:
        _, service, operation = event_name.split(".", 2)
        body = request.body.decode() if isinstance(request.body, bytes) else str(request.body)
        with self.counting:  # a batch's scans come from several threads
            self.sent[operation] += 1
            rule = next((r for r in self.rules if r.applies(service, operation, body)), None)
            if rule is not None:
                self.failed[operation] += 1
        if rule is None:
            return forward()
        fault = rule.fault
        if fault.applied:
            forward()
        if fault.raises is not None:
            raise fault.raises(request.url)
        return _error_response(request.url, service, fault)


def _error_response(url: str, service: str, fault: Fault) -> AWSResponse:
    if service == "s3":
        body = (
            f"<?xml version='1.0' encoding='UTF-8'?><Error><Code>{fault.code}</Code>"
            f"<Message>injected</Message><RequestId>fault</RequestId></Error>"
        ).encode()
        headers = {"Content-Type": "application/xml"}
    else:
        document = {
            "__type": f"com.amazonaws.dynamodb.v20120810#{fault.code}",
            "message": "injected",
            **fault.extra,
        }
        body = json.dumps(document).encode()
        headers = {"Content-Type": "application/x-amz-json-1.0", "x-amzn-RequestId": "fault"}
    return AWSResponse(url, fault.status, headers, MockRawResponse(body))


@pytest.fixture
def fresh_aws_clients() -> Iterator[None]:
    """New botocore clients (before and after), so that earlier tests' failed attempts have
    not used up botocore's retry quota: for tests that count on botocore retrying."""

    def reset() -> None:
        DynamoStore.reset_connections()
        CertificateFiles._default = None

    reset()
    yield
    reset()


@pytest.fixture
def faults(aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> AwsFaults:
    plan = AwsFaults()
    forward_to_moto = BotocoreStubber.__call__

    def stand_in(stubber: BotocoreStubber, event_name: str, request: Any, **kw: Any) -> Any:
        return plan.send(
            event_name, request, lambda: forward_to_moto(stubber, event_name, request, **kw)
        )

    monkeypatch.setattr(BotocoreStubber, "__call__", stand_in)
    # botocore's back-off between its own attempts: recorded, not slept
    monkeypatch.setattr(botocore.endpoint, "time", SimpleNamespace(sleep=plan.backoff.append))
    return plan


# --------------------------------------------------------------------------- what is stored

Items = dict[tuple[str, str], dict[str, Any]]


class Stored:
    """The table and the bucket as moto holds them (read with the test's own clients, so
    disarm the faults before looking)."""

    def __init__(self, aws: dict[str, Any], stored_items: Any) -> None:
        self._aws = aws
        self._stored_items = stored_items

    def items(self) -> Items:
        return {(i["pk"]["S"], i["sk"]["S"]): i for i in self._stored_items()}

    def scans(self) -> list[str]:
        """The sort keys of D0001's scan facts and of every scan guard."""
        return sorted(sk for _, sk in self.items() if sk.startswith(("SCANID#", "DEL#D0001#SCAN#")))

    def pdfs(self) -> set[str]:
        listing = self._aws["s3"].list_objects_v2(Bucket=self._aws["CME_BUCKET_NAME"])
        return {o["Key"] for o in listing.get("Contents", [])}

    def assert_whole(self) -> None:
        assert broken_wholes(self.items(), self.pdfs()) == []


@pytest.fixture
def stored(aws: dict[str, Any], stored_items: Any) -> Stored:
    return Stored(aws, stored_items)


def broken_wholes(items: Items, pdf_keys: set[str]) -> list[str]:
    """Everything stored that is half of something, each as a sentence naming the item."""
    problems: list[str] = []
    for (pk, sk), item in items.items():
        for pattern, check in _WHOLES:
            if match := re.fullmatch(pattern, sk):
                problems.extend(check(items, pdf_keys, pk, match, item))
    valid = Counter(
        (pk, sk.split("#")[1])
        for (pk, sk), item in items.items()
        if re.fullmatch(r"DEL#[^#]+#CERT#.+", sk) and item["status"]["S"] == "valid"
    )
    problems.extend(f"{d} has {n} valid certificates" for (_, d), n in valid.items() if n > 1)
    return problems


def _guard(items: Items, _: set[str], pk: str, m: re.Match[str], item: dict[str, Any]):
    kind, fact_id = m.groups()
    if (pk, f"DEL#{item['delegate_id']['S']}#{kind}#{fact_id}") not in items:
        yield f"{m[0]} has no fact DEL#{item['delegate_id']['S']}#{kind}#{fact_id}"


def _fact(items: Items, _: set[str], pk: str, m: re.Match[str], item: dict[str, Any]):
    delegate, kind, fact_id = m.groups()
    guard = items.get((pk, f"{kind}ID#{fact_id}"))
    if guard is None or guard["delegate_id"]["S"] != delegate:
        yield f"{m[0]} has no guard {kind}ID#{fact_id}"


def _evaluation(items: Items, _: set[str], pk: str, m: re.Match[str], item: dict[str, Any]):
    if (pk, f"DEL#{m[1]}#CART#{m[2]}") not in items:
        yield f"{m[0]} is not in the cart"


def _copy(items: Items, _: set[str], pk: str, m: re.Match[str], item: dict[str, Any]):
    record = items.get((f"CERT#{m[2]}", "CERT"))
    if record is None:
        yield f"{m[0]} has no record CERT#{m[2]}"
    elif record["status"]["S"] != item["status"]["S"]:
        yield f"{m[0]} is {item['status']['S']}, its record {record['status']['S']}"


def _head(items: Items, _: set[str], pk: str, m: re.Match[str], item: dict[str, Any]):
    if (pk, f"DEL#{m[1]}#CERT#{item['serial']['S']}") not in items:
        yield f"{m[0]} names {item['serial']['S']}, which is not stored"


def _record(items: Items, pdf_keys: set[str], pk: str, m: re.Match[str], item: dict[str, Any]):
    event, delegate = item["event_id"]["S"], item["delegate_id"]["S"]
    if (f"EVENT#{event}", f"DEL#{delegate}#CERT#{item['serial']['S']}") not in items:
        yield f"{pk} has no delegate copy"
    if item["pdf_key"]["S"] not in pdf_keys:
        yield f"{pk} has no PDF"


def _owner(items: Items, _: set[str], pk: str, m: re.Match[str], item: dict[str, Any]):
    if (pk, f"DEL#{m[1]}#PROFILE") not in items:
        yield f"{m[0]} belongs to no registered delegate"


_WHOLES = [
    (r"(SCAN|VIEW)ID#(.+)", _guard),
    (r"DEL#([^#]+)#(SCAN|VIEW)#(.+)", _fact),
    (r"DEL#([^#]+)#EVAL#(.+)", _evaluation),
    (r"DEL#([^#]+)#CERT#(.+)", _copy),
    (r"DEL#([^#]+)#CERTHEAD", _head),
    (r"CERT", _record),
    (r"DEL#([^#]+)#(?!PROFILE).+", _owner),
]


def assert_throttled(answer: Any) -> None:
    """503 `throttled` as problem+json, with a Retry-After in whole seconds."""
    assert (answer.status, answer.code) == (503, "throttled"), answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.body["status"] == 503
    assert "Traceback" not in answer.text
    assert int(answer.headers["retry-after"]) >= 1


# --------------------------------------------------------------------------- the routes


def scan_body(scan_id: str, at: str = "2025-05-24T08:01:00+02:00", delegate: str = "D0001"):
    return {"scan_id": scan_id, "delegate_id": delegate, "station_id": "desk-1", "scanned_at": at}


def evaluation(at: str = "2025-05-24T12:05:00+02:00") -> dict[str, Any]:
    return {"submitted_at": at, "answers": {"useful": 5, "comment": "clear"}}


@pytest.fixture
def ready(delegate: str, eshg: Any) -> Any:
    """D0001 scanned on 24 May and evaluated S01 and S03: 3.0 credits, ready for a
    certificate."""
    assert eshg.post(f"{EVENT}/scans", scan_body("first", "2025-05-24T08:00:00+02:00")).status
    assert eshg.put(f"{BASE}/evaluations/S01", evaluation()).status == 201
    assert eshg.put(f"{BASE}/evaluations/S03", evaluation("2025-05-24T14:35:00+02:00")).status
    assert eshg.get(f"{BASE}/credits").body["total"] == 3.0
    return eshg


def _evaluate_pl01(client: Any) -> None:
    """One more credited session (4.5 in all): the next certificate is a new one."""
    answer = client.put(f"{BASE}/evaluations/PL01", evaluation("2025-05-24T16:35:00+02:00"))
    assert answer.status == 201, answer.text


@dataclass(frozen=True)
class Route:
    """One request of the contract: `faulted` names the DynamoDB operations to fail (the
    write for a route that writes, so that its reads succeed first), `prepare` brings the
    delegate to where the request makes sense, `succeeds` is the status once the store is
    back."""

    name: str
    method: str
    path: str
    body: Any
    succeeds: int
    faulted: frozenset[str]
    prepare: Callable[[Any], None] = lambda client: None


def _issue(client: Any) -> None:
    assert client.post(f"{BASE}/certificate").status == 201


def _serial(client: Any) -> str:
    return str(client.get(f"{BASE}/certificate").body["serial"])


def _cart_s05(client: Any) -> None:
    assert client.put(f"{BASE}/cart/S05").status == 201


ROUTES = [
    Route("scan", "POST", f"{EVENT}/scans", scan_body("s-9"), 201, WRITES),
    Route(
        "view",
        "POST",
        f"{BASE}/views",
        {
            "view_id": "v-1",
            "session_id": "S02",
            "kind": "live",
            "watched_at": "2025-05-24T10:45:00+02:00",
        },
        201,
        WRITES,
    ),
    Route("cart put", "PUT", f"{BASE}/cart/S05", None, 201, WRITES),
    Route("cart delete", "DELETE", f"{BASE}/cart/S05", None, 204, WRITES, _cart_s05),
    Route("cart get", "GET", f"{BASE}/cart", None, 200, READS),
    Route(
        "evaluation",
        "PUT",
        f"{BASE}/evaluations/S02",
        evaluation("2025-05-24T12:10:00+02:00"),
        201,
        WRITES,
    ),
    Route("statement", "GET", f"{BASE}/credits", None, 200, READS),
    Route("report", "GET", f"{EVENT}/report", None, 200, READS),
    Route("programme put", "PUT", EVENT, "programme", 200, WRITES),
    Route(
        "delegate put",
        "PUT",
        f"{EVENT}/delegates/D0002",
        {"name": "Ana Pérez", "attendance": "online"},
        201,
        WRITES,
    ),
    Route("certificate issue", "POST", f"{BASE}/certificate", None, 201, WRITES),
    Route("certificate get", "GET", f"{BASE}/certificate", None, 200, READS, _issue),
    Route("verification", "GET", "/certificates/{serial}", None, 200, READS, _issue),
    Route(
        "revocation",
        "POST",
        "/certificates/{serial}/revoke",
        {"reason": "issued in error"},
        200,
        WRITES,
        _issue,
    ),
]
ANSWERED = [THROUGHPUT, THROTTLING, INTERNAL]


@pytest.mark.parametrize(
    ("route", "fault"),
    [
        pytest.param(route, fault, id=f"{route.name}-{fault.name}")
        for n, route in enumerate(ROUTES)
        for fault in (ANSWERED[n % len(ANSWERED)], UNREACHABLE)
    ],
)
def test_a_store_fault_is_a_503_that_changes_nothing_and_a_retry_succeeds(
    ready: Any, faults: AwsFaults, stored: Stored, route: Route, fault: Fault
) -> None:
    route.prepare(ready)
    path = route.path.replace("{serial}", _serial(ready)) if "{" in route.path else route.path
    body = ready.get(EVENT).body if route.body == "programme" else route.body
    before = stored.items()

    faults.fail(fault, operations=route.faulted)
    answer = ready.call(route.method, path, body)
    faults.clear()

    assert_throttled(answer)
    assert sum(faults.failed[op] for op in route.faulted) >= 1
    assert stored.items() == before
    retried = ready.call(route.method, path, body)
    assert retried.status == route.succeeds, retried.text
    stored.assert_whole()


@pytest.mark.parametrize("fault", DYNAMODB_FAULTS, ids=lambda f: f.name)
@pytest.mark.usefixtures("delegate")
def test_a_batch_scan_the_store_cannot_take_is_a_503_result_not_a_503_batch(
    eshg: Any, faults: AwsFaults, stored: Stored, fault: Fault
) -> None:
    before = stored.items()
    faults.fail(fault, operations=WRITES)
    answer = eshg.post(f"{EVENT}/scans/batch", {"scans": [scan_body("b-1"), scan_body("b-2")]})
    faults.clear()

    assert answer.status == 200
    assert answer.body["results"] == [
        {"scan_id": "b-1", "status": 503, "code": "throttled"},
        {"scan_id": "b-2", "status": 503, "code": "throttled"},
    ]
    assert stored.items() == before


# --------------------------------------------------------------------------- within retries


@pytest.mark.parametrize("fault", [*DYNAMODB_FAULTS, LOST], ids=lambda f: f.name)
@pytest.mark.usefixtures("fresh_aws_clients", "delegate")
def test_a_fault_that_clears_within_the_retries_is_invisible(
    eshg: Any, faults: AwsFaults, stored: Stored, fault: Fault
) -> None:
    """One failed attempt at each step of a delegate's day: the caller sees the contract's
    answers, as if nothing had happened, and each fact is stored once."""
    faults.fail(fault, times=1)
    assert eshg.post(f"{EVENT}/scans", scan_body("s-1")).status in _first_time(fault)
    faults.fail(fault, times=1)
    reply = eshg.put(f"{BASE}/evaluations/S01", evaluation())
    assert reply.status in _first_time(fault), reply.text
    faults.fail(fault, times=1)
    statement = eshg.get(f"{BASE}/credits")
    faults.fail(fault, times=1)
    issued = eshg.post(f"{BASE}/certificate")
    faults.clear()

    assert sum(faults.failed.values()) == 4
    assert statement.status == 200
    assert statement.body["total"] == 1.5
    assert issued.status in _first_time(fault)
    assert stored.scans() == ["DEL#D0001#SCAN#s-1", "SCANID#s-1"]
    assert sum(1 for pk, _ in stored.items() if pk.startswith("CERT#")) == 1
    stored.assert_whole()


def _first_time(fault: Fault) -> set[int]:
    """A lost answer to a write that happened: the retry finds the write done and answers
    as for a repeat (200, `duplicate`), because the store sends no ClientRequestToken that
    would let DynamoDB answer the retry as the first. Any other fault: the first's 201."""
    return {200, 201} if fault.applied else {201}


@pytest.mark.usefixtures("fresh_aws_clients", "delegate")
def test_a_lost_answer_to_a_scan_stores_it_once_and_says_so(
    eshg: Any, faults: AwsFaults, stored: Stored
) -> None:
    faults.fail(LOST, operations=frozenset({"TransactWriteItems"}), times=1)
    answer = eshg.post(f"{EVENT}/scans", scan_body("s-1"))
    faults.clear()

    assert answer.status in {200, 201}
    assert answer.body["duplicate"] is (answer.status == 200)
    assert answer.body["day"] == "2025-05-24"
    assert faults.sent["TransactWriteItems"] == 2  # botocore sent it again
    assert stored.scans() == ["DEL#D0001#SCAN#s-1", "SCANID#s-1"]
    stored.assert_whole()


@pytest.mark.parametrize("reason", ["ThrottlingError", "ProvisionedThroughputExceeded"])
@pytest.mark.usefixtures("delegate")
def test_a_transaction_cancelled_for_throttling_is_a_503(
    eshg: Any, faults: AwsFaults, stored: Stored, reason: str
) -> None:
    before = stored.items()
    faults.fail(cancelled(reason), operations=frozenset({"TransactWriteItems"}))
    answer = eshg.post(f"{EVENT}/scans", scan_body("s-1"))
    faults.clear()

    assert stored.items() == before
    assert_throttled(answer)


@pytest.mark.usefixtures("delegate")
def test_a_transaction_cancelled_for_throttling_leaves_nothing_written(
    eshg: Any, faults: AwsFaults, stored: Stored
) -> None:
    """Whatever its status, a cancelled transaction is all or
    nothing, and a resend is stored."""
    before = stored.items()
    faults.fail(cancelled("ThrottlingError"), operations=frozenset({"TransactWriteItems"}))
    answer = eshg.post(f"{EVENT}/scans", scan_body("s-1"))
    faults.clear()

    assert answer.status >= 500
    assert stored.items() == before
    assert eshg.post(f"{EVENT}/scans", scan_body("s-1")).status == 201
    stored.assert_whole()


# --------------------------------------------------------------------------- batches


SIX = [scan_body(f"b-{n}", f"2025-05-2{4 + n % 4}T08:0{n}:00+02:00") for n in range(1, 7)]


def _results(answer: Any) -> list[tuple[str, int]]:
    assert answer.status == 200, answer.text
    return [(r["scan_id"], r["status"]) for r in answer.body["results"]]


def _scan_keys(*numbers: int) -> list[str]:
    return sorted(k for n in numbers for k in (f"DEL#D0001#SCAN#b-{n}", f"SCANID#b-{n}"))


@pytest.mark.usefixtures("delegate")
def test_a_store_that_fails_from_the_third_scan_on_says_which_were_stored(
    eshg: Any, faults: AwsFaults, stored: Stored
) -> None:
    faults.fail(THROTTLING, operations=frozenset({"TransactWriteItems"}), skip=2)
    first = eshg.post(f"{EVENT}/scans/batch", {"scans": SIX})
    faults.clear()

    assert _results(first) == [
        ("b-1", 201),
        ("b-2", 201),
        ("b-3", 503),
        ("b-4", 503),
        ("b-5", 503),
        ("b-6", 503),
    ]
    assert {r.get("code") for r in first.body["results"][2:]} == {"throttled"}
    assert stored.scans() == _scan_keys(1, 2)

    resent = eshg.post(f"{EVENT}/scans/batch", {"scans": SIX})

    assert _results(resent) == [
        ("b-1", 200),
        ("b-2", 200),
        ("b-3", 201),
        ("b-4", 201),
        ("b-5", 201),
        ("b-6", 201),
    ]
    assert stored.scans() == _scan_keys(1, 2, 3, 4, 5, 6)
    stored.assert_whole()


@pytest.mark.parametrize("fault", DYNAMODB_FAULTS, ids=lambda f: f.name)
@pytest.mark.usefixtures("delegate")
def test_a_batch_whose_third_scan_fails_stores_the_rest_and_a_resend_completes_it(
    eshg: Any, faults: AwsFaults, stored: Stored, fault: Fault
) -> None:
    faults.fail(fault, operations=frozenset({"TransactWriteItems"}), touching="SCANID#b-3")
    first = eshg.post(f"{EVENT}/scans/batch", {"scans": SIX})
    faults.clear()

    assert _results(first) == [
        ("b-1", 201),
        ("b-2", 201),
        ("b-3", 503),
        ("b-4", 201),
        ("b-5", 201),
        ("b-6", 201),
    ]
    assert first.body["results"][2]["code"] == "throttled"
    assert stored.scans() == _scan_keys(1, 2, 4, 5, 6)

    resent = eshg.post(f"{EVENT}/scans/batch", {"scans": SIX})

    assert _results(resent) == [
        ("b-1", 200),
        ("b-2", 200),
        ("b-3", 201),
        ("b-4", 200),
        ("b-5", 200),
        ("b-6", 200),
    ]
    assert stored.scans() == _scan_keys(1, 2, 3, 4, 5, 6)
    stored.assert_whole()


@pytest.mark.parametrize("fault", [THROTTLING, cancelled("ThrottlingError")], ids=lambda f: f.name)
@pytest.mark.usefixtures("delegate")
def test_a_batch_recorded_side_by_side_answers_503_for_exactly_the_scans_not_taken(
    eshg: Any, faults: AwsFaults, stored: Stored, fault: Fault
) -> None:
    """Twelve scans of six delegates, recorded side by side; two fail."""
    for n in range(2, 7):
        eshg.put(f"{EVENT}/delegates/D000{n}", {"name": "Ana Pérez", "attendance": "online"})
    scans = [
        scan_body(f"p-{n}", f"2025-05-2{4 + n % 4}T08:0{n % 10}:00+02:00", f"D000{n % 6 + 1}")
        for n in range(12)
    ]
    for failing in ("SCANID#p-3", "SCANID#p-8"):
        faults.fail(fault, operations=frozenset({"TransactWriteItems"}), touching=failing)
    first = eshg.post(f"{EVENT}/scans/batch", {"scans": scans})
    faults.clear()

    expected = [(f"p-{n}", 503 if n in {3, 8} else 201) for n in range(12)]
    assert _results(first) == expected
    assert {r.get("code") for r in first.body["results"] if r["status"] == 503} == {"throttled"}
    taken = {s for _, sk in stored.items() if (s := sk.removeprefix("SCANID#")) != sk}
    assert taken == {f"p-{n}" for n in range(12)} - {"p-3", "p-8"}

    resent = eshg.post(f"{EVENT}/scans/batch", {"scans": scans})

    assert _results(resent) == [(i, 201 if i in {"p-3", "p-8"} else 200) for i, _ in expected]
    stored.assert_whole()


@pytest.mark.usefixtures("fresh_aws_clients", "delegate")
def test_a_lost_answer_inside_a_batch_is_stored_once(
    eshg: Any, faults: AwsFaults, stored: Stored
) -> None:
    faults.fail(LOST, operations=frozenset({"TransactWriteItems"}), touching="SCANID#b-3", times=1)
    first = eshg.post(f"{EVENT}/scans/batch", {"scans": SIX})
    faults.clear()

    statuses = dict(_results(first))
    assert statuses.pop("b-3") in {200, 201}
    assert set(statuses.values()) == {201}
    assert stored.scans() == _scan_keys(1, 2, 3, 4, 5, 6)
    resent = eshg.post(f"{EVENT}/scans/batch", {"scans": SIX})
    assert {status for _, status in _results(resent)} == {200}
    assert stored.scans() == _scan_keys(1, 2, 3, 4, 5, 6)
    stored.assert_whole()


# --------------------------------------------------------------------------- certificates


@pytest.mark.parametrize("fault", [S3_SLOW_DOWN, S3_INTERNAL, UNREACHABLE], ids=lambda f: f.name)
@pytest.mark.usefixtures("fresh_aws_clients")
def test_an_s3_fault_while_issuing_records_no_certificate(
    ready: Any, faults: AwsFaults, stored: Stored, fault: Fault
) -> None:
    before = stored.items()

    faults.fail(fault, service="s3", operations=frozenset({"PutObject"}))
    answer = ready.post(f"{BASE}/certificate")
    faults.clear()

    assert_throttled(answer)
    assert faults.failed["PutObject"] >= 2  # botocore retried before giving up
    assert stored.items() == before
    assert stored.pdfs() == set()
    retried = ready.post(f"{BASE}/certificate")
    assert retried.status == 201
    assert len(stored.pdfs()) == 1
    stored.assert_whole()


@pytest.mark.parametrize("fault", DYNAMODB_FAULTS, ids=lambda f: f.name)
def test_a_store_fault_after_the_pdf_leaves_the_pdf_unreferenced_never_a_record_without_it(
    ready: Any, faults: AwsFaults, stored: Stored, fault: Fault
) -> None:
    first = ready.post(f"{BASE}/certificate").body["serial"]
    _evaluate_pl01(ready)
    before = stored.items()

    faults.fail(fault, operations=frozenset({"TransactWriteItems"}))
    answer = ready.post(f"{BASE}/certificate")
    faults.clear()

    assert_throttled(answer)
    assert stored.items() == before
    assert len(stored.pdfs()) == 2  # the new PDF is written first, and stays unreferenced
    retried = ready.post(f"{BASE}/certificate")
    assert (retried.status, retried.body["total"]) == (201, 4.5)
    assert ready.get(f"/certificates/{first}").body["status"] == "superseded"
    stored.assert_whole()


@pytest.mark.usefixtures("fresh_aws_clients")
def test_a_lost_answer_while_recording_a_certificate_gives_the_one_recorded(
    ready: Any, faults: AwsFaults, stored: Stored
) -> None:
    faults.fail(LOST, operations=frozenset({"TransactWriteItems"}), times=1)
    answer = ready.post(f"{BASE}/certificate")
    faults.clear()

    assert answer.status in {200, 201}
    records = [pk for pk, _ in stored.items() if pk.startswith("CERT#")]
    assert len(records) == 1
    assert records[0].removeprefix("CERT#") == answer.body["serial"].replace("-", "")
    again = ready.post(f"{BASE}/certificate")
    assert (again.status, again.body["serial"]) == (200, answer.body["serial"])
    stored.assert_whole()


def test_the_wholeness_check_sees_each_half(ready: Any, stored: Stored) -> None:
    """The check the fault tests rely on can fail: take away one half of each whole."""
    _issue(ready)
    items, keys = stored.items(), stored.pdfs()
    assert broken_wholes(items, keys) == []
    pk = "EVENT#eshg2025"
    serial = next(p.removeprefix("CERT#") for p, _ in items if p.startswith("CERT#"))
    halves = {
        (pk, "SCANID#first"): "DEL#D0001#SCAN#first has no guard SCANID#first",
        (pk, "DEL#D0001#SCAN#first"): "SCANID#first has no fact DEL#D0001#SCAN#first",
        (pk, "DEL#D0001#CART#S01"): "DEL#D0001#EVAL#S01 is not in the cart",
        (f"CERT#{serial}", "CERT"): f"DEL#D0001#CERT#{serial} has no record CERT#{serial}",
        (pk, f"DEL#D0001#CERT#{serial}"): f"CERT#{serial} has no delegate copy",
    }
    for key, problem in halves.items():
        assert problem in broken_wholes({k: v for k, v in items.items() if k != key}, keys)
    assert f"CERT#{serial} has no PDF" in broken_wholes(items, set())
    orphans = {k: v for k, v in items.items() if k != (pk, "DEL#D0001#PROFILE")}
    assert "DEL#D0001#EVAL#S03 belongs to no registered delegate" in broken_wholes(orphans, keys)
