"""Opening stores: which URL, connection settings, and stores kiban cannot use."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa

from kiban.dataset import Dataset
from kiban.errors import StoreError
from kiban.store import Store, open_store
from kiban.store.engine import resolve_url


def test_url_defaults_to_the_environment_then_kiban_db_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("KIBAN_DATABASE_URL", raising=False)
    with open_store(create=True) as store:
        assert store.url == "sqlite:///kiban.db"
    assert (tmp_path / "kiban.db").is_file()

    elsewhere = tmp_path / "elsewhere.db"
    monkeypatch.setenv("KIBAN_DATABASE_URL", f"sqlite:///{elsewhere}")
    with open_store(create=True) as store:
        assert store.url == f"sqlite:///{elsewhere}"
    assert elsewhere.is_file()


def test_postgresql_urls_use_psycopg_3() -> None:
    assert resolve_url("postgresql://u:p@db.example/kiban").drivername == "postgresql+psycopg"
    assert resolve_url("postgres://u:p@db.example/kiban").drivername == "postgresql+psycopg"


def test_unsupported_or_malformed_urls_are_refused() -> None:
    with pytest.raises(StoreError, match="SQLite or PostgreSQL"):
        resolve_url("mysql://u:p@db.example/kiban")
    with pytest.raises(StoreError, match="not a database URL"):
        resolve_url("no url at all")


def test_sqlite_connections_use_wal_foreign_keys_and_normal_sync(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'k.db'}"
    with open_store(url, create=True) as store, store.engine.connect() as connection:
        pragma = {
            name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("journal_mode", "foreign_keys", "synchronous")
        }
    assert pragma == {"journal_mode": "wal", "foreign_keys": 1, "synchronous": 1}


def test_a_file_that_is_not_a_database_is_named_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("firm_id,name\nF1,Acme\n" * 200)
    before = path.read_bytes()

    for create in (False, True):
        with pytest.raises(StoreError, match=r"notes\.db is not a kiban store \(not an SQLite"):
            open_store(f"sqlite:///{path}", create=create)
    assert path.read_bytes() == before


def test_a_missing_sqlite_file_is_not_created_unless_asked(tmp_path: Path) -> None:
    path = tmp_path / "kiban.db"
    with pytest.raises(StoreError, match="run `kiban init`"):
        open_store(f"sqlite:///{path}")
    assert not path.exists()
    with pytest.raises(StoreError, match="is not a folder"):
        open_store(f"sqlite:///{tmp_path / 'no' / 'such' / 'kiban.db'}", create=True)


def test_an_uninitialised_store_asks_for_kiban_init(store_url: str) -> None:
    # An existing, empty database: a fresh SQLite file or a fresh PostgreSQL schema.
    if store_url.startswith("sqlite"):
        sqlite3.connect(store_url.removeprefix("sqlite:///")).close()
    with pytest.raises(StoreError, match=r"was never initialised; run `kiban init`"):
        open_store(store_url)
    with open_store(store_url, create=True) as store:
        assert store.info().revision == "0001"
    with open_store(store_url) as store:
        assert store.dataset().tables == {}


def test_migrate_is_idempotent(store: Store, sample: Dataset) -> None:
    store.import_dataset(sample)
    store.migrate()
    store.migrate()
    assert store.info().row_counts["firms"] == 4


def test_a_store_migrated_by_a_newer_kiban_is_refused(store_url: str) -> None:
    open_store(store_url, create=True).close()
    engine = sa.create_engine(resolve_url(store_url))
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = 'f00dfeed'"))
    engine.dispose()

    for create in (False, True):
        with pytest.raises(StoreError, match=r"newer version of kiban \(revision f00dfeed\)"):
            open_store(store_url, create=create)


def test_a_store_of_a_newer_dataset_format_is_refused(store_url: str) -> None:
    open_store(store_url, create=True).close()
    engine = sa.create_engine(resolve_url(store_url))
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE meta SET value = '99' WHERE name = 'format_version'"))
    engine.dispose()

    with pytest.raises(StoreError, match="dataset format 99, newer than"):
        open_store(store_url)


@pytest.mark.postgres
def test_a_postgresql_server_that_does_not_answer_fails_fast_without_the_password() -> None:
    with pytest.raises(StoreError, match="cannot connect to the PostgreSQL store") as raised:
        open_store("postgresql://kiban:s3cret@127.0.0.1:1/kiban")
    assert "s3cret" not in str(raised.value)
    assert "postgresql+psycopg://kiban:***@127.0.0.1:1/kiban" in str(raised.value)


@pytest.mark.postgres
def test_info_hides_the_password(postgres_url: str) -> None:
    with open_store(postgres_url, create=True) as store:
        info = store.info()
    assert info.backend == "postgresql"
    assert ":***@" in info.url
    assert "kiban:kiban@" not in info.url
