"""Schema migrations of a store, run by kiban itself (no `alembic.ini` on the user's side).

The migration scripts live in `kiban/store/migrations/versions`, one per change of the tables,
from the first table on. A store remembers its revision in Alembic's `alembic_version` table.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def _config(connection: sa.Connection | None = None) -> Config:
    config = Config()
    # Config values are %-interpolated; a path may hold a literal %.
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The revision this version of kiban migrates stores to."""
    head = ScriptDirectory.from_config(_config()).get_current_head()
    if head is None:
        raise AssertionError("kiban ships no migrations")
    return head


def known_revisions() -> frozenset[str]:
    """Every revision this version of kiban knows (a store at another one is newer)."""
    script = ScriptDirectory.from_config(_config())
    return frozenset(rev.revision for rev in script.walk_revisions())


def current_revision(connection: sa.Connection) -> str | None:
    """The revision the store on `connection` is at, or None if never migrated."""
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(connection: sa.Connection) -> None:
    """Migrate the store on `connection` to the head revision, in the caller's transaction."""
    command.upgrade(_config(connection), "head")
