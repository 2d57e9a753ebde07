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

* **Noto Sans <script>** (`manimgx-fonts`, OFL 1.1: Noto as Google publishes it,
  variable wght 400-700, pinned the same way) adds one font per script: Hebrew,
  Armenian, Georgian, Ethiopic (Amharic, Tigrinya), Bengali, Gujarati, Gurmukhi,
  Kannada, Malayalam, Odia, Sinhala, Tamil, Telugu, Thai, Lao, Khmer and Myanmar. The
  package's other files (emoji, symbols, italic, and Arabic, Devanagari and Noto Sans
  again) are not used.

Nothing bundled covers Tibetan, Mongolian, Syriac, Thaana, N'Ko, Cherokee, Canadian
syllabics, Tifinagh, emoji or the mathematical alphabets: a name with such a character
is refused (`unprintable_name`, the characters named) rather than printed with a gap.
Registration warns about it, so the organiser can correct the name before the congress.
A new script is a `FontSource` in `fonts.SOURCES` and `make font-coverage`.

Noto Sans is always used. Every other font joins a certificate only when its text has
characters Noto Sans lacks and that font has (a mark or a joiner stays with the font of
the letter before it, so that the cluster is shaped whole); `fonts.assign_fonts` makes
the choice, and fpdf2's fallback fonts follow it, as each character is in exactly one
cut-down font. Each font is cut down with HarfBuzz's subsetter (hb-subset) to the
characters the certificate prints, a variable font pinned to static instances: a
millisecond or two, even for the 16 MB CJK font, which fpdf2 takes ~300 ms to parse and
subset whole. fpdf2 reads fonts only from files, so the cut-down fonts are written to
private temporary files, removed when the render ends.

Text that needs it (Arabic joining and right-to-left order, Hebrew, Indic conjuncts and
reordering, Sinhala, Khmer and Myanmar clusters, Thai marks, CJK regional forms,
combining marks) is shaped by HarfBuzz through fpdf2; Latin, Greek, Cyrillic and
Armenian are set from the advance widths, without the cost of shaping. A line whose ink
reaches above or below Noto Sans's (Myanmar's stacked medials, Thai tone marks) gets the
room it needs.

Before anything is drawn, every text from data (the name, the event's name, place,
accreditation and statements) is checked: a character no bundled font has raises
`UnprintableName`. The check reads precomputed coverage tables (`coverage.py`), so that
request validation can use it without HarfBuzz or fpdf2.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cme.certificate.facts import CertificateConversion, CertificateDay, CertificateFacts

if TYPE_CHECKING:
    from cme.certificate.layout import render_certificate


def __getattr__(name: str) -> object:
    """`render_certificate`, imported when first asked for: code that only states or
    checks facts (issuing, registration, the verification page) does not load the
    layout, wording and typesetting modules."""
    if name == "render_certificate":
        from cme.certificate.layout import render_certificate

        return render_certificate
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "CertificateConversion",
    "CertificateDay",
    "CertificateFacts",
    "render_certificate",
]
