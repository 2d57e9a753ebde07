"""The fonts a certificate is set in: where they come from, what each covers, and how
each is cut down to the characters a certificate prints (see the package docstring)."""

from __future__ import annotations

import functools
import os
import re
import tempfile
import unicodedata
from collections.abc import Mapping
from contextlib import ExitStack
from dataclasses import dataclass
from importlib.resources import as_file, files
from pathlib import Path
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    import uharfbuzz as hb
    from fpdf import FPDF


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
class SansMetrics:
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


def install_fonts(pdf: FPDF, text: str, written: list[Path]) -> SansMetrics:
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
    sans_layout = needs_shaping("".join(chr(c) for c in plan[0][1]))
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
    return SansMetrics(frozenset(plan[0][1]), advances)


# Text that reads right without shaping: Latin, Greek, Cyrillic and the punctuation and
# symbols around them, with no combining mark. Everything else (marks to place, Arabic
# joining, Indic reordering, CJK regional forms) goes through HarfBuzz.
_PLAIN = re.compile("[\u0000-\u058f\u1e00-\u2bff\u2c60-\u2c7f\ua640-\ua69f\ua720-\ua7ff]*")


def needs_shaping(text: str) -> bool:
    return _PLAIN.fullmatch(text) is None or any(unicodedata.combining(c) for c in text)


# Scripts whose regional glyph forms the CJK font selects by language.
_KANA = re.compile("[\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f]")
_HANGUL = re.compile("[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]")
_HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")


def shaping_language(text: str) -> str:
    """The language HarfBuzz shapes `text` in. Always explicit: left unset, HarfBuzz takes
    the process locale, and the CJK forms would change with the machine."""
    if _KANA.search(text):
        return "ja"
    if _HANGUL.search(text):
        return "ko"
    if _HAN.search(text):
        return "zh-Hant"
    return "und"
