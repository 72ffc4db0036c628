"""`Store`: a kiban dataset kept in SQLite or PostgreSQL, with its import audit log."""

from __future__ import annotations

import getpass
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import polars as pl
import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine

from kiban.dataset.model import Dataset
from kiban.dataset.report import ValidationError, ValidationReport
from kiban.dataset.schema import FORMAT_VERSION, TABLES
from kiban.errors import ConflictError, StoreError, first_line
from kiban.store import audit
from kiban.store.audit import ImportRecord, Outcome, TableCounts
from kiban.store.engine import WRITE, create_engine, redact, resolve_url, sqlite_path
from kiban.store.importer import import_rows
from kiban.store.migrate import current_revision, head_revision, known_revisions, upgrade
from kiban.store.rows import read_sqlite_file, read_table
from kiban.store.tables import DATA_TABLES, meta


@dataclass(frozen=True)
class ImportResult:
    """What an import did: rows per table added, updated, left unchanged, removed.

    `report` holds the validation warnings (unknown columns, ...) of the imported dataset.
    """

    import_id: int
    counts: Mapping[str, TableCounts]
    report: ValidationReport

    @property
    def changed(self) -> bool:
        """Whether the import changed any stored row."""
        return any(c.changed for c in self.counts.values())

    def summary(self) -> str:
        """One line for the user, e.g. `added firms 3, supplies 2; 4 rows unchanged`."""
        unchanged = sum(c.unchanged for c in self.counts.values())
        if not self.changed:
            return f"nothing changed: the store already holds all {unchanged} rows"
        parts = []
        for verb in ("added", "updated", "removed"):
            rows = {name: getattr(c, verb) for name, c in self.counts.items()}
            done = [f"{name} {n}" for name, n in rows.items() if n]
            if done:
                parts.append(f"{verb} {', '.join(done)}")
        return "; ".join([*parts, f"{unchanged} rows unchanged"])


@dataclass(frozen=True)
class StoreInfo:
    """What a store is and holds. `url` has its password hidden."""

    url: str
    backend: str
    format_version: int
    revision: str
    row_counts: Mapping[str, int]
    import_count: int
    last_import: ImportRecord | None

    def to_dict(self) -> dict[str, Any]:
        """Plain values for JSON output (`last_import.imported_at` stays a datetime)."""
        return asdict(self)


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"


class Store:
    """A kiban store. Open one with `open_store`; close it, or use it as a context manager.

    Every method runs in its own transaction, so each sees and leaves a consistent store.
    """

    def __init__(self, engine: Engine, url: URL) -> None:
        self._engine = engine
        self._url = url

    @property
    def url(self) -> str:
        """The store's URL with its password hidden."""
        return redact(self._url)

    @property
    def backend(self) -> str:
        """`sqlite` or `postgresql`."""
        return self._url.get_backend_name()

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine, for layers that keep their own tables in the store."""
        return self._engine

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._engine.dispose()

    @contextmanager
    def _transaction(self, *, write: bool) -> Iterator[sa.Connection]:
        """A connection in a transaction, committed at the end unless an exception escapes.

        Writers hold the write lock from the start (SQLite: BEGIN IMMEDIATE; PostgreSQL: a
        lock on the audit table, so imports queue rather than interleave); readers see one
        snapshot.
        """
        postgresql = self.backend == "postgresql"
        connection = _connect(self._engine, self._url)
        with _translated(self._url), connection:
            if write:
                connection = connection.execution_options(**{WRITE: True})
            elif postgresql:
                connection = connection.execution_options(isolation_level="REPEATABLE READ")
            with connection.begin():
                if write and postgresql and _has_table(connection, "imports"):
                    connection.execute(sa.text("LOCK TABLE imports IN SHARE ROW EXCLUSIVE MODE"))
                yield connection

    def migrate(self) -> None:
        """Bring the store's tables to this version of kiban (creating them); idempotent."""
        with self._transaction(write=True) as connection:
            upgrade(connection)

    def import_dataset(
        self,
        dataset: Dataset,
        *,
        replace: bool = False,
        actor: str | None = None,
        source: str | None = None,
    ) -> ImportResult:
        """Merge `dataset` into the store (or, with `replace`, make the store hold exactly it).

        All or nothing, in one transaction with its audit-log entry. Raises
        `ValidationError` (with every problem) if the stored and incoming rows together break
        a rule, `ConflictError` if a merge would change a stored row, and `StoreError` if
        the database fails, or with `replace` if the dataset holds no rows at all; the
        stored rows are then as they were. A refused import (invalid or in conflict) is
        still logged, in a transaction of its own. `actor` defaults to the OS user and
        `source` to the dataset's source.
        """
        who = actor or _os_user()
        what = source if source is not None else dataset.source
        if replace and not any(dataset.row_counts().values()):
            # An unfilled survey template must not wipe the store by accident.
            raise StoreError(
                f"{what} holds no rows; replacing the store with it would remove everything "
                "stored, so nothing was changed"
            )
        try:
            with self._transaction(write=True) as connection:
                counts, report = import_rows(connection, dataset, replace=replace)
                changed = any(c.changed for c in counts.values())
                import_id = audit.record(
                    connection,
                    actor=who,
                    source=what,
                    replace=replace,
                    outcome=Outcome.CHANGED if changed else Outcome.UNCHANGED,
                    counts=counts,
                )
        except (ValidationError, ConflictError) as refused:
            outcome = Outcome.INVALID if isinstance(refused, ValidationError) else Outcome.CONFLICT
            self._log_refusal(who, what, replace, outcome, str(refused))
            raise
        return ImportResult(import_id=import_id, counts=counts, report=report)

    def _log_refusal(
        self, actor: str, source: str | None, replace: bool, outcome: Outcome, detail: str
    ) -> None:
        try:
            with self._transaction(write=True) as connection:
                audit.record(
                    connection,
                    actor=actor,
                    source=source,
                    replace=replace,
                    outcome=outcome,
                    counts={},
                    detail=detail,
                )
        except StoreError:
            # The refusal is what the user needs to hear about, not a failure to log it.
            pass

    def dataset(self) -> Dataset:
        """Everything stored, as a dataset: schema types, extra columns, rows sorted by key.

        Tables without rows are left out, as a dataset read from files would lack them.
        """
        path = sqlite_path(self._url) if self.backend == "sqlite" else None
        if path is not None:
            frames = self._read_sqlite_file(path)
        else:
            # In-memory SQLite has no file another connection could open; PostgreSQL is
            # read through SQLAlchemy in a REPEATABLE READ transaction.
            with self._transaction(write=False) as connection:
                frames = {name: read_table(connection, name) for name in TABLES}
        return Dataset(
            tables={name: frame for name, frame in frames.items() if frame.height},
            source=self.url,
        )

    def _read_sqlite_file(self, path: Path) -> dict[str, pl.DataFrame]:
        import adbc_driver_manager

        try:
            return read_sqlite_file(path)
        except (adbc_driver_manager.Error, OSError) as err:
            raise StoreError(f"cannot read the store {self.url}: {first_line(err)}") from err

    def info(self) -> StoreInfo:
        """The store's URL, backend, versions, rows per table and imports."""
        with self._transaction(write=False) as connection:
            revision = current_revision(connection) or ""
            row_counts = {
                name: int(
                    connection.execute(
                        sa.select(sa.func.count()).select_from(DATA_TABLES[name])
                    ).scalar_one()
                )
                for name in TABLES
            }
            return StoreInfo(
                url=self.url,
                backend=self.backend,
                format_version=_format_version(connection),
                revision=revision,
                row_counts=row_counts,
                import_count=audit.count(connection),
                last_import=audit.last(connection),
            )

    def imports(self) -> pl.DataFrame:
        """The import audit log, oldest first (columns of `kiban.store.audit.LOG_SCHEMA`)."""
        with self._transaction(write=False) as connection:
            return audit.log(connection)

    def _check(self, *, create: bool) -> None:
        """Refuse a store kiban cannot use; with `create`, initialise or upgrade it."""
        head = head_revision()
        with self._transaction(write=False) as connection:
            revision = current_revision(connection)
        if revision is not None and revision not in known_revisions():
            raise StoreError(
                f"the store {self.url} was migrated by a newer version of kiban "
                f"(revision {revision}); upgrade kiban to use it"
            )
        if revision != head:
            if not create:
                state = "was never initialised" if revision is None else "needs upgrading"
                raise StoreError(
                    f"the store {self.url} {state}; run `kiban init` (or open it with "
                    "create=True) to set it up"
                )
            self.migrate()
        with self._transaction(write=False) as connection:
            version = _format_version(connection)
        if version > FORMAT_VERSION:
            raise StoreError(
                f"the store {self.url} holds dataset format {version}, newer than this "
                f"kiban's format {FORMAT_VERSION}; upgrade kiban to use it"
            )


def _has_table(connection: sa.Connection, name: str) -> bool:
    return sa.inspect(connection).has_table(name)


def _format_version(connection: sa.Connection) -> int:
    value = connection.execute(
        sa.select(meta.c.value).where(meta.c.name == "format_version")
    ).scalar_one()
    return int(value)


def _connect(engine: Engine, url: URL) -> sa.Connection:
    """A connection to the store, or a `StoreError` saying why there is none."""
    try:
        return engine.connect()
    except sa.exc.DBAPIError as err:
        reason = _reason(err)
        if url.get_backend_name() == "postgresql":
            raise StoreError(
                f"cannot connect to the PostgreSQL store {redact(url)}: {reason}. Check that "
                "the server is running, and the host, port, user, password and database name"
            ) from err
        if "file is not a database" in reason:
            raise StoreError(
                f"{sqlite_path(url)} is not a kiban store (not an SQLite database)"
            ) from err
        raise StoreError(f"cannot open the store {redact(url)}: {reason}") from err


@contextmanager
def _translated(url: URL) -> Iterator[None]:
    """Turn database failures into `StoreError`s that say what happened and to which store."""
    try:
        yield
    except sa.exc.DBAPIError as err:
        raise StoreError(
            f"the store {redact(url)} failed, nothing was changed: {_reason(err)}"
        ) from err


def _reason(err: sa.exc.DBAPIError) -> str:
    # The driver's own error says what happened; SQLAlchemy's wrapper adds the statement.
    return first_line(err.orig if err.orig is not None else err)


def open_store(url: str | None = None, *, create: bool = False) -> Store:
    """Open the store at `url`, else `$KIBAN_DATABASE_URL`, else `./kiban.db` (SQLite).

    `postgresql://user:password@host:port/db` opens a PostgreSQL store. A store must have
    been initialised (`kiban init`); `create=True` creates it, or upgrades an older one.
    Raises `StoreError` when the store cannot be reached or used, saying why.
    """
    resolved = resolve_url(url)
    path = sqlite_path(resolved) if resolved.get_backend_name() == "sqlite" else None
    if path is not None and not path.exists():
        # Connecting would create an empty file: only do so when asked to create a store.
        if not create:
            raise StoreError(f"there is no kiban store at {path}; run `kiban init` to create one")
        if not path.parent.is_dir():
            raise StoreError(f"cannot create a store at {path}: {path.parent} is not a folder")
    store = Store(create_engine(resolved), resolved)
    try:
        store._check(create=create)
    except BaseException:
        store.close()
        raise
    return store
