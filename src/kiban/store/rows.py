"""Dataset tables to database rows and back, without loss.

Declared columns map one to one onto database columns of the same type; the columns a dataset
has beyond the format (kept as text by `kiban.dataset.parse.coerce`) travel together as a JSON
object in the column `extra`, with nulls kept so that a column of nulls survives too.
"""

from __future__ import annotations

import json
from typing import Any

import polars as pl
import sqlalchemy as sa

from kiban.dataset.schema import TABLES, Table
from kiban.store.tables import DATA_TABLES, EXTRA, SURROGATE_ID, has_surrogate_key

ROW_ID = "__kiban_row_id__"
"""Column of a frame read with `with_ids=True` holding the database's surrogate `id`."""


def extra_columns(table: Table, frame: pl.DataFrame) -> list[str]:
    """The columns of `frame` that `table` does not declare (nor the internal row id)."""
    declared = set(table.column_names)
    return [c for c in frame.columns if c not in declared and c != ROW_ID]


def _encoded_extras(table: Table, frame: pl.DataFrame) -> pl.Expr:
    extras = extra_columns(table, frame)
    if not extras:
        return pl.lit(None, dtype=pl.String).alias(EXTRA)
    return pl.struct([pl.col(c).cast(pl.String) for c in extras]).struct.json_encode().alias(EXTRA)


def to_records(table: Table, frame: pl.DataFrame) -> list[dict[str, Any]]:
    """The rows of `frame` as parameter dicts for an INSERT or UPDATE of `table`'s db table.

    A frame read `with_ids` gives each record its surrogate `id` too.
    """
    columns = [pl.col(name) for name in table.column_names]
    if ROW_ID in frame.columns:
        columns.append(pl.col(ROW_ID).alias(SURROGATE_ID))
    return frame.select(*columns, _encoded_extras(table, frame)).to_dicts()


def to_sqlite_rows(table: Table, frame: pl.DataFrame) -> list[tuple[Any, ...]]:
    """The rows of `frame` as SQLite stores them, in the order `table.column_names` + `extra`.

    Dates become ISO 8601 text, the form SQLAlchemy writes and reads back for a `Date`
    column on SQLite; booleans go in as 0/1 and everything else as is.
    """
    dates = [c.name for c in table.columns if c.dtype == pl.Date]
    return (
        frame.select(*table.column_names, _encoded_extras(table, frame))
        .with_columns(pl.col(dates).dt.strftime("%Y-%m-%d"))
        .rows()
    )


def read_table(connection: sa.Connection, name: str, *, with_ids: bool = False) -> pl.DataFrame:
    """Every stored row of table `name`, in the schema's types, extras restored, sorted by key.

    With `with_ids`, a table keyed by a surrogate id also gets that id in column `ROW_ID`.
    """
    table = TABLES[name]
    db_table = DATA_TABLES[name]
    names = list(table.column_names)
    selected: list[sa.ColumnElement[Any]] = [db_table.c[n] for n in [*names, EXTRA]]
    schema = dict(table.polars_schema) | {EXTRA: pl.String()}
    if with_ids and has_surrogate_key(table):
        selected.append(db_table.c[SURROGATE_ID].label(ROW_ID))
        schema[ROW_ID] = pl.Int64()
    # Fetched from the driver's cursor: SQLAlchemy's per-row result objects would cost more
    # than the query. SQLite hands back dates as ISO text and booleans as 0/1; polars converts them.
    sql = str(sa.select(*selected).compile(dialect=connection.dialect))
    result = connection.exec_driver_sql(sql)
    try:
        rows = result.cursor.fetchall()
    finally:
        result.close()
    if connection.dialect.name == "sqlite":
        dates = [c for c, dtype in schema.items() if dtype == pl.Date]
        bools = [c for c, dtype in schema.items() if dtype == pl.Boolean]
        fetched = schema | dict.fromkeys(dates, pl.String()) | dict.fromkeys(bools, pl.Int64())
        frame = pl.DataFrame(rows, schema=fetched, orient="row").with_columns(
            pl.col(dates).str.to_date("%Y-%m-%d"), pl.col(bools).cast(pl.Boolean)
        )
    else:
        frame = pl.DataFrame(rows, schema=schema, orient="row")
    frame = _restore_extras(frame)
    # Sort here rather than in SQL: PostgreSQL would order text by its collation, SQLite by
    # bytes; polars gives the same order whatever the backend.
    return frame.sort(list(table.key), nulls_last=False, maintain_order=True)


def _restore_extras(frame: pl.DataFrame) -> pl.DataFrame:
    encoded = frame.get_column(EXTRA)
    names: dict[str, None] = {}
    for text in encoded.drop_nulls().unique(maintain_order=True):
        names.update(dict.fromkeys(json.loads(text)))
    frame = frame.drop(EXTRA)
    if not names:
        return frame
    dtype = pl.Struct({n: pl.String() for n in names})
    decoded = encoded.str.json_decode(dtype).struct.unnest()
    return pl.concat([frame, decoded], how="horizontal")
