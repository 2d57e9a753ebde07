"""Certificate PDFs: render time and size per script, the cold first render, and a whole
congress (3,500 certificates) on two cores.

The certificates are the ESHG 2025 sample's (its real statements) with the worked
example's days; only the delegate's name changes.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

from bench.harness import Row, median_ms
from cme.amounts import convert
from cme.certificate import (
    CertificateConversion,
    CertificateDay,
    CertificateFacts,
    render_certificate,
)
from cme.programme import load_programme_file

REPOSITORY = Path(__file__).resolve().parents[1]
PROGRAMME = REPOSITORY / "programmes" / "eshg2025.yaml"
NAMES = {
    "Latin": "Łukasz Żółć",
    "CJK": "李小龍",
    "Arabic": "محمد عبد الله",
}
CONGRESS = 3_500
SAMPLE = 400
"""Certificates actually rendered for the congress estimate (scaled up to CONGRESS)."""
WORKERS = 2
REPEAT = 60


def eshg_facts(name: str) -> CertificateFacts:
    event = load_programme_file(PROGRAMME).programme.event
    days = (
        CertificateDay(date(2025, 5, 24), Decimal("7.5")),
        CertificateDay(date(2025, 5, 25), Decimal("4.5")),
        CertificateDay(date(2025, 5, 26), Decimal("3.0")),
        CertificateDay(date(2025, 5, 27), Decimal("0")),
    )
    total = sum((d.credits for d in days), Decimal(0))
    serial = "7K3M-9QXD-2HRP-4WZA-6TBN"
    return CertificateFacts(
        serial=serial,
        verify_url=(
            "https://a1b2c3d4e5.execute-api.eu-central-1.amazonaws.com/v1/certificates/" + serial
        ),
        event_name=event.name,
        event_city=event.city,
        event_country=event.country,
        first_day=days[0].date,
        last_day=days[-1].date,
        accreditation_body=event.accreditation.body,
        unit=event.accreditation.unit,
        event_total=event.accreditation.total,
        delegate_name=name,
        total=total,
        capped_by_event_total=False,
        days=days,
        accreditation_statement=event.accreditation.statement,
        conversions=tuple(
            CertificateConversion(c.name, convert(total, Fraction(c.ratio)), c.statement)
            for c in event.conversions
        ),
        statements=event.statements,
        issued_at=datetime(2025, 6, 2, 14, 3, tzinfo=UTC),
    )


def _render_size(facts: CertificateFacts) -> int:
    return len(render_certificate(facts))


_COLD = """
import time
start = time.perf_counter()
from bench.bench_pdf import eshg_facts
from cme.certificate import render_certificate
facts = eshg_facts("Łukasz Żółć")
imported = time.perf_counter()
render_certificate(facts)
done = time.perf_counter()
print((done - start) * 1000, (imported - start) * 1000)
"""


def cold_first_render() -> Row:
    """A fresh interpreter: imports, then the first certificate (a Lambda cold start)."""
    began = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", _COLD],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    wall = (time.perf_counter() - began) * 1000
    total_ms, import_ms = (float(x) for x in result.stdout.split())
    return Row(
        "pdf",
        "cold first render (fresh process, imports included)",
        total_ms,
        "ms",
        note=(
            f"imports and facts {import_ms:.0f} ms, first render {total_ms - import_ms:.0f} ms;"
            f" {wall:.0f} ms with interpreter start"
        ),
    )


def congress() -> Row:
    """A congress's certificates on two cores: mostly Latin names, some CJK and Arabic."""
    scripts = ["Latin"] * 18 + ["CJK", "Arabic"]
    batch = [
        replace(eshg_facts(NAMES[scripts[i % len(scripts)]]), serial=f"SERIAL-{i:05d}")
        for i in range(SAMPLE)
    ]
    began = time.perf_counter()
    with ProcessPoolExecutor(max_workers=WORKERS) as pool:
        sizes = list(pool.map(_render_size, batch, chunksize=10))
    elapsed = time.perf_counter() - began
    estimate = elapsed * CONGRESS / SAMPLE
    return Row(
        "pdf",
        f"{CONGRESS:,} certificates, {WORKERS} processes",
        estimate,
        "s",
        "<= 180 s",
        estimate <= 180,
        f"estimated from {SAMPLE} rendered in {elapsed:.1f} s (pool start included),"
        f" {sum(sizes) / len(sizes) / 1024:.0f} KB average",
    )


def run() -> list[Row]:
    rows: list[Row] = []
    for script, name in NAMES.items():
        facts = eshg_facts(name)
        median = median_ms(lambda f=facts: render_certificate(f), repeat=REPEAT)
        size_kb = len(render_certificate(facts)) / 1024
        limit, stretch = (60, 30) if script == "Latin" else (400, 150)
        rows.append(
            Row(
                "pdf",
                f"render, {script} name (median of {REPEAT})",
                median,
                "ms",
                f"<= {limit} ms (stretch {stretch})",
                median <= limit,
                "stretch met" if median <= stretch else "",
            )
        )
        rows.append(Row("pdf", f"size, {script} name", size_kb, "KB", "<= 60 KB", size_kb <= 60))
    rows.append(cold_first_render())
    rows.append(congress())
    return rows
