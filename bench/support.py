"""What the benchmarks that run the service share.

- `service_on_moto()`: the real Lambda handlers in-process against moto, with the
  template's table and bucket and a frozen clock (as the integration tests run them).
- `service_in_memory()`: the same handlers against the in-memory store
  (`cme_tools.memory_store`), for a congress too big for moto (moto scans and sorts the
  whole partition on every Query: 19 pages of 120,000 items took it 168 s).
- `AwsCalls`: every AWS API call the service makes, counted by operation with botocore's
  event hooks on the two clients it uses (the DynamoDB store's and the S3 client), with
  the DynamoDB capacity units the call consumes (from the real items' sizes) and the time
  moto itself spent answering, so that the service's own time can be told apart.
- `Congress`: delegates with a realistic mix of facts, written through the `Store`
  protocol (`add_scan`, `add_evaluation`, `add_certificate`, ...) into either store, so
  that on moto they have the items and sizes the service writes. (`make demo` has a
  congress of its own, `cme_tools.local.demo.Congress`: forty delegates played as HTTP
  requests, each with the answer the contract gives it, refusals and an offline batch
  included; this one is thousands of delegates written straight into a store, at the
  rates `DelegateMix` assumes for the cost model, with the requests that record no fact
  only counted. Neither could serve the other.)
- `report_on_moto()`: a sample of the congress written into moto and read back by the
  report, for what only DynamoDB can tell (pages, bytes, read units, the time botocore
  and pynamodb take to turn pages into records) and to check the in-memory store's
  report against it.

Times of the service's own work are CPU times of this process (`time.process_time`, moto
and the counting hooks taken out): the machine may be busy with other work, and a Lambda
function's own time is CPU-bound. The Lambda estimates scale that CPU time by
`cpu_factor(memory)`: Lambda gives a function CPU in proportion to its memory (one vCPU at
1,769 MB), and a Graviton2 core is taken as `GRAVITON_FACTOR` times slower than this
machine's.
"""

from __future__ import annotations

import contextlib
import functools
import json
import math
import os
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cme_tools.local.checkout import Checkout
from cme_tools.local.functions import Answer, Functions

cpu = time.process_time
"""The clock of the service's own work (see above)."""
thread_cpu = time.thread_time
"""The calling thread's: what moto and the hooks spend is taken out per thread (a batch
records its scans from several threads, and the process clock counts them all)."""

CHECKOUT = Checkout.find(Path(__file__).parent)
PROGRAMME_FILE = CHECKOUT.programmes / "eshg2025.yaml"
EVENT = "eshg2025"
NOW = datetime(2025, 6, 15, 12, 0, tzinfo=UTC)
"""Mid-June 2025: after the congress, inside the on-demand window, before the deadline."""

FULL_CPU_MB = 1769
GRAVITON_FACTOR = 1.2
"""Assumed: a Graviton2 (arm64) Lambda core against one core of this machine."""


def cpu_factor(memory_mb: int) -> float:
    """How much longer CPU-bound work takes in a Lambda function of `memory_mb` than here."""
    return GRAVITON_FACTOR * max(1.0, FULL_CPU_MB / memory_mb)


# --------------------------------------------------------------------------- item sizes


def item_size(item: Mapping[str, Mapping[str, Any]]) -> int:
    """An item's size as DynamoDB bills it: attribute names plus values (UTF-8 strings,
    numbers by significant digits, 3 bytes plus 1 per element for lists and maps)."""
    return sum(len(name.encode()) + _value_size(value) for name, value in item.items())


def _value_size(value: Mapping[str, Any]) -> int:
    ((kind, data),) = value.items()
    if kind in _SCALAR_SIZE:
        return _SCALAR_SIZE[kind](data)
    if kind == "L":
        return 3 + sum(1 + _value_size(v) for v in data)
    if kind == "M":
        return 3 + sum(len(k.encode()) + 1 + _value_size(v) for k, v in data.items())
    return sum(_value_size({kind[0]: v}) for v in data)  # SS, NS, BS


def _number_size(text: str) -> int:
    digits = text.lstrip("-").replace(".", "").strip("0") or "0"
    return (len(digits) + 1) // 2 + 1


_SCALAR_SIZE: dict[str, Callable[[Any], int]] = {
    "S": lambda text: len(text.encode()),
    "N": _number_size,
    "B": len,
    "BOOL": lambda _: 1,
    "NULL": lambda _: 1,
}


def write_units(size: int) -> int:
    return max(1, math.ceil(size / 1024))


def read_units(size: int, *, consistent: bool = False) -> float:
    """A unit per started 4 KB read strongly; half of it eventually consistent (pynamodb's
    default)."""
    return (1.0 if consistent else 0.5) * max(1, math.ceil(size / 4096))


# --------------------------------------------------------------------------- AWS calls


@dataclass
class Usage:
    """What some requests cost in AWS calls (by "service:Operation"), DynamoDB capacity
    units, bytes, and the seconds moto spent answering (not the service's time)."""

    calls: Counter[str] = field(default_factory=Counter)
    write_units: float = 0.0
    read_units: float = 0.0
    bytes_read: int = 0
    items_read: int = 0
    bytes_stored: int = 0
    outside_seconds: float = 0.0
    """Time not the service's own: moto answering, and these hooks counting."""
    call_seconds: float = 0.0
    """Time inside the service's AWS calls, from `before-call` to `after-call`."""

    def count(self, *operations: str) -> int:
        return sum(n for op, n in self.calls.items() if op.split(":")[1] in operations)

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())

    def describe(self) -> str:
        return ", ".join(f"{op.split(':')[1]} {n}" for op, n in sorted(self.calls.items()))


class AwsCalls:
    """Counts the service's AWS calls with botocore's event hooks on each of its clients:
    `before-parameter-build` keeps the call's parameters, `before-call` counts it (once per
    API call, whatever botocore's retries), `after-call` reads the answer's size, and two
    `before-send` hooks around moto's own time it."""

    def __init__(self, clients: list[Any], stored_size: Callable[[str, dict[str, Any]], int]):
        self.usage = Usage()
        self._stored_size = stored_size
        # A batch calls from several threads: each thread's own CPU clock and send time,
        # and one count at a time.
        self._thread = threading.local()
        self._lock = threading.RLock()
        self._counting = True
        for client in clients:
            events = client.meta.events
            service = client.meta.service_model.service_id.hyphenize()
            events.register(f"before-parameter-build.{service}", self._keep_params)
            events.register(f"before-call.{service}", self._before_call)
            events.register(f"after-call.{service}", self._after_call)
            events.register_first(f"before-send.{service}", self._sending)
            events.register_last("before-send", self._answered)

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        """Calls inside the block are not counted (nor their items sized)."""
        self._counting = False
        try:
            yield
        finally:
            self._counting = True

    @contextlib.contextmanager
    def measuring(self) -> Iterator[Usage]:
        """The usage of what runs inside the block."""
        self.usage = measured = Usage()
        try:
            yield measured
        finally:
            self.usage = Usage()  # what runs after the block is not counted in it

    def _keep_params(self, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["bench_params"] = params

    def _before_call(self, model: Any, context: dict[str, Any], **_: Any) -> None:
        if not self._counting:
            return
        began = thread_cpu()
        context["bench_began"] = began
        with self._lock:
            self._count(model, context)
            self.usage.outside_seconds += thread_cpu() - began

    def _count(self, model: Any, context: dict[str, Any]) -> None:
        service = model.service_model.service_name
        self.usage.calls[f"{service}:{model.name}"] += 1
        params = context.get("bench_params", {})
        if model.name == "TransactWriteItems":
            # Two units per started KB for each action, a condition check too; the size of
            # an item not sent whole (update, delete, check) is the one stored now.
            for action in params["TransactItems"]:
                ((kind, body),) = action.items()
                size = (
                    item_size(body["Item"])
                    if kind == "Put"
                    else self._stored_size(body["TableName"], body["Key"])
                )
                self.usage.write_units += 2 * write_units(size)
        elif model.name == "PutItem":
            self.usage.write_units += write_units(item_size(params["Item"]))
        elif model.name == "PutObject":
            body = params.get("Body", b"")
            self.usage.bytes_stored += len(body.getvalue() if hasattr(body, "getvalue") else body)

    def _after_call(
        self, model: Any, parsed: dict[str, Any], context: dict[str, Any], **_: Any
    ) -> None:
        if not self._counting:
            return
        began = thread_cpu()
        with self._lock:
            self._read(model, parsed, bool(context.get("bench_params", {}).get("ConsistentRead")))
            ended = thread_cpu()
            self.usage.outside_seconds += ended - began
            self.usage.call_seconds += ended - context.get("bench_began", ended)

    def _read(self, model: Any, parsed: dict[str, Any], consistent: bool) -> None:
        if model.name == "Query":
            size = sum(item_size(i) for i in parsed.get("Items", []))
            self.usage.items_read += len(parsed.get("Items", []))
            self.usage.bytes_read += size
            self.usage.read_units += read_units(size, consistent=consistent)
        elif model.name == "GetItem":
            size = item_size(parsed.get("Item", {}))
            self.usage.bytes_read += size
            self.usage.read_units += read_units(size, consistent=consistent)
        elif model.name == "BatchGetItem":
            for items in parsed.get("Responses", {}).values():
                for item in items:
                    self.usage.bytes_read += item_size(item)
                    self.usage.read_units += read_units(item_size(item))

    def _sending(self, **_: Any) -> None:
        self._thread.sent_at = thread_cpu()

    def _answered(self, **_: Any) -> None:
        sent_at = getattr(self._thread, "sent_at", 0.0)
        if sent_at:
            with self._lock:
                self.usage.outside_seconds += thread_cpu() - sent_at
            self._thread.sent_at = 0.0


# --------------------------------------------------------------------------- the service on moto


@dataclass
class Service:
    """The four functions' handlers in-process, on moto, with AWS calls counted."""

    calls: AwsCalls
    dynamodb: Any
    s3: Any
    table: str
    bucket: str
    clock: list[datetime]
    warm_store: Any
    functions: Functions

    def call(
        self, method: str, path: str, body: Any = None, *, query: str = "", accept: str = ""
    ) -> Answer:
        headers = {"accept": accept} if accept else {}
        return self.functions.call(method, path, body, query=query, headers=headers)

    @contextlib.contextmanager
    def cold(self) -> Iterator[None]:
        """Requests inside the block meet a new container's store: nothing cached."""
        from cme import api
        from cme.store.repository import DynamoStore

        fresh = DynamoStore()
        api.runtime.store_factory = lambda: fresh
        try:
            yield
        finally:
            api.runtime.store_factory = lambda: self.warm_store

    def record(self, delegates: list[DelegateRecordings]) -> None:
        """Write generated delegates into the table through the service's own store (their
        AWS calls are not counted in any measurement)."""
        with self.calls.paused(), _moto_without_rollback_copies():
            for delegate in delegates:
                delegate.write_to(self.warm_store)

    def stored_items(self) -> list[dict[str, Any]]:
        """Every item of the table, as DynamoDB JSON."""
        pages = self.dynamodb.get_paginator("scan").paginate(TableName=self.table)
        return [item for page in pages for item in page["Items"]]


@contextlib.contextmanager
def _moto_without_rollback_copies() -> Iterator[None]:
    """moto copies every table before each transaction, to roll a failed one back: loading
    thousands of generated facts (whose conditions all hold) through the store's own
    transactions would be quadratic. Skipped while loading; nothing is measured then."""
    import copy

    from moto.dynamodb import models

    class TablesKept:
        @staticmethod
        def deepcopy(value: Any, memo: Any = None) -> Any:
            return value if isinstance(value, models.Table) else copy.deepcopy(value, memo)

    models_any: Any = models
    models_any.copy = TablesKept
    try:
        yield
    finally:
        models_any.copy = copy


@contextlib.contextmanager
def _bench_environment(name: str) -> Iterator[dict[str, str]]:
    """The settings the functions read (a table and bucket named after `name`), their
    clock frozen at `NOW`; the environment and the runtime restored on the way out."""
    from cme import api
    from cme.settings import reset_settings

    env = {
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_SESSION_TOKEN": "bench",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_REGION": "eu-west-1",
        "CME_TABLE_NAME": name,
        "CME_BUCKET_NAME": f"{name}-certificates",
        "CME_PUBLIC_BASE_URL": "https://cme.example.org/v1",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        # A report page ends once it has read for this long (wall time): moto answers a
        # Query far slower than DynamoDB, and its time is not the service's.
        "CME_REPORT_BUDGET_SECONDS": "600",
    }
    saved = {k: os.environ.get(k) for k in [*env, "AWS_ENDPOINT_URL"]}
    os.environ.update(env)
    os.environ.pop("AWS_ENDPOINT_URL", None)
    reset_settings()
    runtime = (api.runtime.clock, api.runtime.store_factory)
    api.runtime.clock = lambda: NOW
    try:
        yield env
    finally:
        api.runtime.clock, api.runtime.store_factory = runtime
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        reset_settings()


@contextlib.contextmanager
def service_on_moto(name: str = "cme-bench") -> Iterator[Service]:
    """The service against moto in-process (the template's table and bucket), its clock
    frozen at `NOW`, its AWS calls counted; everything restored on the way out."""
    from moto import mock_aws

    from cme import api
    from cme.store.files import CertificateFiles
    from cme.store.repository import DynamoStore
    from cme_tools.local import moto_journal, moto_s3
    from cme_tools.local.in_process import serialise_moto_calls
    from cme_tools.local.resources import create_resources_at

    clock = [NOW]
    serialise_moto_calls()  # batches record scans side by side
    moto_journal.install()  # moto's time is not measured; without copies there is less of it
    moto_s3.install()  # a missing PDF's tag: NoSuchKey, as S3 answers
    with _bench_environment(name) as env, mock_aws():
        clients = create_resources_at(
            CHECKOUT.template,
            table_name=env["CME_TABLE_NAME"],
            bucket_name=env["CME_BUCKET_NAME"],
            region="eu-west-1",
        )
        dynamodb, s3 = clients.dynamodb, clients.s3
        store = DynamoStore()
        api.runtime.clock = lambda: clock[0]
        api.runtime.store_factory = lambda: store

        def stored_size(table: str, key: dict[str, Any]) -> int:
            return item_size(dynamodb.get_item(TableName=table, Key=key).get("Item", {}))

        calls = AwsCalls([store.client(), CertificateFiles.default().client()], stored_size)
        yield Service(
            calls,
            dynamodb,
            s3,
            env["CME_TABLE_NAME"],
            env["CME_BUCKET_NAME"],
            clock,
            store,
            Functions(CHECKOUT),
        )


@contextlib.contextmanager
def service_in_memory(store: Any) -> Iterator[Callable[..., Answer]]:
    """The four functions' handlers in-process against `store` (a `MemoryStore`): no AWS
    at all. Yields `call(method, path, body=None, *, query="")`."""
    from cme import api

    with _bench_environment("cme-bench-memory"):
        api.runtime.store_factory = lambda: store
        functions = Functions(CHECKOUT)

        def call(method: str, path: str, body: Any = None, *, query: str = "") -> Answer:
            return functions.call(method, path, body, query=query)

        yield call


def programme_document() -> dict[str, Any]:
    """The ESHG 2025 sample as the API takes it."""
    from cme.jsonio import dumps
    from cme.programme import load_programme_file, programme_document

    return dict(
        json.loads(dumps(programme_document(load_programme_file(PROGRAMME_FILE).programme)))
    )


@dataclass(frozen=True)
class FunctionSettings:
    name: str
    memory_mb: int
    timeout_s: int


def function_settings() -> dict[str, FunctionSettings]:
    """Each function's memory and timeout, from `infra/template.yaml`, by its logical id
    less `Function` in lower case (`scan`, ..., `organiser`, `organisertasks`: the export
    function runs the organiser's code with settings of its own)."""
    from cme_tools.local.resources import read_template

    template = read_template(CHECKOUT.template)
    found: dict[str, FunctionSettings] = {}
    globals_ = template.get("Globals", {}).get("Function", {})
    for logical_id, resource in template["Resources"].items():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        props = resource["Properties"]
        name = logical_id.removesuffix("Function").lower()
        found[name] = FunctionSettings(
            name,
            int(props.get("MemorySize", globals_.get("MemorySize", 128))),
            int(props.get("Timeout", globals_.get("Timeout", 3))),
        )
    return found


# --------------------------------------------------------------------------- a congress


@dataclass(frozen=True)
class DelegateMix:
    """What an average delegate of an ESHG-like congress records and asks, over the congress
    and the on-demand months after it. The shares are assumptions, stated in the table."""

    in_person: float = 0.70
    day_attended: float = 0.875
    """In person: the chance of coming on a given day (3.5 of 4 days)."""
    slot_evaluated: float = 0.75
    """The chance of evaluating a session of a slot one attended (live or in person)."""
    live_slot_watched: float = 0.70
    """Online: the chance of watching some session of a slot live."""
    on_demand_evaluations: float = 2.0
    """Recordings watched and evaluated later, per delegate."""
    open_cart_item: float = 0.25
    """The chance of leaving one claimed session unevaluated (no certificate then)."""
    removed_cart_item: float = 0.30
    """The chance of adding a session to the cart and removing it again."""
    cart_first: float = 0.5
    """The share of evaluations whose session was put in the cart before (the platform's
    "claim" button); the others join the cart by the evaluation itself."""
    reissued: float = 0.20
    """The share of certificates issued again after later evaluations."""
    statement_views: float = 6.0
    cart_views: float = 4.0
    certificate_downloads: float = 1.0
    verifications: float = 0.5
    """Verifications of a certificate by a board, per delegate."""
    batch_share: float = 0.15
    """The share of scans that arrive in an offline station's batch."""


MIX = DelegateMix()

NAMES = ["Łukasz Żółć", "Ana Pérez", "Jean-Luc Moreau", "Søren Kierkegaard", "Maria Rossi"]


@dataclass
class DelegateRecordings:
    """One generated delegate: what it records, as writes to replay into any store."""

    delegate_id: str
    writes: list[Callable[[Any], None]]
    """Calls of the `Store` protocol, in the order the service would make them."""
    facts: Any
    calls: Counter[str]
    """API requests this delegate made, by operation."""

    def write_to(self, store: Any) -> None:
        """The writes, then the refresh of the delegate's report row the service makes
        after each (once here, at the end: the same row)."""
        from cme.projection import after_write

        for write in self.writes:
            write(store)
        after_write(store, EVENT, self.delegate_id)


class Congress:
    """Delegates of the ESHG 2025 programme with `MIX`'s facts."""

    def __init__(self, seed: int = 2025) -> None:
        from cme.programme import load_programme_file

        self.programme = load_programme_file(PROGRAMME_FILE).programme
        self.random = random.Random(seed)
        self.accredited = {
            slot.id: [s for s in self.programme.sessions_of_slot(slot.id) if s.accredited]
            for slot in self.programme.slots
        }
        self.recorded = [s for s in self.programme.sessions if s.recorded and s.accredited]

    def delegates(self, count: int, mix: DelegateMix = MIX) -> Iterator[DelegateRecordings]:
        for n in range(count):
            yield _Delegate(self, f"ESHG25-{n:05d}", mix).record()


@functools.cache
def sample_congress(
    count: int = 3_500, seed: int = 2025
) -> tuple[Congress, list[DelegateRecordings]]:
    """`count` delegates of one congress, generated once per process (several benches use
    them)."""
    congress = Congress(seed=seed)
    return congress, list(congress.delegates(count))


def in_memory(delegates: list[DelegateRecordings]) -> Any:
    """A `MemoryStore` with the programme and these delegates."""
    from cme.programme import load_programme_file, programme_document
    from cme_tools.memory_store import MemoryStore

    store = MemoryStore()
    document = programme_document(load_programme_file(PROGRAMME_FILE).programme)
    store.save_programme(EVENT, document, replaces=None, now=NOW)
    for delegate in delegates:
        delegate.write_to(store)
    return store


class _Delegate:
    """One delegate going through the congress and the months after it."""

    def __init__(self, congress: Congress, delegate_id: str, mix: DelegateMix) -> None:
        self.congress, self.delegate_id, self.mix = congress, delegate_id, mix
        self.rnd = congress.random
        self.writes: list[Callable[[Any], None]] = []
        self.latest: Any = None
        self.calls: Counter[str] = Counter()
        self.in_person = self.rnd.random() < mix.in_person
        self.name = self.rnd.choice(NAMES)
        self.scans: list[Any] = []
        self.views: list[Any] = []
        self.evaluations: dict[str, Any] = {}
        self.cart: set[str] = set()

    def record(self) -> DelegateRecordings:
        from cme.facts import DelegateFacts
        from cme.rules.credits import compute_statement

        self._register()
        for day in self.congress.programme.days:
            self._attend(day.date)
        self._watch_recordings()
        self._tidy_cart()
        facts = DelegateFacts(
            delegate_id=self.delegate_id,
            scans=tuple(self.scans),
            views=tuple(self.views),
            cart=frozenset(self.cart),
            evaluations=self.evaluations,
        )
        statement = compute_statement(self.congress.programme, facts)
        self.calls["statement"] += _draw(self.rnd, self.mix.statement_views)
        self.calls["cart get"] += _draw(self.rnd, self.mix.cart_views)
        if statement.certificate_ready and statement.total > 0:
            issues = 1 + (self.rnd.random() < self.mix.reissued)
            for n in range(issues):
                self._certificate(statement, n)
            self.calls["certificate issue"] += issues
            self.calls["certificate get"] += _draw(self.rnd, self.mix.certificate_downloads)
            self.calls["verification"] += _draw(self.rnd, self.mix.verifications)
        return DelegateRecordings(self.delegate_id, self.writes, facts, self.calls)

    def _register(self) -> None:
        from cme.facts import Attendance, Delegate

        attendance = Attendance.IN_PERSON if self.in_person else Attendance.ONLINE
        email = f"{self.delegate_id.lower()}@hospital.example.org"
        delegate = Delegate(self.delegate_id, self.name, attendance, email, "physician")
        self.writes.append(lambda store: store.save_delegate(EVENT, delegate, now=NOW))
        self.calls["delegate put"] += 1

    def _attend(self, day: Any) -> None:
        from cme.facts import Scan, View, ViewKind

        rnd, mix = self.rnd, self.mix
        slots = self.congress.programme.slots_of_day(day)
        if self.in_person:
            if rnd.random() >= mix.day_attended:
                return
            first = min(s.start for s in slots) - timedelta(minutes=rnd.randint(5, 40))
            scan = Scan(_uuid(rnd), first, day, f"cme-desk-{rnd.randint(1, 12):02d}")
            self._write("add_scan", EVENT, self.delegate_id, scan, received_at=first)
            self.scans.append(scan)
            self.calls["scan (batch)" if rnd.random() < mix.batch_share else "scan"] += 1
        for slot in slots:
            sessions = self.congress.accredited[slot.id]
            if not sessions:
                continue
            session = rnd.choice(sessions)
            if not self.in_person:
                if rnd.random() >= mix.live_slot_watched:
                    continue
                at = session.start + timedelta(minutes=rnd.randint(0, 10))
                view = View(_uuid(rnd), session.id, ViewKind.LIVE, at, rnd.randint(600, 5400))
                self._write("add_view", EVENT, self.delegate_id, view, received_at=at)
                self.views.append(view)
                self.calls["view"] += 1
            if rnd.random() < mix.slot_evaluated:
                self._evaluate(session, session.end + timedelta(minutes=rnd.randint(2, 240)))

    def _watch_recordings(self) -> None:
        from cme.facts import View, ViewKind

        rnd = self.rnd
        for _ in range(_draw(rnd, self.mix.on_demand_evaluations)):
            session = rnd.choice(self.congress.recorded)
            at = datetime(2025, 6, 1, 18, tzinfo=UTC) + timedelta(hours=rnd.randint(0, 2000))
            view = View(_uuid(rnd), session.id, ViewKind.ON_DEMAND, at, rnd.randint(600, 5400))
            self._write("add_view", EVENT, self.delegate_id, view, received_at=at)
            self.views.append(view)
            self.calls["view"] += 1
            self._evaluate(session, at + timedelta(minutes=rnd.randint(60, 300)))

    def _evaluate(self, session: Any, at: datetime) -> None:
        from cme.facts import Evaluation

        if session.id in self.evaluations:
            return
        if self.rnd.random() < self.mix.cart_first and session.id not in self.cart:
            self._write("add_to_cart", EVENT, self.delegate_id, session.id, now=at)
            self.calls["cart put"] += 1
        evaluation = Evaluation(session.id, at, _answers(self.rnd))
        self._write("add_evaluation", EVENT, self.delegate_id, evaluation, received_at=at)
        self.evaluations[session.id] = evaluation
        self.cart.add(session.id)
        self.calls["evaluation"] += 1

    def _tidy_cart(self) -> None:
        programme = self.congress.programme
        if self.rnd.random() < self.mix.removed_cart_item:
            self.calls["cart put"] += 1
            self.calls["cart delete"] += 1
        if self.rnd.random() < self.mix.open_cart_item:
            claimable = [s for s in programme.sessions if s.accredited]
            session = self.rnd.choice([s for s in claimable if s.id not in self.evaluations])
            self._write("add_to_cart", EVENT, self.delegate_id, session.id, now=NOW)
            self.cart.add(session.id)
            self.calls["cart put"] += 1

    def _certificate(self, statement: Any, n: int) -> None:
        """What `issuing.issue_certificate` records, with the facts it would state."""
        from cme import issuing
        from cme.records import Certificate, CertificateStatus
        from cme.serials import new_serial
        from cme.store.files import pdf_key

        serial = new_serial()
        issued = NOW + timedelta(days=n)
        facts = issuing.certificate_facts(
            self.congress.programme,
            statement,
            delegate_name=self.name,
            serial=serial,
            issued_at=issued,
            verify_url=issuing.verify_url("https://cme.example.org/v1", serial),
        )
        certificate = Certificate(
            serial=serial,
            event_id=EVENT,
            delegate_id=self.delegate_id,
            status=CertificateStatus.VALID,
            total=statement.total,
            days=tuple((d.date, d.credits) for d in statement.days),
            issued_at=issued,
            pdf_key=pdf_key(EVENT, serial),
            fingerprint=issuing.fingerprint(facts),
        )
        latest, stated = self.latest, issuing.facts_document(facts)
        self.writes.append(
            lambda store: store.add_certificate(
                certificate, stated, latest=latest, supersede=latest is not None, now=issued
            )
        )
        self.latest = certificate

    def _write(self, method: str, *args: Any, **kwargs: Any) -> None:
        self.writes.append(lambda store: getattr(store, method)(*args, **kwargs))


def _draw(rnd: random.Random, mean: float) -> int:
    """A whole number of requests averaging `mean`."""
    return int(mean) + (rnd.random() < mean % 1)


def _uuid(rnd: random.Random) -> str:
    return "%08x-%04x-4%03x-%04x-%012x" % (  # noqa: UP031 - a uuid4's shape
        rnd.getrandbits(32),
        rnd.getrandbits(16),
        rnd.getrandbits(12),
        rnd.getrandbits(16) | 0x8000,
        rnd.getrandbits(48),
    )


def _answers(rnd: random.Random) -> dict[str, Any]:
    """An evaluation form's answers, as a platform sends them."""
    return {
        "relevance": rnd.randint(3, 5),
        "quality": rnd.randint(3, 5),
        "commercial_bias": "no",
        "practice_change": rnd.choice(["yes", "no", "maybe"]),
        "comment": rnd.choice(["", "Clear and useful.", "Too fast on the statistics part."]),
    }


# --------------------------------------------------------------------------- a sample on moto


@dataclass(frozen=True)
class ReportOnMoto:
    """One report page of every delegate of a sample written into moto."""

    delegates: list[DelegateRecordings]
    usage: Usage
    """The AWS calls of one request."""
    own_ms: float
    """The organiser handler's own CPU time (moto's taken out), the median of three."""
    status: int
    body: Any
    stored_bytes: int
    """What the delegates keep in the table as DynamoDB bills it: each item's size plus
    100 bytes (guards, certificates by serial and heads included)."""


@functools.cache
def report_on_moto(count: int = 100, seed: int = 11) -> ReportOnMoto:
    """`count` generated delegates written into moto by the service's store, then the
    report of all of them, once per process (several benches read it). Writing them takes
    moto about half a second a delegate, so the sample is a hundred: what is read from it
    is per delegate."""
    delegates = list(Congress(seed=seed).delegates(count))
    with service_on_moto("cme-bench-sample") as service:
        answer = service.call("PUT", f"/events/{EVENT}", programme_document())
        assert answer.status == 201, answer.text
        service.record(delegates)
        stored = sum(
            item_size(item) + 100
            for item in service.stored_items()
            if not item["sk"]["S"].startswith("PROGRAMME")
        )
        service.call("GET", f"/events/{EVENT}/report", query="limit=1")  # a warm container
        samples: list[float] = []
        for _ in range(3):
            with service.calls.measuring() as usage:
                began = cpu()
                answer = service.call("GET", f"/events/{EVENT}/report", query=f"limit={count}")
                samples.append((cpu() - began - usage.outside_seconds) * 1000)
    return ReportOnMoto(delegates, usage, median(samples), answer.status, answer.body, stored)


def median(samples: list[float]) -> float:
    ordered = sorted(samples)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
