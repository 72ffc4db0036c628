"""Connecting to a store: which URL, which driver, and the settings every connection needs.

SQLite is the embedded default (a file `kiban.db` in the current directory); any PostgreSQL
server is reached by URL. Failures to connect become `StoreError`s that say what to do.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.pool import ConnectionPoolEntry

from kiban.errors import StoreError

DEFAULT_URL = "sqlite:///kiban.db"
"""The store used when neither an URL nor `KIBAN_DATABASE_URL` is given."""

URL_VARIABLE = "KIBAN_DATABASE_URL"

CONNECT_TIMEOUT_S = 5
"""Seconds to wait for a PostgreSQL server before saying it does not answer."""

SQLITE_BUSY_TIMEOUT_S = 30
"""Seconds a SQLite writer waits for another process's write to finish."""

WRITE = "kiban_write"
"""Execution option marking a connection whose transaction will write (see `_begin_sqlite`)."""


def resolve_url(url: str | None) -> URL:
    """The store URL: `url`, else `$KIBAN_DATABASE_URL`, else `sqlite:///kiban.db`.

    `postgresql://` and `postgres://` URLs get the psycopg 3 driver.
    """
    text = url or os.environ.get(URL_VARIABLE) or DEFAULT_URL
    try:
        parsed = make_url(text)
    except sa.exc.ArgumentError:
        raise StoreError(
            f"{text!r} is not a database URL; use e.g. sqlite:///kiban.db or "
            "postgresql://user:password@host:5432/dbname"
        ) from None
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise StoreError(
            f"unsupported database {parsed.get_backend_name()!r} in "
            f"{redact(parsed)}; kiban stores data in SQLite or PostgreSQL"
        )
    return parsed


def redact(url: URL) -> str:
    """The URL as text with its password hidden."""
    return url.render_as_string(hide_password=True)


def sqlite_path(url: URL) -> Path | None:
    """The file of a SQLite URL, or None for an in-memory database."""
    if url.database in (None, "", ":memory:") or url.query.get("mode") == "memory":
        return None
    return Path(url.database)


def create_engine(url: URL) -> Engine:
    """An engine for `url`, with kiban's per-connection settings."""
    if url.get_backend_name() == "sqlite":
        engine = sa.create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S})
        sa.event.listen(engine, "connect", _configure_sqlite)
        sa.event.listen(engine, "begin", _begin_sqlite)
        return engine
    connect_args: dict[str, Any] = {}
    if "connect_timeout" not in url.query:
        connect_args["connect_timeout"] = CONNECT_TIMEOUT_S
    return sa.create_engine(url, connect_args=connect_args, pool_pre_ping=True)


def _configure_sqlite(dbapi_connection: sqlite3.Connection, _: ConnectionPoolEntry) -> None:
    # The driver's own transaction handling starts transactions late (at the first write) and
    # never around DDL; turn it off and let `_begin_sqlite` issue BEGIN itself.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        # WAL lets readers (the web app) read while an import writes. With WAL, NORMAL never
        # leaves half a transaction behind (a power cut may lose the last commits, a killed
        # process nothing). Foreign keys are off unless asked for, on every connection. A
        # 64 MiB page cache keeps index updates of a large import off the disk.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA cache_size=-65536")
    finally:
        cursor.close()


def _begin_sqlite(connection: sa.Connection) -> None:
    # A writer takes the write lock at BEGIN, so what it read before writing cannot change
    # under it (another import in between would otherwise be merged against stale rows).
    immediate = connection.get_execution_options().get(WRITE, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
