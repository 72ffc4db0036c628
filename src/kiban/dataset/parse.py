"""Turn a table as read (strings from CSV, cells from Excel, typed Parquet) into the schema's types.

Every reader ends here, so a value means the same whatever container it came in. A value that
cannot be read as its column's type becomes null and is reported (rule `type` or `date`), so
validation can go on and report every other problem of the same dataset in the same pass.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from kiban.dataset.report import (
    Rule,
    Severity,
    concat_issues,
    issue,
    row_issues,
)
from kiban.dataset.schema import Column, Kind, Table

_TRUE = ("true", "1", "yes")
_FALSE = ("false", "0", "no")
_NUMERIC = (
    pl.Float32,
    pl.Float64,
    pl.Int8,
    pl.Int16,
    pl.Int32,
    pl.Int64,
    pl.UInt8,
    pl.UInt16,
    pl.UInt32,
    pl.UInt64,
)


@dataclass(frozen=True)
class Coerced:
    """A table in the schema's types, with what reading it found wrong.

    `missing_columns` are the required columns the input lacked; `given_columns` the declared
    columns it had (the others were filled with nulls or defaults).
    """

    frame: pl.DataFrame
    issues: pl.DataFrame
    missing_columns: tuple[str, ...]
    given_columns: tuple[str, ...]


def _blank_to_null(expr: pl.Expr) -> pl.Expr:
    return pl.when(expr.str.strip_chars() == "").then(None).otherwise(expr)


def _to_string(source: pl.DataType, expr: pl.Expr) -> pl.Expr:
    if source == pl.String:
        return expr
    if source.is_float():
        # Excel stores an id typed as 1001 as the number 1001.0; show it as the user typed it.
        integral = expr.is_finite() & (expr == expr.floor())
        return (
            pl.when(integral)
            .then(expr.cast(pl.Int64, strict=False).cast(pl.String))
            .otherwise(expr.cast(pl.String))
        )
    if source == pl.Boolean:
        return expr.cast(pl.String).str.to_lowercase()
    if source in (pl.Date, pl.Datetime):
        return expr.cast(pl.Date).cast(pl.String)
    return expr.cast(pl.String, strict=False)


def _convert(col: Column, source: pl.DataType) -> pl.Expr:
    """Expression converting column `col.name` of type `source` to `col.dtype` (null if not)."""
    e = pl.col(col.name)
    kind = col.kind
    if kind in (Kind.ID, Kind.TEXT, Kind.COUNTRY, Kind.CHOICE):
        s = _blank_to_null(_to_string(source, e))
        # Ids keep their spaces so validation can report them; codes and choices are trimmed.
        return s.str.strip_chars() if kind in (Kind.COUNTRY, Kind.CHOICE) else s
    if kind in (Kind.NUMBER, Kind.FRACTION):
        if source == pl.String:
            return e.str.strip_chars().cast(pl.Float64, strict=False)
        if source in _NUMERIC:
            return e.cast(pl.Float64)
        return pl.lit(None, dtype=pl.Float64)
    if kind is Kind.INT:
        if source.is_integer():
            return e.cast(pl.Int64, strict=False)
        if source == pl.String:
            text = e.str.strip_chars()
            # Whole numbers parse exactly as integers; "3.0" (a spreadsheet's 3) via float.
            f = text.cast(pl.Float64, strict=False)
            whole = pl.when(f == f.floor()).then(f).otherwise(None).cast(pl.Int64, strict=False)
            return text.cast(pl.Int64, strict=False).fill_null(whole)
        if source.is_float():
            return pl.when(e == e.floor()).then(e).otherwise(None).cast(pl.Int64, strict=False)
        return pl.lit(None, dtype=pl.Int64)
    if kind is Kind.BOOL:
        if source == pl.Boolean:
            return e
        s = _to_string(source, e).str.strip_chars().str.to_lowercase()
        if source.is_float():
            s = s.replace({"1.0": "1", "0.0": "0"})
        return pl.when(s.is_in(_TRUE)).then(True).when(s.is_in(_FALSE)).then(False).otherwise(None)
    if kind is Kind.DATE:
        if source == pl.Date:
            return e
        if isinstance(source, pl.Datetime):
            return e.dt.date()
        if source == pl.String:
            return e.str.strip_chars().str.to_date("%Y-%m-%d", strict=False)
        return pl.lit(None, dtype=pl.Date)
    raise AssertionError(f"unhandled kind {kind}")


def _type_message(col: Column) -> str:
    if col.kind is Kind.DATE:
        return "is not a date written as YYYY-MM-DD"
    if col.kind is Kind.BOOL:
        return "is not a boolean (true/false or 1/0)"
    if col.kind is Kind.INT:
        return "is not a whole number"
    return "is not a number"


def coerce(table: Table, frame: pl.DataFrame) -> Coerced:
    """Bring `frame` to `table`'s columns and types.

    Column names are matched after trimming spaces and lower-casing. Missing optional columns
    are added as nulls; missing required columns too, and are reported. Unknown columns are
    kept (as text) after the schema's columns and reported as warnings. Missing values are
    filled with the column's default.
    """
    renamed = {c: c.strip().lower() for c in frame.columns}
    frame = frame.rename(renamed)
    present = set(frame.columns)
    extras = tuple(c for c in frame.columns if c not in table.column_names)
    missing = tuple(c.name for c in table.required if c.name not in present)

    issues = [
        issue(
            table.name,
            Rule.REQUIRED_COLUMN,
            f"required column {name!r} is missing",
            row=1,
            column=name,
        )
        for name in missing
    ]
    issues += [
        issue(
            table.name,
            Rule.UNKNOWN_COLUMN,
            "unknown column, kept as text but not used by kiban",
            row=1,
            column=name,
            severity=Severity.WARNING,
        )
        for name in extras
    ]

    frame = frame.with_row_index("__row__")
    converted: list[pl.Expr] = []
    checked: list[Column] = []
    for col in table.columns:
        if col.name not in present:
            converted.append(pl.lit(col.default, dtype=col.dtype).alias(col.name))
            continue
        converted.append(_convert(col, frame.schema[col.name]).alias(col.name))
        if col.kind not in (Kind.ID, Kind.TEXT, Kind.COUNTRY, Kind.CHOICE):
            checked.append(col)
    typed = frame.select(converted)

    # A value failed to convert where the input had one and the output has none. Comparing
    # the two frames is cheap; blank cells (spaces only) are weeded out of the few candidates.
    for col in checked:
        raw = frame.get_column(col.name)
        candidates = raw.is_not_null() & typed.get_column(col.name).is_null()
        if not candidates.any():
            continue
        original = frame.filter(candidates).select(
            "__row__", _to_string(raw.dtype, pl.col(col.name)).alias(col.name)
        )
        original = original.filter(pl.col(col.name).str.strip_chars() != "")
        if original.height:
            rule = Rule.DATE if col.kind is Kind.DATE else Rule.TYPE
            issues.append(
                row_issues(table.name, rule, original, column=col.name, message=_type_message(col))
            )

    fills = [
        pl.col(c.name).fill_null(pl.lit(c.default, dtype=c.dtype))
        for c in table.columns
        if c.default is not None
    ]
    if fills:
        typed = typed.with_columns(fills)
    if extras:
        extra_frame = frame.select(
            [_to_string(frame.schema[c], pl.col(c)).alias(c) for c in extras]
        )
        typed = pl.concat([typed, extra_frame], how="horizontal")
    return Coerced(
        frame=typed,
        issues=concat_issues(issues),
        missing_columns=missing,
        given_columns=tuple(c for c in table.column_names if c in present),
    )
