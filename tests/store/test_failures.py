"""An import that fails half-way, for whatever reason, leaves the store exactly as it was."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa

from kiban.dataset import Dataset
from kiban.errors import StoreError
from kiban.store import Store, open_store
from tests.samples import network, sample_dataset, sorted_by_key, subtier_dataset
from tests.store.test_import import assert_holds


def fail_on(store: Store, table: str) -> None:
    """Make the database report a full disk when the import starts writing `table`."""
    if store.backend == "sqlite":
        error: Exception = sqlite3.OperationalError("database or disk is full")
    else:
        error = psycopg.errors.DiskFull("could not extend file: No space left on device")

    def before(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.startswith(f"INSERT INTO {table} "):
            raise error

    sa.event.listen(store.engine, "before_cursor_execute", before)


def test_a_database_failure_after_some_tables_changes_nothing(
    store: Store, sample: Dataset
) -> None:
    store.import_dataset(sample)
    fail_on(store, "supplies")  # after firms, before programs

    with pytest.raises(StoreError, match=r"nothing was changed: .*(full|No space)"):
        store.import_dataset(subtier_dataset())

    assert_holds(store, sample)
    assert store.info().import_count == 1


def test_a_real_full_disk_changes_nothing(tmp_path: Path) -> None:
    with open_store(f"sqlite:///{tmp_path / 'kiban.db'}", create=True) as store:
        base = sample_dataset()
        store.import_dataset(base)
        with store.engine.connect() as connection:
            pages = connection.exec_driver_sql("PRAGMA page_count").scalar_one()

        # SQLite's own limit on the file's size gives the error a full disk gives.
        def cap(connection: sa.Connection) -> None:
            connection.exec_driver_sql(f"PRAGMA max_page_count = {pages + 100}")

        written: list[str] = []

        def note(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
            written.append(statement.split("(")[0].strip())

        sa.event.listen(store.engine, "begin", cap)
        sa.event.listen(store.engine, "after_cursor_execute", note)
        with pytest.raises(StoreError, match="database or disk is full"):
            store.import_dataset(network(2_000, 8_000, seed=1))
        sa.event.remove(store.engine, "begin", cap)
        sa.event.remove(store.engine, "after_cursor_execute", note)
        # The firms went in; the disk filled up with the supplies.
        assert "INSERT INTO firms" in written

        assert_holds(store, base)
        assert store.info().import_count == 1


# Run in a child process: import a large network, and once the supplies are being written
# (and, with a tiny page cache, spilling into the WAL file), say so and wait to be killed.
_KILLED_IMPORT = """
import sys
import sqlalchemy as sa
from kiban.store import open_store
from tests.samples import network

store = open_store(sys.argv[1])
store.engine.dispose()
sa.event.listen(store.engine, "connect",
                lambda dbapi, _: dbapi.execute("PRAGMA cache_size = 10"))

def after(conn, cursor, statement, *rest):
    if statement.startswith("INSERT INTO supplies "):
        print("writing supplies", flush=True)
        sys.stdin.read()

sa.event.listen(store.engine, "after_cursor_execute", after)
store.import_dataset(network(5_000, 60_000, seed=2))
print("import finished", flush=True)
"""


def test_a_process_killed_during_an_import_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "kiban.db"
    url = f"sqlite:///{path}"
    base = sample_dataset()
    with open_store(url, create=True) as store:
        store.import_dataset(base)

    root = Path(__file__).resolve().parents[2]
    child = subprocess.Popen(
        [sys.executable, "-c", _KILLED_IMPORT, url],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
    )
    try:
        assert child.stdout is not None
        line = child.stdout.readline()
        assert line == "writing supplies\n", child.stderr.read() if child.stderr else ""
        wal = path.with_name(path.name + "-wal")
        # Uncommitted rows reached the disk: recovery, not luck, is what keeps them out.
        assert wal.stat().st_size > 100_000
        child.send_signal(signal.SIGKILL)
    finally:
        child.kill()
        child.communicate()
    assert child.returncode == -signal.SIGKILL

    with open_store(url) as store:
        assert_holds(store, base)
        assert store.info().import_count == 1
        with store.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA integrity_check").scalar_one() == "ok"
        # And the store still takes imports.
        store.import_dataset(subtier_dataset())
        assert store.info().row_counts["firms"] == 5


def test_large_network_round_trips(tmp_path: Path) -> None:
    big = network(3_000, 15_000, seed=3)
    with open_store(f"sqlite:///{tmp_path / 'kiban.db'}", create=True) as store:
        result = store.import_dataset(big)
        assert result.counts["supplies"].added == 15_000
        held = store.dataset()
    want = sorted_by_key(big)
    for name, frame in want.items():
        assert held.tables[name].equals(frame)
