"""Stores to test against: a SQLite file and a real PostgreSQL database, each fresh per test.

PostgreSQL comes from `$KIBAN_TEST_POSTGRES_URL`, else from `scripts/postgres-up` (which
installs and starts a throwaway server). If neither gives one, the PostgreSQL tests fail.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from kiban.dataset import Dataset
from kiban.store import Store, open_store
from tests.samples import sample_dataset

ROOT = Path(__file__).resolve().parents[2]
POSTGRES_UP = ROOT / "scripts" / "postgres-up"


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """URL of a PostgreSQL server the tests may create schemas in."""
    url = os.environ.get("KIBAN_TEST_POSTGRES_URL")
    if url:
        return url
    try:
        done = subprocess.run(
            [str(POSTGRES_UP)], capture_output=True, text=True, timeout=270, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as err:
        pytest.fail(f"PostgreSQL is needed and {POSTGRES_UP} could not run: {err}", pytrace=False)
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        pytest.fail(
            f"PostgreSQL is needed and {POSTGRES_UP} failed (exit {done.returncode}):\n"
            f"{done.stderr[-3000:]}\nSet KIBAN_TEST_POSTGRES_URL to a server to use instead.",
            pytrace=False,
        )
    return lines[-1]


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """URL of an empty schema of its own on the test server, dropped after the test."""
    server = make_url(postgres_server).set(drivername="postgresql+psycopg")
    schema = f"kiban_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server, connect_args={"connect_timeout": 10})
    try:
        with admin.begin() as connection:
            connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    except sa.exc.OperationalError as err:
        admin.dispose()
        pytest.fail(f"PostgreSQL at {server!r} does not answer: {err.orig}", pytrace=False)
    url = server.update_query_dict({"options": f"-csearch_path={schema}"})
    yield url.render_as_string(hide_password=False)
    with admin.begin() as connection:
        connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """URL of a store not yet created, on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'kiban.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    """An initialised, empty store on each backend."""
    with open_store(store_url, create=True) as opened:
        yield opened


@pytest.fixture
def sample() -> Dataset:
    return sample_dataset()
