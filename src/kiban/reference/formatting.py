"""Numbers of the reference tables written for reading: yen, fractions, ranges, fiscal years.

One regular rule per quantity, so every table reads the same way:

- yen (and other money) scale to trillions, billions or millions with three significant
  figures and at least two decimals (trillions) or one (billions, millions): `5.40 tn`,
  `158.1 bn`, `2.2 bn`, `9.37 bn`, `33.0 m`; below a million, whole units with separators.
  A column header says the currency, e.g. `amount (JPY)`.
- fractions become percentages with the digits the source gave: `0.159` -> `15.9%`.
- a blank (None) stays blank, never zero.

These strings are for display only; the typed values stay in the reference frames.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal

# (suffix, size, least decimals), largest first: `tn` = 10^12 (兆), `bn` = 10^9, `m` = 10^6.
_SCALES: tuple[tuple[str, float, int], ...] = (("tn", 1e12, 2), ("bn", 1e9, 1), ("m", 1e6, 1))
_SIGNIFICANT = 3
_SIZES = {suffix: int(size) for suffix, size, _ in _SCALES}
_SCALED = re.compile(r"^(?P<number>-?[\d,]+(\.\d+)?)(\s*(?P<suffix>tn|bn|m))?$")


def format_money(value: float | None) -> str:
    """`value` (currency units) scaled to `tn` / `bn` / `m`, or whole units below a million.

    Three significant figures, with at least two decimals in trillions and one in billions or
    millions (`9.37 bn`, `158.1 bn`, `43.50 tn`), so a figure is off by at most 0.5%. The
    scale is picked after rounding: 999.96 billion reads `1.00 tn`, not `1000.0 bn`.

    >>> format_money(33_000_000), format_money(-1.2e12), format_money(950), format_money(None)
    ('33.0 m', '-1.20 tn', '950', '')
    >>> format_money(9.37e9), format_money(1.03e9), format_money(999.96e9), format_money(0.95e9)
    ('9.37 bn', '1.03 bn', '1.00 tn', '950.0 m')
    """
    if value is None or not math.isfinite(value):
        return ""
    sign = "-" if value < 0 else ""
    for suffix, size, least_decimals in _SCALES:
        scaled = abs(value) / size
        rounded = round(scaled, max(least_decimals, _SIGNIFICANT - _whole_digits(scaled)))
        if rounded < 1:
            continue
        # Decimals from the rounded value: 9.996 bn rounds to 10.0 bn, not 10.00 bn.
        decimals = max(least_decimals, _SIGNIFICANT - _whole_digits(rounded))
        text = f"{round(scaled, decimals):,.{decimals}f}"
        # Zeros past the least decimals say nothing: `2.2 bn`, not `2.20 bn`.
        while decimals > least_decimals and text.endswith("0"):
            text, decimals = text[:-1], decimals - 1
        return f"{sign}{text} {suffix}"
    return f"{round(value):,}"


def format_jpy(value_jpy: float | None) -> str:
    """Yen for reading: `5.40 tn`, `158.1 bn`, `2.2 bn`, `500,000` (see `format_money`).

    >>> format_jpy(5_400_500_000_000)
    '5.40 tn'
    >>> format_jpy(158_100_000_000), format_jpy(2_200_000_000), format_jpy(500_000)
    ('158.1 bn', '2.2 bn', '500,000')
    """
    return format_money(value_jpy)


def parse_jpy(text: str) -> int:
    """Yen from a string written by `format_jpy` (also `¥` or `JPY` around it, or `~`).

    >>> parse_jpy("5.40 tn"), parse_jpy("¥2.2 bn"), parse_jpy("500,000"), parse_jpy("-1.5 m")
    (5400000000000, 2200000000, 500000, -1500000)
    """
    cleaned = text.strip().lstrip("~").replace("¥", "").replace("JPY", "").strip()
    match = _SCALED.match(cleaned)
    if not match:
        raise ValueError(f"not an amount of yen: {text!r} (write e.g. '5.40 tn', '2.2 bn')")
    number = Decimal(match["number"].replace(",", ""))  # exact: 5.40 tn is 5.4 * 10^12 yen
    return int(number * _SIZES.get(match["suffix"] or "", 1))


def format_frac(value: float | None, decimals: int | None = None) -> str:
    """A fraction as a percentage, with the source's digits unless `decimals` is given.

    >>> format_frac(0.159), format_frac(0.1), format_frac(0.00035), format_frac(0.15, decimals=1)
    ('15.9%', '10%', '0.035%', '15.0%')
    """
    if value is None or not math.isfinite(value):
        return ""
    percent = value * 100
    if decimals is not None:
        return f"{percent:.{decimals}f}%"
    return f"{_trimmed(percent)}%"


def format_number(value: float | None) -> str:
    """A plain number: thousands separators for whole numbers, otherwise the digits given.

    >>> format_number(4568), format_number(4.5), format_number(-0.47), format_number(None)
    ('4,568', '4.5', '-0.47', '')
    """
    if value is None or not math.isfinite(value):
        return ""
    if float(value).is_integer():
        return f"{int(value):,}"
    return _trimmed(value)


def format_value(value: float | None, unit: str | None) -> str:
    """A number of a long table with its `unit` column (`jpy`, `frac`, `firms`, `ratio` ...).

    >>> format_value(3e12, "jpy"), format_value(0.044, "frac"), format_value(4568, "firms")
    ('¥3.00 tn', '4.4%', '4,568 firms')
    >>> format_value(7.2, "ratio"), format_value(-0.47, "percentage_points")
    ('7.2×', '-0.47 pp')
    >>> format_value(1, "years"), format_value(2, "years"), format_value(1, "entries")
    ('1 year', '2 years', '1 entry')
    """
    if value is None or not math.isfinite(value):
        return ""
    if unit == "jpy":
        return f"¥{format_money(value)}"
    if unit == "usd":
        return f"US${format_money(value)}"
    if unit == "frac":
        return format_frac(value)
    if unit == "ratio":
        return f"{format_number(value)}×"
    if unit == "percentage_points":
        return f"{format_number(value)} pp"
    if unit == "tiv_m":
        return f"{format_number(value)} TIV m"
    if not unit:
        return format_number(value)
    return f"{format_number(value)} {_unit_words(unit, value)}"


def format_range(low: float | None, high: float | None, unit: str | None) -> str:
    """A `*_min` / `*_max` pair: one value when equal, `≥` or `≤` when one-sided.

    Whether a one-sided bound is exclusive ("more than half") is told by the row's note.

    >>> format_range(0.05, 0.1, "frac"), format_range(None, 0.1, "frac")
    ('5% – 10%', '≤ 10%')
    >>> format_range(0.5, None, "frac"), format_range(6, 6, "ratio"), format_range(6, 8, "firms")
    ('≥ 50%', '6×', '6 – 8 firms')
    """
    if low is None and high is None:
        return ""
    if high is None:
        return f"≥ {format_value(low, unit)}"
    if low is None:
        return f"≤ {format_value(high, unit)}"
    if low == high:
        return format_value(low, unit)
    if unit and unit not in _SYMBOL_UNITS:
        # A unit written as a word is said once: `1.3 – 1.4 exponent`, not twice.
        return f"{format_number(low)} – {format_value(high, unit)}"
    return f"{format_value(low, unit)} – {format_value(high, unit)}"


def format_fiscal_years(start: int | None, end: int | None = None) -> str:
    """A Japanese fiscal year (April–March, named by its start year) or a span of them.

    >>> format_fiscal_years(2022), format_fiscal_years(2018, 2023), format_fiscal_years(None)
    ('FY2022', 'FY2018–2023', '')
    """
    if start is None:
        return ""
    if end is None or end == start:
        return f"FY{start}"
    return f"FY{start}–{end}"


_SYMBOL_UNITS = frozenset(("jpy", "usd", "frac", "ratio"))


def _whole_digits(number: float) -> int:
    """Digits before the decimal point of a positive number, 0 below 1."""
    return math.floor(math.log10(number)) + 1 if number >= 1 else 0


def _unit_words(unit: str, value: float) -> str:
    """`unit` as words, singular for one: `links_per_firm` -> `links per firm`, 1 `entries`
    -> `entry`."""
    words = unit.replace("_", " ")
    if value != 1 or not words.endswith("s"):
        return words
    return words[:-3] + "y" if words.endswith("ies") else words[:-1]


def _trimmed(value: float) -> str:
    """`value` to six decimals without trailing zeros (`15.9`, `10`, `0.035`); no exponent."""
    text = f"{round(value, 6):,.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text
