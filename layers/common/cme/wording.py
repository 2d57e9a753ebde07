"""How dates and units read on what delegates and boards see (the PDF and the verify page),
in English, without the locale machinery of the host."""

from __future__ import annotations

from datetime import date
from typing import Final

MONTHS: Final = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

UNIT_PLURALS: Final = {"ECMEC": "ECMEC\u00aes"}
"""Units as the accreditation body writes them in the plural (with their mark)."""


def long_date(day: date) -> str:
    """`24 May 2025`."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"
