"""The shared shape of a benchmark result and how results are measured and printed."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Row:
    """One line of the table: what was measured, the number, its unit, the target and
    whether the number meets it (None when there is no target)."""

    area: str
    measure: str
    value: float
    unit: str
    target: str = ""
    ok: bool | None = None
    note: str = ""


def median_ms(run: Callable[[], object], *, repeat: int = 200, warmup: int = 5) -> float:
    """Median wall time of one call, in milliseconds, after a warm-up."""
    for _ in range(warmup):
        run()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def render(rows: list[Row]) -> str:
    headers = ("area", "measure", "value", "unit", "target", "ok", "note")
    cells = [
        (
            r.area,
            r.measure,
            f"{r.value:,.3f}" if r.value < 10 else f"{r.value:,.1f}",
            r.unit,
            r.target,
            "" if r.ok is None else ("yes" if r.ok else "NO"),
            r.note,
        )
        for r in rows
    ]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(headers)]
    line = " | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    rule = "-+-".join("-" * w for w in widths)
    body = [
        " | ".join(
            c.rjust(w) if i == 2 else c.ljust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in cells
    ]
    return "\n".join([line, rule, *body])
