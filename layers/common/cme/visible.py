"""Which characters leave ink on a page: a name made only of characters that leave none
(spaces, zero-width and format characters, soft hyphens, marks without a base) would
print as a blank line, so it is refused at registration.

Pure, standard library only: request validation imports it in every function.
"""

from __future__ import annotations

import bisect
import unicodedata
from typing import Final

# Default_Ignorable_Code_Point, from Unicode 16's DerivedCoreProperties.txt: characters a
# renderer shows as nothing when it has no glyph for them (joiners, bidi marks,
# variation selectors, fillers, tags). Python's unicodedata does not carry the property.
_DEFAULT_IGNORABLE: Final = (
    (0x00AD, 0x00AD),
    (0x034F, 0x034F),
    (0x061C, 0x061C),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x206F),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0),
    (0xFFF0, 0xFFF8),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0000, 0xE0FFF),
)
_STARTS: Final = tuple(start for start, _ in _DEFAULT_IGNORABLE)

_NO_INK: Final = frozenset({"Zs", "Zl", "Zp", "Cc", "Cf", "Cs", "Mn", "Mc", "Me"})
"""Separators, controls, format characters, lone surrogates and combining marks: nothing
of their own to see (a mark needs a base)."""

_BLANK_SYMBOLS: Final = frozenset({"\u2800"})
"""Symbols drawn as empty space: the Braille pattern with no dots."""


def default_ignorable(character: str) -> bool:
    code = ord(character)
    index = bisect.bisect_right(_STARTS, code) - 1
    return index >= 0 and code <= _DEFAULT_IGNORABLE[index][1]


def leaves_ink(character: str) -> bool:
    """A letter, digit, punctuation mark or symbol, or a character this Python does not
    know (unassigned, private use): whether some font prints it is the fonts' question."""
    return not (
        unicodedata.category(character) in _NO_INK
        or default_ignorable(character)
        or character in _BLANK_SYMBOLS
    )


def visible(text: str) -> bool:
    """At least one character of `text` leaves ink."""
    return any(leaves_ink(c) for c in text)
