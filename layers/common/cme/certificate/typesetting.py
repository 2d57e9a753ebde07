"""Type styles, and the setter that measures, wraps and draws text on the PDF."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Final, Literal

from cme.certificate.fonts import (
    InstalledFonts,
    needs_shaping,
    right_to_left,
    shaping_language,
)

if TYPE_CHECKING:
    from fpdf import FPDF

PT: Final = 25.4 / 72  # one point, in millimetres

INK: Final = (28, 32, 38)
MUTED: Final = (88, 95, 106)
ACCENT: Final = (23, 55, 99)
RULE: Final = (196, 203, 212)
TINT: Final = (241, 244, 248)

Colour = tuple[int, int, int]
Align = Literal["L", "C", "R"]


@dataclass(frozen=True, slots=True)
class Type:
    size: float
    """Points."""
    style: str = ""
    colour: Colour = INK
    leading: float = 1.3
    spacing: float = 0.0
    """Letter spacing, points."""

    @property
    def line_height(self) -> float:
        return self.size * PT * self.leading

    def at(self, size: float) -> Type:
        return replace(self, size=size)


class Setter:
    """Measures, wraps and draws text on the pdf.

    It breaks lines itself, measuring each word once: fpdf2's `multi_cell` re-measures a
    line for every character it adds, which made the statements cost more than the rest
    of the certificate together.
    """

    def __init__(self, pdf: FPDF, fonts: InstalledFonts) -> None:
        self.pdf = pdf
        self._fonts = fonts
        self._widths: dict[tuple[str, Type], float] = {}
        self._overflow: dict[str, tuple[float, float]] = {}
        self._state: tuple[object, ...] = ()

    def select(self, text: str, kind: Type) -> None:
        pdf = self.pdf
        language = shaping_language(text) if needs_shaping(text) else None
        state = (language, kind)
        if state == self._state:
            return
        self._state = state
        if language:
            pdf.set_text_shaping(use_shaping_engine=True, language=language)
        else:
            pdf.set_text_shaping(use_shaping_engine=False)
        pdf.set_font("sans", kind.style, kind.size)
        pdf.set_char_spacing(kind.spacing)
        pdf.set_text_color(*kind.colour)

    def width(self, text: str, kind: Type) -> float:
        key = (text, kind)
        found = self._widths.get(key)
        if found is None:
            found = self._widths[key] = self._measure(text, kind)
        return found

    def _measure(self, text: str, kind: Type) -> float:
        """The width fpdf2 gives the text; summed from the font's advances when no
        fallback font and no shaping is involved (fpdf2 does the same, more slowly)."""
        if self._fonts.plain(text):
            advances = self._fonts.sans_advances[kind.style]
            em = sum(advances[ord(c)] for c in text) * kind.size / 1000
            return (em + kind.spacing * len(text)) * PT
        self.select(text, kind)
        return self.pdf.get_string_width(text)

    def lines(self, text: str, kind: Type, width: float) -> list[str]:
        """`text` broken into lines no wider than `width`: at spaces, and inside a word
        only when the word alone is wider than a line (CJK, a long address)."""
        lines: list[str] = []
        space = self.width(" ", kind)
        for hard_line in text.split("\n"):
            words = [w for w in re.split(r"[ \t]+", hard_line) if w]
            current: list[str] = []
            current_width = 0.0
            for whole_word in words:
                word = whole_word
                word_width = self.width(word, kind)
                if word_width > width:
                    if current:
                        lines.append(" ".join(current))
                    *full, word = self._cut(word, kind, width)
                    lines.extend(full)
                    current, current_width = [], 0.0
                    word_width = self.width(word, kind)
                needed = word_width + (current_width + space if current else 0.0)
                if needed <= width + 0.01:
                    current.append(word)
                    current_width = needed
                else:
                    lines.append(" ".join(current))
                    current, current_width = [word], word_width
            if current or not words:
                lines.append(" ".join(current))
        return lines

    def _cut(self, word: str, kind: Type, width: float) -> list[str]:
        pieces = []
        while self.width(word, kind) > width and len(word) > 1:
            low, high = 1, len(word) - 1  # the longest head that fits, at least 1
            while low < high:
                middle = (low + high + 1) // 2
                if self.width(word[:middle], kind) <= width:
                    low = middle
                else:
                    high = middle - 1
            pieces.append(word[:low])
            word = word[low:]
        pieces.append(word)
        return pieces

    def fit(
        self, text: str, kind: Type, width: float, sizes: tuple[float, ...], max_lines: int
    ) -> Type:
        """`kind` at the largest of `sizes` that sets `text` in at most `max_lines`;
        else at the smallest (the text then takes more lines, never more width)."""
        for size in sizes:
            if len(self.lines(text, kind.at(size), width)) <= max_lines:
                return kind.at(size)
        return kind.at(sizes[-1])

    def paragraph(
        self,
        text: str,
        kind: Type,
        *,
        x: float,
        y: float,
        width: float,
        align: Align = "C",
        link: str | None = None,
    ) -> float:
        """Draw `text` wrapped to `width`, its first line's top at `y`; returns the bottom
        of its last line. Left-aligned text that starts right to left aligns right."""
        if align == "L" and right_to_left(text):
            align = "R"
        for line in self.lines(text, kind, width):
            above, below = self.room(line, kind)
            self.line(line, kind, x=x, y=y + above, width=width, align=align, link=link)
            y += above + kind.line_height + below
        return y

    def height(self, text: str, kind: Type, width: float) -> float:
        """The height `paragraph` gives `text`."""
        return sum(
            sum(self.room(line, kind)) + kind.line_height for line in self.lines(text, kind, width)
        )

    def room(self, line: str, kind: Type) -> tuple[float, float]:
        """Millimetres a line of `line` needs above and below its usual height, for ink
        that reaches past Noto Sans's (stacked marks, tall scripts)."""
        overflow = self._overflow.get(line)
        if overflow is None:
            plain = self._fonts.plain(line)
            overflow = (0.0, 0.0) if plain else self._fonts.ink_overflow(line)
            self._overflow[line] = overflow
        em = kind.size * PT
        return overflow[0] * em, overflow[1] * em

    def line(
        self,
        text: str,
        kind: Type,
        *,
        x: float,
        y: float,
        width: float,
        align: Align = "L",
        link: str | None = None,
    ) -> None:
        """One line, no wrapping (the caller measured it)."""
        self.select(text, kind)
        self.pdf.set_xy(x, y)
        self.pdf.cell(width, kind.line_height, text, align=align, link=link or "")


def shape_marks_with_their_base() -> None:
    """Make fpdf2 shape a combining mark or a joiner together with the letter before it.

    fpdf2 (2.8.9) starts a new text fragment, shaped on its own, wherever the Unicode
    script changes, and takes the Inherited script (combining marks, ZWJ, ZWNJ) for a
    script of its own: the Sinhala conjunct in ශ්‍රී (ZWJ) fell apart into a visible
    virama and a bare letter. Unicode (UAX #24) and HarfBuzz count Inherited with the
    run it is in; so does fpdf2 once its script lookup says Common for it.
    """
    import fpdf.fpdf
    from fpdf.unicode_script import UnicodeScript, get_unicode_script

    namespace = vars(fpdf.fpdf)  # where fpdf2's text fragmenting looks the script up
    if namespace["get_unicode_script"] is not get_unicode_script:
        return  # done before

    @functools.cache  # fpdf2 clears the lookup's cache after each PDF, as it clears its own
    def script(character: str) -> UnicodeScript:
        found = get_unicode_script(character)
        return UnicodeScript.COMMON if found is UnicodeScript.INHERITED else found

    namespace["get_unicode_script"] = script


def sizes(largest: float, smallest: float, step: float = 1.0) -> tuple[float, ...]:
    count = round((largest - smallest) / step)
    return tuple(largest - i * step for i in range(count + 1))
