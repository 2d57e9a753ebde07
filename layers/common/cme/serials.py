"""Certificate serials: 100 random bits from `secrets`, written in Crockford's base32 (no I,
L, O or U: nothing to confuse when read aloud or typed from paper) in five groups of four.

`7K3M-9QXD-2HRP-4WZA-6TBN` is the display form; the canonical form drops the hyphens. On
the way in, case and hyphens are ignored and the letters people confuse with digits are
read as those digits (I, L -> 1; O -> 0), as Crockford's encoding intends.
"""

from __future__ import annotations

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 20
BITS = LENGTH * 5
GROUP = 4
_READ_AS = {"I": "1", "L": "1", "O": "0"}


def new_serial() -> str:
    """A fresh canonical serial: 100 bits from the operating system's CSPRNG."""
    value = secrets.randbits(BITS)
    return "".join(ALPHABET[(value >> (5 * i)) & 31] for i in reversed(range(LENGTH)))


def display(serial: str) -> str:
    return "-".join(serial[i : i + GROUP] for i in range(0, len(serial), GROUP))


def canonical(text: str) -> str | None:
    """The canonical serial a person or a link meant, or None if it cannot be one."""
    cleaned = "".join(_READ_AS.get(c, c) for c in text.upper() if c not in "- ")
    if len(cleaned) != LENGTH or any(c not in ALPHABET for c in cleaned):
        return None
    return cleaned
