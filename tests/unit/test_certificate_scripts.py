"""Names in every script a congress meets print on the certificate, whole and shaped,
or the certificate is refused: never a blank or partial name (issue 15).

What is printed is read back three ways: the text of the page (pypdf and PDFium, through
the fonts' ToUnicode maps), the glyphs the content stream draws (none is .notdef), and
the page rasterised (the name's ink does not run into the next line).
"""

from __future__ import annotations

import functools
import io
import subprocess
import sys
import unicodedata
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any, cast

import pypdf
import pypdfium2 as pdfium
import pytest
from pypdf.generic import ContentStream

from cme.certificate import CertificateConversion, render_certificate
from cme.certificate.fonts import SOURCES, assign_fonts, face, measured_coverage, unprintable
from cme.errors import UnprintableName
from cme_tools.font_coverage import coverage_module
from tests.names import NAMES_BY_SCRIPT
from tests.unit.test_certificate_pdf import (
    assert_text_inside_the_frame,
    certificate_facts,
    pdfium_text,
    pypdf_text,
)

ROOT = Path(__file__).resolve().parents[2]
MATHS_BOLD_ANNA = "\U0001d400\U0001d427\U0001d427\U0001d41a"
LEAD_IN, AFTER = "This is to certify that", "attended this event and is awarded"


@functools.cache
def pdf_for(name: str) -> bytes:
    return render_certificate(certificate_facts(delegate_name=name))


def name_letters(text: str) -> Counter[str]:
    """The characters of the name line as extracted, without spacing and the controls an
    extractor gives a glyph that has no character of its own (a cluster's second glyph).
    Shaped text comes out in visual order, so the letters are compared as a multiset."""
    start = text.index(LEAD_IN) + len(LEAD_IN)
    end = text.index(AFTER, start)
    return Counter(
        c for c in text[start:end] if not c.isspace() and unicodedata.category(c) != "Cc"
    )


def expected_letters(name: str) -> Counter[str]:
    return Counter(c for c in unicodedata.normalize("NFC", name) if not c.isspace())


@pytest.mark.parametrize(("script", "name"), NAMES_BY_SCRIPT.items(), ids=NAMES_BY_SCRIPT)
def test_every_letter_of_the_name_is_in_the_pdf_text(script: str, name: str) -> None:
    # Given a certificate for a name in this script
    pdf = pdf_for(name)

    # Then both extractors find each of its characters, as often as the name has it,
    # in the name line (an extractor may add a stray code for a glyph with no character)
    for text in (pypdf_text(pdf), pdfium_text(pdf)):
        assert not expected_letters(name) - name_letters(text), script


def drawn_glyphs(pdf: bytes) -> dict[str, list[int]]:
    """Per embedded font (its base name without the subset tag), the glyph ids page 1
    draws, read from the content stream (two-byte codes, Identity-H) and mapped through
    the font's CIDToGIDMap; a CFF font (CJK) has none: its CID 0 is .notdef too)."""
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    page = reader.pages[0]
    fonts: Any = cast(Any, page["/Resources"])["/Font"]
    maps: dict[str, tuple[str, bytes | None]] = {}
    for key, reference in fonts.items():
        font = reference.get_object()
        descendant = font["/DescendantFonts"][0].get_object()
        base = str(font["/BaseFont"]).split("+")[-1]
        stream = descendant.get("/CIDToGIDMap")
        maps[key] = (base, None if stream is None else stream.get_object().get_data())
    drawn: dict[str, list[int]] = {}
    current = ""
    for operands, operator in ContentStream(page.get_contents(), reader).operations:
        if operator == b"Tf":
            current = str(operands[0])
        elif operator in (b"Tj", b"TJ"):
            pieces = operands[0] if operator == b"TJ" else [operands[0]]
            base, cid_to_gid = maps[current]
            for piece in pieces:
                if isinstance(piece, (int, float)):
                    continue
                raw = piece.original_bytes if hasattr(piece, "original_bytes") else bytes(piece)
                for i in range(0, len(raw), 2):
                    cid = int.from_bytes(raw[i : i + 2], "big")
                    gid = (
                        cid
                        if cid_to_gid is None
                        else int.from_bytes(cid_to_gid[2 * cid : 2 * cid + 2], "big")
                    )
                    drawn.setdefault(base, []).append(gid)
    return drawn


@pytest.mark.parametrize(("script", "name"), NAMES_BY_SCRIPT.items(), ids=NAMES_BY_SCRIPT)
def test_no_glyph_drawn_is_notdef(script: str, name: str) -> None:
    drawn = drawn_glyphs(pdf_for(name))

    # Then every glyph of every font on the page is a real one (glyph 0 is the empty box)
    assert drawn, script
    for font, glyphs in drawn.items():
        assert glyphs, font
        assert 0 not in glyphs, (script, font)


@pytest.mark.parametrize(
    ("name", "font"),
    [
        (NAMES_BY_SCRIPT["Hebrew"], "NotoSansHebrew"),
        (NAMES_BY_SCRIPT["Tamil"], "NotoSansTamil"),
        (NAMES_BY_SCRIPT["Myanmar"], "NotoSansMyanmar"),
        (NAMES_BY_SCRIPT["Sinhala"], "NotoSansSinhala"),
        (NAMES_BY_SCRIPT["Khmer"], "NotoSansKhmer"),
        (NAMES_BY_SCRIPT["Bengali"], "NotoSansBengali"),
    ],
)
def test_each_word_is_shaped_whole(name: str, font: str) -> None:
    """The PDF draws the glyphs HarfBuzz gives each word shaped at once: a conjunct or a
    stacked cluster split at a joiner or a mark (as fpdf2 did at the ZWJ of ශ්‍රී) gives
    more glyphs, a visible virama among them."""
    import uharfbuzz as hb

    source = next(s for s in SOURCES if s.resource.startswith(font + "["))
    shaper = hb.Font(face(source))
    expected = 0
    for word in name.split():
        buffer = hb.Buffer()
        buffer.add_str(word)
        buffer.guess_segment_properties()
        hb.shape(shaper, buffer)
        expected += len(buffer.glyph_infos)

    drawn = drawn_glyphs(pdf_for(name))
    # (the embedded font's name is the font's PostScript name: Hebrew's says "Light")
    assert [len(g) for f, g in drawn.items() if f.startswith(font)] == [expected]


def test_a_name_mixing_scripts_prints_on_one_line_in_each_font() -> None:
    name = NAMES_BY_SCRIPT["Latin and Han"]
    pdf = pdf_for(name)

    fonts = set(drawn_glyphs(pdf))
    lines = pdfium_text(pdf).splitlines()
    assert {"NotoSans", "NotoSansCJKTCRegular"} <= fonts
    assert lines[lines.index(LEAD_IN) + 1] == name


def test_a_right_to_left_name_reads_right_to_left() -> None:
    # pypdf reads glyphs in visual order: the Hebrew words come out last one first
    text = pypdf_text(pdf_for(NAMES_BY_SCRIPT["Hebrew"]))
    lines = text.splitlines()

    assert lines[lines.index(LEAD_IN) + 1].split() == ["לוי", "שרה"]


def char_boxes(pdf: bytes, text: str) -> list[tuple[float, float, float, float]]:
    """PDFium's boxes (left, bottom, right, top) of the characters of `text` on page 1."""
    page = pdfium.PdfDocument(pdf)[0]
    textpage = page.get_textpage()
    whole = textpage.get_text_range()
    start = whole.index(text)
    return [textpage.get_charbox(i) for i in range(start, start + len(text))]


@pytest.mark.parametrize("script", ["Myanmar", "Kannada", "Thai", "Telugu", "Latin"])
def test_a_tall_script_does_not_run_into_the_next_line(script: str) -> None:
    # Given a name whose stacked marks reach further than Latin's (Myanmar's medials)
    pdf = pdf_for(NAMES_BY_SCRIPT[script])
    page = pdfium.PdfDocument(pdf)[0]
    scale = 4
    image = page.render(scale=scale).to_pil().convert("L")

    # Then going up from the middle of the next line, its ink ends within a line height
    # and at least a point of blank rows follows: the name's ink does not touch it
    boxes = [b for b in char_boxes(pdf, AFTER) if b[2] > b[0]]
    middle = (min(b[1] for b in boxes) + max(b[3] for b in boxes)) / 2
    height = page.get_size()[1]

    def blank(y: float) -> bool:
        row = round((height - y) * scale)
        return all(
            image.getpixel((x, row)) > 200 for x in range(image.width // 5, 4 * image.width // 5)
        )

    rows = [middle + i / scale for i in range(12 * scale)]  # 12 pt up from the middle
    first_blank = next((i for i, y in enumerate(rows) if blank(y)), None)
    assert first_blank is not None
    assert all(blank(y) for y in rows[first_blank : first_blank + scale])


# --- refusing what no font prints ------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "missing"),
    [
        ("Anna \ue000", ["\ue000"]),  # private use
        ("Anna \u0378", ["\u0378"]),  # unassigned
        ("བཀྲ་ཤིས་", sorted(set("བཀྲ་ཤིས་"))),  # Tibetan
        (MATHS_BOLD_ANNA, sorted(set(MATHS_BOLD_ANNA))),
        ("Anna 🙂", ["\U0001f642"]),  # emoji
        ("ᠪᠠᠲᠤ", ["\u182a", "\u1820", "\u1832", "\u1824"]),  # Mongolian script
    ],
)
def test_what_no_bundled_font_has_is_unprintable(name: str, missing: list[str]) -> None:
    assert set(unprintable(name)) == set(missing)
    with pytest.raises(UnprintableName) as refused:
        render_certificate(certificate_facts(delegate_name=name))
    assert refused.value.code == "unprintable_name"
    assert [p.path for p in refused.value.problems] == ["name"]
    assert f"U+{ord(missing[0]):04X}" in refused.value.problems[0].detail


def test_what_prints_nothing_by_design_is_not_unprintable() -> None:
    # joiners, bidi marks and variation selectors are default-ignorable
    assert unprintable("Anna\u200b Maria\u200e Lisa\ufe0f Eva\u00ad") == ()
    # and the setter breaks lines at a line feed, spaces at a tab
    assert unprintable("Claim only the hours\nspent.\tThank you.\r\n") == ()


def test_every_text_drawn_from_data_is_checked() -> None:
    facts = certificate_facts(
        event_name="Congress \ue001",
        event_city="Milan \U0001f642",
        statements=("fine", "also \u0378"),
        conversions=(CertificateConversion("Credits \ue002", certificate_facts().total, ""),),
    )

    with pytest.raises(UnprintableName) as refused:
        render_certificate(facts)

    assert [p.path for p in refused.value.problems] == [
        "event.name",
        "event.city",
        "event.conversions[0].name",
        "event.statements[1]",
    ]


def test_a_soft_hyphen_is_not_drawn_as_a_hyphen() -> None:
    pdf = render_certificate(certificate_facts(delegate_name="Anna\u00adMaria Kowalska"))

    assert "AnnaMaria Kowalska" in pdfium_text(pdf).splitlines()


# --- the fonts -------------------------------------------------------------------------------


def test_the_coverage_tables_are_the_fonts_own() -> None:
    # The name check reads precomputed tables: they must be what the installed fonts have
    # (after a font package changes: make font-coverage)
    shipped = (ROOT / "layers/common/cme/certificate/coverage.py").read_text(encoding="utf-8")

    assert shipped == coverage_module()
    assert all(measured_coverage(s) for s in SOURCES)


def test_a_joiner_goes_with_the_letters_it_joins() -> None:
    fonts = assign_fonts(NAMES_BY_SCRIPT["Sinhala"])

    assert fonts["\u200d"].family == "sinhala"
    assert fonts[" "].family == "sans"


def test_checking_a_name_imports_neither_fpdf2_nor_harfbuzz() -> None:
    # Registration and issuing check names; only drawing needs the fonts themselves
    code = (
        "import sys\n"
        "from cme.certificate.fonts import unprintable\n"
        "assert unprintable('Anna \\ue000') == ('\\ue000',)\n"
        "print(sorted(m for m in ('fpdf', 'uharfbuzz', 'fontTools') if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT / "layers/common")},
    )

    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize(("script", "name"), NAMES_BY_SCRIPT.items(), ids=NAMES_BY_SCRIPT)
def test_every_script_stays_inside_the_frame_on_one_page(script: str, name: str) -> None:
    pdf = pdf_for(name)

    assert_text_inside_the_frame(pdf)
    assert len(pypdf.PdfReader(io.BytesIO(pdf)).pages) == 1, script


def test_the_same_facts_give_the_same_bytes_whatever_the_fonts() -> None:
    facts = replace(certificate_facts(), delegate_name=NAMES_BY_SCRIPT["Myanmar"])

    assert render_certificate(facts) == render_certificate(facts)
