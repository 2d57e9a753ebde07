"""Exact credit amounts (cme.amounts): read from text, converted by exact ratios, written as
JSON numbers with at least one decimal and printed with one or two decimals.

CONTRACT.md: 'Credit amounts are JSON numbers computed with exact decimals (7.5, 25.5);
in PDF, HTML and CSV they print with one or two decimals (3.0, 4.25, 0.0). A conversion
that does not terminate rounds half-even to two decimals.'
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cme.amounts import convert, for_json, for_print, parse_decimal, parse_ratio
from cme.jsonio import dumps


@pytest.mark.parametrize(
    ("text", "value"),
    [("1.5", "1.5"), ("0.1", "0.1"), ("25", "25"), (" 7.50 ", "7.50"), ("0", "0")],
)
def test_a_plain_decimal_is_read_exactly(text: str, value: str) -> None:
    parsed = parse_decimal(text)
    assert type(parsed) is Decimal
    assert parsed.as_tuple() == Decimal(value).as_tuple()


@pytest.mark.parametrize(
    "text", ["", "-1.5", "+1", "1.", ".5", "1e3", "1,5", "NaN", "Infinity", "0x10", "1 5", "١٢"]
)
def test_anything_but_a_plain_decimal_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_decimal(text)


@pytest.mark.parametrize(
    ("text", "ratio"),
    [
        ("1", Fraction(1)),
        ("0.5", Fraction(1, 2)),
        ("2/3", Fraction(2, 3)),
        (" 4 / 6 ", Fraction(2, 3)),
    ],
)
def test_a_ratio_is_a_decimal_or_a_fraction(text: str, ratio: Fraction) -> None:
    assert parse_ratio(text) == ratio


@pytest.mark.parametrize("text", ["1/0", "-1/2", "1/2/3", "two", "0.5/1"])
def test_a_bad_ratio_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_ratio(text)


@pytest.mark.parametrize(
    ("credits", "ratio", "converted"),
    [
        ("15.0", Fraction(1), "15.0"),
        ("25.5", Fraction(1, 2), "12.75"),
        ("0.125", Fraction(1), "0.125"),  # terminates: kept exact, not rounded to 0.12
        ("3", Fraction(2, 3), "2"),
        ("1", Fraction(2, 3), "0.67"),
        ("1", Fraction(1, 3), "0.33"),
        ("2.5", Fraction(1, 6), "0.42"),
        ("0", Fraction(1, 3), "0.00"),
    ],
)
def test_a_conversion_is_exact_or_rounded_half_even_to_two_decimals(
    credits: str, ratio: Fraction, converted: str
) -> None:
    result = convert(Decimal(credits), ratio)
    assert type(result) is Decimal
    assert result == Decimal(converted)
    assert abs(Fraction(result) - Fraction(Decimal(credits)) * ratio) < Fraction(1, 200)


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("15", "15.0"),
        ("15.00", "15.0"),
        ("7.5", "7.5"),
        ("4.250", "4.25"),
        ("0", "0.0"),
        ("0.00", "0.0"),
        ("100", "100.0"),
        ("0.125", "0.125"),
    ],
)
def test_a_json_amount_is_its_shortest_exact_form_with_at_least_one_decimal(
    value: str, written: str
) -> None:
    assert str(for_json(Decimal(value))) == written
    assert dumps({"total": for_json(Decimal(value))}) == f'{{"total":{written}}}'


@pytest.mark.parametrize(
    ("value", "printed"),
    [
        ("3", "3.0"),
        ("4.25", "4.25"),
        ("0", "0.0"),
        ("25.50", "25.5"),
        ("0.125", "0.12"),  # half-even
        ("0.135", "0.14"),
        ("100", "100.0"),
    ],
)
def test_a_printed_amount_has_one_or_two_decimals(value: str, printed: str) -> None:
    assert for_print(Decimal(value)) == printed


@settings(max_examples=200, deadline=timedelta(seconds=1))
@given(st.decimals(min_value=0, max_value=10_000, places=3, allow_nan=False))
def test_a_json_amount_keeps_its_value(value: Decimal) -> None:
    written = for_json(value)
    assert written == value
    assert "." in str(written)
    assert "E" not in str(written).upper()


@settings(max_examples=200, deadline=timedelta(seconds=1))
@given(
    st.integers(min_value=0, max_value=10_000).map(lambda n: Decimal(n) / 4),
    st.integers(min_value=1, max_value=12),
    st.integers(min_value=1, max_value=12),
)
def test_a_conversion_is_never_further_than_half_a_cent(
    credits: Decimal, numerator: int, denominator: int
) -> None:
    ratio = Fraction(numerator, denominator)
    exact = Fraction(credits) * ratio
    converted = convert(credits, ratio)
    assert abs(Fraction(converted) - exact) <= Fraction(1, 200)
    if Fraction(converted) != exact:
        assert converted == converted.quantize(Decimal("0.01"))
