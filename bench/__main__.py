"""`python -m bench [NAME ...]`: run the benchmark modules and print one table.

Each `bench/bench_<name>.py` exposes `run() -> list[Row]`. Exit status 1 when a number
misses its target, so a regression is visible in `make bench`.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys

import bench
from bench.harness import Row, render


def main(names: list[str]) -> int:
    # The functions log a line a request at INFO; a benchmark's table is the output.
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    modules = sorted(
        m.name for m in pkgutil.iter_modules(bench.__path__) if m.name.startswith("bench_")
    )
    wanted = [m for m in modules if not names or m.removeprefix("bench_") in names]
    rows: list[Row] = []
    for name in wanted:
        module = importlib.import_module(f"bench.{name}")
        print(f"running {name} ...", file=sys.stderr, flush=True)
        rows.extend(module.run())
    print(render(rows))
    return 1 if any(r.ok is False for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
