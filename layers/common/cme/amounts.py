"""Exact credit amounts: parsed from text, printed with one or two decimals, never via float."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction

_DECIMAL_TEXT = re.compile(r"^[0-9]+(?:\.[0-9]+)?$")
_FRACTION_TEXT = re.compile(r"^([0-9]+)\s*/\s*([0-9]+)$")
CENT = Decimal("0.01")


def parse_decimal(text: str) -> Decimal:
    """A non-negative decimal written as plain digits (`1.5`, `0.1`, `25`); ValueError otherwise."""
    text = text.strip()
    if not _DECIMAL_TEXT.match(text):
        raise ValueError(f"not a plain decimal number: {text!r}")
    return Decimal(text)


def parse_ratio(text: str) -> Fraction:
    """A conversion ratio: a decimal (`1`, `0.5`) or a fraction (`2/3`)."""
    match = _FRACTION_TEXT.match(text.strip())
    if match:
        numerator, denominator = int(match[1]), int(match[2])
        if denominator == 0:
            raise ValueError("a ratio cannot divide by zero")
        return Fraction(numerator, denominator)
    return Fraction(parse_decimal(text))


def convert(credits: Decimal, ratio: Fraction) -> Decimal:
    """Credits times a ratio: exact when the result terminates, else rounded half-even to cents."""
    product = Fraction(credits) * ratio
    rest = product.denominator
    for prime in (2, 5):
        while rest % prime == 0:
            rest //= prime
    exact = Decimal(product.numerator) / Decimal(product.denominator)
    return exact if rest == 1 else exact.quantize(CENT, rounding=ROUND_HALF_EVEN)


def for_json(value: Decimal) -> Decimal:
    """The amount as it leaves in JSON: shortest exact form, at least one decimal (`15.0`,
    `4.25`)."""
    normal = value.normalize()
    exponent = normal.as_tuple().exponent
    if isinstance(exponent, int) and exponent >= 0:
        return normal.quantize(Decimal("0.1"))
    return normal


def for_print(value: Decimal) -> str:
    """The amount for PDF, HTML and CSV: one or two decimals (`3.0`, `4.25`, `0.0`)."""
    if value == value.quantize(Decimal("0.1")):
        return f"{value.quantize(Decimal('0.1')):f}"
    return f"{value.quantize(CENT, rounding=ROUND_HALF_EVEN):f}"
