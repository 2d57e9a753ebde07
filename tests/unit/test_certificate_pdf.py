"""The certificate PDF (cme.certificate): what it states, read back from the bytes.

Text is read with pypdf (and with PDFium where pypdf cannot decode a font's encoding),
the QR code is rasterised with PDFium and decoded with zxing-cpp.
"""

from __future__ import annotations

import functools
import io
import re
import tempfile
import unicodedata
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

import pypdf
import pypdfium2 as pdfium
import pytest
import zxingcpp

from cme.certificate import (
    CertificateConversion,
    CertificateDay,
    CertificateFacts,
    render_certificate,
)
from cme.issuing import facts_document

SERIAL = "7K3M-9QXD-2HRP-4WZA-6TBN"
VERIFY_URL = (
    "https://a1b2c3d4e5.execute-api.eu-central-1.amazonaws.com/v1/certificates/"
    "7K3M-9QXD-2HRP-4WZA-6TBN"
)
ACCREDITATION = (
    "ESHG 2025 (Milan, Italy, 24-27 May 2025) is accredited by the European Accreditation "
    "Council for Continuing Medical Education (EACCME®) of the UEMS for a maximum of 25.5 "
    "European CME credits (ECMEC®s)."
)
AMA = (
    "Under an agreement between the EACCME® and the American Medical Association, each "
    "ECMEC® converts to one AMA PRA Category 1 Credit™. Physicians find how to convert at "
    "www.ama-assn.org/education/earn-credit-participation-international-activities."
)
CLAIM_ONLY_HOURS = (
    "Each medical specialist should claim only the credit that matches the time they "
    "actually spent in the educational activity."
)
RCPSC = (
    "The Royal College of Physicians and Surgeons of Canada recognises live activities held "
    "outside Canada and accredited by the UEMS-EACCME® for ECMEC®s as Accredited Group "
    "Learning Activities (Section 1) of its Maintenance of Certification Program."
)
WORKED_EXAMPLE_DAYS = (
    CertificateDay(date(2025, 5, 24), Decimal("7.5")),
    CertificateDay(date(2025, 5, 25), Decimal("4.5")),
    CertificateDay(date(2025, 5, 26), Decimal("3.0")),
    CertificateDay(date(2025, 5, 27), Decimal("0")),
)

LATIN_NAMES = ("Łukasz Żółć", "Zoë Ångström", "Ólafur Þór")
GREEK_CYRILLIC_NAMES = ("Γιώργος Παπαδόπουλος", "Дмитрий Иванов")
CJK_NAMES = ("李小龍", "山田 はなこ", "김민준")
ARABIC_NAME = "محمد عبد الله"


def certificate_facts(**changes: object) -> CertificateFacts:
    """The worked example of RULES.md as a certificate: 15.0 ECMEC®s over four days."""
    facts = CertificateFacts(
        serial=SERIAL,
        verify_url=VERIFY_URL,
        event_name="European Human Genetics Conference 2025 (ESHG 2025)",
        event_city="Milan",
        event_country="Italy",
        first_day=date(2025, 5, 24),
        last_day=date(2025, 5, 27),
        accreditation_body="UEMS-EACCME",
        unit="ECMEC",
        event_total=Decimal("25.5"),
        delegate_name="Łukasz Żółć",
        total=Decimal("15.0"),
        live=Decimal("12.0"),  # 3.0 of 26 May came from recordings
        capped_by_event_total=False,
        days=WORKED_EXAMPLE_DAYS,
        accreditation_statement=ACCREDITATION,
        conversions=(CertificateConversion("AMA PRA Category 1 Credits", Decimal("15.0"), AMA),),
        statements=(CLAIM_ONLY_HOURS, RCPSC),
        issued_at=datetime(2025, 6, 2, 14, 3, 27, tzinfo=UTC),
    )
    return replace(facts, **changes)  # type: ignore[arg-type]


@functools.cache
def pdf_for(name: str) -> bytes:
    return render_certificate(certificate_facts(delegate_name=name))


def pypdf_text(pdf: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)


def pdfium_text(pdf: bytes) -> str:
    document = pdfium.PdfDocument(pdf)
    return "\n".join(page.get_textpage().get_text_range() for page in document)


def without_controls(text: str) -> str:
    """Extracted text minus control characters: a glyph with no Unicode value of its own
    (the dot HarfBuzz adds below an Arabic beh) or a byte of a two-byte code that pypdf
    could not group comes out as one."""
    return "".join(c for c in text if c == "\n" or unicodedata.category(c) != "Cc")


def flat(text: str) -> str:
    return " ".join(text.split())


def font_names(pdf: bytes) -> set[str]:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    names = set()
    for page in reader.pages:
        fonts: Any = cast(Any, page["/Resources"])["/Font"]
        names |= {str(font.get_object()["/BaseFont"]).split("+")[-1] for font in fonts.values()}
    return names


# --- the document ----------------------------------------------------------------------


def test_it_is_one_a4_landscape_page_with_title_author_and_language() -> None:
    # Given the worked example's certificate
    pdf = pdf_for("Łukasz Żółć")

    # When it is read back
    reader = pypdf.PdfReader(io.BytesIO(pdf))

    # Then it is a single A4 landscape page with the metadata a reader shows
    assert pdf.startswith(b"%PDF-")
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (842, 595)
    assert reader.metadata is not None
    assert "Łukasz Żółć" in (reader.metadata.title or "")
    assert "European Human Genetics Conference 2025" in (reader.metadata.title or "")
    assert reader.metadata.author == "European Human Genetics Conference 2025 (ESHG 2025)"
    root: Any = reader.trailer["/Root"]
    assert root["/Lang"] == "en"


def test_a_render_leaves_no_file_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given the temporary directory, where the cut-down fonts are written
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))

    # When certificates are rendered, one of them with every fallback font
    render_certificate(certificate_facts(delegate_name="محمد 李小龍"))

    # Then nothing is left there
    assert list(tmp_path.iterdir()) == []


def test_the_same_facts_give_the_same_bytes() -> None:
    facts = certificate_facts()

    assert render_certificate(facts) == render_certificate(facts)


def test_a_naive_issue_time_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone"):
        render_certificate(certificate_facts(issued_at=datetime(2025, 6, 2, 14, 3)))


def test_the_issue_date_is_printed_in_utc() -> None:
    late = datetime(2025, 6, 3, 0, 30, tzinfo=timezone(timedelta(hours=2)))

    text = pypdf_text(render_certificate(certificate_facts(issued_at=late)))

    assert "2 June 2025, 22:30 UTC" in text


def test_it_states_the_event_total_days_serial_issue_date_and_verify_url() -> None:
    text = flat(pypdf_text(pdf_for("Łukasz Żółć")))

    assert "European Human Genetics Conference 2025 (ESHG 2025)" in text
    assert "Milan, Italy" in text
    assert "24\u201327 May 2025" in text  # an en dash between the days
    assert "UEMS-EACCME® with 25.5 ECMEC®s" in text
    assert "15.0 ECMEC®s" in text
    assert "2 June 2025" in text
    assert SERIAL in text
    assert VERIFY_URL in text


def test_every_conference_day_is_listed_with_its_credits_zero_included() -> None:
    # Given days of 7.5, 4.5, 3.0 and 0 credits
    text = pypdf_text(pdf_for("Łukasz Żółć"))

    # Then each day's row carries its own amount, printed with one decimal
    rows = [
        ("24 May 2025", "7.5"),
        ("25 May 2025", "4.5"),
        ("26 May 2025", "3.0"),
        ("27 May 2025", "0.0"),
    ]
    for day, credits in rows:
        assert re.search(rf"{day}\s+{re.escape(credits)}(\s|$)", text), (day, credits)
    assert re.search(r"Total\s+15\.0", text)


def test_amounts_with_two_decimals_print_both() -> None:
    days = (CertificateDay(date(2025, 5, 24), Decimal("4.25")),)
    facts = certificate_facts(days=days, total=Decimal("4.25"))

    text = flat(pypdf_text(render_certificate(facts)))

    assert "4.25 ECMEC®s" in text
    assert re.search(r"24 May 2025 4\.25", text)


def test_conversions_and_every_statement_are_printed() -> None:
    text = flat(pypdf_text(pdf_for("Łukasz Żółć")))

    assert "15.0 AMA PRA Category 1 Credits™" in text
    for statement in (ACCREDITATION, AMA, CLAIM_ONLY_HOURS, RCPSC):
        assert flat(statement) in text


def test_the_verify_url_is_a_link() -> None:
    reader = pypdf.PdfReader(io.BytesIO(pdf_for("Łukasz Żółć")))

    annotations = [a.get_object() for a in reader.pages[0].get("/Annots", [])]

    assert {a["/A"]["/URI"] for a in annotations} == {VERIFY_URL}


# --- the cap note --------------------------------------------------------------------------


def test_the_cap_note_appears_when_the_event_total_capped_the_days() -> None:
    # Given days adding up to 27.0 capped at the event's 25.5
    days = tuple(
        CertificateDay(date(2025, 5, 24) + timedelta(days=i), Decimal(c))
        for i, c in enumerate(("7.5", "7.5", "7.5", "4.5"))
    )
    facts = certificate_facts(days=days, total=Decimal("25.5"), capped_by_event_total=True)

    text = flat(pypdf_text(render_certificate(facts)))

    assert "25.5 ECMEC®s" in text
    assert "capped" in text


def test_there_is_no_cap_note_when_nothing_was_capped() -> None:
    text = pypdf_text(pdf_for("Łukasz Żółć"))

    assert "capped" not in text


def test_the_live_part_is_printed_beside_the_total_when_recordings_gave_the_rest() -> None:
    # The worked example: 15.0 in all, 12.0 of them live (RCPSC Section 1 covers those).
    text = flat(pypdf_text(pdf_for("Łukasz Żółć")))
    assert "of which 12.0 ECMEC®s in live participation" in text

    all_live = flat(pypdf_text(render_certificate(certificate_facts(live=Decimal("15.0")))))
    assert "live participation" not in all_live


def test_a_certificate_earned_all_live_states_what_it_stated_before_the_live_part() -> None:
    # Its fingerprint holds no live part: certificates issued before it existed stay current.
    all_live = certificate_facts(live=Decimal("15.0"))
    assert "live" not in facts_document(all_live)
    assert facts_document(certificate_facts())["live"] == Decimal("12.0")


# --- names in every script ------------------------------------------------------------------


@pytest.mark.parametrize("name", LATIN_NAMES + GREEK_CYRILLIC_NAMES)
def test_latin_greek_and_cyrillic_names_print_as_written(name: str) -> None:
    text = pypdf_text(pdf_for(name))

    assert name in text.splitlines()
    assert "15.0 ECMEC®s" in flat(text)
    assert SERIAL in text


@pytest.mark.parametrize("name", CJK_NAMES)
def test_cjk_names_print_and_extract(name: str) -> None:
    pdf = pdf_for(name)

    # pypdf splits the CJK font's two-byte codes but recovers every character...
    assert name in without_controls(pypdf_text(pdf))
    # ...and PDFium reads the name back exactly
    assert name in pdfium_text(pdf).splitlines()
    assert SERIAL in pypdf_text(pdf)


def glyph_image(pdf: bytes, character: str) -> list[int]:
    """The first `character` on page 1, rasterised to a small grey bitmap."""
    page = pdfium.PdfDocument(pdf)[0]
    text = page.get_textpage()
    left, bottom, right, top = text.get_charbox(text.get_text_range().index(character))
    scale = 8
    height = page.get_size()[1]
    image = page.render(scale=scale).to_pil().convert("L")
    box = (left * scale, (height - top) * scale, right * scale, (height - bottom) * scale)
    return list(image.crop(tuple(round(v) for v in box)).resize((48, 48)).tobytes())


def test_a_name_with_kana_gets_the_japanese_glyph_forms() -> None:
    # Given 直, whose Japanese and Traditional Chinese forms differ
    japanese = pdf_for("直 なおこ")  # kana: shaped as Japanese
    chinese = pdf_for("直")  # Han only: the font's Traditional Chinese default

    # Then the same character is drawn differently
    differing = sum(
        abs(a - b) > 128
        for a, b in zip(glyph_image(japanese, "直"), glyph_image(chinese, "直"), strict=True)
    )
    assert differing > 40


def test_an_arabic_name_is_shaped_right_to_left_and_extracts_word_for_word() -> None:
    pdf = pdf_for(ARABIC_NAME)

    lines = without_controls(pypdf_text(pdf)).splitlines()
    name_line = lines[lines.index("This is to certify that") + 1]

    # pypdf reads glyphs in visual order: the words come out right to left
    assert name_line.split() == list(reversed(ARABIC_NAME.split()))
    assert "15.0 ECMEC®s" in flat(pypdf_text(pdf))


def test_an_arabic_name_is_shaped_into_joining_forms() -> None:
    # A shaped word is drawn with contextual glyphs: the embedded Arabic font holds more
    # glyphs than the name has distinct letters (initial, medial and final forms).
    pdf = pdf_for(ARABIC_NAME)
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    fonts: Any = cast(Any, reader.pages[0]["/Resources"])["/Font"]
    arabic = next(f.get_object() for f in fonts.values() if "Arabic" in str(f["/BaseFont"]))
    widths = arabic["/DescendantFonts"][0].get_object()["/W"]

    glyphs = sum(len(w) for w in widths if isinstance(w, list))
    assert glyphs > len(set(ARABIC_NAME.replace(" ", "")))


@pytest.mark.parametrize(
    ("name", "fonts"),
    [
        ("Łukasz Żółć", {"NotoSans"}),
        ("Дмитрий Иванов", {"NotoSans"}),
        (ARABIC_NAME, {"NotoSans", "NotoSansArabic"}),
        ("李小龍", {"NotoSans", "NotoSansCJKTCRegular"}),
    ],
)
def test_a_fallback_font_is_embedded_only_when_the_text_needs_it(
    name: str, fonts: set[str]
) -> None:
    assert font_names(pdf_for(name)) == fonts


# --- the QR code ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["Łukasz Żółć", ARABIC_NAME, "李小龍"])
def test_the_qr_code_decodes_to_the_verify_url(name: str) -> None:
    page = pdfium.PdfDocument(pdf_for(name))[0]
    image = page.render(scale=150 / 72).to_pil()

    found = zxingcpp.read_barcodes(image)

    assert [(r.format, r.text) for r in found] == [(zxingcpp.BarcodeFormat.QRCode, VERIFY_URL)]


# --- nothing overflows ---------------------------------------------------------------------

FRAME_PT = 11 / 25.4 * 72  # the inner frame, 11 mm inside the page edge


def assert_text_inside_the_frame(pdf: bytes) -> None:
    document = pdfium.PdfDocument(pdf)
    for number, page in enumerate(document, start=1):
        width, height = page.get_size()
        text = page.get_textpage()
        for index in range(text.count_chars()):
            left, bottom, right, top = text.get_charbox(index)
            if right - left == 0:
                continue
            assert FRAME_PT < left < right < width - FRAME_PT, (number, index)
            assert FRAME_PT < bottom < top < height - FRAME_PT, (number, index)


def test_a_200_character_name_wraps_inside_the_page() -> None:
    # Given a name of the longest length the API accepts
    name = ("Maria-Magdalena Wojciechowska-Øvergaard " * 6)[:200].strip()
    assert len(name) >= 199
    pdf = render_certificate(certificate_facts(delegate_name=name))

    # Then every character is inside the frame, on one page, and the name reads back whole
    assert_text_inside_the_frame(pdf)
    assert len(pypdf.PdfReader(io.BytesIO(pdf)).pages) == 1
    assert flat(name) in flat(pypdf_text(pdf))


def test_a_200_character_name_without_spaces_is_cut_inside_the_page() -> None:
    name = "李" * 200

    pdf = render_certificate(certificate_facts(delegate_name=name))

    assert_text_inside_the_frame(pdf)
    assert pdfium_text(pdf).count("李") == 200


def test_long_event_name_place_and_statements_stay_inside_and_run_on_to_page_2() -> None:
    # Given every text at its longest (200 characters; statements of 2,000)
    def statement(number: int) -> str:
        return (f"Statement {number}: claim only the credit actually spent. " * 40)[:2000]

    facts = certificate_facts(
        event_name=("International Congress on Rare Disease Genomics " * 5)[:200],
        event_city="Llanfairpwllgwyngyllgogerychwyrndrobwllllantysiliogogogoch",
        delegate_name=("Ólafur Þór Zoë Ångström " * 9)[:200],
        accreditation_statement=statement(1),
        statements=(statement(2), statement(3), statement(4)),
    )

    pdf = render_certificate(facts)

    # Then nothing leaves the frame, the statements continue on a second page, and all
    # of their text is there (read past the running heads of the continuation pages)
    assert_text_inside_the_frame(pdf)
    assert len(pypdf.PdfReader(io.BytesIO(pdf)).pages) >= 2
    body = [line for line in pypdf_text(pdf).splitlines() if "(continued)" not in line]
    text = flat("\n".join(body))
    for number in range(1, 5):
        assert flat(statement(number)) in text


def test_a_long_programme_lists_its_days_on_a_continuation_page() -> None:
    # Given a 21-day event: more rows than the first page holds
    days = tuple(
        CertificateDay(date(2025, 5, 1) + timedelta(days=i), Decimal(i % 4) / 2) for i in range(21)
    )
    facts = certificate_facts(days=days, first_day=days[0].date, last_day=days[-1].date)

    pdf = render_certificate(facts)

    # Then every day is still listed with its credits
    assert_text_inside_the_frame(pdf)
    text = pypdf_text(pdf)
    for day in days:
        day_text = f"{day.date.day} May 2025"
        assert re.search(rf"{day_text}\s+{day.credits:.1f}(\s|$)", text), day_text
