"""AWS calls per operation: the real handlers against moto in-process, every AWS API call
counted with botocore's event hooks on the service's own clients (the DynamoDB store's
and the certificate function's S3 client).

"cold" is a new container: nothing cached (the programme is read); "warm" is the next
request of the same container (the programme is cached for 60 s; statements, certificates
and the report read its version first, strongly). The capacity units are DynamoDB's
on-demand billing of the real items (transactions at two units per started KB and action,
a condition check too; a read half a unit per started 4 KB, a whole one when strongly
consistent); "ms CPU here" is the handler's own CPU time on this machine (the median of
5), moto's and the counting hooks' taken out.

The same measurements feed the cost model (`bench_cost`) through `operation_profile()`.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass
from typing import Any

from bench.bench_cost import RUNTIME_MS
from bench.harness import Row
from bench.support import (
    EVENT,
    NOW,
    Service,
    Usage,
    cpu,
    cpu_factor,
    median,
    programme_document,
    report_on_moto,
    service_on_moto,
)

E = f"/events/{EVENT}"
D = f"{E}/delegates/D0001"
BATCH = 500
BATCH_LANE = 4
"""The batch's scans of one delegate (one a day), recorded one after another."""
BATCH_TARGET_MS = 2000.0
RESENT = 100
REPEAT = 5


@dataclass(frozen=True)
class Measured:
    """One operation: its AWS usage (of one request) and the handler's own time."""

    name: str
    function: str
    usage: Usage
    client_ms: float
    status: int
    transactions: tuple[tuple[int, bool], ...] = ()
    """Each TransactWriteItems sent: its actions, and whether it stores scans (a batch's
    measurements only; `bench_cost.lambda_ms` times a transaction by its size)."""


def _scan(scan_id: str, delegate: str = "D0001", day: str = "24") -> dict[str, Any]:
    return {
        "scan_id": scan_id,
        "delegate_id": delegate,
        "station_id": "cme-desk-1",
        "scanned_at": f"2025-05-{day}T08:01:00+02:00",
    }


class _Runner:
    service: Service

    def __init__(self) -> None:
        self.results: dict[str, Measured] = {}

    def measure(
        self,
        name: str,
        function: str,
        request: Any,
        *,
        repeat: int = REPEAT,
        cold: bool = False,
        expect: set[int] | None = None,
    ) -> Measured:
        """Run `request(n)` `repeat` times (n = 0, 1, ...): the usage of the last one,
        the median of the handler's own time."""
        samples: list[float] = []
        last, status = Usage(), 0
        for n in range(repeat):
            with self.service.calls.measuring() as usage:
                began = cpu()
                if cold:
                    with self.service.cold():
                        status = request(n).status
                else:
                    status = request(n).status
                spent = cpu() - began
            samples.append((spent - usage.outside_seconds) * 1000)
            last = usage
            if expect is not None and status not in expect:
                raise AssertionError(f"{name}: status {status}, expected {expect}")
        measured = Measured(name, function, last, median(samples), status)
        self.results[name] = measured
        return measured


def _run(service: Service, runner: _Runner) -> None:
    call = service.call
    runner.service = service
    m = runner.measure
    document = programme_document()
    assert call("PUT", E, document).status == 201
    m("programme put (replace)", "organiser", lambda n: call("PUT", E, document), expect={200})
    delegate = {"name": "Łukasz Żółć", "email": "l@example.org", "attendance": "in_person"}
    m(
        "delegate put (new)",
        "organiser",
        lambda n: call("PUT", f"{E}/delegates/D{n:04d}", delegate),
        expect={201},
    )
    m("scan, cold", "scan", lambda n: call("POST", f"{E}/scans", _scan(f"c{n}")), cold=True)
    m("scan, warm", "scan", lambda n: call("POST", f"{E}/scans", _scan(f"w{n}")), expect={201})
    m(
        "scan, resent (duplicate)",
        "scan",
        lambda n: call("POST", f"{E}/scans", _scan("w0")),
        expect={200},
    )
    m(
        "view (live)",
        "scan",
        lambda n: call(
            "POST",
            f"{D}/views",
            {
                "view_id": f"v{n}",
                "session_id": "S01",
                "kind": "live",
                "watched_at": "2025-05-24T10:45:00+02:00",
                "seconds": 3600,
            },
        ),
        expect={201},
    )
    sessions = ["S02", "C01", "C02", "S03", "C03", "C04"]
    m("cart put", "evaluate", lambda n: call("PUT", f"{D}/cart/{sessions[n]}"), expect={201})
    m("cart delete", "evaluate", lambda n: call("DELETE", f"{D}/cart/{sessions[n]}"), expect={204})
    evaluated = ["S01", "S03", "S05", "S06", "PL01"]
    answers = {"relevance": 5, "quality": 4, "commercial_bias": "no", "comment": "Clear."}

    def evaluate(n: int) -> Any:
        body = {"submitted_at": "2025-06-10T18:00:00+02:00", "answers": answers}
        return call("PUT", f"{D}/evaluations/{evaluated[n]}", body)

    m("evaluation", "evaluate", evaluate, expect={201})
    m("cart get", "evaluate", lambda n: call("GET", f"{D}/cart"), expect={200})
    m("statement, cold", "evaluate", lambda n: call("GET", f"{D}/credits"), cold=True)
    m("statement, warm", "evaluate", lambda n: call("GET", f"{D}/credits"), expect={200})
    m(
        "certificate issue",
        "certificate",
        lambda n: call("POST", f"{D}/certificate"),
        repeat=1,
        expect={201},
    )
    serial = call("GET", f"{D}/certificate").body["serial"]
    m(
        "certificate issue, unchanged",
        "certificate",
        lambda n: call("POST", f"{D}/certificate"),
        expect={200},
    )
    m("certificate get", "certificate", lambda n: call("GET", f"{D}/certificate"), expect={200})
    m(
        "verification (public)",
        "certificate",
        lambda n: call("GET", f"/certificates/{serial}"),
        expect={200},
    )
    m(
        "revocation",
        "certificate",
        lambda n: call("POST", f"/certificates/{serial}/revoke", {"reason": "test"}),
        repeat=1,
        expect={200},
    )


def _report(runner: _Runner) -> None:
    """A report page of a sample of delegates with the congress's mix of facts, in a table
    of their own (`support.report_on_moto`, which the report and cost benches read too)."""
    sample = report_on_moto()
    name = f"report page ({len(sample.delegates)} delegates)"
    runner.results[name] = Measured(name, "organiser", sample.usage, sample.own_ms, sample.status)


def _batch(service: Service, runner: _Runner) -> dict[str, float]:
    """An offline station's batch of 500 scans (125 delegates over the 4 days) into a table
    of its own, then the first 100 of them sent again."""
    from cme.facts import Attendance, Delegate

    document = programme_document()
    assert service.call("PUT", E, document).status == 201
    delegates = [f"ESHG25-{n:05d}" for n in range(BATCH // BATCH_LANE)]
    for delegate_id in delegates:
        registration = Delegate(delegate_id, "Ana Pérez", Attendance.IN_PERSON)
        service.warm_store.save_delegate(EVENT, registration, now=NOW)
    scans = [
        _scan(f"batch-{day}-{n}", delegate_id, day)
        for day in ("24", "25", "26", "27")
        for n, delegate_id in enumerate(delegates)
    ]
    seconds: dict[str, float] = {}
    sent_transactions: list[tuple[int, bool]] = []

    def sizing(params: dict[str, Any], **_: Any) -> None:  # its CPU (tiny) counts as ours
        actions = params["TransactItems"]
        sent_transactions.append((len(actions), any("Put" in a for a in actions)))

    events = service.warm_store.client().meta.events
    events.register("provide-client-params.dynamodb.TransactWriteItems", sizing)
    for name, sent, expected in (
        (f"batch of {BATCH} scans", scans, 201),
        (f"batch of {BATCH} scans, {RESENT} of them resent", scans[:RESENT], 200),
    ):
        sent_transactions.clear()
        began, began_cpu = time.perf_counter(), cpu()
        with service.calls.measuring() as usage:
            answer = service.call("POST", f"{E}/scans/batch", {"scans": sent})
        wall, spent = time.perf_counter() - began, cpu() - began_cpu
        statuses = {r["status"] for r in answer.body["results"]}
        assert statuses == {expected}, statuses
        runner.results[name] = Measured(
            name,
            "scan",
            usage,
            (spent - usage.outside_seconds) * 1000,
            answer.status,
            tuple(sent_transactions),
        )
        seconds[name] = wall
    events.unregister("provide-client-params.dynamodb.TransactWriteItems", sizing)
    return seconds


@functools.cache
def operation_profile() -> tuple[dict[str, Measured], dict[str, float]]:
    """Every operation measured once per process (the cost model reads them too)."""
    runner = _Runner()
    with service_on_moto("cme-bench-aws") as service:
        _run(service, runner)
    _report(runner)
    with service_on_moto("cme-bench-batch") as service:
        seconds = _batch(service, runner)
    return runner.results, seconds


TARGETS = {
    "scan, cold": 2,
    "scan, warm": 1,
    "statement, warm": 1,
    f"batch of {BATCH} scans": BATCH,
}


def run() -> list[Row]:
    results, seconds = operation_profile()
    rows = []
    for name, measured in results.items():
        usage = measured.usage
        target = TARGETS.get(name)
        ok: bool | None
        if name == "statement, warm":
            # One Query, and the programme's version read strongly (its document only
            # when the version moved).
            ok = usage.count("Query") == 1 and usage.count("GetItem") == 1
            shown = "= 1 Query, 1 GetItem"
        elif name.startswith("batch"):
            writes = usage.count("TransactWriteItems", "PutItem")
            ok = writes <= BATCH if target else None
            shown = f"<= {BATCH} writes" if target else ""
        else:
            ok = None if target is None else usage.total_calls <= target
            shown = "" if target is None else f"<= {target}"
        note = (
            f"{usage.describe()}; {usage.write_units:g} WRU, {usage.read_units:g} RRU;"
            f" {measured.client_ms:.1f} ms CPU here"
        )
        rows.append(Row("aws calls", name, usage.total_calls, "calls", shown, ok, note))
    rows.append(_batch_on_aws(results[f"batch of {BATCH} scans"]))
    for name, wall in seconds.items():
        measured = results[name]
        scans = BATCH if "resent" not in name else RESENT
        rows.append(
            Row(
                "aws calls",
                f"{name}: wall time on moto in-process",
                wall,
                "s",
                note=(
                    f"{wall / scans * 1000:.0f} ms a scan, of which moto"
                    f" {measured.usage.outside_seconds / scans * 1000:.0f} ms CPU (with the local"
                    f" stack's transaction journal), the service"
                    f" {measured.client_ms / scans:.1f} ms CPU"
                ),
            )
        )
    return rows


def _batch_on_aws(measured: Measured) -> Row:
    """The batch's Lambda time on AWS by the cost model's estimate (`bench_cost.lambda_ms`):
    its rounds of scan transactions (each of up to 100 actions, timed by its size), then
    the report rows, `BATCH_CONCURRENCY` requests at a time; against the same calls one
    after another."""
    from bench.bench_cost import lambda_ms
    from bench.support import function_settings
    from cme.recording import BATCH_CONCURRENCY

    memory = function_settings()["scan"].memory_mb
    calls, own = measured.usage.calls, measured.client_ms
    sizes = measured.transactions
    estimate = lambda_ms(
        calls, own, memory, side_by_side=BATCH_CONCURRENCY, rounds=BATCH_LANE, transactions=sizes
    )
    one_at_a_time = lambda_ms(calls, own, memory, transactions=sizes)
    at_512 = lambda_ms(
        calls, own, 512, side_by_side=BATCH_CONCURRENCY, rounds=BATCH_LANE, transactions=sizes
    )
    waiting = estimate - own * cpu_factor(memory) - RUNTIME_MS
    largest = max((a for a, _ in sizes), default=0)
    return Row(
        "aws calls",
        f"batch of {BATCH} scans: Lambda time estimated on AWS ({memory} MB)",
        estimate,
        "ms",
        f"<= {BATCH_TARGET_MS:,.0f}",
        estimate <= BATCH_TARGET_MS,
        f"{len(sizes)} transactions (up to {largest} actions),"
        f" {BATCH_CONCURRENCY} requests at a time: {waiting:,.0f} ms waiting for DynamoDB,"
        f" {own * cpu_factor(memory):,.0f} ms CPU ({own / BATCH:.2f} ms a scan here);"
        f" the same calls one at a time {one_at_a_time:,.0f} ms; at 512 MB {at_512:,.0f} ms",
    )
