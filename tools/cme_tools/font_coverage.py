"""Writes the layer's `cme/certificate/coverage.py`, the fonts' coverage tables, from the
installed font files: `python -m cme_tools.font_coverage --write` (`make font-coverage`)
after a font package changes; `--check` exits 1 when the tables are out of date."""

from __future__ import annotations

import sys

from cme.certificate.fonts import SOURCES, measured_coverage
from cme_tools.local.checkout import Checkout


def coverage_module() -> str:
    """The text of `coverage.py`, measured from the installed font files."""
    lines = [
        '"""Which characters each bundled font has a glyph for: its cmap, as hexadecimal',
        "ranges. Generated from the installed font packages by `make font-coverage`",
        "(cme_tools.font_coverage); a unit test checks it against them. Precomputed",
        "so that checking a name needs neither HarfBuzz nor the font files.",
        '"""',
        "",
        "from typing import Final",
        "",
        "COVERAGE: Final[dict[str, str]] = {",
    ]
    for source in SOURCES:
        ranges = measured_coverage(source).split()
        lines.append(f'    "{source.family}": (')
        row: list[str] = []
        for item in ranges:
            if len(" ".join([*row, item])) > 84:
                lines.append(f'        "{" ".join(row)} "')
                row = []
            row.append(item)
        lines.append(f'        "{" ".join(row)}"')
        lines.append("    ),")
    lines.append("}")
    return "\n".join(lines) + "\n"


def main(arguments: list[str]) -> int:
    """`--write` regenerates coverage.py; `--check` exits 1 when it is out of date."""
    text = coverage_module()
    target = Checkout.find().layer / "certificate" / "coverage.py"
    if arguments == ["--write"]:
        target.write_text(text, encoding="utf-8")
        return 0
    if arguments == ["--check"]:
        return 0 if target.read_text(encoding="utf-8") == text else 1
    sys.stderr.write("usage: python -m cme_tools.font_coverage --write | --check\n")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
