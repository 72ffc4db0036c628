"""`kiban.reference.formatting`: one regular way to write yen, fractions and ranges."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiban.reference.formatting import (
    format_fiscal_years,
    format_frac,
    format_jpy,
    format_number,
    format_range,
    format_value,
    parse_jpy,
)

# Budgets are below 10^14 yen; leave room above for sums.
YEN = st.integers(min_value=-(10**16), max_value=10**16)
STEP_JPY = {"tn": 10**10, "bn": 10**8, "m": 10**5}  # one unit of the least decimals shown


@pytest.mark.parametrize(
    ("value_jpy", "text"),
    [
        (5_400_500_000_000, "5.40 tn"),
        (2_200_000_000, "2.2 bn"),
        (158_100_000_000, "158.1 bn"),
        (9_370_000_000, "9.37 bn"),
        (43_500_000_000_000, "43.50 tn"),
        (999_960_000_000, "1.00 tn"),
        (900_000_000, "900.0 m"),
        (500_000, "500,000"),
        (0, "0"),
        (-1_200_000_000_000, "-1.20 tn"),
        (None, ""),
    ],
)
def test_format_jpy_examples(value_jpy: int | None, text: str) -> None:
    assert format_jpy(value_jpy) == text


@given(YEN)
def test_parse_jpy_inverts_format_jpy_to_the_digits_shown(value_jpy: int) -> None:
    text = format_jpy(value_jpy)
    suffix = text.rsplit(" ", 1)[-1]

    assert abs(parse_jpy(text) - value_jpy) <= STEP_JPY.get(suffix, 1) // 2 + 1


@given(YEN, YEN)
def test_format_jpy_keeps_the_order_of_amounts(a: int, b: int) -> None:
    low, high = sorted((a, b))

    assert parse_jpy(format_jpy(low)) <= parse_jpy(format_jpy(high))


@given(st.integers(min_value=10**6, max_value=10**16))
def test_format_jpy_keeps_three_significant_figures(value_jpy: int) -> None:
    # Three significant figures: off by at most half a unit in the third, i.e. 0.5 %.
    assert parse_jpy(format_jpy(value_jpy)) == pytest.approx(value_jpy, rel=0.005)


def test_parse_jpy_refuses_what_is_not_yen() -> None:
    with pytest.raises(ValueError, match="not an amount of yen"):
        parse_jpy("five trillion")


@given(st.floats(min_value=0, max_value=1, allow_nan=False))
def test_format_frac_round_trips_within_a_millionth_of_a_percent(fraction: float) -> None:
    text = format_frac(fraction)

    assert text.endswith("%")
    assert float(text[:-1].replace(",", "")) / 100 == pytest.approx(fraction, abs=1e-8)


def test_format_frac_examples() -> None:
    assert format_frac(0.159) == "15.9%"
    assert format_frac(0.376) == "37.6%"
    assert format_frac(0.1) == "10%"
    assert format_frac(0.00035) == "0.035%"
    assert format_frac(0.15, decimals=1) == "15.0%"
    assert format_frac(None) == ""


def test_numbers_values_and_ranges() -> None:
    assert format_number(1_104_141) == "1,104,141"
    assert format_number(4.2) == "4.2"
    assert format_value(33_000_000, "usd") == "US$33.0 m"
    assert format_value(658, "tiv_m") == "658 TIV m"
    assert format_value(4.5, "links_per_firm") == "4.5 links per firm"
    assert format_value(1, "entries") == "1 entry"
    assert format_value(None, "jpy") == ""
    assert format_range(1.3, 1.4, "exponent") == "1.3 – 1.4 exponent"
    assert format_range(6, 8, "ratio") == "6× – 8×"
    assert format_range(0.6, None, "frac") == "≥ 60%"
    assert format_range(None, None, "frac") == ""
    assert format_fiscal_years(2023, 2027) == "FY2023–2027"
