"""Dataset tables to database rows and back, without loss.

Declared columns map one to one onto database columns of the same type; the columns a dataset
has beyond the format (kept as text by `kiban.dataset.parse.coerce`) travel together as a JSON
object in the column `extra`, with nulls kept so that a column of nulls survives too.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl
import sqlalchemy as sa
from sqlalchemy.dialects import sqlite as sqlite_dialect

from kiban.dataset.schema import TABLES, Table
from kiban.store.tables import DATA_TABLES, EXTRA, SURROGATE_ID, has_surrogate_key

if TYPE_CHECKING:
    import pyarrow as pa

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
    Reads through `connection`, inside its transaction, row by row: the path for in-memory
    SQLite and for an import's own transaction. `read_sqlite_file` is the fast read of a
    whole SQLite store and gives the same frames.
    """
    selected, schema = _selection(name, with_ids=with_ids)
    sqlite = connection.dialect.name == "sqlite"
    # Fetched from the driver's cursor: SQLAlchemy's per-row result objects would cost more
    # than the query.
    sql = str(sa.select(*selected).compile(dialect=connection.dialect))
    result = connection.exec_driver_sql(sql)
    try:
        rows = result.cursor.fetchall()
    finally:
        result.close()
    fetched = _sqlite_schema(schema) if sqlite else schema
    frame = pl.DataFrame(rows, schema=fetched, orient="row")
    return _in_schema_types(name, frame, sqlite=sqlite)


SQLITE_BATCH_ROWS = 65_536
"""Rows per Arrow batch when reading SQLite through ADBC; larger batches convert faster."""

_SENTINEL = "__kiban_sentinel__"

_SENTINEL_VALUES: dict[type[pl.DataType], str] = {
    pl.String: "''",
    pl.Int64: "0",
    pl.Float64: "0.0",
}


def read_sqlite_file(path: Path, *, batch_rows: int = SQLITE_BATCH_ROWS) -> dict[str, pl.DataFrame]:
    """Every table of the SQLite store at `path`, as `read_table` gives each, read column-wise.

    Reads through ADBC into Arrow (several times faster than fetching Python tuples), on a
    read-only connection of its own, all tables in one read transaction: one snapshot, as
    SQLite's WAL lets a reader have while an import writes. Raises the driver's error
    (`adbc_driver_manager.Error`, or `OSError` from Arrow) if the file cannot be read.
    `batch_rows` is the Arrow batch size, in rows.
    """
    import adbc_driver_sqlite.dbapi

    uri = f"{path.resolve().as_uri()}?mode=ro"
    # Autocommit off: the driver opens a transaction, so every SELECT below reads the
    # snapshot taken at the first one, until the rollback.
    with adbc_driver_sqlite.dbapi.connect(uri, autocommit=False) as connection:
        try:
            with connection.cursor() as cursor:
                cursor.adbc_statement.set_options(
                    **{adbc_driver_sqlite.StatementOptions.BATCH_ROWS.value: str(batch_rows)}
                )
                frames = {}
                for name in TABLES:
                    cursor.execute(_sqlite_columnar_query(name))
                    frames[name] = _from_sqlite_arrow(name, cursor.fetch_arrow_table())
        finally:
            connection.rollback()
    return frames


def _sqlite_columnar_query(name: str) -> str:
    """The SELECT of table `name` with a first row of typed placeholder values.

    The driver infers each column's Arrow type from its first batch and fails when a later
    batch disagrees (a column of nulls for 65,536 rows, then text): a leading row holding a
    value of the stored type in every column fixes the types whatever the data. The row is
    marked in a column of its own and dropped after the read.
    """
    selected, schema = _selection(name, with_ids=False)
    stored = _sqlite_schema(schema)
    placeholders = ", ".join(
        f"{_SENTINEL_VALUES[type(dtype)]} AS {_quoted(column)}" for column, dtype in stored.items()
    )
    rows = sa.select(sa.literal_column("0").label(_SENTINEL), *selected)
    body = str(rows.compile(dialect=sqlite_dialect.dialect()))
    return f"SELECT 1 AS {_SENTINEL}, {placeholders} UNION ALL {body}"


def _quoted(column: str) -> str:
    return '"' + column.replace('"', '""') + '"'


def _from_sqlite_arrow(name: str, arrow: pa.Table) -> pl.DataFrame:
    _, schema = _selection(name, with_ids=False)
    fetched = pl.from_arrow(arrow)
    assert isinstance(fetched, pl.DataFrame)
    frame = (
        fetched.filter(pl.col(_SENTINEL) == 0)
        .drop(_SENTINEL)
        .cast(_sqlite_schema(schema), strict=True)
    )
    return _in_schema_types(name, frame, sqlite=True)


def _selection(name: str, *, with_ids: bool) -> tuple[list[sa.ColumnElement[Any]], pl.Schema]:
    """The columns to select from table `name`'s db table, and their types in the schema."""
    table = TABLES[name]
    db_table = DATA_TABLES[name]
    selected: list[sa.ColumnElement[Any]] = [db_table.c[n] for n in [*table.column_names, EXTRA]]
    schema = dict(table.polars_schema) | {EXTRA: pl.String()}
    if with_ids and has_surrogate_key(table):
        selected.append(db_table.c[SURROGATE_ID].label(ROW_ID))
        schema[ROW_ID] = pl.Int64()
    return selected, pl.Schema(schema)


def _sqlite_schema(schema: pl.Schema) -> pl.Schema:
    """The types SQLite hands back for `schema`: dates as ISO text, booleans as 0/1."""
    stored = {
        column: pl.String() if dtype == pl.Date else pl.Int64() if dtype == pl.Boolean else dtype
        for column, dtype in schema.items()
    }
    return pl.Schema(stored)


def _in_schema_types(name: str, frame: pl.DataFrame, *, sqlite: bool) -> pl.DataFrame:
    """A frame of table `name` as fetched, in the schema's types, extras restored, sorted."""
    table = TABLES[name]
    if sqlite:
        dates = [c.name for c in table.columns if c.dtype == pl.Date]
        bools = [c.name for c in table.columns if c.dtype == pl.Boolean]
        frame = frame.with_columns(
            pl.col(dates).str.to_date("%Y-%m-%d"), pl.col(bools).cast(pl.Boolean)
        )
    frame = _restore_extras(frame)
    # Sort here rather than in SQL: PostgreSQL would order text by its collation, SQLite by
    # bytes; polars gives the same order whatever the backend. Keys are unique in a store
    # (primary key, or checked on import where a key column may be null), so a stable sort
    # would order nothing differently; the unstable one takes half the time (2 s for 5M).
    return frame.sort(list(table.key), nulls_last=False)


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
