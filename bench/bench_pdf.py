"""Certificate PDFs: render time and size per script, the cold first render, a whole
congress (3,500 certificates) on two cores, and the size of the layer that carries the
fonts.

The certificates are the ESHG 2025 sample's (its real statements) with the worked
example's days; only the delegate's name changes.
"""

from __future__ import annotations

import functools
import importlib.metadata
import os
import re
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

from bench.harness import Row
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
    "Hebrew": "שרה לוי",
    "Tamil": "முத்துலட்சுமி ரெட்டி",
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
        live=total,
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


def _medians(run: Callable[[], object], *, repeat: int, warmup: int = 5) -> tuple[float, float]:
    """Median wall and CPU time of one call, in ms. On a shared machine the wall time
    includes waiting for a core; the CPU time is what the render itself costs."""
    for _ in range(warmup):
        run()
    wall, cpu = [], []
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        run()
        cpu.append((time.process_time() - started_cpu) * 1000)
        wall.append((time.perf_counter() - started) * 1000)
    return statistics.median(wall), statistics.median(cpu)


def _render_size_cpu(facts: CertificateFacts) -> tuple[int, float]:
    started = time.process_time()
    size = len(render_certificate(facts))
    return size, time.process_time() - started


_COLD = """
import time
from bench.bench_pdf import eshg_facts
facts = eshg_facts("Łukasz Żółć")  # the sample's facts; cme.certificate without fpdf2
start = time.perf_counter()
from cme.certificate import render_certificate
render_certificate(facts)  # imports fpdf2, fontTools, segno, HarfBuzz on the way
first = time.perf_counter()
render_certificate(facts)
second = time.perf_counter()
print((first - start) * 1000, (second - first) * 1000)
"""


def cold_first_render() -> Row:
    """A fresh interpreter's first certificate, its imports included (a Lambda cold
    start, less the interpreter and the handler's own imports)."""
    began = time.perf_counter()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = subprocess.run(
        [sys.executable, "-c", _COLD],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    wall = (time.perf_counter() - began) * 1000
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime) * 1000
    first_ms, second_ms = (float(x) for x in result.stdout.split())
    return Row(
        "pdf",
        "cold first render (fresh process, imports included)",
        first_ms,
        "ms",
        note=(
            f"the second render {second_ms:.0f} ms; the whole process {wall:.0f} ms wall,"
            f" {cpu:.0f} ms CPU (interpreter, sample programme, two renders)"
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
        results = list(pool.map(_render_size_cpu, batch, chunksize=10))
    elapsed = time.perf_counter() - began
    estimate = elapsed * CONGRESS / SAMPLE
    sizes = [size for size, _ in results]
    cpu_per_core = sum(cpu for _, cpu in results) / WORKERS * CONGRESS / SAMPLE
    return Row(
        "pdf",
        f"{CONGRESS:,} certificates, {WORKERS} processes",
        estimate,
        "s",
        "<= 180 s",
        estimate <= 180,
        f"estimated from {SAMPLE} rendered in {elapsed:.1f} s (pool start included);"
        f" render CPU {cpu_per_core:.0f} s per core; {sum(sizes) / len(sizes) / 1024:.0f} KB"
        " average",
    )


LAYER_BUILD = REPOSITORY / ".aws-sam" / "build" / "CommonLayer"
LAYER_REQUIREMENTS = REPOSITORY / "layers" / "common" / "requirements.txt"
LAYER_LIMIT_MB = 250


def _tree_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


def _installed_bytes() -> int:
    """What the layer's requirements and their dependencies take installed here (this
    platform's wheels), plus the cme package."""
    from packaging.requirements import Requirement

    # The lock is uv's: `name==version \` then indented `--hash=` and `# via` lines.
    wanted = [
        Requirement(line.removesuffix("\\").strip()).name
        for line in LAYER_REQUIREMENTS.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line[0].isspace() and not line.startswith(("#", "-"))
    ]
    seen: set[str] = set()
    total = 0
    while wanted:
        name = re.sub(r"[-_.]+", "-", wanted.pop()).lower()
        if name in seen:
            continue
        seen.add(name)
        distribution = importlib.metadata.distribution(name)
        for file in distribution.files or ():
            located = Path(str(file.locate()))
            if located.is_file():
                total += located.stat().st_size
        for requirement in map(Requirement, distribution.requires or ()):
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                wanted.append(requirement.name)
    return total + _tree_bytes(REPOSITORY / "layers" / "common" / "cme")


def layer_size() -> Row:
    """The common layer unzipped: as `sam build` built it (`make sam-build`), else the
    installed size of what it would hold."""
    if LAYER_BUILD.is_dir():
        size, how = _tree_bytes(LAYER_BUILD), "as built by sam build (.aws-sam/build)"
    else:
        size, how = _installed_bytes(), "installed size of its requirements + cme (no sam build)"
    megabytes = size / 1024 / 1024
    fonts = sum(
        _tree_bytes(Path(str(importlib.metadata.distribution(name).locate_file(package))))
        for name, package in (
            ("fontpkg-noto-sans", "fontpkg_noto_sans"),
            ("fontpkg-noto-sans-arabic", "fontpkg_noto_sans_arabic"),
            ("cvttf-NotoSansCJK-Regular", "cvttf_NotoSansCJK_Regular"),
            ("manimgx-fonts", "manimgx_fonts"),
        )
    )
    return Row(
        "pdf",
        "common layer, unzipped",
        megabytes,
        "MB",
        f"<= 200 MB (Lambda: {LAYER_LIMIT_MB})",
        megabytes <= 200,
        f"{how}; fonts {fonts / 1024 / 1024:.1f} MB of it",
    )


def run() -> list[Row]:
    rows: list[Row] = []
    for script, name in NAMES.items():
        facts = eshg_facts(name)
        median, cpu = _medians(functools.partial(render_certificate, facts), repeat=REPEAT)
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
                f"CPU {cpu:.1f} ms" + ("; stretch met" if median <= stretch else ""),
            )
        )
        rows.append(Row("pdf", f"size, {script} name", size_kb, "KB", "<= 60 KB", size_kb <= 60))
    rows.append(cold_first_render())
    rows.append(congress())
    rows.append(layer_size())
    return rows
