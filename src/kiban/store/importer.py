"""Importing a dataset into a store, inside the caller's transaction.

A merge validates the union of the stored and the incoming rows (so a sub-tier survey may
refer to firms already stored), keeps the stored values of columns the incoming rows lack,
refuses a key stored with other values, and adds the new rows.
A replace validates the incoming dataset alone and makes the store hold exactly it. Rows are
written in bulk (executemany), parents before children, and removed children before parents.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import polars as pl
import sqlalchemy as sa

from kiban.dataset.model import Dataset
from kiban.dataset.report import ValidationError, ValidationReport
from kiban.dataset.schema import TABLES
from kiban.dataset.validate import validate
from kiban.errors import ConflictError
from kiban.store.audit import TableCounts
from kiban.store.merge import TableDiff, diff_table, merged, with_stored_values
from kiban.store.rows import ROW_ID, read_table, to_records, to_sqlite_rows
from kiban.store.tables import DATA_TABLES, EXTRA, SURROGATE_ID, has_surrogate_key

BATCH_ROWS = 50_000
"""Rows converted and sent per executemany, bounding memory on large imports."""

SHOWN_DIFFERENCES = 20
"""Differing values listed in a conflict message."""


def import_rows(
    connection: sa.Connection, dataset: Dataset, *, replace: bool
) -> tuple[dict[str, TableCounts], ValidationReport]:
    """Bring the store to the merge (or, with `replace`, to exactly) `dataset`.

    Raises `ValidationError` if the result would break a rule and `ConflictError` if a merge
    would change a stored row; in both cases before anything is written.
    """
    stored = {name: read_table(connection, name, with_ids=True) for name in TABLES}
    if not replace:
        dataset = with_stored_values(stored, dataset)
    report = validate(dataset if replace else merged(stored, dataset))
    if not report.ok:
        raise ValidationError(report)
    diffs = {name: diff_table(table, stored[name], dataset[name]) for name, table in TABLES.items()}
    if not replace and any(d.updated.height for d in diffs.values()):
        raise ConflictError(conflict_message(diffs.values()))
    for diff in diffs.values():
        insert_rows(connection, diff.table, diff.added)
    for diff in diffs.values():
        update_rows(connection, diff.table, diff.updated)
    if replace:
        for diff in reversed(diffs.values()):
            delete_rows(connection, diff.table, diff.removed)
    counts = {
        name: TableCounts(
            added=d.added.height,
            updated=d.updated.height,
            unchanged=d.unchanged,
            removed=d.removed.height if replace else 0,
        )
        for name, d in diffs.items()
    }
    return counts, report


def conflict_message(diffs: Iterable[TableDiff]) -> str:
    """What a merge would change, and how to replace instead."""
    changed = [d for d in diffs if d.updated.height]
    per_table = ", ".join(f"{d.table} {d.updated.height}" for d in changed)
    total = sum(d.updated.height for d in changed)
    lines = [
        f"the dataset would change {total} stored row(s) ({per_table}); nothing was imported.",
        "Rows with the same key but other values (stored -> incoming):",
    ]
    differences = pl.concat([d.differences.with_columns(table=pl.lit(d.table)) for d in changed])
    for rec in differences.head(SHOWN_DIFFERENCES).iter_rows(named=True):
        lines.append(
            f"  {rec['table']} ({rec['key']}), column {rec['column']}: "
            f"{_shown(rec['stored'])} -> {_shown(rec['incoming'])}"
        )
    if differences.height > SHOWN_DIFFERENCES:
        lines.append(f"  ... and {differences.height - SHOWN_DIFFERENCES} more differences")
    lines.append(
        "To replace the whole stored dataset with this one, import it with --replace "
        "(replace=True)."
    )
    return "\n".join(lines)


def _shown(value: str | None) -> str:
    return "(empty)" if value is None else repr(value)


def _batches(frame: pl.DataFrame) -> Iterator[pl.DataFrame]:
    yield from frame.iter_slices(n_rows=BATCH_ROWS)


def insert_rows(connection: sa.Connection, name: str, rows: pl.DataFrame) -> None:
    """Insert `rows` (a frame of table `name`) in bulk."""
    if not rows.height:
        return
    table, db_table = TABLES[name], DATA_TABLES[name]
    rows = rows.drop(ROW_ID, strict=False)
    if connection.dialect.name != "sqlite":
        # PostgreSQL: SQLAlchemy sends many rows per INSERT statement ("insertmanyvalues").
        for batch in _batches(rows):
            connection.execute(sa.insert(db_table), to_records(table, batch))
        return
    # SQLite: SQLAlchemy's per-row parameter processing costs as much as SQLite's own work,
    # so hand the driver positional rows that polars has already put in stored form.
    columns = [*table.column_names, EXTRA]
    statement = sa.insert(db_table).values({c: sa.bindparam(c) for c in columns})
    sql = str(statement.compile(dialect=connection.dialect))
    for batch in _batches(rows):
        connection.exec_driver_sql(sql, to_sqlite_rows(table, batch))


def update_rows(connection: sa.Connection, name: str, rows: pl.DataFrame) -> None:
    """Overwrite the stored rows with the keys (or ids) of `rows` with their values."""
    if not rows.height:
        return
    table, db_table = TABLES[name], DATA_TABLES[name]
    where = _locator(name)
    values = [c for c in (*table.column_names, EXTRA) if c not in where]
    statement = (
        sa.update(db_table)
        .where(*(db_table.c[c] == sa.bindparam(f"k_{c}") for c in where))
        .values({c: sa.bindparam(f"v_{c}") for c in values})
    )
    for batch in _batches(rows):
        records = to_records(table, batch)
        params = [
            {f"k_{c}": r[c] for c in where} | {f"v_{c}": r[c] for c in values} for r in records
        ]
        connection.execute(statement, params)


def delete_rows(connection: sa.Connection, name: str, rows: pl.DataFrame) -> None:
    """Delete the stored rows with the keys (or ids) of `rows`."""
    if not rows.height:
        return
    db_table = DATA_TABLES[name]
    where = _locator(name)
    statement = sa.delete(db_table).where(*(db_table.c[c] == sa.bindparam(f"k_{c}") for c in where))
    source = [ROW_ID] if where == [SURROGATE_ID] else where
    for batch in _batches(rows.select(source)):
        connection.execute(
            statement,
            [{f"k_{c}": v for c, v in zip(where, row, strict=True)} for row in batch.rows()],
        )


def _locator(name: str) -> list[str]:
    """The columns that find a stored row: its surrogate id, else its key (never null then)."""
    table = TABLES[name]
    return [SURROGATE_ID] if has_surrogate_key(table) else list(table.key)
