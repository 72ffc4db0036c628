"""The migrations build exactly the tables `kiban.store.tables` declares, on each backend."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from kiban.dataset import TABLES
from kiban.store import Store
from kiban.store.migrate import head_revision
from kiban.store.tables import DATA_TABLES, EXTRA, metadata


def test_migrated_database_matches_the_declared_tables(store: Store) -> None:
    with store.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []
        assert context.get_current_revision() == head_revision()


def test_every_schema_column_has_a_database_column() -> None:
    for name, table in TABLES.items():
        db_table = DATA_TABLES[name]
        for column in table.columns:
            assert db_table.c[column.name].nullable is not column.required
        assert EXTRA in db_table.c


def test_references_are_foreign_keys(store: Store) -> None:
    inspector = sa.inspect(store.engine)
    found = {
        (fk["constrained_columns"][0], f"{fk['referred_table']}.{fk['referred_columns'][0]}")
        for fk in inspector.get_foreign_keys("supplies")
    }
    assert found == {
        ("supplier_id", "firms.firm_id"),
        ("customer_id", "firms.firm_id"),
        ("item_id", "items.item_id"),
    }
