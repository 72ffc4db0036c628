"""Alembic environment of kiban's migrations.

Run only through `kiban.store` (`Store.migrate`, `kiban init`), which hands over an open
connection in `config.attributes["connection"]`; no `alembic.ini` is involved.
"""

from __future__ import annotations

from alembic import context

from kiban.store.tables import metadata


def run_migrations() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("kiban's migrations run through kiban.store (Store.migrate)")
    # Batch mode rebuilds a SQLite table where ALTER TABLE cannot change it.
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


# Alembic executes this file with `context` set up; a test collector that merely imports it
# must not run anything.
if hasattr(context, "config"):
    run_migrations()
