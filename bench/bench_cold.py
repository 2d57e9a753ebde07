"""A cold start as a delegate waits for it: a fresh interpreter's import of each function's
`app.py` PLUS its first request, against the floor measured the same way.

Deferring an import to the first request moves its cost, it does not remove it; so each
subject is timed from the start of the handler module's import to the end of its first
answer. The subjects, each in a fresh interpreter, round by round in turn (interleaved, so
that a drift of the busy machine's speed touches all of them alike), the median taken:

- `floor`: a validated powertools REST handler (resolver with validation, a pydantic body,
  Logger, boto3) answering one trivial POST: what any function built on the resolver pays;
- `bare`: a bare boto3 handler making its DynamoDB client on its first request (a yardstick);
- each function answering the first request a delegate waits on (`FIRST_REQUESTS`):
  scan: a badge scan (POST scan); evaluate: the credit statement (GET credits);
  certificate: the certificate itself (POST certificate: the PDF drawn and stored) and,
  in its own row, a board's verification (GET /certificates/{serial}); organiser: the
  programme (GET programme).

The functions' requests are answered by moto in-process, with the table and bucket of
`infra/template.yaml` and the facts of a few generated delegates of the ESHG sample, all
made BEFORE the timed part (moto's own start and import are not counted, and neither is
moto answering: its CPU time inside the requests is taken out, as DynamoDB's and S3's
work is not the function's). moto imports boto3 and botocore for every subject alike, so
the absolute numbers leave those out; the difference to the floor does not depend on it.
CPU time is the figure (the machine is shared); wall time is reported beside it.

Bytecode: Lambda cannot write any (its code is read-only), so a layer shipped without it
compiles every module it imports at every cold start; the layer now ships it
(`layers/common/Makefile`). The children here get a bytecode cache of their own
(`PYTHONPYCACHEPREFIX`), written by a warm-up run of each subject, so every subject
imports from bytecode as in Lambda. `CME_BENCH_BYTECODE=0` measures the layer as it was
built before (nothing cached, everything compiled at each start).

Then `python -X importtime` (the median of `IMPORTTIME_RUNS` runs, import only) says where
each function's import time goes beyond the floor's: the packages, and the `cme` modules
(a module's own time includes what it runs at import).

`python -m bench.bench_cold prepare DIR` writes the moto fixture, one request file per
subject and the child script into DIR, to time a subject's whole process from outside:
`python DIR/first_request.py DIR/scan.json`.

Measured only: nothing here changes how the functions import.
"""

from __future__ import annotations

import base64
import functools
import json
import os
import re
import subprocess
import sys
import tempfile
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.harness import Row
from bench.support import CHECKOUT, EVENT, NOW, median

FUNCTIONS = ("scan", "evaluate", "certificate", "organiser")
ROUNDS = 7
IMPORTTIME_RUNS = 3
MARGIN_MS = 40.0
SNAPSTART = "snapstart-"
"""The subjects measured as SnapStart leaves them: their `before_snapshot` hooks run after
the import (the snapshot), then timed: the `after_restore` hooks and the first request."""
"""Issue 14, item 6: each function within 40 ms of the floor (CPU, import + first request)."""

BARE_HANDLER = '''"""A bare boto3 handler: the yardstick."""
import boto3

_client = None


def lambda_handler(event, context):
    global _client
    if _client is None:
        _client = boto3.client("dynamodb", region_name="eu-west-1")
    return {"statusCode": 200, "body": "{}"}
'''

FLOOR_HANDLER = '''"""The least a validated powertools REST handler imports."""
from typing import Annotated

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.event_handler.openapi.params import Body
from pydantic import BaseModel

logger = Logger()
app = APIGatewayRestResolver(enable_validation=True)


class Body_(BaseModel):
    value: str


@app.post("/x")
def post(body: Annotated[Body_, Body()]) -> dict:
    return {"client": boto3.__name__}


def lambda_handler(event, context):
    return app.resolve(event, context)
'''

FIRST_REQUEST = r'''
"""One cold start: moto and the fixture first (not timed), then the handler module's import
and its first request (timed, moto's own CPU taken out). Prints one JSON line last."""
import base64, importlib.util, json, sys, time
from datetime import datetime

cpu, wall = time.process_time, time.perf_counter
spec = json.loads(open(sys.argv[1], encoding="utf-8").read())

from moto import mock_aws
from moto.core.botocore_stubber import BotocoreStubber

outside = [0.0, 0.0]
_answer = BotocoreStubber.__call__


def _timed(self, *args, **kwargs):
    began_cpu, began_wall = cpu(), wall()
    try:
        return _answer(self, *args, **kwargs)
    finally:
        outside[0] += cpu() - began_cpu
        outside[1] += wall() - began_wall


BotocoreStubber.__call__ = _timed
mock_aws().start()
hooks = {"before": [], "after": []}
if spec.get("snapstart"):  # Lambda's snapshot_restore_py, as far as the function sees it
    import types

    runtime = types.ModuleType("snapshot_restore_py")
    runtime.register_before_snapshot = lambda f, *a: hooks["before"].append((f, a))
    runtime.register_after_restore = lambda f, *a: hooks["after"].append((f, a))
    sys.modules["snapshot_restore_py"] = runtime
if spec.get("fixture"):
    import boto3

    fixture = json.loads(
        open(spec["fixture"], encoding="utf-8").read(),
        object_hook=lambda o: base64.b64decode(o["$b64"]) if "$b64" in o else o,
    )
    seeding = boto3.session.Session(region_name="eu-west-1")  # not the function's session
    dynamodb, s3 = seeding.client("dynamodb"), seeding.client("s3")
    dynamodb.create_table(**fixture["table"])
    items = fixture["items"]
    table = fixture["table"]["TableName"]
    for start in range(0, len(items), 25):
        dynamodb.batch_write_item(
            RequestItems={table: [{"PutRequest": {"Item": i}} for i in items[start:start + 25]]}
        )
    s3.create_bucket(
        Bucket=fixture["bucket"],
        CreateBucketConfiguration={"LocationConstraint": "eu-west-1"},
    )
    for key, body in fixture["objects"].items():
        s3.put_object(Bucket=fixture["bucket"], Key=key, Body=base64.b64decode(body))


class Context:
    function_name = "bench"
    function_version = "$LATEST"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:bench"
    aws_request_id = "00000000-0000-4000-8000-000000000000"


path = spec["app"]
sys.path.insert(0, path.rsplit("/", 1)[0])
outside[:] = [0.0, 0.0]
began_cpu, began_wall = cpu(), wall()
module_spec = importlib.util.spec_from_file_location("app", path)
module = importlib.util.module_from_spec(module_spec)
sys.modules["app"] = module
module_spec.loader.exec_module(module)
imported_cpu, imported_wall = cpu(), wall()
if spec.get("now") and "cme.api" in sys.modules:  # the bench's frozen clock, set untimed
    now = datetime.fromisoformat(spec["now"])
    sys.modules["cme.api"].runtime.clock = lambda: now
for hook, args in reversed(hooks["before"]):  # the snapshot: not timed
    hook(*args)
outside[:] = [0.0, 0.0]
clock_cpu, clock_wall = cpu(), wall()
for hook, args in hooks["after"]:  # a restore: its hooks, then the first request
    hook(*args)
result = module.lambda_handler(spec["event"], Context())
ended_cpu, ended_wall = cpu(), wall()
if result.get("statusCode") != spec["status"]:
    raise SystemExit(f"answered {result.get('statusCode')}: {str(result.get('body'))[:300]}")
print(json.dumps({
    "import_cpu": (imported_cpu - began_cpu) * 1000,
    "request_cpu": (ended_cpu - clock_cpu - outside[0]) * 1000,
    "wall": (ended_wall - clock_wall + imported_wall - began_wall - outside[1]) * 1000,
    "moto_cpu": outside[0] * 1000,
}))
'''


@dataclass(frozen=True)
class Subject:
    name: str
    app: str
    """Path to the handler module, or the name of a handler written here (`bare`, `floor`)."""
    method: str
    path: str
    body: Any
    status: int
    what: str


def _environment(bytecode: Path | None = None) -> dict[str, str]:
    """What Lambda sets that the code reads (nothing at import, by the house rules), and
    where the children's bytecode is cached (`bytecode`; None: nowhere)."""
    inherited = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    if bytecode is None:
        inherited["PYTHONDONTWRITEBYTECODE"] = "1"
    else:
        inherited["PYTHONPYCACHEPREFIX"] = str(bytecode)
    return {
        **inherited,
        "AWS_REGION": "eu-west-1",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_SESSION_TOKEN": "bench",
        "AWS_LAMBDA_FUNCTION_NAME": "bench",
        "CME_TABLE_NAME": "cme-cold",
        "CME_BUCKET_NAME": "cme-cold-certificates",
        "CME_PUBLIC_BASE_URL": "https://cme.example.org/v1",
        "POWERTOOLS_SERVICE_NAME": "cme-credits",
        "POWERTOOLS_METRICS_NAMESPACE": "CmeCredits",
        "LOG_LEVEL": "INFO",  # the template's default
    }


# --------------------------------------------------------------------------- the fixture


def _write_fixture(directory: Path) -> list[Subject]:
    """The table, bucket and facts the first requests meet (a few delegates of the sample
    congress written through the service on moto), and the subjects with their requests."""
    from bench.support import sample_congress, service_on_moto
    from cme_tools.local.resources import TABLE, read_template, table_definition

    env = _environment()
    with service_on_moto("cme-bench-cold") as service:
        _, delegates = sample_congress(40)
        service.call("PUT", f"/events/{EVENT}", _programme())
        service.record(delegates)
        chosen = _chosen(service, [d.delegate_id for d in delegates])
        items, objects = service.stored_items(), _objects(service)
        ready = f"/events/{EVENT}/delegates/{chosen['ready']}/certificate"
        if service.call("POST", ready).status != 201:  # the child's request, tried here
            raise RuntimeError(f"{chosen['ready']} is not ready for a certificate")
        serial = chosen["serial"]
    table = table_definition(read_template(CHECKOUT.template), TABLE, env["CME_TABLE_NAME"])
    fixture = {
        "table": table,
        "bucket": env["CME_BUCKET_NAME"],
        "items": items,
        "objects": objects,
    }
    (directory / "fixture.json").write_text(json.dumps(fixture, default=_bytes), encoding="utf-8")
    delegate = f"/events/{EVENT}/delegates/{chosen['ready']}"
    scan = {
        "scan_id": str(uuid.UUID(int=14)),
        "delegate_id": chosen["any"],
        "station_id": "hall-a",
        "scanned_at": "2025-05-25T08:30:00+02:00",
    }
    source = CHECKOUT.function_source
    return [
        Subject("bare", "bare", "GET", "/x", None, 200, "its DynamoDB client made"),
        Subject("floor", "floor", "POST", "/x", {"value": "a"}, 200, "POST of a pydantic body"),
        Subject(
            "scan", str(source("scan")), "POST", f"/events/{EVENT}/scans", scan, 201, "POST scan"
        ),
        Subject(
            "evaluate",
            str(source("evaluate")),
            "GET",
            f"/events/{EVENT}/delegates/{chosen['any']}/credits",
            None,
            200,
            "GET credits",
        ),
        Subject(
            "certificate",
            str(source("certificate")),
            "POST",
            delegate + "/certificate",
            None,
            201,
            "POST certificate (PDF drawn and stored)",
        ),
        Subject(
            "verify",
            str(source("certificate")),
            "GET",
            f"/certificates/{serial}",
            None,
            200,
            "GET /certificates/{serial}",
        ),
        Subject(
            "organiser",
            str(source("organiser")),
            "GET",
            f"/events/{EVENT}",
            None,
            200,
            "GET programme",
        ),
    ]


def _programme() -> dict[str, Any]:
    from bench.support import programme_document

    return programme_document()


def _chosen(service: Any, delegate_ids: list[str]) -> dict[str, str]:
    """A delegate with facts; one without a certificate made ready for its first (the
    sessions it left unevaluated taken out of its cart); the serial of an issued one (the
    generated congress records certificates without PDFs: read from the table, not asked
    through the certificate routes, which would look for the PDF)."""
    chosen: dict[str, str] = {"any": delegate_ids[0]}
    records = (pk for pk, _ in (_key(item) for item in service.stored_items()))
    chosen["serial"] = next(pk.removeprefix("CERT#") for pk in records if pk.startswith("CERT#"))
    for delegate_id in delegate_ids:
        delegate = f"/events/{EVENT}/delegates/{delegate_id}"
        if service.call("GET", delegate + "/certificate").status != 404:
            continue
        cart = service.call("GET", delegate + "/cart").body["items"]
        evaluated = [i for i in cart if i["evaluation"] == "done"]
        if evaluated:
            for item in cart:
                if item not in evaluated:
                    service.call("DELETE", f"{delegate}/cart/{item['session_id']}")
            chosen["ready"] = delegate_id
            return chosen
    raise RuntimeError("no delegate of the sample to issue a first certificate to")


def _key(item: dict[str, Any]) -> tuple[str, str]:
    return item["pk"]["S"], item["sk"]["S"]


def _bytes(value: object) -> dict[str, str]:
    """Binary attributes in the fixture's JSON (the child reads them back)."""
    if isinstance(value, bytes):
        return {"$b64": base64.b64encode(value).decode()}
    raise TypeError(type(value).__name__)


def _objects(service: Any) -> dict[str, str]:
    objects: dict[str, str] = {}
    for page in service.s3.get_paginator("list_objects_v2").paginate(Bucket=service.bucket):
        for entry in page.get("Contents", []):
            body = service.s3.get_object(Bucket=service.bucket, Key=entry["Key"])["Body"].read()
            objects[entry["Key"]] = base64.b64encode(body).decode()
    return objects


def prepare(directory: Path) -> list[Path]:
    """Everything a cold start needs in `directory`: the child script, the fixture, one
    request file per subject (returned, in `Subject` order)."""
    from cme_tools.local.events import PLATFORM_KEY_ID, rest_event

    directory.mkdir(parents=True, exist_ok=True)
    (directory / "first_request.py").write_text(FIRST_REQUEST, encoding="utf-8")
    for name, source in (("bare", BARE_HANDLER), ("floor", FLOOR_HANDLER)):
        (directory / name).mkdir(exist_ok=True)
        (directory / name / "app.py").write_text(source, encoding="utf-8")
    files = []
    for subject in _write_fixture(directory):
        handwritten = subject.app in ("bare", "floor")
        body = None if subject.body is None else json.dumps(subject.body)
        request = {
            "app": str(directory / subject.app / "app.py") if handwritten else subject.app,
            "fixture": None if handwritten else str(directory / "fixture.json"),
            "now": None if handwritten else NOW.isoformat(),
            "event": rest_event(
                subject.method,
                subject.path,
                body=body,
                headers={"content-type": "application/json", "accept": "application/json"},
                api_key_id=PLATFORM_KEY_ID,
            ),
            "status": subject.status,
            "what": subject.what,
        }
        file = directory / f"{subject.name}.json"
        file.write_text(json.dumps(request), encoding="utf-8")
        files.append(file)
        if subject.name != "bare":  # the same first request, in an environment restored
            restored = directory / f"{SNAPSTART}{subject.name}.json"
            restored.write_text(json.dumps({**request, "snapstart": True}), encoding="utf-8")
            files.append(restored)
    return files


# --------------------------------------------------------------------------- measuring


def _bytecode(directory: Path) -> Path | None:
    return None if os.environ.get("CME_BENCH_BYTECODE") == "0" else directory / "bytecode"


def _first_request(directory: Path, request: Path) -> dict[str, float]:
    result = subprocess.run(
        [sys.executable, str(directory / "first_request.py"), str(request)],
        capture_output=True,
        text=True,
        check=False,
        env=_environment(_bytecode(directory)),
        cwd=directory,
    )
    if result.returncode != 0:
        raise RuntimeError(f"{request.stem}: {result.stderr[-2000:]}")
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


@dataclass(frozen=True)
class ColdStart:
    what: str
    import_cpu: float
    request_cpu: float
    total_cpu: float
    wall: float
    over_floor: list[float]
    """Round by round: this subject's CPU ms minus the floor's of the same round."""


@functools.cache
def cold_starts() -> dict[str, ColdStart]:
    """Per subject: medians over `ROUNDS` interleaved rounds of fresh interpreters."""
    with tempfile.TemporaryDirectory(prefix="cme-bench-cold-") as scratch:
        directory = Path(scratch)
        files = prepare(directory)
        for file in files:
            _first_request(directory, file)  # bytecode cached, files in the page cache
        runs: dict[str, list[dict[str, float]]] = {file.stem: [] for file in files}
        for _ in range(ROUNDS):
            for file in files:
                runs[file.stem].append(_first_request(directory, file))
        whats = {f.stem: json.loads(f.read_text(encoding="utf-8"))["what"] for f in files}
    results = {}
    for name, samples in runs.items():
        if name.startswith(SNAPSTART):  # what a restore leaves: its hooks and the request
            totals = [r["request_cpu"] for r in samples]
            floor = [r["request_cpu"] for r in runs[SNAPSTART + "floor"]]
        else:
            totals = [r["import_cpu"] + r["request_cpu"] for r in samples]
            floor = [r["import_cpu"] + r["request_cpu"] for r in runs["floor"]]
        results[name] = ColdStart(
            whats[name],
            median([r["import_cpu"] for r in samples]),
            median([r["request_cpu"] for r in samples]),
            median(totals),
            median([r["wall"] for r in samples]),
            [t - f for t, f in zip(totals, floor, strict=True)],
        )
    return results


def cold_imports() -> dict[str, tuple[float, float, list[float]]]:
    """Per function: the median import CPU ms (what Lambda bills as init), its ratio to
    the floor's, and the rounds' differences to the floor (import and first request)."""
    results = cold_starts()
    floor = results["floor"].import_cpu
    return {
        name: (result.import_cpu, result.import_cpu / floor, result.over_floor)
        for name, result in results.items()
        if name in FUNCTIONS or name == "floor"
    }


# --------------------------------------------------------------------------- where it goes

IMPORT_BYTECODE = Path(tempfile.gettempdir()) / "cme-bench-cold-bytecode"
_IMPORT = """
import importlib.util, sys
path = sys.argv[1]
sys.path.insert(0, path.rsplit("/", 1)[0])
spec = importlib.util.spec_from_file_location("app", path)
module = importlib.util.module_from_spec(spec)
sys.modules["app"] = module
spec.loader.exec_module(module)
"""


def _import_costs(path: Path) -> Counter[str]:
    """Microseconds of import by top-level package, and by module inside `cme` (each
    module's own time), the median of `IMPORTTIME_RUNS` runs."""
    _one_import_costs(path)  # bytecode cached first, as for the timed runs
    runs = [_one_import_costs(path) for _ in range(IMPORTTIME_RUNS)]
    names = set().union(*runs)
    return Counter({name: int(median([run.get(name, 0) for run in runs])) for name in names})


def _one_import_costs(path: Path) -> Counter[str]:
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", _IMPORT, str(path)],
        capture_output=True,
        text=True,
        check=True,
        env=_environment(None if os.environ.get("CME_BENCH_BYTECODE") == "0" else IMPORT_BYTECODE),
        cwd=path.parent,
    )
    costs: Counter[str] = Counter()
    for line in result.stderr.splitlines():
        match = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|\s+(.*)$", line)
        if match:
            module = match[3].strip()
            parts = module.split(".")
            costs[".".join(parts[:2]) if parts[0] == "cme" else parts[0]] += int(match[1])
    return costs


def _top_costs(name: str, baseline: Counter[str]) -> str:
    costs = _import_costs(CHECKOUT.function_source(name))
    beyond = Counter({p: us - baseline.get(p, 0) for p, us in costs.items()})
    top = [(p, us) for p, us in beyond.most_common(6) if us > 2000]
    return ", ".join(f"{p} {us / 1000:.0f}" for p, us in top) or "nothing over 2 ms"


@functools.cache
def _floor_import_costs() -> Counter[str]:
    with tempfile.TemporaryDirectory(prefix="cme-bench-floor-") as scratch:
        floor = Path(scratch) / "app.py"
        floor.write_text(FLOOR_HANDLER, encoding="utf-8")
        return _import_costs(floor)


# --------------------------------------------------------------------------- the rows


def _function_of(name: str) -> str:
    return "certificate" if name == "verify" else name


def _rows(results: dict[str, ColdStart]) -> Iterator[Row]:
    floor, bare = results["floor"], results["bare"]
    note = (
        f"CPU ms, import + first request, median of {ROUNDS} fresh interpreters in "
        "interleaved rounds; interpreter, moto and boto3 start left out"
    )
    yield Row("cold start", f"bare boto3 handler ({bare.what})", bare.total_cpu, "ms", note=note)
    yield Row(
        "cold start",
        f"floor: a validated powertools handler ({floor.what})",
        floor.total_cpu,
        "ms",
        note=f"import {floor.import_cpu:.0f} + request {floor.request_cpu:.0f}; "
        f"wall {floor.wall:.0f} ms",
    )
    for name, result in results.items():
        if name in ("bare", "floor") or name.startswith(SNAPSTART):
            continue
        over = median(result.over_floor)
        yield Row(
            "cold start",
            f"functions/{_function_of(name)}/app.py, {result.what}, over the floor",
            over,
            "ms",
            f"<= floor + {MARGIN_MS:.0f} ms",
            over <= MARGIN_MS,
            (
                f"{result.total_cpu:.0f} ms = import {result.import_cpu:.0f} + request "
                f"{result.request_cpu:.0f} (floor {floor.total_cpu:.0f}; its DynamoDB client "
                f"alone {bare.total_cpu:.0f}); wall "
                f"{result.wall:.0f} ms (floor {floor.wall:.0f}); rounds "
                f"{min(result.over_floor):+.0f} to {max(result.over_floor):+.0f}; import "
                f"beyond the floor's, ms: {_top_costs(_function_of(name), _floor_import_costs())}"
            ),
        )
    yield from _restored_rows(results)


def _restored_rows(results: dict[str, ColdStart]) -> Iterator[Row]:
    """With the template's `SnapStart` on: what a delegate's first request costs in an
    environment restored from the snapshot, against the floor's restored the same way.
    Lambda's own restore (reading the snapshot's memory) is not modelled: it is the same
    work for the floor and the functions, growing with the memory the snapshot holds."""
    floor = results[SNAPSTART + "floor"]
    yield Row(
        "cold start, SnapStart",
        f"floor: a validated powertools handler restored ({floor.what})",
        floor.request_cpu,
        "ms",
        note=f"CPU ms after the restore: its hooks and the first request, median of {ROUNDS}",
    )
    for name, result in results.items():
        if not name.startswith(SNAPSTART) or name == SNAPSTART + "floor":
            continue
        function = _function_of(name.removeprefix(SNAPSTART))
        over = median(result.over_floor)
        yield Row(
            "cold start, SnapStart",
            f"functions/{function}/app.py restored, {result.what}, over the floor",
            over,
            "ms",
            f"<= floor + {MARGIN_MS:.0f} ms",
            over <= MARGIN_MS,
            f"{result.request_cpu:.0f} ms after the restore (floor {floor.request_cpu:.0f}); "
            f"rounds {min(result.over_floor):+.0f} to {max(result.over_floor):+.0f}",
        )


def run() -> list[Row]:
    return list(_rows(cold_starts()))


if __name__ == "__main__":
    if sys.argv[1:2] == ["prepare"] and len(sys.argv) == 3:
        for written in prepare(Path(sys.argv[2])):
            print(written)
    else:
        sys.exit("usage: python -m bench.bench_cold prepare DIR")
