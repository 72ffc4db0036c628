"""The database tables of a kiban store, derived from the dataset schema.

One table per `kiban.dataset.schema.TABLES` entry, with the declared columns in the declared
types: a required column is NOT NULL, a key is the primary key (or, when a key column may be
null, a unique constraint beside a surrogate integer `id`), a reference is a foreign key. Each
data table also has a nullable text column `extra` holding, as a JSON object, the values of the
columns a dataset had that the format does not declare, so they survive a round trip.

Beside them: `imports`, the audit log of every import, and `meta`, facts about the store such
as the dataset format version. The migrations in `kiban.store.migrations` create exactly these
tables; a test compares the two.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.schema import SchemaItem

from kiban.dataset.schema import TABLES, Column, Kind, Table

EXTRA = "extra"
"""Column of every data table holding the dataset's undeclared columns as a JSON object."""

SURROGATE_ID = "id"
"""Integer key of the tables whose key may hold nulls (supplies without an item)."""

NAMING_CONVENTION = {
    "pk": "pk_%(table_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
}
"""Constraint names that are the same on every backend, so migrations can name them."""

metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)

_SQL_TYPES: dict[Kind, Callable[[], sa.types.TypeEngine[Any]]] = {
    Kind.ID: sa.Text,
    Kind.TEXT: sa.Text,
    Kind.COUNTRY: sa.Text,
    Kind.CHOICE: sa.Text,
    Kind.INT: sa.BigInteger,
    Kind.NUMBER: sa.Double,
    Kind.FRACTION: sa.Double,
    Kind.BOOL: sa.Boolean,
    Kind.DATE: sa.Date,
}


def sql_type(kind: Kind) -> sa.types.TypeEngine[Any]:
    """The column type that holds values of `kind` without loss (ints 64-bit, floats double)."""
    return _SQL_TYPES[kind]()


def has_surrogate_key(table: Table) -> bool:
    """Whether `table` is keyed by an integer `id` because a key column may be null."""
    return not all(table.column(name).required for name in table.key)


def _column(col: Column) -> sa.Column[Any]:
    foreign_keys = [sa.ForeignKey(col.references)] if col.references else []
    return sa.Column(col.name, sql_type(col.kind), *foreign_keys, nullable=not col.required)


def _data_table(table: Table) -> sa.Table:
    items: list[SchemaItem] = []
    surrogate = has_surrogate_key(table)
    if surrogate:
        items.append(sa.Column(SURROGATE_ID, sa.Integer, primary_key=True, autoincrement=True))
    items.extend(_column(col) for col in table.columns)
    items.append(sa.Column(EXTRA, sa.Text, nullable=True))
    if surrogate:
        # PostgreSQL 15 can treat nulls as equal, as the format does ("no item" is one key);
        # SQLite cannot, so there the import's own key check is what holds.
        items.append(sa.UniqueConstraint(*table.key, postgresql_nulls_not_distinct=True))
    else:
        items.append(sa.PrimaryKeyConstraint(*table.key))
    # Index each reference not already leading the key, so deleting a firm or an item does
    # not scan every supply or program for rows still pointing at it.
    items.extend(
        sa.Index(None, col.name)
        for col in table.columns
        if col.references is not None and col.name != table.key[0]
    )
    return sa.Table(table.name, metadata, *items)


DATA_TABLES: dict[str, sa.Table] = {name: _data_table(t) for name, t in TABLES.items()}
"""The database table of each dataset table, in the format's order (referenced first)."""

imports = sa.Table(
    "imports",
    metadata,
    sa.Column("import_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("actor", sa.Text, nullable=False),
    sa.Column("source", sa.Text, nullable=True),
    sa.Column("mode", sa.Text, nullable=False),
    sa.Column("format_version", sa.Integer, nullable=False),
    sa.Column("outcome", sa.Text, nullable=False),
    sa.Column("row_counts", sa.Text, nullable=False),
    sa.Column("detail", sa.Text, nullable=True),
)
"""The audit log: one row per import asked for, who asked, when (UTC), what, and what came of it.

`mode` is `merge` or `replace`; `outcome` is `changed`, `unchanged`, `invalid` or `conflict`;
`row_counts` is a JSON object `{table: {added, changed, unchanged, removed}}`; `detail` says why
an import was refused.
"""

meta = sa.Table(
    "meta",
    metadata,
    sa.Column("name", sa.Text, primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)
"""Facts about the store itself, as name/value text pairs (`format_version`)."""
