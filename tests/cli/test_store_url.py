"""Which store a command uses (--db, KIBAN_DATABASE_URL, ./kiban.db); stores it cannot use."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.conftest import fails, one_line, store_tables, succeeds


def test_db_option(good: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'chosen.db'}"
    succeeds("import", good, "--db", url)
    assert (tmp_path / "chosen.db").is_file()
    assert f"store: {url} (sqlite)" in succeeds("info", "--db", url).stdout


def test_environment_variable(good: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    from_env = f"sqlite:///{tmp_path / 'from-env.db'}"
    monkeypatch.setenv("KIBAN_DATABASE_URL", from_env)
    succeeds("import", good)
    assert store_tables(from_env)["firms"].height == 4
    assert f"store: {from_env}" in succeeds("info").stdout
    # --db wins over the environment.
    other = f"sqlite:///{tmp_path / 'other.db'}"
    succeeds("init", "--db", other)
    assert store_tables(other) == {}
    assert not (tmp_path / "kiban.db").exists()


def test_default_store_is_kiban_db_in_the_current_folder(
    good: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = fails("info")
    assert "there is no kiban store at kiban.db; run `kiban init`" in result.stderr
    assert not (tmp_path / "kiban.db").exists()
    assert "store ready: sqlite:///kiban.db (sqlite" in succeeds("init").stdout
    succeeds("import", good)
    assert (tmp_path / "kiban.db").is_file()
    assert store_tables(f"sqlite:///{tmp_path / 'kiban.db'}")["firms"].height == 4


@pytest.mark.parametrize("command", [["info"], ["init"], ["import", "GOOD"], ["export", "OUT"]])
def test_a_file_that_is_not_a_database(
    command: list[str], good: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notadb.db").write_text("shopping list: rice, miso\n")
    args = [{"GOOD": str(good), "OUT": "out"}.get(a, a) for a in command]
    result = fails(*args, "--db", "sqlite:///notadb.db")
    assert result.stderr == "error: notadb.db is not a kiban store (not an SQLite database)\n"
    assert (tmp_path / "notadb.db").read_text() == "shopping list: rice, miso\n"
    assert not (tmp_path / "out").exists()


def test_urls_kiban_cannot_use(tmp_path: Path) -> None:
    assert "kiban stores data in SQLite or PostgreSQL" in (
        fails("init", "--db", "mysql://u@localhost/x").stderr
    )
    assert "is not a database URL; use e.g. sqlite:///kiban.db" in (
        fails("init", "--db", "not a url").stderr
    )
    nowhere = tmp_path / "no" / "such" / "folder" / "k.db"
    assert (
        f"cannot create a store at {nowhere}"
        in fails("init", "--db", f"sqlite:///{nowhere}").stderr
    )


def test_a_postgresql_server_that_does_not_answer(good: Path) -> None:
    """Fails within the connect timeout, says what to check, and never shows the password."""
    url = "postgresql://u:secretpw@127.0.0.1:1/x"
    from_env = {**os.environ, "KIBAN_DATABASE_URL": url}
    for args, env in (
        (["info", "--db", url], None),
        (["import", str(good), "--db", url], None),
        (["info"], from_env),
    ):
        # The real command in a process of its own, as a user runs it.
        done = subprocess.run(
            [sys.executable, "-m", "kiban.cli", *args],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            env=env,
        )
        assert done.returncode == 1
        assert done.stdout == ""
        message = one_line(done.stderr)
        assert message.startswith(
            "error: cannot connect to the PostgreSQL store postgresql+psycopg://u:***@127.0.0.1:1/x"
        )
        assert "Check that the server is running" in message
        assert "secretpw" not in done.stderr
        assert "Traceback" not in done.stderr
