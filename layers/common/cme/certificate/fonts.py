"""The fonts a certificate is set in: where each comes from, which characters it has a
glyph for, which one sets each character, and how each is cut down to the characters a
certificate prints. The package docstring tells the fonts apart.

`unprintable` and `font_for` read the precomputed coverage tables (`coverage.py`), not
the font files: request validation and the issuing route use them without HarfBuzz or
fpdf2. Cutting and measuring open the files, when a certificate is drawn.
"""

from __future__ import annotations

import bisect
import functools
import os
import re
import tempfile
import unicodedata
from collections.abc import Iterable, Mapping
from contextlib import ExitStack
from dataclasses import dataclass
from importlib.resources import as_file, files
from pathlib import Path
from typing import TYPE_CHECKING, Final

from cme.errors import Problem
from cme.visible import default_ignorable

if TYPE_CHECKING:
    import uharfbuzz as hb
    from fpdf import FPDF

    from cme.certificate.facts import CertificateFacts


@dataclass(frozen=True, slots=True)
class FontSource:
    family: str
    """The fpdf2 family name, and the key of the font's coverage table."""
    package: str
    """The PyPI package (import name) the font file comes with."""
    resource: str
    variable: bool = True
    """A variable font with a weight axis: pinned to 400 for text and 600 for emphasis.
    A static font has one weight, which emphasis falls back to."""

    @property
    def styles(self) -> tuple[tuple[str, int | None], ...]:
        """fpdf2 style -> the weight to pin the variable font to (None: static)."""
        return (("", 400), ("B", 600)) if self.variable else (("", None),)


SANS: Final = FontSource("sans", "fontpkg_noto_sans", "files/NotoSans[wdth,wght].ttf")
ARABIC: Final = FontSource(
    "arabic", "fontpkg_noto_sans_arabic", "files/NotoSansArabic[wdth,wght].ttf"
)
CJK: Final = FontSource(
    "cjk", "cvttf_NotoSansCJK_Regular", "NotoSansCJKtc-Regular.otf", variable=False
)


def _noto(script: str) -> FontSource:
    """Noto Sans <script>, as `manimgx-fonts` ships it (wght 400-700)."""
    return FontSource(script.lower(), "manimgx_fonts", f"NotoSans{script}[wght].ttf")


SOURCES: Final = (
    SANS,
    ARABIC,
    *(
        _noto(script)
        for script in (
            "Hebrew",
            "Armenian",
            "Georgian",
            "Ethiopic",
            "Bengali",
            "Gujarati",
            "Gurmukhi",
            "Kannada",
            "Malayalam",
            "Oriya",
            "Sinhala",
            "Tamil",
            "Telugu",
            "Thai",
            "Lao",
            "Khmer",
            "Myanmar",
        )
    ),
    CJK,
)
"""Every bundled font, in the order a character's font is looked for: Noto Sans first
(Latin, Greek, Cyrillic, Devanagari and the punctuation around them), CJK last (it also
has Latin and punctuation, in CJK proportions)."""


# --- coverage ----------------------------------------------------------------------------


@functools.cache
def _ranges(source: FontSource) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The source's coverage as sorted range starts and (inclusive) ends."""
    from cme.certificate.coverage import COVERAGE

    starts: list[int] = []
    ends: list[int] = []
    for item in COVERAGE[source.family].split():
        first, _, last = item.partition("-")
        starts.append(int(first, 16))
        ends.append(int(last or first, 16))
    return tuple(starts), tuple(ends)


def covers(source: FontSource, code: int) -> bool:
    starts, ends = _ranges(source)
    index = bisect.bisect_right(starts, code) - 1
    return index >= 0 and code <= ends[index]


_JOINERS: Final = frozenset({0x034F, 0x200C, 0x200D})
"""Combining grapheme joiner, zero-width non-joiner and joiner: shaped with the letters
around them."""


def _continues_cluster(character: str) -> bool:
    code = ord(character)
    return (
        unicodedata.category(character) in ("Mn", "Mc", "Me")
        or code in _JOINERS
        or 0xFE00 <= code <= 0xFE0F
        or 0xE0100 <= code <= 0xE01EF
    )


def font_for(character: str, previous: FontSource | None = None) -> FontSource | None:
    """The font that sets `character`, or None when no bundled font has it. A mark or a
    joiner stays in the font of the character before it (`previous`) when that font has
    it, so that HarfBuzz shapes it with its base; anything else takes the first font
    that has it."""
    code = ord(character)
    if previous is not None and _continues_cluster(character) and covers(previous, code):
        return previous
    return next((source for source in SOURCES if covers(source, code)), None)


def assign_fonts(text: str) -> dict[str, FontSource]:
    """One font for each character of `text` (fpdf2 chooses fonts per character, not
    per occurrence: the first occurrence decides). Characters no font has are left out."""
    chosen: dict[str, FontSource] = {}
    previous: FontSource | None = None
    for character in text:
        source = chosen.get(character) or font_for(character, previous)
        if source is not None:
            chosen.setdefault(character, source)
        previous = source
    return chosen


_LAYOUT: Final = frozenset("\t\n\r")
"""Tab, line feed and carriage return: the setter breaks lines and spaces words there;
they need no glyph."""


def unprintable(text: str) -> tuple[str, ...]:
    """The characters of `text` (NFC) that would print nothing although they should: no
    bundled font has a glyph for them. Default-ignorable characters (joiners, bidi
    marks, variation selectors) print nothing by design and are not listed."""
    missing = {
        c
        for c in set(unicodedata.normalize("NFC", text))
        if c not in _LAYOUT and not default_ignorable(c) and font_for(c) is None
    }
    return tuple(sorted(missing))


def code_points(characters: Iterable[str]) -> str:
    """`U+E000 (private use), U+0F40 TIBETAN LETTER KA`: what an organiser can look up."""
    described = []
    for character in characters:
        category = unicodedata.category(character)
        name = {"Co": "private use", "Cn": "unassigned", "Cs": "surrogate"}.get(category)
        label = f"({name})" if name else unicodedata.name(character, "")
        described.append(f"U+{ord(character):04X} {label}".strip())
    return ", ".join(described)


def unprintable_problem(path: str, text: str) -> Problem | None:
    """The problem (code `unprintable_name`) of a text that holds characters no bundled
    font prints, named by the API's path to it."""
    missing = unprintable(text)
    if not missing:
        return None
    return Problem(path, "unprintable_name", f"no bundled font prints {code_points(missing)}")


def unprintable_problems(texts: Mapping[str, str]) -> tuple[Problem, ...]:
    """The problems of the texts (path -> text) that hold characters no font prints."""
    found = (unprintable_problem(path, text) for path, text in texts.items())
    return tuple(problem for problem in found if problem is not None)


def event_texts(
    *,
    name: str,
    city: str,
    country: str,
    body: str,
    unit: str,
    statement: str,
    conversions: Iterable[tuple[str, str]],
    statements: Iterable[str],
) -> dict[str, str]:
    """The event's own words a certificate prints, by their path in the programme."""
    texts = {
        "event.name": name,
        "event.city": city,
        "event.country": country,
        "event.accreditation.body": body,
        "event.accreditation.unit": unit,
        "event.accreditation.statement": statement,
    }
    for index, (conversion, said) in enumerate(conversions):
        texts[f"event.conversions[{index}].name"] = conversion
        texts[f"event.conversions[{index}].statement"] = said
    for index, text in enumerate(statements):
        texts[f"event.statements[{index}]"] = text
    return texts


def printing_problems(facts: CertificateFacts) -> tuple[Problem, ...]:
    """Every text of the certificate drawn from data (the name, the event's name, place
    and statements) that holds characters no bundled font prints."""
    texts = {"name": facts.delegate_name}
    texts |= event_texts(
        name=facts.event_name,
        city=facts.event_city,
        country=facts.event_country,
        body=facts.accreditation_body,
        unit=facts.unit,
        statement=facts.accreditation_statement,
        conversions=((c.name, c.statement) for c in facts.conversions),
        statements=facts.statements,
    )
    if facts.profession:
        texts["profession"] = facts.profession
    return unprintable_problems(texts)


def printed_form(text: str) -> str:
    """`text` as it is drawn: without soft hyphens (a font draws them as hyphens; the
    certificate never breaks a word at one) and without default-ignorable characters no
    font has (they would print nothing, and fpdf2 would split a shaped run at them)."""
    if text.isascii():
        return text
    silent = {
        c for c in set(text) if c == "\u00ad" or (default_ignorable(c) and font_for(c) is None)
    }
    return "".join(c for c in text if c not in silent) if silent else text


# --- the font files ------------------------------------------------------------------------

# The font files stay open (HarfBuzz maps them into memory) for the life of the process.
_open_resources = ExitStack()


@functools.cache
def face(source: FontSource) -> hb.Face:
    import uharfbuzz as hb

    resource = files(source.package).joinpath(source.resource)
    path = _open_resources.enter_context(as_file(resource))
    return hb.Face(hb.Blob.from_file_path(str(path)))


@functools.cache
def _font(source: FontSource) -> hb.Font:
    """The font at its default instance, one unit per font unit, for measuring."""
    import uharfbuzz as hb

    return hb.Font(face(source))


def measured_coverage(source: FontSource) -> str:
    """The font file's cmap as the coverage table writes it: `0020-007E 00A0 ...`."""
    codes = sorted(face(source).unicodes)
    ranges: list[list[int]] = []
    for code in codes:
        if ranges and code == ranges[-1][1] + 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    return " ".join(f"{a:04X}" if a == b else f"{a:04X}-{b:04X}" for a, b in ranges)


_LAYOUT_TABLES: Final = ("GSUB", "GPOS", "GDEF")
_UNUSED_TABLES: Final = ("STAT", "gasp", "DSIG", "meta")


def _cut_font(
    source: FontSource, characters: set[int], weight: int | None, *, layout: bool
) -> bytes:
    """The font reduced to `characters` (with the glyphs its layout features reach from
    them when `layout`, else without layout tables); a variable font pinned to `weight`
    and its other axes to their defaults (normal width)."""
    import uharfbuzz as hb

    font_face = face(source)
    wanted = hb.SubsetInput()
    wanted.sets(hb.SubsetInputSets.UNICODE).update(characters)
    dropped = _UNUSED_TABLES if layout else _UNUSED_TABLES + _LAYOUT_TABLES
    wanted.sets(hb.SubsetInputSets.DROP_TABLE_TAG).update(
        {int.from_bytes(tag.encode("ascii"), "big") for tag in dropped}
    )
    if weight is not None:
        wanted.pin_all_axes_to_default(font_face)
        wanted.pin_axis_location(font_face, "wght", weight)
    wanted.flags = hb.SubsetFlags.NOTDEF_OUTLINE | hb.SubsetFlags.NO_HINTING
    return bytes(hb.subset(font_face, wanted).blob.data)


def _write_font(data: bytes, suffix: str) -> Path:
    """`data` in a new private file (mode 0600, a name no one else can have taken)."""
    handle, name = tempfile.mkstemp(prefix="cme-font-", suffix=suffix)
    with os.fdopen(handle, "wb") as file:
        file.write(data)
    return Path(name)


@dataclass(frozen=True, slots=True)
class InstalledFonts:
    """The fonts of one certificate, as the setter needs to know them."""

    assignment: Mapping[str, FontSource]
    """Which font sets each character the certificate prints."""
    sans_advances: Mapping[str, Mapping[int, float]]
    """fpdf2 style -> character -> Noto Sans's advance width, per 1000 units of em."""
    sans_characters: frozenset[str] = frozenset()
    """The characters Noto Sans sets."""

    def plain(self, text: str) -> bool:
        """Set in Noto Sans alone, without shaping: measured from the advances."""
        return self.sans_characters.issuperset(text) and not needs_shaping(text)

    def ink_overflow(self, text: str) -> tuple[float, float]:
        """How far, in ems, the ink of `text` rises above Noto Sans's ascender and falls
        below its descender: the room a line of it needs besides the usual leading.
        Myanmar's stacked medials, Thai tone marks over vowels and Indic subjoined
        consonants reach further than Latin ever does."""
        runs: list[tuple[FontSource, str]] = []
        for character in text:
            source = self.assignment.get(character)
            if source is None:
                continue
            if runs and runs[-1][0] is source:
                runs[-1] = (source, runs[-1][1] + character)
            else:
                runs.append((source, character))
        top, bottom = _ink_box(SANS)
        above = below = 0.0
        for source, run in runs:
            if source is SANS:
                continue
            run_top, run_bottom = _ink_extent(source, run)
            above = max(above, run_top - top)
            below = max(below, bottom - run_bottom)
        return above, below


@functools.cache
def _ink_box(source: FontSource) -> tuple[float, float]:
    """The font's ascender and descender, in ems."""
    extents = _font(source).get_font_extents("ltr")
    upem = face(source).upem
    return extents.ascender / upem, extents.descender / upem


def _ink_extent(source: FontSource, text: str) -> tuple[float, float]:
    """The highest and lowest ink of `text` shaped in `source`, in ems above the baseline."""
    import uharfbuzz as hb

    font = _font(source)
    buffer = hb.Buffer()
    buffer.add_str(text)
    buffer.guess_segment_properties()
    hb.shape(font, buffer)
    top = bottom = 0.0
    for info, position in zip(buffer.glyph_infos, buffer.glyph_positions, strict=True):
        extents = font.get_glyph_extents(info.codepoint)
        if extents is None:
            continue
        rise = position.y_offset + extents.y_bearing
        top = max(top, rise)
        bottom = min(bottom, rise + extents.height)
    upem = face(source).upem
    return top / upem, bottom / upem


def install_fonts(pdf: FPDF, text: str, written: list[Path]) -> InstalledFonts:
    """Add to `pdf` the fonts `text` needs, each cut down to the characters it sets:
    Noto Sans always, another font only for the characters it sets. Each character is
    in exactly one cut font, so fpdf2's choice per character (Noto Sans if it has it,
    else the fallback that has it) is the choice of `assign_fonts`. The font files are
    listed in `written`, for the caller to remove once the PDF is out."""
    from fpdf.fonts import TTFFont

    assignment = assign_fonts(text + " ")
    plan: dict[FontSource, set[int]] = {SANS: set()}
    for character, source in assignment.items():
        plan.setdefault(source, set()).add(ord(character))
    # Noto Sans keeps its layout tables only when some of its text must be shaped
    # (combining marks, Devanagari); the others always need theirs.
    sans_layout = needs_shaping("".join(chr(c) for c in plan[SANS]))
    advances: dict[str, Mapping[int, float]] = {}
    for source, mine in plan.items():
        suffix = Path(source.resource).suffix
        layout = sans_layout or source is not SANS
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
                if source is SANS:
                    advances[style] = font.cw
    others = [source.family for source in plan if source is not SANS]
    if others:
        # CJK has one weight: emphasis falls back to it rather than to nothing.
        pdf.set_fallback_fonts(others, exact_match=False)
    sans = frozenset(c for c, source in assignment.items() if source is SANS)
    return InstalledFonts(assignment, advances, sans)


# --- shaping -------------------------------------------------------------------------------

# Text that reads right without shaping: Latin, Greek, Cyrillic, Armenian and the
# punctuation and symbols around them, with no combining mark. Everything else (marks to
# place, Arabic and Hebrew direction and joining, Indic reordering, CJK regional forms)
# goes through HarfBuzz.
_PLAIN: Final = "[\u0000-\u058f\u1e00-\u2bff\u2c60-\u2c7f\ua640-\ua69f\ua720-\ua7ff]*"

# Scripts whose regional glyph forms the CJK font selects by language.
_KANA: Final = "[\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f]"
_HANGUL: Final = "[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]"
_HAN: Final = "[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]"


@functools.cache
def _pattern(expression: str) -> re.Pattern[str]:
    """Compiled on first use: the classes take milliseconds to compile, and checking a
    name at registration never needs them."""
    return re.compile(expression)


def needs_shaping(text: str) -> bool:
    return _pattern(_PLAIN).fullmatch(text) is None or any(unicodedata.combining(c) for c in text)


def shaping_language(text: str) -> str:
    """The language HarfBuzz shapes `text` in. Always explicit: left unset, HarfBuzz takes
    the process locale, and the CJK forms would change with the machine."""
    if _pattern(_KANA).search(text):
        return "ja"
    if _pattern(_HANGUL).search(text):
        return "ko"
    if _pattern(_HAN).search(text):
        return "zh-Hant"
    return "und"


_RTL_CLASSES: Final = frozenset({"R", "AL"})


def right_to_left(text: str) -> bool:
    """The paragraph direction by its first strong character (Unicode bidi P2-P3)."""
    for character in text:
        direction = unicodedata.bidirectional(character)
        if direction in _RTL_CLASSES:
            return True
        if direction == "L":
            return False
    return False
