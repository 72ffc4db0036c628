"""Loaders of the reference tables: public figures with their sources, as typed polars frames.

The files live in the package (`kiban/reference/data/<country>/<name>.csv`) and are read through
`importlib.resources`, so they load the same from a source checkout and from a wheel. Their
conventions are those of `data/README.md`: a column's type follows from its name (`*_jpy` is
integer yen, `*_frac` a fraction in [0, 1], `approx` a boolean ...), declared once in
`column_kind`. Every file carries the same six source columns (`SOURCE_COLUMNS`); every row
keeps them.

A file that breaks a convention (a wrong type, a grade outside H/M/L, an empty `source_url`, a
ragged row) raises `ReferenceDataError` naming the file, line and column: reference data is
shipped with kiban, so a damaged file is a packaging bug and must not load silently.
"""

from __future__ import annotations

import csv
import functools
import io
import re
from enum import StrEnum
from importlib import resources
from importlib.resources.abc import Traversable

import polars as pl

from kiban.errors import ReferenceDataError

DEFAULT_COUNTRY = "japan"

SOURCE_COLUMNS = (
    "note",
    "source_url",
    "confidence",
    "confidence_origin",
    "source_url_alt",
    "source_desc",
)
"""Columns every reference file has; see `data/README.md`, "Columns shared by every file"."""

CONFIDENCE_GRADES = ("H", "M", "L")
"""H: primary or official source quoted directly; M: secondary source or arithmetic on
official figures; L: single non-official source, OCR'd chart or unclear definition."""

CONFIDENCE_ORIGINS = ("row", "table", "row_split", "row_lower", "assigned")

ALT_URL_SEPARATOR = " ; "


class RefKind(StrEnum):
    """What a reference column holds, decided by its name (`column_kind`)."""

    INT = "int"
    NUMBER = "number"
    FRACTION = "fraction"
    BOOL = "bool"
    DATE = "date"
    COUNTRY = "country"
    GRADE = "grade"
    GRADE_ORIGIN = "grade_origin"
    URL = "url"
    URL_LIST = "url_list"
    TEXT = "text"

    @property
    def dtype(self) -> pl.DataType:
        """The polars type of the loaded column."""
        return _DTYPES.get(self, pl.String())


_DTYPES: dict[RefKind, pl.DataType] = {
    RefKind.INT: pl.Int64(),
    RefKind.NUMBER: pl.Float64(),
    RefKind.FRACTION: pl.Float64(),
    RefKind.BOOL: pl.Boolean(),
}

# The naming conventions of data/README.md, in one place. Exact names win over suffixes.
_KIND_BY_NAME: dict[str, RefKind] = {
    **dict.fromkeys(
        (
            "fiscal_year",
            "fiscal_year_end",
            "fiscal_year_from",
            "fiscal_year_to",
            "year",
            "year_from",
            "year_to",
            "survey_year",
            "rank",
            "list_order",
            "contracts",
            "firms_approx",
            "firms_count",
            "network_firms",
            "quantity",
            "value_amount",
        ),
        RefKind.INT,
    ),
    # `value*` columns carry their unit in a `unit` column: yen, firms, ratios, fractions...
    **dict.fromkeys(("value", "value_min", "value_max"), RefKind.NUMBER),
    **dict.fromkeys(("approx", "captured"), RefKind.BOOL),
    # Dates stay text: many have reduced precision (`2025-10`, `2020`).
    **dict.fromkeys(("date", "in_force_date", "key_date"), RefKind.DATE),
    **dict.fromkeys(("country", "partner_country", "supplier_country"), RefKind.COUNTRY),
    "confidence": RefKind.GRADE,
    "confidence_origin": RefKind.GRADE_ORIGIN,
    "source_url": RefKind.URL,
    "source_url_alt": RefKind.URL_LIST,
}
_KIND_BY_SUFFIX: tuple[tuple[str, RefKind], ...] = (
    ("_jpy", RefKind.INT),  # integer yen
    ("_usd_m", RefKind.INT),  # US$ million, as SIPRI publishes them (whole millions)
    ("_frac", RefKind.FRACTION),
    ("_pct", RefKind.NUMBER),  # 0..100, only where SIPRI publishes percentages
)

_DATE = re.compile(r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$")
_COUNTRY = re.compile(r"^[A-Z]{2}(;[A-Z]{2})*$")
_URL = re.compile(r"^https?://\S+$")
_SNAKE = re.compile(r"^[a-z][a-z0-9_]*$")
_INT = re.compile(r"^[+-]?\d+$")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_BOOLS = {"true": True, "false": False}


def column_kind(column: str) -> RefKind:
    """The kind of a reference column, from its name alone.

    >>> column_kind("excl_realignment_jpy"), column_kind("share_frac"), column_kind("approx")
    (<RefKind.INT: 'int'>, <RefKind.FRACTION: 'fraction'>, <RefKind.BOOL: 'bool'>)
    >>> column_kind("company")
    <RefKind.TEXT: 'text'>
    """
    if column in _KIND_BY_NAME:
        return _KIND_BY_NAME[column]
    for suffix, kind in _KIND_BY_SUFFIX:
        if column.endswith(suffix):
            return kind
    return RefKind.TEXT


def countries() -> list[str]:
    """The countries with reference data (folders under `kiban/reference/data`)."""
    return sorted(p.name for p in _data_root().iterdir() if p.is_dir())


def names(country: str = DEFAULT_COUNTRY) -> list[str]:
    """The reference tables of `country`, by file name without `.csv`, sorted."""
    return sorted(p.name.removesuffix(".csv") for p in _country_dir(country).iterdir()
                  if p.name.endswith(".csv"))  # fmt: skip


def load(name: str, country: str = DEFAULT_COUNTRY) -> pl.DataFrame:
    """One reference table as a typed polars DataFrame, every row with its source columns.

    `name` is the file name without `.csv` (see `names()`). Column types follow `column_kind`:
    integers (`*_jpy` yen, years, ranks) are Int64, fractions and `value*` Float64, `approx`
    and `captured` Boolean, everything else (dates included, since some are `YYYY-MM`) String.
    A blank cell is null, never zero. Raises `ReferenceDataError` for an unknown name or
    country, or a file that breaks the conventions of `data/README.md`.

    >>> budget = load("defense_budget")
    >>> budget.filter(fiscal_year=2022)["incl_total_jpy"].item()
    5400500000000
    """
    key = name.removesuffix(".csv")
    # A fresh shallow copy per call: a caller's in-place edit cannot reach the cached frame.
    return _load_cached(key, country).clone()


@functools.cache
def _load_cached(name: str, country: str) -> pl.DataFrame:
    available = names(country)
    if name not in available:
        raise ReferenceDataError(
            f"no reference table {name!r} for {country}; available: {', '.join(available)}"
        )
    resource = _country_dir(country) / f"{name}.csv"
    try:
        text = resource.read_bytes().decode("utf-8")
    except UnicodeDecodeError as error:
        raise ReferenceDataError(
            f"reference file {country}/{name}.csv is not UTF-8: {error}"
        ) from None
    return parse_reference_csv(text, origin=f"{country}/{name}.csv")


def parse_reference_csv(text: str, origin: str = "<text>") -> pl.DataFrame:
    """Parse and check the text of one reference file; `origin` names it in errors.

    Raises `ReferenceDataError` at the first problem, naming origin, line and column.

    >>> frame = parse_reference_csv(
    ...     "fiscal_year,amount_jpy,approx,note,source_url,confidence,confidence_origin,"
    ...     "source_url_alt,source_desc\\n"
    ...     "2024,883400000000,false,,https://example.org/a,M,row,,Example\\n"
    ... )
    >>> frame.dtypes
    [Int64, Int64, Boolean, String, String, String, String, String, String]
    """
    if text.startswith("\ufeff"):
        raise ReferenceDataError(f"reference file {origin} starts with a byte-order mark")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[list[str]] = []
    lines: list[int] = []  # the line each row starts on (a quoted field may span lines)
    try:
        start = 1
        for row in reader:
            rows.append(row)
            lines.append(start)
            start = reader.line_num + 1
    except csv.Error as error:
        raise ReferenceDataError(
            f"reference file {origin}, line {reader.line_num}: not valid CSV: {error}"
        ) from None
    if not rows:
        raise ReferenceDataError(f"reference file {origin} is empty")
    header, body, body_lines = rows[0], rows[1:], lines[1:]
    _check_header(header, origin)
    for line, row in zip(body_lines, body, strict=True):
        if len(row) != len(header):
            raise ReferenceDataError(
                f"reference file {origin}, line {line}: {len(row)} fields, header has {len(header)}"
            )
    columns = {
        name: [row[i] if row[i] != "" else None for row in body] for i, name in enumerate(header)
    }
    series = [_typed(name, values, body_lines, origin) for name, values in columns.items()]
    frame = pl.DataFrame(series)
    _check_ranges(frame, body_lines, origin)
    return frame


def _check_header(header: list[str], origin: str) -> None:
    bad = [c for c in header if not _SNAKE.match(c)]
    if bad:
        raise ReferenceDataError(f"reference file {origin}: column names not snake_case: {bad}")
    duplicated = sorted({c for c in header if header.count(c) > 1})
    if duplicated:
        raise ReferenceDataError(f"reference file {origin}: duplicate columns {duplicated}")
    missing = [c for c in SOURCE_COLUMNS if c not in header]
    if missing:
        raise ReferenceDataError(
            f"reference file {origin}: missing source columns {missing} "
            f"(every reference file has {', '.join(SOURCE_COLUMNS)})"
        )


def _typed(column: str, values: list[str | None], lines: list[int], origin: str) -> pl.Series:
    """`values` of one column converted to its kind's type, or an error naming the bad cell."""
    kind = column_kind(column)
    required = kind in (RefKind.URL, RefKind.GRADE, RefKind.GRADE_ORIGIN) or column == "source_desc"
    converted: list[object] = []
    for index, value in enumerate(values):
        try:
            if value is None and required:
                raise _BadCellError("but every row needs a value")
            converted.append(None if value is None else _convert(kind, value))
        except _BadCellError as bad:
            cell = "blank" if value is None else f"{value!r}"
            raise ReferenceDataError(
                f"reference file {origin}, line {lines[index]}, column {column}: {cell} {bad}"
            ) from None
    return pl.Series(column, converted, dtype=kind.dtype)


class _BadCellError(Exception):
    """A cell breaks its column's convention; the message is the rule, e.g. 'is not true/false'."""


def _convert(kind: RefKind, value: str) -> object:
    if kind is RefKind.INT:
        if not _INT.match(value):
            raise _BadCellError("is not an integer")
        return int(value)
    if kind in (RefKind.NUMBER, RefKind.FRACTION):
        if not _NUMBER.match(value):
            raise _BadCellError("is not a number")
        number = float(value)
        if kind is RefKind.FRACTION and not 0.0 <= number <= 1.0:
            raise _BadCellError("is not a fraction in [0, 1]")
        return number
    if kind is RefKind.BOOL:
        if value not in _BOOLS:
            raise _BadCellError("is not true/false")
        return _BOOLS[value]
    rule = _text_rule_broken(kind, value)
    if rule:
        raise _BadCellError(rule)
    return value


def _text_rule_broken(kind: RefKind, value: str) -> str | None:
    if kind is RefKind.DATE and not _DATE.match(value):
        return "is not an ISO date (YYYY, YYYY-MM or YYYY-MM-DD)"
    if kind is RefKind.COUNTRY and not _COUNTRY.match(value):
        return "is not an ISO 3166-1 alpha-2 code (or codes joined by ';')"
    if kind is RefKind.GRADE and value not in CONFIDENCE_GRADES:
        return f"is not a confidence grade {'/'.join(CONFIDENCE_GRADES)}"
    if kind is RefKind.GRADE_ORIGIN and value not in CONFIDENCE_ORIGINS:
        return f"is not one of {', '.join(CONFIDENCE_ORIGINS)}"
    if kind is RefKind.URL and not _URL.match(value):
        return "is not an http(s) URL"
    if kind is RefKind.URL_LIST:
        for url in value.split(ALT_URL_SEPARATOR):
            if not _URL.match(url.strip()):
                return f"holds {url!r}, not an http(s) URL (separate URLs with ' ; ')"
    return None


def _check_ranges(frame: pl.DataFrame, lines: list[int], origin: str) -> None:
    """Fractions given as `value*` with unit `frac` lie in [0, 1]; each `*_min` <= `*_max`."""
    rows = frame.with_columns(pl.Series("line", lines, dtype=pl.Int64()))
    if "unit" in frame.columns:
        for column in ("value", "value_min", "value_max"):
            if column not in frame.columns:
                continue
            bad = rows.filter((pl.col("unit") == "frac") & ~pl.col(column).is_between(0.0, 1.0))
            if bad.height:
                raise ReferenceDataError(
                    f"reference file {origin}, line {bad['line'][0]}, column {column}: "
                    f"{bad[column][0]} with unit frac is not a fraction in [0, 1]"
                )
    for low, high in _BOUND_PAIRS:
        if low in frame.columns and high in frame.columns:
            bad = rows.filter(pl.col(low) > pl.col(high))
            if bad.height:
                raise ReferenceDataError(
                    f"reference file {origin}, line {bad['line'][0]}: "
                    f"{low} {bad[low][0]} is greater than {high} {bad[high][0]}"
                )


_BOUND_PAIRS = (
    ("value_min", "value_max"),
    ("value_min_frac", "value_max_frac"),
    ("rate_min_frac", "rate_max_frac"),
    ("fiscal_year", "fiscal_year_end"),
    ("fiscal_year_from", "fiscal_year_to"),
    ("year_from", "year_to"),
)


def _data_root() -> Traversable:
    return resources.files("kiban.reference") / "data"


def _country_dir(country: str) -> Traversable:
    folder = _data_root() / country
    if not folder.is_dir():
        raise ReferenceDataError(
            f"no reference data for country {country!r}; available: {', '.join(countries())}"
        )
    return folder
