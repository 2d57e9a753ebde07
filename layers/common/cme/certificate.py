"""The certificate: what it states in, PDF bytes out (A4 landscape, fpdf2).

Pure: no clock, no network, nothing kept between calls but the font files opened once
per process. `render_certificate` draws exactly the facts it is given, and the same facts
give the same bytes (the PDF's creation date is `issued_at`, so its file id is stable).

Fonts
-----
Lambda has no system fonts and the repository carries no font binary: every font comes
from a PyPI package installed into the common layer and is found with
`importlib.resources`.

* **Noto Sans** (`fontpkg-noto-sans`, variable: wght 100-900, wdth 62.5-100) sets all
  text: Latin with every diacritic European names use (Łukasz Żółć, Zoë Ångström,
  Ólafur Þór), Latin Extended Additional (Vietnamese), Greek including polytonic,
  Cyrillic with its Extended blocks, Devanagari, and the marks the certificate prints
  (® ™, en dash, middle dot). Pinned to weight 400 for text and 600 for emphasis.
* **Noto Sans Arabic** (`fontpkg-noto-sans-arabic`, variable, pinned the same way) adds
  the Arabic script: the Arabic block with the Persian and Urdu letters, Arabic
  Supplement and Extended-A.
* **Noto Sans CJK TC Regular** (`cvttf-NotoSansCJK-Regular`, CID-keyed CFF, one weight)
  adds Han (20,945 of the 20,992 URO ideographs, Extension A, part of B, compatibility
  ideographs), kana, all 11,172 Hangul syllables and Bopomofo. Its default glyph forms
  are Traditional Chinese; the other regions' forms sit behind the OpenType `locl`
  feature, so text with kana is shaped as Japanese and text with Hangul as Korean. A
  Japanese name written in kanji only cannot be told from a Chinese one and keeps the
  Traditional forms. It has no bold: emphasis falls back to the regular weight.

None of them covers Hebrew, Thai, Armenian, Georgian or the Indic scripts other than
Devanagari: such a name prints as empty boxes (fpdf2 logs the missing glyphs); another
`fontpkg-noto-sans-*` package added to `_FALLBACKS` would cover it.

Noto Sans is always used. The Arabic and CJK fonts join a certificate only when its text
has a character Noto Sans lacks and they have; fpdf2's fallback fonts then pick them per
character. Each font is cut down with HarfBuzz's subsetter (hb-subset) to the characters
the certificate prints, a variable font pinned to static instances: a millisecond or two,
even for the 16 MB CJK font, which fpdf2 takes ~300 ms to parse and subset whole. fpdf2
reads fonts only from files, so the cut-down fonts are written to private temporary
files, removed when the render ends.

Text that needs it (Arabic joining and right-to-left order, Devanagari, CJK regional
forms, combining marks) is shaped by HarfBuzz through fpdf2; Latin, Greek and Cyrillic
are set from the advance widths, without the cost of shaping.
"""

from __future__ import annotations

import functools
import os
import re
import tempfile
import unicodedata
from collections.abc import Mapping
from contextlib import ExitStack
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from importlib.resources import as_file, files
from pathlib import Path
from typing import TYPE_CHECKING, Final, Literal

from cme.amounts import for_print
from cme.wording import MONTHS, UNIT_PLURALS, long_date

if TYPE_CHECKING:
    import uharfbuzz as hb
    from fpdf import FPDF

# fpdf2 (with fontTools and Pillow) takes ~0.4 s to import: it is imported when a
# certificate is drawn, so that code which only builds or reads these facts (issuing,
# the verification page) does not pay for it.

__all__ = [
    "CertificateConversion",
    "CertificateDay",
    "CertificateFacts",
    "render_certificate",
]


@dataclass(frozen=True, slots=True)
class CertificateDay:
    date: date
    credits: Decimal


@dataclass(frozen=True, slots=True)
class CertificateConversion:
    name: str
    """As the programme names it: "AMA PRA Category 1 Credits"."""
    credits: Decimal
    statement: str
    """May be empty."""


@dataclass(frozen=True, slots=True)
class CertificateFacts:
    """Everything a certificate states, as of the moment it is issued."""

    serial: str
    """Display form: Crockford base32 in groups, "7K3M-9QXD-2HRP-4WZA-6TBN"."""
    verify_url: str
    event_name: str
    event_city: str
    event_country: str
    first_day: date
    last_day: date
    accreditation_body: str
    unit: str
    event_total: Decimal
    delegate_name: str
    total: Decimal
    capped_by_event_total: bool
    """The event total capped the sum of the days: the certificate says so by the total."""
    days: tuple[CertificateDay, ...]
    """Every conference day, those with 0 included."""
    accreditation_statement: str
    conversions: tuple[CertificateConversion, ...]
    statements: tuple[str, ...]
    issued_at: datetime


# --- fonts ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _FontSource:
    family: str
    package: str
    resource: str
    styles: tuple[tuple[str, int | None], ...]
    """fpdf2 style -> weight to pin the variable font to (None: a static font)."""


_SANS: Final = _FontSource(
    "sans", "fontpkg_noto_sans", "files/NotoSans[wdth,wght].ttf", (("", 400), ("B", 600))
)
_ARABIC: Final = _FontSource(
    "arabic",
    "fontpkg_noto_sans_arabic",
    "files/NotoSansArabic[wdth,wght].ttf",
    (("", 400), ("B", 600)),
)
_CJK: Final = _FontSource(
    "cjk", "cvttf_NotoSansCJK_Regular", "NotoSansCJKtc-Regular.otf", (("", None),)
)
_FALLBACKS: Final = (_ARABIC, _CJK)

# The font files stay open (HarfBuzz maps them into memory) for the life of the process.
_open_resources = ExitStack()


@functools.cache
def _face(source: _FontSource) -> hb.Face:
    import uharfbuzz as hb

    resource = files(source.package).joinpath(source.resource)
    path = _open_resources.enter_context(as_file(resource))
    return hb.Face(hb.Blob.from_file_path(str(path)))


@functools.cache
def _coverage(source: _FontSource) -> frozenset[int]:
    return frozenset(_face(source).unicodes)


_LAYOUT_TABLES: Final = ("GSUB", "GPOS", "GDEF")
_UNUSED_TABLES: Final = ("STAT", "gasp", "DSIG", "meta")


def _cut_font(
    source: _FontSource, characters: set[int], weight: int | None, *, layout: bool
) -> bytes:
    """The font reduced to `characters` (with the glyphs its layout features reach from
    them when `layout`, else without layout tables); a variable font pinned to `weight`
    at normal width."""
    import uharfbuzz as hb

    face = _face(source)
    wanted = hb.SubsetInput()
    wanted.sets(hb.SubsetInputSets.UNICODE).update(characters)
    dropped = _UNUSED_TABLES if layout else _UNUSED_TABLES + _LAYOUT_TABLES
    wanted.sets(hb.SubsetInputSets.DROP_TABLE_TAG).update(
        {int.from_bytes(tag.encode("ascii"), "big") for tag in dropped}
    )
    if weight is not None:
        wanted.pin_axis_location(face, "wght", weight)
        wanted.pin_axis_location(face, "wdth", 100)
    wanted.flags = hb.SubsetFlags.NOTDEF_OUTLINE | hb.SubsetFlags.NO_HINTING
    return bytes(hb.subset(face, wanted).blob.data)


@dataclass(frozen=True, slots=True)
class _SansMetrics:
    characters: frozenset[int]
    """What Noto Sans sets in this certificate."""
    advances: Mapping[str, Mapping[int, float]]
    """fpdf2 style -> character -> advance width, per 1000 units of em."""


def _write_font(data: bytes, suffix: str) -> Path:
    """`data` in a new private file (mode 0600, a name no one else can have taken)."""
    handle, name = tempfile.mkstemp(prefix="cme-font-", suffix=suffix)
    with os.fdopen(handle, "wb") as file:
        file.write(data)
    return Path(name)


def _install_fonts(pdf: FPDF, text: str, written: list[Path]) -> _SansMetrics:
    """Add to `pdf` the fonts `text` needs, each cut down to the characters it sets:
    Noto Sans always, a fallback only for characters Noto Sans lacks. The font files
    are listed in `written`, for the caller to remove once the PDF is out."""
    from fpdf.fonts import TTFFont

    characters = {ord(c) for c in text} | {ord(" ")}
    advances: dict[str, Mapping[int, float]] = {}
    plan = [(_SANS, characters & _coverage(_SANS))]
    left = characters - plan[0][1]
    for source in _FALLBACKS:
        if not left:
            break
        mine = left & _coverage(source)
        if mine:
            plan.append((source, mine))
            left -= mine
    # Noto Sans keeps its layout tables only when some of its text must be shaped
    # (combining marks, Devanagari); the fallbacks always need theirs.
    sans_layout = _needs_shaping("".join(chr(c) for c in plan[0][1]))
    for source, mine in plan:
        suffix = Path(source.resource).suffix
        layout = sans_layout or source is not _SANS
        for style, weight in source.styles:
            path = _write_font(_cut_font(source, mine, weight, layout=layout), suffix)
            written.append(path)
            pdf.add_font(source.family, style, path)
            font = pdf.fonts[f"{source.family}{style}"]
            if isinstance(font, TTFFont):
                # HarfBuzz wrote exact bounding boxes; left on, fontTools would unpack
                # and re-encode every glyph when fpdf2 embeds the font (a quarter of
                # the time of a whole render).
                font.ttfont.recalcBBoxes = False
                if source is _SANS:
                    advances[style] = font.cw
    if len(plan) > 1:
        # CJK has one weight: emphasis falls back to it rather than to nothing.
        pdf.set_fallback_fonts([source.family for source, _ in plan[1:]], exact_match=False)
    return _SansMetrics(frozenset(plan[0][1]), advances)


# Text that reads right without shaping: Latin, Greek, Cyrillic and the punctuation and
# symbols around them, with no combining mark. Everything else (marks to place, Arabic
# joining, Indic reordering, CJK regional forms) goes through HarfBuzz.
_PLAIN = re.compile("[\u0000-\u058f\u1e00-\u2bff\u2c60-\u2c7f\ua640-\ua69f\ua720-\ua7ff]*")


def _needs_shaping(text: str) -> bool:
    return _PLAIN.fullmatch(text) is None or any(unicodedata.combining(c) for c in text)


# Scripts whose regional glyph forms the CJK font selects by language.
_KANA = re.compile("[\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f]")
_HANGUL = re.compile("[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]")
_HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")


def _language(text: str) -> str:
    """The language HarfBuzz shapes `text` in. Always explicit: left unset, HarfBuzz takes
    the process locale, and the CJK forms would change with the machine."""
    if _KANA.search(text):
        return "ja"
    if _HANGUL.search(text):
        return "ko"
    if _HAN.search(text):
        return "zh-Hant"
    return "und"


# --- wording -------------------------------------------------------------------------

_WEEKDAYS: Final = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

# Registered names get their mark where the certificate names them itself; the
# organiser's statements are printed as written.
_MARKS: Final = (
    (re.compile(r"\bEACCME\b(?!®)"), "EACCME®"),
    (re.compile(r"\bECMEC\b(?!®)"), "ECMEC®"),
    (re.compile(r"\b(AMA PRA Category 1 Credits?)\b(?!™)"), r"\1™"),
)


def _marked(text: str) -> str:
    for pattern, replacement in _MARKS:
        text = pattern.sub(replacement, text)
    return text


def _unit_label(unit: str) -> str:
    return UNIT_PLURALS.get(unit, _marked(unit))


def _date_span(first: date, last: date) -> str:
    if first == last:
        return long_date(first)
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day}\u2013{last.day} {MONTHS[last.month - 1]} {last.year}"
    if first.year == last.year:
        return f"{first.day} {MONTHS[first.month - 1]} \u2013 {long_date(last)}"
    return f"{long_date(first)} \u2013 {long_date(last)}"


def _day_label(day: date) -> str:
    return f"{_WEEKDAYS[day.weekday()]}, {long_date(day)}"


def _issued(instant: datetime) -> str:
    utc = instant.astimezone(UTC)
    return f"{long_date(utc.date())}, {utc:%H:%M} UTC"


def _place(city: str, country: str) -> str:
    return ", ".join(part for part in (city, country) if part)


@dataclass(frozen=True, slots=True)
class _Wording:
    """Every string the certificate prints (NFC), and its metadata."""

    label: str
    event_name: str
    place_and_dates: str
    accreditation: str
    certify: str
    delegate_name: str
    attended: str
    total_amount: str
    total_unit: str
    cap_note: str
    conversions: tuple[str, ...]
    table_head: tuple[str, str]
    days: tuple[tuple[str, str], ...]
    table_total: tuple[str, str]
    fine_print: tuple[str, ...]
    issued: str
    serial_label: str
    serial: str
    verify_hint: str
    verify_url: str
    days_elsewhere: str
    continued: str
    statements_heading: str
    running_head: str
    title: str
    author: str
    subject: str

    def printed(self) -> str:
        """All the text, for choosing and cutting the fonts."""
        return "".join(
            [
                self.label,
                self.event_name,
                self.place_and_dates,
                self.accreditation,
                self.certify,
                self.delegate_name,
                self.attended,
                self.total_amount,
                self.total_unit,
                "\u2009",
                self.cap_note,
                *self.conversions,
                *self.table_head,
                *(cell for row in self.days for cell in row),
                *self.table_total,
                *self.fine_print,
                self.issued,
                self.serial_label,
                self.serial,
                self.verify_hint,
                self.verify_url,
                self.days_elsewhere,
                self.continued,
                self.statements_heading,
                self.running_head,
            ]
        )


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text.strip())


def _wording(facts: CertificateFacts) -> _Wording:
    unit = _unit_label(facts.unit)
    name = _nfc(facts.delegate_name)
    event = _nfc(facts.event_name)
    serial = _nfc(facts.serial)
    total = for_print(facts.total)
    place = _place(_nfc(facts.event_city), _nfc(facts.event_country))
    dates = _date_span(facts.first_day, facts.last_day)
    statements = [
        facts.accreditation_statement,
        *(c.statement for c in facts.conversions),
        *facts.statements,
    ]
    return _Wording(
        label="CERTIFICATE OF ATTENDANCE",
        event_name=event,
        place_and_dates=" \u00b7 ".join(part for part in (place, dates) if part),
        accreditation=_nfc(
            f"Accredited by the {_marked(facts.accreditation_body)} "
            f"with {for_print(facts.event_total)} {unit}"
        ),
        certify="This is to certify that",
        delegate_name=name,
        attended="attended this event and is awarded",
        total_amount=total,
        total_unit=unit,
        cap_note=(
            f"capped at the event\u2019s accredited total of {for_print(facts.event_total)} {unit}"
            if facts.capped_by_event_total
            else ""
        ),
        conversions=tuple(
            _nfc(f"equivalent to {for_print(c.credits)} {_marked(c.name)}")
            for c in facts.conversions
        ),
        table_head=("Credits by day", unit),
        days=tuple((_day_label(d.date), for_print(d.credits)) for d in facts.days),
        table_total=("Total (capped)" if facts.capped_by_event_total else "Total", total),
        fine_print=tuple(_nfc(s) for s in statements if s.strip()),
        issued=f"Issued {_issued(facts.issued_at)}",
        serial_label="Certificate number",
        serial=serial,
        verify_hint="To check that this certificate is valid, scan the code or open",
        verify_url=_nfc(facts.verify_url),
        days_elsewhere="Credits by day: on page 2.",
        continued="Continued on page 2.",
        statements_heading="STATEMENTS",
        running_head=f"Certificate {serial} (continued)",
        title=f"Certificate of attendance: {name}, {event}",
        author=event,
        subject=f"CME certificate {serial}: {total} {unit}",
    )


# --- typesetting -----------------------------------------------------------------------

_PT: Final = 25.4 / 72  # one point, in millimetres

_INK: Final = (28, 32, 38)
_MUTED: Final = (88, 95, 106)
_ACCENT: Final = (23, 55, 99)
_RULE: Final = (196, 203, 212)
_TINT: Final = (241, 244, 248)

_Colour = tuple[int, int, int]
_Align = Literal["L", "C", "R"]


@dataclass(frozen=True, slots=True)
class _Type:
    size: float
    """Points."""
    style: str = ""
    colour: _Colour = _INK
    leading: float = 1.3
    spacing: float = 0.0
    """Letter spacing, points."""

    @property
    def line_height(self) -> float:
        return self.size * _PT * self.leading

    def at(self, size: float) -> _Type:
        return replace(self, size=size)


_RTL_CLASSES: Final = frozenset({"R", "AL"})


def _right_to_left(text: str) -> bool:
    """The paragraph direction by its first strong character (Unicode bidi P2-P3)."""
    for character in text:
        direction = unicodedata.bidirectional(character)
        if direction in _RTL_CLASSES:
            return True
        if direction == "L":
            return False
    return False


class _Setter:
    """Measures, wraps and draws text on the pdf.

    It breaks lines itself, measuring each word once: fpdf2's `multi_cell` re-measures a
    line for every character it adds, which made the statements cost more than the rest
    of the certificate together.
    """

    def __init__(self, pdf: FPDF, sans: _SansMetrics) -> None:
        self.pdf = pdf
        self._sans = sans
        self._widths: dict[tuple[str, _Type], float] = {}
        self._state: tuple[object, ...] = ()

    def select(self, text: str, kind: _Type) -> None:
        pdf = self.pdf
        language = _language(text) if _needs_shaping(text) else None
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

    def width(self, text: str, kind: _Type) -> float:
        key = (text, kind)
        found = self._widths.get(key)
        if found is None:
            found = self._widths[key] = self._measure(text, kind)
        return found

    def _measure(self, text: str, kind: _Type) -> float:
        """The width fpdf2 gives the text; summed from the font's advances when no
        fallback font and no shaping is involved (fpdf2 does the same, more slowly)."""
        sans = self._sans
        if all(ord(c) in sans.characters for c in text) and not _needs_shaping(text):
            advances = sans.advances[kind.style]
            em = sum(advances[ord(c)] for c in text) * kind.size / 1000
            return (em + kind.spacing * len(text)) * _PT
        self.select(text, kind)
        return self.pdf.get_string_width(text)

    def lines(self, text: str, kind: _Type, width: float) -> list[str]:
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

    def _cut(self, word: str, kind: _Type, width: float) -> list[str]:
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
        self, text: str, kind: _Type, width: float, sizes: tuple[float, ...], max_lines: int
    ) -> _Type:
        """`kind` at the largest of `sizes` that sets `text` in at most `max_lines`;
        else at the smallest (the text then takes more lines, never more width)."""
        for size in sizes:
            if len(self.lines(text, kind.at(size), width)) <= max_lines:
                return kind.at(size)
        return kind.at(sizes[-1])

    def paragraph(
        self,
        text: str,
        kind: _Type,
        *,
        x: float,
        y: float,
        width: float,
        align: _Align = "C",
        link: str | None = None,
    ) -> float:
        """Draw `text` wrapped to `width`, its first line's top at `y`; returns the bottom
        of its last line. Left-aligned text that starts right to left aligns right."""
        if align == "L" and _right_to_left(text):
            align = "R"
        for line in self.lines(text, kind, width):
            self.line(line, kind, x=x, y=y, width=width, align=align, link=link)
            y += kind.line_height
        return y

    def line(
        self,
        text: str,
        kind: _Type,
        *,
        x: float,
        y: float,
        width: float,
        align: _Align = "L",
        link: str | None = None,
    ) -> None:
        """One line, no wrapping (the caller measured it)."""
        self.select(text, kind)
        self.pdf.set_xy(x, y)
        self.pdf.cell(width, kind.line_height, text, align=align, link=link or "")


def _sizes(largest: float, smallest: float, step: float = 1.0) -> tuple[float, ...]:
    count = round((largest - smallest) / step)
    return tuple(largest - i * step for i in range(count + 1))


# --- layout ------------------------------------------------------------------------------

# A4 landscape, millimetres.
_PAGE_W: Final = 297.0
_PAGE_H: Final = 210.0
_LEFT: Final = 22.0
_RIGHT: Final = _PAGE_W - 22.0
_WIDTH: Final = _RIGHT - _LEFT
_TOP: Final = 21.0
_BOTTOM: Final = _PAGE_H - 20.0
_QR_SIZE: Final = 27.0
_FOOTER_TOP: Final = _BOTTOM - _QR_SIZE
_TABLE_W: Final = 80.0
_GUTTER: Final = 12.0
_FINE_X: Final = _LEFT + _TABLE_W + _GUTTER
_FINE_W: Final = _RIGHT - _FINE_X

_LABEL: Final = _Type(8.5, "B", _ACCENT, spacing=2.4)
_EVENT: Final = _Type(21, "B", _INK, leading=1.2)
_PLACE: Final = _Type(11.5)
_SMALL_MUTED: Final = _Type(9.5, "", _MUTED)
_LEAD_IN: Final = _Type(11, "", _MUTED)
_NAME: Final = _Type(28, "B", _INK, leading=1.2)
_TOTAL: Final = _Type(26, "B", _ACCENT, leading=1.1)
_TOTAL_UNIT: Final = _Type(15, "B", _ACCENT, leading=1.1)
_CAP_NOTE: Final = _Type(9, "", _MUTED)
_CONVERSION: Final = _Type(10)
_TABLE_HEAD: Final = _Type(9, "B", _ACCENT)
_TABLE_ROW: Final = _Type(9.5)
_TABLE_TOTAL: Final = _Type(9.5, "B")
_FINE: Final = _Type(8.5, "", _INK, leading=1.32)
_FINE_SIZES: Final = _sizes(8.5, 7.0, 0.5)
_FINE_GAP: Final = 1.8
_ISSUED: Final = _Type(9)
_CAPTION: Final = _Type(7.5, "", _MUTED)
_SERIAL: Final = _Type(12, "B", _INK, spacing=1.2)
_URL: Final = _Type(8.5, "", _ACCENT)
_RUNNING_HEAD: Final = _Type(8, "", _MUTED)
_CONTINUED: Final = _Type(8.5, "", _MUTED)
_URL_SIZES: Final = _sizes(8.5, 6.0, 0.5)


@dataclass(frozen=True, slots=True)
class _Continuation:
    """What page 1 could not hold: the per-day table, and the statements from this index."""

    days: bool
    statements_from: int

    def needed(self, statement_count: int) -> bool:
        return self.days or self.statements_from < statement_count


def _draw_frame(pdf: FPDF) -> None:
    pdf.set_draw_color(*_ACCENT)
    pdf.set_line_width(0.7)
    pdf.rect(9, 9, _PAGE_W - 18, _PAGE_H - 18)
    pdf.set_line_width(0.2)
    pdf.rect(11, 11, _PAGE_W - 22, _PAGE_H - 22)


def _rule(pdf: FPDF, *, x1: float, x2: float, y: float, colour: _Colour, width: float) -> None:
    pdf.set_draw_color(*colour)
    pdf.set_line_width(width)
    pdf.line(x1, y, x2, y)


def _draw_heading(setter: _Setter, words: _Wording) -> float:
    y = setter.paragraph(words.label, _LABEL, x=_LEFT, y=_TOP, width=_WIDTH) + 3
    event = setter.fit(words.event_name, _EVENT, _WIDTH, _sizes(21, 14), 2)
    y = setter.paragraph(words.event_name, event, x=_LEFT, y=y, width=_WIDTH) + 1.5
    y = setter.paragraph(words.place_and_dates, _PLACE, x=_LEFT, y=y, width=_WIDTH) + 0.3
    y = setter.paragraph(words.accreditation, _SMALL_MUTED, x=_LEFT, y=y, width=_WIDTH) + 4.5
    _rule(setter.pdf, x1=_PAGE_W / 2 - 18, x2=_PAGE_W / 2 + 18, y=y, colour=_RULE, width=0.3)
    return y + 4.5


def _draw_award(setter: _Setter, words: _Wording, y: float) -> float:
    y = setter.paragraph(words.certify, _LEAD_IN, x=_LEFT, y=y, width=_WIDTH) + 1
    name = setter.fit(words.delegate_name, _NAME, _WIDTH, _sizes(28, 18), 1)
    if len(setter.lines(words.delegate_name, name, _WIDTH)) > 1:
        name = setter.fit(words.delegate_name, _NAME, _WIDTH, _sizes(22, 12), 2)
    y = setter.paragraph(words.delegate_name, name, x=_LEFT, y=y, width=_WIDTH) + 1
    y = setter.paragraph(words.attended, _LEAD_IN, x=_LEFT, y=y, width=_WIDTH) + 2
    y = _draw_total(setter, words, y) + 0.8
    if words.cap_note:
        y = setter.paragraph(words.cap_note, _CAP_NOTE, x=_LEFT, y=y, width=_WIDTH) + 0.6
    for conversion in words.conversions:
        y = setter.paragraph(conversion, _CONVERSION, x=_LEFT, y=y, width=_WIDTH) + 0.6
    return y


def _draw_total(setter: _Setter, words: _Wording, y: float) -> float:
    """The amount large and the unit smaller, on one baseline, centred as one line."""
    amount, unit = words.total_amount, f"\u2009{words.total_unit}"
    amount_w = setter.width(amount, _TOTAL)
    unit_w = setter.width(unit, _TOTAL_UNIT)
    if amount_w + unit_w > _WIDTH:
        together = f"{amount} {words.total_unit}"
        return setter.paragraph(together, _TOTAL_UNIT, x=_LEFT, y=y, width=_WIDTH)
    x = _LEFT + (_WIDTH - amount_w - unit_w) / 2
    # fpdf2 puts a cell's baseline 0.3 font sizes below the cell's middle.
    baseline = y + _TOTAL.line_height / 2 + 0.3 * _TOTAL.size * _PT
    unit_y = baseline - _TOTAL_UNIT.line_height / 2 - 0.3 * _TOTAL_UNIT.size * _PT
    setter.line(amount, _TOTAL, x=x, y=y, width=amount_w)
    setter.line(unit, _TOTAL_UNIT, x=x + amount_w, y=unit_y, width=unit_w)
    return y + _TOTAL.line_height


_ROW_MIN: Final = 4.6
_ROW_MAX: Final = 6.2


def _draw_table(
    setter: _Setter,
    words: _Wording,
    days: tuple[tuple[str, str], ...],
    *,
    x: float,
    y: float,
    row_h: float,
    with_total: bool,
) -> float:
    pdf = setter.pdf
    value_w = 24.0
    label_w = _TABLE_W - value_w
    pad = (row_h - _TABLE_ROW.line_height) / 2

    def row(label: str, value: str, kind: _Type, y: float) -> None:
        setter.line(label, kind, x=x + 1.5, y=y + pad, width=label_w - 1.5)
        setter.line(value, kind, x=x + label_w, y=y + pad, width=value_w - 1.5, align="R")

    row(*words.table_head, _TABLE_HEAD, y)
    y += row_h
    _rule(pdf, x1=x, x2=x + _TABLE_W, y=y, colour=_ACCENT, width=0.3)
    for index, (label, value) in enumerate(days):
        if index % 2:
            pdf.set_fill_color(*_TINT)
            pdf.rect(x, y, _TABLE_W, row_h, style="F")
        row(label, value, _TABLE_ROW, y)
        y += row_h
    if with_total:
        _rule(pdf, x1=x, x2=x + _TABLE_W, y=y, colour=_RULE, width=0.3)
        row(*words.table_total, _TABLE_TOTAL, y)
        y += row_h
    return y


def _statements_height(setter: _Setter, paragraphs: tuple[str, ...], kind: _Type) -> float:
    lines = sum(len(setter.lines(p, kind, _FINE_W)) for p in paragraphs)
    return lines * kind.line_height + _FINE_GAP * (len(paragraphs) - 1)


def _draw_middle(setter: _Setter, words: _Wording, top: float, bottom: float) -> _Continuation:
    """The per-day table (left) and the statements (right) between the award and the
    footer. The statements take the largest size at which they all fit; failing that,
    as many whole ones as fit at the smallest size stay, and the table or statements
    that do not fit follow on page 2, announced here."""
    room = bottom - top
    rows = len(words.days) + 2
    days_fit = rows * _ROW_MIN <= room
    if days_fit:
        row_h = max(_ROW_MIN, min(_ROW_MAX, room / rows))
        _draw_table(setter, words, words.days, x=_LEFT, y=top, row_h=row_h, with_total=True)
    else:
        setter.paragraph(
            words.days_elsewhere, _CONTINUED, x=_LEFT, y=top, width=_TABLE_W, align="L"
        )
    statements = words.fine_print
    kind = next(
        (
            _FINE.at(size)
            for size in _FINE_SIZES
            if _statements_height(setter, statements, _FINE.at(size)) <= room
        ),
        None,
    )
    shown = len(statements)
    if kind is None:
        kind = _FINE.at(_FINE_SIZES[-1])
        room -= _CONTINUED.line_height + _FINE_GAP
        while shown and _statements_height(setter, statements[:shown], kind) > room:
            shown -= 1
    y = top
    for statement in statements[:shown]:
        y = setter.paragraph(statement, kind, x=_FINE_X, y=y, width=_FINE_W, align="L")
        y += _FINE_GAP
    if shown < len(statements):
        setter.paragraph(words.continued, _CONTINUED, x=_FINE_X, y=y, width=_FINE_W, align="L")
    return _Continuation(days=not days_fit, statements_from=shown)


def _draw_footer(setter: _Setter, words: _Wording, url: str) -> None:
    qr_x = _RIGHT - _QR_SIZE
    text_w = qr_x - _LEFT - 10
    _rule(setter.pdf, x1=_LEFT, x2=_RIGHT, y=_FOOTER_TOP - 4, colour=_RULE, width=0.3)

    def say(text: str, kind: _Type, y: float, link: str | None = None) -> float:
        return setter.paragraph(text, kind, x=_LEFT, y=y, width=text_w, align="L", link=link)

    y = say(words.issued, _ISSUED, _FOOTER_TOP) + 1.2
    y = say(words.serial_label, _CAPTION, y)
    y = say(words.serial, _SERIAL, y) + 1.2
    y = say(words.verify_hint, _CAPTION, y)
    say(words.verify_url, setter.fit(words.verify_url, _URL, text_w, _URL_SIZES, 1), y, url)
    _draw_qr(setter.pdf, url, x=qr_x, y=_FOOTER_TOP, size=_QR_SIZE)


def _draw_qr(pdf: FPDF, url: str, *, x: float, y: float, size: float) -> None:
    """The QR code of `url` (segno), drawn as one filled rectangle per run of dark
    modules. The page around it stays blank for more than the four-module quiet zone."""
    import segno

    code = segno.make(url, error="m", micro=False)
    modules = code.symbol_size(border=0)[0]
    step = size / modules
    pdf.set_fill_color(0, 0, 0)
    for row, dark in enumerate(code.matrix_iter(scale=1, border=0)):
        cells = list(dark)
        column = 0
        while column < modules:
            if not cells[column]:
                column += 1
                continue
            start = column
            while column < modules and cells[column]:
                column += 1
            # A hair of overlap, so that no seam shows between rows when rasterised.
            pdf.rect(x + start * step, y + row * step, (column - start) * step, step + 0.02, "F")
    pdf.link(x, y, size, size, url)


def _draw_continuation(setter: _Setter, words: _Wording, what: _Continuation) -> None:
    """Pages after the first: what page 1 could not hold, in full width."""
    pdf = setter.pdf
    top = _TOP + 8

    def new_page() -> float:
        pdf.add_page()
        _draw_frame(pdf)
        head = words.running_head
        setter.paragraph(head, _RUNNING_HEAD, x=_LEFT, y=_TOP - 4, width=_WIDTH, align="R")
        return top

    y = new_page()
    if what.days:
        row_h = 5.2
        per_column = max(1, int((_BOTTOM - top) // row_h) - 2)
        days = words.days
        chunks = [days[i : i + per_column] for i in range(0, len(days), per_column)]
        x = _LEFT
        for index, chunk in enumerate(chunks):
            if x + _TABLE_W > _RIGHT:
                y, x = new_page(), _LEFT
            last = index == len(chunks) - 1
            end = _draw_table(setter, words, chunk, x=x, y=y, row_h=row_h, with_total=last)
            x += _TABLE_W + _GUTTER
        y = end + 8 if len(chunks) == 1 else new_page()
    statements = words.fine_print[what.statements_from :]
    if statements:
        y = setter.paragraph(
            words.statements_heading, _LABEL, x=_LEFT, y=y, width=_WIDTH, align="L"
        )
        y += 2
    kind = _FINE.at(9)
    for statement in statements:
        align: _Align = "R" if _right_to_left(statement) else "L"
        for line in setter.lines(statement, kind, _WIDTH):
            if y + kind.line_height > _BOTTOM:
                y = new_page()
            setter.line(line, kind, x=_LEFT, y=y, width=_WIDTH, align=align)
            y += kind.line_height
        y += _FINE_GAP


def render_certificate(facts: CertificateFacts) -> bytes:
    """The certificate as PDF bytes: A4 landscape, on one page unless the per-day table
    or the statements cannot fit on it at a legible size (they then follow on page 2).
    Raises ValueError for a naive `issued_at`."""
    from fpdf import FPDF
    from fpdf.fonts import TTFFont

    if facts.issued_at.utcoffset() is None:
        raise ValueError("issued_at must be timezone-aware")
    words = _wording(facts)
    pdf = FPDF(orientation="landscape", unit="mm", format="A4")
    pdf.set_margins(_LEFT, _TOP, _PAGE_W - _RIGHT)
    pdf.set_auto_page_break(False)
    pdf.c_margin = 0
    pdf.set_creation_date(facts.issued_at)
    pdf.set_title(words.title)
    pdf.set_author(words.author)
    pdf.set_subject(words.subject)
    pdf.set_keywords([words.serial, "CME", "certificate"])
    pdf.set_creator("cme-credits")
    pdf.set_lang("en")
    written: list[Path] = []
    try:
        setter = _Setter(pdf, _install_fonts(pdf, words.printed(), written))
        pdf.add_page()
        _draw_frame(pdf)
        y = _draw_heading(setter, words)
        y = _draw_award(setter, words, y)
        continuation = _draw_middle(setter, words, y + 7, _FOOTER_TOP - 9)
        _draw_footer(setter, words, facts.verify_url)
        if continuation.needed(len(words.fine_print)):
            _draw_continuation(setter, words, continuation)
        return bytes(pdf.output())
    finally:
        for font in pdf.fonts.values():
            if isinstance(font, TTFFont):
                font.close()
        for path in written:
            path.unlink(missing_ok=True)
