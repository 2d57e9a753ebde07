"""Writes `coverage.py`, the fonts' coverage tables, from the installed font files:
`python -m cme.certificate.coverage_table --write` (`make font-coverage`) after a font
package changes; `--check` exits 1 when the tables are out of date."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Final

from cme.certificate.fonts import SOURCES, measured_coverage

_COVERAGE_FILE: Final = Path(__file__).with_name("coverage.py")


def coverage_module() -> str:
    """The text of `coverage.py`, measured from the installed font files."""
    lines = [
        '"""Which characters each bundled font has a glyph for: its cmap, as hexadecimal',
        "ranges. Generated from the installed font packages by `make font-coverage`",
        "(cme.certificate.coverage_table); a unit test checks it against them. Precomputed",
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
    if arguments == ["--write"]:
        _COVERAGE_FILE.write_text(text, encoding="utf-8")
        return 0
    if arguments == ["--check"]:
        return 0 if _COVERAGE_FILE.read_text(encoding="utf-8") == text else 1
    sys.stderr.write("usage: python -m cme.certificate.coverage_table --write | --check\n")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
