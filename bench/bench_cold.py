"""Cold import of each function's `app.py` against a bare boto3 handler, side by side.

Each round starts a fresh interpreter per subject (the four functions and a file that
imports boto3 and creates a DynamoDB client lazily), in turn, and times the import of the
handler module alone (what Lambda's init does after the runtime is up), in CPU time, as
the machine may be busy with other work; the ratio is taken round by round and its
median reported. Then `python -X importtime` (the median of `IMPORTTIME_RUNS` runs) says
where each function's import time goes: the packages, and the `cme` modules, that cost
the most beyond what the bare handler imports too (a module's own time includes what it
runs at import, e.g. building pydantic models).

Measured only: nothing here changes how the functions import.
"""

from __future__ import annotations

import functools
import os
import re
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

from bench.harness import Row
from bench.support import CHECKOUT, median

FUNCTIONS = ("scan", "evaluate", "certificate", "organiser")
ROUNDS = 7
IMPORTTIME_RUNS = 3
TARGET, STRETCH = 1.8, 1.5

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

_IMPORT = """
import importlib.util, sys, time
path = sys.argv[1]
sys.path.insert(0, str(__import__("pathlib").Path(path).parent))
began = time.process_time()
spec = importlib.util.spec_from_file_location("app", path)
module = importlib.util.module_from_spec(spec)
sys.modules["app"] = module
spec.loader.exec_module(module)
print((time.process_time() - began) * 1000)
"""


def _environment() -> dict[str, str]:
    """What Lambda sets that the code could read at import (it must not need it)."""
    return {
        **os.environ,
        "AWS_REGION": "eu-west-1",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_LAMBDA_FUNCTION_NAME": "bench",
        "CME_TABLE_NAME": "cme-credits",
        "CME_BUCKET_NAME": "cme-certificates",
        "POWERTOOLS_SERVICE_NAME": "cme-credits",
    }


def _import_ms(path: Path) -> float:
    result = subprocess.run(
        [sys.executable, "-c", _IMPORT, str(path)],
        capture_output=True,
        text=True,
        check=True,
        env=_environment(),
        cwd=path.parent,
    )
    return float(result.stdout.split()[-1])


def _import_costs(path: Path) -> Counter[str]:
    """Microseconds of import by top-level package, and by module inside `cme` (each
    module's own time), the median of `IMPORTTIME_RUNS` runs."""
    runs = [_one_import_costs(path) for _ in range(IMPORTTIME_RUNS)]
    names = set().union(*runs)
    return Counter({name: int(median([run.get(name, 0) for run in runs])) for name in names})


def _one_import_costs(path: Path) -> Counter[str]:
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", _IMPORT, str(path)],
        capture_output=True,
        text=True,
        check=True,
        env=_environment(),
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


@functools.cache
def cold_imports() -> dict[str, tuple[float, float, list[float]]]:
    """Per function: median import ms, median ratio to the bare handler, the ratios."""
    with (
        tempfile.TemporaryDirectory(prefix="cme-bench-bare-") as scratch,
        tempfile.TemporaryDirectory(prefix="cme-bench-floor-") as floor_dir,
    ):
        bare = Path(scratch) / "app.py"
        bare.write_text(BARE_HANDLER, encoding="utf-8")
        floor = Path(floor_dir) / "app.py"
        floor.write_text(FLOOR_HANDLER, encoding="utf-8")
        subjects = {name: CHECKOUT.function_source(name) for name in FUNCTIONS}
        subjects["floor"] = floor
        for path in [bare, *subjects.values()]:
            _import_ms(path)  # bytecode written, files in the page cache: as in Lambda
        times: dict[str, list[float]] = {name: [] for name in ["bare", *subjects]}
        for _ in range(ROUNDS):
            times["bare"].append(_import_ms(bare))
            for name, path in subjects.items():
                times[name].append(_import_ms(path))
        results = {"bare": (median(times["bare"]), 1.0, [1.0] * ROUNDS)}
        for name in subjects:
            ratios = [f / b for f, b in zip(times[name], times["bare"], strict=True)]
            results[name] = (median(times[name]), median(ratios), ratios)
        return results


def _top_costs(name: str, baseline: Counter[str]) -> str:
    costs = _import_costs(CHECKOUT.function_source(name))
    beyond = Counter({p: us - baseline.get(p, 0) for p, us in costs.items()})
    top = [(p, us) for p, us in beyond.most_common(6) if us > 2000]
    return ", ".join(f"{p} {us / 1000:.0f}" for p, us in top)


def run() -> list[Row]:
    results = cold_imports()
    with tempfile.TemporaryDirectory(prefix="cme-bench-bare-") as scratch:
        bare = Path(scratch) / "app.py"
        bare.write_text(BARE_HANDLER, encoding="utf-8")
        baseline = _import_costs(bare)
    bare_ms = results["bare"][0]
    floor_ms, floor_ratio, _ = results["floor"]
    rows = [
        Row(
            "cold import",
            "bare boto3 handler (import boto3, client made lazily)",
            bare_ms,
            "ms",
            note=f"CPU ms, median of {ROUNDS} fresh interpreters, interpreter start left out",
        ),
        Row(
            "cold import",
            "floor: a validated powertools handler (resolver, pydantic, Logger, boto3)",
            floor_ratio,
            "x",
            note=f"{floor_ms:.0f} ms: what any function built on the resolver pays",
        ),
    ]
    for name in FUNCTIONS:
        import_ms, ratio, ratios = results[name]
        rows.append(
            Row(
                "cold import",
                f"functions/{name}/app.py vs bare boto3",
                ratio,
                "x",
                f"<= {TARGET} (stretch {STRETCH})",
                ratio <= TARGET,
                (
                    f"{import_ms:.0f} ms vs {bare_ms:.0f} ms ({import_ms - floor_ms:+.0f} ms over "
                    f"the floor), ratios {min(ratios):.2f}-"
                    f"{max(ratios):.2f}; import time beyond the bare handler's, ms:"
                    f" {_top_costs(name, baseline)}"
                ),
            )
        )
    return rows
