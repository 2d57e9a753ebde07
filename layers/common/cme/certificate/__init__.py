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

from cme.certificate.facts import CertificateConversion, CertificateDay, CertificateFacts
from cme.certificate.layout import render_certificate

__all__ = [
    "CertificateConversion",
    "CertificateDay",
    "CertificateFacts",
    "render_certificate",
]
