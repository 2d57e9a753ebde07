"""What the benchmarks that run the service share.

- `service_on_moto()`: the real Lambda handlers in-process against moto, with the
  template's table and bucket and a frozen clock (as the integration tests run them).
- `AwsCalls`: every AWS API call the service makes, counted by operation with botocore's
  event hooks on each client it uses (pynamodb's DynamoDB clients and the S3 client),
  with the DynamoDB capacity units the call consumes (from the real items' sizes) and the
  time moto itself spent answering, so that the service's own time can be told apart.
- `Congress`: delegates with a realistic mix of facts, their items built by the store's
  own code (`Store.add_scan`, `add_evaluation`, ...), so they have the sizes the service
  writes.
- `InMemoryPartition`: DynamoDB's Query served from memory with DynamoDB's paging rule,
  for partitions too big for moto (moto scans and sorts the whole partition on every
  call: 19 pages of 120,000 items took it 168 s).

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


def read_units(size: int) -> float:
    """Eventually consistent (pynamodb's default): half a unit per started 4 KB."""
    return 0.5 * max(1, math.ceil(size / 4096))


# --------------------------------------------------------------------------- AWS calls


@dataclass
class Usage:
    """What some requests cost in AWS calls (by "service:Operation"), DynamoDB capacity
    units, bytes, and the seconds moto spent answering (not the service's time)."""

    calls: Counter[str] = field(default_factory=Counter)
    write_units: float = 0.0
    read_units: float = 0.0
    bytes_read: int = 0
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
        self._sent_at = 0.0
        for client in clients:
            events = client.meta.events
            service = client.meta.service_model.service_id.hyphenize()
            events.register(f"before-parameter-build.{service}", self._keep_params)
            events.register(f"before-call.{service}", self._before_call)
            events.register(f"after-call.{service}", self._after_call)
            events.register_first(f"before-send.{service}", self._sending)
            events.register_last("before-send", self._answered)

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
        began = cpu()
        context["bench_began"] = began
        self._count(model, context)
        self.usage.outside_seconds += cpu() - began

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
        began = cpu()
        self._read(model, parsed)
        ended = cpu()
        self.usage.outside_seconds += ended - began
        self.usage.call_seconds += ended - context.get("bench_began", ended)

    def _read(self, model: Any, parsed: dict[str, Any]) -> None:
        if model.name == "Query":
            size = sum(item_size(i) for i in parsed.get("Items", []))
            self.usage.bytes_read += size
            self.usage.read_units += read_units(size)
        elif model.name == "GetItem":
            size = item_size(parsed.get("Item", {}))
            self.usage.bytes_read += size
            self.usage.read_units += read_units(size)
        elif model.name == "BatchGetItem":
            for items in parsed.get("Responses", {}).values():
                for item in items:
                    self.usage.bytes_read += item_size(item)
                    self.usage.read_units += read_units(item_size(item))

    def _sending(self, **_: Any) -> None:
        self._sent_at = cpu()

    def _answered(self, **_: Any) -> None:
        if self._sent_at:
            self.usage.outside_seconds += cpu() - self._sent_at
            self._sent_at = 0.0


def service_clients(store: Any, files: Any) -> list[Any]:
    """Every botocore client the service uses: pynamodb keeps one per model class."""
    from cme.store.models import Item

    models: list[Any] = [Item]
    for model in models:
        models.extend(model.__subclasses__())
    found = [m._get_connection().connection.client for m in models]
    found += [store.connection().client, files.client()]
    return list({id(c): c for c in found}.values())


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
        from cme.store import Store

        fresh = Store()
        api.runtime.store_factory = lambda: fresh
        try:
            yield
        finally:
            api.runtime.store_factory = lambda: self.warm_store

    def load(self, items: list[Any]) -> None:
        """Write pynamodb items straight into the table (no counting), 25 per call."""
        for start in range(0, len(items), 25):
            chunk = items[start : start + 25]
            self.dynamodb.batch_write_item(
                RequestItems={self.table: [{"PutRequest": {"Item": i.serialize()}} for i in chunk]}
            )


@contextlib.contextmanager
def service_on_moto(name: str = "cme-bench") -> Iterator[Service]:
    """The service against moto in-process (the template's table and bucket), its clock
    frozen at `NOW`, its AWS calls counted; everything restored on the way out."""
    from moto import mock_aws

    from cme import api
    from cme.settings import reset_settings
    from cme.store import Store
    from cme.store.files import CertificateFiles
    from cme_tools.local.resources import create_resources_at

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
    }
    saved = {k: os.environ.get(k) for k in [*env, "AWS_ENDPOINT_URL"]}
    os.environ.update(env)
    os.environ.pop("AWS_ENDPOINT_URL", None)
    reset_settings()
    runtime = (api.runtime.clock, api.runtime.store_factory)
    clock = [NOW]
    try:
        with mock_aws():
            clients = create_resources_at(
                CHECKOUT.template,
                table_name=env["CME_TABLE_NAME"],
                bucket_name=env["CME_BUCKET_NAME"],
                region="eu-west-1",
            )
            dynamodb, s3 = clients.dynamodb, clients.s3
            store = Store()
            api.runtime.clock = lambda: clock[0]
            api.runtime.store_factory = lambda: store

            def stored_size(table: str, key: dict[str, Any]) -> int:
                return item_size(dynamodb.get_item(TableName=table, Key=key).get("Item", {}))

            calls = AwsCalls(service_clients(store, CertificateFiles.default()), stored_size)
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
    finally:
        api.runtime.clock, api.runtime.store_factory = runtime
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        reset_settings()


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
    """Each function's memory and timeout, from `infra/template.yaml` (by its CodeUri)."""
    from cme_tools.local.resources import read_template

    template = read_template(CHECKOUT.template)
    found: dict[str, FunctionSettings] = {}
    globals_ = template.get("Globals", {}).get("Function", {})
    for resource in template["Resources"].values():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        props = resource["Properties"]
        name = str(props["CodeUri"]).rstrip("/").rsplit("/", 1)[-1]
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
    """One generated delegate: the store's items and what they hold."""

    delegate_id: str
    items: list[Any]
    facts: Any
    calls: Counter[str]
    """API requests this delegate made, by operation."""


class Congress:
    """Delegates of the ESHG 2025 programme with `MIX`'s facts, built by the store's code."""

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


class _Delegate:
    """One delegate going through the congress and the months after it."""

    def __init__(self, congress: Congress, delegate_id: str, mix: DelegateMix) -> None:
        self.congress, self.delegate_id, self.mix = congress, delegate_id, mix
        self.rnd = congress.random
        self.store = _CollectingStore()
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
        return DelegateRecordings(self.delegate_id, self.store.items, facts, self.calls)

    def _register(self) -> None:
        from cme.facts import Attendance
        from cme.store.models import ProfileItem

        attendance = Attendance.IN_PERSON if self.in_person else Attendance.ONLINE
        self.store.save(
            ProfileItem(
                pk=f"EVENT#{EVENT}",
                sk=f"DEL#{self.delegate_id}#PROFILE",
                delegate_id=self.delegate_id,
                name=self.name,
                attendance=attendance.value,
                email=f"{self.delegate_id.lower()}@hospital.example.org",
                profession="physician",
                created_at=NOW,
                updated_at=NOW,
            )
        )
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
            self.store.add_scan(EVENT, self.delegate_id, scan, received_at=first)
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
                self.store.add_view(EVENT, self.delegate_id, view, received_at=at)
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
            self.store.add_view(EVENT, self.delegate_id, view, received_at=at)
            self.views.append(view)
            self.calls["view"] += 1
            self._evaluate(session, at + timedelta(minutes=rnd.randint(60, 300)))

    def _evaluate(self, session: Any, at: datetime) -> None:
        from cme.facts import Evaluation

        if session.id in self.evaluations:
            return
        if self.rnd.random() < self.mix.cart_first and session.id not in self.cart:
            self.store.add_to_cart(EVENT, self.delegate_id, session.id, now=at)
            self.calls["cart put"] += 1
        evaluation = Evaluation(session.id, at, _answers(self.rnd))
        self.store.now = at
        self.store.add_evaluation(EVENT, self.delegate_id, evaluation, received_at=at)
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
            self.store.add_to_cart(EVENT, self.delegate_id, session.id, now=NOW)
            self.cart.add(session.id)
            self.calls["cart put"] += 1

    def _certificate(self, statement: Any, n: int) -> None:
        """The items `issuing.issue_certificate` records, with the facts it would state."""
        from cme import issuing
        from cme.jsonio import dumps
        from cme.serials import new_serial
        from cme.store.files import pdf_key
        from cme.store.models import CertificateCopyItem, CertificateItem

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
        key = pdf_key(EVENT, serial)
        record = CertificateItem(
            pk=f"CERT#{serial}",
            sk="CERT",
            serial=serial,
            event_id=EVENT,
            delegate_id=self.delegate_id,
            status="valid",
            fingerprint=issuing.fingerprint(facts),
            facts=dumps(issuing.facts_document(facts)),
            pdf_key=key,
            issued_at=issued,
        )
        copy = CertificateCopyItem(
            pk=f"EVENT#{EVENT}",
            sk=f"DEL#{self.delegate_id}#CERT#{serial}",
            serial=serial,
            status="valid",
            total=statement.total,
            days=dumps([[d.date, d.credits] for d in statement.days]),
            issued_at=issued,
            pdf_key=key,
        )
        previous = self.store.head_serial(self.delegate_id)
        self.store.add_certificate(
            record, copy, head_version=n or None, supersedes=previous, now=issued
        )


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


class _CollectingStore:
    """The store's item-building code, with a transaction that keeps the items in a dict
    instead of writing them (a put replaces, an update is applied as the store means it)."""

    def __init__(self) -> None:
        from cme.store import Store

        self.kept: dict[tuple[str, str], Any] = {}
        self.now = NOW
        self._store = Store.__new__(Store)
        self._store.transact = self._collect  # type: ignore[method-assign]

    @property
    def items(self) -> list[Any]:
        return list(self.kept.values())

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def _collect(self, writes: Any) -> None:
        for write in writes:
            write.apply(self)

    def save(self, model: Any, condition: Any = None, **_: Any) -> None:
        self.kept[(model.pk, model.sk)] = model

    def update(self, model: Any, actions: Any, condition: Any = None, **_: Any) -> None:
        """The two updates a congress makes: an evaluated session joins the cart, and a
        new certificate supersedes the previous one."""
        from cme.store.models import CartEntryItem

        key = (model.pk, model.sk)
        if isinstance(model, CartEntryItem):
            if key not in self.kept:
                session = model.sk.rsplit("#", 1)[1]
                self.kept[key] = CartEntryItem(
                    pk=model.pk, sk=model.sk, session_id=session, added_at=self.now
                )
        elif key in self.kept:
            self.kept[key].status = "superseded"

    def condition_check(self, *_: Any, **__: Any) -> None:
        return None

    def delete(self, model: Any, **_: Any) -> None:
        self.kept.pop((model.pk, model.sk), None)

    def head_serial(self, delegate_id: str) -> str | None:
        head = self.kept.get((f"EVENT#{EVENT}", f"DEL#{delegate_id}#CERTHEAD"))
        return None if head is None else str(head.serial)


# --------------------------------------------------------------------------- a big partition


class InMemoryPartition:
    """DynamoDB's Query over the items of a table, served from memory: the items in sort
    key order, a page ending once its items reach `PAGE_BYTES` (DynamoDB's 1 MB, by its
    item size), `LastEvaluatedKey` to go on. Installed as a `before-send` hook on the
    service's DynamoDB clients, so botocore parses each page as it would DynamoDB's."""

    PAGE_BYTES = 1024 * 1024

    def __init__(self, items: list[dict[str, Any]]) -> None:
        self._items = sorted(items, key=lambda i: (i["pk"]["S"], i["sk"]["S"]))
        self._keys = [(i["pk"]["S"], i["sk"]["S"]) for i in self._items]
        self.pages = 0
        self.bytes = 0
        self.seconds = 0.0
        """Time spent answering (the stand-in's, not the service's)."""

    def install(self, clients: list[Any]) -> None:
        for client in clients:
            if client.meta.service_model.service_name == "dynamodb":
                client.meta.events.register_first("before-send.dynamodb.Query", self._query)

    def uninstall(self, clients: list[Any]) -> None:
        for client in clients:
            if client.meta.service_model.service_name == "dynamodb":
                client.meta.events.unregister("before-send.dynamodb.Query", self._query)

    def _query(self, request: Any, **_: Any) -> Any:
        began = cpu()
        try:
            return self._answer(request)
        finally:
            self.seconds += cpu() - began

    def _answer(self, request: Any) -> Any:
        import bisect

        from botocore.awsrequest import AWSResponse
        from moto.core.botocore_stubber import MockRawResponse

        body = json.loads(request.body)
        values = {k: v["S"] for k, v in body["ExpressionAttributeValues"].items()}
        expression = body["KeyConditionExpression"]
        partition, low, high = self._bounds(expression, body["ExpressionAttributeNames"], values)
        start = bisect.bisect_left(self._keys, (partition, low))
        if "ExclusiveStartKey" in body:
            after = (partition, body["ExclusiveStartKey"]["sk"]["S"])
            start = bisect.bisect_right(self._keys, after)
        page: list[dict[str, Any]] = []
        size = 0
        position = start
        while position < len(self._keys) and self._keys[position] <= (partition, high):
            item = self._items[position]
            page.append(item)
            size += item_size(item)
            position += 1
            if size >= self.PAGE_BYTES:
                break
        more = position < len(self._keys) and self._keys[position] <= (partition, high)
        answer: dict[str, Any] = {"Items": page, "Count": len(page), "ScannedCount": len(page)}
        if more and page:
            answer["LastEvaluatedKey"] = {"pk": page[-1]["pk"], "sk": page[-1]["sk"]}
        self.pages += 1
        self.bytes += size
        raw = MockRawResponse(json.dumps(answer).encode())
        headers = {"Content-Type": "application/x-amz-json-1.0", "x-amzn-RequestId": "bench"}
        return AWSResponse(request.url, 200, headers, raw)

    @staticmethod
    def _bounds(
        expression: str, names: dict[str, str], values: dict[str, str]
    ) -> tuple[str, str, str]:
        """`pk = :p AND sk BETWEEN :a AND :b` or `... begins_with (sk, :a)`, as pynamodb
        writes them."""
        import re

        for placeholder, name in names.items():
            expression = expression.replace(placeholder, name)
        expression = expression.strip().removeprefix("(").removesuffix(")")
        if m := re.fullmatch(r"pk = (:\w+) AND sk BETWEEN (:\w+) AND (:\w+)", expression):
            return values[m[1]], values[m[2]], values[m[3]]
        if m := re.fullmatch(r"pk = (:\w+) AND begins_with \(sk, (:\w+)\)", expression):
            return values[m[1]], values[m[2]], values[m[2]] + "\uffff"
        raise ValueError(f"the in-memory partition does not answer {expression!r}")


def median(samples: list[float]) -> float:
    ordered = sorted(samples)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
