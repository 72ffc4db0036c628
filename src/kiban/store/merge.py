"""What an import changes: stored rows against incoming rows, matched by key.

Pure functions over polars frames; `kiban.store.importer` reads the stored rows, calls these
and writes the outcome in one transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

import polars as pl

from kiban.dataset.model import Dataset
from kiban.dataset.schema import TABLES, Table
from kiban.store.rows import ROW_ID, extra_columns

_STORED = "__kiban_stored__"
"""Suffix of the stored copy of a column after joining, and name of the 'was stored' flag."""


@dataclass(frozen=True)
class TableDiff:
    """How the incoming rows of one table relate to the stored ones.

    `added` are incoming rows with new keys; `updated` incoming rows whose key is stored with
    other values (with the stored row id in `ROW_ID` for tables keyed by a surrogate id);
    `removed` stored rows whose key is not incoming (with their ids); `differences` one row
    per differing value of the updated rows: the key as text, the column, and both values.
    """

    table: str
    added: pl.DataFrame
    updated: pl.DataFrame
    unchanged: int
    removed: pl.DataFrame
    differences: pl.DataFrame


def with_stored_values(stored: Mapping[str, pl.DataFrame], incoming: Dataset) -> Dataset:
    """Incoming rows whose key is stored take the stored values of the columns they lack.

    A survey answers what it asks: one that names a stored firm by id, name and country
    only says nothing about its employees, so a merge keeps the stored figure rather than
    reading the absence as a change. Columns the incoming table has are taken as given,
    nulls included. Row order is kept, so error row numbers stay those of the user's file.
    """
    tables = dict(incoming.tables)
    for name, frame in incoming.tables.items():
        table, old = TABLES[name], stored[name]
        key = list(table.key)
        given = set(incoming.given(name)) | set(frame.columns) - set(table.column_names)
        absent = [c for c in table.column_names if c not in given and c not in key]
        absent += [c for c in extra_columns(table, old) if c not in frame.columns]
        if not absent or not old.height:
            continue
        lookup = old.select(*key, *absent).with_columns(pl.lit(True).alias(_STORED))
        joined = frame.join(
            lookup, on=key, how="left", nulls_equal=True, suffix=_STORED, maintain_order="left"
        )
        matched = pl.col(_STORED).fill_null(False)
        tables[name] = joined.with_columns(
            pl.when(matched).then(pl.col(c + _STORED)).otherwise(pl.col(c)).alias(c)
            for c in absent
            if c in frame.columns
        ).select(*frame.columns, *(c for c in absent if c not in frame.columns))
    return replace(incoming, tables=tables)


def merged(stored: Mapping[str, pl.DataFrame], incoming: Dataset) -> Dataset:
    """The dataset a merge would leave: the incoming rows, then the stored rows not replaced.

    Incoming rows come first so that the row numbers of validation errors in them are the
    row numbers of the user's file. Only declared columns are kept: that is what validation
    reads.
    """
    tables = {}
    for name, table in TABLES.items():
        key = list(table.key)
        columns = list(table.column_names)
        new = incoming[name].select(columns)
        old = stored[name].select(columns).join(new, on=key, how="anti", nulls_equal=True)
        if name in incoming or old.height:
            tables[name] = pl.concat([new, old])
    return Dataset(
        tables=tables,
        read_issues=incoming.read_issues,
        missing_columns=incoming.missing_columns,
        locations=incoming.locations,
        source=incoming.source,
    )


def diff_table(table: Table, stored: pl.DataFrame, incoming: pl.DataFrame) -> TableDiff:
    """Compare the rows of one table; neither side may repeat a key (validation sees to it).

    Values compare equal when both are null; an extra column one side lacks counts as nulls.
    """
    key = list(table.key)
    # Rows are written with the incoming columns only: an extra column the incoming side
    # lacks must not appear, as nulls, in what the store gives back.
    written = incoming.columns
    stored, incoming = _align_extras(table, stored, incoming)
    values = [c for c in incoming.columns if c not in key]
    joined = incoming.join(
        stored.with_columns(pl.lit(True).alias(_STORED)),
        on=key,
        how="left",
        nulls_equal=True,
        suffix=_STORED,
    )
    was_stored = pl.col(_STORED).fill_null(False)
    differs = {c: ~pl.col(c).eq_missing(pl.col(c + _STORED)) for c in values}
    any_differs = pl.any_horizontal(differs.values()) if differs else pl.lit(False)
    matched = joined.filter(was_stored)
    changed = matched.filter(any_differs)
    keep = written + ([ROW_ID] if ROW_ID in stored.columns else [])
    removed = stored.join(incoming, on=key, how="anti", nulls_equal=True)
    return TableDiff(
        table=table.name,
        added=joined.filter(~was_stored).select(written),
        updated=changed.select(keep),
        unchanged=matched.height - changed.height,
        removed=removed,
        differences=_differences(table, changed, differs),
    )


def _align_extras(
    table: Table, stored: pl.DataFrame, incoming: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Give both frames the same extra columns, in the same order (stored ones first)."""
    extras = list(dict.fromkeys(extra_columns(table, stored) + extra_columns(table, incoming)))

    def widen(frame: pl.DataFrame) -> pl.DataFrame:
        missing = [pl.lit(None, dtype=pl.String).alias(c) for c in extras if c not in frame]
        ids = [ROW_ID] if ROW_ID in frame.columns else []
        return frame.with_columns(missing).select(*table.column_names, *extras, *ids)

    return widen(stored), widen(incoming)


def _differences(table: Table, changed: pl.DataFrame, differs: dict[str, pl.Expr]) -> pl.DataFrame:
    key_text = pl.concat_str(
        [pl.col(k).cast(pl.String).fill_null("(none)") for k in table.key], separator=", "
    ).alias("key")
    parts = [
        changed.filter(condition).select(
            key_text,
            pl.lit(column).alias("column"),
            pl.col(column + _STORED).cast(pl.String).alias("stored"),
            pl.col(column).cast(pl.String).alias("incoming"),
        )
        for column, condition in differs.items()
    ]
    schema = {"key": pl.String, "column": pl.String, "stored": pl.String, "incoming": pl.String}
    if not parts:
        return pl.DataFrame(schema=schema)
    # By key, and within a row in the table's column order.
    order = {c: i for i, c in enumerate(differs)}
    return (
        pl.concat(parts)
        .with_columns(pl.col("column").replace_strict(order, return_dtype=pl.Int64).alias("_c"))
        .sort("key", "_c", maintain_order=True)
        .drop("_c")
    )
