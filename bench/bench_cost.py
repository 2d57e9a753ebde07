"""What a congress costs in AWS, at list prices: an ESHG-sized one (3,500 delegates) and an
ESC-sized one (33,500), per delegate and in all, and apart the fixed monthly costs over the
claim window (May to November).

Every number comes from something measured in this run or stated here:

- the call mix per delegate: `bench.support.DelegateMix`, played by 3,500 generated
  delegates (the same the report bench reads); an ESC delegate is taken to do the same;
- per request: the AWS calls, DynamoDB capacity units (from the real items' sizes, two
  units per started KB and action of a transaction) and the handler's own CPU time that
  `bench_aws` measured; Lambda's billed duration is that CPU time scaled to the function's
  CPU share (`support.cpu_factor`, memory sizes from `infra/template.yaml`) plus each AWS
  call at `LATENCY_MS`; a cold start (`COLD_SHARE` of the requests) adds the measured
  cold import, billed since Lambda bills the init phase (August 2025);
- storage: what a sample of generated delegates keeps in the table once the service's
  store has written them into moto (`support.report_on_moto`), as DynamoDB bills it (plus
  100 bytes an item), PDFs at the size `bench_aws` stored;
- prices: `PRICES`, AWS list prices in eu-west-1 (Ireland) as published in 2025, free
  tiers left out. Check them on the pricing pages before budgeting.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bench.harness import Row
from bench.support import (
    CHECKOUT,
    MIX,
    cpu_factor,
    function_settings,
    report_on_moto,
    sample_congress,
)

REGION = "eu-west-1"
PRICE_DATE = "2025 list prices"
PRICES = {
    "api_gateway_rest_request": 3.50e-6,  # REST API, first 333 million requests a month
    "lambda_request": 0.20e-6,
    "lambda_arm64_gb_s": 0.0000133334,
    "dynamodb_wru": 0.7068e-6,  # on demand, after the 1 November 2024 halving (was 1.4135)
    "dynamodb_rru": 0.1415e-6,
    "dynamodb_gb_month": 0.283,
    "dynamodb_pitr_gb_month": 0.2262,
    "s3_put": 0.005e-3,
    "s3_get": 0.0004e-3,
    "s3_gb_month": 0.023,
    "logs_ingested_gb": 0.57,
    "logs_stored_gb_month": 0.03,
    "xray_trace": 5.00e-6,
    "alarm_metric_month": 0.10,
    "custom_metric_month": 0.30,  # first 10,000; prorated by the hour, billed when published
    # Lambda SnapStart for Python (Java's is free): US East list prices as quoted in May 2026
    # by awsnegotiations.com ("Lambda SnapStart Cost Impact"); aws.amazon.com/lambda/pricing
    # renders its rates client-side. A snapshot is cached for as long as its version is
    # active (3 hours at least), a restore is billed per GB of the function's memory.
    "snapstart_cache_gb_s": 0.0000015046,
    "snapstart_restore_gb": 0.0001397998,
}
SNAPSTART_PRICE_DATE = "US East list prices quoted May 2026"
MONTH_SECONDS = 30 * 86_400
LATENCY_MS = {
    "TransactWriteItems": 10.0,
    "PutItem": 6.0,
    "GetItem": 4.0,
    "BatchGetItem": 6.0,
    "Query": 8.0,
    "PutObject": 30.0,
    "GetObject": 15.0,
}
"""Assumed round trips from a Lambda function in the same region."""
COLD_SHARE = 0.05
"""Assumed share of requests that meet a new container (traffic in bursts during the
congress, sparse in the on-demand months)."""
RUNTIME_MS = 2.0
"""Assumed per invocation beyond the handler's own work (runtime, logger context)."""
LOG_BYTES = 330 + 450 + 210 + 5 * 26
"""Lambda's START, END and REPORT lines of one invocation, the function's one structured
"answered" line (about 450 bytes with powertools' context keys), a request's metrics as
one EMF line (210 bytes; reads write none, so this is a little high), and CloudWatch's
26 bytes an event."""
TRACED_SHARE = 0.0
"""The template's ApiTracing parameter is off by default. Turned on, API Gateway's X-Ray
sampling (the first request of each second and 5% of the rest) traces nearly every
request of a congress's traffic (under one a second on average): TRACED_WHEN_ON."""
TRACED_WHEN_ON = 1.0
CLAIM_MONTHS = 7
REPORT_PULLS = 30
"""Times the organiser pulls the whole report over the window."""
CONGRESSES = {"ESHG-sized": 3_500, "ESC-sized": 33_500}
TARGET = 0.001

OPERATIONS = {
    # the generator's name -> bench_aws's operation
    "delegate put": "delegate put (new)",
    "scan": "scan, warm",
    "scan (batch)": "batch of 500 scans",
    "view": "view (live)",
    "cart put": "cart put",
    "cart delete": "cart delete",
    "cart get": "cart get",
    "evaluation": "evaluation",
    "statement": "statement, warm",
    "certificate issue": "certificate issue",
    "certificate get": "certificate get",
    "verification": "verification (public)",
}


class Dollars(defaultdict[str, float]):
    """Dollars by cost line: a Counter of floats (typeshed's Counter counts ints)."""

    def __init__(self, lines: Mapping[str, float] | None = None) -> None:
        super().__init__(float, lines or {})

    def add(self, more: Mapping[str, float]) -> None:
        for line, dollars in more.items():
            self[line] += dollars

    def most_common(self, n: int | None = None) -> list[tuple[str, float]]:
        return sorted(self.items(), key=lambda item: item[1], reverse=True)[:n]


@dataclass
class Costs:
    """Dollars by line, for one delegate."""

    lines: Dollars

    @property
    def total(self) -> float:
        return sum(self.lines.values())


@dataclass(frozen=True)
class PerRequest:
    """One API request of an operation, as billed."""

    operation: str
    function: str
    memory_mb: int
    billed_ms: int
    requests: float
    """API requests per operation (a batch of 500 scans is one request for 500)."""
    write_units: float
    read_units: float
    s3_puts: int
    s3_bytes: int

    def cost(self) -> Dollars:
        gb_s = self.memory_mb / 1024 * self.billed_ms / 1000
        lines = Dollars()
        lines["API Gateway requests"] = self.requests * PRICES["api_gateway_rest_request"]
        lines["Lambda requests"] = self.requests * PRICES["lambda_request"]
        lines["Lambda duration"] = self.requests * gb_s * PRICES["lambda_arm64_gb_s"]
        lines["DynamoDB writes"] = self.write_units * PRICES["dynamodb_wru"]
        lines["DynamoDB reads"] = self.read_units * PRICES["dynamodb_rru"]
        lines["S3 requests"] = self.s3_puts * PRICES["s3_put"]
        lines["CloudWatch Logs ingestion"] = (
            self.requests * LOG_BYTES / 1e9 * PRICES["logs_ingested_gb"]
        )
        lines["X-Ray traces (API Gateway)"] = self.requests * TRACED_SHARE * PRICES["xray_trace"]
        return lines


TRANSACTION_ACTION_MS = 0.34
"""Each action of a transaction beyond four adds this to its round trip: measured from
Lambda by Alex DeBrie, TransactWriteItems p50 25.3 ms with 5 items and 32.1 ms with 25
(github.com/alexdebrie/dynamodb-performance-testing, put-batch-transaction-performance),
that is (32.1 - 25.3) / 20 a further item. Added to `LATENCY_MS`'s 10 ms of a usual
transaction of four actions (so a transaction of 100 is taken at 42.6 ms)."""


def transaction_ms(actions: int) -> float:
    """A TransactWriteItems round trip with `actions` actions."""
    return LATENCY_MS["TransactWriteItems"] + TRANSACTION_ACTION_MS * max(0, actions - 4)


def lambda_ms(
    calls: Counter[str],
    own_ms: float,
    memory_mb: int,
    *,
    side_by_side: int = 1,
    rounds: int = 0,
    transactions: tuple[tuple[int, bool], ...] = (),
) -> float:
    """A request's billed duration by this model: the handler's own CPU time scaled to the
    function's CPU share, each AWS call's round trip at `LATENCY_MS` (a transaction's by its
    size, `transaction_ms`, when `transactions` gives them: (actions, stores scans)), and
    `RUNTIME_MS`. CPU is not divided: threads share the one CPU share a function of this
    memory has.

    A batch (`side_by_side` > 1) waits in two phases one after the other: its `rounds` of
    scan transactions (each round's sent together, `side_by_side` at a time: never less
    than a round's largest, one round after another), then everything else (the report
    rows: reads and row transactions) `side_by_side` at a time."""
    waiting = sum(
        LATENCY_MS.get(op.split(":")[1], 5.0) * n
        for op, n in calls.items()
        if not (transactions and op.endswith(":TransactWriteItems"))
    )
    waiting += sum(transaction_ms(actions) for actions, _ in transactions)
    if side_by_side > 1:
        scans = [transaction_ms(a) for a, stores_scans in transactions if stores_scans]
        writing = sum(scans)
        writing_path = rounds * max(scans, default=0.0)
        waiting = max(writing / side_by_side, writing_path) + (waiting - writing) / side_by_side
    return own_ms * cpu_factor(memory_mb) + waiting + RUNTIME_MS


def _per_request(profile: dict[str, Any], memory: dict[str, int]) -> dict[str, PerRequest]:
    from bench.bench_aws import BATCH_LANE
    from cme.recording import BATCH_CONCURRENCY

    found = {}
    for name, operation in OPERATIONS.items():
        measured = profile[operation]
        usage = measured.usage
        batch = operation.startswith("batch")
        per = 500 if batch else 1
        mb = memory[measured.function]
        billed = lambda_ms(
            usage.calls,
            measured.client_ms,
            mb,
            side_by_side=BATCH_CONCURRENCY if batch else 1,
            rounds=BATCH_LANE if batch else 0,
            transactions=measured.transactions,
        )
        found[name] = PerRequest(
            operation,
            measured.function,
            mb,
            math.ceil(billed),
            1 / per,
            usage.write_units / per,
            usage.read_units / per,
            usage.count("PutObject"),
            usage.bytes_stored,
        )
    return found


def _variable_costs(
    mix: dict[str, float], per_request: dict[str, PerRequest], cold_ms: dict[str, float]
) -> Costs:
    lines = Dollars()
    for name, count in mix.items():
        request = per_request[name]
        for line, dollars in request.cost().items():
            lines[line] += count * dollars
        init_ms = cold_ms[request.function] * cpu_factor(request.memory_mb)
        init_gb_s = request.memory_mb / 1024 * init_ms / 1000
        lines["Lambda cold starts (init)"] += (
            count * request.requests * COLD_SHARE * init_gb_s * PRICES["lambda_arm64_gb_s"]
        )
    downloads = mix["certificate issue"] + mix["certificate get"]
    lines["S3 requests"] += downloads * PRICES["s3_get"]
    return Costs(lines)


def _report_cost(memory: dict[str, int]) -> Dollars:
    """The organiser's report pulls, per delegate (from the page of a sample on moto)."""
    sample = report_on_moto()
    count = len(sample.delegates)
    mb = memory["organiser"]
    per_delegate_ms = sample.own_ms * cpu_factor(mb) / count
    pages = sample.usage.count("Query") / count
    per_pull = Dollars(
        {
            "Lambda duration": mb
            / 1024
            * (per_delegate_ms + pages * 50)
            / 1000
            * PRICES["lambda_arm64_gb_s"],
            "DynamoDB reads": sample.usage.read_units / count * PRICES["dynamodb_rru"],
        }
    )
    return Dollars({k: v * REPORT_PULLS for k, v in per_pull.items()})


def _storage(delegates: list[Any], pdf_bytes: float) -> tuple[float, float]:
    """Bytes a delegate keeps in DynamoDB (with 100 bytes an item) and in S3."""
    sample = report_on_moto()
    issued = sum(d.calls["certificate issue"] for d in delegates)
    return sample.stored_bytes / len(sample.delegates), issued * pdf_bytes / len(delegates)


def _alarm_metrics() -> int:
    from cme_tools.local.resources import read_template

    count = 0
    for resource in read_template(CHECKOUT.template)["Resources"].values():
        if resource.get("Type") == "AWS::CloudWatch::Alarm":
            props = resource["Properties"]
            metrics = [m for m in props.get("Metrics", []) if "MetricStat" in m]
            count += len(metrics) or 1
    return count


def run() -> list[Row]:
    from bench.bench_aws import operation_profile
    from bench.bench_cold import cold_imports

    profile, _ = operation_profile()
    settings = function_settings()
    memory = {name: s.memory_mb for name, s in settings.items()}
    cold_ms = {name: result[0] for name, result in cold_imports().items()}
    _, delegates = sample_congress()
    totals: Counter[str] = Counter()
    for delegate in delegates:
        totals.update(delegate.calls)
    mix = {name: totals[name] / len(delegates) for name in OPERATIONS}
    per_request = _per_request(profile, memory)
    costs = _variable_costs(mix, per_request, cold_ms)
    costs.lines.add(_report_cost(memory))
    pdf_bytes = profile["certificate issue"].usage.bytes_stored
    table_bytes, s3_bytes = _storage(delegates, pdf_bytes)
    months_kept = CLAIM_MONTHS
    costs.lines["DynamoDB storage (claim window)"] = (
        table_bytes / 1e9 * PRICES["dynamodb_gb_month"] * months_kept
    )
    costs.lines["S3 storage (claim window)"] = s3_bytes / 1e9 * PRICES["s3_gb_month"] * months_kept

    rows = _assumption_rows()
    rows += _mix_rows(mix, per_request)
    rows += _line_rows(costs)
    rows += _total_rows(costs, mix, per_request)
    rows += _fixed_rows(table_bytes, s3_bytes)
    rows += _snapstart_rows(mix, per_request, costs)
    return rows


def _assumption_rows() -> list[Row]:
    p = PRICES
    latencies = ", ".join(f"{op} {ms:g}" for op, ms in LATENCY_MS.items())
    return [
        Row(
            "cost",
            f"price: API Gateway REST ({REGION}, {PRICE_DATE})",
            p["api_gateway_rest_request"] * 1e6,
            "$/1M requests",
            note="free tiers left out everywhere; data transfer out under the 100 GB free",
        ),
        Row(
            "cost",
            "price: Lambda arm64",
            p["lambda_arm64_gb_s"] * 1e6,
            "$/1M GB-s",
            note=f"requests {p['lambda_request'] * 1e6:.2f} $/1M; init billed since Aug 2025",
        ),
        Row(
            "cost",
            "price: DynamoDB on demand, writes",
            p["dynamodb_wru"] * 1e6,
            "$/1M WRU",
            note=(
                f"reads {p['dynamodb_rru'] * 1e6:.4f} $/1M RRU, storage"
                f" {p['dynamodb_gb_month']} and PITR {p['dynamodb_pitr_gb_month']} $/GB-month"
            ),
        ),
        Row(
            "cost",
            "price: S3 Standard, PUT",
            p["s3_put"] * 1e6,
            "$/1M requests",
            note=f"GET {p['s3_get'] * 1e6:.2f} $/1M, storage {p['s3_gb_month']} $/GB-month",
        ),
        Row(
            "cost",
            "price: CloudWatch Logs ingestion",
            p["logs_ingested_gb"],
            "$/GB",
            note=(
                f"X-Ray {p['xray_trace'] * 1e6:.2f} $/1M traces; alarms"
                f" {p['alarm_metric_month']:.2f} $/metric-month"
            ),
        ),
        Row(
            "cost",
            "assumed: requests meeting a cold container",
            COLD_SHARE * 100,
            "%",
            note=(
                f"AWS round trips, ms: {latencies}; {RUNTIME_MS:g} ms runtime a request;"
                f" {LOG_BYTES} log bytes a request; {TRACED_SHARE:.0%} of requests traced;"
                f" report pulled whole {REPORT_PULLS} times"
            ),
        ),
        Row(
            "cost",
            "assumed: delegates attending in person",
            MIX.in_person * 100,
            "%",
            note=(
                f"they come {MIX.day_attended * 4:g} of 4 days and evaluate"
                f" {MIX.slot_evaluated:.0%} of slots; online ones watch"
                f" {MIX.live_slot_watched:.0%} of slots live; {MIX.on_demand_evaluations:g}"
                f" recordings each; {MIX.cart_first:.0%} claimed before evaluating;"
                f" {MIX.reissued:.0%} reissued; {MIX.batch_share:.0%} of scans by batch"
            ),
        ),
    ]


def _mix_rows(mix: dict[str, float], per_request: dict[str, PerRequest]) -> list[Row]:
    rows = []
    for name, count in mix.items():
        request = per_request[name]
        cost = request.cost()
        per_call = sum(cost.values()) / request.requests if request.requests else 0
        share = "" if request.requests == 1 else f" (1 request per {1 / request.requests:.0f})"
        rows.append(
            Row(
                "cost",
                f"mix: {name} per delegate",
                count,
                "requests",
                note=(
                    f"{per_call * 1e6:.2f} µ$ a request{share}: {request.function}"
                    f" {request.memory_mb} MB billed {request.billed_ms} ms,"
                    f" {request.write_units * 1 / request.requests:g} WRU,"
                    f" {request.read_units / request.requests:g} RRU"
                ),
            )
        )
    return rows


def _line_rows(costs: Costs) -> list[Row]:
    rows = []
    for line, dollars in costs.lines.most_common():
        rows.append(
            Row(
                "cost",
                f"per delegate: {line}",
                dollars * 1000,
                "$/1k delegates",
                note=f"{dollars / costs.total:.0%} of the variable cost",
            )
        )
    return rows


HALVING = {
    "API Gateway requests": (
        "fewer requests (statements and cart reads are polled: cache them in the platform,"
        " or return the statement with each evaluation), or an HTTP API at about a third"
        " of the price, which has no API keys: the key check would move to a cached"
        " Lambda authorizer"
    ),
    "X-Ray traces (API Gateway)": (
        "a sampling rule at 5% with no per-second reservoir (or tracing off outside"
        " incidents) removes nearly all of it"
    ),
    "DynamoDB writes": (
        "writes without transactions (a transaction bills two units per action, and each"
        " fact is four: profile check, id guard, fact, the count on the delegate's report"
        " row; the row's own update follows)"
    ),
    "Lambda duration": "more memory for the same CPU-bound work, or less CPU per request",
}


HTTP_API_REQUEST = 1.11e-6
"""An HTTP API request in eu-west-1 (first 300 million a month)."""


def _levers(
    costs: Costs, mix: dict[str, float], per_request: dict[str, PerRequest]
) -> list[tuple[str, float]]:
    """What each lever saves a delegate, the largest first."""
    polled = sum(
        sum(per_request[name].cost().values()) * mix[name] / 2 for name in ("statement", "cart get")
    )
    api = costs.lines["API Gateway requests"]
    levers = [
        (
            "X-Ray sampled at 5% with no per-second reservoir",
            costs.lines["X-Ray traces (API Gateway)"] * 0.95,
        ),
        (
            "an HTTP API instead of REST (no API keys there: a cached Lambda authorizer"
            " checks the key)",
            api * (1 - HTTP_API_REQUEST / PRICES["api_gateway_rest_request"]),
        ),
        ("statements and carts read half as often by the platform", polled),
    ]
    return sorted(levers, key=lambda lever: -lever[1])


def _halving(
    costs: Costs, mix: dict[str, float], per_request: dict[str, PerRequest]
) -> tuple[float, str]:
    """The fewest levers, largest first, that halve the variable cost."""
    left, used = costs.total, []
    for name, saves in _levers(costs, mix, per_request):
        if left <= costs.total / 2:
            break
        left -= saves
        used.append(f"{name} ({-saves / costs.total:.0%})")
    return left, "; ".join(used) + f": {left / costs.total:.0%} of it is left"


def _total_rows(
    costs: Costs, mix: dict[str, float], per_request: dict[str, PerRequest]
) -> list[Row]:
    per_delegate = costs.total
    requests = sum(mix.values()) - mix["scan (batch)"] * (1 - 1 / 500)
    dominant, dominant_dollars = costs.lines.most_common(1)[0]
    rows = [
        Row(
            "cost",
            "variable cost per delegate",
            per_delegate * 1000,
            "$/1k delegates",
            f"<= {TARGET * 1000:g} ($ {TARGET} a delegate)",
            per_delegate <= TARGET,
            (
                f"{requests:.0f} API requests a delegate; {REGION}, {PRICE_DATE}, no free"
                f" tier; {MIX.in_person:.0%} in person"
            ),
        )
    ]
    for congress, delegates in CONGRESSES.items():
        rows.append(
            Row(
                "cost",
                f"variable cost, {congress} congress ({delegates:,} delegates)",
                per_delegate * delegates,
                "$",
                note=(
                    f"{requests * delegates / 1e6:.2f} million API requests"
                    + ("; the same mix a delegate as ESHG" if delegates > 3_500 else "")
                ),
            )
        )
    rows.append(
        Row(
            "cost",
            f"dominant line: {dominant}",
            dominant_dollars / per_delegate * 100,
            "% of variable",
            note=f"halve this line: {HALVING.get(dominant, 'see the lines above')}",
        )
    )
    traced = requests * TRACED_WHEN_ON * PRICES["xray_trace"]
    rows.append(
        Row(
            "cost",
            "with ApiTracing=true (X-Ray), per delegate, extra",
            traced * 1000,
            "$/1k delegates",
            note="off by default in the template; turned on it would be the largest line",
        )
    )
    left, how = _halving(costs, mix, per_request)
    rows.append(
        Row(
            "cost",
            "variable cost per delegate, after the levers named",
            left * 1000,
            "$/1k delegates",
            note=how,
        )
    )
    return rows


SCAN_REFUSAL_CODES = (
    "invalid_request",
    "unknown_event",
    "unknown_delegate",
    "id_reused",
    "not_a_conference_day",
    "scanned_in_future",
    "throttled",
)
"""The codes a scan can be refused with: each is a metric of its own (`ScansRefused` by
`code`)."""
CONGRESS_HOURS = 4 * 24


def _business_metrics() -> tuple[float, str]:
    """The custom metrics' cost over the claim window, at most: scans are counted during
    the congress only, the other counts in any hour of the window (an upper bound: an hour
    with nothing to count is not billed)."""
    from cme.observability import Metric

    scans = [m for m in Metric if m.value.startswith("Scans")]
    during_congress = len(scans) - 1 + len(SCAN_REFUSAL_CODES)
    through_the_window = len(Metric) - len(scans)
    month = PRICES["custom_metric_month"]
    cost = (
        during_congress * month * CONGRESS_HOURS / 730 + through_the_window * month * CLAIM_MONTHS
    )
    note = (
        f"{during_congress} scan metrics over {CONGRESS_HOURS} h of congress, "
        f"{through_the_window} others at most every hour for {CLAIM_MONTHS} months"
    )
    return cost, note


def _snapstart_rows(
    mix: dict[str, float], per_request: dict[str, PerRequest], costs: Costs
) -> list[Row]:
    """The `SnapStart` stack parameter's trade-off: a snapshot of each function cached the
    whole window, a restore per cold start, against the init it replaces (still billed,
    shorter; counted whole here, so the saving is an upper bound)."""
    p = PRICES
    memory_gb = sum(s.memory_mb for s in function_settings().values()) / 1024
    cache_month = memory_gb * MONTH_SECONDS * p["snapstart_cache_gb_s"]
    restores = sum(
        count * per_request[name].requests * COLD_SHARE * per_request[name].memory_mb / 1024
        for name, count in mix.items()
    )
    restore = restores * p["snapstart_restore_gb"]
    init = costs.lines["Lambda cold starts (init)"]
    note = (
        f"{SNAPSTART_PRICE_DATE}: cache {p['snapstart_cache_gb_s'] * 1e6:.4f} $/1M GB-s, restore"
        f" {p['snapstart_restore_gb'] * 1e6:.1f} $/1M GB"
    )
    return [
        Row(
            "cost",
            "SnapStart on: snapshots cached, the four functions, per month",
            cache_month,
            "$/month",
            note=f"{memory_gb:.2f} GB of function memory, one version each; {note}",
        ),
        Row(
            "cost",
            "SnapStart on: restores, per delegate",
            restore * 1000,
            "$/1k delegates",
            note=(
                f"{restores:.3f} GB restored a delegate ({COLD_SHARE:.0%} of requests cold) vs"
                f" {init:.7f} $ of init it replaces: SnapStart buys latency, not savings;"
                f" over May-November the cache alone is {cache_month * CLAIM_MONTHS:.0f} $"
            ),
        ),
    ]


def _fixed_rows(table_bytes: float, s3_bytes: float) -> list[Row]:
    settings = function_settings()
    alarms = _alarm_metrics() * PRICES["alarm_metric_month"]
    metrics, metrics_note = _business_metrics()
    rows = [
        Row(
            "cost",
            "fixed: CloudWatch alarms",
            alarms,
            "$/month",
            note=(
                f"{_alarm_metrics()} alarm metrics in the template; API keys and the usage"
                f" plan cost nothing; {len(settings)} functions, idle costs nothing"
            ),
        ),
        Row(
            "cost",
            "fixed: business metrics (EMF), over May-November at most",
            metrics,
            "$",
            note=f"{metrics_note}; prorated by the hour, billed only when published",
        ),
    ]
    for congress, delegates in CONGRESSES.items():
        pitr = table_bytes * delegates / 1e9 * PRICES["dynamodb_pitr_gb_month"]
        storage = (
            table_bytes * delegates / 1e9 * PRICES["dynamodb_gb_month"]
            + s3_bytes * delegates / 1e9 * PRICES["s3_gb_month"]
        )
        window = (alarms + pitr) * CLAIM_MONTHS + metrics
        rows.append(
            Row(
                "cost",
                f"fixed over May-November, {congress}",
                window,
                "$",
                note=(
                    f"alarms {alarms:.2f} + PITR {pitr:.3f} $/month x {CLAIM_MONTHS}"
                    f" + metrics {metrics:.2f};"
                    f" table {table_bytes * delegates / 1e6:.0f} MB, PDFs"
                    f" {s3_bytes * delegates / 1e6:.0f} MB (storage {storage:.3f} $/month,"
                    " counted per delegate above)"
                ),
            )
        )
    return rows
